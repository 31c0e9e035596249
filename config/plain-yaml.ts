/**
 * A fast reader for the plain YAML an inventory is almost always written in, with the yaml library as the
 * reference for everything else. It reads block mappings and sequences, one-line plain and quoted scalars
 * without escapes, `[]` and `{}`, and comments; anything beyond (other flow collections, block scalars,
 * anchors, tags, merge keys, escapes, multi-line scalars, floats, odd indentation) makes it answer
 * undefined, and load.ts then parses with the yaml library, which also locates every problem. Of problems,
 * it only finds keys given twice in a mapping, as the yaml library's document would show them.
 *
 * Why: the yaml library builds a document of nodes with positions (the locations of problems come from
 * there); a 4.8 MB inventory of 95,000 accounts took 3.1 s to parse that way, 40% of it collecting garbage.
 * A valid inventory needs no positions. Where it answers, it answers what the yaml library's `toJS` gives
 * (YAML 1.2 core schema), which tests/config/plain-yaml.test.ts checks against the library on generated
 * documents.
 */

/**
 * The document's value; or that it is plain but gives a key twice in a mapping (plainPositions then says
 * where, for the problems); or undefined: not in the plain subset (the yaml library decides then).
 */
export function parsePlainYaml(text: string): { value: unknown } | { keysGivenTwice: true } | undefined {
  const document = read(text, undefined);
  if (document === undefined) return undefined;
  return document.repeated.length > 0 ? { keysGivenTwice: true } : { value: document.value };
}

/**
 * Where each part of a plain document is written, for locating problems (plain-locate.ts): by the objects
 * and arrays of a `parsePlainYaml` value read again, so reading a valid file costs nothing for it.
 */
export interface PlainPositions {
  readonly value: unknown;
  /** Offset of the document's first key or list item. */
  readonly start: number;
  readonly collections: WeakMap<object, Collection>;
  /** Keys given a second time in a mapping (the value keeps the first). */
  readonly repeated: readonly RepeatedKey[];
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
}

/** Offsets of a node's first character and of the end of a scalar (a collection's `end` is its start). */
export interface Span {
  readonly start: number;
  readonly end: number;
}

export function plainPositions(text: string): PlainPositions | undefined {
  const collections = new WeakMap<object, Collection>();
  const document = read(text, collections);
  return document && { ...document, collections };
}

function read(
  text: string,
  collections: WeakMap<object, Collection> | undefined,
): { value: unknown; start: number; repeated: RepeatedKey[] } | undefined {
  const lines = contentLines(text);
  if (lines.length === 0) return undefined;
  const reader = new Reader(lines, collections);
  try {
    const value = reader.node(0);
    return reader.done() ? { value, start: lines[0].offset, repeated: reader.repeated } : undefined;
  } catch (error) {
    if (error === NOT_PLAIN) return undefined;
    throw error;
  }
}

interface Line {
  readonly indent: number;
  /** The line without its indentation. */
  readonly text: string;
  /** Offset of `text` in the document. */
  readonly offset: number;
}

const NOT_PLAIN = new Error("not plain YAML");

/**
 * The lines that hold content: blank and comment-only lines dropped. A tab or a byte-order mark where
 * indentation or a key would start makes a line no key and no list item, declined below.
 */
