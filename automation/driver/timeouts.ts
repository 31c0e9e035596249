import type { Parsed } from "./concurrency";

/** The stack timeout and what follows from it. Pure functions. */

/**
 * Default `--stack-timeout`: 60 minutes. One account stack (a bucket, a key, a role, a replication rule,
 * a few alarms) deploys in one to three minutes; AWS's slowest step here (a KMS key, IAM propagation
 * retries) stays well under ten. An hour only ends CLIs that are stuck, not slow ones.
 */
export const DEFAULT_STACK_TIMEOUT_MS = 60 * 60_000;

/** `90s`, `45m`, `2h`, or a bare number of minutes. */
export function parseStackTimeout(text: string): Parsed<number> {
  const match = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(text.trim());
  const unit = { s: 1000, m: 60_000, h: 3_600_000 } as const;
  const ms = match ? Math.round(Number(match[1]) * unit[(match[2] ?? "m") as keyof typeof unit]) : Number.NaN;
  if (!(ms >= 1000)) {
    return { ok: false, message: `--stack-timeout must be a duration of at least 1s (90s, 45m, 2h), got '${text}'` };
  }
  return { ok: true, value: ms };
}

/**
 * After a cancel (Ctrl-C, SIGTERM, the stack timeout) a CLI has a quarter of the stack timeout, between
 * 1 s and 2 min, to stop cleanly; then it is killed (and its stack reported as possibly locked). A
 * command that is not an operation (select, config, outputs) is killed after the stack timeout, at the
 * earliest after 10 minutes (the first plugin download can take minutes).
 */
export function processLimits(stackTimeoutMs: number): { cancelGraceMs: number; commandTimeoutMs: number } {
  return {
    cancelGraceMs: Math.min(120_000, Math.max(1000, Math.round(stackTimeoutMs / 4))),
    commandTimeoutMs: Math.max(stackTimeoutMs, 10 * 60_000),
  };
}
