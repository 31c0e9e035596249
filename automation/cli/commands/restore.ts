import * as path from "node:path";
import type { Inventory } from "../../../config/types";
import { DEFAULT_INVENTORY_PATH } from "../../../infra/contract";
import { awsErrorText, isEnvironmentError } from "../../day-two/aws-clients";
import { parseConcurrency } from "../../driver/concurrency";
import { type RestoreAws, restoreAws } from "../../day-two/restore-aws";
import {
  formatRestoreJobs,
  restoreJobStatus,
  restoreStatusExitCode,
  splitForBatch,
  startRestoreJob,
} from "../../day-two/restore-batch";
import {
  abortUpload,
  choosePartSize,
  copyAll,
  type CopyOutcome,
  createRestoreProgress,
  DEFAULT_MULTIPART_THRESHOLD,
  DEFAULT_PART_SIZE,
  MIN_PART_SIZE,
  type MarkerOutcome,
  placeDeleteMarkers,
} from "../../day-two/restore-copy";
import {
  defaultJournalDir,
  journalPath,
  readJournal,
  RestoreJournal,
  type JournalHeader,
  type JournalState,
  unfinishedJournals,
  restoreIdentity,
  JOURNAL_KIND,
} from "../../day-two/restore-journal";
import { planRestore } from "../../day-two/restore";
import {
  defaultTargetPrefix,
  formatBytes,
  formatCount,
  formatPlan,
  listingPrefix,
  parseAsOf,
  parsePrefix,
  parseS3Url,
  planJson,
  type RestoreScope,
} from "../../day-two/restore-plan";
import { newRunId } from "../../day-two/verify";
import { type CommandArgs, defineCommand, optionOr } from "../args";
import type { Command, Io } from "../command";
import { ExitCode } from "../exit-codes";
import { type Interrupts, interruptName, terminationInterrupts } from "../interrupts";
import { displayPath, loadInventoryOrReport } from "../inventory-arg";

/** Copies are light server-side requests; measured on the emulator, 32 in flight is past the knee (bench/restore.ts). */
export const DEFAULT_RESTORE_CONCURRENCY = 32;

export interface RestoreDeps {
  loadInventory(path: string, io: Io): Promise<Inventory | undefined>;
  /** S3 and S3 Control as `roleArn` (the environment may point them at an emulator). */
  aws(env: NodeJS.ProcessEnv, roleArn: string, runId: string, concurrency: number): RestoreAws;
  readonly interrupts: Interrupts;
  /** Leaves the process at once (second Ctrl-C). */
  exit(code: number): void;
  now(): Date;
  /** "always": compare the checksum of every object (one HeadObject each), not only those the listing names. */
  readonly checksums?: "listed" | "always";
}

export const defaultRestoreDeps: RestoreDeps = {
  loadInventory: loadInventoryOrReport,
  aws: restoreAws,
  interrupts: terminationInterrupts,
  exit: (code) => process.exit(code),
  now: () => new Date(),
};

const OPTIONS = {
  account: { type: "string" },
  prefix: { type: "string" },
  "as-of": { type: "string" },
  to: { type: "string" },
  "keep-prefix": { type: "boolean" },
  "dry-run": { type: "boolean" },
  overwrite: { type: "boolean" },
  exact: { type: "boolean" },
  "kms-key": { type: "string" },
  concurrency: { type: "string" },
  "multipart-threshold": { type: "string" },
  "part-size": { type: "string" },
  "role-arn": { type: "string" },
  journal: { type: "string" },
  batch: { type: "boolean" },
  "batch-role-arn": { type: "string" },
  status: { type: "boolean" },
  json: { type: "boolean" },
} as const;

const SUMMARY = "Get an account's objects back from the central bucket, as of a point in time";

