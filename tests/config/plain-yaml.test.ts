import { expect } from "chai";
import fc from "fast-check";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { parseInventory } from "../../config/load";
import { LineIndex } from "../../config/locate";
import { parsePlainYaml, plainPositions } from "../../config/plain-yaml";
import { plainStructureProblems, structureProblems, type TextProblem } from "../../config/yaml-checks";
import { libraryValue, yamlDocument } from "../support/yaml-documents";

/**
 * config/plain-yaml.ts against the yaml library, its reference: wherever the fast reader answers, the
 * library must read the same document without an error, a warning or a key given twice, and give the same
 * value, on documents generated where the two could part (tests/support/yaml-documents.ts).
 */

/** Problems in file order (the loader sorts them; the two readers find them in different orders). */
function byOffset(problems: readonly TextProblem[]): TextProblem[] {
  return [...problems].sort((a, b) => a.offset - b.offset);
}

describe("plain-yaml: the fast reader agrees with the yaml library", () => {
  it("answers only where the library reads the same value cleanly, or finds the same keys given twice (generated documents)", () => {
    let answered = 0;
    let repeated = 0;
    let declined = 0;
    fc.assert(
      fc.property(yamlDocument, (text) => {
        const fast = parsePlainYaml(text);
        if (fast === undefined) {
          declined++;
          return;
        }
        answered++;
        const document = parseDocument(text, { prettyErrors: false, uniqueKeys: false, merge: true });
        expect([...document.errors, ...document.warnings], `the library refuses what the fast reader read:\n${text}`).to
          .be.empty;
        const lineOf = (offset: number) => new LineIndex(text).position(offset).line;
        const structure = structureProblems(document, lineOf);
        if ("value" in fast) {
          expect(structure, text).to.be.empty;
          expect(fast.value, text).to.deep.equal(document.toJS());
        } else {
          repeated++;
          const positions = plainPositions(text);
          expect(positions, text).to.not.equal(undefined);
          if (positions)
            expect(byOffset(plainStructureProblems(positions, lineOf)), text).to.deep.equal(byOffset(structure));
        }
      }),
      { numRuns: 3000, seed: 20261126 },
    );
    // Not vacuous: every outcome happens often.
    expect(answered, "documents the fast reader read").to.be.greaterThan(300);
    expect(repeated, "documents with keys given twice").to.be.greaterThan(100);
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
      `list:\n${"- a:\n    b: 1\n".repeat(500)}`, // many mappings, each two deep: depth is not a count
    ];
    for (const text of documents) {
      const fast = parsePlainYaml(text);
      expect(fast, text).to.not.equal(undefined);
      expect(fast && "value" in fast ? fast.value : fast, text).to.deep.equal(libraryValue(text)?.value);
    }
  });

  it("leaves to the library what only it reads right, or reports", () => {
    const documents = [
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

  it("finds a key given twice in a mapping, at any depth, with the library's message and place", () => {
    const text = ["a: 1", "b:", "  c: 2", "  c: 3 # again", "list:", "  - id: x", "    'id': y", "a: 4", ""].join("\n");
    expect(parsePlainYaml(text)).to.deep.equal({ keysGivenTwice: true });
    const lineOf = (offset: number) => new LineIndex(text).position(offset).line;
    const library = structureProblems(parseDocument(text, { uniqueKeys: false }), lineOf);
    expect(byOffset(library).map((problem) => problem.message)).to.deep.equal([
      "b: the key `c` is already given at line 3 of this mapping (YAML would keep only one of the values); remove one",
      "list[0]: the key `id` is already given at line 6 of this mapping (YAML would keep only one of the values); remove one",
      "the file: the key `a` is already given at line 1 of this mapping (YAML would keep only one of the values); remove one",
    ]);
    const positions = plainPositions(text);
    expect(positions && byOffset(plainStructureProblems(positions, lineOf))).to.deep.equal(byOffset(library));
  });

  it("leaves mappings nested deeper than 200 levels to the library, which reports them (they would overflow the stack)", () => {
    const nested = (depth: number) =>
      `${Array.from({ length: depth }, (_, i) => `${" ".repeat(i)}k${i}:`).join("\n")}\n`;
    expect(parsePlainYaml(nested(200))).to.have.property("value");
    expect(parsePlainYaml(nested(201))).to.equal(undefined);
    const deep = parseInventory(nested(5_000), "deep.yaml");
    expect(deep.ok).to.equal(false);
    if (!deep.ok) expect(deep.problems[0].message).to.match(/^YAML syntax: /);
  });

  it("reads the bundled example inventory, as the library does", () => {
    const text = fs.readFileSync(path.resolve(__dirname, "..", "..", "config", "accounts.yaml"), "utf8");
    const fast = parsePlainYaml(text);
    expect(fast).to.have.property("value");
    expect(fast && "value" in fast ? fast.value : fast).to.deep.equal(libraryValue(text)?.value);
  });
});
