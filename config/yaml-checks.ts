import { type Document, isAlias, isMap, isPair, isScalar, isSeq, type Node, type Pair, visit } from "yaml";
import { describePath, isMergeKey, type PathSegment, shown } from "./locate";
import type { PlainPositions } from "./plain-yaml";

/**
 * Checks of the inventory's text and YAML structure that come before its values are read: a file that is
 * not text at all, characters YAML does not allow, keys that are not text, keys given twice. Each problem
 * is an offset in the text and a message; load.ts turns offsets into lines and columns.
 */

export interface TextProblem {
  readonly offset: number;
  readonly message: string;
}

/**
 * YAML 1.2 counts a lone CR as a line break, the yaml library does not (a file saved with old Mac line
 * endings would be one long line). Replacing each lone CR by LF keeps every offset where it was.
 */
export function normalizeLineBreaks(text: string): string {
  return text.includes("\r") ? text.replace(/\r(?!\n)/g, "\n") : text;
}

/**
 * Characters outside YAML's printable set (c-printable: tab, LF, CR, U+0020–U+007E, U+0085,
 * U+00A0–U+D7FF, U+E000–U+FFFD, astral planes), plus U+FFFD, the mark of bytes that were not UTF-8.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is what it is for.
const NOT_PRINTABLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u0084\u0086-\u009F\uFFFD\uFFFE\uFFFF]/g;

/** More characters YAML refuses than this, or any NUL or non-UTF-8 byte: the file is not text. */
const STRAY_CHARACTERS = 5;

/**
 * One "not a text YAML file" problem for a binary file (a NUL, bytes that are not UTF-8, or many
 * characters YAML does not allow), else one problem per character YAML does not allow. Nothing of the
 * file's content is quoted: it would only print as mojibake.
 */
export function textProblems(text: string): TextProblem[] {
  const found: { offset: number; character: string }[] = [];
  for (const match of text.matchAll(NOT_PRINTABLE)) {
    found.push({ offset: match.index, character: match[0] });
    if (found.length > STRAY_CHARACTERS) break;
  }
  if (found.length === 0) return [];
  const binary = found.find((item) => item.character === "\u0000" || item.character === "\uFFFD");
  if (binary || found.length > STRAY_CHARACTERS) {
    const first = binary ?? found[0];
    const what =
      first.character === "\u0000"
        ? "it contains NUL bytes (a binary file, or text saved as UTF-16)"
        : first.character === "\uFFFD"
          ? "it contains bytes that are not UTF-8"
          : "it contains many control characters";
    return [{ offset: first.offset, message: `not a text YAML file: ${what}; the inventory is UTF-8 text` }];
  }
  return found.map(({ offset, character }) => ({
    offset,
    message:
      `the character ${codePoint(character)} is not allowed in a YAML file; ` +
      `remove it (inside double quotes it may be written as \\u${hex(character)})`,
  }));
}

