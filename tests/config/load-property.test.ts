import { expect } from "chai";
import fc from "fast-check";
import * as fs from "node:fs";
import * as path from "node:path";
import { type LoadResult, type Problem, parseInventory } from "../../config/load";
import { parsePlainYaml } from "../../config/plain-yaml";

/**
 * Random edits of the bundled example, in the ways people break YAML by hand: the loader must either
 * accept the result or report problems located inside the file. It must never throw.
 */
const EXAMPLE = fs.readFileSync(path.resolve(__dirname, "..", "..", "config", "accounts.yaml"), "utf8");
const LINES = EXAMPLE.split("\n");
const KEY_LINE = /^(\s*(?:- )?)([A-Za-z][\w-]*):(.*)$/;
const keyLines = LINES.map((line, index) => (KEY_LINE.test(line) ? index : -1)).filter((index) => index >= 0);

type Edit = (lines: string[]) => string[];

const pickKeyLine = fc.constantFrom(...keyLines);

const edits: fc.Arbitrary<Edit>[] = [
  // Delete a key (and whatever is nested under it stays, now misplaced).
  pickKeyLine.map<Edit>((index) => (lines) => lines.filter((_, i) => i !== index)),
  // Change a scalar's type.
  fc.tuple(pickKeyLine, fc.constantFrom("42", "true", "null", "[]", "{}", '""', "012345678901", "-1", "1.5")).map<Edit>(
    ([index, value]) =>
      (lines) =>
        lines.map((line, i) =>
          i === index ? line.replace(KEY_LINE, (_, indent: string, key: string) => `${indent}${key}: ${value}`) : line,
        ),
  ),
  // Insert garbage characters anywhere.
  fc
    .tuple(
      fc.nat(LINES.length - 1),
      fc.nat(80),
      fc.string({ unit: fc.constantFrom(..."{}[]:-#&*!|>'\"%@` \t\nabc01"), maxLength: 6 }),
    )
    .map<Edit>(
      ([index, column, garbage]) =>
        (lines) =>
          lines.map((line, i) => (i === index ? line.slice(0, column) + garbage + line.slice(column) : line)),
    ),
  // Rename a key.
  fc.tuple(pickKeyLine, fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9]{0,12}$/)).map<Edit>(
    ([index, name]) =>
      (lines) =>
        lines.map((line, i) =>
          i === index
            ? line.replace(KEY_LINE, (_, indent: string, _key: string, rest: string) => `${indent}${name}:${rest}`)
            : line,
        ),
  ),
  // Give a key a second time (its line again, right after it).
  pickKeyLine.map<Edit>((index) => (lines) => lines.flatMap((line, i) => (i === index ? [line, line] : [line]))),
  // Duplicate an account (its first line and the following indented lines).
  fc.constant<Edit>((lines) => {
    const start = lines.findIndex((line) => line.startsWith("  - id:"));
    let end = start + 1;
    while (end < lines.length && lines[end].startsWith("    ")) end++;
    return [...lines, ...lines.slice(start, end)];
  }),
  // Re-indent a line.
  fc.tuple(fc.nat(LINES.length - 1), fc.integer({ min: -4, max: 4 })).map<Edit>(
    ([index, shift]) =>
      (lines) =>
        lines.map((line, i) =>
          i !== index
            ? line
            : shift >= 0
              ? " ".repeat(shift) + line
              : line.slice(Math.min(-shift, line.length - line.trimStart().length)),
        ),
  ),
];

/**
 * Syntax errors found in islands (config/yaml-island.ts) against the library's in the whole file: both
 * refuse with syntax problems, the first one at the same place. After it the two may part: the library's recovery
 * from an error reads the following lines in its own way, and a quote never closed runs to the island's end
 * in one, to the next quote of the file in the other (so only its message is compared).
 */
function expectSameSyntaxProblems(fast: LoadResult, library: LoadResult, text: string): void {
  expect(fast.ok || library.ok, text).to.equal(false);
  if (fast.ok || library.ok) return;
  const shape = (problem: Problem) =>
    /^YAML syntax: Missing closing/.test(problem.message)
      ? problem.message
      : `${problem.line}:${problem.column}: ${problem.message}`;
  expect(
    fast.problems.every((problem) => problem.message.startsWith("YAML syntax: ")),
    text,
  ).to.equal(true);
  // The first error is at the same place; its wording may differ where the library's depends on the
  // lines after the island (which the island does not see).
  const first = fast.problems[0];
  if (shape(first) === shape(library.problems[0])) return;
  if (first.line === library.problems[0].line && first.column === library.problems[0].column) return;
  // A quote never closed inside a flow collection runs, in the whole file, to the file's next quote, and the
  // library's first error comes from there: then both must report the quote.
  const quotes = (problems: Problem[]) =>
    problems.map((problem) => problem.message).filter((message) => /^YAML syntax: Missing closing/.test(message));
  expect(quotes(fast.problems), text).to.not.be.empty;
  expect(quotes(library.problems), text).to.include(quotes(fast.problems)[0]);
}

describe("config/load parseInventory: random edits of the example", () => {
  it("either validates or reports problems located inside the file, never throws", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(...edits), { minLength: 1, maxLength: 4 }), (chosen) => {
        const text = chosen.reduce((lines, edit) => edit(lines), LINES).join("\n");
        const textLines = text.split("\n");
        const result = parseInventory(text, "accounts.yaml");
        if (result.ok) return;
        expect(result.problems).to.not.be.empty;
        for (const problem of result.problems) {
          expect(problem.file).to.equal("accounts.yaml");
          expect(problem.line, problem.message).to.be.within(1, textLines.length);
          expect(problem.column, problem.message).to.be.within(1, textLines[problem.line - 1].length + 1);
          expect(problem.message).to.be.a("string").and.not.be.empty;
        }
      }),
      { numRuns: 400 },
    );
  });

  it("the plain reader and the yaml library give the same result: the inventory, or the same problems at the same places", () => {
    let plainRefused = 0;
    let islandSyntax = 0;
    fc.assert(
      fc.property(fc.array(fc.oneof(...edits), { minLength: 1, maxLength: 4 }), (chosen) => {
        const text = chosen.reduce((lines, edit) => edit(lines), LINES).join("\n");
        const fast = parseInventory(text, "accounts.yaml");
        const library = parseInventory(text, "accounts.yaml", { plainReader: false });
        const plain = parsePlainYaml(text);
        if (plain !== undefined && "syntaxErrors" in plain) {
          islandSyntax++;
          expectSameSyntaxProblems(fast, library, text);
        } else expect(fast, text).to.deep.equal(library);
        if (!fast.ok && plain !== undefined) plainRefused++;
      }),
      { numRuns: 400, seed: 20261126 },
    );
    // Not vacuous: many refused files were plain, so their problems were located by the plain reader, and
    // many had syntax errors found in islands.
    expect(plainRefused).to.be.greaterThan(100);
    expect(islandSyntax).to.be.greaterThan(30);
  });

  it("the edits do break the example (the property above is not vacuous)", () => {
    const sample = fc.sample(fc.array(fc.oneof(...edits), { minLength: 1, maxLength: 4 }), { numRuns: 200, seed: 42 });
    const refused = sample.filter(
      (chosen) => !parseInventory(chosen.reduce((lines, edit) => edit(lines), LINES).join("\n"), "a.yaml").ok,
    );
    expect(refused.length).to.be.greaterThan(100);
  });
});
