import { setTimeout as delay } from "node:timers/promises";
import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { Inventory, SourceAccount } from "../../config/types";
import { type AlarmKind, alarmKinds, alarmName } from "../../infra/policies/monitoring";
import { type AwsClients, awsErrorText, isEnvironmentError, sessionName } from "./aws-clients";
import type { ExplainLinkId } from "../review/explain";

/**
 * `verify`: proves replication end to end with a canary object per account, and that the account's
 * replication alarms are in place. The polling loop is written against small interfaces (CanaryStore for
 * S3, AlarmReader for CloudWatch, Clock for time) so that the timeout, failure and interrupt paths run in
 * milliseconds in tests; the AWS implementations sit at the bottom of this file.
 */

export type VerifyStatus = "replicated" | "failed" | "timed-out" | "error" | "interrupted";

/** An alarm the source stack creates for a monitored account (infra/monitoring.ts). */
export interface ExpectedAlarm {
  readonly kind: AlarmKind;
  readonly name: string;
}

/** Where one account's canary goes and where its replica is expected. */
export interface CanaryTarget {
  readonly accountId: string;
  readonly accountName: string;
  readonly sourceRegion: string;
  readonly sourceRoleArn: string;
  readonly sourceBucket: string;
  readonly centralRegion: string;
  readonly centralRoleArn: string;
  readonly centralBucket: string;
  /** `<accountId>/org-s3-backup-canary/<runId>.txt`, the same key on both sides. */
  readonly key: string;
  /** The account's replication alarms; undefined when the account is not monitored. */
  readonly alarms?: readonly ExpectedAlarm[];
}

/** The S3 calls verify makes. */
export interface CanaryStore {
  /** Puts the canary into the source bucket as the account's role; resolves to its version id. */
  put(target: CanaryTarget, body: string): Promise<string | undefined>;
  /** The source object's `ReplicationStatus` (PENDING, COMPLETED, FAILED), undefined when S3 sets none. */
  sourceStatus(target: CanaryTarget, versionId: string | undefined): Promise<string | undefined>;
  /** Whether the replica is in the central bucket (HeadObject as the central role; 404 = not yet). */
  replicaExists(target: CanaryTarget): Promise<boolean>;
  /** Permanently removes the canary version from the source bucket (no delete marker left behind). */
  removeSource(target: CanaryTarget, versionId: string | undefined): Promise<void>;
  /** Permanently removes the replica's current version from the central bucket (`--cleanup`). */
  removeReplica(target: CanaryTarget): Promise<void>;
}

export type AlarmState = "OK" | "INSUFFICIENT_DATA" | "ALARM";

/** The CloudWatch call verify makes. */
export interface AlarmReader {
  /**
   * The state of each of `names` that exists, read in the account's region as the account's role; a name
   * absent from the answer is an alarm that does not exist.
   */
  states(target: CanaryTarget, names: readonly string[]): Promise<ReadonlyMap<string, AlarmState>>;
}

/** The AWS side of verify. */
export interface VerifyAws {
  readonly canaries: CanaryStore;
  readonly alarms: AlarmReader;
}

export interface AlarmCheck extends ExpectedAlarm {
  readonly state: AlarmState | "missing";
}

/** What verify learned about an account's alarms. */
export type AlarmsOutcome =
  | { readonly status: "unmonitored" }
  | { readonly status: "read"; readonly alarms: readonly AlarmCheck[] }
  /** DescribeAlarms was refused or did not answer; the reason is in the row's notes. */
  | { readonly status: "unreadable" }
  /** Interrupted before the alarms were read. */
  | { readonly status: "not-checked" };

