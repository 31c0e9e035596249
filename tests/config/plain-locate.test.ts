import { expect } from "chai";
import fc from "fast-check";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { LineIndex, Locator, type PathSegment, type Target } from "../../config/locate";
import { PlainLocator } from "../../config/plain-locate";
import { plainPositions } from "../../config/plain-yaml";
import { yamlDocument } from "../support/yaml-documents";

/**
 * config/plain-locate.ts against Locator on the yaml library's document: for every path into a plain
 * document (each key and item, a key or an item that is not there, a path through a scalar), both targets,
 * the same line and column, and the same source text.
 */

/** Every path into `value`, and paths just beyond: a missing key or item, one segment past a scalar. */
function pathsInto(value: unknown, prefix: PathSegment[] = []): PathSegment[][] {
  const paths: PathSegment[][] = [prefix];
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) paths.push(...pathsInto(item, [...prefix, index]));
    // An index as text ("0") is no index of a list, for the yaml library either.
    paths.push([...prefix, value.length], [...prefix, "missing"], [...prefix, "0"]);
  } else if (value !== null && typeof value === "object") {
    for (const [key, child] of Object.entries(value)) paths.push(...pathsInto(child, [...prefix, key]));
    paths.push([...prefix, "missing"], [...prefix, 0]);
  } else paths.push([...prefix, "beyond"], [...prefix, 0]);
  return paths;
}

function compareLocators(text: string): boolean {
  const positions = plainPositions(text);
  if (positions === undefined) return false;
  const lines = new LineIndex(text);
  const document = parseDocument(text, { prettyErrors: false, uniqueKeys: false, merge: true });
  const library = new Locator(document, lines, text);
  const plain = new PlainLocator(positions, lines, text);
  for (const segments of pathsInto(positions.value)) {
    for (const target of ["value", "key"] as Target[]) {
      const where = `${JSON.stringify(segments)} (${target}) in\n${text}`;
      expect(plain.position(segments, target), where).to.deep.equal(library.position(segments, target));
    }
    expect(plain.sourceText(segments), `${JSON.stringify(segments)} in\n${text}`).to.equal(
      library.sourceText(segments),
    );
  }
  return true;
}

describe("plain-locate: problems are located as in the yaml library's document", () => {
  it("the same positions and source texts for every path (generated documents)", () => {
    let compared = 0;
    fc.assert(
      fc.property(yamlDocument, (text) => {
        if (compareLocators(text)) compared++;
      }),
      { numRuns: 2000, seed: 20261126 },
    );
    expect(compared, "documents compared").to.be.greaterThan(200);
  });

  it("the same for the bundled example inventory", () => {
    const text = fs.readFileSync(path.resolve(__dirname, "..", "..", "config", "accounts.yaml"), "utf8");
    expect(compareLocators(text)).to.equal(true);
  });
});
