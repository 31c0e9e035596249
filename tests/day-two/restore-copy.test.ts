import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PassThrough } from "node:stream";
import { S3Client } from "@aws-sdk/client-s3";
import { expect } from "chai";
import {
  createRestoreJobRequest,
  isRestoreJobOf,
  manifestCsv,
  restoreStatusExitCode,
  splitForBatch,
} from "../../automation/day-two/restore-batch";
import {
  checksumMismatch,
  choosePartSize,
  classifyFailure,
  copyAll,
  type CopyJournal,
  type CopyOptions,
  copySource,
  createLimiter,
  createRestoreProgress,
  formatProgress,
  GiB,
  MiB,
  partRanges,
  storedChecksum,
} from "../../automation/day-two/restore-copy";
import {
  JOURNAL_KIND,
  type JournalHeader,
  journalPath,
  readJournal,
  RestoreJournal,
  restoreIdentity,
  unfinishedJournals,
} from "../../automation/day-two/restore-journal";
import { journalKey, type RestoreEntry } from "../../automation/day-two/restore-plan";

const entry = (key: string, size = 1, versionId = `v-${key}`): RestoreEntry => ({
  key: `111111111111/${key}`,
  versionId,
  targetKey: `restored/${key}`,
  size,
  lastModified: 0,
  storageClass: "STANDARD",
  archived: false,
});

describe("restore copy: multipart sizing", () => {
  it("uses the preferred part size while it fits in 10,000 parts, and grows it in whole MiB beyond", () => {
    expect(choosePartSize(6 * GiB)).to.equal(256 * MiB);
    expect(choosePartSize(11 * MiB, 5 * MiB)).to.equal(5 * MiB);
    expect(choosePartSize(11 * MiB, 1)).to.equal(5 * MiB); // never below S3's minimum
    // 5 TiB, S3's largest object: 10,000 parts need 524.29 MiB, so 525 MiB parts (9,987 of them).
    const fiveTiB = 5 * 1024 * GiB;
    expect(choosePartSize(fiveTiB)).to.equal(525 * MiB);
    expect(Math.ceil(fiveTiB / choosePartSize(fiveTiB))).to.be.at.most(10_000);
    expect(() => choosePartSize(60 * 1024 * GiB)).to.throw(/exceeds S3's limit/);
  });

  it("cuts ranges that cover every byte once, the last part short", () => {
    expect(partRanges(11, 5)).to.deep.equal([
      { partNumber: 1, range: "bytes=0-4" },
      { partNumber: 2, range: "bytes=5-9" },
      { partNumber: 3, range: "bytes=10-10" },
    ]);
    expect(partRanges(10, 5).map((p) => p.range)).to.deep.equal(["bytes=0-4", "bytes=5-9"]);
  });

  it("URL-encodes the copy source key segment by segment, with the version", () => {
    expect(copySource("central", "111111111111/a b/c+d?.txt", "3/L4kqtJl")).to.equal(
      "central/111111111111/a%20b/c%2Bd%3F.txt?versionId=3%2FL4kqtJl",
    );
  });
});

describe("restore copy: checksums and failures", () => {
  it("compares full-object checksums only; a multipart (composite) checksum is not comparable with a copy's", () => {
    expect(storedChecksum({ ChecksumCRC32: "aWLMtQ==", ETag: '"x"' })).to.deep.equal({
      algorithm: "CRC32",
      value: "aWLMtQ==",
    });
    expect(storedChecksum({ ChecksumSHA256: "s", ChecksumType: "FULL_OBJECT" })).to.deep.equal({
      algorithm: "SHA256",
      value: "s",
    });
    expect(storedChecksum({ ChecksumCRC32: "c", ChecksumType: "COMPOSITE" })).to.equal(undefined);
    expect(storedChecksum({ ChecksumCRC32: "c", ETag: '"abc-3"' })).to.equal(undefined);
    expect(storedChecksum({ ETag: '"x"' })).to.equal(undefined);
    const expected = { algorithm: "CRC32" as const, value: "aWLMtQ==" };
    expect(checksumMismatch(expected, { ChecksumCRC32: "aWLMtQ==" })).to.equal(undefined);
    expect(checksumMismatch(expected, {})).to.equal(undefined);
    expect(checksumMismatch(expected, { ChecksumCRC32: "AAAAAA==" })).to.equal(
      "checksum mismatch: CRC32 of the copy is AAAAAA==, the backup's is aWLMtQ==",
    );
  });

  it("classifies per-object failures in words a person can act on", () => {
    const err = (name: string, message: string, status?: number) =>
      Object.assign(new Error(message), { name, ...(status ? { $metadata: { httpStatusCode: status } } : {}) });
    expect(classifyFailure(err("AccessDenied", "Access Denied", 403)).kind).to.equal("access-denied");
    expect(classifyFailure(err("AccessDenied", "User is not authorized to perform: kms:Decrypt", 403)).kind).to.equal(
      "kms",
    );
    expect(classifyFailure(err("KMS.DisabledException", "key disabled", 400)).kind).to.equal("kms");
    expect(classifyFailure(err("SlowDown", "Please reduce your request rate.", 503)).message).to.contain(
      "after the SDK's retries",
    );
    expect(classifyFailure(err("ObjectNotInActiveTierError", "not in the active tier", 403)).kind).to.equal("archived");
    expect(classifyFailure(err("InvalidObjectState", "archived", 403)).kind).to.equal("archived");
    expect(
      classifyFailure(err("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412))
        .kind,
    ).to.equal("exists");
    expect(classifyFailure(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })).kind).to.equal(
      "environment",
    );
  });

  it("keeps at most `limit` calls in flight", async () => {
    const limit = createLimiter(3);
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        limit(async () => {
          peak = Math.max(peak, ++active);
          await new Promise((resolve) => setTimeout(resolve, 1));
          active--;
        }),
      ),
    );
    expect(peak).to.equal(3);
  });
});

