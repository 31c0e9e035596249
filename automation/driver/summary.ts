import type { ChangeCounts, StackOutputs } from "../engine/engine";
import { CATEGORY_LABEL } from "../engine/errors";
import { ExitCode } from "../cli/exit-codes";
import { type LockHolder, parseLockHolders, releaseCommand, type StackLock } from "../engine/locks";
import type { RunReport, StackResult } from "./run";
import { textTable } from "./table";

/** The end of a run: summary table, JSON, lock advice and exit code. Pure functions. */

/** 130 interrupted; 1 when any stack failed, timed out, drifted, was skipped or cancelled; else 0. */
export function exitCodeOf(report: RunReport): ExitCode {
  if (report.interrupted) return ExitCode.Interrupted;
  const bad = report.results.some(
    (r) =>
      r.status === "failed" ||
      r.status === "timed-out" ||
      r.status === "drifted" ||
      r.status === "skipped" ||
      r.status === "cancelled",
  );
  return bad ? ExitCode.Failures : ExitCode.Ok;
}

export function formatChanges(counts: ChangeCounts): string {
  return `+${counts.create} ~${counts.update} -${counts.delete}`;
}

export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms >= 3_600_000) {
    const hours = Math.floor(ms / 3_600_000);
    return `${hours}h${String(Math.floor((ms % 3_600_000) / 60_000)).padStart(2, "0")}m`;
  }
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
  "timed-out": "TIMED OUT",
  unchanged: "unchanged, skipped",
};

/** How the summary is printed on a human's screen. */
export interface SummaryFormat {
  /** ANSI colour for FAILED, TIMED OUT and DRIFTED (a terminal, and NO_COLOR unset). */
  readonly color?: boolean;
  /** The widest line (default SUMMARY_WIDTH): a table that would be wider is printed as a list. */
  readonly width?: number;
  /** Builds the ready commands that rerun the stacks that failed. */
  readonly rerun?: RerunContext;
}

export interface RerunContext {
  /** How the user runs the tool (default `org-s3-backup`). */
  readonly program?: string;
  /** Options of this run to repeat (`--inventory x.yaml`, `--backend ...`), already split. */
  readonly args: readonly string[];
}

export const SUMMARY_WIDTH = 100;

const PAINT: Partial<Record<StackResult["status"], string>> = {
  failed: "\x1b[1;31m",
  "timed-out": "\x1b[1;31m",
  drifted: "\x1b[1;33m",
};

/** `NO_COLOR` (any non-empty value) and `TERM=dumb` turn colour off; only a terminal gets it. */
export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && !env.NO_COLOR && env.TERM !== "dumb";
}

/** Text from outside (CLI output, names) made safe to print: no escape sequences, control or bidi characters. */
export function printable(text: string): string {
  return (
    text
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
      .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]/g, "")
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
      .replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g, "\ufffd")
      .replace(/\t/g, " ")
  );
}

/**
 * `text` broken at spaces into lines of at most `width` characters (a longer word is cut); the first
 * line starts with `first`, the others with `rest`.
 */
export function wrapText(text: string, width: number, first = "", rest = first): string[] {
  const lines: string[] = [];
  let line = first;
  let fresh = true;
  const push = () => {
    lines.push(line);
    line = rest;
    fresh = true;
  };
  for (const word of printable(text)
    .split(" ")
    .filter((w) => w.length > 0)) {
    const separator = fresh ? "" : " ";
    if (line.length + separator.length + word.length <= width) {
      line += separator + word;
      fresh = false;
      continue;
    }
    if (!fresh) push();
    let remaining = word;
    while (line.length + remaining.length > width) {
      const take = Math.max(1, width - line.length);
      line += remaining.slice(0, take);
      remaining = remaining.slice(take);
      push();
    }
    if (remaining.length > 0) {
      line += remaining;
      fresh = false;
    }
  }
  if (!fresh || lines.length === 0) lines.push(line);
  return lines;
}

const SECTIONS: ReadonlyArray<readonly [StackResult["status"], string]> = [
  ["failed", "Failed"],
  ["timed-out", "Timed out"],
  ["cancelled", "Cancelled"],
  ["drifted", "Drifted"],
  ["skipped", "Skipped"],
  ["absent", "Not deployed"],
  ["unchanged", "Unchanged"],
];

/**
 * The summary printed after a run: one row per stack (a table when it fits `width`, else a list),
 * the totals, then the failures collected with their reasons, the other results grouped by reason,
 * and ready commands that rerun exactly the accounts that failed.
 */
