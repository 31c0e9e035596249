import { adoptedBucketOf } from "../../config/adoption";
import type { AdoptedBucket, Inventory, SourceAccount } from "../../config/types";
import { replicationRuleId } from "../../infra/contract";
import { mapBounded } from "./concurrency";

/**
 * Before `up` touches an adopted bucket: what it already has that our stack would break. A bucket holds
 * ONE replication configuration (PutBucketReplication replaces it whole, with one role for every rule),
 * so applying ours deletes any rule someone else set up; and a bucket with Object Lock replicates only
 * into a bucket with Object Lock (S3 fails each object with DstBucketObjectLockConfigMissing). The
 * decision is pure (decideAdoption); the reads sit behind AdoptedBucketReader (the AWS one is
 * adoption-preflight-aws.ts), made with the deploying role of each account.
 */

export interface AdoptionTarget {
  readonly accountId: string;
  readonly accountName: string;
  readonly region: string;
  /** The deploying role: the one `up` applies the replication configuration with. */
  readonly roleArn: string;
  readonly bucket: string;
  readonly existingReplication: AdoptedBucket["existingReplication"];
  /** Where the entry is, for the message: `accounts[2].existingBucket`. */
  readonly entryPath: string;
}

export interface ReplicationRuleSeen {
  /** S3 gives every rule an id (it makes one up when the writer gave none). */
  readonly id: string;
  readonly status?: string;
  /** ARN of the rule's destination bucket. */
  readonly destination?: string;
}

/** What an adopted bucket already has. */
export interface AdoptedBucketState {
  /** Its replication configuration; undefined when it has none (ReplicationConfigurationNotFoundError). */
  readonly replication?: { readonly role?: string; readonly rules: readonly ReplicationRuleSeen[] };
  /** Object Lock is enabled on the bucket. */
  readonly objectLock: boolean;
}

export interface AdoptedBucketReader {
  read(target: AdoptionTarget): Promise<AdoptedBucketState>;
}

/** Why the state could not be read: the bucket the inventory names does not exist, or anything else. */
export class AdoptedBucketReadError extends Error {
  constructor(
    message: string,
    /**
     * `inventory`: the entry is wrong (no such bucket, another region);
     * `environment`: credentials, network, permissions.
     */
    readonly kind: "inventory" | "environment",
  ) {
    super(message);
  }
}

export type AdoptionVerdict =
  | { readonly status: "ok"; readonly notes: readonly string[] }
  | { readonly status: "refused"; readonly reasons: readonly string[] }
  | { readonly status: "unreadable"; readonly reason: string; readonly cause: "inventory" | "environment" };

export interface AdoptionCheck {
  readonly target: AdoptionTarget;
  readonly verdict: AdoptionVerdict;
}

export interface PreflightReport {
  readonly checks: readonly AdoptionCheck[];
  /** 0 when `up` may go on, else the exit code: 2 refused or the inventory is wrong, 3 could not read. */
  readonly exitCode: 0 | 2 | 3;
}

/** Reads at once: small HTTP calls, as verify's. */
export const PREFLIGHT_CONCURRENCY = 16;

/** The adopted buckets among `sources`, with where their entry is in the inventory. */
export function adoptionTargets(inventory: Inventory, sources: readonly SourceAccount[]): AdoptionTarget[] {
  return sources.flatMap((source) => {
    const adopted = adoptedBucketOf(source);
    if (!adopted) return [];
    const index = inventory.sources.findIndex((s) => s.accountId === source.accountId);
    return [
      {
        accountId: source.accountId,
        accountName: source.name,
        region: source.region,
        roleArn: source.roleArn,
        bucket: adopted.name,
        existingReplication: adopted.existingReplication,
        entryPath: `accounts[${index}].existingBucket`,
      },
    ];
  });
}

/**
 * Whether `up` may apply our stack to an adopted bucket in `state`. Refused: replication rules other than
 * ours (`org-s3-backup-<accountId>`, left by an earlier `up`) unless the entry says `existingReplication:
 * replace`; Object Lock on the bucket while the central bucket has none.
 */