describe("restore copy: progress", () => {
  it("shows objects, bytes, rate and ETA", () => {
    expect(formatProgress({ objects: 500, bytes: 500 * MiB }, { objects: 2000, bytes: 2000 * MiB }, 10_000)).to.equal(
      "restore: 500/2,000 objects, 500 MiB/1.95 GiB, 50 objects/s (50.0 MiB/s), ETA 30s",
    );
    expect(formatProgress({ objects: 0, bytes: 0 }, { objects: 10, bytes: 10 }, 1000)).to.match(/ETA -$/);
  });

  it("prints timestamped lines in CI at most every interval, and repaints one line on a terminal", () => {
    let t = 0;
    let ci = "";
    const stream = new PassThrough().on("data", (c: Buffer) => (ci += c.toString()));
    const progress = createRestoreProgress({
      stream,
      live: false,
      totalObjects: 10,
      totalBytes: 10,
      everyMs: 1000,
      now: () => t,
      clock: () => new Date("2026-11-25T07:00:00Z"),
    });
    for (let i = 1; i <= 10; i++) {
      t = i * 300;
      progress.update({ objects: i, bytes: i });
    }
    progress.close();
    // Updates every 300 ms, a line at most every 1,000 ms: after 4 and 8 objects, then the final line.
    expect(
      ci
        .split("\n")
        .filter(Boolean)
        .map((line) => line.split(" ")[2]),
    ).to.deep.equal(["4/10", "8/10", "10/10"]);
    expect(ci).to.match(/^2026-11-25T07:00:00\.000Z restore: 4\/10 objects/);
    let tty = "";
    const live = createRestoreProgress({
      stream: new PassThrough().on("data", (c: Buffer) => (tty += c.toString())),
      live: true,
      totalObjects: 1,
      totalBytes: 1,
      now: () => 0,
    });
    live.close();
    expect(tty.startsWith("\r\u001b[2Krestore: 0/1 objects")).to.equal(true);
    expect(tty.endsWith("\n")).to.equal(true);
  });
});

