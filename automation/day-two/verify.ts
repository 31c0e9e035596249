import { setTimeout as delay } from "node:timers/promises";
import type { Inventory, SourceAccount } from "../../config/types";
import { type AlarmKind, alarmKinds, alarmName } from "../../infra/policies/monitoring";
import { awsErrorText, isEnvironmentError } from "./aws-clients";
import { mapBounded } from "../driver/concurrency";
import type { ExplainLinkId } from "../review/explain";
import type { RestoreDrill, RestoreDrillOutcome } from "./restore-drill";
import { formatMs } from "./verify-format";

/**
 * `verify`: proves replication end to end with a canary object per account, and that the account's
 * replication alarms are in place. The polling loop is written against small interfaces (CanaryStore for
 * S3, AlarmReader for CloudWatch, Clock for time) so that the timeout, failure and interrupt paths run in
 * milliseconds in tests; the AWS implementations sit at the bottom of this file.
 */

export type VerifyStatus = "replicated" | "failed" | "timed-out" | "error" | "interrupted";

/** An alarm the source stack creates for a monitored account (infra/components/replication-alarms.ts). */
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
  /** `--restore`: restores each replica from the central bucket and compares it (restore-drill.ts). */
  readonly drill?: RestoreDrill;
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
  /** `--restore`: the restore drill for every replicated account, before the canaries are removed. */
  readonly restoreDrill?: boolean;
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
  /** `--restore`: the restore drill's outcome (replicated accounts only). */
  readonly restore?: RestoreDrillOutcome;
}

/** A result before the alarms are read. */
type Decided = Omit<VerifyResult, "alarms" | "restore">;

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
  drill?: RestoreDrillOutcome;
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
  const { drill } = aws;
  if (options.restoreDrill && drill) {
    // Before the canaries go: the replica must still be in the central bucket.
    await mapBounded(
      watches.filter((watch) => watch.result?.status === "replicated"),
      concurrency,
      async (watch) => {
        if (!stopped()) watch.drill = await drill.run(watch.target, canaryBody(watch.target, options.runId));
      },
    );
  }

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
    const drillUnreachable = watch.drill?.status === "failed" && watch.drill.environment;
    return {
      ...result,
      environment: result.environment || watch.alarmsUnreachable || drillUnreachable,
      alarms: watch.alarms,
      ...(watch.drill ? { restore: watch.drill, notes: [...result.notes, ...watch.drill.notes] } : {}),
    };
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
