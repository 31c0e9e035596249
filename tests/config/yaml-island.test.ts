import { expect } from "chai";
import { parseDocument } from "yaml";
import { LineIndex, Locator, type PathSegment } from "../../config/locate";
import { PlainLocator } from "../../config/plain-locate";
import { parsePlainYaml, plainPositions } from "../../config/plain-yaml";
import { libraryValue } from "../support/yaml-documents";

/**
 * Islands (config/yaml-island.ts): an entry or list item the plain reader cannot read, read by the yaml
 * library alone. The generated documents check that the answers agree; these check that the island is
 * the way the answer came (a file the library must read whole gives the same answer, only slower), and
 * each rule for where an island ends, what it may hold and where its problems are.
 */

/** The reader's answer; `undefined` would mean the whole file went to the library. */
function read(text: string): unknown {
  const fast = parsePlainYaml(text);
  expect(fast, `read in parts: ${JSON.stringify(text)}`).to.not.equal(undefined);
  return fast;
}

/** The plain reader's locator for `text` (which it must read in parts) and the library's, to compare. */
function locators(text: string): { plain: PlainLocator; library: Locator } {
  const positions = plainPositions(text);
  if (positions === undefined) throw new Error(`read whole by the library: ${JSON.stringify(text)}`);
  const lines = new LineIndex(text);
  return {
    plain: new PlainLocator(positions, lines, text),
    library: new Locator(parseDocument(text, { merge: true }), lines, text),
  };
}

describe("yaml-island: what the plain reader leaves to the library, in parts", () => {
  it("reads an entry with a tag as an island, and the plain entries around it itself", () => {
    const text = "a: x\nb: !!int 1\nc: y\n";
    expect(read(text)).to.deep.equal({ value: { a: "x", b: 1, c: "y" } });
  });

  it("reads a list item with a tag as an island", () => {
    expect(read("- x\n- !!int 2\n- y\n")).to.deep.equal({ value: ["x", 2, "y"] });
  });

  it("keeps in the island a flow collection's closing line at the entry's own indentation", () => {
    const text = "a: !!seq [\n  x,\n]\nb: 1\n";
    expect(read(text)).to.deep.equal({ value: libraryValue(text)?.value });
  });

  it("keeps the deeper lines of an entry in its island, and stops at the next entry", () => {
    const text = "a:\n  b: !!map\n    c: 1\n    d: [2]\n  e: 3\n";
    expect(read(text)).to.deep.equal({ value: { a: { b: { c: 1, d: [2] }, e: 3 } } });
  });

  it("locates a path inside an island's mapping with the island's own document", () => {
    const { plain, library } = locators("top: x\na: !!map {b: 1, c: [x, y]}\nlist:\n  - !!map {d: 2}\n");
    const paths: PathSegment[][] = [["a"], ["a", "b"], ["a", "c", 1], ["a", "missing"], ["list", 0, "d"], ["list", 0]];
    for (const path of paths) {
      expect(plain.position(path), JSON.stringify(path)).to.deep.equal(library.position(path));
      expect(plain.position(path, "key"), JSON.stringify(path)).to.deep.equal(library.position(path, "key"));
      expect(plain.sourceText(path), JSON.stringify(path)).to.equal(library.sourceText(path));
    }
    expect(plain.position(["a", "c", 1])).to.deep.equal({ line: 2, column: 24 });
  });

  it("points `key:` with nothing after it at its key, in an island as in the library", () => {
    const { plain, library } = locators("a: !!map\n  b:\n  c: !!int 3\n");
    expect(plain.position(["a", "b"])).to.deep.equal(library.position(["a", "b"]));
    expect(plain.position(["a", "b"])).to.deep.equal({ line: 2, column: 3 });
  });

  it("reports an island's syntax errors where the library reports them in the whole file", () => {
    const text = "a: x\nb: !!int [1, 2\nc: y\nd: !!str 'never closed\n";
    const fast = parsePlainYaml(text);
    const libraryErrors = parseDocument(text, { prettyErrors: false }).errors;
    const library = libraryErrors.map((error) => error.pos[0]);
    expect(fast).to.have.property("syntaxErrors");
    if (!fast || !("syntaxErrors" in fast)) return;
    const offsets = fast.syntaxErrors.map((error) => error.offset);
    // A flow collection never closed: where the next line starts, as the library says, in its words.
    expect(offsets[0]).to.equal(library[0]).and.to.equal(text.indexOf("c: y"));
    expect(fast.syntaxErrors[0].message).to.equal(libraryErrors[0].message);
    // A quote never closed: at the end of its line, not in the lines after it.
    expect(offsets).to.include(text.indexOf("d: ") + "d: !!str 'never closed".length);
  });

  it("leaves the whole file to the library where an island cannot stand for its part", () => {
    const documents = [
      "a: &x 1\nb: !!seq [*x]\n", // an alias in an island: its anchor is the whole document's
      "a: !!str |\n  x\n", // a block scalar in an island: which blank lines after it are its own
      "a: !!map {b: 1, b: 2}\n", // a key given twice inside: named by the whole document's path
      "a: !!int\nb: 1\n", // a tag on nothing: the library reads the next line on from it
      "a: !!seq [x # c\nb: 1\n", // a flow collection never closed, with a comment about
      "- !!map {a: 1}\n- x\n- <<: *y\n", // a merge of what is not kept here
    ];
    for (const text of documents) expect(parsePlainYaml(text), JSON.stringify(text)).to.equal(undefined);
  });

  it("merges no mapping an island gave: its keys would have no places", () => {
    expect(parsePlainYaml("a: &m !!map {b: 1}\nc:\n  <<: *m\n")).to.equal(undefined);
  });
});
