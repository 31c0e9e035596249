import { expect } from "chai";
import fc from "fast-check";
import * as fs from "node:fs";
import * as path from "node:path";
import { parsePlainYaml } from "../../config/plain-yaml";
import { libraryValue, yamlDocument } from "../support/yaml-documents";

/**
 * config/plain-yaml.ts against the yaml library, its reference: wherever the fast reader answers, the
 * library must read the same document without an error, a warning or a key given twice, and give the same
 * value, on documents generated where the two could part (tests/support/yaml-documents.ts).
 */

describe("plain-yaml: the fast reader agrees with the yaml library", () => {
  it("answers only where the library reads the same value cleanly (generated documents)", () => {
    let answered = 0;
    let declined = 0;
    fc.assert(
      fc.property(yamlDocument, (text) => {
        const fast = parsePlainYaml(text);
        if (fast === undefined) {
          declined++;
          return;
        }
        answered++;
        const library = libraryValue(text);
        expect(library, `the library refuses what the fast reader read:\n${text}`).to.not.equal(undefined);
        expect(fast.value, text).to.deep.equal(library?.value);
      }),
      { numRuns: 3000, seed: 20261126 },
    );
    // Not vacuous: both outcomes happen often.
    expect(answered, "documents the fast reader read").to.be.greaterThan(300);
    expect(declined, "documents left to the library").to.be.greaterThan(300);
  });

  it("answers for plain documents with every layout it supports, as the library does", () => {
    const documents = [
      "a: 1\nb:\n  c: x\n  d:\n  - 1\n  - two\n",
      "list:\n-   a: 1\n    b: 2\n-   c\n",
      "a:   # comment\n  b: 'x'   # comment\n# a comment line\n\n  c: \"y # z\"\n",
      "x: acme-data-{accountId}\ny: []\nz: {}\nw: arn:aws:iam::1:role/a\nv: -0\nu: +5\nt: 012\n",
      "- 1\n- a: ~\n  b: NULL\n- True\n",
      "a:\r\n  b: c\r\n",
      "a: untrue\nb: trueish\nc: xFALSE\nd: falsey\ne: nullable\nf: ~~\n", // words that only contain a keyword
      "- a:\n- b\n", // a key with no value, then the next item
      "a:\nb: 1\nc: # only a comment\n",
      `${"k".repeat(1024)}: 1\n'${"q".repeat(1022)}': 2\n`, // keys as long as YAML allows
    ];
    for (const text of documents) {
      const fast = parsePlainYaml(text);
      expect(fast, text).to.not.equal(undefined);
      expect(fast?.value, text).to.deep.equal(libraryValue(text)?.value);
    }
  });

  it("leaves to the library what only it reads right, or reports", () => {
    const documents = [
      "a: 1\na: 2\n", // a key given twice
      'a: 1\n"a": 2\n',
      "a: &x 1\nb: *x\n",
      "<<: {a: 1}\n",
      "a: !!str 1\n",
      "a: |\n  text\n",
      "a: [1, 2]\n",
      'a: "esc\\n"\n',
      "a: 1.5\n",
      "a: 0x1F\n",
      "a: multi\n  line\n",
      "a:\n\tb: 1\n",
      "---\na: 1\n",
      "a: b: c\n",
      "__proto__: 1\n",
      "a : 1\n",
      "  a: 1\n",
      "a: 1\n b: 2\n",
      "# only a comment\n",
      "",
    ];
    for (const text of documents) expect(parsePlainYaml(text), JSON.stringify(text)).to.equal(undefined);
  });

  it("reads the bundled example inventory, as the library does", () => {
    const text = fs.readFileSync(path.resolve(__dirname, "..", "..", "config", "accounts.yaml"), "utf8");
    const fast = parsePlainYaml(text);
    expect(fast).to.not.equal(undefined);
    expect(fast?.value).to.deep.equal(libraryValue(text)?.value);
  });
});
