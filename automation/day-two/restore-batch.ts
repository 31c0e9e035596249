import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import {
  CreateJobCommand,
  type CreateJobCommandInput,
  type JobListDescriptor,
  ListJobsCommand,
  type S3ControlClient,
} from "@aws-sdk/client-s3-control";
import { partitionOf } from "../../config/regions";
import { type BackfillJob, describeBackfillJob, JOB_PRIORITY } from "./backfill";
import { type RestoreEntry, formatCount } from "./restore-plan";
import { formatTextTable } from "../driver/table";

/**
 * `restore --batch`: instead of copying from this machine, write the plan as an S3 Batch Operations CSV
 * manifest (bucket, key, version id) and start a Copy job (S3PutObjectCopy) in the central account, which
 * S3 runs at its own scale. `restore --status` finds the job again by its description, like backfill.
 *
 * What Batch Operations cannot do, and so this says before it starts: strip the `<accountId>/` prefix (a
 * copy job keeps the key and can only add a prefix, so `--batch` needs `--keep-prefix`), copy objects
 * over 5 GiB (those stay for the command without `--batch`, which copies them in parts), and refuse to
 * overwrite (the job overwrites: the plan's target check is the only guard, so a key written at the
 * target after the plan is replaced), and set a KMS key without replacing the objects' metadata (so
 * `--kms-key` is refused with `--batch`; the target bucket's default encryption applies).
 */

export const RESTORE_JOB_DESCRIPTION_PREFIX = "org-s3-backup restore";
/** Where manifests and completion reports go in the target bucket (outside any restored prefix). */
export const RESTORE_JOBS_PREFIX = "org-s3-backup-restore-jobs";
/** S3PutObjectCopy copies objects of at most 5 GiB. */
export const BATCH_COPY_MAX_BYTES = 5 * 1024 * 1024 * 1024;

export function restoreJobDescription(accountId: string, runId: string): string {
  return `${RESTORE_JOB_DESCRIPTION_PREFIX} ${accountId}/ ${runId}`;
}

export function isRestoreJobOf(
  accountId: string | undefined,
  job: Pick<JobListDescriptor, "Description" | "Operation">,
): boolean {
  const prefix = accountId ? `${RESTORE_JOB_DESCRIPTION_PREFIX} ${accountId}/ ` : `${RESTORE_JOB_DESCRIPTION_PREFIX} `;
  return job.Operation === "S3PutObjectCopy" && (job.Description ?? "").startsWith(prefix);
}

/**
 * The manifest: one `bucket,key,versionId` line per object, keys URL-encoded as Batch Operations requires
 * (segment by segment: `/` stays, a space is %20, `+` is %2B, a comma %2C — so no key can break the CSV).
 */
export function manifestCsv(bucket: string, entries: readonly RestoreEntry[]): string {
  let csv = "";
  for (const entry of entries)
    csv += `${bucket},${entry.key.split("/").map(encodeURIComponent).join("/")},${entry.versionId}\n`;
  return csv;
}

/** Entries a copy job can take (<= 5 GiB) and those it cannot. */
export function splitForBatch(entries: readonly RestoreEntry[]): { batch: RestoreEntry[]; tooLarge: RestoreEntry[] } {
  const batch: RestoreEntry[] = [];
  const tooLarge: RestoreEntry[] = [];
  for (const entry of entries) (entry.size > BATCH_COPY_MAX_BYTES ? tooLarge : batch).push(entry);
  return { batch, tooLarge };
}

export interface RestoreJobArgs {
  readonly accountId: string;
  readonly centralAccountId: string;
  readonly centralRegion: string;
  readonly targetBucket: string;
  /** "" or ending in "/": the job prepends it to the central key. */
  readonly targetPrefix: string;
  readonly manifestKey: string;
  readonly manifestEtag: string;
  readonly roleArn: string;
  readonly runId: string;
}

/** Manifest and report locations of a run, in the target bucket. */
export function jobLocations(runId: string): { manifestKey: string; reportPrefix: string } {
  return {
    manifestKey: `${RESTORE_JOBS_PREFIX}/${runId}/manifest.csv`,
    reportPrefix: `${RESTORE_JOBS_PREFIX}/${runId}`,
  };
}