function contentLines(text: string): Line[] {
  const lines: Line[] = [];
  let lineStart = 0;
  for (const raw of text.split("\n")) {
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

/**
 * How deep mappings may nest here (a list holds scalars or mappings, so lists are bounded with them). An
 * inventory nests four deep; thousands of levels would overflow the call stack, and the yaml library
 * reports such a file.
 */
const MAX_DEPTH = 200;

class Reader {
  private next = 0;
  private depth = 0;
  readonly repeated: RepeatedKey[] = [];

  constructor(
    private readonly lines: readonly Line[],
    /** Set when positions are asked for. */
    private readonly collections: WeakMap<object, Collection> | undefined,
  ) {}

  done(): boolean {
    return this.next === this.lines.length;
  }

  /** The block that starts at the next line, which must be indented by `indent`. */
  node(indent: number): unknown {
    const line = this.lines[this.next];
    if (line.indent !== indent) throw NOT_PLAIN;
    if (isSequenceItem(line.text)) return this.sequence(indent);
    this.next++;
    return this.mapping(indent, line.text, line.offset);
  }

  /** A mapping one level deeper; a throw ends the whole read, so only a return needs `leave`. */
  private enter(): void {
    if (++this.depth > MAX_DEPTH) throw NOT_PLAIN;
  }

  private leave(): void {
    this.depth--;
  }

  private sequence(indent: number): unknown[] {
    const items: unknown[] = [];
    const entries: Entry[] = [];
    const start = this.lines[this.next].offset;
    for (let line = this.lines[this.next]; line?.indent === indent && isSequenceItem(line.text); ) {
      this.next++;
      const afterDash = line.text.slice(1);
      const content = withoutLeadingSpaces(afterDash);
      // `-` alone (an item on the next lines) and `- - x` are declined by scalar().
      const spaces = afterDash.length - content.length;
      const offset = line.offset + 1 + spaces;
      if (keyOf(content) !== undefined) items.push(this.mapping(indent + 1 + spaces, content, offset));
      else items.push(scalar(content));
      if (this.collections) entries.push({ value: { start: offset, end: offset + sourceLength(content) } });
      line = this.lines[this.next];
    }
    this.collections?.set(items, { start, entries });
    return items;
  }

  /** A mapping whose first entry is `first` (already consumed, at `offset`) and whose keys are indented by `indent`. */
  private mapping(indent: number, first: string, offset: number): Record<string, unknown> {
    this.enter();
    const map: Record<string, unknown> = {};
    const entries = new Map<string, Entry>();
    let keyOffset = offset;
    for (let text: string | undefined = first; text !== undefined; text = this.sameLevelEntry(indent)) {
      const entry = keyOf(text);
      if (entry === undefined || entry.key === "__proto__") throw NOT_PLAIN;
      const key = { start: keyOffset, end: keyOffset + entry.keyLength };
      // A key given again is read (the rest of the file must still be plain) and kept apart, as a problem.
      const again = Object.hasOwn(map, entry.key);
      let value: unknown;
      let span: Span | undefined;
      if (entry.rest === undefined) {
        const nextLine = this.lines[this.next];
        value = this.nested(indent);
        span = value === null ? undefined : { start: nextLine.offset, end: nextLine.offset };
      } else {
        value = scalar(entry.rest);
        const start = keyOffset + text.length - entry.rest.length;
        span = { start, end: start + sourceLength(entry.rest) };
      }
      if (again) {
        const firstOffset = entries.get(entry.key)?.key?.start ?? keyOffset;
        this.repeated.push({ mapping: map, key: entry.key, offset: key.start, firstOffset, value });
      } else {
        map[entry.key] = value;
        if (this.collections) entries.set(entry.key, span ? { key, value: span } : { key });
      }
      keyOffset = this.lines[this.next]?.offset ?? 0;
    }
    this.collections?.set(map, { start: offset, entries });
    this.leave();
    return map;
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
    if (line.indent > indent) return this.node(line.indent);
    return isSequenceItem(line.text) ? this.sequence(indent) : null;
  }
}

/**
 * YAML's white space is the space and the tab (tabs are left to the library): JavaScript's trim would also
 * take a no-break space or U+2028, which YAML reads as content.
 */
function withoutLeadingSpaces(text: string): string {
  let start = 0;
  while (text.charCodeAt(start) === 32) start++;
  return text.slice(start);
}

function withoutTrailingSpaces(text: string): string {
  let end = text.length;
  while (text.charCodeAt(end - 1) === 32) end--;
  return text.slice(0, end);
}

function isSequenceItem(text: string): boolean {
  return text === "-" || text.startsWith("- ");
}

/** A plain key that stays text in YAML 1.2 (not null, true or false), or a quoted one without escapes. */
const KEY = /^(?:"([^"\\]*)"|'([^']*)'|([A-Za-z_][A-Za-z0-9_./-]*)):(?: (.*))?$/;
const NOT_TEXT_KEY = /^(?:[Nn]ull|NULL|[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
/** YAML's limit for an implicit key, quotes included: 1,024 characters. The library reports longer ones. */
const MAX_KEY_SOURCE = 1024;

/**
 * `keyLength` counts the key as written (quotes included); `rest` is what follows `key:`, undefined when
 * nothing (but a comment) does.
 */
function keyOf(text: string): { key: string; keyLength: number; rest: string | undefined } | undefined {
  const match = KEY.exec(text);
  if (match === null) return undefined;
  const key = match[1] ?? match[2] ?? match[3];
  const plain = match[3] !== undefined;
  const keyLength = key.length + (plain ? 0 : 2);
  if (keyLength > MAX_KEY_SOURCE || (plain && NOT_TEXT_KEY.test(key))) return undefined;
  const rest = match[4] === undefined ? undefined : withoutLeadingSpaces(match[4]);
  return { key, keyLength, rest: rest === undefined || rest.startsWith("#") ? undefined : rest };
}

/** A quoted scalar without escapes, then nothing or a comment. */
const DOUBLE_QUOTED = /^"([^"\\]*)"(?: +#.*)?$/;
const SINGLE_QUOTED = /^'([^']*)'(?: +#.*)?$/;
/**
 * A plain scalar of characters that never start or end a YAML construct (no indicator such as `[`, `&`,
 * `!`, `|`, `#` or `@` at the start; `[]{}` only inside, where a block scalar may hold them), after its
 * comment is removed.
 */
