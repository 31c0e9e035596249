/** The adopted-bucket preflight's reads in AWS (or the emulator the environment names), as the deploying role. */

import { GetBucketReplicationCommand, GetObjectLockConfigurationCommand, type S3Client } from "@aws-sdk/client-s3";
import { type AwsClients, awsErrorText, sessionName } from "../day-two/aws-clients";
import { AdoptedBucketReadError, type AdoptedBucketReader, type AdoptedBucketState } from "./adoption-preflight";

/** S3's answers that mean the inventory names a bucket that is not there (or not in the entry's region). */
const WRONG_BUCKET = new Set([
  "NoSuchBucket",
  "PermanentRedirect",
  "AuthorizationHeaderMalformed",
  "IllegalLocationConstraintException",
]);

export function awsAdoptedBucketReader(clients: AwsClients, runId: string): AdoptedBucketReader {
  const session = sessionName("preflight", runId);
  return {
    async read(target): Promise<AdoptedBucketState> {
      const s3 = clients.s3(target.region, clients.assumeRole(target.roleArn, target.region, session));
      try {
        const [replication, objectLock] = await Promise.all([
          readReplication(s3, target.bucket),
          readObjectLock(s3, target.bucket),
        ]);
        return { ...(replication ? { replication } : {}), objectLock };
      } catch (error) {
        const name = (error as { name?: string }).name ?? "";
        const wrong = WRONG_BUCKET.has(name);
        const what = wrong
          ? `bucket ${target.bucket} does not exist in ${target.region} for account ${target.accountId} ` +
            `(${awsErrorText(error)}): check the entry's name and region`
          : `could not read its replication and Object Lock configuration as ${target.roleArn} ` +
            `(s3:GetReplicationConfiguration, s3:GetBucketObjectLockConfiguration): ${awsErrorText(error)}`;
        throw new AdoptedBucketReadError(what, wrong ? "inventory" : "environment");
      }
    },
  };
}

async function readReplication(s3: S3Client, bucket: string): Promise<AdoptedBucketState["replication"]> {
  try {
    const answer = await s3.send(new GetBucketReplicationCommand({ Bucket: bucket }));
    const configuration = answer.ReplicationConfiguration;
    if (!configuration) return undefined;
    return {
      ...(configuration.Role ? { role: configuration.Role } : {}),
      rules: (configuration.Rules ?? []).map((rule) => ({
        id: rule.ID ?? "(no id)",
        ...(rule.Status ? { status: rule.Status } : {}),
        ...(rule.Destination?.Bucket ? { destination: rule.Destination.Bucket } : {}),
      })),
    };
  } catch (error) {
    if ((error as { name?: string }).name === "ReplicationConfigurationNotFoundError") return undefined;
    throw error;
  }
}

async function readObjectLock(s3: S3Client, bucket: string): Promise<boolean> {
  try {
    const answer = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }));
    return answer.ObjectLockConfiguration?.ObjectLockEnabled === "Enabled";
  } catch (error) {
    if ((error as { name?: string }).name === "ObjectLockConfigurationNotFoundError") return false;
    throw error;
  }
}
