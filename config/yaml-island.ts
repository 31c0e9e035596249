import { type Document, isMap, isScalar, isSeq, type Node, parseDocument, Scalar, visit } from "yaml";
import { structureProblems } from "./yaml-checks";

/**
 * One entry of a mapping (`key: value` and its deeper lines) or one item of a list that the plain reader
 * (plain-yaml.ts) cannot read, read by the yaml library on its own: an *island*. The rest of the file stays
 * plain, so one anchor, one block scalar or one syntax error in a 4.8 MB inventory costs the library's
 * time for those few lines, not 3 s for the whole file.
 *
 * Why the island reads as it would in the whole file: it is cut at line starts, so its columns are the
 * file's, and it ends where YAML ends the node: at the next line indented no deeper than the entry (YAML
 * 1.2 §8.2 and §7: a node's continuation lines are indented more than its parent). The yaml library also
 * lets a flow collection's closing `]` or `}` stand at the entry's own indentation, so such a line stays
 * in. tests/config/plain-yaml.test.ts checks the result against the library on generated documents.
 */

/** What an island gave: its key (entries only), its value and where they are written; or its syntax errors. */
export type IslandRead =
  | {
      readonly ok: true;
      readonly key?: IslandScalar;
      readonly value: unknown;
      readonly valueSpan?: Span;
      readonly source?: IslandSource;
    }
  | { readonly ok: false; readonly errors: readonly YamlSyntaxError[] };

export interface Span {
  readonly start: number;
  readonly end: number;
}

interface IslandScalar {
  readonly text: string;
  readonly span: Span;
}

/** A syntax error of the file: its offset and the yaml library's message. */
export interface YamlSyntaxError {
  readonly offset: number;
  readonly message: string;
}

/**
 * Where to find paths inside an island's value (a mapping or a list): the library's document of the
 * island, the path to the value in it, and the island's offset in the file (the document counts from 0).
 */
export interface IslandSource {
  readonly document: Document;
  readonly path: readonly (string | number)[];
  readonly base: number;
}

/**
 * An island's place in the file: its first character, the end of its last line of content, its end (with
 * the blank lines a block scalar keeps), and the offset of the file's next content (the file's end if none).
 */
export interface IslandBounds {
  readonly start: number;
  readonly contentEnd: number;
  readonly end: number;
  readonly next: number;
}

/** Lines that stay in a node indented by `indent`, besides deeper ones: a flow collection's closing line. */
export function continuesAt(text: string): boolean {
  return text.startsWith("]") || text.startsWith("}");
}

/**
 * The island `text.slice(start, end)`: an `entry` (a one-key mapping) or an `item` (a one-item list).
 * Undefined where the island cannot stand for its part of the file, and the whole file is for the library:
 * an alias (its anchor may be elsewhere; YAML resolves it against the whole document), a block scalar (the
 * plain reader reads the usual ones), a key that is not text (or `__proto__`, or `<<`), a key given twice
 * inside, a tag or anchor on nothing, an unclosed flow collection with a comment about, or something other
 * than one entry or item.
 */
export function readIsland(
  text: string,
  { start, contentEnd, end, next }: IslandBounds,
  shape: "entry" | "item",
): IslandRead | undefined {
  const document = parseDocument(text.slice(start, end), { prettyErrors: false, uniqueKeys: false, merge: true });
  // Before its errors too: a block scalar's header gone wrong takes the lines after the island with it.
  if (needsWholeFile(document)) return undefined;
  // An error where the island ends (a flow collection never closed) with a comment about: the comment may
  // have taken the closing bracket, and where the library then reports it depends on the lines after.
  if (
    document.errors.some((error) => error.pos[0] + start >= contentEnd && error.code !== "MISSING_CHAR") &&
    text.slice(start, next).includes("#")
  )
    return undefined;
  if (document.errors.length > 0)
    return {
      ok: false,
      errors: document.errors.map((error) => {
        const offset = error.pos[0] + start;
        // What runs to the island's end is reported where the whole file shows why it ends. A quote never
        // closed: the library cuts it where the next line is indented too little, so at the end of its
        // last line. Anything else (a flow collection never closed): at the next line's content.
        if (error.code === "MISSING_CHAR") return { offset: Math.min(offset, contentEnd), message: error.message };
        return { offset: offset >= end ? next : offset, message: error.message };
      }),
    };
  const span = (node: Node): Span => ({ start: (node.range?.[0] ?? 0) + start, end: (node.range?.[1] ?? 0) + start });
  const contents = document.contents;
  let node: Node | null;
  let key: IslandScalar | undefined;
  let path: (string | number)[];
  if (shape === "entry") {
    if (!isMap(contents) || contents.items.length !== 1) return undefined;
    const pair = contents.items[0];
    if (!isScalar(pair.key) || typeof pair.key.value !== "string" || pair.key.value === "__proto__") return undefined;
    key = { text: pair.key.value, span: span(pair.key) };
    node = pair.value as Node | null;
    path = [pair.key.value];
  } else {
    if (!isSeq(contents) || contents.items.length !== 1) return undefined;
    node = contents.items[0] as Node | null;
    path = [0];
  }
  if (structureProblems(document, () => 0).length > 0) return undefined;
  // A tag or anchor with no value after it (`a: !x`): in the whole file the library reads the next line
  // on from it (a key there may then be too long); only the whole file says what it is.
  if (isScalar(node) && node.range?.[0] === node.range?.[1] && (node.tag !== undefined || node.anchor !== undefined))
    return undefined;
  const value = (document.toJS() as Record<string | number, unknown>)[path[0]];
  // `key:` with nothing after it has no value of its own to point at (as Locator in locate.ts); an empty
  // list item does.
  const empty = node === null || (isScalar(node) && node.value === null && node.range?.[0] === node.range?.[1]);
  return {
    ok: true,
    key,
    value,
    valueSpan: node === null || (shape === "entry" && empty) ? undefined : span(node),
    source: value !== null && typeof value === "object" ? { document, path, base: start } : undefined,
  };
}

/**
 * An alias (its anchor may be elsewhere), or a block scalar: the plain reader reads the usual ones itself,
 * and for the others (kept line breaks, lines of spaces) which blank lines after the island are the
 * scalar's, only the whole file says.
 */
function needsWholeFile(document: Document): boolean {
  let found = false;
  visit(document, {
    Alias() {
      found = true;
      return visit.BREAK;
    },
    Scalar(_, node) {
      if (node.type !== Scalar.BLOCK_LITERAL && node.type !== Scalar.BLOCK_FOLDED) return undefined;
      found = true;
      return visit.BREAK;
    },
  });
  return found;
}