export interface Clock {
  /** Milliseconds, monotonic enough for measuring latency. */
  now(): number;
  /** Resolves after `ms`, or as soon as `signal` aborts (never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => performance.now(),
  // The only rejection of timers/promises' delay is the abort, which here just ends the wait early.
  sleep: (ms, signal) => delay(ms, undefined, signal ? { signal } : {}).catch(() => undefined),
};

export interface VerifyOptions {
  readonly timeoutMs: number;
  /** Also delete the central replicas (they stay as evidence otherwise). */
  readonly cleanup: boolean;
  readonly concurrency: number;
  readonly clock: Clock;
  /** Identifies this run in keys and role session names. */
  readonly runId: string;
  /** Ctrl-C: stop putting and polling, but still remove the canaries already placed. */
  readonly signal?: AbortSignal;
}

export interface VerifyResult {
  readonly accountId: string;
  readonly accountName: string;
  readonly key: string;
  readonly status: VerifyStatus;
  /** From the canary's PUT to the first HeadObject that found the replica (replicated only). */
  readonly latencyMs?: number;
  readonly detail: string;
  /** What is most likely broken, most likely first (failed, timed out, error). */
  readonly suspects: readonly Suspect[];
  /** True when the check itself could not run (no credentials, endpoint unreachable). */
  readonly environment: boolean;
  /** Clean-up and alarm-read problems; they never change the result. */
  readonly notes: readonly string[];
  readonly alarms: AlarmsOutcome;
}

/** A result before the alarms are read. */
type Decided = Omit<VerifyResult, "alarms">;

export const CANARY_FOLDER = "org-s3-backup-canary";

export function canaryKey(accountId: string, runId: string): string {
  return `${accountId}/${CANARY_FOLDER}/${runId}.txt`;
}

/** `20261125T070102Z-3f9a`: sortable, unique enough for concurrent runs, valid in keys and session names. */
export function newRunId(at: Date, random: () => number = Math.random): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  const suffix = Math.floor(random() * 0x10000)
    .toString(16)
    .padStart(4, "0");
  return `${stamp}-${suffix}`;
}

export function canaryTargets(inventory: Inventory, sources: readonly SourceAccount[], runId: string): CanaryTarget[] {
  const { central } = inventory;
  return sources.map((source) => ({
    accountId: source.accountId,
    accountName: source.name,
    sourceRegion: source.region,
    sourceRoleArn: source.roleArn,
    sourceBucket: source.bucket.name,
    centralRegion: central.region,
    centralRoleArn: central.roleArn,
    centralBucket: central.bucketName,
    key: canaryKey(source.accountId, runId),
    ...(source.monitoring.enabled ? { alarms: expectedAlarms(source) } : {}),
  }));
}

export function expectedAlarms(source: SourceAccount): ExpectedAlarm[] {
  return alarmKinds(source.replication).map((kind) => ({ kind, name: alarmName(source.accountId, kind) }));
}

function alarmChecks(expected: readonly ExpectedAlarm[], states: ReadonlyMap<string, AlarmState>): AlarmCheck[] {
  return expected.map((alarm) => ({ ...alarm, state: states.get(alarm.name) ?? "missing" }));
}

/**
 * Alarms that are not in place (monitoring not deployed) or firing (replication failed or fell behind
 * recently). INSUFFICIENT_DATA is normal: S3 publishes the metrics only while it replicates.
 */
export function alarmProblems(outcome: AlarmsOutcome): AlarmCheck[] {
  return outcome.status === "read"
    ? outcome.alarms.filter((alarm) => alarm.state === "missing" || alarm.state === "ALARM")
    : [];
}

/** Waits between polls: 1 s doubling to 10 s, so a fast replica is seen quickly and a slow one cheaply. */
export function pollDelayMs(attempt: number): number {
  return Math.min(1000 * 2 ** attempt, 10_000);
}

/**
 * What may be broken, by the link ids of `org-s3-backup explain` (which checks each link against the
 * deployed policies) plus the causes outside that chain.
 */
export type SuspectLink = ExplainLinkId | "replication-rule" | "replication-time" | "account-role" | "central-role";

