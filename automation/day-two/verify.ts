import { setTimeout as delay } from "node:timers/promises";
import type { Inventory, SourceAccount } from "../../config/types";
import { type AlarmKind, alarmKinds, alarmName } from "../../infra/policies/monitoring";
import { awsErrorText, isEnvironmentError } from "./aws-clients";
import { mapBounded } from "../driver/concurrency";
import type { ExplainLinkId } from "../review/explain";
import type { RestoreDrill, RestoreDrillOutcome } from "./restore-drill";
import { formatMs } from "./verify-format";

/**
 * `verify`: proves replication end to end with two canary objects per account, and that the account's
 * replication alarms are in place. The two canaries take the two encryption paths S3 replicates: one is
 * stored with an S3 Bucket Key (KMS encryption context = the bucket ARN), the other without one
 * (context = the object ARN, as for objects written before the bucket key, requests that turn it off,
 * and adopted buckets' objects). Each path is reported on its own: a policy that accepts only one
 * context fails exactly one of them. The polling loop is written against small interfaces (CanaryStore
 * for S3, AlarmReader for CloudWatch, Clock for time) so that the timeout, failure and interrupt paths
 * run in milliseconds in tests; the AWS implementations are in verify-aws.ts.
 */

export type VerifyStatus = "replicated" | "failed" | "timed-out" | "error" | "interrupted";

/** An alarm the source stack creates for a monitored account (infra/components/replication-alarms.ts). */
export interface ExpectedAlarm {
  readonly kind: AlarmKind;
  readonly name: string;
}

/**
 * The encryption path a canary takes. `bucket-key`: SSE-KMS with an S3 Bucket Key, KMS encryption context
 * = the bucket ARN. `no-bucket-key`: SSE-KMS without one (`BucketKeyEnabled: false` on the PUT, which
 * overrides the bucket's setting), context = the object ARN.
 */
export type CanaryPath = "bucket-key" | "no-bucket-key";

export const CANARY_PATHS: Readonly<
  Record<CanaryPath, { readonly bucketKeyEnabled: boolean; readonly label: string; readonly context: string }>
> = {
  "bucket-key": { bucketKeyEnabled: true, label: "bucket key", context: "the bucket ARN" },
  "no-bucket-key": { bucketKeyEnabled: false, label: "no bucket key", context: "the object ARN" },
};

/**
 * One canary of one account: where it goes and where its replica is expected. `canaryTargets` gives each
 * account's `bucket-key` canary (the one `--restore` restores); `canariesOf` adds the account's other one.
 */
export interface CanaryTarget {
  readonly accountId: string;
  readonly accountName: string;
  readonly sourceRegion: string;
  readonly sourceRoleArn: string;
  readonly sourceBucket: string;
  /** The account's key (its inventory alias): the canary is SSE-KMS with it whatever the bucket default is. */
  readonly sourceKmsKey: string;
  readonly centralRegion: string;
  readonly centralRoleArn: string;
  readonly centralBucket: string;
  /** `<accountId>/org-s3-backup-canary/<runId>.txt` (`...-no-bucket-key.txt`), the same key on both sides. */
  readonly key: string;
  readonly path: CanaryPath;
  /** `x-amz-server-side-encryption-bucket-key-enabled` on the PUT. */
  readonly bucketKeyEnabled: boolean;
  /** The account's replication alarms; undefined when the account is not monitored. */
  readonly alarms?: readonly ExpectedAlarm[];
}

/** How S3 stored an object (HeadObject): the facts that say which encryption path it took. */
export interface StoredEncryption {
  /** `aws:kms`, `aws:kms:dsse`, `AES256`; undefined when S3 says nothing. */
  readonly sse?: string;
  readonly kmsKeyId?: string;
  readonly bucketKeyEnabled?: boolean;
  /** Object Lock retention S3 applied (a replica in a central bucket with Object Lock). */
  readonly objectLockMode?: string;
  readonly retainUntil?: string;
}

