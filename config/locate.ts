import { isAlias, isMap, isScalar, isSeq, type Document, type Node, type Pair, type YAMLMap } from "yaml";

export type PathSegment = string | number;

/** Which part of the YAML to point at: the value itself, or (for an unknown key) the key. */
export type Target = "value" | "key";

export interface Position {
  readonly line: number;
  readonly column: number;
}

/** `accounts[3].replication.metrics`: a path as people read it in messages. */
export function describePath(path: readonly PathSegment[]): string {
  const text = path.reduce<string>(
    (joined, segment) =>
      typeof segment === "number" ? `${joined}[${segment}]` : joined ? `${joined}.${shown(segment)}` : shown(segment),
    "",
  );
  return text || "the file";
}

/** How much of a value from the file a message quotes. */
export const QUOTED_LENGTH = 80;

/**
 * Text from the file as a message may show it: at most `max` characters (then `…`), and every character
 * that would act on the terminal rather than print (control characters, bidi overrides, zero-width and
 * line separators) written as an escape, `\u202E`.
 */
export function shown(text: string, max = QUOTED_LENGTH): string {
  return escaped(text, max, false);
}

/** `shown` in double quotes, with quotes and backslashes escaped as in JSON. */
export function quoted(text: string, max = QUOTED_LENGTH): string {
  return `"${escaped(text, max, true)}"`;
}

function escaped(text: string, max: number, inQuotes: boolean): string {
  // Most text needs nothing done: one regular-expression scan instead of one per character (a file
  // with 100,000 problems quotes 100,000 keys).
  if (text.length <= max && !HIDDEN.test(text) && !(inQuotes && QUOTE_OR_BACKSLASH.test(text))) return text;
  let result = "";
  let count = 0;
  for (const character of text) {
    if (count === max) return `${result}…`;
    if (HIDDEN.test(character)) result += escapeCharacter(character);
    else if (inQuotes && (character === '"' || character === "\\")) result += `\\${character}`;
    else result += character;
    count++;
  }
  return result;
}

/** Characters that do not print as themselves: control, format (bidi, zero-width), separators, surrogates. */
export const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
const QUOTE_OR_BACKSLASH = /["\\]/;

const ESCAPES: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escapeCharacter(character: string): string {
  return ESCAPES[character] ?? `\\u${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
}

/**
 * Line and column (1-based) of an offset. yaml's own LineCounter only learns the line breaks the parser
 * passes as newline tokens, so after a syntax error (a scalar that swallowed a line break) its lines
 * drift; counting the text's line breaks ourselves is exact, and only done when there are problems.
 */
export class LineIndex {
  private starts: number[] | undefined;

  constructor(private readonly text: string) {}

  position(offset: number): Position {
    this.starts ??= lineStarts(this.text);
    const starts = this.starts;
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (starts[middle] <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: offset - starts[low] + 1 };
  }
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let index = text.indexOf("\n"); index !== -1; index = text.indexOf("\n", index + 1)) starts.push(index + 1);
  return starts;
}

/** Where the problems of a path are in the file, whichever way the file was read. */
export interface ProblemLocator {
  position(path: readonly PathSegment[], target?: Target): Position;
  /** The text of a scalar as written (to show `012345678901` rather than the number YAML made of it). */
  sourceText(path: readonly PathSegment[]): string | undefined;
}

/**
 * Finds the YAML node at a zod/semantic path and returns its position. Walks only the path (a map
 * lookup and a list index per segment), so locating each problem costs O(depth), and nothing is indexed
 * when the inventory is valid. A path that stops early (a missing key) points at the deepest node that
 * exists, which is the parent mapping.
 */
export class Locator implements ProblemLocator {
  private readonly index = new WeakMap<YAMLMap, Map<string, Pair>>();

  constructor(
    private readonly document: Document,
    private readonly lines: LineIndex,
    private readonly text: string,
    /** Where the document's text starts in `text`: an island's (yaml-island.ts) counts from its own start. */
    private readonly base = 0,
  ) {}

  position(path: readonly PathSegment[], target: Target = "value"): Position {
    const node = this.node(path, target);
    const offset = node?.range?.[0] ?? 0;
    return this.lines.position(this.base + offset);
  }

  sourceText(path: readonly PathSegment[]): string | undefined {
    const node = this.node(path, "value");
    if (!node?.range || !isScalar(node)) return undefined;
    return this.text.slice(this.base + node.range[0], this.base + node.range[1]);
  }

  private node(path: readonly PathSegment[], target: Target): Node | undefined {
    let current = this.document.contents as Node | null;
    if (!current) return undefined;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i];
      const last = i === path.length - 1;
      if (isMap(current)) {
        const pair = this.pair(current, String(segment), 0);
        if (!pair) return current;
        if (last && target === "key") return pair.key as Node;
        // `key:` with nothing after it: point at the key, the value has no position of its own.
        const value = pair.value as Node | null;
        if (!value || (isScalar(value) && value.value === null && value.range?.[0] === value.range?.[1]))
          return pair.key as Node;
        current = value;
      } else if (isSeq(current) && typeof segment === "number") {
        const item = current.items[segment] as Node | undefined;
        if (!item) return current;
        current = item;
      } else {
        return current;
      }
    }
    return current;
  }

  /**
   * A mapping's pairs by key, built on the first lookup in that mapping: a file with 100,000 problems in
   * one mapping (unknown keys, say) is then located in linear time, not quadratic. The first pair of a key
   * wins, as in the file.
   */
  private ownPairs(map: YAMLMap): ReadonlyMap<string, Pair> {
    let index = this.index.get(map);
    if (!index) {
      index = new Map();
      for (const item of map.items) {
        if (!isScalar(item.key) || isMergeKey(item.key)) continue;
        const key = String(item.key.value);
        if (!index.has(key)) index.set(key, item as Pair);
      }
      this.index.set(map, index);
    }
    return index;
  }

  /**
   * The pair of `key` in `map`, or in what the map merges with `<<:` (an alias, an inline mapping, or a
   * list of them; the map's own keys win, then the sources in order), so that a value that came from an
   * anchor is located where it is written.
   */
  private pair(map: YAMLMap, key: string, depth: number): Pair | undefined {
    const own =
      map.items.length > INDEXED_MAP_SIZE
        ? this.ownPairs(map).get(key)
        : (map.items.find((item) => isScalar(item.key) && !isMergeKey(item.key) && String(item.key.value) === key) as
            | Pair
            | undefined);
    if (own || depth > MAX_MERGE_DEPTH) return own;
    for (const item of map.items) {
      if (!isMergeKey(item.key)) continue;
      const sources = isSeq(item.value) ? item.value.items : [item.value];
      for (const source of sources) {
        const resolved = isAlias(source) ? source.resolve(this.document) : source;
        const found = isMap(resolved) ? this.pair(resolved, key, depth + 1) : undefined;
        if (found) return found;
      }
    }
    return undefined;
  }
}

/** A `<<` merge key, as the yaml library marks it when merge keys are on (a plain `<<`; a quoted one is text). */
export function isMergeKey(key: unknown): boolean {
  return isScalar(key) && typeof key.value === "symbol" && key.value.description === "<<";
}

/** Mappings with more keys than this are indexed on their first lookup; smaller ones are searched. */
const INDEXED_MAP_SIZE = 16;
/** Merges of merges are followed this deep (an anchor cannot contain its own alias, but stay bounded). */
const MAX_MERGE_DEPTH = 8;
