import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

/**
 * The settings that guard a bucket's data, in one place for the central and the source bucket (as
 * aws-cdk's Bucket keeps them): versioning, SSE-KMS by default with an S3 Bucket Key, every
 * public-access block, optionally BucketOwnerEnforced, and the bucket policy.
 *
 * A function rather than a component: the resources stay children of the calling component under the
 * names they always had, so their URNs (and the `protect`ed state around them) do not move.
 */
export interface BucketHardeningArgs {
  /** Name of the bucket (an Output for a created bucket). */
  readonly bucket: pulumi.Input<string>;
  /** Default encryption key (full ARN). Omitted: the bucket's default encryption is left as it is. */
  readonly kmsKeyArn?: pulumi.Input<string>;
  /** Blocks every form of public access. */
  readonly blockPublicAccess: boolean;
  /** Objects belong to the bucket owner and ACLs are disabled (the central bucket: replicas become ours). */
  readonly ownerEnforced?: boolean;
  /** The bucket policy, serialised. Omitted: the bucket's policy is left as it is. */
  readonly policy?: pulumi.Input<string>;
}

export interface HardenedBucket {
  /** Anything that needs a versioned bucket (replication, Object Lock, lifecycle) depends on this. */
  readonly versioning: aws.s3.BucketVersioning;
}

export function hardenBucket(name: string, args: BucketHardeningArgs, parent: pulumi.Resource): HardenedBucket {
  // Destroying the stack must not switch off what protects the data: every setting is retained.
  const guardsData = { parent, retainOnDelete: true };
  const versioning = new aws.s3.BucketVersioning(
    `${name}-versioning`,
    { bucket: args.bucket, versioningConfiguration: { status: "Enabled" } },
    guardsData,
  );
  if (args.kmsKeyArn !== undefined) {
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        bucket: args.bucket,
        rules: [
          {
            applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn },
            bucketKeyEnabled: true,
          },
        ],
      },
      guardsData,
    );
  }
  const publicAccessBlock = args.blockPublicAccess
    ? new aws.s3.BucketPublicAccessBlock(
        `${name}-public-access-block`,
        {
          bucket: args.bucket,
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        },
        guardsData,
      )
    : undefined;
  if (args.ownerEnforced) {
    new aws.s3.BucketOwnershipControls(
      `${name}-ownership`,
      { bucket: args.bucket, rule: { objectOwnership: "BucketOwnerEnforced" } },
      guardsData,
    );
  }
  if (args.policy !== undefined) {
    new aws.s3.BucketPolicy(
      `${name}-policy`,
      { bucket: args.bucket, policy: args.policy },
      // S3 answers OperationAborted to concurrent changes of one bucket's public-access settings and policy.
      { ...guardsData, dependsOn: publicAccessBlock ? [publicAccessBlock] : [] },
    );
  }
  return { versioning };
}
