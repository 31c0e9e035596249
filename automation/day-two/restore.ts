import type { CentralAccount, SourceAccount } from "../../config/types";
import { awsErrorText, isEnvironmentError } from "./aws-clients";
import { bucketRegion, bucketVersioning, httpStatusOf, listTarget, listVersions, type RestoreAws } from "./restore-aws";
import type { JournalState } from "./restore-journal";
import {
  formatCount,
  type RestorePlan,
  type RestoreScope,
  summarize,
  TargetReconciler,
  targetScopePrefix,
  VersionSelector,
  listingPrefix,
} from "./restore-plan";

/**
 * `restore`, the planning run against S3: find the target bucket (and its region), list the account's
 * versions in the central bucket page by page into the selection, list the target scope into the
 * reconciliation, and gather the notes a person should read before anything is written. Read-only.
 */

/** Replication Time Control's objective: newer versions may not be in the central bucket yet. */
export const REPLICATION_LAG_MS = 15 * 60_000;
/**
 * Resume: an object at the target counts as written by the earlier run when it was modified after that
 * run's journal began, minus this margin for the difference between this machine's clock and S3's.
 */
export const CLOCK_SKEW_MARGIN_MS = 5 * 60_000;

export interface RestoreRequest {
  readonly account: SourceAccount;
  readonly central: CentralAccount;
  readonly scope: RestoreScope;
  readonly targetBucket: string;
  readonly exact: boolean;
  readonly overwrite: boolean;
  readonly kmsKeyId?: string;
  /** The identity that reads and writes, for messages. */
  readonly roleArn: string;
  /** The journal of an earlier run of this restore, when resuming. */
  readonly journal?: JournalState;
  readonly now: number;
}

export interface PlannedRestore {
  readonly plan: RestorePlan;
  readonly targetRegion: string;
  readonly versioning: "Enabled" | "Suspended" | "Off" | "unknown";
}

export type PlanOutcome = { ok: true; value: PlannedRestore } | { ok: false; exitCode: 1 | 2 | 3; message: string };

function failure(error: unknown, exitCode: 1 | 2, what: string): PlanOutcome {
  return { ok: false, exitCode: isEnvironmentError(error) ? 3 : exitCode, message: `${what}: ${awsErrorText(error)}` };
}

export async function planRestore(aws: RestoreAws, request: RestoreRequest): Promise<PlanOutcome> {
  const { central, scope, targetBucket, roleArn } = request;
  const centralS3 = aws.s3(central.region);
  const target = `s3://${targetBucket}/${scope.targetPrefix}`;

  let targetRegion: string;
  try {
    targetRegion = await bucketRegion(centralS3, targetBucket, central.region);
  } catch (error) {
    const status = httpStatusOf(error);
    if (status === 404) return { ok: false, exitCode: 2, message: `--to: bucket ${targetBucket} does not exist` };
    if (status === 403) {
      return {
        ok: false,
        exitCode: 2,
        message:
          `--to: bucket ${targetBucket} is not accessible as ${roleArn} (403): ` +
          "its bucket policy must grant this role s3:ListBucket and the write actions " +
          "(docs/day-two.md#iam-for-restore)",
      };
    }
    return failure(error, 2, `--to: cannot reach bucket ${targetBucket}`);
  }
  const targetS3 = aws.s3(targetRegion);

  let versioning: PlannedRestore["versioning"] = "unknown";
  try {
    versioning = await bucketVersioning(targetS3, targetBucket);
  } catch (error) {
    if (request.exact || isEnvironmentError(error))
      return failure(error, 2, `cannot read the versioning of ${targetBucket} (s3:GetBucketVersioning)`);
  }
  if (request.exact && versioning !== "Enabled") {
    return {
      ok: false,
      exitCode: 2,
      message:
        "--exact needs a versioned target (a delete marker keeps every version); " +
        `${targetBucket}'s versioning is ${versioning}: enable it, or restore without --exact`,
    };
  }

  const selector = new VersionSelector(scope, request.now);
  try {
    await listVersions(centralS3, central.bucketName, listingPrefix(scope), central.accountId, (page) =>
      selector.addPage(page),
    );
  } catch (error) {
    return failure(
      error,
      1,
      `cannot list the versions under s3://${central.bucketName}/${listingPrefix(scope)} ` +
        `as ${roleArn} (s3:ListBucketVersions)`,
    );
  }
  const selection = selector.finish();

  const done = request.journal?.done ?? new Set<string>();
  const reconciler = new TargetReconciler(selection.entries, {
    done,
    ...(request.journal ? { ourWritesSince: Date.parse(request.journal.header.startedAt) - CLOCK_SKEW_MARGIN_MS } : {}),
    overwrite: request.overwrite,
    exact: request.exact,
  });
  try {
    await listTarget(targetS3, targetBucket, targetScopePrefix(scope), (objects) => reconciler.add(objects));
  } catch (error) {
    return failure(
      error,
      2,
      `cannot list the target s3://${targetBucket}/${targetScopePrefix(scope)} as ${roleArn} ` +
        "(s3:ListBucket, needed to refuse overwrites)",
    );
  }
  const reconciled = reconciler.finish();
  // Markers already placed by an earlier run are not listed any more (the key reads as deleted).
  const summary = summarize(selection.entries);

  const notes: string[] = [];
  if (request.now - scope.asOf < REPLICATION_LAG_MS) {
    notes.push(
      "the as-of time is less than 15 minutes ago: " +
        "versions written in the source since may not have replicated yet (Replication Time Control's objective)",
    );
  }
  if (!request.account.replication.deleteMarkerReplication) {
    notes.push(
      "deletions in the source are not replicated (deleteMarkerReplication: false), " +
        "so a key deleted in the source is still restorable — " +
        "and is restored even if it was deleted before the as-of time",
    );
  }
  if (targetBucket === request.account.bucket.name) {
    notes.push(
      "the target is the account's own source bucket: " +
        `restored keys under ${request.account.accountId}/ replicate to the central bucket again, as new versions`,
    );
  }
  if (reconciled.conflicts.length > 0 && request.overwrite && versioning !== "Enabled") {
    notes.push(
      `${targetBucket} is not versioned (${versioning}): ` +
        `--overwrite replaces ${formatCount(reconciled.conflicts.length)} object(s) for good`,
    );
  }
  notes.push(
    "copies are written in the STANDARD storage class, encrypted with " +
      `${request.kmsKeyId ? `the KMS key ${request.kmsKeyId}` : "the target bucket's default encryption"}; ` +
      "metadata and tags are kept",
  );
  if (selection.stats.unmappable.length > 0)
    notes.push(
      `not restorable at this target (empty or too long a key): ${selection.stats.unmappable.slice(0, 5).join(", ")}`,
    );

  return {
    ok: true,
    value: {
      targetRegion,
      versioning,
      plan: {
        accountId: request.account.accountId,
        accountName: request.account.name,
        source: `s3://${central.bucketName}/${listingPrefix(scope)}`,
        target,
        keepPrefix: scope.keepPrefix,
        asOf: new Date(scope.asOf).toISOString(),
        summary,
        stats: selection.stats,
        reconciled,
        notes,
        exact: request.exact,
        overwrite: request.overwrite,
      },
    },
  };
}
