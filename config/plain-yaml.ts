import { NestedTooDeep, readFlow } from "./plain-flow";
import {
  MAX_KEY_SOURCE,
  NOT_PLAIN,
  NOT_PLAIN_FILE,
  NOT_TEXT_KEY,
  readDoubleQuoted,
  plainText,
  readSingleQuoted,
  resolvePlain,
  withoutLeadingSpaces,
  withoutTrailingSpaces,
} from "./plain-scalars";
import { continuesAt, type IslandSource, readIsland, type Span, type YamlSyntaxError } from "./yaml-island";

/**
 * A fast reader for the YAML an inventory is almost always written in, with the yaml library as the
 * reference for everything else. It reads block mappings and sequences, flow collections (plain-flow.ts:
 * `[a, b]`, `{ id: "1" }`, a whole file of JSON), plain and quoted scalars with YAML's escapes and the core
 * schema's numbers (plain-scalars.ts), literal and folded block scalars, anchors, aliases and merge keys,
 * `---` / `...` and a byte-order mark, and comments. An entry or list item beyond that (a tag, a multi-line
 * plain or quoted scalar, a block scalar that keeps its blank lines, a syntax error) is an *island* read
 * by the yaml library on its own (yaml-island.ts), and the rest stays plain. The whole file goes to the
 * library (the answer is undefined) only where no part can be read alone: an alias of an anchor in an
 * island, a line that is no key at the top, two documents or directives, odd indentation at the top, or
 * more than maxIslands islands. Of problems, it finds keys given twice in a mapping, as the yaml library's
 * document would show them, the islands' syntax errors, and collections nested deeper than the library
 * can follow.
 *
 * Why: the yaml library builds a document of nodes with positions (the locations of problems come from
 * there); a 4.8 MB inventory of 95,000 accounts took 3.1 s to parse that way, 40% of it collecting garbage.
 * Where it answers, it answers what the yaml library's `toJS` gives (YAML 1.2 core schema), which
 * tests/config/plain-yaml.test.ts checks against the library on generated documents.
 */

/**
 * The document read, with where each part is written; or the syntax errors of its islands; or undefined:
 * the whole file is for the yaml library.
 */
export function readPlainYaml(text: string): PlainPositions | { syntaxErrors: readonly YamlSyntaxError[] } | undefined {
  const lines = documentLines(contentLines(text));
  if (lines.length === 0) return undefined;
  const reader = new Reader(lines, text);
  try {
    const value = reader.node(0, -1);
    if (!reader.done()) return undefined;
    if (reader.errors.length > 0) return { syntaxErrors: reader.errors };
    return {
      value,
      start: lines[0].offset,
      collections: reader.collections,
      islands: reader.islands,
      repeated: reader.repeated,
      firstAlias: reader.firstAlias,
      islandCount: reader.islandCount,
    };
  } catch (error) {
    if (error === NOT_PLAIN || error === NOT_PLAIN_FILE) return undefined;
    if (error instanceof NestedTooDeep) return { syntaxErrors: [{ offset: error.offset, message: error.message }] };
    throw error;
  }
}

/** readPlainYaml's answer alone: the value, that a key is given twice, the syntax errors, or undefined. */
export function parsePlainYaml(
  text: string,
): { value: unknown } | { keysGivenTwice: true } | { syntaxErrors: readonly YamlSyntaxError[] } | undefined {
  const read = readPlainYaml(text);
  if (read === undefined || "syntaxErrors" in read) return read;
  return read.repeated.length > 0 ? { keysGivenTwice: true } : { value: read.value };
}

/** readPlainYaml's positions, for a document without syntax errors. */
export function plainPositions(text: string): PlainPositions | undefined {
  const read = readPlainYaml(text);
  return read === undefined || "syntaxErrors" in read ? undefined : read;
}

/**
 * Where each part of a plain document is written, for locating problems (plain-locate.ts), by the objects
 * and arrays of its value. Recorded as the file is read: one read of a 4.8 MB file with positions costs
 * less than a read without them and a second read for a problem's place.
 */