export function createRestoreJobRequest(args: RestoreJobArgs): CreateJobCommandInput {
  const partition = partitionOf(args.centralRegion);
  const targetArn = `arn:${partition}:s3:::${args.targetBucket}`;
  return {
    AccountId: args.centralAccountId,
    ConfirmationRequired: false,
    Operation: {
      S3PutObjectCopy: {
        TargetResource: targetArn,
        // Batch Operations joins TargetKeyPrefix and the key with a "/" (`Folder1` -> `Folder1/<key>`), so
        // the prefix goes without its trailing slash and the keys land where the plan says.
        ...(args.targetPrefix ? { TargetKeyPrefix: args.targetPrefix.replace(/\/$/, "") } : {}),
        // Metadata and tags are copied when neither NewObjectMetadata nor NewObjectTagging is given; the
        // target bucket's default encryption applies (`--kms-key` is refused with `--batch`: its
        // NewObjectMetadata would replace the objects' metadata).
        MetadataDirective: "COPY",
      },
    },
    Manifest: {
      Spec: { Format: "S3BatchOperations_CSV_20180820", Fields: ["Bucket", "Key", "VersionId"] },
      Location: { ObjectArn: `${targetArn}/${args.manifestKey}`, ETag: args.manifestEtag.replace(/"/g, "") },
    },
    Report: {
      Enabled: true,
      Bucket: targetArn,
      Prefix: jobLocations(args.runId).reportPrefix,
      Format: "Report_CSV_20180820",
      ReportScope: "AllTasks",
    },
    Priority: JOB_PRIORITY,
    RoleArn: args.roleArn,
    ClientRequestToken: `${args.runId}-${args.accountId}`.slice(0, 64),
    Description: restoreJobDescription(args.accountId, args.runId),
    Tags: [
      { Key: "managed-by", Value: "org-s3-backup" },
      { Key: "org-s3-backup:operation", Value: "restore" },
      { Key: "org-s3-backup:run", Value: args.runId },
    ],
  };
}

export interface StartedJob {
  readonly jobId: string;
  readonly manifest: string;
  readonly objects: number;
}

/** Uploads the manifest to the target bucket and creates the job; nothing else is written. */
export async function startRestoreJob(
  s3: S3Client,
  control: S3ControlClient,
  entries: readonly RestoreEntry[],
  args: Omit<RestoreJobArgs, "manifestKey" | "manifestEtag"> & { centralBucket: string },
): Promise<StartedJob> {
  const { manifestKey } = jobLocations(args.runId);
  const put = await s3.send(
    new PutObjectCommand({
      Bucket: args.targetBucket,
      Key: manifestKey,
      Body: manifestCsv(args.centralBucket, entries),
      ContentType: "text/csv",
    }),
  );
  if (!put.ETag) throw new Error("PutObject of the manifest returned no ETag");
  const { JobId: jobId } = await control.send(
    new CreateJobCommand(createRestoreJobRequest({ ...args, manifestKey, manifestEtag: put.ETag })),
  );
  if (!jobId) throw new Error("CreateJob returned no job id");
  return { jobId, manifest: `s3://${args.targetBucket}/${manifestKey}`, objects: entries.length };
}

/** The central account's restore jobs (of one source account, or all), newest first. */
export async function listRestoreJobs(
  control: S3ControlClient,
  centralAccountId: string,
  accountId?: string,
): Promise<JobListDescriptor[]> {
  const jobs: JobListDescriptor[] = [];
  let nextToken: string | undefined;
  do {
    const page = await control.send(
      new ListJobsCommand({ AccountId: centralAccountId, ...(nextToken ? { NextToken: nextToken } : {}) }),
    );
    jobs.push(...(page.Jobs ?? []).filter((job) => isRestoreJobOf(accountId, job)));
    nextToken = page.NextToken;
  } while (nextToken);
  return jobs.sort((a, b) => (b.CreationTime?.getTime() ?? 0) - (a.CreationTime?.getTime() ?? 0));
}

export interface RestoreJobStatus extends BackfillJob {
  readonly accountId: string;
  readonly description: string;
}

/** The newest restore job per source account (or of the one named), described. */
export async function restoreJobStatus(
  control: S3ControlClient,
  centralAccountId: string,
  accountId?: string,
): Promise<RestoreJobStatus[]> {
  const jobs = await listRestoreJobs(control, centralAccountId, accountId);
  const newest = new Map<string, JobListDescriptor>();
  for (const job of jobs) {
    const account = /^org-s3-backup restore (\d{12})\/ /.exec(job.Description ?? "")?.[1] ?? "?";
    if (!newest.has(account)) newest.set(account, job);
  }
  const out: RestoreJobStatus[] = [];
  for (const [account, job] of newest) {
    if (!job.JobId) continue;
    out.push({
      ...(await describeBackfillJob(control, centralAccountId, job.JobId)),
      accountId: account,
      description: job.Description ?? "",
    });
  }
  return out;
}

/** 1 when a job failed, was cancelled or has failed tasks (or there is none); else 0. */
export function restoreStatusExitCode(jobs: readonly RestoreJobStatus[]): 0 | 1 {
  if (jobs.length === 0) return 1;
  return jobs.some((job) => job.status === "Failed" || job.status === "Cancelled" || (job.failedTasks ?? 0) > 0)
    ? 1
    : 0;
}

export function formatRestoreJobs(jobs: readonly RestoreJobStatus[]): string {
  if (jobs.length === 0)
    return "no restore job found (restore --batch starts one; S3 lists jobs of the last 90 days)\n";
  const header = ["ACCOUNT", "JOB", "STATUS", "PROGRESS", "DETAIL"];
  const rows = jobs.map((job) => [
    job.accountId,
    job.jobId,
    job.status,
    job.totalTasks === undefined
      ? "-"
      : `${formatCount(job.succeededTasks ?? 0)}/${formatCount(job.totalTasks)} ok, ` +
        `${formatCount(job.failedTasks ?? 0)} failed`,
    [...job.failureReasons, ...(job.reportLocation ? [`report: ${job.reportLocation}`] : [])].join("; "),
  ]);
  return formatTextTable(header, rows);
}