describe("restore journal", () => {
  let dir: string;
  const identity = {
    accountId: "111111111111",
    source: "s3://central/111111111111/",
    target: "s3://t/x",
    keepPrefix: false,
  };
  const header = (asOf: string): JournalHeader => ({
    kind: JOURNAL_KIND,
    version: 1,
    ...identity,
    asOf,
    startedAt: "2026-11-25T07:00:00.000Z",
  });
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "journal-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("records done objects, open uploads and markers, and reads them back", () => {
    const file = journalPath(dir, identity, Date.parse("2026-11-25T06:00:00Z"));
    expect(path.basename(file)).to.equal(`111111111111-${restoreIdentity(identity)}-20261125T060000Z.journal`);
    const journal = RestoreJournal.open(file, header("2026-11-25T06:00:00.000Z"));
    journal.done(entry("a"));
    journal.uploadStarted("up-1", "restored/big");
    journal.uploadStarted("up-2", "restored/big2");
    journal.uploadEnded("up-1");
    journal.marker("restored/gone");
    journal.close();
    const state = readJournal(file);
    expect(state?.header.asOf).to.equal("2026-11-25T06:00:00.000Z");
    expect([...(state?.done ?? [])]).to.deep.equal([journalKey(entry("a"))]);
    expect([...(state?.openUploads ?? [])]).to.deep.equal([["up-2", "restored/big2"]]);
    expect([...(state?.markers ?? [])]).to.deep.equal(["restored/gone"]);
    expect(state?.complete).to.equal(false);
  });

  it("survives a line torn by a crash: the torn line is ignored and the next one starts on its own line", () => {
    const file = path.join(dir, "j.journal");
    const journal = RestoreJournal.open(file, header("2026-11-25T06:00:00.000Z"));
    journal.done(entry("a"));
    journal.close();
    fs.appendFileSync(file, '{"done":"111111111111/b","vers');
    const reopened = RestoreJournal.open(file, header("2026-11-25T06:00:00.000Z"));
    reopened.done(entry("c"));
    reopened.close();
    const state = readJournal(file);
    expect(state?.unreadableLines).to.equal(1);
    expect([...(state?.done ?? [])]).to.deep.equal([journalKey(entry("a")), journalKey(entry("c"))]);
  });

  it("finds the unfinished journals of the same restore, newest as-of first, and not finished or other ones", () => {
    const older = RestoreJournal.open(
      journalPath(dir, identity, Date.parse("2026-11-24T06:00:00Z")),
      header("2026-11-24T06:00:00.000Z"),
    );
    older.close();
    const newer = RestoreJournal.open(
      journalPath(dir, identity, Date.parse("2026-11-25T06:00:00Z")),
      header("2026-11-25T06:00:00.000Z"),
    );
    newer.close();
    const done = RestoreJournal.open(
      journalPath(dir, identity, Date.parse("2026-11-25T09:00:00Z")),
      header("2026-11-25T09:00:00.000Z"),
    );
    done.complete({ copied: 0 });
    done.close();
    const other = { ...identity, target: "s3://t/other" };
    RestoreJournal.open(journalPath(dir, other, Date.parse("2026-11-25T10:00:00Z")), {
      ...header("2026-11-25T10:00:00.000Z"),
      target: other.target,
    }).close();
    expect(unfinishedJournals(dir, identity).map((f) => path.basename(f).slice(-24))).to.deep.equal([
      "20261125T060000Z.journal",
      "20261124T060000Z.journal",
    ]);
    expect(unfinishedJournals(path.join(dir, "missing"), identity)).to.deep.equal([]);
  });

  it("refuses a file that is not a restore journal", () => {
    const file = path.join(dir, "x.journal");
    fs.writeFileSync(file, '{"hello":1}\n');
    expect(() => readJournal(file)).to.throw(/not a restore journal/);
    expect(readJournal(path.join(dir, "absent.journal"))).to.equal(undefined);
  });

  it("fsyncs on a timer and on close, not per line; each line is written at once (a killed process loses none)", async () => {
    const file = path.join(dir, "timed.journal");
    const journal = RestoreJournal.open(file, header("2026-11-25T06:00:00.000Z"), { syncIntervalMs: 5 });
    for (let i = 0; i < 100; i++) journal.done(entry(`k${i}`));
    // Visible to a reader (the kernel has it) before any close.
    expect(readJournal(file)?.done.size).to.equal(100);
    await new Promise((resolve) => setTimeout(resolve, 20));
    journal.close();
    expect(journal.written).to.equal(100);
  });
});

