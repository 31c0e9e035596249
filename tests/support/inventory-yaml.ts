import { formatProblem, parseInventory } from "../../config/load";
import type { Inventory } from "../../config/types";

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

/**
 * Lines 1-9 of VALID_YAML: the organization, the central account and the defaults, for tests and benches
 * that write their own `accounts:` list (many accounts, other ids) under the same header.
 */
export const INVENTORY_HEADER: readonly string[] = VALID_YAML.split("\n").slice(0, 9);

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

/** VALID_YAML with a central `noncurrentVersions` section (after line 6, the central bucket). */
export const withLifecycle = (...lines: string[]) => afterLine(6, ["  noncurrentVersions:", ...lines].join("\n"));

/** The loader's problems with `text`, each as `LINE:COL: message` (no file name); none when it is valid. */
export function problems(text: string): string[] {
  const result = parseInventory(text, "inv.yaml");
  return result.ok ? [] : result.problems.map((p) => formatProblem({ ...p, file: "" }).replace(/^:/, ""));
}

/** The inventory `text` describes; throws with the loader's problems when it is not valid. */
export function valid(text: string): Inventory {
  const result = parseInventory(text, "inv.yaml");
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join("\n"));
  return result.inventory;
}