export function formatSummaryTable(report: RunReport, format: SummaryFormat = {}): string {
  const width = format.width ?? SUMMARY_WIDTH;
  const paint = (status: StackResult["status"], text: string) =>
    format.color && PAINT[status]
      ? text.replace(RESULT_LABEL[status], `${PAINT[status]}${RESULT_LABEL[status]}\x1b[0m`)
      : text;
  const header = ["STACK", "ACCOUNT", "RESULT", "CHANGES", "DURATION"];
  const rows = report.results.map((r) => ({
    result: r,
    cells: [
      r.stack,
      printable(`${r.accountId} ${r.accountName}`.trim()),
      `${r.action} ${RESULT_LABEL[r.status]}`,
      formatChanges(r.counts),
      formatDuration(r.durationMs),
    ],
  }));
  const { line, width: tableWidth } = textTable(
    header,
    rows.map((row) => row.cells),
  );
  const body =
    tableWidth <= width
      ? [line(header), ...rows.map((row) => paint(row.result.status, line(row.cells)))]
      : rows.flatMap((row) => [
          ...wrapText(`${row.cells[0]} ${row.cells[2]}`, width).map((text) => paint(row.result.status, text)),
          ...wrapText(`${row.cells[1]}, changes ${row.cells[3]}, ${row.cells[4]}`, width, "    "),
        ]);
  const counts = countByStatus(report);
  const totals = Object.entries(counts)
    .map(([status, n]) =>
      paint(status as StackResult["status"], `${n} ${RESULT_LABEL[status as StackResult["status"]]}`),
    )
    .join(", ");
  const lines = [
    ...body,
    "",
    `${report.operation}: ${totals} in ${formatDuration(report.durationMs)}`,
    ...details(report, width),
    ...rerunLines(report, format.rerun),
  ];
  return `${lines.join("\n")}\n`;
}

/** The failures with their reasons, the other results grouped by reason, the notes. */
function details(report: RunReport, width: number): string[] {
  const lines: string[] = [];
  const who = (r: StackResult) => (r.role === "orphan" ? r.stack : `${r.stack} (${printable(r.accountName)})`);
  for (const [status, title] of SECTIONS) {
    const results = report.results.filter((r) => r.status === status);
    if (results.length === 0) continue;
    lines.push("", `${title} (${results.length}):`);
    const explained = results.filter((r) => r.failure);
    for (const r of explained) {
      const failure = r.failure as NonNullable<StackResult["failure"]>;
      const label = [r.reason, CATEGORY_LABEL[failure.category]].filter(Boolean).join("; ");
      lines.push(...wrapText(`${who(r)}: ${label}`, width, "  ", "      "));
      for (const excerpt of failure.excerpt) lines.push(...wrapText(excerpt, width, "      ", "        "));
    }
    const byReason = new Map<string, string[]>();
    for (const r of results.filter((result) => !result.failure)) {
      const reason = r.reason ?? (status === "drifted" ? `differs from the state: ${formatChanges(r.counts)}` : "");
      byReason.set(reason, [...(byReason.get(reason) ?? []), r.stack]);
    }
    for (const [reason, stacks] of byReason) {
      lines.push(
        ...wrapText(reason === "" ? stacks.join(", ") : `${reason}: ${stacks.join(", ")}`, width, "  ", "      "),
      );
    }
  }
  const notes = new Map<string, string[]>();
  for (const r of report.results) {
    for (const note of r.notes) notes.set(note, [...(notes.get(note) ?? []), r.stack]);
    if (r.retained && r.retained.length > 0) {
      const note = `${r.retained.length} protected resource(s) kept (data retained)`;
      notes.set(note, [...(notes.get(note) ?? []), r.stack]);
    }
  }
  if (notes.size > 0) {
    lines.push("", "Notes:");
    for (const [note, stacks] of notes) lines.push(...wrapText(`${note}: ${stacks.join(", ")}`, width, "  ", "      "));
  }
  return lines;
}

/** Statuses a rerun repeats: `failed` is what failed by itself; the rest did not finish. */
const FAILED: ReadonlySet<StackResult["status"]> = new Set(["failed", "timed-out"]);
const UNFINISHED: ReadonlySet<StackResult["status"]> = new Set(["failed", "timed-out", "cancelled", "skipped"]);

export interface RerunCommands {
  /** Reruns exactly the accounts that failed or timed out. */
  readonly failed?: string;
  /** Reruns every account that did not finish: failed, timed out, cancelled or skipped. */
  readonly unfinished?: string;
  /** Orphan stacks whose prune did not finish (`--prune` takes no `--accounts`). */
  readonly prune?: string;
}

/** Ready command lines to rerun what did not succeed; nothing when everything did. Pure. */
export function rerunCommands(report: RunReport, context: RerunContext): RerunCommands {
  const program = context.program ?? "org-s3-backup";
  const extra = context.args.map(shellQuote).join(" ");
  const command = (ids: readonly string[]) =>
    [program, report.operation, ...(extra ? [extra] : []), "--accounts", ids.join(",")].join(" ");
  const ids = (statuses: ReadonlySet<StackResult["status"]>) =>
    report.results
      .filter((r) => r.role !== "orphan" && statuses.has(r.status))
      .map((r) => (r.role === "central" ? "central" : r.accountId));
  const failed = ids(FAILED);
  const unfinished = ids(UNFINISHED);
  const orphansLeft = report.results.some((r) => r.role === "orphan" && UNFINISHED.has(r.status));
  return {
    ...(failed.length > 0 ? { failed: command(failed) } : {}),
    ...(unfinished.length > failed.length ? { unfinished: command(unfinished) } : {}),
    ...(orphansLeft ? { prune: [program, "up", ...(extra ? [extra] : []), "--prune"].join(" ") } : {}),
  };
}