export interface Suspect {
  readonly link: SuspectLink;
  readonly why: string;
}

export const SUSPECTS = {
  roleTrust: {
    link: "role-trust",
    why: "the replication role must trust s3.amazonaws.com (aws:SourceAccount = the source account)",
  },
  rolePolicy: {
    link: "role-policy",
    why: "s3:ReplicateObject and s3:ObjectOwnerOverrideToBucketOwner on <central>/<accountId>/*, kms:Decrypt on the source key, kms:Encrypt on the central key",
  },
  sourceKey: { link: "source-key", why: "the source key policy must let the replication role kms:Decrypt via S3" },
  centralBucketPolicy: {
    link: "central-bucket-policy",
    why: "the central bucket policy must accept the account's replicas under its own <accountId>/ prefix",
  },
  centralKey: {
    link: "central-key",
    why: "the central key policy must let the organization's replication roles kms:Encrypt via S3",
  },
  noRule: {
    link: "replication-rule",
    why: "S3 gave the canary no replication status, so no rule matched the key: the rule's prefix must be '<accountId>/' and the rule enabled (was the source stack deployed?)",
  },
  slow: {
    link: "replication-time",
    why: "replication may be slow rather than broken: without Replication Time Control S3 promises no 15 minutes; retry with a longer --timeout",
  },
  deployerRole: {
    link: "account-role",
    why: "the inventory's roleArn for this account must be assumable by you and may s3:PutObject / s3:DeleteObjectVersion on the source bucket",
  },
  centralRole: {
    link: "central-role",
    why: "the central roleArn must be assumable by you and may s3:GetObject and s3:ListBucket on the central bucket (without ListBucket a missing replica is a 403)",
  },
} as const satisfies Record<string, Suspect>;

export function suspectsFor(status: "failed" | "timed-out", statusSeen: string | undefined): Suspect[] {
  if (status === "failed")
    return [
      SUSPECTS.rolePolicy,
      SUSPECTS.centralBucketPolicy,
      SUSPECTS.centralKey,
      SUSPECTS.sourceKey,
      SUSPECTS.roleTrust,
    ];
  const chain = [
    SUSPECTS.roleTrust,
    SUSPECTS.rolePolicy,
    SUSPECTS.sourceKey,
    SUSPECTS.centralBucketPolicy,
    SUSPECTS.centralKey,
  ];
  return statusSeen === undefined ? [SUSPECTS.noRule, ...chain] : [...chain, SUSPECTS.slow];
}

/** One account's canary while it is being watched. */
interface Watch {
  readonly target: CanaryTarget;
  readonly notes: string[];
  /** The canary is in the source bucket (and must be removed). */
  placed: boolean;
  versionId?: string;
  startedAt: number;
  statusSeen?: string;
  result?: Decided;
  alarms: AlarmsOutcome;
  /** The alarm read could not run for lack of environment (exit 3, as for the canary). */
  alarmsUnreachable: boolean;
}

/**
 * Every account at once: put all canaries, then poll all pending accounts in rounds (1 s, 2 s, 4 s, 8 s,
 * then every 10 s) until each is replicated, FAILED or past its timeout, then remove the canaries, then
 * read the monitored accounts' alarms. Each call phase has at most `concurrency` requests in flight.
 * Because the accounts wait together, the whole run takes about one timeout, not one per account. When
 * `signal` aborts, no canary is put and no poll started any more, the pending accounts are
 * `interrupted` and the alarms not read, but every canary placed is still removed. Never throws; results
 * in target order.
 */
