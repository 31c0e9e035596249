import type { Collection, Entry, RepeatedKey } from "./plain-yaml";
import {
  MAX_KEY_SOURCE,
  NOT_PLAIN,
  NOT_TEXT_KEY,
  PLAIN_KEY,
  type ReadScalar,
  readDoubleQuoted,
  readSingleQuoted,
  resolvePlain,
} from "./plain-scalars";

/**
 * Flow collections (`[a, b]`, `{ id: "1", name: x }`, a whole file of JSON) as the plain reader reads them:
 * on one line or many, with plain and quoted scalars, nested collections and comments. Anything else (an
 * empty value, an empty entry, a plain scalar over two lines, a tab, an anchor, a key that is not text)
 * is declined with NOT_PLAIN, and the yaml library reads the entry (an island, yaml-island.ts).
 *
 * Why: a 4 MB flow list in one value, or an inventory with every account as `- {id: "1", name: a}`, took
 * the yaml library 7 to 20 s. The scanner follows the library's lexer where a flow scalar ends
 * (node_modules/yaml/dist/parse/lexer.js, parsePlainScalar); tests/config/plain-yaml.test.ts checks the
 * values, keys given twice and positions against the library on generated documents.
 */

/** What a flow collection reads into: the file, where to record positions and keys given twice, aliases. */
export interface FlowTarget {
  readonly text: string;
  readonly collections: WeakMap<object, Collection>;
  readonly repeated: RepeatedKey[];
  /** The value of the alias `*name` at `offset` (throws where the reader cannot resolve it). */
  readonly alias: (name: string, offset: number) => unknown;
}

/**
 * The flow collection whose `[` or `{` is at `start`. Its lines after the first must be indented deeper
 * than `parentIndent` (the block entry or item it is the value of; -1 for a whole document), except a line
 * that starts with the closing bracket, which may stand at `parentIndent` (as the yaml library allows).
 */
export function readFlow(target: FlowTarget, start: number, parentIndent: number, depth: number): ReadScalar {
  const reader = new FlowReader(target, start, parentIndent, depth);
  const value = reader.collection();
  return { value, end: reader.position };
}

/**
 * Flow collections nested deeper than this (with the block levels around them) are refused here, as a
 * syntax error: the yaml library overflows its stack from about 1,000 levels, and after 5 s for a 2 MB
 * file of `[`. An inventory nests four deep.
 */
export const MAX_FLOW_DEPTH = 1000;

/** Thrown (with where) for collections nested deeper than MAX_FLOW_DEPTH. */
export class NestedTooDeep extends Error {
  constructor(readonly offset: number) {
    super(
      `collections nested deeper than ${MAX_FLOW_DEPTH.toLocaleString("en-US")} levels (an inventory nests 4 deep)`,
    );
  }
}

const SPACE = 0x20;
const TAB = 0x09;
const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const HASH = 0x23;
const COLON = 0x3a;
const COMMA = 0x2c;
const LEFT_BRACKET = 0x5b;
const RIGHT_BRACKET = 0x5d;
const LEFT_BRACE = 0x7b;
const RIGHT_BRACE = 0x7d;
const QUOTE = 0x22;
const APOSTROPHE = 0x27;
const ASTERISK = 0x2a;

function isFlowIndicator(character: number): boolean {
  return (
    character === COMMA ||
    character === LEFT_BRACKET ||
    character === RIGHT_BRACKET ||
    character === LEFT_BRACE ||
    character === RIGHT_BRACE
  );
}

/** White space or the end of the text (NaN), as the lexer's isEmpty. */
function isEmpty(character: number): boolean {
  return (
    Number.isNaN(character) ||
    character === SPACE ||
    character === TAB ||
    character === LINE_FEED ||
    character === CARRIAGE_RETURN
  );
}

class FlowReader {
  position: number;
  private readonly text: string;

  constructor(
    private readonly target: FlowTarget,
    start: number,
    private readonly parentIndent: number,
    private depth: number,
  ) {
    this.text = target.text;
    this.position = start;
  }

  collection(): unknown {
    if (++this.depth > MAX_FLOW_DEPTH) throw new NestedTooDeep(this.position);
    const value = this.text.charCodeAt(this.position) === LEFT_BRACKET ? this.sequence() : this.mapping();
    this.depth--;
    return value;
  }

  private sequence(): unknown[] {
    const start = this.position++;
    const items: unknown[] = [];
    const entries: Entry[] = [];
    this.space();
    if (this.next() !== RIGHT_BRACKET) {
      for (;;) {
        const itemStart = this.position;
        items.push(this.node());
        const span = { start: itemStart, end: this.position };
        entries.push(this.text.charCodeAt(itemStart) === ASTERISK ? { value: span, alias: true } : { value: span });
        this.space();
        if (this.next() === RIGHT_BRACKET || this.separator(RIGHT_BRACKET)) break;
      }
    }
    this.position++;
    this.target.collections.set(items, { start, entries });
    return items;
  }

