/**
 * Every IAM, KMS and bucket policy of the product as plain data: pure functions from plain strings to a
 * policy document, so they can be read, unit-tested and evaluated without Pulumi. The components
 * serialise them once with JSON.stringify.
 *
 * The central documents take no list of accounts: organization conditions and `${aws:PrincipalAccount}`
 * keep them the same size for 1 or 5,000 source accounts (bucket policy limit 20 KB, key policy 32 KiB).
 */

import { type Partition, partitionOf } from "../../config/regions";

export interface Statement {
  /** Says what the statement is for; unique within its document. */
  readonly Sid: string;
  readonly Effect: "Allow" | "Deny";
  readonly Principal?: "*" | Readonly<Record<string, string | readonly string[]>>;
  readonly Action: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly Statement[];
}

/** Name of the replication role in every source account (one replicated bucket per account). */
export const REPLICATION_ROLE_NAME = "org-s3-backup-replication";
export const S3_SERVICE_PRINCIPAL = "s3.amazonaws.com";

/** The object-level actions a replication role performs on the destination. */
export const DESTINATION_REPLICATION_ACTIONS = [
  "s3:ReplicateObject",
  "s3:ReplicateDelete",
  "s3:ReplicateTags",
  "s3:ObjectOwnerOverrideToBucketOwner",
] as const;

export interface PartitionInfo {
  /** `aws`, `aws-cn` or `aws-us-gov`: the second field of every ARN. */
  readonly name: Partition;
  /** Suffix of service endpoints, which `kms:ViaService` values carry. */
  readonly dnsSuffix: string;
}

/** The partition of a region; ARNs and `kms:ViaService` values differ by partition. */
export function partitionInfo(region: string): PartitionInfo {
  const name = partitionOf(region);
  return { name, dnsSuffix: name === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com" };
}

export function bucketArn(region: string, bucketName: string): string {
  return `arn:${partitionInfo(region).name}:s3:::${bucketName}`;
}

/** The value of `kms:ViaService` when S3 in `region` calls KMS for a caller. */
export function s3ViaService(region: string): string {
  return `s3.${region}.${partitionInfo(region).dnsSuffix}`;
}

/** Any account's replication role: the only principals of the organization the central side trusts. */
function anyReplicationRole(partition: PartitionInfo): string {
  return `arn:${partition.name}:iam::*:role/${REPLICATION_ROLE_NAME}`;
}

/** Refuses every request to the bucket and its objects that does not arrive over TLS. */
export function tlsOnlyStatement(bucket: string): Statement {
  return {
    Sid: "DenyRequestsWithoutTls",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [bucket, `${bucket}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

/** Key administration and IAM delegation stay with the key's own account (AWS default key policy). */
function accountRootStatement(partition: PartitionInfo, accountId: string): Statement {
  return {
    Sid: "AccountAdministersKeyThroughIam",
    Effect: "Allow",
    Principal: { AWS: `arn:${partition.name}:iam::${accountId}:root` },
    Action: "kms:*",
    Resource: "*",
  };
}

/**
 * Principals of the key's account may use it through S3 in its region only, as with the AWS managed
 * aws/s3 key: applications that could read and write the bucket before it defaulted to this key keep
 * working without KMS grants of their own.
 */
function s3UseInAccountStatement(accountId: string, region: string): Statement {
  return {
    Sid: "AccountPrincipalsUseKeyThroughS3",
    Effect: "Allow",
    Principal: { AWS: "*" },
    Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
    Resource: "*",
    Condition: { StringEquals: { "kms:CallerAccount": accountId, "kms:ViaService": s3ViaService(region) } },
  };
}

export interface CentralPolicyArgs {
  readonly organizationId: string;
  readonly accountId: string;
  readonly region: string;
  readonly bucketName: string;
}

/**
 * TLS only; the replication role of any organization account may write replicas under its own account
 * id and nowhere else (`${aws:PrincipalAccount}`). No bucket-level grant: replication does not need
 * one, and s3:PutBucketVersioning (AWS's console example) would let every account suspend versioning.
 */
export function centralBucketPolicy(args: CentralPolicyArgs): PolicyDocument {
  const partition = partitionInfo(args.region);
  const bucket = bucketArn(args.region, args.bucketName);
  return {
    Version: "2012-10-17",
    Statement: [
      tlsOnlyStatement(bucket),
      {
        Sid: "OrgReplicationRolesWriteUnderOwnAccountId",
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: DESTINATION_REPLICATION_ACTIONS,
        Resource: `${bucket}/\${aws:PrincipalAccount}/*`,
        Condition: {
          StringEquals: { "aws:PrincipalOrgID": args.organizationId },
          ArnLike: { "aws:PrincipalArn": anyReplicationRole(partition) },
        },
      },
    ],
  };
}

/**
 * The central account administers the key and uses it through S3. Replication roles of the
 * organization may encrypt replicas with it, through S3 in the central region, for the central bucket
 * only. With S3 Bucket Keys the encryption context is the bucket ARN; S3 generates the bucket-level key
 * with GenerateDataKey and checks it with Decrypt (AWS: "S3 Bucket Keys and replication").
 */
export function centralKmsKeyPolicy(args: CentralPolicyArgs): PolicyDocument {
  const partition = partitionInfo(args.region);
  return {
    Version: "2012-10-17",
    Statement: [
      accountRootStatement(partition, args.accountId),
      s3UseInAccountStatement(args.accountId, args.region),
      {
        Sid: "OrgReplicationRolesEncryptReplicas",
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: ["kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"],
        Resource: "*",
        Condition: {
          StringEquals: {
            "aws:PrincipalOrgID": args.organizationId,
            "kms:ViaService": s3ViaService(args.region),
            "kms:EncryptionContext:aws:s3:arn": bucketArn(args.region, args.bucketName),
          },
          ArnLike: { "aws:PrincipalArn": anyReplicationRole(partition) },
        },
      },
    ],
  };
}

export function sourceKmsKeyPolicy(args: { readonly accountId: string; readonly region: string }): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [accountRootStatement(partitionInfo(args.region), args.accountId), s3UseInAccountStatement(args.accountId, args.region)],
  };
}

export function sourceBucketPolicy(args: { readonly region: string; readonly bucketName: string }): PolicyDocument {
  return { Version: "2012-10-17", Statement: [tlsOnlyStatement(bucketArn(args.region, args.bucketName))] };
}

/** Only S3 replicating this account's bucket may assume the role (confused-deputy guard). */
export function replicationTrustPolicy(args: { readonly accountId: string; readonly region: string; readonly bucketName: string }): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "S3ReplicatesThisAccountsBucket",
        Effect: "Allow",
        Principal: { Service: S3_SERVICE_PRINCIPAL },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": args.accountId },
          ArnLike: { "aws:SourceArn": bucketArn(args.region, args.bucketName) },
        },
      },
    ],
  };
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
        Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging", ...objectLockActions],
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
        Condition: { StringEquals: { "kms:ViaService": s3ViaService(args.region), "kms:EncryptionContext:aws:s3:arn": source } },
      },
      {
        Sid: "EncryptReplicasWithCentralKey",
        Effect: "Allow",
        Action: ["kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"],
        Resource: args.centralKmsKeyArn,
        Condition: {
          StringEquals: { "kms:ViaService": s3ViaService(args.centralRegion), "kms:EncryptionContext:aws:s3:arn": args.centralBucketArn },
        },
      },
    ],
  };
}
