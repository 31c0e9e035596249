import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { type AwsClients, awsErrorText, isEnvironmentError, sessionName } from "./aws-clients";
import { copyAll, DEFAULT_MULTIPART_THRESHOLD, DEFAULT_PART_SIZE } from "./restore-copy";
import type { CanaryTarget } from "./verify";

/**
 * `verify --restore`: the restore drill. Once the canary's replica is in the central bucket, restore it
 * the way `restore` would — the same copy engine, server-side, as the central role — into the account's
 * source bucket under a scratch prefix outside `<accountId>/` (so it is not replicated back), read it back
 * as the account's role, compare the bytes with what was written, and remove the scratch version. The
 * whole round trip is proven: source -> replication -> central -> restore -> source.
 */

export const DRILL_FOLDER = "org-s3-backup-restore-drill";

export function drillKey(runId: string): string {
  return `${DRILL_FOLDER}/${runId}.txt`;
}

export type RestoreDrillOutcome =
  | {
      readonly status: "restored";
      readonly detail: string;
      readonly key: string;
      readonly latencyMs: number;
      readonly notes: readonly string[];
    }
  | {
      readonly status: "failed";
      readonly detail: string;
      readonly key: string;
      readonly environment: boolean;
      readonly notes: readonly string[];
    };

export interface RestoreDrill {
  /** Restores the replica of `target.key` and compares it with `body`; never throws. */
  run(target: CanaryTarget, body: string): Promise<RestoreDrillOutcome>;
}

/** What a failed drill most likely needs (docs/day-two.md#iam-for-restore). */
export const DRILL_ADVICE =
  "the source bucket's policy must let the central role s3:PutObject and s3:PutObjectTagging on " +
  `${DRILL_FOLDER}/* (and its KMS key kms:GenerateDataKey), ` +
  "and the central role may s3:GetObjectVersion, s3:GetObjectVersionTagging and kms:Decrypt the central key";

export function s3RestoreDrill(
  clients: AwsClients,
  runId: string,
  now: () => number = () => performance.now(),
): RestoreDrill {
  const session = sessionName("verify", runId);
  const s3 = (roleArn: string, region: string): S3Client =>
    clients.s3(region, clients.assumeRole(roleArn, region, session));
  return {
    async run(t, body) {
      const key = drillKey(runId);
      const notes: string[] = [];
      const started = now();
      const central = s3(t.centralRoleArn, t.centralRegion);
      const account = s3(t.sourceRoleArn, t.sourceRegion);
      const failed = (what: string, error: unknown): RestoreDrillOutcome => ({
        status: "failed",
        detail: `${what}: ${awsErrorText(error)}`,
        key,
        environment: isEnvironmentError(error),
        notes,
      });
      let versionId: string;
      let size: number;
      try {
        const head = await central.send(new HeadObjectCommand({ Bucket: t.centralBucket, Key: t.key }));
        versionId = head.VersionId ?? "null";
        size = head.ContentLength ?? 0;
      } catch (error) {
        return failed("could not read the replica's version", error);
      }
      const outcome = await copyAll(
        [{ key: t.key, versionId, targetKey: key, size, lastModified: 0, storageClass: "STANDARD", archived: false }],
        {
          centralBucket: t.centralBucket,
          centralAccountId: t.centralRoleArn.split(":")[4] ?? "",
          targetBucket: t.sourceBucket,
          source: central,
          target: s3(t.centralRoleArn, t.sourceRegion),
        },
        {
          concurrency: 1,
          multipartThreshold: DEFAULT_MULTIPART_THRESHOLD,
          partSize: DEFAULT_PART_SIZE,
          overwrite: false,
          checksums: "listed",
          journal: { done() {}, uploadStarted() {}, uploadEnded() {}, marker() {} },
        },
      );
      const failure = outcome.failures[0];
      if (failure) {
        return {
          status: "failed",
          detail: `could not restore the replica to s3://${t.sourceBucket}/${key}: ${failure.message}`,
          key,
          environment: failure.kind === "environment",
          notes,
        };
      }
      let restored: string;
      let restoredVersion: string | undefined;
      try {
        const got = await account.send(new GetObjectCommand({ Bucket: t.sourceBucket, Key: key }));
        restoredVersion = got.VersionId;
        restored = (await got.Body?.transformToString()) ?? "";
      } catch (error) {
        return failed(`restored, but could not read s3://${t.sourceBucket}/${key} back as the account's role`, error);
      }
      try {
        // The version, so that no delete marker is left behind.
        await account.send(
          new DeleteObjectCommand({
            Bucket: t.sourceBucket,
            Key: key,
            ...(restoredVersion ? { VersionId: restoredVersion } : {}),
          }),
        );
      } catch (error) {
        notes.push(`restore drill copy left at s3://${t.sourceBucket}/${key}: ${awsErrorText(error)}`);
      }
      if (restored !== body) {
        return {
          status: "failed",
          detail:
            "restored, but the bytes differ from the canary " +
            `(${Buffer.byteLength(restored)} bytes read back, ${Buffer.byteLength(body)} written)`,
          key,
          environment: false,
          notes,
        };
      }
      return {
        status: "restored",
        detail:
          `restored from the central bucket to s3://${t.sourceBucket}/${key} and read back: ` +
          `${Buffer.byteLength(body)} bytes identical`,
        key,
        latencyMs: now() - started,
        notes,
      };
    },
  };
}
