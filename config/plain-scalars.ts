/**
 * Scalars as the plain reader (plain-yaml.ts, plain-flow.ts) reads them: quoted on one line, or plain,
 * resolved by YAML 1.2's core schema as the yaml library resolves them. What it does not read it declines
 * by throwing NOT_PLAIN; the yaml library then reads that part (an island, yaml-island.ts).
 */

/** Not plain here: the innermost entry or list item around is read as an island (yaml-island.ts). */
export const NOT_PLAIN = new Error("not plain YAML");
/** Not readable in parts at all: the yaml library reads the whole file. */
export const NOT_PLAIN_FILE = new Error("not plain YAML, nor in islands");

/** A scalar read from `start`: its value and the offset just after it. */
export interface ReadScalar {
  readonly value: unknown;
  readonly end: number;
}

/**
 * A double-quoted scalar that starts at `start` (a `"`) and ends on the same line, with YAML's escapes
 * (node_modules/yaml/dist/compose/resolve-flow-scalar.js, escapeCodes). A line break inside (a folded
 * or escaped one) or an escape YAML does not know is declined.
 */
export function readDoubleQuoted(text: string, start: number): ReadScalar {
  let value = "";
  let from = start + 1;
  for (let i = from; i < text.length; i++) {
    const character = text.charCodeAt(i);
    if (character === QUOTE) return { value: value + text.slice(from, i), end: i + 1 };
    if (character === LINE_FEED || character === CARRIAGE_RETURN) throw NOT_PLAIN;
    if (character !== BACKSLASH) continue;
    value += text.slice(from, i);
    const escaped = text[i + 1];
    const simple = ESCAPES[escaped];
    if (simple !== undefined) {
      value += simple;
      i += 1;
    } else {
      const length = escaped === "x" ? 2 : escaped === "u" ? 4 : escaped === "U" ? 8 : 0;
      const digits = text.slice(i + 2, i + 2 + length);
      if (length === 0 || !HEX.test(digits) || digits.length !== length) throw NOT_PLAIN;
      const code = Number.parseInt(digits, 16);
      if (code > 0x10ffff) throw NOT_PLAIN;
      value += String.fromCodePoint(code);
      i += 1 + length;
    }
    from = i + 1;
  }
  throw NOT_PLAIN;
}

/** A single-quoted scalar that starts at `start` (a `'`) and ends on the same line; `''` is one quote. */
export function readSingleQuoted(text: string, start: number): ReadScalar {
  let value = "";
  let from = start + 1;
  for (let i = from; i < text.length; i++) {
    const character = text.charCodeAt(i);
    if (character === LINE_FEED || character === CARRIAGE_RETURN) throw NOT_PLAIN;
    if (character !== APOSTROPHE) continue;
    value += text.slice(from, i);
    if (text.charCodeAt(i + 1) !== APOSTROPHE) return { value, end: i + 1 };
    value += "'";
    i += 1;
    from = i + 1;
  }
  throw NOT_PLAIN;
}

const QUOTE = 0x22;
const APOSTROPHE = 0x27;
const BACKSLASH = 0x5c;
const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const HEX = /^[0-9a-fA-F]*$/;

const ESCAPES: Readonly<Record<string, string>> = {
  "0": "\0",
  a: "\x07",
  b: "\b",
  e: "\x1b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  N: "\u0085",
  _: "\u00a0",
  L: "\u2028",
  P: "\u2029",
  " ": " ",
  '"': '"',
  "/": "/",
  "\\": "\\",
  "\t": "\t",
};

/**
 * A plain scalar of characters that never start or end a YAML construct (no indicator such as `[`, `&`,
 * `!`, `|`, `#` or `@` at the start), after its comment is removed. In a block, `[]{}` may stand inside
 * it; in a flow collection they end it (plain-flow.ts stops there first).
 */
const PLAIN = /^[A-Za-z0-9_./+~$=,()-](?:[A-Za-z0-9_./+~$@=,():{}[\]\- ]*[A-Za-z0-9_./+~$@=,(){}[\]-])?$/;

/** A plain scalar's text as written, checked (the value of `!!str text`). */
export function plainText(plain: string): string {
  // `a: b` inside a value is a mapping where none may start (PLAIN ends on no `:`); `- x` a list.
  if (!PLAIN.test(plain) || plain.includes(": ") || plain === "-" || plain.startsWith("- ")) throw NOT_PLAIN;
  return plain;
}

/** A plain scalar's value by YAML 1.2's core schema, as the yaml library resolves it. */
export function resolvePlain(text: string): unknown {
  const plain = plainText(text);
  if (/^(?:~|[Nn]ull|NULL)$/.test(plain)) return null;
  if (/^(?:[Tt]rue|TRUE)$/.test(plain)) return true;
  if (/^(?:[Ff]alse|FALSE)$/.test(plain)) return false;
  if (/^[-+]?[0-9]+$/.test(plain)) return Number.parseInt(plain, 10);
  // The other numbers of the core schema, tested and resolved as the yaml library does
  // (node_modules/yaml/dist/schema/core/int.js, float.js).
  if (/^0o[0-7]+$/.test(plain)) return Number.parseInt(plain.slice(2), 8);
  if (/^0x[0-9a-fA-F]+$/.test(plain)) return Number.parseInt(plain.slice(2), 16);
  if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(plain))
    return plain.slice(-3).toLowerCase() === "nan" ? Number.NaN : plain[0] === "-" ? -Infinity : Infinity;
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(plain)) return Number.parseFloat(plain);
  return plain;
}

/** A plain key that stays text in YAML 1.2 (not null, true or false). */
export const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_./-]*$/;
export const NOT_TEXT_KEY = /^(?:[Nn]ull|NULL|[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
/**
 * YAML's limit for an implicit key is 1,024 characters, quotes included, but the yaml library counts from
 * where the node before it ended (after `a:` with nothing, or `a: !x`, a little earlier): keys near the
 * limit are left to it. No key of an inventory comes close.
 */
export const MAX_KEY_SOURCE = 1000;

/**
 * YAML's white space is the space and the tab (tabs are left to the library): JavaScript's trim would also
 * take a no-break space or U+2028, which YAML reads as content.
 */
export function withoutLeadingSpaces(text: string): string {
  let start = 0;
  while (text.charCodeAt(start) === 32) start++;
  return text.slice(start);
}

export function withoutTrailingSpaces(text: string): string {
  let end = text.length;
  while (text.charCodeAt(end - 1) === 32) end--;
  return text.slice(0, end);
}
