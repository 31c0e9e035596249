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

/**
 * An island (config/yaml-island.ts) sees the same lines as the library in the whole file, so its first error
 * is at the same place (the wording may differ where the library's depends on the lines after the island);
 * a quote never closed is the exception: the library's reading of it runs to the next quote
 * anywhere in the file, the island's to the island's end (its message is the same). After the first error
 * the two may part: the library's recovery reads the lines after it in its own way.
 */
function expectSameErrors(
  fast: readonly { offset: number; message: string }[],
  library: readonly { pos: [number, number]; message: string }[],
  text: string,
): void {
  const unclosed = (message: string) => /^Missing closing/.test(message);
  const shape = (errors: { offset: number; message: string }[]) =>
    errors.map(({ offset, message }) => (unclosed(message) ? message : `${offset} ${message}`));
  const libraryErrors = library.map((error) => ({ offset: error.pos[0], message: error.message }));
  // The first error is at the same place; its wording may differ where the library's depends on the
  // lines after the island (which the island does not see).
  if (shape([fast[0]])[0] === shape([libraryErrors[0]])[0]) return;
  if (fast[0].offset === libraryErrors[0].offset) return;
  // A quote never closed inside a flow collection runs, in the whole file, to the file's next quote, and the
  // library's first error comes from there: then both must report the quote.
  const quotes = (errors: readonly { message: string }[]) =>
    errors.map((error) => error.message).filter((message) => unclosed(message));
  expect(quotes(fast), text).to.not.be.empty;
  expect(quotes(libraryErrors), text).to.include(quotes(fast)[0]);
}

/**
 * JSON as an inventory would be: a mapping or a list at the top, numbers, any strings and keys.
 */
const jsonDocument = fc
  .oneof(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })), fc.array(fc.jsonValue({ maxDepth: 3 })))
  .map((value) => JSON.parse(JSON.stringify(value)));

/** Problems in file order (the loader sorts them; the two readers find them in different orders). */
function byOffset(problems: readonly TextProblem[]): TextProblem[] {
  return [...problems].sort((a, b) => a.offset - b.offset);
}

