import type { ChangeCounts, StackOutputs } from "../engine/engine";
import { CATEGORY_LABEL } from "../engine/errors";
import { ExitCode } from "../cli/exit-codes";
import type { RunReport, StackResult } from "./run";

/** The end of a run: summary table, JSON, lock advice and exit code. Pure functions. */

/** 130 interrupted; 1 when any stack failed, drifted, was skipped or cancelled; else 0. */
export function exitCodeOf(report: RunReport): ExitCode {
  if (report.interrupted) return ExitCode.Interrupted;
  const bad = report.results.some(
    (r) => r.status === "failed" || r.status === "drifted" || r.status === "skipped" || r.status === "cancelled",
  );
  return bad ? ExitCode.Failures : ExitCode.Ok;
}

export function formatChanges(counts: ChangeCounts): string {
  return `+${counts.create} ~${counts.update} -${counts.delete}`;
}

export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, "0")}s`;
}

const RESULT_LABEL: Readonly<Record<StackResult["status"], string>> = {
  succeeded: "ok",
  drifted: "DRIFTED",
  failed: "FAILED",
  skipped: "skipped",
  cancelled: "cancelled",
  absent: "not deployed",
  unchanged: "unchanged, skipped",
};

function reasonOf(result: StackResult): string[] {
  if (result.failure)
    return [CATEGORY_LABEL[result.failure.category], ...result.failure.excerpt.map((line) => `  ${line}`)];
  const lines = [...(result.reason ? [result.reason] : []), ...result.notes];
  if (result.retained && result.retained.length > 0)
    lines.push(`${result.retained.length} protected resource(s) kept (data retained)`);
  return lines;
}

/** The table printed after a run; failures carry their classified reason and first error lines. */
export function formatSummaryTable(report: RunReport): string {
  const header = ["STACK", "ACCOUNT", "RESULT", "CHANGES", "DURATION", "REASON"];
  const rows = report.results.map((r) => {
    const reason = reasonOf(r);
    return {
      cells: [
        r.stack,
        `${r.accountId} ${r.accountName}`.trim(),
        `${r.action} ${RESULT_LABEL[r.status]}`,
        formatChanges(r.counts),
        formatDuration(r.durationMs),
        reason[0] ?? "",
      ],
      more: reason.slice(1),
    };
  });
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row.cells[i].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  const indent = widths.slice(0, -1).reduce((sum, width) => sum + width + 2, 0);
  const body = rows.flatMap((row) => [line(row.cells), ...row.more.map((extra) => `${" ".repeat(indent)}${extra}`)]);
  const counts = countByStatus(report);
  const totals = Object.entries(counts)
    .map(([status, n]) => `${n} ${RESULT_LABEL[status as StackResult["status"]]}`)
    .join(", ");
  return `${[line(header), ...body, "", `${report.operation}: ${totals} in ${formatDuration(report.durationMs)}`].join("\n")}\n`;
}

function countByStatus(report: RunReport): Partial<Record<StackResult["status"], number>> {
  const counts: Partial<Record<StackResult["status"], number>> = {};
  for (const result of report.results) counts[result.status] = (counts[result.status] ?? 0) + 1;
  return counts;
}

/** Secrets stay masked in anything printed. */
export function displayOutputs(outputs: StackOutputs): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(outputs).map(([key, output]) => [key, output.secret ? "[secret]" : output.value]),
  );
}

export interface SummaryContext {
  readonly exitCode: ExitCode;
  readonly logDir?: string;
  readonly orphans: readonly string[];
}

/** The same summary as JSON: the only thing `--json` prints on stdout. */
export function summaryJson(report: RunReport, context: SummaryContext): object {
  return {
    operation: report.operation,
    exitCode: context.exitCode,
    interrupted: report.interrupted,
    durationMs: report.durationMs,
    ...(context.logDir ? { logDir: context.logDir } : {}),
    totals: countByStatus(report),
    orphans: context.orphans,
    mayHoldLock: report.mayHoldLock,
    stacks: report.results.map((r) => ({
      stack: r.stack,
      accountId: r.accountId,
      accountName: r.accountName,
      role: r.role,
      action: r.action,
      status: r.status,
      changes: r.counts,
      durationMs: r.durationMs,
      ...(r.failure
        ? {
            failure: {
              category: r.failure.category,
              label: CATEGORY_LABEL[r.failure.category],
              excerpt: r.failure.excerpt,
            },
          }
        : {}),
      ...(r.reason ? { reason: r.reason } : {}),
      notes: r.notes,
      ...(r.outputs ? { outputs: displayOutputs(r.outputs) } : {}),
      ...(r.retained ? { retained: r.retained } : {}),
    })),
  };
}

/**
 * After an interruption: which stacks may still hold the backend lock and how to clear it. `pulumi
 * cancel` also deletes a self-managed (file, s3) backend's lock file; pending operations left by a
 * killed update are cleared by a refresh.
 */
export function lockAdvice(report: RunReport): string {
  if (report.mayHoldLock.length === 0) return "";
  return `${[
    `Interrupted while these stacks were being changed; they may still hold a lock or pending operations:`,
    ...report.mayHoldLock.map((stack) => `  ${stack}`),
    'If the next run says "the stack is currently locked", make sure no other run is active, then for each:',
    ...report.mayHoldLock.map((stack) => `  pulumi cancel --yes --stack ${stack}`),
    "If it then reports pending operations, run:",
    ...report.mayHoldLock.map((stack) => `  pulumi refresh --yes --clear-pending-creates --stack ${stack}`),
    "(Run them from the repository root with the same PULUMI_BACKEND_URL and PULUMI_CONFIG_PASSPHRASE.)",
  ].join("\n")}\n`;
}
