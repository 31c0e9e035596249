/**
 * The shape of every IAM, KMS, bucket and topic policy the product writes or reads, and the pieces the
 * documents share: partitions and ARNs, the TLS-only statement, the key-administration statements, the
 * service-role trust. Pure data, no Pulumi: the CLI, `render` and the policy proof read the same types.
 *
 * The central documents take no list of accounts: organization conditions and `${aws:PrincipalAccount}`
 * keep them the same size for 1 or 5,000 source accounts (bucket policy limit 20 KB, key policy 32 KiB).
 */

import { type Partition, partitionOf } from "../../config/regions";

export type Principal = "*" | Readonly<Record<string, string | readonly string[]>>;
export type Conditions = Readonly<Record<string, Readonly<Record<string, string | readonly string[] | boolean>>>>;

/**
 * One statement, as written by the builders (which always set a unique `Sid`) and as read back from
 * rendered inputs (where the optional `Not…` elements may appear).
 */
export interface Statement {
  /** Says what the statement is for; unique within its document. */
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Principal?: Principal;
  readonly NotPrincipal?: Principal;
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: Conditions;
}

export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: readonly Statement[];
}

export function isPolicyDocument(value: unknown): value is PolicyDocument {
  return value !== null && typeof value === "object" && Array.isArray((value as { Statement?: unknown }).Statement);
}

export function policyDocument(...statements: Statement[]): PolicyDocument {
  return { Version: "2012-10-17", Statement: statements };
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
}

/**
 * The partition of a region: ARNs differ by partition. `kms:ViaService` does not (s3ViaService), so
 * the partition's endpoint suffix is deliberately not offered here.
 */
export function partitionInfo(region: string): PartitionInfo {
  return { name: partitionOf(region) };
}

export function bucketArn(region: string, bucketName: string): string {
  return `arn:${partitionInfo(region).name}:s3:::${bucketName}`;
}

/**
 * The value of `kms:ViaService` when S3 in `region` calls KMS for a caller. The KMS guide's ViaService
 * table says "Use the `.amazonaws.com` suffix of the AWS KMS ViaService name in all AWS partitions"
 * (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html): China included, so the
 * partition's own endpoint suffix (`amazonaws.com.cn`) would never match. docs/infrastructure.md.
 */
export function s3ViaService(region: string): string {
  return `s3.${region}.amazonaws.com`;
}

/**
 * The values `kms:EncryptionContext:aws:s3:arn` takes for objects under `prefix` of a bucket (StringLike):
 * the bucket ARN, which S3 sends for objects stored with an S3 Bucket Key, and the object ARNs under the
 * prefix, which it sends for every other SSE-KMS object (AWS "Using server-side encryption with AWS KMS
 * keys", "Encryption context"). `prefix` is `<accountId>/` or empty for the whole bucket; the `/` between
 * the bucket and the pattern keeps `<bucket>2/...` (another bucket) out.
 */
export function s3EncryptionContexts(bucket: string, prefix = ""): [string, string] {
  return [bucket, `${bucket}/${prefix}*`];
}

/** Any account's replication role: the only principals of the organization the central side trusts. */
export function anyReplicationRole(partition: PartitionInfo): string {
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
export function accountRootStatement(partition: PartitionInfo, accountId: string): Statement {
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
export function s3UseInAccountStatement(accountId: string, region: string): Statement {
  return {
    Sid: "AccountPrincipalsUseKeyThroughS3",
    Effect: "Allow",
    Principal: { AWS: "*" },
    Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
    Resource: "*",
    Condition: { StringEquals: { "kms:CallerAccount": accountId, "kms:ViaService": s3ViaService(region) } },
  };
}

export interface ServiceTrustArgs {
  readonly sid: string;
  /** The service principal, e.g. `s3.amazonaws.com`. */
  readonly service: string;
  /** The account whose resources the service acts for (`aws:SourceAccount`, enforced when sent). */
  readonly sourceAccount: string;
  /** The resource ARN pattern the service acts for (`aws:SourceArn`, enforced when sent). */
  readonly sourceArn: string;
}

/**
 * A role that one AWS service may assume. The confused-deputy keys are written in their `...IfExists`
 * form: no AWS page says S3 replication or S3 Batch Operations sends `aws:SourceAccount`/`aws:SourceArn`
 * when it assumes the role, and AWS's own trust policies for both carry no condition. A plain condition
 * on a key that is not sent is false and the service could never assume the role (nothing would ever
 * replicate); with IfExists the keys are enforced whenever they are sent and harmless when they are not.
 * docs/infrastructure.md cites the pages.
 */
export function serviceTrustPolicy(args: ServiceTrustArgs): PolicyDocument {
  return policyDocument({
    Sid: args.sid,
    Effect: "Allow",
    Principal: { Service: args.service },
    Action: "sts:AssumeRole",
    Condition: {
      StringEqualsIfExists: { "aws:SourceAccount": args.sourceAccount },
      ArnLikeIfExists: { "aws:SourceArn": args.sourceArn },
    },
  });
}