function hex(character: string): string {
  return (character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0");
}

function codePoint(character: string): string {
  return `U+${hex(character)}`;
}

/** What `<<:` may merge: a mapping, an alias of one, or a list of those. */
function isMergeSource(document: Document, value: Node | null): boolean {
  const one = (node: unknown) => isMap(isAlias(node) ? node.resolve(document) : node);
  return isSeq(value) ? value.items.every(one) : one(value);
}

/**
 * Keys the inventory cannot have: a YAML complex key (`? { x: 1 }`, `? [a, b]`), which no key of the
 * inventory can be (JavaScript would turn it into the text "{ x: 1 }", with a warning on stderr), and a key
 * given twice in one mapping (YAML keeps only one of the two values). Keys are compared as the text they
 * become: `1` and `"1"` are the same key. A linear pass, unlike the yaml library's own `uniqueKeys`
 * check, which compares every pair of keys of a mapping (minutes for a mapping of 100,000 keys).
 */
export function structureProblems(document: Document, lineOf: (offset: number) => number): TextProblem[] {
  const problems: TextProblem[] = [];
  visit(document, {
    Map(_, map, ancestors) {
      // Only worked out for a mapping with a problem: finding a list item's index is a search.
      const where = () => describePath(pathOf(document, ancestors, map));
      const seen = new Map<string, Pair>();
      for (const pair of map.items) {
        const key = keyText(document, pair.key as Node | null);
        const offset = (pair.key as Node | null)?.range?.[0] ?? map.range?.[0] ?? 0;
        if (key === undefined) {
          problems.push({
            offset,
            message:
              `${where()}: a key must be text; ` +
              `a YAML complex key (\`? \` then a mapping or a list) is not allowed`,
          });
          continue;
        }
        if (isMergeKey(pair.key)) {
          if (!isMergeSource(document, pair.value as Node | null))
            problems.push({
              offset,
              message:
                `${where()}: a merge key \`<<\` takes a mapping, ` +
                `an alias of one (\`<<: *name\`) or a list of them`,
            });
          continue;
        }
        const first = seen.get(key);
        if (first === undefined) seen.set(key, pair);
        else
          problems.push({
            offset,
            message: keyGivenTwice(where(), key, lineOf((first.key as Node | null)?.range?.[0] ?? 0)),
          });
      }
    },
  });
  return problems;
}

function keyGivenTwice(where: string, key: string, firstLine: number): string {
  return (
    `${where}: the key \`${shown(key)}\` is already given at line ${firstLine} ` +
    "of this mapping (YAML would keep only one of the values); remove one"
  );
}

/** structureProblems for a plain document (config/plain-yaml.ts): its keys given twice, the same messages. */
export function plainStructureProblems(document: PlainPositions, lineOf: (offset: number) => number): TextProblem[] {
  const paths = pathsOf(document);
  return document.repeated.map(({ mapping, key, offset, firstOffset }) => ({
    offset,
    message: keyGivenTwice(describePath(paths.get(mapping) ?? []), key, lineOf(firstOffset)),
  }));
}

/**
 * The paths of the mappings that give a key twice. A value given again is not in the document's value (it
 * keeps the first), but a mapping inside it can give a key twice too: its path goes through the key.
 */
function pathsOf(document: PlainPositions): Map<object, PathSegment[]> {
  const targets = new Set(document.repeated.map((repeat) => repeat.mapping));
  const paths = new Map<object, PathSegment[]>();
  const walk = (node: unknown, path: PathSegment[]): void => {
    if (node === null || typeof node !== "object") return;
    if (targets.has(node)) paths.set(node, path);
    if (Array.isArray(node)) for (const [index, item] of node.entries()) walk(item, [...path, index]);
    else for (const [key, child] of Object.entries(node)) walk(child, [...path, key]);
  };
  walk(document.value, []);
  // Inner mappings are read, and so listed, before the mapping that holds them: the last first.
  for (const repeat of [...document.repeated].reverse()) {
    const parent = paths.get(repeat.mapping);
    if (parent) walk(repeat.value, [...parent, repeat.key]);
  }
  return paths;
}

/** `accounts[0].tags` for a mapping, from the nodes above it. */
function pathOf(document: Document, ancestors: readonly unknown[], node: unknown): PathSegment[] {
  const segments: PathSegment[] = [];
  ancestors.forEach((ancestor, index) => {
    const child = ancestors[index + 1] ?? node;
    if (isPair(ancestor)) segments.push(keyText(document, ancestor.key as Node | null) ?? "?");
    else if (isSeq(ancestor)) segments.push(ancestor.items.indexOf(child as Node));
  });
  return segments;
}

/** The text a key becomes, or undefined for a collection (a complex key). */
function keyText(document: Document, key: Node | null): string | undefined {
  if (key === null) return "";
  const node = isAlias(key) ? key.resolve(document) : key;
  if (node === undefined || isMap(node) || !isScalar(node)) return undefined;
  return String(node.value);
}

/**
 * What a document's aliases expand to, where they might be a bomb: each alias stands for its anchor's whole
 * value, so ten anchors of ten aliases each are 10^10 values to whoever walks them (the schema check does).
 * A document may hold about one value per byte written, and 100,000 more (for anchors used in every
 * account); beyond that, or for an anchor that contains itself, the problem to report. The yaml library's
 * own guard counts uses of an anchor instead (more than 100 are refused), which refuses `<<: *common` in an
 * inventory of 101 accounts.
 */
export function aliasProblem(value: unknown, textLength: number): string | undefined {
  const limit = textLength + EXTRA_EXPANDED_VALUES;
  let count = 0;
  const inside = new Set<object>();
  const walk = (node: unknown): "cycle" | "over" | undefined => {
    if (++count > limit) return "over";
    if (node === null || typeof node !== "object") return undefined;
    if (inside.has(node)) return "cycle";
    inside.add(node);
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      const found = walk(child);
      if (found) return found;
    }
    inside.delete(node);
    return undefined;
  };
  const found = walk(value);
  if (found === "cycle") return "an anchor holds an alias of itself: the value would contain itself";
  if (found === "over")
    return (
      `the aliases expand to more than ${limit.toLocaleString("en-US")} values ` +
      "(nested aliases, an alias bomb?); write the values out, or alias fewer levels deep"
    );
  return undefined;
}

/** Values beyond one per byte that aliases may expand a document to (an anchor in each of 95,000 accounts). */
const EXTRA_EXPANDED_VALUES = 100_000;
