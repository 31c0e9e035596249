/** The source account's key, bucket and replication-role policies. */

import {
  accountRootStatement,
  bucketArn,
  DESTINATION_REPLICATION_ACTIONS,
  type PolicyDocument,
  partitionInfo,
  S3_SERVICE_PRINCIPAL,
  s3EncryptionContexts,
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

/**
 * Only S3 replicating this account's bucket may assume the role (confused-deputy guard, enforced whenever
 * S3 sends the keys: see serviceTrustPolicy).
 */
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
  /** The central bucket has Object Lock. */
  readonly centralObjectLock: boolean;
  /**
   * The source bucket has, or may have, Object Lock: true for an adopted bucket, whose configuration the
   * program cannot read. AWS: a source with Object Lock needs s3:GetObjectRetention and
   * s3:GetObjectLegalHold in the role (and a central bucket with Object Lock).
   */
  readonly sourceObjectLock: boolean;
  /** Other keys of objects already in an adopted bucket (full key ARNs): Decrypt through S3 for this bucket. */
  readonly additionalKmsKeyArns?: readonly string[];
}

/** The object-level reads replication needs on the source when either bucket has Object Lock. */
export const OBJECT_LOCK_READ_ACTIONS = ["s3:GetObjectRetention", "s3:GetObjectLegalHold"] as const;

/**
 * What S3 needs to replicate SSE-KMS objects from this account's bucket to its prefix of the central
 * bucket (AWS "Setting up permissions for live replication", "Replicating encrypted objects"). Both keys
 * are conditioned on S3 in the key's region and on the encryption context S3 passes: the bucket ARN for
 * objects stored with an S3 Bucket Key, the object ARN for every other object (objects written before
 * the bucket key, requests that turn it off, adopted buckets, replicas written without one). Object
 * ARNs are accepted only under `<accountId>/`, the one prefix the rule replicates, on both sides.
 */
export function replicationRolePolicy(args: ReplicationRolePolicyArgs): PolicyDocument {
  const source = bucketArn(args.region, args.bucketName);
  const ownPrefix = `${args.accountId}/`;
  const objectLockActions = args.centralObjectLock || args.sourceObjectLock ? OBJECT_LOCK_READ_ACTIONS : [];
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
        Resource: `${args.centralBucketArn}/${ownPrefix}*`,
      },
      {
        Sid: "DecryptSourceObjects",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: args.sourceKmsKeyArn,
        Condition: {
          StringEquals: { "kms:ViaService": s3ViaService(args.region) },
          StringLike: { "kms:EncryptionContext:aws:s3:arn": s3EncryptionContexts(source, ownPrefix) },
        },
      },
      {
        Sid: "EncryptReplicasWithCentralKey",
        Effect: "Allow",
        Action: ["kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"],
        Resource: args.centralKmsKeyArn,
        Condition: {
          StringEquals: { "kms:ViaService": s3ViaService(args.centralRegion) },
          StringLike: {
            "kms:EncryptionContext:aws:s3:arn": s3EncryptionContexts(args.centralBucketArn, ownPrefix),
          },
        },
      },
      ...adoptedObjectKeysStatement(args.additionalKmsKeyArns ?? [], args.region, source, ownPrefix),
    ],
  };
}

/**
 * Objects already in an adopted bucket may be encrypted with other keys than the account's: the role may
 * Decrypt with those (AWS "Replicating encrypted objects": the role needs kms:Decrypt on every key of the
 * objects it replicates), through S3 in the bucket's region only, and for the encryption contexts of this
 * bucket's replicated prefix only (the bucket ARN with an S3 Bucket Key, the object ARN without one).
 * A key of another account must also allow the role in its own key policy.
 */
function adoptedObjectKeysStatement(
  keyArns: readonly string[],
  region: string,
  bucket: string,
  prefix: string,
): PolicyDocument["Statement"][number][] {
  if (keyArns.length === 0) return [];
  return [
    {
      Sid: "DecryptAdoptedObjectsWithTheirKeys",
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: [...keyArns],
      Condition: {
        StringEquals: { "kms:ViaService": s3ViaService(region) },
        StringLike: { "kms:EncryptionContext:aws:s3:arn": s3EncryptionContexts(bucket, prefix) },
      },
    },
  ];
}