export interface PlainPositions {
  readonly value: unknown;
  /** Offset of the document's first key or list item. */
  readonly start: number;
  readonly collections: WeakMap<object, Collection>;
  /** Mappings and lists an island gave (yaml-island.ts): the library's document locates paths inside them. */
  readonly islands: WeakMap<object, IslandSource>;
  /** Keys given a second time in a mapping (the value keeps the first). */
  readonly repeated: readonly RepeatedKey[];
  /** Where the first alias is, when there are aliases: a problem with what they expand to points there. */
  readonly firstAlias: number | undefined;
  /** How many parts the yaml library read (yaml-island.ts): 0 when the reader read every part itself. */
  readonly islandCount: number;
}

/** A key given again in a mapping: the mapping's object in the value read, both places, the value given again. */
export interface RepeatedKey {
  readonly mapping: object;
  readonly key: string;
  readonly offset: number;
  readonly firstOffset: number;
  readonly value: unknown;
}

/** A mapping's or list's first character, and its entries (mappings: by key; lists: by index). */
export interface Collection {
  readonly start: number;
  readonly entries: Map<string, Entry> | Entry[];
}

/** Where an entry's key (mappings only) and its value are written; no value for `key:` with nothing after it. */
export interface Entry {
  readonly key?: Span;
  readonly value?: Span;
  /** The value is an alias (`*name`): a path stops there, as in the library's document. */
  readonly alias?: true;
}

export type { Span };

interface Line {
  readonly indent: number;
  /** The line without its indentation. */
  readonly text: string;
  /** Offset of `text` in the document. */
  readonly offset: number;
}

/**
 * The lines that hold content: blank and comment-only lines dropped. A tab or a byte-order mark where
 * indentation or a key would start makes a line no key and no list item, declined below.
 */
function contentLines(text: string): Line[] {
  const lines: Line[] = [];
  // A byte-order mark (editors on Windows write one) comes before the first line, as the library reads it;
  // but a list item right after it the library refuses ("Unexpected scalar at node end"): left to it.
  let lineStart = text.startsWith("\uFEFF") ? 1 : 0;
  if (lineStart === 1 && text.startsWith("-", 1)) return lines;
  for (const raw of (lineStart === 0 ? text : text.slice(1)).split("\n")) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    const body = withoutLeadingSpaces(line);
    const indent = line.length - body.length;
    // Directives and document markers (`%YAML`, `---`, `...`) are no key and no list item: declined below.
    if (body !== "" && !body.startsWith("#"))
      lines.push({ indent, text: withoutTrailingSpaces(body), offset: lineStart + indent });
    lineStart += raw.length + 1;
  }
  return lines;
}

/** The lines of the document: without a `---` that starts it or a `...` that ends it. */
function documentLines(lines: Line[]): Line[] {
  let first = 0;
  let last = lines.length;
  if (lines[0]?.indent === 0 && DOCUMENT_START.test(lines[0].text)) first = 1;
  if (last > first && lines[last - 1].indent === 0 && DOCUMENT_END.test(lines[last - 1].text)) last -= 1;
  return first === 0 && last === lines.length ? lines : lines.slice(first, last);
}