function rerunLines(report: RunReport, context: RerunContext | undefined): string[] {
  if (!context) return [];
  const commands = rerunCommands(report, context);
  const count = (statuses: ReadonlySet<StackResult["status"]>) =>
    report.results.filter((r) => r.role !== "orphan" && statuses.has(r.status)).length;
  const lines: string[] = [];
  if (commands.failed) lines.push("", `Rerun the ${count(FAILED)} failed account(s):`, `  ${commands.failed}`);
  if (commands.unfinished)
    lines.push(
      "",
      `Rerun all ${count(UNFINISHED)} account(s) that did not finish (failed, timed out, cancelled, skipped):`,
      `  ${commands.unfinished}`,
    );
  if (commands.prune) lines.push("", "Prune the orphan stacks left:", `  ${commands.prune}`);
  return lines;
}

/** A word as a POSIX shell reads it back. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
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
  /** Adds `rerun`: the commands that rerun what failed. */
  readonly rerun?: RerunContext;
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
    ...(context.rerun ? { rerun: rerunCommands(report, context.rerun) } : {}),
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
 * After a run: which stacks may still hold the backend lock (an operation cancelled, timed out, or whose
 * CLI died) and which were found locked, with the commands that clear them. `pulumi cancel` also deletes
 * a self-managed (file, s3) backend's lock file; pending operations left by a killed update are cleared
 * by a refresh. `now` dates the locks found ("3h10m ago").
 */
export function lockAdvice(report: RunReport, now: Date = new Date()): string {
  const lines: string[] = [];
  const suspects = report.results.filter((r) => report.mayHoldLock.includes(r.stack));
  if (suspects.length > 0) {
    lines.push(
      "These stacks were being changed when their operation stopped; they may still hold a lock or pending operations:",
      ...suspects.map((r) => `  ${r.stack}  ${r.action} ${RESULT_LABEL[r.status]}${suspicion(r)}`),
      'If the next run says "the stack is currently locked", make sure no other run is active, then for each:',
      ...suspects.map((r) => `  ${releaseCommand(r.stack)}`),
      "If it then reports pending operations, run:",
      ...suspects.map((r) => `  pulumi refresh --yes --clear-pending-creates --stack ${r.stack}`),
    );
  }
  const locked = report.results.filter((r) => r.failure?.category === "locked");
  if (locked.length > 0) {
    lines.push(
      "These stacks are locked (by another run, or by a run that died without releasing its lock):",
      ...locked.map((r) => `  ${describeHolders(r.stack, parseLockHolders(r.failure?.raw ?? ""), now)}`),
      "If no other run is active on them, release each lock, then rerun:",
      ...locked.map((r) => `  ${releaseCommand(r.stack)}`),
    );
  }
  if (lines.length === 0) return "";
  lines.push("(Run them from the repository root with the same PULUMI_BACKEND_URL and PULUMI_CONFIG_PASSPHRASE.)");
  return `${lines.join("\n")}\n`;
}

function suspicion(result: StackResult): string {
  if (result.failure?.category !== "cli-died") return "";
  const died = result.failure.excerpt.find((line) => line.includes("may not have released"));
  return died ? ` (${printable(died.replace(/^error: /, "").replace(/; it may not have released.*$/, ""))})` : "";
}

/** `account-1 locked since 2026-… (3h10m ago) by ci@runner-7 (pid 4242)`. Pure. */
export function describeHolders(stack: string, holders: readonly LockHolder[], now: Date): string {
  if (holders.length === 0) return `${stack} is locked`;
  const one = (holder: LockHolder) => {
    const since = holder.since
      ? ` since ${holder.since} (${formatDuration(Math.max(0, now.getTime() - Date.parse(holder.since)))} ago)`
      : "";
    const by = holder.user || holder.host ? ` by ${printable(`${holder.user ?? "?"}@${holder.host ?? "?"}`)}` : "";
    const pid = holder.pid !== undefined ? ` (pid ${holder.pid})` : "";
    return `${since}${by}${pid}`;
  };
  return `${stack} locked${holders.map(one).join(";")}`;
}

/**
 * Before a run, the locks found in a file backend on the stacks about to run: which stack, since when,
 * by whom, and the command that releases it. Empty when there are none. Pure.
 */
export function formatLockNotice(locks: readonly StackLock[], now: Date): string {
  if (locks.length === 0) return "";
  const stacks = [...new Set(locks.map((lock) => lock.stack))];
  return `${[
    `Locked stack(s) found in the backend: ${stacks.length} (their operations will fail until released):`,
    ...stacks.map(
      (stack) =>
        `  ${describeHolders(
          stack,
          locks.filter((lock) => lock.stack === stack),
          now,
        )}`,
    ),
    "If no other run is active on them (a run that was killed leaves its lock behind), release each with:",
    ...stacks.map((stack) => `  ${releaseCommand(stack)}`),
  ].join("\n")}\n`;
}