export async function verifyAll(
  targets: readonly CanaryTarget[],
  aws: VerifyAws,
  options: VerifyOptions,
): Promise<VerifyResult[]> {
  const { clock, concurrency, signal } = options;
  const stopped = () => signal?.aborted === true;
  const watches: Watch[] = targets.map((target) => ({
    target,
    notes: [],
    placed: false,
    startedAt: 0,
    alarms: { status: target.alarms ? "not-checked" : "unmonitored" },
    alarmsUnreachable: false,
  }));

  await mapBounded(watches, concurrency, async (watch) => {
    if (stopped()) return;
    try {
      watch.versionId = await aws.canaries.put(watch.target, canaryBody(watch.target, options.runId));
      watch.placed = true;
      watch.startedAt = clock.now();
    } catch (error) {
      watch.result = errorResult(watch, "put", error);
    }
  });
  await poll(watches, aws.canaries, options);
  for (const watch of watches) watch.result ??= interruptedResult(watch);

  await mapBounded(
    watches.filter((watch) => watch.placed),
    concurrency,
    (watch) => removeCanary(watch, aws.canaries, options.cleanup),
  );
  await mapBounded(
    watches.filter((watch) => watch.target.alarms),
    concurrency,
    async (watch) => {
      if (!stopped()) await readAlarms(watch, aws.alarms);
    },
  );
  return watches.map((watch) => {
    const result = watch.result as Decided;
    return { ...result, environment: result.environment || watch.alarmsUnreachable, alarms: watch.alarms };
  });
}

/** Polls the pending accounts in rounds until each is decided or `signal` aborts. */
async function poll(watches: readonly Watch[], store: CanaryStore, options: VerifyOptions): Promise<void> {
  const { clock, concurrency, signal } = options;
  for (let round = 0; !signal?.aborted; round++) {
    const pending = watches.filter((watch) => !watch.result);
    if (pending.length === 0) return;
    await mapBounded(pending, concurrency, async (watch) => {
      if (signal?.aborted) return;
      try {
        watch.result = await check(watch, store, options);
      } catch (error) {
        watch.result = errorResult(watch, "poll", error);
      }
    });
    const waiting = watches.filter((watch) => !watch.result);
    if (waiting.length === 0) return;
    const untilFirstDeadline = Math.min(...waiting.map((watch) => watch.startedAt + options.timeoutMs - clock.now()));
    // A deadline already reached still gets its last poll in the next round, without waiting.
    await clock.sleep(Math.max(0, Math.min(pollDelayMs(round), untilFirstDeadline)), signal);
  }
}

async function removeCanary(watch: Watch, store: CanaryStore, cleanup: boolean): Promise<void> {
  try {
    await store.removeSource(watch.target, watch.versionId);
  } catch (error) {
    watch.notes.push(`canary left in the source bucket: ${awsErrorText(error)}`);
  }
  if (cleanup && watch.result?.status === "replicated") {
    try {
      await store.removeReplica(watch.target);
    } catch (error) {
      watch.notes.push(`replica left in the central bucket: ${awsErrorText(error)}`);
    }
  }
}

async function readAlarms(watch: Watch, reader: AlarmReader): Promise<void> {
  const expected = watch.target.alarms ?? [];
  try {
    const states = await reader.states(
      watch.target,
      expected.map((alarm) => alarm.name),
    );
    watch.alarms = { status: "read", alarms: alarmChecks(expected, states) };
  } catch (error) {
    watch.alarms = { status: "unreadable" };
    watch.alarmsUnreachable = isEnvironmentError(error);
    watch.notes.push(
      `could not read the alarms (cloudwatch:DescribeAlarms as the account's role): ${awsErrorText(error)}`,
    );
  }
}