const HELP = `Usage: org-s3-backup restore --account ID --to s3://BUCKET[/PREFIX] [--prefix P] [--as-of TIME] [options]
       org-s3-backup restore --status [--account ID]

Gets an account's objects back from the central bucket as they were at a point in time: for every key
under <central>/<accountId>/<P>, the version that was current at --as-of (the newest with
LastModified <= TIME) is copied, server-side, to the target. Keys that did not exist yet at TIME are
skipped. The plan (counts, bytes, oldest/newest version, storage classes, archived objects) is printed
first; --dry-run stops there.

Safe by default: the central bucket is refused as a target; objects that exist at the target are
refused unless --overwrite (nothing is written then); nothing is ever deleted (--exact only places
delete markers, in a versioned bucket). A journal (its path is printed) records each object done: after
Ctrl-C, a network failure or a killed process, rerun the same command and it continues, copying
nothing twice. Without --as-of, a rerun continues the unfinished restore's as-of time.

Options:
  --inventory PATH         Inventory file (default: ${DEFAULT_INVENTORY_PATH})
  --account ID             The source account whose backup to restore (must be in the inventory;
                           keep an account that left with enabled: false to restore it)
  --prefix P               Only keys under <accountId>/P
  --as-of TIME             ISO 8601 with a zone (2026-11-25T07:00:00Z) or '3h ago' (default: now)
  --to s3://BUCKET[/PREFIX]  Where to restore. s3://BUCKET alone writes under a fresh prefix
                           restored-<accountId>-<as-of>/; s3://BUCKET/ is the bucket root. The account's
                           own source bucket is allowed when named here.
  --keep-prefix            Keep <accountId>/ in the target keys (default: stripped)
  --dry-run                Print the plan (--json: the manifest) and stop; nothing is written
  --overwrite              Replace objects that exist at the target and differ
  --exact                  Also put a delete marker on every key under the target prefix that did not
                           exist at TIME, so the prefix reads exactly as it did (versioned target only)
  --kms-key ARN            Encrypt the copies with this KMS key (default: the target bucket's default)
  --concurrency N          Requests in flight (default: ${DEFAULT_RESTORE_CONCURRENCY})
  --multipart-threshold SIZE  Copy objects larger than this in parts (default: 5GiB, the CopyObject limit)
  --part-size SIZE         Preferred part size (default: 256MiB; grown to stay within 10,000 parts)
  --role-arn ARN           The identity that reads the central bucket and writes the target
                           (default: the central roleArn)
  --journal PATH           Journal file (default: logs/restore/<account>-<id>-<as-of>.journal)
  --batch                  Start an S3 Batch Operations Copy job instead of copying from here
                           (needs --keep-prefix and --batch-role-arn; objects up to 5 GiB)
  --batch-role-arn ARN     The role the Batch Operations job runs as
  --status                 Show the newest restore job (--batch) per account, found with ListJobs
  --json                   Print the plan/manifest and the outcome as JSON on stdout
  -h, --help               This help

Exit codes: 0 everything restored (or planned, with --dry-run), 1 some objects failed or are archived
(GLACIER / DEEP_ARCHIVE need RestoreObject first) or nothing was found, 2 bad input or refused (nothing
written), 3 no credentials or endpoint unreachable, 130 interrupted (rerun to continue).
Details and the IAM each side needs: docs/day-two.md.
`;

export function restoreCommand(deps: RestoreDeps = defaultRestoreDeps): Command {
  return defineCommand({ name: "restore", summary: SUMMARY, help: HELP, options: OPTIONS }, runRestore, deps);
}

export const command = restoreCommand();

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
};

/** `5GiB`, `100MiB`, `64MB`, `1048576`. */
export function parseSize(option: string, text: string): { ok: true; value: number } | { ok: false; message: string } {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?$/i.exec(text.trim());
  const unit = match ? SIZE_UNITS[(match[2] ?? "").toLowerCase()] : undefined;
  if (!match || unit === undefined || Number(match[1]) <= 0)
    return { ok: false, message: `${option} must be a size such as 5GiB, 100MiB or 1048576, got '${text}'` };
  return { ok: true, value: Math.round(Number(match[1]) * unit) };
}

const ARN = /^arn:[\w-]+:[\w-]+:[\w-]*:\d{0,12}:.+$/;

