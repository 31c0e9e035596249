/**
 * S3 Batch Replication (backfill of objects that existed before the replication rule): the names the
 * CLI and the Pulumi program share, and the role's policies as plain data. No Pulumi here, so the CLI can
 * import it without loading the SDK.
 */
import { type PolicyDocument, s3ViaService, serviceTrustPolicy } from "./document";

/** Fixed, so that `org-s3-backup backfill` derives the role ARN from the account id alone. */
export const BACKFILL_ROLE_NAME = "org-s3-backup-batch-replication";

/**
 * Where jobs write in the source bucket. Outside `<accountId>/`, so neither the manifests nor the
 * completion reports are replicated themselves.
 */
export const BACKFILL_REPORT_PREFIX = "org-s3-backup-batch-replication/reports";
export const BACKFILL_MANIFEST_PREFIX = "org-s3-backup-batch-replication/manifests";

export const BATCH_OPERATIONS_PRINCIPAL = "batchoperations.s3.amazonaws.com";

export function backfillRoleArn(accountId: string, partition = "aws"): string {
  return `arn:${partition}:iam::${accountId}:role/${BACKFILL_ROLE_NAME}`;
}

/**
 * Only Batch Operations jobs of this account may assume the role (confused-deputy guard, enforced
 * whenever Batch Operations sends the keys: see serviceTrustPolicy).
 */
export function batchOperationsTrustPolicy(args: {
  accountId: string;
  region: string;
  partition: string;
}): PolicyDocument {
  return serviceTrustPolicy({
    sid: "BatchOperationsOfThisAccount",
    service: BATCH_OPERATIONS_PRINCIPAL,
    sourceAccount: args.accountId,
    sourceArn: `arn:${args.partition}:s3:${args.region}:${args.accountId}:job/*`,
  });
}

export interface BatchReplicationPolicyArgs {
  readonly partition: string;
  readonly region: string;
  readonly sourceBucketName: string;
  /** The source bucket's default SSE-KMS key: manifests and reports are written with it. */
  readonly sourceKmsKeyArn: string;
}

/**
 * What a Batch Replication job with an S3-generated manifest needs (AWS "Configuring an IAM role for S3
 * Batch Replication"), with the manifest and report locations in the source bucket's own prefixes.
 */
export function batchReplicationPolicy(args: BatchReplicationPolicyArgs): PolicyDocument {
  const bucket = `arn:${args.partition}:s3:::${args.sourceBucketName}`;
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "InitiateReplication", Effect: "Allow", Action: "s3:InitiateReplication", Resource: `${bucket}/*` },
      {
        Sid: "GenerateManifest",
        Effect: "Allow",
        Action: ["s3:GetReplicationConfiguration", "s3:PutInventoryConfiguration"],
        Resource: bucket,
      },
      {
        Sid: "ReadManifest",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:GetObjectVersion"],
        Resource: `${bucket}/${BACKFILL_MANIFEST_PREFIX}/*`,
      },
      {
        Sid: "WriteManifestAndReport",
        Effect: "Allow",
        Action: "s3:PutObject",
        Resource: [`${bucket}/${BACKFILL_MANIFEST_PREFIX}/*`, `${bucket}/${BACKFILL_REPORT_PREFIX}/*`],
      },
      {
        Sid: "SourceKeyForManifestAndReport",
        Effect: "Allow",
        Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        Resource: args.sourceKmsKeyArn,
        Condition: { StringEquals: { "kms:ViaService": s3ViaService(args.region) } },
      },
    ],
  };
}