describe("plain-yaml: the fast reader agrees with the yaml library", () => {
  it("answers only where the library reads the same value, finds the same keys given twice or the same syntax errors (generated documents)", () => {
    let answered = 0;
    let repeated = 0;
    let declined = 0;
    let syntax = 0;
    fc.assert(
      fc.property(yamlDocument, (text) => {
        const fast = parsePlainYaml(text);
        if (fast === undefined) {
          declined++;
          return;
        }
        const document = parseDocument(text, { prettyErrors: false, uniqueKeys: false, merge: true });
        // Warnings (an unknown tag such as `!x`) are not problems on either way of reading.
        if ("syntaxErrors" in fast) {
          syntax++;
          expect(document.errors, `islands found errors the library does not:\n${text}`).to.not.be.empty;
          expectSameErrors(fast.syntaxErrors, document.errors, text);
          return;
        }
        answered++;
        expect(document.errors, `the library refuses what the fast reader read:\n${text}`).to.be.empty;
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
    expect(syntax, "documents with syntax errors found in islands").to.be.greaterThan(100);
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
      `${"k".repeat(1000)}: 1\n'${"q".repeat(998)}': 2\n`, // keys as long as the reader reads them
      `list:\n${"- a:\n    b: 1\n".repeat(500)}`, // many mappings, each two deep: depth is not a count
      "---\na: 1\n...\n", // document markers around the one document
      "\uFEFF# a comment\na: 1\n", // a byte-order mark, as editors on Windows write it
    ];
    for (const text of documents) {
      const fast = parsePlainYaml(text);
      expect(fast, text).to.not.equal(undefined);
      expect(fast && "value" in fast ? fast.value : fast, text).to.deep.equal(libraryValue(text)?.value);
    }
  });

  it("reads JSON (YAML's flow style) as the library does (generated documents)", () => {
    let answered = 0;
    fc.assert(
      fc.property(jsonDocument, fc.constantFrom(0, 2, 4), (value, indent) => {
        const text = `${JSON.stringify(value, null, indent)}\n`;
        const fast = parsePlainYaml(text);
        if (fast === undefined || !("value" in fast)) return;
        answered++;
        expect(fast.value, text).to.deep.equal(libraryValue(text)?.value);
      }),
      { numRuns: 1000, seed: 20261126 },
    );
    expect(answered, "JSON documents the fast reader read").to.be.greaterThan(300);
  });

  it("reads flow collections itself, on one line or several, as the library does", () => {
    const documents = [
      "a: [1, two, 'three', \"f\\u00fcnf\"]\nb: {c: [d, {e: f}], 'g': h}\n",
      "a: [\n  x,\n  y, # a comment\n]\n", // the closing bracket at the entry's indentation
      "l:\n  - [\n    x,\n  ]\n  - {a: 1,}\n", // trailing commas
      'a:\n  {"b":1, "c":[true,null,-2]}\n', // JSON on a line of its own
      '{\n  "organization": "o-a1b2c3d4e5",\n  "accounts": [\n    {"id": "111111111111"}\n  ]\n}\n', // a JSON file
      "arns: [arn:aws:kms:eu-west-1:111111111111:key/abc, arn:aws:kms:eu-west-1:111111111111:key/def]\n",
    ];
    for (const text of documents) {
      const fast = parsePlainYaml(text);
      expect(fast, JSON.stringify(text)).to.have.property("value");
      expect(fast && "value" in fast ? fast.value : fast, text).to.deep.equal(libraryValue(text)?.value);
      expect(plainPositions(text)?.islandCount, `no island: ${JSON.stringify(text)}`).to.equal(0);
    }
    // A key given twice in a flow mapping is found as in a block one.
    expect(parsePlainYaml("a: {b: 1, b: 2}\n")).to.deep.equal({ keysGivenTwice: true });
  });

  it("reads scalars, flow collections and block scalars itself, without an island, as the library does", () => {
    const documents = [
      'a: "\\x41\\u00e9\\U0001F600\\t\\"\\\\\\/\\0\\a\\b\\e\\f\\n\\r\\v\\N\\_\\L\\P\\ "\n', // every escape
      "a: 'it''s'\nb: ''''\nc: 'x' # c\n", // a quote written twice in single quotes
      "a: 0o17\nb: 0x1F\nc: -.Inf\nd: .NaN\ne: 1.5e3\nf: -0\ng: +12\nh: .5\ni: 1.\n", // the core schema's numbers
      "a: x   # trailing spaces then a comment\nb: 'q'   \n",
      "a: [x, 'it''s', \"\\u0041\", 0x10, {b: c}]\nb: {c: [], d: {}}\n",
      "a: |\n  one\n\n  two\nb: >\n  folded\n  text\n\n  next\nc: |-\n  x\nd: |+\n  y\n\ne: z\n",
      "a: long text\n  that wraps\n  twice\nb: !!str 012\n",
      "a: &x {b: 1}\nc: *x\nd:\n  <<: *x\n  e: 2\n",
      "a: [x, # a comment\n  y,\n  # a comment line\n  z]\n", // comments inside a flow collection
      "a: [\r\n  x,\r\n  y\r\n]\r\nb: 1\r\n", // CRLF line endings
      '{"a":1,"b":"x","c":[1,2],"d":{"e":null}}\n', // JSON without spaces
      "a: [arn:aws:s3:::b/k, x y, 'q', a:b]\nb: {'k': v, \"l\": w, m: n}\n", // colons and spaces inside plain scalars
      "a: [x, y,]\nb: {c: 1, d: 2,}\n", // trailing commas
      "k:\n  a: [\n    x\n  ]\n  b: {\n    c: 1\n  }\n", // the closing bracket at the entry's indentation
      '[\n  {"a": [1,\n   2]},\n  [3]\n]\n', // a JSON list at the top, over several lines
    ];
    for (const text of documents) {
      const positions = plainPositions(text);
      expect(positions?.islandCount, JSON.stringify(text)).to.equal(0);
      expect(positions?.value, text).to.deep.equal(libraryValue(text)?.value);
    }
  });

  it("refuses collections nested deeper than 1,000 levels itself: the library overflows its stack there", () => {
    const nested = (depth: number) => `a: ${"[".repeat(depth)}${"]".repeat(depth)}\n`;
    // The mapping around counts as one level.
    expect(parsePlainYaml(nested(999))).to.have.property("value");
    expect(parsePlainYaml(nested(1000))).to.deep.equal({
      syntaxErrors: [
        { offset: 1002, message: "collections nested deeper than 1,000 levels (an inventory nests 4 deep)" },
      ],
    });
    expect(parseDocument(nested(5000), { prettyErrors: false }).errors[0]?.message).to.equal(
      "Maximum call stack size exceeded",
    );
  });

  it("reads what the plain subset lacks, itself or in islands, as the library does", () => {
    const documents = [
      "a: !!str 1\n",
      "a: |\n  text\n",
      "a: |\n  text\n\n  more\n# a comment after it\nb: >-\n  folded\n  text\n", // block scalars read here
      "a: |+\n  x\n\n\nb: |+\n  y\n", // kept: the blank lines after it are its own
      "a: [1, 2]\nb: {c: 1}\n",
      'a: "esc\\n"\n',
      "a: 1.5\nb: 0x1F\n",
      "a: multi\n  line\n",
      "a: &x 1\n", // an anchor no alias uses
      "a: &x 1\nb: *x\nc: [*x, {d: *x}]\n", // aliases of it
      "a: &m\n  b: 1\n  c: 2\nd:\n  c: 3\n  <<: *m\ne:\n  <<: [*m, {f: 4}]\n  b: 5\n", // merge keys
      "- &i\n  a: 1\n- *i\n- &j x\n- *j\n",
      "<<: {a: 1}\nb: 2\n", // a merge at the top, of no anchor
      "l:\n  - [\n    x,\n  ]\n", // a flow collection's closing line at the item's indentation
      "a:\n  b: 1\n  c: &t\n    d: 2\n  e: 3\n",
      "- x\n- !!str 2\n- y\n",
    ];
    for (const text of documents) {
      const fast = parsePlainYaml(text);
      expect(fast, JSON.stringify(text)).to.have.property("value");
      expect(fast && "value" in fast ? fast.value : fast, text).to.deep.equal(libraryValue(text)?.value);
    }
  });

  it("reports the syntax errors of every island, as the library does", () => {
    const text = "a: 1\nb: c: d\ne: 2\nf: [unclosed\ng: 3\n";
    const fast = parsePlainYaml(text);
    const library = parseDocument(text, { prettyErrors: false });
    expect(fast).to.have.property("syntaxErrors");
    if (fast && "syntaxErrors" in fast) {
      expect(fast.syntaxErrors.map((error) => error.offset)).to.include.members([8, 31]);
      expectSameErrors(fast.syntaxErrors, library.errors, text);
    }
  });

  it("leaves to the library the whole file where no part can be read alone", () => {
    const documents = [
      "a: &x !!int 1\nb: *x\n", // an alias of an anchor in an island: YAML resolves it in the whole document
      "a: !x\nb: 1\n", // a tag on nothing: the library reads the next line on from it
      "a: &x\nb: 1\n", // an anchor on nothing, the same
      "a:\n\tb: 1\n",
      "__proto__: 1\n",
      "a : 1\n", // a line that is no key, at the top: no mapping around it to read it with
      "  a: 1\n",
      "? a\n: 1\n",
      "---\na: 1\n---\nb: 2\n", // two documents: the library reports it
      "# only a comment\n",
      "",
      `${"k: !!int 1\n".repeat(2001)}`, // more islands than one parse of the whole file costs
      Array.from({ length: 101 }, (_, i) => `k${i}: b: c\n`).join(""), // more than 100 islands with errors
    ];
    for (const text of documents) expect(parsePlainYaml(text), JSON.stringify(text).slice(0, 80)).to.equal(undefined);
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