/** One poll of one account: a result when it is decided, undefined to keep waiting. */
async function check(watch: Watch, store: CanaryStore, options: VerifyOptions): Promise<Decided | undefined> {
  const { target } = watch;
  const base = resultBase(watch);
  if (await store.replicaExists(target)) {
    return {
      ...base,
      status: "replicated",
      latencyMs: options.clock.now() - watch.startedAt,
      detail: `replica found in ${target.centralBucket}`,
      suspects: [],
    };
  }
  watch.statusSeen = (await store.sourceStatus(target, watch.versionId)) ?? watch.statusSeen;
  if (watch.statusSeen === "FAILED") {
    return {
      ...base,
      status: "failed",
      detail: "S3 marked the canary's replication FAILED (source object ReplicationStatus)",
      suspects: suspectsFor("failed", watch.statusSeen),
    };
  }
  const elapsed = options.clock.now() - watch.startedAt;
  if (elapsed < options.timeoutMs) return undefined;
  return {
    ...base,
    status: "timed-out",
    detail: `no replica after ${formatMs(elapsed)} (source ReplicationStatus: ${watch.statusSeen ?? "none"})`,
    suspects: suspectsFor("timed-out", watch.statusSeen),
  };
}

/** What every result of an account carries, whatever its status. */
function resultBase(watch: Watch): Pick<Decided, "accountId" | "accountName" | "key" | "environment" | "notes"> {
  const { target } = watch;
  return {
    accountId: target.accountId,
    accountName: target.accountName,
    key: target.key,
    environment: false,
    notes: watch.notes,
  };
}

function errorResult(watch: Watch, phase: "put" | "poll", error: unknown): Decided {
  return {
    ...resultBase(watch),
    status: "error",
    detail: `${phase === "put" ? "could not put the canary" : "could not check the replica"}: ${awsErrorText(error)}`,
    suspects: phase === "put" ? [SUSPECTS.deployerRole] : [SUSPECTS.centralRole],
    environment: isEnvironmentError(error),
  };
}

function interruptedResult(watch: Watch): Decided {
  return {
    ...resultBase(watch),
    status: "interrupted",
    detail: watch.placed ? "interrupted before the replica was seen" : "interrupted before the canary was put",
    suspects: [],
  };
}

function canaryBody(target: CanaryTarget, runId: string): string {
  return `org-s3-backup replication canary\naccount: ${target.accountId}\nrun: ${runId}\n`;
}

/** Runs `fn` over `items` with at most `limit` calls pending; results keep the items' order. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return results;
}

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
  return results.every((r) => r.status === "replicated" && alarmProblems(r.alarms).length === 0) ? 0 : 1;
}

const STATUS_LABEL: Readonly<Record<VerifyStatus, string>> = {
  replicated: "replicated",
  failed: "FAILED",
  "timed-out": "TIMED OUT",
  error: "ERROR",
  interrupted: "interrupted",
};

/** The ALARMS cell: `-` unmonitored, `ok`, or the problems (`missing: failed-replication; ALARM: replication-latency`). */
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
      ? `alarm:    ${alarm.name} does not exist: monitoring is not deployed (org-s3-backup up --accounts ${result.accountId})`
      : `alarm:    ${alarm.name} is in ALARM: replication failed or fell behind recently`,
  );
}

export function formatVerifyTable(results: readonly VerifyResult[]): string {
  const header = ["ACCOUNT", "NAME", "RESULT", "LATENCY", "ALARMS", "DETAIL"];
  const rows = results.map((r) => ({
    cells: [
      r.accountId,
      r.accountName,
      STATUS_LABEL[r.status],
      r.latencyMs === undefined ? "-" : formatMs(r.latencyMs),
      formatAlarms(r.alarms),
      r.detail,
    ],
    more: [
      ...r.suspects.map((s, i) => `${i === 0 ? "suspects: " : "          "}${s.link}: ${s.why}`),
      ...(r.status === "failed" || r.status === "timed-out"
        ? [`check:    org-s3-backup explain --account ${r.accountId}`]
        : []),
      ...alarmAdvice(r),
      ...r.notes.map((n) => `note: ${n}`),
    ],
  }));
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row.cells[i].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  const indent = " ".repeat(widths.slice(0, -1).reduce((sum, width) => sum + width + 2, 0));
  const counts = new Map<VerifyStatus, number>();
  for (const r of results) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  const totals = [...counts].map(([status, n]) => `${n} ${STATUS_LABEL[status]}`).join(", ");
  const alarmed = results.filter((r) => alarmProblems(r.alarms).length > 0).length;
  const summary = `verify: ${totals || "no accounts"}${alarmed > 0 ? `; ${alarmed} account(s) with alarms missing or in ALARM` : ""}`;
  return `${[line(header), ...rows.flatMap((row) => [line(row.cells), ...row.more.map((m) => `${indent}${m}`)]), "", summary].join("\n")}\n`;
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
      alarms: r.alarms,
      notes: r.notes,
    })),
  };
}