/** What verify learned about how one canary and its replica were stored. */
export interface CanaryEncryption {
  readonly source?: StoredEncryption;
  readonly replica?: StoredEncryption;
}

/** The S3 calls verify makes. */
export interface CanaryStore {
  /**
   * Puts the canary into the source bucket as the account's role, SSE-KMS with `target.sourceKmsKey` and
   * `target.bucketKeyEnabled`; resolves to its version id.
   */
  put(target: CanaryTarget, body: string): Promise<string | undefined>;
  /** The source object's `ReplicationStatus` (PENDING, COMPLETED, FAILED), undefined when S3 sets none. */
  sourceStatus(target: CanaryTarget, versionId: string | undefined): Promise<string | undefined>;
  /** Whether the replica is in the central bucket (HeadObject as the central role; 404 = not yet). */
  replicaExists(target: CanaryTarget): Promise<boolean>;
  /** Permanently removes the canary version from the source bucket (no delete marker left behind). */
  removeSource(target: CanaryTarget, versionId: string | undefined): Promise<void>;
  /** Permanently removes the replica's current version from the central bucket (`--cleanup`). */
  removeReplica(target: CanaryTarget): Promise<void>;
  /**
   * How the replicated canary and its replica were stored (HeadObject of both); called once per
   * replicated canary, before it is removed. A store without it reports no encryption facts.
   */
  encryption?(target: CanaryTarget, versionId: string | undefined): Promise<CanaryEncryption>;
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

/** What one canary (one encryption path) showed. */
export interface CanaryResult {
  readonly path: CanaryPath;
  readonly key: string;
  readonly status: VerifyStatus;
  /** From the canary's PUT to the first HeadObject that found the replica (replicated only). */
  readonly latencyMs?: number;
  readonly detail: string;
  /** What is most likely broken, most likely first (failed, timed out, error). */
  readonly suspects: readonly Suspect[];
  /** True when the check itself could not run (no credentials, endpoint unreachable). */
  readonly environment: boolean;
  /** How the canary and its replica were stored (replicated canaries, when the store can say). */
  readonly encryption?: CanaryEncryption;
}

/** One account: its two canaries, and the account's verdict from both. */
export interface VerifyResult {
  readonly accountId: string;
  readonly accountName: string;
  /** The `bucket-key` canary's key. */
  readonly key: string;
  /** The worse of the canaries' statuses: replicated only when both replicated. */
  readonly status: VerifyStatus;
  /** The slower canary's latency, when both replicated. */
  readonly latencyMs?: number;
  readonly detail: string;
  /** What is most likely broken, most likely first (failed, timed out, error). */
  readonly suspects: readonly Suspect[];
  /** True when a check could not run (no credentials, endpoint unreachable). */
  readonly environment: boolean;
  /** Clean-up, encryption and alarm-read problems; they never change the result. */
  readonly notes: readonly string[];
  readonly alarms: AlarmsOutcome;
  /** Per encryption path, `bucket-key` first. */
  readonly canaries: readonly CanaryResult[];
  /** `--restore`: the restore drill's outcome (replicated accounts only). */
  readonly restore?: RestoreDrillOutcome;
}

export const CANARY_FOLDER = "org-s3-backup-canary";

export function canaryKey(accountId: string, runId: string, path: CanaryPath = "bucket-key"): string {
  return `${accountId}/${CANARY_FOLDER}/${runId}${path === "bucket-key" ? "" : `-${path}`}.txt`;
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
    sourceKmsKey: source.kmsAlias,
    centralRegion: central.region,
    centralRoleArn: central.roleArn,
    centralBucket: central.bucketName,
    key: canaryKey(source.accountId, runId),
    path: "bucket-key" as const,
    bucketKeyEnabled: CANARY_PATHS["bucket-key"].bucketKeyEnabled,
    ...(source.monitoring.enabled ? { alarms: expectedAlarms(source) } : {}),
  }));
}