const DOCUMENT_START = /^---(?: +#.*)?$/;
const DOCUMENT_END = /^\.\.\.(?: +#.*)?$/;

/**
 * How deep mappings may nest here (a list holds scalars or mappings, so lists are bounded with them). An
 * inventory nests four deep; thousands of levels would overflow the call stack, and the yaml library
 * reports such a file.
 */
const MAX_DEPTH = 200;

/** Islands with syntax errors past which the whole file goes to the library (50 problems are shown). */
const MAX_BROKEN_ISLANDS = 100;

/**
 * More islands than this and the whole file goes to the library: an island costs about 25 us however
 * small, the library's parse of the whole file about 0.6 us a byte, so a file of one-line islands (100,000
 * lines of syntax errors) costs less in one parse. Up to one island per 200 bytes (at least 2,000) the
 * islands cost a quarter of that parse at most.
 */
function maxIslands(text: string): number {
  return Math.max(2000, Math.floor(text.length / 200));
}

/**
 * Lines that belong to the file as a whole, never to one entry: directives, document markers, explicit
 * keys and values (`? ` / `: `, whose parts stand at the same indentation).
 */
const DOCUMENT_LEVEL = /^(?:\uFEFF|%|---|\.\.\.|[?:](?:[ \t]|$))/;

/** What an entry or a list item gave: its key (entries), value and spans; undefined for syntax errors. */
interface ReadPart {
  readonly key?: { readonly text: string; readonly span: Span };
  readonly value: unknown;
  readonly valueSpan?: Span;
  /** The value is an alias's: its place is the alias, not what it stands for (as Locator sees it). */
  readonly alias?: true;
}

/** The positions an entry or item keeps: its key (entries), its value's place, and whether that is an alias. */
function entryOf(key: Span | undefined, part: ReadPart): Entry {
  return {
    ...(key && { key }),
    ...(part.valueSpan && { value: part.valueSpan }),
    ...(part.alias && { alias: true as const }),
  };
}

class Reader {
  private next = 0;
  private depth = 0;
  islandCount = 0;
  private brokenIslands = 0;
  private readonly maxIslands: number;
  readonly repeated: RepeatedKey[] = [];
  readonly errors: YamlSyntaxError[] = [];
  /** Anchored values by name, for the aliases after them. */
  private readonly anchors = new Map<string, unknown>();
  /** Where the first alias is: aliases were used, and a problem with what they expand to points there. */
  firstAlias: number | undefined;
  readonly collections = new WeakMap<object, Collection>();
  /** Mappings and lists an island gave. */
  readonly islands = new WeakMap<object, IslandSource>();

  constructor(
    private readonly lines: readonly Line[],
    private readonly text: string,
  ) {
    this.maxIslands = maxIslands(text);
  }

  done(): boolean {
    return this.next === this.lines.length;
  }

  /**
   * The node that starts at the next line, which must be indented by `indent`: a block, or a flow
   * collection whose lines stay deeper than `parentIndent` (-1 for the document: a file of JSON).
   */
  node(indent: number, parentIndent: number): unknown {
    const line = this.lines[this.next];
    if (line.indent !== indent) throw NOT_PLAIN;
    const first = line.text.charCodeAt(0);
    if (first === LEFT_BRACKET || first === LEFT_BRACE) {
      this.next++;
      return this.flowValue(line.offset, parentIndent).value;
    }
    if (isSequenceItem(line.text)) return this.sequence(indent);
    this.next++;
    return this.mapping(indent, line.text, line.offset, false);
  }

  /** A mapping one level deeper; a throw ends the whole read, so only a return needs `leave`. */
  private enter(): void {
    if (++this.depth > MAX_DEPTH) throw NOT_PLAIN_FILE;
  }

  private leave(): void {
    this.depth--;
  }

  /**
   * The entry (its key `key` at `keyOffset`) or list item whose line is `first`: read here, or where that
   * meets what is not plain, as an island. What the failed read left behind (lines taken, keys given
   * twice, islands' errors) is undone first. (No closures: this runs for every entry of the file.)
   */
  private part(
    first: number,
    indent: number,
    key: { parsed: PlainKey; offset: number } | undefined,
  ): ReadPart | undefined {
    const next = this.next;
    const depth = this.depth;
    const repeated = this.repeated.length;
    const errors = this.errors.length;
    try {
      return key === undefined ? this.item(this.lines[first], indent) : this.entry(key.parsed, indent, key.offset);
    } catch (error) {
      if (error !== NOT_PLAIN) throw error;
      this.next = next;
      this.depth = depth;
      this.repeated.length = repeated;
      this.errors.length = errors;
      return this.island(first, indent, key === undefined ? "item" : "entry");
    }
  }

  private sequence(indent: number): unknown[] {
    const items: unknown[] = [];
    const entries: Entry[] = [];
    const start = this.lines[this.next].offset;
    for (let line = this.lines[this.next]; line?.indent === indent && isSequenceItem(line.text); ) {
      const item = this.part(this.next++, indent, undefined);
      items.push(item?.value ?? null);
      entries.push(item === undefined ? {} : entryOf(undefined, item));
      line = this.lines[this.next];
    }
    this.collections.set(items, { start, entries });
    return items;
  }

  /** A list item: a mapping that starts on the item's line, or a scalar. */
  private item(line: Line, indent: number): ReadPart {
    const afterDash = line.text.slice(1);
    const content = withoutLeadingSpaces(afterDash);
    // `-` alone (an item on the next lines) and `- - x` are declined by resolvePlain.
    const spaces = afterDash.length - content.length;
    const offset = line.offset + 1 + spaces;
    const anchor = ANCHOR.exec(content);
    if (anchor !== null)
      return this.anchored(anchor, offset + content.length - (anchor[2]?.length ?? 0), indent, "item");
    if (keyOf(content) !== undefined)
      return {
        value: this.mapping(indent + 1 + spaces, content, offset, true),
        valueSpan: { start: offset, end: offset },
      };
    return this.inlineValue(content, offset, indent);
  }

  /**
   * A mapping whose first entry is `first` (already consumed, at `offset`) and whose keys are indented by
   * `indent`. `firstInline`: the first entry shares a list item's line, so it has no island of its own.
   */
  private mapping(indent: number, first: string, offset: number, firstInline: boolean): Record<string, unknown> {
    this.enter();
    const map: Record<string, unknown> = {};
    const entries = new Map<string, Entry>();
    // Only once a merge comes: this runs for every mapping of the file.
    let merged: Set<string> | undefined;
    let keyOffset = offset;
    let ownLine = !firstInline;
    for (let text: string | undefined = first; text !== undefined; text = this.sameLevelEntry(indent)) {
      const line = this.next - 1;
      const at = keyOffset;
      const parsedKey = keyOf(text);
      // A line that is no key is read with the mapping around it: an island of its own would lose that
      // context (the library reads `a b` alone as a scalar, in a mapping as a key without a value).
      if (parsedKey === undefined || parsedKey.key === "__proto__")
        throw DOCUMENT_LEVEL.test(text) ? NOT_PLAIN_FILE : NOT_PLAIN;
      const repeatedBefore = this.repeated.length;
      const entry = ownLine
        ? this.part(line, indent, { parsed: parsedKey, offset: at })
        : this.entry(parsedKey, indent, at);
      ownLine = true;
      keyOffset = this.lines[this.next]?.offset ?? 0;
      // An island with syntax errors: they are the result; the rest is read for more of them.
      if (entry?.key === undefined) continue;
      if (parsedKey.key === MERGE && !parsedKey.quoted) {
        // A key given twice in what is merged: the library names its place by the merge key's path.
        if (this.repeated.length > repeatedBefore) throw NOT_PLAIN_FILE;
        merged ??= new Set();
        this.merge(map, entries, merged, entry.value);
        continue;
      }
      const key = entry.key.text;
      // A key that came from a merge is overridden by one written in the mapping, wherever it stands.
      if (merged?.delete(key)) delete map[key];
      // A key given again is read (the rest of the file must still be plain) and kept apart, as a problem.
      if (Object.hasOwn(map, key)) {
        const firstOffset = entries.get(key)?.key?.start ?? entry.key.span.start;
        this.repeated.push({ mapping: map, key, offset: entry.key.span.start, firstOffset, value: entry.value });
      } else {
        map[key] = entry.value;
        entries.set(key, entryOf(entry.key.span, entry));
      }
    }
    this.collections.set(map, { start: offset, entries });
    this.leave();
    return map;
  }

  /**
   * `<<: value`: the keys of a mapping (or of each mapping of a list, the first one winning) that `map` does
   * not have yet, as the yaml library merges them (node_modules/yaml/dist/schema/yaml-1.1/merge.js). Their
   * places are where the merged mapping writes them, as Locator finds them. Anything but mappings is the
   * library's to report.
   */
  private merge(map: Record<string, unknown>, entries: Map<string, Entry>, merged: Set<string>, value: unknown): void {
    for (const source of Array.isArray(value) ? value : [value]) {
      // A mapping an island gave has no entries here to give the merged keys their places.
      if (source === null || typeof source !== "object" || Array.isArray(source) || this.islands.has(source))
        throw NOT_PLAIN_FILE;
      const sourceEntries = this.collections.get(source)?.entries;
      for (const [key, item] of Object.entries(source)) {
        if (Object.hasOwn(map, key)) continue;
        map[key] = item;
        merged.add(key);
        const entry = sourceEntries instanceof Map ? sourceEntries.get(key) : undefined;
        if (entry) entries.set(key, entry);
      }
    }
  }

  /** One `key: value` (or `key:` and deeper lines) of a mapping at `indent`, its key at `keyOffset`. */
  private entry(entry: PlainKey, indent: number, keyOffset: number): ReadPart {
    const key = { text: entry.key, span: { start: keyOffset, end: keyOffset + entry.keyLength } };
    if (entry.rest === undefined) return { key, ...this.blockBelow(indent, "entry") };
    const anchor = ANCHOR.exec(entry.rest);
    if (anchor === null) return { key, ...this.inlineValue(entry.rest, keyOffset + entry.restOffset, indent) };
    const remainderOffset = keyOffset + entry.restOffset + entry.rest.length - (anchor[2]?.length ?? 0);
    return { key, ...this.anchored(anchor, remainderOffset, indent, "entry") };
  }

  /**
   * The value on the lines below an entry (nested: a deeper block, or a list at the key's indentation)
   * or a list item (a deeper block), and where it is: the next line; null when there is none.
   */
  private blockBelow(indent: number, shape: "entry" | "item"): ReadPart {
    const nextLine = this.lines[this.next];
    const value =
      shape === "entry"
        ? this.nested(indent)
        : nextLine !== undefined && nextLine.indent > indent
          ? this.node(nextLine.indent, indent)
          : null;
    return { value, valueSpan: value === null ? undefined : { start: nextLine.offset, end: nextLine.offset } };
  }

  /**
   * `&name value` (at `remainderOffset`) or `&name` and the block below: the value, kept under its name for
   * the aliases after it (the last one of a name counts, as in YAML).
   */
  private anchored(
    anchor: RegExpExecArray,
    remainderOffset: number,
    indent: number,
    shape: "entry" | "item",
  ): ReadPart {
    const remainder = anchor[2];
    let part: ReadPart;
    if (remainder === undefined || remainder.startsWith("#")) {
      part = this.blockBelow(indent, shape);
      // An anchor on nothing: the library reads the next line on from it (see yaml-island.ts).
      if (part.value === null) throw NOT_PLAIN_FILE;
    } else if (remainder.startsWith("&") || remainder.startsWith("*")) throw NOT_PLAIN;
    else part = this.inlineValue(remainder, remainderOffset, indent);
    this.anchors.set(anchor[1], part.value);
    return part;
  }

  /** The value of an alias at `offset`; one whose anchor the reader did not keep is the library's. */
  private alias(name: string, offset: number): unknown {
    if (!this.anchors.has(name)) throw NOT_PLAIN_FILE;
    this.firstAlias ??= offset;
    return this.anchors.get(name);
  }

  /**
   * A value that starts on its entry's or item's line (`text`, at `offset`), which is indented by
   * `indent`: a flow collection (on that line or more), a quoted scalar or a plain one.
   */
  private inlineValue(text: string, offset: number, indent: number, asString = false): ReadPart {
    const first = text.charCodeAt(0);
    if (first === LEFT_BRACKET || first === LEFT_BRACE) return this.flowValue(offset, indent);
    let value: unknown;
    let end: number;
    if (first === VERTICAL_BAR || first === GREATER_THAN) return this.blockScalar(text, offset, indent);
    const alias = first === ASTERISK ? ALIAS.exec(text) : null;
    // `!!str value`: the scalar's text as written (the only tag read here; the place is the value's).
    const tagged = text.startsWith(STRING_TAG) ? withoutLeadingSpaces(text.slice(STRING_TAG.length)) : undefined;
    if (tagged !== undefined) {
      if (!/^["'A-Za-z0-9_./+~$=,()-]/.test(tagged)) throw NOT_PLAIN;
      return this.inlineValue(tagged, offset + text.length - tagged.length, indent, true);
    }
    if (alias !== null) {
      value = this.alias(alias[1], offset);
      end = offset + 1 + alias[1].length;
    } else if (first === QUOTE || first === APOSTROPHE) {
      const read = first === QUOTE ? readDoubleQuoted(this.text, offset) : readSingleQuoted(this.text, offset);
      if (!QUOTED_TAIL.test(text.slice(read.end - offset))) throw NOT_PLAIN;
      ({ value, end } = read);
    } else {
      const comment = text.indexOf(" #");
      const plain = comment === -1 ? text : withoutTrailingSpaces(text.slice(0, comment));
      const more = this.lines[this.next];
      if (comment === -1 && !asString && more !== undefined && more.indent > indent)
        return this.multiLinePlain(plain, offset, indent);
      value = asString ? plainText(plain) : resolvePlain(plain);
      end = offset + plain.length;
    }
    // A one-line scalar must not go on: deeper lines after it make a multi-line scalar, or an error.
    const next = this.lines[this.next];
    if (next !== undefined && next.indent > indent) throw NOT_PLAIN;
    return alias === null
      ? { value, valueSpan: { start: offset, end } }
      : { value, valueSpan: { start: offset, end }, alias: true };
  }

  /**
   * A literal (`|`) or folded (`>`) block scalar whose header `text` is at `offset`, its lines deeper than
   * `indent`, as the yaml library resolves it (node_modules/yaml/dist/compose/resolve-block-scalar.js):
   * clipped (one final line break), stripped (`-`) or kept (`+`). An explicit indentation, a line of
   * spaces, a tab, a less-indented line, or (folded) a more-indented line are left to the library.
   */
  private blockScalar(text: string, offset: number, indent: number): ReadPart {
    const header = BLOCK_HEADER.exec(text);
    const headerEnd = this.text.indexOf("\n", offset);
    if (header === null || headerEnd === -1) throw NOT_PLAIN;
    const lines: string[] = [];
    // The scalar's text ends with its last line that is not empty, as the library's lexer cuts it
    // (node_modules/yaml/dist/parse/lexer.js, parseBlockScalar: trailing empty lines are dropped), or
    // when it keeps them (`+`) where the next line of the file starts.
    let end = this.text.length;
    let contentEnd = this.text.length;
    let terminator = this.text.length;
    for (let position = headerEnd + 1; position < this.text.length; ) {
      const found = this.text.indexOf("\n", position);
      const lineEnd = found === -1 ? this.text.length : found;
      const line = this.text.slice(position, lineEnd);
      const spaces = line.length - withoutLeadingSpaces(line).length;
      // Kept line breaks: which lines of spaces are the scalar's, the library decides.
      if (header[2] === "+" && line !== "" && spaces === line.length) throw NOT_PLAIN;
      if (line !== "" && spaces <= indent) {
        terminator = position;
        break;
      }
      if (BLOCK_LINE_DECLINED.test(line) || (line !== "" && spaces === line.length)) throw NOT_PLAIN;
      lines.push(line);
      if (line !== "") {
        contentEnd = lineEnd;
        end = Math.min(lineEnd + 1, this.text.length);
      }
      position = lineEnd + 1;
    }
    const keep = header[2] === "+";
    if (keep) end = terminator;
    const first = lines.findIndex((line) => line !== "");
    if (first === -1) throw NOT_PLAIN;
    let last = lines.length - 1;
    while (lines[last] === "") last--;
    const trim = lines[first].length - withoutLeadingSpaces(lines[first]).length;
    let value = "\n".repeat(first);
    let separator = "";
    for (const line of lines.slice(first, last + 1)) {
      const spaces = line.length - withoutLeadingSpaces(line).length;
      if (line !== "" && spaces < trim) throw NOT_PLAIN;
      if (header[1] === "|") {
        value += separator + line.slice(trim);
        separator = "\n";
      } else if (line === "") {
        if (separator === "\n") value += "\n";
        else separator = "\n";
      } else if (spaces > trim) throw NOT_PLAIN;
      else {
        value += separator + line.slice(trim);
        separator = " ";
      }
    }
    // Clipped: one line break; kept: each line break after the last line (at least one); stripped: none.
    if (keep) value += "\n".repeat(Math.max(1, this.text.slice(contentEnd, end).split("\n").length - 1));
    else if (header[2] !== "-") value += "\n";
    while (this.next < this.lines.length && this.lines[this.next].offset < end) this.next++;
    return { value, valueSpan: { start: offset, end } };
  }

  /**
   * A plain scalar that goes on over the deeper lines after its first (`first`, at `offset`), folded as
   * the library folds it: a line break between two lines is a space. A blank line, a comment or anything
   * but plain text on them is left to the library.
   */
  private multiLinePlain(first: string, offset: number, indent: number): ReadPart {
    let folded = first;
    let end = offset + first.length;
    while (this.next < this.lines.length && this.lines[this.next].indent > indent) {
      const line = this.lines[this.next];
      // Only the line after the previous one: a blank line between them folds into a line break.
      if (this.text.lastIndexOf("\n", line.offset) !== this.text.indexOf("\n", end)) throw NOT_PLAIN;
      folded += ` ${plainText(line.text)}`;
      end = line.offset + line.text.length;
      this.next++;
    }
    return { value: resolvePlain(folded), valueSpan: { start: offset, end } };
  }

  /** A flow collection at `offset` (plain-flow.ts), then nothing but a comment on its last line. */
  private flowValue(offset: number, indent: number): ReadPart {
    const read = readFlow(
      {
        text: this.text,
        collections: this.collections,
        repeated: this.repeated,
        alias: (name, at) => this.alias(name, at),
      },
      offset,
      indent,
      this.depth,
    );
    const lineEnd = this.text.indexOf("\n", read.end);
    const tail = this.text.slice(read.end, lineEnd === -1 ? this.text.length : lineEnd).replace(/\r$/, "");
    if (!FLOW_TAIL.test(tail)) throw NOT_PLAIN;
    while (this.next < this.lines.length && this.lines[this.next].offset < read.end) this.next++;
    const next = this.lines[this.next];
    if (next !== undefined && next.indent > indent) throw NOT_PLAIN;
    return { value: read.value, valueSpan: { start: offset, end: read.end } };
  }

  /**
   * The entry or list item that starts at line `first`, indented by `indent`, read by the yaml library
   * (yaml-island.ts), with the lines YAML counts as its own: deeper ones, a flow collection's closing line,
   * and for an entry the list that may stand at the key's own indentation.
   */
  private island(first: number, indent: number, shape: "entry" | "item"): ReadPart | undefined {
    if (++this.islandCount > this.maxIslands || DOCUMENT_LEVEL.test(this.lines[first].text)) throw NOT_PLAIN_FILE;
    let next = first + 1;
    for (; next < this.lines.length; next++) {
      const line = this.lines[next];
      const own =
        line.indent > indent ||
        (line.indent === indent && (continuesAt(line.text) || (shape === "entry" && isSequenceItem(line.text))));
      if (!own) break;
    }
    this.next = next;
    const last = this.lines[next - 1];
    const contentEnd = last.offset + last.text.length;
    const following = this.lines[next] as Line | undefined;
    const bounds = {
      start: lineStart(this.lines[first]),
      contentEnd,
      end: following ? this.islandEnd(contentEnd, following, indent) : this.text.length,
      next: following ? following.offset : this.text.length,
    };
    const read = readIsland(this.text, bounds, shape);
    if (read === undefined) throw NOT_PLAIN_FILE;
    if (!read.ok) {
      // A file this broken is the library's to report whole: its errors, not a few hundred islands'.
      if (++this.brokenIslands > MAX_BROKEN_ISLANDS) throw NOT_PLAIN_FILE;
      this.errors.push(...read.errors);
      return undefined;
    }
    if (read.source && typeof read.value === "object" && read.value !== null) this.islands.set(read.value, read.source);
    return read;
  }

  /**
   * Where an island (its entry or item indented by `indent`) whose content ends at `contentEnd` ends,
   * before the file's next content line `next`: with the lines in between that the library in the whole
   * file gives to the island's last node, a block scalar: empty ones, ones of spaces deeper than `next`, and
   * ones that look like comments but are deeper than the entry (a block scalar's text), up to any other.
   */
  private islandEnd(contentEnd: number, next: Line, indent: number): number {
    const limit = lineStart(next);
    let end = this.text.indexOf("\n", contentEnd) + 1;
    while (end > 0 && end < limit) {
      const lineEnd = this.text.indexOf("\n", end);
      const line = this.text.slice(end, lineEnd).replace(/\r$/, "");
      const body = withoutLeadingSpaces(line);
      const spaces = line.length - body.length;
      const kept = body === "" ? line === "" || spaces > next.indent : body.startsWith("#") && spaces > indent;
      if (!kept) break;
      end = lineEnd + 1;
    }
    return end > 0 ? Math.min(end, limit) : limit;
  }

  /** The next entry of the mapping at `indent`, consumed; undefined when the mapping ends. */
  private sameLevelEntry(indent: number): string | undefined {
    const line = this.lines[this.next];
    if (line === undefined || line.indent !== indent || isSequenceItem(line.text)) return undefined;
    this.next++;
    return line.text;
  }

  /** The value of a key with nothing after its colon: a deeper block, a list at the key's own indent, or null. */
  private nested(indent: number): unknown {
    const line = this.lines[this.next];
    if (line === undefined || line.indent < indent) return null;
    if (line.indent > indent) return this.node(line.indent, indent);
    return isSequenceItem(line.text) ? this.sequence(indent) : null;
  }
}

const QUOTE = 0x22;
const APOSTROPHE = 0x27;
const ASTERISK = 0x2a;
const VERTICAL_BAR = 0x7c;
const STRING_TAG = "!!str ";
const GREATER_THAN = 0x3e;
/** A block scalar's header the reader reads: `|` or `>`, perhaps `-` or `+`, then nothing or a comment. */
const BLOCK_HEADER = /^([|>])([-+]?)(?: +#.*)?$/;
/** Lines of a block scalar left to the library: a carriage return or a tab anywhere. */
const BLOCK_LINE_DECLINED = /[\r\t]/;
const LEFT_BRACKET = 0x5b;
const LEFT_BRACE = 0x7b;
/** What may follow a quoted scalar on its line (trailing spaces are already gone): nothing, or a comment. */
const QUOTED_TAIL = /^(?: +#.*)?$/;
/** What may follow a flow collection on its last line. */
const FLOW_TAIL = /^(?: *| +#.*)$/;

function lineStart(line: Line): number {
  return line.offset - line.indent;
}

function isSequenceItem(text: string): boolean {
  return text === "-" || text.startsWith("- ");
}

/** A plain key that stays text in YAML 1.2 (PLAIN_KEY, not NOT_TEXT_KEY), or a quoted one without escapes. */
const KEY = /^(?:"([^"\\]*)"|'([^']*)'|([A-Za-z_][A-Za-z0-9_./-]*)):(?: (.*))?$/;

/**
 * `keyLength` counts the key as written (quotes included); `rest` is what follows `key:`, undefined when
 * nothing (but a comment) does.
 */
interface PlainKey {
  readonly key: string;
  /** Written in quotes: `"<<"` is the text, not a merge. */
  readonly quoted?: boolean;
  readonly keyLength: number;
  readonly rest: string | undefined;
  /** Where `rest` starts in the line's text. */
  readonly restOffset: number;
}

function keyOf(text: string): PlainKey | undefined {
  const merge = MERGE_KEY.exec(text);
  if (merge !== null) return keyParts(MERGE, 2, merge[1], text);
  const match = KEY.exec(text);
  if (match === null) return undefined;
  const key = match[1] ?? match[2] ?? match[3];
  const plain = match[3] !== undefined;
  const keyLength = key.length + (plain ? 0 : 2);
  if (keyLength > MAX_KEY_SOURCE || (plain && NOT_TEXT_KEY.test(key))) return undefined;
  return { ...keyParts(key, keyLength, match[4], text), quoted: !plain };
}

function keyParts(key: string, keyLength: number, after: string | undefined, text: string): PlainKey {
  const rest = after === undefined ? undefined : withoutLeadingSpaces(after);
  return {
    key,
    keyLength,
    rest: rest === undefined || rest.startsWith("#") ? undefined : rest,
    restOffset: rest === undefined ? text.length : text.length - rest.length,
  };
}

/** A merge key, `<<:` (plain; a quoted `"<<"` is text), and what it merges: YAML 1.1's merge, which the library reads. */
const MERGE_KEY = /^<<:(?: (.*))?$/;
/** The key a merge entry is read under: no key of the inventory, and never written into a mapping. */
const MERGE = "<<";
/** `&name` before a value (then the value, or nothing: the block below), and `*name`, an alias. */
const ANCHOR = /^&([^\s,[\]{}]+)(?: +(.*))?$/;
const ALIAS = /^\*([^\s,[\]{}]+)(?: +#.*)?$/;
