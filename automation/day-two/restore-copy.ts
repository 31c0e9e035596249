import {
  AbortMultipartUploadCommand,
  type ChecksumAlgorithm,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  type CopyObjectResult,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  type S3Client,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import { awsErrorText, isEnvironmentError } from "./aws-clients";
import { formatBytes, formatCount, type RestoreEntry } from "./restore-plan";

/**
 * `restore`, the copy: server-side, so the bytes never pass through this machine. CopyObject of the chosen
 * version up to the multipart threshold (5 GiB, the CopyObject limit), UploadPartCopy above it. Bounded
 * concurrency over every request (single copies and parts share one limit), S3's own retries for
 * throttling (adaptive mode, in the client), a journal line per object done, and the per-object failures
 * collected rather than thrown. Nothing here ever deletes an object: `--exact` places delete markers, and
 * only after the caller checked that the target bucket is versioned.
 */

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
/** CopyObject copies at most 5 GiB; above, a multipart copy is the only way. */
export const DEFAULT_MULTIPART_THRESHOLD = 5 * GiB;
/** Preferred part: few requests for big objects, many parts in flight for speed. */
export const DEFAULT_PART_SIZE = 256 * MiB;
export const MIN_PART_SIZE = 5 * MiB;
export const MAX_PART_SIZE = 5 * GiB;
export const MAX_PARTS = 10_000;
/** After this many failures in a row (no success between), the rest is not attempted: the cause is systematic. */
export const MAX_CONSECUTIVE_FAILURES = 50;

/**
 * The part size for a multipart copy of `size` bytes: `preferred` (at least S3's 5 MiB minimum), grown in
 * whole MiB when the object would need more than 10,000 parts. Throws beyond S3's 5 TiB object limit.
 */
export function choosePartSize(size: number, preferred: number = DEFAULT_PART_SIZE): number {
  let part = Math.max(preferred, MIN_PART_SIZE);
  if (Math.ceil(size / part) > MAX_PARTS) part = Math.ceil(size / MAX_PARTS / MiB) * MiB;
  if (part > MAX_PART_SIZE)
    throw new Error(`an object of ${formatBytes(size)} exceeds S3's limit (10,000 parts of at most 5 GiB)`);
  return part;
}

/** `bytes=first-last` ranges of the parts. */
export function partRanges(size: number, partSize: number): { partNumber: number; range: string }[] {
  const ranges: { partNumber: number; range: string }[] = [];
  for (let start = 0, partNumber = 1; start < size; start += partSize, partNumber++) {
    ranges.push({ partNumber, range: `bytes=${start}-${Math.min(size, start + partSize) - 1}` });
  }
  return ranges;
}

/** `bucket/key?versionId=v`, the key URL-encoded segment by segment as S3 expects in x-amz-copy-source. */
export function copySource(bucket: string, key: string, versionId: string): string {
  return `${bucket}/${key.split("/").map(encodeURIComponent).join("/")}?versionId=${encodeURIComponent(versionId)}`;
}

const CHECKSUM_FIELDS = {
  CRC32: "ChecksumCRC32",
  CRC32C: "ChecksumCRC32C",
  CRC64NVME: "ChecksumCRC64NVME",
  SHA1: "ChecksumSHA1",
  SHA256: "ChecksumSHA256",
} as const satisfies Record<string, keyof CopyObjectResult & keyof HeadObjectCommandOutput>;
type Algorithm = keyof typeof CHECKSUM_FIELDS;

export interface StoredChecksum {
  readonly algorithm: Algorithm;
  readonly value: string;
}

/**
 * The full-object checksum S3 stores with a version (HeadObject with ChecksumMode ENABLED), if any. A
 * COMPOSITE checksum (of a multipart upload's parts) is not comparable with the checksum of a single
 * copy, so it counts as none.
 */
export function storedChecksum(
  head: Pick<HeadObjectCommandOutput, "ChecksumType" | "ETag" | (typeof CHECKSUM_FIELDS)[Algorithm]>,
): StoredChecksum | undefined {
  if (head.ChecksumType === "COMPOSITE") return undefined;
  if (head.ChecksumType === undefined && /-\d+"?$/.test(head.ETag ?? "")) return undefined;
  for (const algorithm of Object.keys(CHECKSUM_FIELDS) as Algorithm[]) {
    const value = head[CHECKSUM_FIELDS[algorithm]];
    if (value) return { algorithm, value };
  }
  return undefined;
}

/** undefined when S3 returned no checksum of that algorithm for the copy (nothing to compare). */
export function checksumMismatch(expected: StoredChecksum, result: CopyObjectResult | undefined): string | undefined {
  const actual = result?.[CHECKSUM_FIELDS[expected.algorithm]];
  if (actual === undefined || actual === expected.value) return undefined;
  return `checksum mismatch: ${expected.algorithm} of the copy is ${actual}, the backup's is ${expected.value}`;
}

export type FailureKind =
  | "access-denied"
  | "kms"
  | "throttled"
  | "archived"
  | "exists"
  | "checksum"
  | "environment"
  | "other";

export interface CopyFailure {
  readonly key: string;
  readonly versionId: string;
  readonly targetKey: string;
  readonly kind: FailureKind;
  readonly message: string;
}

class IntegrityError extends Error {
  override readonly name = "IntegrityError";
}

class Interrupted extends Error {
  override readonly name = "Interrupted";
}

/** What went wrong with one object, in words a person can act on. */
export function classifyFailure(error: unknown): { kind: FailureKind; message: string } {
  const e = error as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const code = e?.Code ?? e?.name ?? "";
  const status = e?.$metadata?.httpStatusCode;
  const text = awsErrorText(error);
  if (isEnvironmentError(error)) return { kind: "environment", message: text };
  if (error instanceof IntegrityError) return { kind: "checksum", message: text.replace(/^IntegrityError: /, "") };
  if (code === "ObjectNotInActiveTierError" || code === "InvalidObjectState") {
    return {
      kind: "archived",
      message: `${text} (archived: RestoreObject first, e.g. an Intelligent-Tiering archive tier)`,
    };
  }
  if (code === "PreconditionFailed" || status === 412)
    return {
      kind: "exists",
      message: "the object appeared at the target after the plan (refused without --overwrite)",
    };
  if (/^KMS\./.test(code) || /kms/i.test(e?.message ?? "")) return { kind: "kms", message: text };
  if (code === "AccessDenied" || status === 403) return { kind: "access-denied", message: text };
  if (code === "SlowDown" || /Throttl/i.test(code) || status === 503)
    return { kind: "throttled", message: `${text} (after the SDK's retries)` };
  return { kind: "other", message: text };
}

/** The journal as the copy sees it. */
export interface CopyJournal {
  done(entry: RestoreEntry): void;
  uploadStarted(uploadId: string, targetKey: string): void;
  uploadEnded(uploadId: string): void;
  marker(targetKey: string): void;
}

export interface CopyContext {
  readonly centralBucket: string;
  /** The central account: ExpectedSourceBucketOwner on every read, so a look-alike bucket is never read. */
  readonly centralAccountId: string;
  readonly targetBucket: string;
  /** Reads the central bucket (its region). */
  readonly source: S3Client;
  /** Writes the target bucket (its region). */
  readonly target: S3Client;
}

export interface CopyOptions {
  /** Requests in flight at most (single copies and parts together). */
  readonly concurrency: number;
  /** Objects larger than this are copied in parts. */
  readonly multipartThreshold: number;
  readonly partSize: number;
  /** `--kms-key`: SSE-KMS with this key; otherwise the target bucket's default encryption applies. */
  readonly kmsKeyId?: string;
  /** Without it every write is conditional (If-None-Match: *), so an object that appeared meanwhile is not replaced. */
  readonly overwrite: boolean;
  /** "listed": compare checksums of versions the listing names an algorithm for; "always": ask each version. */
  readonly checksums: "listed" | "always";
  readonly journal: CopyJournal;
  /** Ctrl-C: no new object or part starts; open multipart uploads are aborted. */
  readonly signal?: AbortSignal;
  /** Called after each object done. */
  readonly onProgress?: (done: { objects: number; bytes: number }) => void;
  readonly maxConsecutiveFailures?: number;
}

export type StopReason = "interrupted" | "environment" | "systematic";

export interface CopyOutcome {
  readonly copied: number;
  readonly bytes: number;
  readonly failures: readonly CopyFailure[];
  /** Objects never attempted (the run stopped early). */
  readonly notAttempted: number;
  readonly stopped?: StopReason;
  readonly multipart: number;
  readonly checksumsCompared: number;
  readonly durationMs: number;
}

/** At most `limit` promises of `run` pending; the rest wait in order. */
export function createLimiter(limit: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  const release = () => {
    active--;
    queue.shift()?.();
  };
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= limit) await new Promise<void>((resolve) => queue.push(resolve));
    active++;
    try {
      return await fn();
    } finally {
      release();
    }
  };
}