/** The account's canaries, one per encryption path: `target` (its bucket-key canary) first, as it is. */
export function canariesOf(target: CanaryTarget): CanaryTarget[] {
  const other: CanaryPath = "no-bucket-key";
  return [
    target,
    {
      ...target,
      key: target.key.replace(/(\.txt)?$/, `-${other}$1`),
      path: other,
      bucketKeyEnabled: CANARY_PATHS[other].bucketKeyEnabled,
    },
  ];
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
    why:
      "s3:ReplicateObject and s3:ObjectOwnerOverrideToBucketOwner on <central>/<accountId>/*, " +
      "kms:Decrypt on the source key, kms:Encrypt on the central key",
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
    why:
      "S3 gave the canary no replication status, so no rule matched the key: " +
      "the rule's prefix must be '<accountId>/' and the rule enabled (was the source stack deployed?)",
  },
  slow: {
    link: "replication-time",
    why:
      "replication may be slow rather than broken: without Replication Time Control S3 promises no 15 minutes; " +
      "retry with a longer --timeout",
  },
  deployerRole: {
    link: "account-role",
    why:
      "the inventory's roleArn for this account must be assumable by you " +
      "and may s3:PutObject / s3:DeleteObjectVersion on the source bucket",
  },
  centralRole: {
    link: "central-role",
    why:
      "the central roleArn must be assumable by you and may s3:GetObject and s3:ListBucket on the central bucket " +
      "(without ListBucket a missing replica is a 403)",
  },
  objectArnRolePolicy: {
    link: "role-policy",
    why:
      "only the canary without an S3 Bucket Key failed: " +
      "the role's KMS statements must accept object ARNs as kms:EncryptionContext:aws:s3:arn " +
      "(<source>/<accountId>/* on the source key, <central>/<accountId>/* on the central key), " +
      "not only the bucket ARNs",
  },
  objectArnCentralKey: {
    link: "central-key",
    why:
      "the central key policy must accept object ARNs of the central bucket (<central>/*) as encryption context, " +
      "not only the bucket ARN",
  },
  bucketKeyCentralKey: {
    link: "central-key",
    why:
      "only the canary with an S3 Bucket Key failed: " +
      "with a bucket key S3 uses the bucket ARN as encryption context " +
      "and needs kms:GenerateDataKey and kms:Decrypt on the central key for the role",
  },
  bucketKeyRolePolicy: {
    link: "role-policy",
    why:
      "the role's central-key statement must allow kms:GenerateDataKey and kms:Decrypt " +
      "with the central bucket ARN as encryption context",
  },
} as const satisfies Record<string, Suspect>;

/** When only one path failed, the other proves everything the two share: what remains is that path's KMS context. */
const ONE_PATH_SUSPECTS: Readonly<Record<CanaryPath, readonly Suspect[]>> = {
  "bucket-key": [SUSPECTS.bucketKeyCentralKey, SUSPECTS.bucketKeyRolePolicy],
  "no-bucket-key": [SUSPECTS.objectArnRolePolicy, SUSPECTS.objectArnCentralKey],
};

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

/** One canary while it is being watched. */
interface Watch {
  readonly target: CanaryTarget;
  /** Shared by the account's canaries. */
  readonly notes: string[];
  /** The canary is in the source bucket (and must be removed). */
  placed: boolean;
  versionId?: string;
  startedAt: number;
  statusSeen?: string;
  result?: CanaryResult;
}

/** One account: its canaries' watches, its alarms, its drill. */
interface AccountWatch {
  readonly target: CanaryTarget;
  readonly notes: string[];
  readonly canaries: readonly Watch[];
  alarms: AlarmsOutcome;
  /** The alarm read could not run for lack of environment (exit 3, as for the canary). */
  alarmsUnreachable: boolean;
  drill?: RestoreDrillOutcome;
}