async function runRestore(args: CommandArgs<typeof OPTIONS>, io: Io, deps: RestoreDeps): Promise<number> {
  const { values: v, usage } = args;
  const json = v.json === true;

  const concurrency = optionOr(v.concurrency, DEFAULT_RESTORE_CONCURRENCY, parseConcurrency);
  if (!concurrency.ok) return usage(concurrency.message);
  if (v.account !== undefined && !/^\d{12}$/.test(v.account))
    return usage(`--account: '${v.account}' is not a 12-digit account id`);

  const inventory = await deps.loadInventory(args.inventoryPath, io);
  if (!inventory) return ExitCode.BadInput;
  const { central } = inventory;
  if (v["role-arn"] !== undefined && !ARN.test(v["role-arn"]))
    return usage(`--role-arn: '${v["role-arn"]}' is not an IAM role ARN`);
  const roleArn = v["role-arn"] ?? central.roleArn;
  const now = deps.now();
  const runId = newRunId(now);

  if (v.status) {
    if (v.account === undefined ? false : !inventory.sources.some((s) => s.accountId === v.account)) {
      return usage(`--account: ${v.account} is not in ${displayPath(inventory.sourcePath, io.cwd)}`);
    }
    return restoreStatus(
      deps,
      io,
      roleArn,
      runId,
      concurrency.value,
      central.accountId,
      central.region,
      v.account,
      json,
    );
  }

  if (v.account === undefined) return usage("name the account to restore with --account ID");
  if (v.account === central.accountId)
    return usage(
      "--account: the central account has no backup of its own in the central bucket; name a source account",
    );
  const account = inventory.sources.find((s) => s.accountId === v.account);
  if (!account) {
    return usage(
      `--account: ${v.account} is not in ${displayPath(inventory.sourcePath, io.cwd)} ` +
        "(an account that left: keep it with enabled: false to restore its backup)",
    );
  }
  if (v.to === undefined)
    return usage("name the target with --to s3://BUCKET[/PREFIX] (a restore never writes anywhere by default)");
  const location = parseS3Url(v.to);
  if (!location.ok) return usage(location.message);
  if (location.value.bucket === central.bucketName) {
    return usage(
      `--to: ${central.bucketName} is the central backup bucket; restoring into the backup itself is refused — name another bucket`,
    );
  }
  const prefix = parsePrefix(v.prefix);
  if (!prefix.ok) return usage(prefix.message);
  const threshold = optionOr(v["multipart-threshold"], DEFAULT_MULTIPART_THRESHOLD, (text) =>
    parseSize("--multipart-threshold", text),
  );
  if (!threshold.ok) return usage(threshold.message);
  if (threshold.value > DEFAULT_MULTIPART_THRESHOLD)
    return usage("--multipart-threshold cannot exceed 5GiB: CopyObject copies at most 5 GiB");
  const partSize = optionOr(v["part-size"], DEFAULT_PART_SIZE, (text) => parseSize("--part-size", text));
  if (!partSize.ok) return usage(partSize.message);
  if (partSize.value < MIN_PART_SIZE || partSize.value > 5 * 1024 ** 3)
    return usage("--part-size must be between 5MiB and 5GiB (S3's part limits)");
  if (v["kms-key"] !== undefined && !/^(arn:[\w-]+:kms:|alias\/|[0-9a-f-]{36}$)/.test(v["kms-key"]))
    return usage(`--kms-key: '${v["kms-key"]}' is not a KMS key ARN, id or alias`);
  if (v.batch) {
    if (!v["keep-prefix"])
      return usage("--batch needs --keep-prefix: a Batch Operations copy keeps each key (it can only add a prefix)");
    if (v["batch-role-arn"] === undefined || !ARN.test(v["batch-role-arn"]))
      return usage("--batch needs --batch-role-arn ARN, the role the job runs as (docs/day-two.md#iam-for-restore)");
    if (v.exact) return usage("--exact is not available with --batch (a copy job places no delete markers)");
    if (v["kms-key"] !== undefined)
      return usage(
        "--kms-key is not available with --batch (the job would replace the objects' metadata); the target's default encryption applies",
      );
  } else if (v["batch-role-arn"] !== undefined) return usage("--batch-role-arn goes with --batch");

  // Which restore is this? Its journal decides the as-of time when none is given.
  const identity = {
    accountId: account.accountId,
    source: `s3://${central.bucketName}/${listingPrefix({ accountId: account.accountId, prefix: prefix.value })}`,
    target: v.to,
    keepPrefix: v["keep-prefix"] === true,
  };
  const journalDir = v.journal ? path.dirname(path.resolve(io.cwd, v.journal)) : defaultJournalDir(io.cwd);
  let asOf: number;
  let resumedFrom: string | undefined;
  let journalFile: string | undefined = v.journal ? path.resolve(io.cwd, v.journal) : undefined;
  let earlier: JournalState | undefined;
  try {
    if (journalFile) earlier = readJournal(journalFile);
    else if (v["as-of"] === undefined) {
      const [unfinished] = unfinishedJournals(journalDir, identity);
      if (unfinished) {
        journalFile = unfinished;
        earlier = readJournal(unfinished);
        resumedFrom = unfinished;
      }
    }
  } catch (error) {
    return usage(`--journal: ${(error as Error).message}`);
  }
  if (earlier && restoreIdentity(earlier.header) !== restoreIdentity(identity)) {
    return usage(
      `--journal ${journalFile} belongs to another restore (${earlier.header.source} to ${earlier.header.target})`,
    );
  }
  if (v["as-of"] !== undefined) {
    const parsed = parseAsOf(v["as-of"], now.getTime());
    if (!parsed.ok) return usage(parsed.message);
    asOf = parsed.value;
    if (earlier && Date.parse(earlier.header.asOf) !== asOf) {
      return usage(
        `--journal ${journalFile} is a restore as of ${earlier.header.asOf}, not ${new Date(asOf).toISOString()}: ` +
          "pass that --as-of to continue it, or another --journal",
      );
    }
  } else asOf = earlier ? Date.parse(earlier.header.asOf) : now.getTime();
  journalFile ??= journalPath(journalDir, identity, asOf);
  try {
    earlier ??= readJournal(journalFile);
  } catch (error) {
    return usage(`journal ${displayPath(journalFile, io.cwd)}: ${(error as Error).message}`);
  }

  const scope: RestoreScope = {
    accountId: account.accountId,
    prefix: prefix.value,
    keepPrefix: identity.keepPrefix,
    targetPrefix: location.value.prefix ?? defaultTargetPrefix(account.accountId, asOf),
    asOf,
  };
  const log = (line: string) => io.stderr.write(`${line}\n`);
  if (resumedFrom)
    log(
      `restore: continuing the unfinished restore as of ${new Date(asOf).toISOString()} ` +
        `(journal ${displayPath(resumedFrom, io.cwd)}); pass --as-of to start another`,
    );

  const aws = deps.aws(io.env, roleArn, runId, concurrency.value);
  const planned = await planRestore(aws, {
    account,
    central,
    scope,
    targetBucket: location.value.bucket,
    exact: v.exact === true,
    overwrite: v.overwrite === true,
    ...(v["kms-key"] ? { kmsKeyId: v["kms-key"] } : {}),
    roleArn,
    ...(earlier ? { journal: earlier } : {}),
    now: now.getTime(),
  });
  if (!planned.ok) {
    io.stderr.write(`org-s3-backup restore: ${planned.message}\n`);
    if (planned.exitCode === ExitCode.Environment)
      io.stderr.write("restore: no AWS credentials, or the endpoint is unreachable; nothing was written.\n");
    return planned.exitCode;
  }
  const { plan, targetRegion } = planned.value;
  const r = plan.reconciled;
  // The plan is always shown first; with --json it goes to stderr, and stdout carries only JSON.
  (json ? io.stderr : io.stdout).write(formatPlan(plan));

  const refused = r.conflicts.length > 0 && !v.overwrite;
  if (v["dry-run"]) {
    if (json)
      io.stdout.write(`${JSON.stringify({ operation: "restore plan", exitCode: 0, ...planJson(plan) }, null, 2)}\n`);
    return ExitCode.Ok;
  }
  if (refused) {
    if (json)
      io.stdout.write(
        `${JSON.stringify({ operation: "restore", exitCode: 2, refused: "objects exist at the target", ...planJson(plan) }, null, 2)}\n`,
      );
    io.stderr.write(
      `org-s3-backup restore: ${formatCount(r.conflicts.length)} object(s) exist at ${plan.target} and differ ` +
        `(first: ${r.conflicts[0].entry.targetKey}); nothing was written. ` +
        "Restore to a fresh prefix, or pass --overwrite to replace them.\n",
    );
    return ExitCode.BadInput;
  }
  const work = r.toCopy.length + r.ours.length + (plan.exact ? r.deleteMarkers.length : 0);
  if (work === 0) {
    const finished = r.alreadyDone + r.identical;
    if (json)
      io.stdout.write(
        `${JSON.stringify({ operation: "restore", exitCode: r.archived.length > 0 || finished === 0 ? 1 : 0, ...planJson(plan) }, null, 2)}\n`,
      );
    if (finished === 0 && r.archived.length === 0) {
      io.stderr.write(
        `restore: nothing to restore under ${plan.source} as of ${plan.asOf} (${formatCount(plan.stats.keysSeen)} key(s) seen).\n`,
      );
      return ExitCode.Failures;
    }
    if (r.archived.length > 0) return ExitCode.Failures;
    // An earlier run's journal is finished now: a later run without --as-of must not continue it.
    if (earlier && !earlier.complete) {
      const journal = RestoreJournal.open(journalFile, earlier.header);
      journal.complete({ copied: 0, note: "everything found at the target" });
      journal.close();
    }
    io.stderr.write(`restore: nothing left to do: every object is at ${plan.target} already.\n`);
    return ExitCode.Ok;
  }

  if (v.batch) {
    return startBatch(io, aws, {
      plan,
      roleArn: v["batch-role-arn"] as string,
      runId,
      targetBucket: location.value.bucket,
      targetPrefix: scope.targetPrefix,
      targetRegion,
      central,
      json,
    });
  }

  // From here on, things are written: the journal first.
  const header: JournalHeader = {
    kind: JOURNAL_KIND,
    version: 1,
    accountId: account.accountId,
    source: identity.source,
    target: identity.target,
    keepPrefix: identity.keepPrefix,
    asOf: new Date(asOf).toISOString(),
    startedAt: earlier?.header.startedAt ?? now.toISOString(),
  };
  const journal = RestoreJournal.open(journalFile, header);
  const shownJournal = displayPath(journalFile, io.cwd);
  log(`restore: journal ${shownJournal} (rerun the same command to continue after an interruption)`);
  const targetS3 = aws.s3(targetRegion);
  const centralS3 = aws.s3(central.region);

  // Multipart uploads an earlier run left open cost storage until aborted.
  for (const [uploadId, key] of earlier?.openUploads ?? []) {
    await abortUpload(targetS3, { Bucket: location.value.bucket, Key: key, UploadId: uploadId }, journal);
  }
  for (const entry of r.ours) journal.done(entry);

  const abort = new AbortController();
  const stopListening = deps.interrupts.onInterrupt((signal) => {
    const name = interruptName(signal);
    if (abort.signal.aborted) {
      journal.sync();
      io.stderr.write(`\nSecond ${name}: exiting now; rerun the same command to continue (journal ${shownJournal}).\n`);
      deps.exit(ExitCode.Interrupted);
      return;
    }
    io.stderr.write(`\n${name}: finishing the copies in flight, then stopping (Ctrl-C again to exit at once)...\n`);
    abort.abort();
  });

  const totalBytes = r.toCopy.reduce((sum, e) => sum + e.size, 0);
  const progress = createRestoreProgress({
    stream: io.stderr,
    live: io.stderr.isTTY === true,
    totalObjects: r.toCopy.length,
    totalBytes,
  });
  let outcome: CopyOutcome;
  let markers: MarkerOutcome | undefined;
  try {
    outcome = await copyAll(
      r.toCopy,
      {
        centralBucket: central.bucketName,
        centralAccountId: central.accountId,
        targetBucket: location.value.bucket,
        source: centralS3,
        target: targetS3,
      },
      {
        concurrency: concurrency.value,
        multipartThreshold: threshold.value,
        partSize: partSize.value,
        ...(v["kms-key"] ? { kmsKeyId: v["kms-key"] } : {}),
        overwrite: v.overwrite === true,
        checksums: deps.checksums ?? "listed",
        journal,
        signal: abort.signal,
        onProgress: (done) => progress.update(done),
      },
    );
    progress.close();
    if (plan.exact && r.deleteMarkers.length > 0 && !outcome.stopped) {
      markers = await placeDeleteMarkers(
        r.deleteMarkers,
        { target: targetS3, targetBucket: location.value.bucket },
        { concurrency: concurrency.value, journal, signal: abort.signal },
      );
    }
    const complete =
      !outcome.stopped &&
      outcome.failures.length === 0 &&
      r.archived.length === 0 &&
      !markers?.stopped &&
      (markers?.failures.length ?? 0) === 0;
    if (complete) journal.complete({ copied: outcome.copied + r.ours.length, bytes: outcome.bytes });
  } finally {
    stopListening();
    journal.close();
  }

  const exitCode = restoreExitCode(outcome, markers, r.archived.length, abort.signal.aborted);
  if (json) {
    io.stdout.write(
      `${JSON.stringify(
        {
          operation: "restore",
          exitCode,
          journal: journalFile,
          ...planJson(plan),
          outcome: {
            copied: outcome.copied,
            bytes: outcome.bytes,
            multipart: outcome.multipart,
            checksumsCompared: outcome.checksumsCompared,
            durationMs: Math.round(outcome.durationMs),
            notAttempted: outcome.notAttempted,
            ...(outcome.stopped ? { stopped: outcome.stopped } : {}),
            failures: outcome.failures,
            ...(markers ? { deleteMarkersPlaced: markers.placed, deleteMarkerFailures: markers.failures } : {}),
          },
        },
        null,
        2,
      )}\n`,
    );
  } else
    io.stdout.write(
      formatOutcome(
        outcome,
        markers,
        r.archived.length,
        shownJournal,
        partSizeNote(r.toCopy, threshold.value, partSize.value),
      ),
    );
  if (exitCode === ExitCode.Environment)
    io.stderr.write(
      `restore: the network or the credentials failed; rerun the same command to continue (journal ${shownJournal}).\n`,
    );
  return exitCode;
}

