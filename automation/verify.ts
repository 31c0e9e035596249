import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { Inventory, SourceAccount } from "../config/types";
import { type AwsClients, awsErrorText, isEnvironmentError, sessionName } from "./aws-clients";
import type { ExplainLinkId } from "./explain";

/**
 * `verify`: proves replication end to end with a canary object per account. The polling loop is written
 * against two small interfaces (CanaryStore for S3, Clock for time) so that the timeout and failure paths
 * run in milliseconds in tests; the S3 implementation sits at the bottom of this file.
 */

export type VerifyStatus = "replicated" | "failed" | "timed-out" | "error";

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

export interface Clock {
  /** Milliseconds, monotonic enough for measuring latency. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface VerifyOptions {
  readonly timeoutMs: number;
  /** Also delete the central replicas (they stay as evidence otherwise). */
  readonly cleanup: boolean;
  readonly concurrency: number;
  readonly clock: Clock;
  /** Identifies this run in keys and role session names. */
  readonly runId: string;
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
  /** Clean-up problems; they never change the result. */
  readonly notes: readonly string[];
}

export const CANARY_FOLDER = "org-s3-backup-canary";

export function canaryKey(accountId: string, runId: string): string {
  return `${accountId}/${CANARY_FOLDER}/${runId}.txt`;
}

/** `20261125T070102Z-3f9a`: sortable, unique enough for concurrent runs, valid in keys and session names. */
export function newRunId(at: Date, random: () => number = Math.random): string {
  const stamp = at.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
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
  }));
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
  roleTrust: { link: "role-trust", why: "the replication role must trust s3.amazonaws.com (aws:SourceAccount = the source account)" },
  rolePolicy: {
    link: "role-policy",
    why: "s3:ReplicateObject and s3:ObjectOwnerOverrideToBucketOwner on <central>/<accountId>/*, kms:Decrypt on the source key, kms:Encrypt on the central key",
  },
  sourceKey: { link: "source-key", why: "the source key policy must let the replication role kms:Decrypt via S3" },
  centralBucketPolicy: { link: "central-bucket-policy", why: "the central bucket policy must accept the account's replicas under its own <accountId>/ prefix" },
  centralKey: { link: "central-key", why: "the central key policy must let the organization's replication roles kms:Encrypt via S3" },
  noRule: {
    link: "replication-rule",
    why: "S3 gave the canary no replication status, so no rule matched the key: the rule's prefix must be '<accountId>/' and the rule enabled (was the source stack deployed?)",
  },
  slow: { link: "replication-time", why: "replication may be slow rather than broken: without Replication Time Control S3 promises no 15 minutes; retry with a longer --timeout" },
  deployerRole: { link: "account-role", why: "the inventory's roleArn for this account must be assumable by you and may s3:PutObject / s3:DeleteObjectVersion on the source bucket" },
  centralRole: {
    link: "central-role",
    why: "the central roleArn must be assumable by you and may s3:GetObject and s3:ListBucket on the central bucket (without ListBucket a missing replica is a 403)",
  },
} as const satisfies Record<string, Suspect>;

export function suspectsFor(status: "failed" | "timed-out", statusSeen: string | undefined): Suspect[] {
  if (status === "failed") return [SUSPECTS.rolePolicy, SUSPECTS.centralBucketPolicy, SUSPECTS.centralKey, SUSPECTS.sourceKey, SUSPECTS.roleTrust];
  const chain = [SUSPECTS.roleTrust, SUSPECTS.rolePolicy, SUSPECTS.sourceKey, SUSPECTS.centralBucketPolicy, SUSPECTS.centralKey];
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
  result?: VerifyResult;
}

/**
 * Every account at once: put all canaries, then poll all pending accounts in rounds (1 s, 2 s, 4 s, 8 s,
 * then every 10 s) until each is replicated, FAILED or past its timeout, then remove the canaries. Each
 * call phase has at most `concurrency` requests in flight. Because the accounts wait together, the
 * whole run takes about one timeout, not one per account. Never throws; results in target order.
 */
export async function verifyAll(targets: readonly CanaryTarget[], store: CanaryStore, options: VerifyOptions): Promise<VerifyResult[]> {
  const { clock, concurrency } = options;
  const watches: Watch[] = targets.map((target) => ({ target, notes: [], placed: false, startedAt: 0 }));

  await mapBounded(watches, concurrency, async (watch) => {
    try {
      watch.versionId = await store.put(watch.target, canaryBody(watch.target, options.runId));
      watch.placed = true;
      watch.startedAt = clock.now();
    } catch (error) {
      watch.result = errorResult(watch, "put", error);
    }
  });

  for (let round = 0; ; round++) {
    const pending = watches.filter((watch) => !watch.result);
    if (pending.length === 0) break;
    await mapBounded(pending, concurrency, async (watch) => {
      try {
        watch.result = await check(watch, store, options);
      } catch (error) {
        watch.result = errorResult(watch, "poll", error);
      }
    });
    const waiting = watches.filter((watch) => !watch.result);
    if (waiting.length === 0) break;
    const untilFirstDeadline = Math.min(...waiting.map((watch) => watch.startedAt + options.timeoutMs - clock.now()));
    // A deadline already reached still gets its last poll in the next round, without waiting.
    await clock.sleep(Math.max(0, Math.min(pollDelayMs(round), untilFirstDeadline)));
  }

  await mapBounded(watches.filter((watch) => watch.placed), concurrency, async (watch) => {
    try {
      await store.removeSource(watch.target, watch.versionId);
    } catch (error) {
      watch.notes.push(`canary left in the source bucket: ${awsErrorText(error)}`);
    }
    if (options.cleanup && watch.result?.status === "replicated") {
      try {
        await store.removeReplica(watch.target);
      } catch (error) {
        watch.notes.push(`replica left in the central bucket: ${awsErrorText(error)}`);
      }
    }
  });
  return watches.map((watch) => watch.result as VerifyResult);
}