const PLAIN = /^[A-Za-z0-9_./+~$=,()-](?:[A-Za-z0-9_./+~$@=,():{}[\]\- ]*[A-Za-z0-9_./+~$@=,(){}[\]-])?$/;
/** An empty flow list or mapping (`additionalKmsKeyArns: []`), then nothing or a comment. */
const EMPTY_FLOW = /^(\[\]|\{\})(?: +#.*)?$/;

/** A scalar's value by YAML 1.2's core schema, as the yaml library resolves it. */
function scalar(text: string): unknown {
  const quoted = DOUBLE_QUOTED.exec(text) ?? SINGLE_QUOTED.exec(text);
  if (quoted) return quoted[1];
  const empty = EMPTY_FLOW.exec(text);
  if (empty) return empty[1] === "[]" ? [] : {};
  const comment = text.indexOf(" #");
  const plain = comment === -1 ? text : withoutTrailingSpaces(text.slice(0, comment));
  // `a: b` inside a value is a mapping where none may start (PLAIN ends on no `:`); `- x` a list.
  if (!PLAIN.test(plain) || /: /.test(plain) || isSequenceItem(plain)) throw NOT_PLAIN;
  if (/^(?:~|[Nn]ull|NULL)$/.test(plain)) return null;
  if (/^(?:[Tt]rue|TRUE)$/.test(plain)) return true;
  if (/^(?:[Ff]alse|FALSE)$/.test(plain)) return false;
  if (/^[-+]?[0-9]+$/.test(plain)) return Number.parseInt(plain, 10);
  if (NOT_DECIMAL_NUMBER.some((form) => form.test(plain))) throw NOT_PLAIN;
  return plain;
}

/** How many characters of `text` (a scalar's line, from its start) the scalar takes, its comment left out. */
function sourceLength(text: string): number {
  const quoted = DOUBLE_QUOTED.exec(text) ?? SINGLE_QUOTED.exec(text);
  if (quoted) return quoted[1].length + 2;
  const comment = text.indexOf(" #");
  return (comment === -1 ? text : withoutTrailingSpaces(text.slice(0, comment))).length;
}

/**
 * Octal and hexadecimal integers, floats, infinities and NaN, as the yaml library's core schema tests
 * them (node_modules/yaml/dist/schema/core/int.js, float.js): rare in an inventory, left to the library.
 */
const NOT_DECIMAL_NUMBER = [
  /^0o[0-7]+$/,
  /^0x[0-9a-fA-F]+$/,
  /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/,
];