describe("restore --batch: manifest and job request", () => {
  it("writes bucket,key,versionId lines with keys URL-encoded, so commas and plus signs cannot break the CSV", () => {
    expect(manifestCsv("central", [entry("a b+c,d.txt", 1, "v1"), entry("dir/ü.txt", 1, "null")])).to.equal(
      "central,111111111111/a%20b%2Bc%2Cd.txt,v1\ncentral,111111111111/dir/%C3%BC.txt,null\n",
    );
  });

  it("keeps objects over 5 GiB out of the job (a copy job cannot copy them)", () => {
    const { batch, tooLarge } = splitForBatch([entry("small", 5 * GiB), entry("big", 5 * GiB + 1)]);
    expect(batch.map((e) => e.key)).to.deep.equal(["111111111111/small"]);
    expect(tooLarge.map((e) => e.key)).to.deep.equal(["111111111111/big"]);
  });

  it("creates an S3PutObjectCopy job in the central account with a CSV manifest, a full report and an idempotency token", () => {
    expect(
      createRestoreJobRequest({
        accountId: "111111111111",
        centralAccountId: "999999999999",
        centralRegion: "eu-west-1",
        targetBucket: "restore-target",
        targetPrefix: "incident-42/",
        manifestKey: "org-s3-backup-restore-jobs/R/manifest.csv",
        manifestEtag: '"abc"',
        roleArn: "arn:aws:iam::999999999999:role/restore-batch",
        runId: "R",
      }),
    ).to.deep.equal({
      AccountId: "999999999999",
      ConfirmationRequired: false,
      Operation: {
        S3PutObjectCopy: {
          TargetResource: "arn:aws:s3:::restore-target",
          TargetKeyPrefix: "incident-42",
          MetadataDirective: "COPY",
        },
      },
      Manifest: {
        Spec: { Format: "S3BatchOperations_CSV_20180820", Fields: ["Bucket", "Key", "VersionId"] },
        Location: { ObjectArn: "arn:aws:s3:::restore-target/org-s3-backup-restore-jobs/R/manifest.csv", ETag: "abc" },
      },
      Report: {
        Enabled: true,
        Bucket: "arn:aws:s3:::restore-target",
        Prefix: "org-s3-backup-restore-jobs/R",
        Format: "Report_CSV_20180820",
        ReportScope: "AllTasks",
      },
      Priority: 10,
      RoleArn: "arn:aws:iam::999999999999:role/restore-batch",
      ClientRequestToken: "R-111111111111",
      Description: "org-s3-backup restore 111111111111/ R",
      Tags: [
        { Key: "managed-by", Value: "org-s3-backup" },
        { Key: "org-s3-backup:operation", Value: "restore" },
        { Key: "org-s3-backup:run", Value: "R" },
      ],
    });
  });

  it("recognises its own jobs, and exits 1 for no job, a failed job or failed tasks", () => {
    expect(
      isRestoreJobOf("111111111111", {
        Description: "org-s3-backup restore 111111111111/ R",
        Operation: "S3PutObjectCopy",
      }),
    ).to.equal(true);
    expect(
      isRestoreJobOf("111111111111", {
        Description: "org-s3-backup restore 222222222222/ R",
        Operation: "S3PutObjectCopy",
      }),
    ).to.equal(false);
    expect(
      isRestoreJobOf(undefined, {
        Description: "org-s3-backup backfill 111111111111/ R",
        Operation: "S3ReplicateObject",
      }),
    ).to.equal(false);
    const job = (status: string, failedTasks = 0) => ({
      accountId: "1",
      description: "",
      jobId: "j",
      status,
      failedTasks,
      failureReasons: [],
    });
    expect(restoreStatusExitCode([])).to.equal(1);
    expect(restoreStatusExitCode([job("Active")])).to.equal(0);
    expect(restoreStatusExitCode([job("Complete", 2)])).to.equal(1);
    expect(restoreStatusExitCode([job("Failed")])).to.equal(1);
  });
});