/** One poll of one account: a result when it is decided, undefined to keep waiting. */
async function check(watch: Watch, store: CanaryStore, options: VerifyOptions): Promise<VerifyResult | undefined> {
  const { target } = watch;
  const base = { accountId: target.accountId, accountName: target.accountName, key: target.key, environment: false, notes: watch.notes };
  if (await store.replicaExists(target)) {
    return { ...base, status: "replicated", latencyMs: options.clock.now() - watch.startedAt, detail: `replica found in ${target.centralBucket}`, suspects: [] };
  }
  watch.statusSeen = (await store.sourceStatus(target, watch.versionId)) ?? watch.statusSeen;
  if (watch.statusSeen === "FAILED") {
    return { ...base, status: "failed", detail: "S3 marked the canary's replication FAILED (source object ReplicationStatus)", suspects: suspectsFor("failed", watch.statusSeen) };
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

function errorResult(watch: Watch, phase: "put" | "poll", error: unknown): VerifyResult {
  const { target } = watch;
  return {
    accountId: target.accountId,
    accountName: target.accountName,
    key: target.key,
    status: "error",
    detail: `${phase === "put" ? "could not put the canary" : "could not check the replica"}: ${awsErrorText(error)}`,
    suspects: phase === "put" ? [SUSPECTS.deployerRole] : [SUSPECTS.centralRole],
    environment: isEnvironmentError(error),
    notes: watch.notes,
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
  if (!match || Number(match[1]) <= 0) return { ok: false, message: `--timeout must be a positive duration such as 15m, 90s or 1h, got '${text}'` };
  return { ok: true, ms: Number(match[1]) * unit[(match[2] ?? "s") as keyof typeof unit] };
}

/** 3 when any check could not run for lack of environment, else 1 when any account is not replicated. */
export function verifyExitCode(results: readonly VerifyResult[]): 0 | 1 | 3 {
  if (results.some((r) => r.environment)) return 3;
  return results.every((r) => r.status === "replicated") ? 0 : 1;
}

const STATUS_LABEL: Readonly<Record<VerifyStatus, string>> = {
  replicated: "replicated",
  failed: "FAILED",
  "timed-out": "TIMED OUT",
  error: "ERROR",
};

export function formatVerifyTable(results: readonly VerifyResult[]): string {
  const header = ["ACCOUNT", "NAME", "RESULT", "LATENCY", "DETAIL"];
  const rows = results.map((r) => ({
    cells: [r.accountId, r.accountName, STATUS_LABEL[r.status], r.latencyMs === undefined ? "-" : formatMs(r.latencyMs), r.detail],
    more: [
      ...r.suspects.map((s, i) => `${i === 0 ? "suspects: " : "          "}${s.link}: ${s.why}`),
      ...(r.status === "failed" || r.status === "timed-out" ? [`check:    org-s3-backup explain --account ${r.accountId}`] : []),
      ...r.notes.map((n) => `note: ${n}`),
    ],
  }));
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row.cells[i].length)));
  const line = (cells: readonly string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]))).join("  ").trimEnd();
  const indent = " ".repeat(widths.slice(0, -1).reduce((sum, width) => sum + width + 2, 0));
  const counts = new Map<VerifyStatus, number>();
  for (const r of results) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  const totals = [...counts].map(([status, n]) => `${n} ${STATUS_LABEL[status]}`).join(", ");
  return [line(header), ...rows.flatMap((row) => [line(row.cells), ...row.more.map((m) => `${indent}${m}`)]), "", `verify: ${totals || "no accounts"}`].join("\n") + "\n";
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
      notes: r.notes,
    })),
  };
}

/** The CanaryStore of real S3: the source side as each account's role, the central side as the central role. */
export function s3CanaryStore(clients: AwsClients, runId: string): CanaryStore {
  const session = sessionName("verify", runId);
  const cache = new Map<string, S3Client>();
  const client = (roleArn: string, region: string): S3Client => {
    const key = `${roleArn} ${region}`;
    let s3 = cache.get(key);
    if (!s3) cache.set(key, (s3 = clients.s3(region, clients.assumeRole(roleArn, region, session))));
    return s3;
  };
  const sourceS3 = (t: CanaryTarget) => client(t.sourceRoleArn, t.sourceRegion);
  const centralS3 = (t: CanaryTarget) => client(t.centralRoleArn, t.centralRegion);
  return {
    async put(t, body) {
      const answer = await sourceS3(t).send(new PutObjectCommand({ Bucket: t.sourceBucket, Key: t.key, Body: body, ContentType: "text/plain" }));
      return answer.VersionId;
    },
    async sourceStatus(t, versionId) {
      const head = await sourceS3(t).send(new HeadObjectCommand({ Bucket: t.sourceBucket, Key: t.key, ...(versionId ? { VersionId: versionId } : {}) }));
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
      await sourceS3(t).send(new DeleteObjectCommand({ Bucket: t.sourceBucket, Key: t.key, ...(versionId ? { VersionId: versionId } : {}) }));
    },
    async removeReplica(t) {
      // The version found, not the source's: a delete without one would only add a delete marker.
      const head = await centralS3(t).send(new HeadObjectCommand({ Bucket: t.centralBucket, Key: t.key }));
      await centralS3(t).send(new DeleteObjectCommand({ Bucket: t.centralBucket, Key: t.key, ...(head.VersionId ? { VersionId: head.VersionId } : {}) }));
    },
  };
}