/**
 * Every account at once: put all canaries (two per account, one per encryption path), then poll all
 * pending canaries in rounds (1 s, 2 s, 4 s, 8 s, then every 10 s) until each is replicated, FAILED or
 * past its timeout, then read how the replicated ones were stored, then remove the canaries, then read
 * the monitored accounts' alarms. Each call phase has at most `concurrency` requests in flight. Because
 * the canaries wait together, the whole run takes about one timeout, not one per account. When `signal`
 * aborts, no canary is put and no poll started any more, the pending canaries are `interrupted` and the
 * alarms not read, but every canary placed is still removed. Never throws; one result per target, in
 * target order.
 */
export async function verifyAll(
  targets: readonly CanaryTarget[],
  aws: VerifyAws,
  options: VerifyOptions,
): Promise<VerifyResult[]> {
  const { clock, concurrency, signal } = options;
  const stopped = () => signal?.aborted === true;
  const accounts: AccountWatch[] = targets.map((target) => {
    const notes: string[] = [];
    return {
      target,
      notes,
      canaries: canariesOf(target).map((canary) => ({ target: canary, notes, placed: false, startedAt: 0 })),
      alarms: { status: target.alarms ? "not-checked" : "unmonitored" },
      alarmsUnreachable: false,
    };
  });
  const watches = accounts.flatMap((account) => account.canaries);

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
    watches.filter((watch) => watch.result?.status === "replicated"),
    concurrency,
    async (watch) => {
      if (!stopped()) await readEncryption(watch, aws.canaries);
    },
  );
  const { drill } = aws;
  if (options.restoreDrill && drill) {
    // Before the canaries go: the replica must still be in the central bucket. The bucket-key canary's.
    await mapBounded(
      accounts.filter((account) => account.canaries.every((watch) => watch.result?.status === "replicated")),
      concurrency,
      async (account) => {
        if (!stopped()) account.drill = await drill.run(account.target, canaryBody(account.target, options.runId));
      },
    );
  }

  await mapBounded(
    watches.filter((watch) => watch.placed),
    concurrency,
    (watch) => removeCanary(watch, aws.canaries, options.cleanup),
  );
  await mapBounded(
    accounts.filter((account) => account.target.alarms),
    concurrency,
    async (account) => {
      if (!stopped()) await readAlarms(account, aws.alarms);
    },
  );
  return accounts.map(accountResult);
}

/** The worse status first: an account is as good as its worse canary. */
const SEVERITY: readonly VerifyStatus[] = ["interrupted", "error", "failed", "timed-out", "replicated"];

/** An account's verdict from its canaries: replicated only when every path replicated. */
function accountResult(account: AccountWatch): VerifyResult {
  const canaries = account.canaries.map((watch) => watch.result as CanaryResult);
  const status = SEVERITY.find((candidate) => canaries.some((c) => c.status === candidate)) ?? "replicated";
  const broken = canaries.filter((c) => c.status !== "replicated");
  const label = (c: CanaryResult) => CANARY_PATHS[c.path].label;
  const allReplicated = broken.length === 0;
  // One path down and the other through: the other one proves the trust, the rule and the bucket policy.
  const onePathDown =
    broken.length === 1 && canaries.length > 1 && (broken[0].status === "failed" || broken[0].status === "timed-out");
  const suspects = onePathDown
    ? [...ONE_PATH_SUSPECTS[broken[0].path], ...(broken[0].status === "timed-out" ? [SUSPECTS.slow] : [])]
    : [...new Set(broken.flatMap((c) => c.suspects))];
  const detail = allReplicated
    ? `${canaries.length > 1 ? "both replicas" : "replica"} found in ${account.target.centralBucket}`
    : [
        ...broken.map((c) => `${label(c)}: ${c.detail}`),
        ...canaries.filter((c) => c.status === "replicated").map((c) => `${label(c)}: replicated`),
      ].join("; ");
  const drillUnreachable = account.drill?.status === "failed" && account.drill.environment;
  return {
    accountId: account.target.accountId,
    accountName: account.target.accountName,
    key: account.target.key,
    status,
    ...(allReplicated ? { latencyMs: Math.max(...canaries.map((c) => c.latencyMs ?? 0)) } : {}),
    detail,
    suspects,
    environment: canaries.some((c) => c.environment) || account.alarmsUnreachable || drillUnreachable,
    notes: [...account.notes, ...(account.drill?.notes ?? [])],
    alarms: account.alarms,
    canaries,
    ...(account.drill ? { restore: account.drill } : {}),
  };
}