function partSizeNote(entries: readonly { size: number }[], threshold: number, preferred: number): string | undefined {
  const largest = entries.reduce((max, e) => Math.max(max, e.size), 0);
  if (largest <= threshold) return undefined;
  return `largest object ${formatBytes(largest)} copied in parts of ${formatBytes(choosePartSize(largest, preferred))}`;
}

/** 130 interrupted, 3 environment, 1 failures / archived / stopped, else 0. */
export function restoreExitCode(
  outcome: CopyOutcome,
  markers: MarkerOutcome | undefined,
  archived: number,
  interrupted: boolean,
): number {
  if (interrupted || outcome.stopped === "interrupted" || markers?.stopped === "interrupted")
    return ExitCode.Interrupted;
  if (outcome.stopped === "environment" || markers?.stopped === "environment") return ExitCode.Environment;
  if (outcome.failures.length > 0 || outcome.notAttempted > 0 || archived > 0 || (markers?.failures.length ?? 0) > 0)
    return ExitCode.Failures;
  return ExitCode.Ok;
}

/** How many per-object failures the text output lists (JSON has all). */
const FAILURES_LISTED = 20;

export function formatOutcome(
  outcome: CopyOutcome,
  markers: MarkerOutcome | undefined,
  archived: number,
  journal: string,
  extra?: string,
): string {
  const seconds = outcome.durationMs / 1000;
  const lines = [
    `restore: copied ${formatCount(outcome.copied)} object(s), ${formatBytes(outcome.bytes)} in ${seconds.toFixed(1)}s` +
      (outcome.copied > 0 ? ` (${(outcome.copied / Math.max(seconds, 1e-3)).toFixed(1)} objects/s)` : "") +
      (outcome.multipart > 0 ? `; ${formatCount(outcome.multipart)} in parts` : "") +
      (outcome.checksumsCompared > 0
        ? `; ${formatCount(outcome.checksumsCompared)} checksum(s) compared, all equal`
        : ""),
  ];
  if (extra) lines.push(`restore: ${extra}`);
  if (markers)
    lines.push(
      `restore: ${formatCount(markers.placed)} delete marker(s) placed (--exact)` +
        (markers.failures.length > 0 ? `, ${markers.failures.length} failed` : ""),
    );
  if (outcome.failures.length > 0) {
    const byKind = new Map<string, number>();
    for (const f of outcome.failures) byKind.set(f.kind, (byKind.get(f.kind) ?? 0) + 1);
    lines.push(
      `restore: ${formatCount(outcome.failures.length)} object(s) failed (${[...byKind].map(([kind, n]) => `${n} ${kind}`).join(", ")}):`,
    );
    for (const f of outcome.failures.slice(0, FAILURES_LISTED))
      lines.push(`  ${f.key} -> ${f.targetKey}: ${f.message}`);
    if (outcome.failures.length > FAILURES_LISTED)
      lines.push(`  … and ${formatCount(outcome.failures.length - FAILURES_LISTED)} more (--json lists all)`);
  }
  for (const f of markers?.failures ?? []) lines.push(`  delete marker ${f.targetKey}: ${f.message}`);
  if (archived > 0)
    lines.push(
      `restore: ${formatCount(archived)} archived object(s) NOT copied: request their RestoreObject (see the plan), then rerun`,
    );
  const stopped = outcome.stopped ?? markers?.stopped;
  if (stopped === "interrupted")
    lines.push(`restore: interrupted; ${formatCount(outcome.notAttempted)} object(s) not copied yet`);
  if (stopped === "systematic")
    lines.push(
      `restore: stopped after ${formatCount(outcome.failures.length)} failures in a row; ` +
        `${formatCount(outcome.notAttempted)} object(s) not attempted: fix the cause, then rerun`,
    );
  if (stopped === "environment")
    lines.push(
      `restore: stopped: the network or the credentials failed; ${formatCount(outcome.notAttempted)} object(s) not attempted`,
    );
  if (stopped || outcome.failures.length > 0 || archived > 0)
    lines.push(`restore: journal ${journal}: rerun the same command to continue; nothing done is copied again`);
  return `${lines.join("\n")}\n`;
}