  private mapping(): Record<string, unknown> {
    const start = this.position++;
    const map: Record<string, unknown> = {};
    const entries = new Map<string, Entry>();
    this.space();
    if (this.next() !== RIGHT_BRACE) {
      for (;;) {
        const keyStart = this.position;
        const key = this.key();
        const keySpan = { start: keyStart, end: this.position };
        this.space();
        const valueStart = this.position;
        const value = this.node();
        const valueSpan = { start: valueStart, end: this.position };
        if (Object.hasOwn(map, key)) {
          const firstOffset = entries.get(key)?.key?.start ?? keyStart;
          this.target.repeated.push({ mapping: map, key, offset: keyStart, firstOffset, value });
        } else {
          map[key] = value;
          const alias = this.text.charCodeAt(valueStart) === ASTERISK;
          entries.set(
            key,
            alias ? { key: keySpan, value: valueSpan, alias: true } : { key: keySpan, value: valueSpan },
          );
        }
        this.space();
        if (this.next() === RIGHT_BRACE || this.separator(RIGHT_BRACE)) break;
      }
    }
    this.position++;
    this.target.collections.set(map, { start, entries });
    return map;
  }

  /** A `,` after an entry; true when the collection ends after it (YAML allows a trailing comma). */
  private separator(close: number): boolean {
    if (this.next() !== COMMA) throw NOT_PLAIN;
    this.position++;
    this.space();
    if (this.next() === COMMA) throw NOT_PLAIN;
    return this.next() === close;
  }

  /** A key that stays text, then its `:` (with a space after a plain key; JSON's `"a":1` is allowed). */
  private key(): string {
    const start = this.position;
    const character = this.next();
    let key: string;
    if (character === QUOTE || character === APOSTROPHE) {
      const read = character === QUOTE ? readDoubleQuoted(this.text, start) : readSingleQuoted(this.text, start);
      key = read.value as string;
      this.position = read.end;
      if (this.next() !== COLON) throw NOT_PLAIN;
    } else {
      key = this.plainText();
      if (!PLAIN_KEY.test(key) || NOT_TEXT_KEY.test(key)) throw NOT_PLAIN;
      if (this.next() !== COLON || !isEmpty(this.text.charCodeAt(this.position + 1))) throw NOT_PLAIN;
    }
    if (this.position - start > MAX_KEY_SOURCE || key === "__proto__") throw NOT_PLAIN;
    this.position++;
    return key;
  }

  /** A value: a nested collection, an alias, a quoted scalar or a plain one. */
  private node(): unknown {
    const character = this.next();
    if (character === LEFT_BRACKET || character === LEFT_BRACE) return this.collection();
    if (character === ASTERISK) {
      const start = this.position++;
      while (!isEmpty(this.next()) && !isFlowIndicator(this.next())) this.position++;
      if (this.position === start + 1) throw NOT_PLAIN;
      return this.target.alias(this.text.slice(start + 1, this.position), start);
    }
    if (character === QUOTE || character === APOSTROPHE) {
      const read =
        character === QUOTE ? readDoubleQuoted(this.text, this.position) : readSingleQuoted(this.text, this.position);
      this.position = read.end;
      return read.value;
    }
    const plain = this.plainText();
    if (plain === "") throw NOT_PLAIN;
    return resolvePlain(plain);
  }

  /**
   * A plain scalar's text on this line, where the library's lexer ends it in a flow collection: before a
   * flow indicator, a `:` followed by white space or an indicator, a ` #`, a line break.
   */
  private plainText(): string {
    const start = this.position;
    let end = start;
    for (let i = start; i < this.text.length; i++) {
      const character = this.text.charCodeAt(i);
      if (character === COLON) {
        const next = this.text.charCodeAt(i + 1);
        if (isEmpty(next) || isFlowIndicator(next)) break;
        end = i + 1;
      } else if (character === SPACE || character === TAB) {
        const next = this.text.charCodeAt(i + 1);
        if (next === HASH || isFlowIndicator(next)) break;
      } else if (character === LINE_FEED || character === CARRIAGE_RETURN || isFlowIndicator(character)) {
        break;
      } else end = i + 1;
    }
    this.position = end;
    return this.text.slice(start, end);
  }

  /**
   * White space, comments and line breaks between tokens. A new line must be indented deeper than the
   * parent (or start with the closing bracket at its indentation); a tab is declined.
   */
  private space(): void {
    for (;;) {
      const character = this.next();
      if (character === SPACE) this.position++;
      else if (character === HASH) {
        const before = this.text.charCodeAt(this.position - 1);
        if (before !== SPACE && before !== LINE_FEED) throw NOT_PLAIN;
        const lineEnd = this.text.indexOf("\n", this.position);
        this.position = lineEnd === -1 ? this.text.length : lineEnd;
      } else if (character === CARRIAGE_RETURN && this.text.charCodeAt(this.position + 1) === LINE_FEED) {
        this.position++;
      } else if (character === LINE_FEED) {
        this.position++;
        this.lineStart();
      } else if (character === TAB || character === CARRIAGE_RETURN) throw NOT_PLAIN;
      else return;
    }
  }

  /** At the start of a line inside the collection: its indentation, which must be deep enough. */
  private lineStart(): void {
    let indent = 0;
    while (this.text.charCodeAt(this.position + indent) === SPACE) indent++;
    const first = this.text.charCodeAt(this.position + indent);
    if (first === LINE_FEED || first === CARRIAGE_RETURN || Number.isNaN(first)) return;
    // A comment line too must be deeper: the library reads `# c` at the parent's column as text.
    if (indent > this.parentIndent) return;
    if (indent === this.parentIndent && (first === RIGHT_BRACKET || first === RIGHT_BRACE)) return;
    throw NOT_PLAIN;
  }

  private next(): number {
    return this.text.charCodeAt(this.position);
  }
}
