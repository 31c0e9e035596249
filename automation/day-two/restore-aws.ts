import {
  GetBucketVersioningCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import type { S3ControlClient } from "@aws-sdk/client-s3-control";
import { AwsClients, endpointOverride, sessionName } from "./aws-clients";
import type { TargetObject, VersionPage } from "./restore-plan";

/**
 * `restore`'s AWS clients and listings. One identity does the whole restore (by default the central
 * roleArn): a CopyObject is one request, signed once, so whoever sends it must be allowed both to read
 * the central version and to write the target. docs/day-two.md gives the policies of both sides.
 */

/** Throttling (SlowDown) is S3's way to say "spread out": adaptive retries slow the whole client down. */
export const RESTORE_MAX_ATTEMPTS = 10;

export interface RestoreAws {
  /** S3 in `region`, as the restore identity. */
  s3(region: string): S3Client;
  /** S3 Control in `region`, as the restore identity (`--batch`, `--status`). */
  s3Control(region: string): S3ControlClient;
}

/** The restore identity's clients: `roleArn` assumed with the caller's credentials, cached per region. */
export function restoreAws(env: NodeJS.ProcessEnv, roleArn: string, runId: string, concurrency: number): RestoreAws {
  const clients = new AwsClients(env);
  const session = sessionName("restore", runId);
  const s3Clients = new Map<string, S3Client>();
  const endpoint = endpointOverride("s3", env);
  // The SDK's default pool is 50 sockets; a restore may keep more requests in flight.
  const maxSockets = Math.max(50, concurrency + 8);
  return {
    s3(region) {
      let client = s3Clients.get(region);
      if (!client) {
        client = new S3Client({
          region,
          credentials: clients.assumeRole(roleArn, region, session),
          maxAttempts: RESTORE_MAX_ATTEMPTS,
          retryMode: "adaptive",
          // A target bucket in another region answers 301; follow it rather than fail.
          followRegionRedirects: true,
          requestHandler: { httpAgent: { maxSockets }, httpsAgent: { maxSockets } },
          ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
        });
        s3Clients.set(region, client);
      }
      return client;
    },
    s3Control(region) {
      return clients.s3Control(region, clients.assumeRole(roleArn, region, session));
    },
  };
}

/**
 * Every ListObjectVersions page under `prefix`, handed to `onPage` as it arrives (never all held):
 * S3's order (key, then newest first) is what the selection relies on. RestoreStatus is asked for so that
 * archived versions already restored count as readable.
 */
export async function listVersions(
  s3: S3Client,
  bucket: string,
  prefix: string,
  expectedOwner: string,
  onPage: (page: VersionPage) => void,
): Promise<number> {
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await s3.send(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        Prefix: prefix,
        ExpectedBucketOwner: expectedOwner,
        OptionalObjectAttributes: ["RestoreStatus"],
        ...(keyMarker !== undefined ? { KeyMarker: keyMarker } : {}),
        ...(versionIdMarker !== undefined ? { VersionIdMarker: versionIdMarker } : {}),
      }),
    );
    pages++;
    onPage(page);
    if (!page.IsTruncated) return pages;
    keyMarker = page.NextKeyMarker;
    versionIdMarker = page.NextVersionIdMarker;
    if (keyMarker === undefined) throw new Error("ListObjectVersions said IsTruncated without a NextKeyMarker");
  }
}

/** Every current object under `prefix` at the target, page by page (ListObjectsV2). */
export async function listTarget(
  s3: S3Client,
  bucket: string,
  prefix: string,
  onPage: (objects: TargetObject[]) => void,
): Promise<void> {
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }),
    );
    onPage(
      (page.Contents ?? []).map((o) => ({
        key: o.Key ?? "",
        size: o.Size ?? 0,
        ...(o.ETag ? { etag: o.ETag } : {}),
        lastModified: o.LastModified?.getTime() ?? 0,
      })),
    );
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/** The target bucket's region (HeadBucket answers it, from any region); throws what S3 answers. */
export async function bucketRegion(s3: S3Client, bucket: string, fallback: string): Promise<string> {
  const answer = await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  return answer.BucketRegion ?? fallback;
}

export async function bucketVersioning(s3: S3Client, bucket: string): Promise<"Enabled" | "Suspended" | "Off"> {
  const answer = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
  return answer.Status === "Enabled" || answer.Status === "Suspended" ? answer.Status : "Off";
}

export function httpStatusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}
