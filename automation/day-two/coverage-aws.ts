/** coverage's adapters to real AWS (or the emulator the environment names): S3 and KMS as each account's role. */

import { DescribeKeyCommand, type KMSClient } from "@aws-sdk/client-kms";
import { GetBucketEncryptionCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { type AwsClients, sessionName } from "./aws-clients";
import type { CoverageStore, CoverageTarget } from "./coverage";

/** The CoverageStore of real S3 and KMS, one assumed role (and one client of each) per account. */
export function awsCoverageStore(clients: AwsClients, runId: string): CoverageStore {
  const session = sessionName("coverage", runId);
  const s3Clients = new Map<string, S3Client>();
  const kmsClients = new Map<string, KMSClient>();
  const s3 = (t: CoverageTarget): S3Client => {
    const key = `${t.roleArn} ${t.region}`;
    let client = s3Clients.get(key);
    if (!client) {
      client = clients.s3(t.region, clients.assumeRole(t.roleArn, t.region, session));
      s3Clients.set(key, client);
    }
    return client;
  };
  const kms = (t: CoverageTarget): KMSClient => {
    const key = `${t.roleArn} ${t.region}`;
    let client = kmsClients.get(key);
    if (!client) {
      client = clients.kms(t.region, clients.assumeRole(t.roleArn, t.region, session));
      kmsClients.set(key, client);
    }
    return client;
  };
  return {
    async list(t, request) {
      const answer = await s3(t).send(
        new ListObjectsV2Command({
          Bucket: t.bucket,
          ...(request.prefix !== undefined ? { Prefix: request.prefix } : {}),
          ...(request.delimiter !== undefined ? { Delimiter: request.delimiter } : {}),
          ...(request.continuationToken !== undefined ? { ContinuationToken: request.continuationToken } : {}),
          ...(request.maxKeys !== undefined ? { MaxKeys: request.maxKeys } : {}),
        }),
      );
      return {
        objects: (answer.Contents ?? []).flatMap((object) =>
          object.Key === undefined ? [] : [{ key: object.Key, size: object.Size ?? 0 }],
        ),
        prefixes: (answer.CommonPrefixes ?? []).flatMap((common) => (common.Prefix ? [common.Prefix] : [])),
        ...(answer.IsTruncated && answer.NextContinuationToken ? { nextToken: answer.NextContinuationToken } : {}),
      };
    },
    async head(t, key) {
      const head = await s3(t).send(new HeadObjectCommand({ Bucket: t.bucket, Key: key }));
      return {
        ...(head.ServerSideEncryption ? { algorithm: head.ServerSideEncryption } : {}),
        ...(head.SSEKMSKeyId ? { kmsKeyId: head.SSEKMSKeyId } : {}),
      };
    },
    async defaultEncryption(t) {
      try {
        const answer = await s3(t).send(new GetBucketEncryptionCommand({ Bucket: t.bucket }));
        const rule = answer.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault;
        if (!rule) return undefined;
        return {
          ...(rule.SSEAlgorithm ? { algorithm: rule.SSEAlgorithm } : {}),
          ...(rule.KMSMasterKeyID ? { kmsKeyId: rule.KMSMasterKeyID } : {}),
        };
      } catch (error) {
        if ((error as { name?: string }).name === "ServerSideEncryptionConfigurationNotFoundError") return undefined;
        throw error;
      }
    },
    async describeKey(t, keyId) {
      try {
        const answer = await kms(t).send(new DescribeKeyCommand({ KeyId: keyId }));
        const metadata = answer.KeyMetadata;
        if (!metadata?.Arn) return undefined;
        return { arn: metadata.Arn, ...(metadata.KeyManager ? { manager: metadata.KeyManager } : {}) };
      } catch (error) {
        if ((error as { name?: string }).name === "NotFoundException") return undefined;
        throw error;
      }
    },
  };
}
