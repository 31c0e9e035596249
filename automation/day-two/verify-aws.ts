/** verify's adapters to real AWS (or the emulator the environment names): S3 for canaries, CloudWatch for alarms. */

import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import {
  DeleteObjectCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { type AwsClients, sessionName } from "./aws-clients";
import { s3RestoreDrill } from "./restore-drill";
import type { AlarmReader, CanaryStore, CanaryTarget, StoredEncryption, VerifyAws } from "./verify";

/** verify's calls to real AWS (or the emulator the environment names), sharing one assumed role per account. */
export function awsVerifyCalls(clients: AwsClients, runId: string): VerifyAws {
  return {
    canaries: s3CanaryStore(clients, runId),
    alarms: cloudWatchAlarmReader(clients, runId),
    drill: s3RestoreDrill(clients, runId),
  };
}

/** The AlarmReader of real CloudWatch: DescribeAlarms by name, in the account's region, as its role. */
export function cloudWatchAlarmReader(clients: AwsClients, runId: string): AlarmReader {
  const session = sessionName("verify", runId);
  return {
    async states(t, names) {
      const cloudwatch = clients.cloudwatch(
        t.sourceRegion,
        clients.assumeRole(t.sourceRoleArn, t.sourceRegion, session),
      );
      // At most two names, well under a page (50 alarms): no NextToken to follow.
      const answer = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [...names] }));
      return new Map(
        (answer.MetricAlarms ?? []).flatMap((alarm) =>
          alarm.AlarmName && alarm.StateValue ? [[alarm.AlarmName, alarm.StateValue] as const] : [],
        ),
      );
    },
  };
}

/** The CanaryStore of real S3: the source side as each account's role, the central side as the central role. */
export function s3CanaryStore(clients: AwsClients, runId: string): CanaryStore {
  const session = sessionName("verify", runId);
  const cache = new Map<string, S3Client>();
  const client = (roleArn: string, region: string): S3Client => {
    const key = `${roleArn} ${region}`;
    const cached = cache.get(key);
    if (cached) return cached;
    const s3 = clients.s3(region, clients.assumeRole(roleArn, region, session));
    cache.set(key, s3);
    return s3;
  };
  const sourceS3 = (t: CanaryTarget) => client(t.sourceRoleArn, t.sourceRegion);
  const centralS3 = (t: CanaryTarget) => client(t.centralRoleArn, t.centralRegion);
  return {
    async put(t, body) {
      // SSE-KMS with the account's key whatever the bucket's default (an adopted bucket may keep its own),
      // and the bucket key as the path asks: `false` overrides the bucket's setting (AWS "Reducing the
      // cost of SSE-KMS with Amazon S3 Bucket Keys"), so this canary's KMS context is its object ARN.
      const answer = await sourceS3(t).send(
        new PutObjectCommand({
          Bucket: t.sourceBucket,
          Key: t.key,
          Body: body,
          ContentType: "text/plain",
          ServerSideEncryption: "aws:kms",
          SSEKMSKeyId: t.sourceKmsKey,
          BucketKeyEnabled: t.bucketKeyEnabled,
        }),
      );
      return answer.VersionId;
    },
    async sourceStatus(t, versionId) {
      const head = await sourceS3(t).send(
        new HeadObjectCommand({ Bucket: t.sourceBucket, Key: t.key, ...(versionId ? { VersionId: versionId } : {}) }),
      );
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
      await sourceS3(t).send(
        new DeleteObjectCommand({ Bucket: t.sourceBucket, Key: t.key, ...(versionId ? { VersionId: versionId } : {}) }),
      );
    },
    async encryption(t, versionId) {
      const source = await sourceS3(t).send(
        new HeadObjectCommand({ Bucket: t.sourceBucket, Key: t.key, ...(versionId ? { VersionId: versionId } : {}) }),
      );
      const replica = await centralS3(t).send(new HeadObjectCommand({ Bucket: t.centralBucket, Key: t.key }));
      return { source: storedEncryption(source), replica: storedEncryption(replica) };
    },
    async removeReplica(t) {
      // The version found, not the source's: a delete without one would only add a delete marker.
      const head = await centralS3(t).send(new HeadObjectCommand({ Bucket: t.centralBucket, Key: t.key }));
      await centralS3(t).send(
        new DeleteObjectCommand({
          Bucket: t.centralBucket,
          Key: t.key,
          ...(head.VersionId ? { VersionId: head.VersionId } : {}),
        }),
      );
    },
  };
}

/** The encryption and retention facts of a HeadObject answer, without the undefined ones. */
function storedEncryption(head: HeadObjectCommandOutput): StoredEncryption {
  const facts: Record<string, string | boolean | undefined> = {
    sse: head.ServerSideEncryption,
    kmsKeyId: head.SSEKMSKeyId,
    bucketKeyEnabled: head.BucketKeyEnabled,
    objectLockMode: head.ObjectLockMode,
    retainUntil: head.ObjectLockRetainUntilDate?.toISOString(),
  };
  return Object.fromEntries(Object.entries(facts).filter(([, value]) => value !== undefined)) as StoredEncryption;
}
