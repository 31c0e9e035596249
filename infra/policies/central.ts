/** The central account's bucket and key policies: admit the organization, never a list of accounts. */

import {
  accountRootStatement,
  anyReplicationRole,
  bucketArn,
  DESTINATION_REPLICATION_ACTIONS,
  type PolicyDocument,
  partitionInfo,
  s3EncryptionContexts,
  s3UseInAccountStatement,
  s3ViaService,
  tlsOnlyStatement,
} from "./document";

export interface CentralPolicyArgs {
  readonly organizationId: string;
  readonly accountId: string;
  readonly region: string;
  readonly bucketName: string;
}

/**
 * TLS only; the replication role of any organization account may write replicas under its own account
 * id and nowhere else (`${aws:PrincipalAccount}`). No bucket-level grant: neither replication nor a
 * source account's PutBucketReplication needs one (docs/infrastructure.md, "Cross-account set-up"), and
 * s3:PutBucketVersioning (AWS's console example) would let every account suspend versioning.
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
 * only: encryption context = the bucket ARN (replicas with an S3 Bucket Key) or an object ARN of the
 * bucket (replicas without one). The object ARNs are not narrowed to the caller's prefix here, which
 * keeps the document the same for every account without a policy variable in a key policy (which no
 * KMS page documents); each role's own policy narrows them to `<central>/<accountId>/*`, and the bucket
 * policy refuses writes outside that prefix anyway. S3 generates the bucket-level key with
 * GenerateDataKey and checks it with Decrypt (AWS: "S3 Bucket Keys and replication").
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
          StringEquals: { "aws:PrincipalOrgID": args.organizationId, "kms:ViaService": s3ViaService(args.region) },
          StringLike: {
            "kms:EncryptionContext:aws:s3:arn": s3EncryptionContexts(bucketArn(args.region, args.bucketName)),
          },
          ArnLike: { "aws:PrincipalArn": anyReplicationRole(partition) },
        },
      },
    ],
  };
}
