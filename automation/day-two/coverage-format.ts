/** How coverage reports: the table, the JSON, the exit code. Pure: results in, text out. */

import { type CoverageResult, formatCount, type OutsidePart, type UnreadableKey } from "./coverage";
import { textTable } from "../driver/table";

/** Top-level prefixes and outside parts shown per account in the table (the JSON has them all). */
const SHOWN = 10;

/** 3 when any check could not run for lack of environment; 1 when anything is not protected or failed; else 0. */
export function coverageExitCode(results: readonly CoverageResult[]): 0 | 1 | 3 {
  if (results.some((r) => r.environment)) return 3;
  return results.every((r) => r.status === "covered") ? 0 : 1;
}

function partName(part: OutsidePart): string {
  return part.prefix === "" ? "(root of the bucket)" : part.prefix;
}

function partText(part: OutsidePart): string {
  const more = part.complete ? "" : "+";
  const plural = part.objects === 1 && part.complete ? "" : "s";
  const objects = `${formatCount(part.objects)}${more} object${plural}`;
  return `${partName(part)}  ${objects}, ${formatCount(part.bytes)}${more} bytes`;
}

function keyAdvice(key: UnreadableKey, prefix: string): string {
  const fix = "add it to the entry's existingBucket.additionalKmsKeyArns (and let the role use it in the key's policy)";
  if (key.where === "default")
    return (
      `kms:      default encryption uses ${key.keyId}, which the replication role may not decrypt: ` +
      `new objects under ${prefix} will FAIL replication — ${fix}, or set existingBucket.manage.encryption: true`
    );
  const sampled = `${key.objects} sampled object${key.objects === 1 ? "" : "s"}, e.g. ${key.example}`;
  return key.where === "inside"
    ? `kms:      objects under ${prefix} use ${key.keyId} (${sampled}), which the replication role may not decrypt: ` +
        `their replication FAILS — ${fix}`
    : `kms:      objects outside ${prefix} use ${key.keyId} (${sampled}): not replicated anyway, ` +
        `and would FAIL once moved under ${prefix} — ${fix}`;
}

function detailLines(r: CoverageResult): string[] {
  const lines: string[] = [];
  if (r.status !== "error") {
    const shown = r.topLevelPrefixes
      .slice(0, SHOWN)
      .map((prefix) => (prefix === r.prefix ? `${prefix} (replicated)` : prefix));
    const hidden = r.topLevelPrefixes.length - shown.length;
    const rootObjects = r.outside?.parts.find((part) => part.prefix === "")?.objects ?? 0;
    const listing = [
      ...shown,
      ...(hidden > 0 ? [`and ${formatCount(hidden)} more`] : []),
      ...(rootObjects > 0 ? ["objects at the root"] : []),
    ];
    lines.push(
      `top:      ${listing.join(", ") || "(nothing)"}` +
        (r.topLevelComplete ? "" : " (listing stopped early; --deep lists all)"),
    );
  }
  const parts = r.outside?.parts ?? [];
  for (const part of parts.slice(0, SHOWN)) lines.push(`outside:  ${partText(part)}`);
  if (parts.length > SHOWN) lines.push(`outside:  and ${formatCount(parts.length - SHOWN)} more prefixes (see --json)`);
  if (r.kms.status === "checked") {
    for (const key of r.kms.unreadable) lines.push(keyAdvice(key, r.prefix));
    if (r.kms.unreadable.length === 0 && r.kms.sampled.inside + r.kms.sampled.outside > 0)
      lines.push(
        `kms:      ${r.kms.sampled.inside} object(s) sampled under ${r.prefix} and ${r.kms.sampled.outside} outside: ` +
          "every key is one the replication role may decrypt",
      );
  }
  lines.push(...r.notes.map((note) => `note:     ${note}`));
  return lines;
}

export function formatCoverageTable(results: readonly CoverageResult[]): string {
  const header = ["ACCOUNT", "NAME", "BUCKET", "KEYS", "CALLS", "COVERAGE"];
  const rows = results.map((r) => ({
    cells: [
      r.accountId,
      r.accountName,
      r.bucket,
      r.layout,
      String(r.calls),
      r.status === "error" ? `ERROR: ${r.detail}` : r.detail,
    ],
    more: detailLines(r),
  }));
  const { line, lastColumnIndent: indent } = textTable(
    header,
    rows.map((row) => row.cells),
  );
  const count = (status: CoverageResult["status"]) => results.filter((r) => r.status === status).length;
  const calls = results.reduce((total, r) => total + r.calls, 0);
  const incomplete = results.some((r) => r.outside && !r.outside.complete);
  const summary =
    `coverage: ${count("covered")} covered, ${count("not-protected")} NOT PROTECTED, ${count("error")} error(s); ` +
    `${formatCount(calls)} AWS calls` +
    (incomplete ? "; counts marked + are lower bounds (--deep counts everything)" : "");
  const body = rows.flatMap((row) => [line(row.cells), ...row.more.map((m) => `${indent}${m}`)]);
  return `${[line(header), ...body, "", summary].join("\n")}\n`;
}

export function coverageJson(results: readonly CoverageResult[], exitCode: number, deep: boolean): object {
  return {
    operation: "coverage",
    exitCode,
    deep,
    accounts: results.map((r) => ({
      accountId: r.accountId,
      accountName: r.accountName,
      bucket: r.bucket,
      region: r.region,
      replicatedPrefix: r.prefix,
      keys: r.layout,
      status: r.status,
      detail: r.detail,
      topLevelPrefixes: r.topLevelPrefixes,
      topLevelComplete: r.topLevelComplete,
      ...(r.outside ? { outside: r.outside } : {}),
      kms: r.kms,
      calls: r.calls,
      notes: r.notes,
    })),
  };
}
