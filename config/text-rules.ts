import { HIDDEN } from "./locate";

/**
 * Which characters free text in the inventory may hold. Names end up in tables, messages and the
 * `{name}` placeholder; tags are sent to every AWS tagging API the stacks call (S3, KMS, IAM, SNS,
 * CloudWatch). A newline in either breaks a table row, a bidi override reorders what a reviewer reads.
 */

/**
 * AWS's tag character rule, as the tagging APIs state it, `^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`: letters,
 * numbers, spaces and `_ . : / = + - @`. Narrowed to \p{Zs}: the line and paragraph separators
 * U+2028/U+2029 (in \p{Z}) would break a line like a newline.
 */
export const TAG_CHARACTERS = /^[\p{L}\p{Zs}\p{N}_.:/=+\-@]*$/u;
const TAG_CHARACTER = /[\p{L}\p{Zs}\p{N}_.:/=+\-@]/u;

export const TAG_KEY_MAX = 128;
export const TAG_VALUE_MAX = 256;

/** `aws:` in any case: AWS reserves the prefix for its own tags. */
export const RESERVED_TAG_PREFIX = /^aws:/i;

/** Why `text` cannot be a tag key or value (its first character outside AWS's rule). */
export function tagCharacterMessage(kind: "tag keys" | "tag values", text: string): string {
  const offending = [...text].find((character) => !TAG_CHARACTER.test(character)) ?? "";
  return (
    `${kind} may contain only letters, digits, spaces and _ . : / = + - @ (AWS's tag rule); ` +
    `this one contains ${describeCharacter(offending)}`
  );
}

/** True when `text` has no control, format (bidi, zero-width) or line-separator character. */
export function isPlainText(text: string): boolean {
  return !HIDDEN.test(text);
}

/** Why `text` cannot be a name: the first character that would not print as itself. */
export function plainTextMessage(text: string): string {
  const offending = [...text].find((character) => HIDDEN.test(character)) ?? "";
  return `must be plain text on one line; it contains ${describeCharacter(offending)}`;
}

const NAMED: Readonly<Record<string, string>> = {
  "\n": "a line break (\\n)",
  "\r": "a carriage return (\\r)",
  "\t": "a tab (\\t)",
  "\u2028": "a line separator (U+2028)",
  "\u2029": "a paragraph separator (U+2029)",
};

/** A character as a message names it: `a line break (\n)`, `a bidirectional control character (U+202E)...`. */
export function describeCharacter(character: string): string {
  const named = NAMED[character];
  if (named) return named;
  const code = `U+${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
  if (/[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/.test(character))
    return `a bidirectional control character (${code}), which changes the order text is displayed in`;
  if (/[\u200B-\u200D\u2060\uFEFF]/.test(character)) return `an invisible zero-width character (${code})`;
  if (/\p{Cc}/u.test(character)) return `a control character (${code})`;
  if (HIDDEN.test(character)) return `an invisible formatting character (${code})`;
  return `\`${character}\``;
}
