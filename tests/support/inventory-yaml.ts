/**
 * A small valid inventory as YAML text, and a way to break one line of it, for the loader's tests.
 * Line numbers matter to the tests: the comment at the right of each line is its number.
 */
export const VALID_YAML = [
  "organization: o-a1b2c3d4e5", //   1
  "central:", //                      2
  '  id: "999999999999"', //          3
  "  name: backup-central", //        4
  "  region: eu-west-1", //           5
  "  bucket: acme-org-backup-999999999999", // 6
  "defaults:", //                     7
  "  region: eu-west-1", //           8
  "  bucket: acme-data-{accountId}", // 9
  "accounts:", //                     10
  '  - id: "111111111111"', //        11
  "    name: payments", //            12
  '  - id: "222222222222"', //        13
  "    name: analytics", //           14
  '  - id: "333333333333"', //        15
  "    name: legacy-web", //          16
  "",
].join("\n");

/** VALID_YAML with line `line` (1-based) replaced by `replacement` (which may span several lines). */
export function withLine(line: number, replacement: string, text = VALID_YAML): string {
  const lines = text.split("\n");
  lines[line - 1] = replacement;
  return lines.join("\n");
}

/** VALID_YAML with `extra` lines inserted after line `line`. */
export function afterLine(line: number, extra: string, text = VALID_YAML): string {
  const lines = text.split("\n");
  lines.splice(line, 0, extra);
  return lines.join("\n");
}