export function decideAdoption(
  target: AdoptionTarget,
  state: AdoptedBucketState,
  centralObjectLock: boolean,
  inventoryPath: string,
): AdoptionVerdict {
  const reasons: string[] = [];
  const notes: string[] = [];
  const ours = replicationRuleId(target.accountId);
  const foreign = (state.replication?.rules ?? []).filter((rule) => rule.id !== ours);
  if (foreign.length > 0) {
    const role = state.replication?.role ? `, role ${state.replication.role}` : "";
    const rules = `${foreign.map(describeRule).join(", ")}${role}`;
    if (target.existingReplication === "replace") {
      notes.push(`its replication rules ${rules} will be REPLACED by ours (existingReplication: replace)`);
    } else {
      reasons.push(
        `it already replicates: rule${foreign.length === 1 ? "" : "s"} ${rules}. ` +
          `Ours would replace ${foreign.length === 1 ? "it" : "them all"}: ` +
          "a bucket has one replication configuration, with one role for all its rules, so rules cannot be merged. " +
          `To replace ${foreign.length === 1 ? "it" : "them"}, ` +
          `set existingReplication: replace in ${target.entryPath} of ${inventoryPath}; ` +
          `to keep ${foreign.length === 1 ? "it" : "them"}, leave the account out (--exclude ${target.accountId})`,
      );
    }
  }
  if (state.objectLock && !centralObjectLock) {
    reasons.push(
      "Object Lock is enabled on it, and S3 replicates a bucket with Object Lock only into a bucket with Object Lock " +
        "(otherwise every object fails with DstBucketObjectLockConfigMissing): " +
        `set central.objectLock in ${inventoryPath}, ` +
        `or leave the account out (--exclude ${target.accountId})`,
    );
  }
  return reasons.length > 0 ? { status: "refused", reasons } : { status: "ok", notes };
}

function describeRule(rule: ReplicationRuleSeen): string {
  const details = [rule.status, rule.destination ? `to ${rule.destination}` : undefined].filter(Boolean).join(", ");
  return `"${rule.id}"${details ? ` (${details})` : ""}`;
}

/** Reads and decides every adopted bucket among `sources`; nothing is read when there is none. Never throws. */
export async function preflightAdoptedBuckets(
  inventory: Inventory,
  sources: readonly SourceAccount[],
  reader: () => AdoptedBucketReader,
  /** How messages name the inventory file (default: its absolute path). */
  inventoryLabel: string = inventory.sourcePath,
): Promise<PreflightReport> {
  const targets = adoptionTargets(inventory, sources);
  if (targets.length === 0) return { checks: [], exitCode: 0 };
  const read = reader();
  const centralObjectLock = inventory.central.objectLock !== undefined;
  const checks = await mapBounded(targets, PREFLIGHT_CONCURRENCY, async (target): Promise<AdoptionCheck> => {
    try {
      const state = await read.read(target);
      return { target, verdict: decideAdoption(target, state, centralObjectLock, inventoryLabel) };
    } catch (error) {
      const cause = error instanceof AdoptedBucketReadError ? error.kind : "environment";
      return { target, verdict: { status: "unreadable", reason: (error as Error).message, cause } };
    }
  });
  const unreadable = checks.flatMap((check) => (check.verdict.status === "unreadable" ? [check.verdict] : []));
  const exitCode =
    checks.some((check) => check.verdict.status === "refused") || unreadable.some((v) => v.cause === "inventory")
      ? 2
      : unreadable.length > 0
        ? 3
        : 0;
  return { checks, exitCode };
}

/** What the preflight found, for stderr: one paragraph per adopted bucket with something to say. */
export function formatPreflight(report: PreflightReport, operation: string): string {
  const lines: string[] = [];
  if (report.exitCode !== 0)
    lines.push(`org-s3-backup ${operation}: adopted buckets checked before anything is deployed; nothing was changed.`);
  for (const { target, verdict } of report.checks) {
    const who = `account ${target.accountId} (${target.accountName}), bucket ${target.bucket}`;
    if (verdict.status === "refused") lines.push(...verdict.reasons.map((reason) => `  ${who}: ${reason}.`));
    else if (verdict.status === "unreadable") lines.push(`  ${who}: ${verdict.reason}`);
    else lines.push(...verdict.notes.map((note) => `${operation}: ${who}: ${note}.`));
  }
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}