/** Polls the pending canaries in rounds until each is decided or `signal` aborts. */
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

async function readAlarms(account: AccountWatch, reader: AlarmReader): Promise<void> {
  const expected = account.target.alarms ?? [];
  try {
    const states = await reader.states(
      account.target,
      expected.map((alarm) => alarm.name),
    );
    account.alarms = { status: "read", alarms: alarmChecks(expected, states) };
  } catch (error) {
    account.alarms = { status: "unreadable" };
    account.alarmsUnreachable = isEnvironmentError(error);
    account.notes.push(
      `could not read the alarms (cloudwatch:DescribeAlarms as the account's role): ${awsErrorText(error)}`,
    );
  }
}

/**
 * How a replicated canary and its replica were stored. A canary stored otherwise than asked (the bucket
 * key on when it should be off, or the reverse) did not prove its path: that is said in a note. Never
 * changes the result; a failed read is a note too.
 */
async function readEncryption(watch: Watch, store: CanaryStore): Promise<void> {
  if (!store.encryption || watch.result?.status !== "replicated") return;
  const { label } = CANARY_PATHS[watch.target.path];
  try {
    const encryption = await store.encryption(watch.target, watch.versionId);
    watch.result = { ...watch.result, encryption };
    const stored = encryption.source?.bucketKeyEnabled ?? false;
    if (encryption.source && stored !== watch.target.bucketKeyEnabled)
      watch.notes.push(
        `the ${label} canary was stored with the bucket key ${stored ? "on" : "off"}: ` +
          "S3 did not take the path it was meant to prove",
      );
    if (encryption.source?.sse !== undefined && encryption.source.sse !== "aws:kms")
      watch.notes.push(
        `the ${label} canary was stored as ${encryption.source.sse}, not SSE-KMS: it proves no KMS path`,
      );
  } catch (error) {
    watch.notes.push(`could not read how the ${label} canary was stored: ${awsErrorText(error)}`);
  }
}

/** One poll of one canary: a result when it is decided, undefined to keep waiting. */
async function check(watch: Watch, store: CanaryStore, options: VerifyOptions): Promise<CanaryResult | undefined> {
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

/** What every result of a canary carries, whatever its status. */
function resultBase(watch: Watch): Pick<CanaryResult, "path" | "key" | "environment"> {
  return { path: watch.target.path, key: watch.target.key, environment: false };
}

function errorResult(watch: Watch, phase: "put" | "poll", error: unknown): CanaryResult {
  return {
    ...resultBase(watch),
    status: "error",
    detail: `${phase === "put" ? "could not put the canary" : "could not check the replica"}: ${awsErrorText(error)}`,
    suspects: phase === "put" ? [SUSPECTS.deployerRole] : [SUSPECTS.centralRole],
    environment: isEnvironmentError(error),
  };
}

function interruptedResult(watch: Watch): CanaryResult {
  return {
    ...resultBase(watch),
    status: "interrupted",
    detail: watch.placed ? "interrupted before the replica was seen" : "interrupted before the canary was put",
    suspects: [],
  };
}

/** The same body for both of an account's canaries: the restore drill compares a replica with it. */
function canaryBody(target: CanaryTarget, runId: string): string {
  return `org-s3-backup replication canary\naccount: ${target.accountId}\nrun: ${runId}\n`;
}
