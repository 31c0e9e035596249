/** How verify reports: the table, the JSON, the exit code, durations. Pure: results in, text out. */

import { DRILL_ADVICE } from "./restore-drill";
import {
  type AlarmCheck,
  type AlarmsOutcome,
  alarmProblems,
  type CanaryPath,
  type CanaryResult,
  type VerifyResult,
  type VerifyStatus,
} from "./verify";
import { textTable } from "../driver/table";

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, "0")}s`;
}

/** `15m`, `90s`, `1h`, `500ms`; a bare number is seconds. */
export function parseTimeout(text: string): { ok: true; ms: number } | { ok: false; message: string } {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
  if (!match || Number(match[1]) <= 0)
    return { ok: false, message: `--timeout must be a positive duration such as 15m, 90s or 1h, got '${text}'` };
  return { ok: true, ms: Number(match[1]) * unit[(match[2] ?? "s") as keyof typeof unit] };
}

/**
 * 130 when the run was interrupted; 3 when any check could not run for lack of environment; 1 when any
 * account is not replicated or has an alarm missing or in ALARM; else 0.
 */
export function verifyExitCode(results: readonly VerifyResult[], interrupted = false): 0 | 1 | 3 | 130 {
  if (interrupted || results.some((r) => r.status === "interrupted")) return 130;
  if (results.some((r) => r.environment)) return 3;
  return results.every(
    (r) => r.status === "replicated" && alarmProblems(r.alarms).length === 0 && r.restore?.status !== "failed",
  )
    ? 0
    : 1;
}

const STATUS_LABEL: Readonly<Record<VerifyStatus, string>> = {
  replicated: "replicated",
  failed: "FAILED",
  "timed-out": "TIMED OUT",
  error: "ERROR",
  interrupted: "interrupted",
};

/**
 * The ALARMS cell: `-` unmonitored, `ok`, or the problems
 * (`missing: failed-replication; ALARM: replication-latency`).
 */
export function formatAlarms(outcome: AlarmsOutcome): string {
  if (outcome.status === "unmonitored") return "-";
  if (outcome.status === "unreadable") return "unknown";
  if (outcome.status === "not-checked") return "not checked";
  const problems = alarmProblems(outcome);
  if (problems.length === 0) return "ok";
  const group = (state: AlarmCheck["state"]) =>
    problems.filter((alarm) => alarm.state === state).map((alarm) => alarm.kind);
  return [["missing", group("missing")] as const, ["ALARM", group("ALARM")] as const]
    .filter(([, kinds]) => kinds.length > 0)
    .map(([state, kinds]) => `${state}: ${kinds.join(", ")}`)
    .join("; ");
}

function alarmAdvice(result: VerifyResult): string[] {
  return alarmProblems(result.alarms).map((alarm) =>
    alarm.state === "missing"
      ? `alarm:    ${alarm.name} does not exist: ` +
        `monitoring is not deployed (org-s3-backup up --accounts ${result.accountId})`
      : `alarm:    ${alarm.name} is in ALARM: replication failed or fell behind recently`,
  );
}

/** A canary's cell: `replicated 1.0s`, `FAILED`, `TIMED OUT`, ...; `-` when the account has no such canary. */
export function formatCanary(canary: CanaryResult | undefined): string {
  if (!canary) return "-";
  if (canary.status === "replicated" && canary.latencyMs !== undefined)
    return `${STATUS_LABEL.replicated} ${formatMs(canary.latencyMs)}`;
  return STATUS_LABEL[canary.status];
}

const canaryOf = (r: VerifyResult, path: CanaryPath) => r.canaries.find((c) => c.path === path);

/**
 * One row per account; the two encryption paths in their own columns (BUCKET KEY: the canary stored with
 * an S3 Bucket Key; NO BUCKET KEY: the one stored without, whose KMS context is its object ARN).
 */
export function formatVerifyTable(results: readonly VerifyResult[]): string {
  const header = ["ACCOUNT", "NAME", "RESULT", "BUCKET KEY", "NO BUCKET KEY", "ALARMS", "DETAIL"];
  const rows = results.map((r) => ({
    cells: [
      r.accountId,
      r.accountName,
      STATUS_LABEL[r.status],
      formatCanary(canaryOf(r, "bucket-key")),
      formatCanary(canaryOf(r, "no-bucket-key")),
      formatAlarms(r.alarms),
      r.detail,
    ],
    more: [
      ...r.suspects.map((s, i) => `${i === 0 ? "suspects: " : "          "}${s.link}: ${s.why}`),
      ...(r.status === "failed" || r.status === "timed-out"
        ? [`check:    org-s3-backup explain --account ${r.accountId}`]
        : []),
      ...alarmAdvice(r),
      ...(r.restore ? [`restore:  ${r.restore.status === "restored" ? "ok, " : "FAILED: "}${r.restore.detail}`] : []),
      ...(r.restore?.status === "failed" ? [`          ${DRILL_ADVICE}`] : []),
      ...r.notes.map((n) => `note: ${n}`),
    ],
  }));
  const { line, lastColumnIndent: indent } = textTable(
    header,
    rows.map((row) => row.cells),
  );
  const counts = new Map<VerifyStatus, number>();
  for (const r of results) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  const totals = [...counts].map(([status, n]) => `${n} ${STATUS_LABEL[status]}`).join(", ");
  const alarmed = results.filter((r) => alarmProblems(r.alarms).length > 0).length;
  const drillsFailed = results.filter((r) => r.restore?.status === "failed").length;
  const drills = results.filter((r) => r.restore).length;
  const summary =
    `verify: ${totals || "no accounts"}` +
    (alarmed > 0 ? `; ${alarmed} account(s) with alarms missing or in ALARM` : "") +
    (drills > 0 ? `; restore drill: ${drills - drillsFailed} restored, ${drillsFailed} failed` : "");
  const body = rows.flatMap((row) => [line(row.cells), ...row.more.map((m) => `${indent}${m}`)]);
  return `${[line(header), ...body, "", summary].join("\n")}\n`;
}

export function verifyJson(results: readonly VerifyResult[], runId: string, exitCode: number): object {
  return {
    operation: "verify",
    runId,
    exitCode,
    accounts: results.map((r) => ({
      accountId: r.accountId,
      accountName: r.accountName,
      key: r.key,
      status: r.status,
      ...(r.latencyMs === undefined ? {} : { latencyMs: Math.round(r.latencyMs) }),
      detail: r.detail,
      suspects: r.suspects,
      canaries: r.canaries.map((c) => ({
        path: c.path,
        key: c.key,
        status: c.status,
        ...(c.latencyMs === undefined ? {} : { latencyMs: Math.round(c.latencyMs) }),
        detail: c.detail,
        suspects: c.suspects,
        ...(c.encryption ? { encryption: c.encryption } : {}),
      })),
      alarms: r.alarms,
      ...(r.restore ? { restore: r.restore } : {}),
      notes: r.notes,
    })),
  };
}
