/** The source account's key, bucket and replication-role policies. */

import {
  accountRootStatement,
  bucketArn,
  DESTINATION_REPLICATION_ACTIONS,
  type PolicyDocument,
  partitionInfo,
  S3_SERVICE_PRINCIPAL,
  s3UseInAccountStatement,
  s3ViaService,
  serviceTrustPolicy,
  tlsOnlyStatement,
} from "./document";

export function sourceKmsKeyPolicy(args: { readonly accountId: string; readonly region: string }): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      accountRootStatement(partitionInfo(args.region), args.accountId),
      s3UseInAccountStatement(args.accountId, args.region),
    ],
  };
}

export function sourceBucketPolicy(args: { readonly region: string; readonly bucketName: string }): PolicyDocument {
  return { Version: "2012-10-17", Statement: [tlsOnlyStatement(bucketArn(args.region, args.bucketName))] };
}

/** Only S3 replicating this account's bucket may assume the role (confused-deputy guard). */
export function replicationTrustPolicy(args: {
  readonly accountId: string;
  readonly region: string;
  readonly bucketName: string;
}): PolicyDocument {
  return serviceTrustPolicy({
    sid: "S3ReplicatesThisAccountsBucket",
    service: S3_SERVICE_PRINCIPAL,
    sourceAccount: args.accountId,
    sourceArn: bucketArn(args.region, args.bucketName),
  });
}

export interface ReplicationRolePolicyArgs {
  readonly accountId: string;
  readonly region: string;
  readonly bucketName: string;
  /** Full ARN of the source bucket's key. */
  readonly sourceKmsKeyArn: string;
  readonly centralRegion: string;
  readonly centralBucketArn: string;
  /** Full ARN of the central key (replicaKmsKeyId). */
  readonly centralKmsKeyArn: string;
  /** The central bucket has Object Lock: S3 must read retention and legal hold of source versions. */
  readonly centralObjectLock: boolean;
}

/**
 * What S3 needs to replicate SSE-KMS objects with bucket keys from this account's bucket to its prefix
 * of the central bucket (AWS "Setting up permissions for live replication", "Replicating encrypted
 * objects"). Both keys are conditioned on S3 in the key's region and on the bucket ARN as encryption
 * context, which is what S3 passes when Bucket Keys are on (both buckets have them).
 */
export function replicationRolePolicy(args: ReplicationRolePolicyArgs): PolicyDocument {
  const source = bucketArn(args.region, args.bucketName);
  const objectLockActions = args.centralObjectLock ? ["s3:GetObjectRetention", "s3:GetObjectLegalHold"] : [];
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadSourceReplicationConfiguration",
        Effect: "Allow",
        Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"],
        Resource: source,
      },
      {
        Sid: "ReadSourceObjectVersions",
        Effect: "Allow",
        Action: [
          "s3:GetObjectVersionForReplication",
          "s3:GetObjectVersionAcl",
          "s3:GetObjectVersionTagging",
          ...objectLockActions,
        ],
        Resource: `${source}/*`,
      },
      {
        Sid: "ReplicateIntoOwnCentralPrefix",
        Effect: "Allow",
        Action: DESTINATION_REPLICATION_ACTIONS,
        Resource: `${args.centralBucketArn}/${args.accountId}/*`,
      },
      {
        Sid: "DecryptSourceObjects",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: args.sourceKmsKeyArn,
        Condition: {
          StringEquals: { "kms:ViaService": s3ViaService(args.region), "kms:EncryptionContext:aws:s3:arn": source },
        },
      },
      {
        Sid: "EncryptReplicasWithCentralKey",
        Effect: "Allow",
        Action: ["kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"],
        Resource: args.centralKmsKeyArn,
        Condition: {
          StringEquals: {
            "kms:ViaService": s3ViaService(args.centralRegion),
            "kms:EncryptionContext:aws:s3:arn": args.centralBucketArn,
          },
        },
      },
    ],
  };
}