/** An S3 client that never sends: `answer` plays S3 per command (return the output, or throw). */
function fakeS3(answer: (command: string, input: Record<string, unknown>) => unknown): {
  client: S3Client;
  calls: { command: string; input: Record<string, unknown> }[];
} {
  const calls: { command: string; input: Record<string, unknown> }[] = [];
  const client = new S3Client({ region: "eu-west-1", credentials: { accessKeyId: "x", secretAccessKey: "x" } });
  client.middlewareStack.add(
    (_next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      const command = String(context.commandName).replace(/Command$/, "");
      calls.push({ command, input });
      await new Promise((resolve) => setImmediate(resolve));
      return { output: { $metadata: {}, ...(answer(command, input) as object) }, response: {} };
    },
    { step: "initialize", name: "fakeS3" },
  );
  return { client, calls };
}

function recordingJournal(): CopyJournal & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    done: (e) => lines.push(`done ${e.key}`),
    uploadStarted: (id) => lines.push(`upload ${id}`),
    uploadEnded: (id) => lines.push(`upload-end ${id}`),
    marker: (key) => lines.push(`marker ${key}`),
  };
}

const awsError = (name: string, status: number) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

describe("restore copy: the engine (in-memory S3)", () => {
  const options = (journal: CopyJournal, overrides: Partial<CopyOptions> = {}): CopyOptions => ({
    concurrency: 4,
    multipartThreshold: 5 * GiB,
    partSize: 5 * MiB,
    overwrite: false,
    checksums: "listed",
    journal,
    ...overrides,
  });
  const ctx = (source: S3Client, target: S3Client) => ({
    centralBucket: "central",
    centralAccountId: "999999999999",
    targetBucket: "target",
    source,
    target,
  });

  it("sends CopyObject with the version, the central owner, metadata and tags kept, and If-None-Match unless --overwrite", async () => {
    const { client, calls } = fakeS3(() => ({ CopyObjectResult: {} }));
    const journal = recordingJournal();
    const outcome = await copyAll([entry("a b.txt")], ctx(client, client), options(journal));
    expect(outcome).to.deep.include({ copied: 1, bytes: 1, notAttempted: 0 });
    expect(calls[0].input).to.deep.include({
      Bucket: "target",
      Key: "restored/a b.txt",
      CopySource: "central/111111111111/a%20b.txt?versionId=v-a%20b.txt",
      ExpectedSourceBucketOwner: "999999999999",
      MetadataDirective: "COPY",
      TaggingDirective: "COPY",
      IfNoneMatch: "*",
    });
    expect(journal.lines).to.deep.equal(["done 111111111111/a b.txt"]);
    const kms = fakeS3(() => ({ CopyObjectResult: {} }));
    await copyAll(
      [entry("b")],
      ctx(kms.client, kms.client),
      options(recordingJournal(), { overwrite: true, kmsKeyId: "arn:aws:kms:eu-west-1:1:key/k" }),
    );
    expect(kms.calls[0].input).to.not.have.property("IfNoneMatch");
    expect(kms.calls[0].input).to.deep.include({
      ServerSideEncryption: "aws:kms",
      SSEKMSKeyId: "arn:aws:kms:eu-west-1:1:key/k",
    });
  });

  it("fails an object whose copy's checksum differs from the backup's, and does not journal it", async () => {
    const source = fakeS3(() => ({ ChecksumCRC32: "AAAA", ETag: '"x"' }));
    const target = fakeS3(() => ({ CopyObjectResult: { ChecksumCRC32: "BBBB" } }));
    const journal = recordingJournal();
    const outcome = await copyAll(
      [{ ...entry("c"), checksumAlgorithm: "CRC32" }],
      ctx(source.client, target.client),
      options(journal),
    );
    expect(outcome.failures).to.deep.equal([
      {
        key: "111111111111/c",
        versionId: "v-c",
        targetKey: "restored/c",
        kind: "checksum",
        message: "checksum mismatch: CRC32 of the copy is BBBB, the backup's is AAAA",
      },
    ]);
    expect(target.calls[0].input).to.deep.include({ ChecksumAlgorithm: "CRC32" });
    expect(journal.lines).to.deep.equal([]);
  });

  it("stops after 50 failures in a row (systematic), leaving the rest not attempted", async () => {
    const { client } = fakeS3(() => {
      throw awsError("AccessDenied", 403);
    });
    const entries = Array.from({ length: 200 }, (_, i) => entry(`k${i}`));
    const outcome = await copyAll(entries, ctx(client, client), options(recordingJournal()));
    expect(outcome.stopped).to.equal("systematic");
    expect(outcome.failures.length).to.be.within(50, 53);
    expect(outcome.notAttempted).to.equal(200 - outcome.failures.length);
    expect(outcome.failures[0].kind).to.equal("access-denied");
  });

  it("stops at once when the network fails (environment)", async () => {
    let n = 0;
    const { client } = fakeS3(() => {
      if (++n >= 3) throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
      return { CopyObjectResult: {} };
    });
    const outcome = await copyAll(
      Array.from({ length: 50 }, (_, i) => entry(`k${i}`)),
      ctx(client, client),
      options(recordingJournal(), { concurrency: 1 }),
    );
    expect(outcome).to.deep.include({ copied: 2, stopped: "environment", notAttempted: 47 });
  });

  it("copies in parts above the threshold, journals the upload while open, aborts it when a part fails", async () => {
    const ok = fakeS3((command) =>
      command === "CreateMultipartUpload"
        ? { UploadId: "up-1" }
        : command === "UploadPartCopy"
          ? { CopyPartResult: { ETag: '"p"' } }
          : { ContentLength: 11 * MiB },
    );
    const journal = recordingJournal();
    const big = entry("big", 11 * MiB);
    const outcome = await copyAll([big], ctx(ok.client, ok.client), options(journal, { multipartThreshold: 5 * MiB }));
    expect(outcome).to.deep.include({ copied: 1, multipart: 1 });
    expect(ok.calls.filter((c) => c.command === "UploadPartCopy").map((c) => c.input.CopySourceRange)).to.deep.equal([
      "bytes=0-5242879",
      "bytes=5242880-10485759",
      "bytes=10485760-11534335",
    ]);
    expect(journal.lines).to.deep.equal(["upload up-1", "upload-end up-1", "done 111111111111/big"]);

    const failing = fakeS3((command, input) => {
      if (command === "UploadPartCopy" && input.PartNumber === 2) throw awsError("InternalError", 500);
      return command === "CreateMultipartUpload"
        ? { UploadId: "up-2" }
        : command === "UploadPartCopy"
          ? { CopyPartResult: { ETag: '"p"' } }
          : {};
    });
    const failed = recordingJournal();
    const outcome2 = await copyAll(
      [big],
      ctx(failing.client, failing.client),
      options(failed, { multipartThreshold: 5 * MiB }),
    );
    expect(outcome2.failures).to.have.length(1);
    expect(failing.calls.some((c) => c.command === "AbortMultipartUpload" && c.input.UploadId === "up-2")).to.equal(
      true,
    );
    expect(failed.lines).to.deep.equal(["upload up-2", "upload-end up-2"]);
  });

  it("on Ctrl-C starts no new object or part, aborts the open upload, counts the object as not attempted", async () => {
    const abort = new AbortController();
    const { client, calls } = fakeS3((command) => {
      if (command === "UploadPartCopy") abort.abort();
      return command === "CreateMultipartUpload"
        ? { UploadId: "up-3" }
        : command === "UploadPartCopy"
          ? { CopyPartResult: { ETag: '"p"' } }
          : {};
    });
    const journal = recordingJournal();
    const outcome = await copyAll(
      [entry("big", 11 * MiB), entry("small")],
      ctx(client, client),
      options(journal, { multipartThreshold: 5 * MiB, concurrency: 1, signal: abort.signal }),
    );
    expect(outcome).to.deep.include({ copied: 0, stopped: "interrupted", notAttempted: 2 });
    expect(outcome.failures).to.deep.equal([]);
    expect(calls.filter((c) => c.command === "UploadPartCopy")).to.have.length(1);
    expect(journal.lines).to.deep.equal(["upload up-3", "upload-end up-3"]);
  });
});