/**
 * Copies every entry (in order, `concurrency` objects at a time), journaling each one done. Never throws
 * for an object: failures are collected. Stops early on Ctrl-C, on an environment failure (network,
 * credentials: every further call would fail the same way) and after `maxConsecutiveFailures` failures in
 * a row; the objects not attempted are counted, and the journal lets a rerun continue.
 */
export async function copyAll(
  entries: readonly RestoreEntry[],
  ctx: CopyContext,
  options: CopyOptions,
): Promise<CopyOutcome> {
  const started = performance.now();
  const limit = createLimiter(Math.max(1, options.concurrency));
  const maxFailures = options.maxConsecutiveFailures ?? MAX_CONSECUTIVE_FAILURES;
  const failures: CopyFailure[] = [];
  let next = 0;
  let copied = 0;
  let bytes = 0;
  let multipart = 0;
  let checksumsCompared = 0;
  let consecutive = 0;
  let interrupted = 0;
  let stopped: StopReason | undefined;

  const copyOne = async (entry: RestoreEntry): Promise<void> => {
    if (entry.size > options.multipartThreshold) {
      await copyMultipart(entry, ctx, options, limit);
      multipart++;
    } else if (await copySingle(entry, ctx, options, limit)) {
      checksumsCompared++;
    }
    options.journal.done(entry);
  };

  const worker = async () => {
    while (!stopped && next < entries.length) {
      if (options.signal?.aborted) {
        stopped = "interrupted";
        break;
      }
      const entry = entries[next++];
      try {
        await copyOne(entry);
        copied++;
        bytes += entry.size;
        consecutive = 0;
        options.onProgress?.({ objects: copied, bytes });
      } catch (error) {
        if (error instanceof Interrupted) {
          // Not a failure: the object is not done (its upload was aborted), and the rerun copies it.
          interrupted++;
          stopped ??= "interrupted";
          continue;
        }
        const { kind, message } = classifyFailure(error);
        failures.push({ key: entry.key, versionId: entry.versionId, targetKey: entry.targetKey, kind, message });
        if (kind === "environment") stopped ??= "environment";
        else if (++consecutive >= maxFailures) stopped ??= "systematic";
      }
    }
  };
  const workers = Math.min(Math.max(1, options.concurrency), Math.max(1, entries.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return {
    copied,
    bytes,
    failures,
    notAttempted: entries.length - next + interrupted,
    ...(stopped ? { stopped } : {}),
    multipart,
    checksumsCompared,
    durationMs: performance.now() - started,
  };
}

function encryption(options: CopyOptions): { ServerSideEncryption?: "aws:kms"; SSEKMSKeyId?: string } {
  return options.kmsKeyId ? { ServerSideEncryption: "aws:kms", SSEKMSKeyId: options.kmsKeyId } : {};
}

/** One CopyObject; true when a checksum was compared. */
async function copySingle(
  entry: RestoreEntry,
  ctx: CopyContext,
  options: CopyOptions,
  limit: ReturnType<typeof createLimiter>,
): Promise<boolean> {
  let expected: StoredChecksum | undefined;
  if (options.checksums === "always" || entry.checksumAlgorithm) {
    const head = await limit(() =>
      ctx.source.send(
        new HeadObjectCommand({
          Bucket: ctx.centralBucket,
          Key: entry.key,
          VersionId: entry.versionId,
          ChecksumMode: "ENABLED",
          ExpectedBucketOwner: ctx.centralAccountId,
        }),
      ),
    );
    expected = storedChecksum(head);
  }
  const answer = await limit(() =>
    ctx.target.send(
      new CopyObjectCommand({
        Bucket: ctx.targetBucket,
        Key: entry.targetKey,
        CopySource: copySource(ctx.centralBucket, entry.key, entry.versionId),
        ExpectedSourceBucketOwner: ctx.centralAccountId,
        // Metadata, content headers and tags as they were; ACLs are not copied (BucketOwnerEnforced).
        MetadataDirective: "COPY",
        TaggingDirective: "COPY",
        ...encryption(options),
        ...(expected ? { ChecksumAlgorithm: expected.algorithm as ChecksumAlgorithm } : {}),
        ...(options.overwrite ? {} : { IfNoneMatch: "*" }),
      }),
    ),
  );
  if (!expected) return false;
  const mismatch = checksumMismatch(expected, answer.CopyObjectResult);
  if (mismatch) throw new IntegrityError(mismatch);
  return answer.CopyObjectResult?.[CHECKSUM_FIELDS[expected.algorithm]] !== undefined;
}

/** Tags as CreateMultipartUpload takes them: a URL query string. */
function taggingQuery(tags: readonly { Key?: string; Value?: string }[]): string | undefined {
  if (tags.length === 0) return undefined;
  const query = new URLSearchParams();
  for (const tag of tags) if (tag.Key !== undefined) query.append(tag.Key, tag.Value ?? "");
  return query.toString();
}

/**
 * UploadPartCopy of every part (at most `concurrency` requests in flight overall), then
 * CompleteMultipartUpload, then a HeadObject that the copy has the planned size. Metadata, content
 * headers and tags are read from the version and set on the upload (a multipart copy does not carry
 * them over). The upload is journaled while open; any failure or Ctrl-C aborts it.
 */
async function copyMultipart(
  entry: RestoreEntry,
  ctx: CopyContext,
  options: CopyOptions,
  limit: ReturnType<typeof createLimiter>,
): Promise<void> {
  const partSize = choosePartSize(entry.size, options.partSize);
  const versionRef = {
    Bucket: ctx.centralBucket,
    Key: entry.key,
    VersionId: entry.versionId,
    ExpectedBucketOwner: ctx.centralAccountId,
  };
  const head = await limit(() => ctx.source.send(new HeadObjectCommand(versionRef)));
  const tags = await limit(() => ctx.source.send(new GetObjectTaggingCommand(versionRef)));
  const tagging = taggingQuery(tags.TagSet ?? []);
  const created = await limit(() =>
    ctx.target.send(
      new CreateMultipartUploadCommand({
        Bucket: ctx.targetBucket,
        Key: entry.targetKey,
        ...(head.ContentType ? { ContentType: head.ContentType } : {}),
        ...(head.CacheControl ? { CacheControl: head.CacheControl } : {}),
        ...(head.ContentDisposition ? { ContentDisposition: head.ContentDisposition } : {}),
        ...(head.ContentEncoding ? { ContentEncoding: head.ContentEncoding } : {}),
        ...(head.ContentLanguage ? { ContentLanguage: head.ContentLanguage } : {}),
        ...(head.Expires ? { Expires: head.Expires } : {}),
        ...(head.Metadata && Object.keys(head.Metadata).length > 0 ? { Metadata: head.Metadata } : {}),
        ...(tagging ? { Tagging: tagging } : {}),
        ...encryption(options),
      }),
    ),
  );
  const uploadId = created.UploadId;
  if (!uploadId) throw new Error("CreateMultipartUpload returned no upload id");
  options.journal.uploadStarted(uploadId, entry.targetKey);
  const upload = { Bucket: ctx.targetBucket, Key: entry.targetKey, UploadId: uploadId };
  try {
    const source = copySource(ctx.centralBucket, entry.key, entry.versionId);
    const parts = await Promise.all(
      partRanges(entry.size, partSize).map(({ partNumber, range }) =>
        limit(async () => {
          if (options.signal?.aborted) throw new Interrupted("interrupted");
          const answer = await ctx.target.send(
            new UploadPartCopyCommand({
              ...upload,
              PartNumber: partNumber,
              CopySource: source,
              CopySourceRange: range,
              ExpectedSourceBucketOwner: ctx.centralAccountId,
            }),
          );
          return { PartNumber: partNumber, ETag: answer.CopyPartResult?.ETag };
        }),
      ),
    );
    const completed = await limit(() =>
      ctx.target.send(
        new CompleteMultipartUploadCommand({
          ...upload,
          MultipartUpload: { Parts: parts },
          ...(options.overwrite ? {} : { IfNoneMatch: "*" }),
        }),
      ),
    );
    options.journal.uploadEnded(uploadId);
    const written = await limit(() =>
      ctx.target.send(
        new HeadObjectCommand({
          Bucket: ctx.targetBucket,
          Key: entry.targetKey,
          ...(completed.VersionId ? { VersionId: completed.VersionId } : {}),
        }),
      ),
    );
    if (written.ContentLength !== entry.size)
      throw new IntegrityError(`size mismatch: the copy has ${written.ContentLength} bytes, the backup ${entry.size}`);
  } catch (error) {
    if (!(error instanceof IntegrityError)) await abortUpload(ctx.target, upload, options.journal);
    throw error;
  }
}

/** Best effort: a failed abort leaves the upload in the journal, and the next run aborts it. */
export async function abortUpload(
  s3: S3Client,
  upload: { Bucket: string; Key: string; UploadId: string },
  journal: Pick<CopyJournal, "uploadEnded">,
): Promise<boolean> {
  try {
    await s3.send(new AbortMultipartUploadCommand(upload));
    journal.uploadEnded(upload.UploadId);
    return true;
  } catch (error) {
    // Already completed or aborted: nothing left to clean.
    if ((error as { name?: string }).name === "NoSuchUpload") {
      journal.uploadEnded(upload.UploadId);
      return true;
    }
    return false;
  }
}

export interface MarkerOutcome {
  readonly placed: number;
  readonly failures: readonly { readonly targetKey: string; readonly message: string }[];
  readonly stopped?: StopReason;
}

/**
 * `--exact`: a delete marker on each key (DeleteObject without a version id). Only for a bucket whose
 * versioning the caller checked to be Enabled: there a delete marker hides the object and keeps every
 * version. An answer without `x-amz-delete-marker: true` means the bucket is not versioned after all:
 * the run stops at once rather than delete another object.
 */
export async function placeDeleteMarkers(
  keys: readonly string[],
  ctx: Pick<CopyContext, "target" | "targetBucket">,
  options: Pick<CopyOptions, "concurrency" | "journal" | "signal">,
): Promise<MarkerOutcome> {
  const failures: { targetKey: string; message: string }[] = [];
  let placed = 0;
  let next = 0;
  let stopped: StopReason | undefined;
  const worker = async () => {
    while (!stopped && next < keys.length) {
      if (options.signal?.aborted) {
        stopped = "interrupted";
        break;
      }
      const key = keys[next++];
      try {
        const answer = await ctx.target.send(new DeleteObjectCommand({ Bucket: ctx.targetBucket, Key: key }));
        if (answer.DeleteMarker !== true) {
          failures.push({
            targetKey: key,
            message: "S3 answered without a delete marker: the target bucket is not versioned; stopped",
          });
          stopped = "systematic";
          break;
        }
        options.journal.marker(key);
        placed++;
      } catch (error) {
        const { kind, message } = classifyFailure(error);
        failures.push({ targetKey: key, message });
        if (kind === "environment") stopped ??= "environment";
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(Math.max(1, options.concurrency), Math.max(1, keys.length)) }, worker),
  );
  return { placed, failures, ...(stopped ? { stopped } : {}) };
}

// ---------------------------------------------------------------------------------------------------
// Progress: one repainted line on a terminal, timestamped lines in CI.
// ---------------------------------------------------------------------------------------------------

export interface ProgressOptions {
  readonly stream: NodeJS.WritableStream;
  /** A terminal: repaint one line; otherwise print a timestamped line every `everyMs`. */
  readonly live: boolean;
  readonly totalObjects: number;
  readonly totalBytes: number;
  readonly everyMs?: number;
  readonly now?: () => number;
  readonly clock?: () => Date;
}

export interface RestoreProgress {
  update(done: { objects: number; bytes: number }): void;
  /** The final line (and a newline after the live one). */
  close(): void;
}

export function formatProgress(
  done: { objects: number; bytes: number },
  totals: { objects: number; bytes: number },
  elapsedMs: number,
): string {
  const seconds = Math.max(elapsedMs / 1000, 1e-3);
  const rate = done.objects / seconds;
  const byteRate = done.bytes / seconds;
  const remainingObjects = totals.objects - done.objects;
  const remainingBytes = totals.bytes - done.bytes;
  // Whichever runs out last: small objects are bound by request rate, big ones by bytes.
  const eta = Math.max(
    rate > 0 ? remainingObjects / rate : Number.POSITIVE_INFINITY,
    byteRate > 0 && remainingBytes > 0 ? remainingBytes / byteRate : 0,
  );
  const etaText = done.objects === 0 ? "-" : Number.isFinite(eta) ? formatSeconds(eta) : "-";
  return (
    `restore: ${formatCount(done.objects)}/${formatCount(totals.objects)} objects, ` +
    `${formatBytes(done.bytes)}/${formatBytes(totals.bytes)}, ` +
    `${rate.toFixed(rate < 10 ? 1 : 0)} objects/s (${formatBytes(Math.round(byteRate))}/s), ETA ${etaText}`
  );
}

function formatSeconds(s: number): string {
  if (s < 60) return `${Math.ceil(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.round((s % 3600) / 60)).padStart(2, "0")}m`;
}

export function createRestoreProgress(options: ProgressOptions): RestoreProgress {
  const now = options.now ?? (() => performance.now());
  const clock = options.clock ?? (() => new Date());
  const every = options.everyMs ?? (options.live ? 250 : 10_000);
  const started = now();
  const totals = { objects: options.totalObjects, bytes: options.totalBytes };
  let last = { objects: 0, bytes: 0 };
  let printedAt = started;
  const print = () => {
    const text = formatProgress(last, totals, now() - started);
    options.stream.write(options.live ? `\r\x1b[2K${text}` : `${clock().toISOString()} ${text}\n`);
    printedAt = now();
  };
  return {
    update(done) {
      last = done;
      if (now() - printedAt >= every) print();
    },
    close() {
      print();
      if (options.live) options.stream.write("\n");
    },
  };
}