interface BatchArgs {
  readonly plan: import("../../day-two/restore-plan").RestorePlan;
  readonly roleArn: string;
  readonly runId: string;
  readonly targetBucket: string;
  readonly targetPrefix: string;
  readonly targetRegion: string;
  readonly central: Inventory["central"];
  readonly json: boolean;
}

async function startBatch(io: Io, aws: RestoreAws, a: BatchArgs): Promise<number> {
  const { batch, tooLarge } = splitForBatch(a.plan.reconciled.toCopy);
  try {
    const job = await startRestoreJob(aws.s3(a.targetRegion), aws.s3Control(a.central.region), batch, {
      accountId: a.plan.accountId,
      centralAccountId: a.central.accountId,
      centralRegion: a.central.region,
      centralBucket: a.central.bucketName,
      targetBucket: a.targetBucket,
      targetPrefix: a.targetPrefix,
      roleArn: a.roleArn,
      runId: a.runId,
    });
    const exitCode = tooLarge.length > 0 || a.plan.reconciled.archived.length > 0 ? ExitCode.Failures : ExitCode.Ok;
    if (a.json) {
      io.stdout.write(
        `${JSON.stringify({ operation: "restore batch", exitCode, job, tooLarge: tooLarge.map((e) => e.key), ...planJson(a.plan) }, null, 2)}\n`,
      );
    } else {
      io.stdout.write(
        `restore: started S3 Batch Operations job ${job.jobId} for ${formatCount(job.objects)} object(s) ` +
          `(manifest ${job.manifest}); follow it with: org-s3-backup restore --status --account ${a.plan.accountId}\n`,
      );
      if (tooLarge.length > 0) {
        io.stdout.write(
          `restore: ${formatCount(tooLarge.length)} object(s) over 5 GiB are not in the job ` +
            "(a copy job cannot copy them): rerun without --batch to copy them in parts\n",
        );
      }
    }
    return exitCode;
  } catch (error) {
    io.stderr.write(`org-s3-backup restore: could not start the copy job: ${awsErrorText(error)}\n`);
    return isEnvironmentError(error) ? ExitCode.Environment : ExitCode.Failures;
  }
}

async function restoreStatus(
  deps: RestoreDeps,
  io: Io,
  roleArn: string,
  runId: string,
  concurrency: number,
  centralAccountId: string,
  centralRegion: string,
  accountId: string | undefined,
  json: boolean,
): Promise<number> {
  try {
    const jobs = await restoreJobStatus(
      deps.aws(io.env, roleArn, runId, concurrency).s3Control(centralRegion),
      centralAccountId,
      accountId,
    );
    const exitCode = restoreStatusExitCode(jobs);
    if (json) io.stdout.write(`${JSON.stringify({ operation: "restore status", exitCode, jobs }, null, 2)}\n`);
    else io.stdout.write(formatRestoreJobs(jobs));
    return exitCode;
  } catch (error) {
    io.stderr.write(
      `org-s3-backup restore: could not list the restore jobs (s3:ListJobs in ${centralAccountId}): ${awsErrorText(error)}\n`,
    );
    return isEnvironmentError(error) ? ExitCode.Environment : ExitCode.Failures;
  }
}
