import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { CentralAccount } from "../../config/types";
import { centralBucketPolicy, centralKmsKeyPolicy } from "../policies/central";
import { hardenBucket } from "./bucket-hardening";

export interface CentralBackupBucketArgs {
  /** AWS Organizations id: every account of it may replicate into its own prefix. */
  readonly organizationId: string;
  /** The central account (12 digits): it owns the bucket and the key. */
  readonly accountId: string;
  /** Region of the bucket and the key; replicas are encrypted with this key, so it must be here too. */
  readonly region: string;
  readonly bucketName: string;
  /** Alias of the key, `alias/...`. */
  readonly kmsAlias: string;
  /**
   * Object Lock default retention. Enabled on the existing bucket by a BucketObjectLockConfiguration
   * (PutObjectLockConfiguration works on existing versioned buckets), never by the Bucket's
   * `objectLockEnabled`, which would replace the bucket: it can be added at any time, and once enabled
   * AWS never lets it be turned off again.
   */
  readonly objectLock?: CentralAccount["objectLock"];
  /** Lifecycle of noncurrent versions; absent = every version is kept forever. */
  readonly noncurrentVersions?: CentralAccount["noncurrentVersions"];
}

/** Keys scheduled for deletion can be recovered during this window; 30 is AWS's maximum. */
export const KEY_DELETION_WINDOW_DAYS = 30;

/**
 * The organization's backup bucket in the central account: SSE-KMS with a bucket key under an
 * organization-wide key policy, versioning, every public-access block, BucketOwnerEnforced, a bucket
 * policy letting each account's replication role write under its own account id, and optional Object
 * Lock (addable to the existing bucket) and noncurrent-version lifecycle.
 *
 * Data safety: the bucket and the key are protected; they and every setting that guards the data are
 * retained when the stack is destroyed (docs/infrastructure.md).
 */
export class CentralBackupBucket extends pulumi.ComponentResource {
  public readonly bucketName: pulumi.Output<string>;
  public readonly bucketArn: pulumi.Output<string>;
  public readonly kmsKeyArn: pulumi.Output<string>;

  constructor(name: string, args: CentralBackupBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("org-s3-backup:central:CentralBackupBucket", name, {}, opts);
    const holdsData = { parent: this, protect: true, retainOnDelete: true };
    const guardsData = { parent: this, retainOnDelete: true };
    const policyArgs = {
      organizationId: args.organizationId,
      accountId: args.accountId,
      region: args.region,
      bucketName: args.bucketName,
    };

    const key = new aws.kms.Key(
      `${name}-key`,
      {
        description: `org-s3-backup: encrypts the replicas in ${args.bucketName}`,
        enableKeyRotation: true,
        deletionWindowInDays: KEY_DELETION_WINDOW_DAYS,
        policy: JSON.stringify(centralKmsKeyPolicy(policyArgs)),
      },
      holdsData,
    );
    new aws.kms.Alias(`${name}-key-alias`, { name: args.kmsAlias, targetKeyId: key.keyId }, guardsData);

    // No `objectLockEnabled` here, ever: it forces a new bucket when it changes, and `protect` would then
    // refuse the update. It is Optional+Computed, so leaving it unset shows no difference either way.
    const bucket = new aws.s3.Bucket(`${name}-bucket`, { bucket: args.bucketName }, holdsData);

    const { versioning } = hardenBucket(
      name,
      {
        bucket: bucket.bucket,
        kmsKeyArn: key.arn,
        blockPublicAccess: true,
        ownerEnforced: true,
        policy: JSON.stringify(centralBucketPolicy(policyArgs)),
      },
      this,
    );

    if (args.objectLock) {
      // Object Lock works only on versioned buckets (AWS "Configuring S3 Object Lock").
      new aws.s3.BucketObjectLockConfiguration(
        `${name}-object-lock`,
        {
          bucket: bucket.bucket,
          objectLockEnabled: "Enabled",
          rule: { defaultRetention: objectLockRetention(args.objectLock) },
        },
        { ...guardsData, dependsOn: [versioning] },
      );
    }
    if (args.noncurrentVersions) {
      new aws.s3.BucketLifecycleConfiguration(
        `${name}-lifecycle`,
        { bucket: bucket.bucket, rules: [noncurrentVersionRule(args.noncurrentVersions)] },
        { ...guardsData, dependsOn: [versioning] },
      );
    }

    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    this.kmsKeyArn = key.arn;
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn, kmsKeyArn: this.kmsKeyArn });
  }
}

/** S3's default retention: days or years, exactly one (the inventory refuses both and neither). */
export function objectLockRetention(lock: NonNullable<CentralAccount["objectLock"]>): {
  mode: string;
  days?: number;
  years?: number;
} {
  return {
    mode: lock.mode,
    ...(lock.days !== undefined ? { days: lock.days } : {}),
    ...(lock.years !== undefined ? { years: lock.years } : {}),
  };
}

export const NONCURRENT_VERSIONS_RULE_ID = "org-s3-backup-noncurrent-versions";

/** The lifecycle rule for noncurrent versions of the whole bucket; S3 refuses a rule without an action. */
export function noncurrentVersionRule(
  versions: NonNullable<CentralAccount["noncurrentVersions"]>,
): aws.types.input.s3.BucketLifecycleConfigurationRule {
  const keep = versions.keepNewerVersions === undefined ? {} : { newerNoncurrentVersions: versions.keepNewerVersions };
  const transition =
    versions.transitionAfterDays === undefined
      ? undefined
      : versions.transitionStorageClass === undefined
        ? fail("noncurrentVersions.transitionAfterDays needs transitionStorageClass")
        : [{ noncurrentDays: versions.transitionAfterDays, storageClass: versions.transitionStorageClass, ...keep }];
  const expiration =
    versions.expireAfterDays === undefined ? undefined : { noncurrentDays: versions.expireAfterDays, ...keep };
  if (!transition && !expiration) fail("noncurrentVersions needs transitionAfterDays or expireAfterDays");
  return {
    id: NONCURRENT_VERSIONS_RULE_ID,
    status: "Enabled",
    filter: {},
    ...(transition ? { noncurrentVersionTransitions: transition } : {}),
    ...(expiration ? { noncurrentVersionExpiration: expiration } : {}),
  };
}

function fail(message: string): never {
  throw new Error(`central: ${message}`);
}