/** verify's calls to real AWS (or the emulator the environment names), sharing one assumed role per account. */
export function awsVerifyCalls(clients: AwsClients, runId: string): VerifyAws {
  return { canaries: s3CanaryStore(clients, runId), alarms: cloudWatchAlarmReader(clients, runId) };
}

/** The AlarmReader of real CloudWatch: DescribeAlarms by name, in the account's region, as its role. */
export function cloudWatchAlarmReader(clients: AwsClients, runId: string): AlarmReader {
  const session = sessionName("verify", runId);
  return {
    async states(t, names) {
      const cloudwatch = clients.cloudwatch(
        t.sourceRegion,
        clients.assumeRole(t.sourceRoleArn, t.sourceRegion, session),
      );
      // At most two names, well under a page (50 alarms): no NextToken to follow.
      const answer = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [...names] }));
      return new Map(
        (answer.MetricAlarms ?? []).flatMap((alarm) =>
          alarm.AlarmName && alarm.StateValue ? [[alarm.AlarmName, alarm.StateValue] as const] : [],
        ),
      );
    },
  };
}

/** The CanaryStore of real S3: the source side as each account's role, the central side as the central role. */
export function s3CanaryStore(clients: AwsClients, runId: string): CanaryStore {
  const session = sessionName("verify", runId);
  const cache = new Map<string, S3Client>();
  const client = (roleArn: string, region: string): S3Client => {
    const key = `${roleArn} ${region}`;
    const cached = cache.get(key);
    if (cached) return cached;
    const s3 = clients.s3(region, clients.assumeRole(roleArn, region, session));
    cache.set(key, s3);
    return s3;
  };
  const sourceS3 = (t: CanaryTarget) => client(t.sourceRoleArn, t.sourceRegion);
  const centralS3 = (t: CanaryTarget) => client(t.centralRoleArn, t.centralRegion);
  return {
    async put(t, body) {
      const answer = await sourceS3(t).send(
        new PutObjectCommand({ Bucket: t.sourceBucket, Key: t.key, Body: body, ContentType: "text/plain" }),
      );
      return answer.VersionId;
    },
    async sourceStatus(t, versionId) {
      const head = await sourceS3(t).send(
        new HeadObjectCommand({ Bucket: t.sourceBucket, Key: t.key, ...(versionId ? { VersionId: versionId } : {}) }),
      );
      return head.ReplicationStatus;
    },
    async replicaExists(t) {
      try {
        await centralS3(t).send(new HeadObjectCommand({ Bucket: t.centralBucket, Key: t.key }));
        return true;
      } catch (error) {
        if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
        throw error;
      }
    },
    async removeSource(t, versionId) {
      await sourceS3(t).send(
        new DeleteObjectCommand({ Bucket: t.sourceBucket, Key: t.key, ...(versionId ? { VersionId: versionId } : {}) }),
      );
    },
    async removeReplica(t) {
      // The version found, not the source's: a delete without one would only add a delete marker.
      const head = await centralS3(t).send(new HeadObjectCommand({ Bucket: t.centralBucket, Key: t.key }));
      await centralS3(t).send(
        new DeleteObjectCommand({
          Bucket: t.centralBucket,
          Key: t.key,
          ...(head.VersionId ? { VersionId: head.VersionId } : {}),
        }),
      );
    },
  };
}
