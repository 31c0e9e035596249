/**
 * The validated inventory with every default applied: what infra/ and automation/ consume.
 * The YAML format people edit (defaults once, overrides per account) lives in config/schema.ts;
 * config/load.ts turns that into these types.
 */

/** S3 storage classes a replication rule may write to (AWS `Destination.StorageClass`). */
export const DESTINATION_STORAGE_CLASSES = [
  "STANDARD",
  "STANDARD_IA",
  "ONEZONE_IA",
  "INTELLIGENT_TIERING",
  "GLACIER",
  "GLACIER_IR",
  "DEEP_ARCHIVE",
  "REDUCED_REDUNDANCY",
] as const;
export type DestinationStorageClass = (typeof DESTINATION_STORAGE_CLASSES)[number];

export interface Inventory {
  /** Absolute path of the YAML file this came from (for messages). */
  readonly sourcePath: string;
  /** AWS Organizations id, `o-` followed by 10 to 32 lowercase letters or digits. */
  readonly organizationId: string;
  readonly central: CentralAccount;
  /** Every source account in file order, disabled ones included (`enabled: false`). */
  readonly sources: readonly SourceAccount[];
  /** Organization accounts deliberately left out (`ignore:`): `discover` does not propose them. Absent = none. */
  readonly ignored?: readonly IgnoredAccount[];
}

export interface IgnoredAccount {
  readonly accountId: string;
  readonly reason?: string;
}

export interface CentralAccount {
  /** 12-digit account id. */
  readonly accountId: string;
  readonly name: string;
  readonly region: string;
  /** Role the deployment assumes in the central account. */
  readonly roleArn: string;
  readonly bucketName: string;
  /** Alias of the central KMS key, `alias/...`. */
  readonly kmsAlias: string;
  /**
   * Object Lock default retention, in days or in years (exactly one of them); absent = Object Lock not
   * enabled. Only settable at bucket creation.
   */
  readonly objectLock?: { readonly mode: "GOVERNANCE" | "COMPLIANCE"; readonly days?: number; readonly years?: number };
  /** Lifecycle for noncurrent versions; absent = keep every version forever. */
  readonly noncurrentVersions?: {
    /** Move noncurrent versions to this class after `transitionAfterDays`. */
    readonly transitionAfterDays?: number;
    readonly transitionStorageClass?:
      | "STANDARD_IA"
      | "ONEZONE_IA"
      | "INTELLIGENT_TIERING"
      | "GLACIER"
      | "GLACIER_IR"
      | "DEEP_ARCHIVE";
    /** Permanently delete noncurrent versions after this many days. */
    readonly expireAfterDays?: number;
    /** Keep at least this many noncurrent versions regardless of age. */
    readonly keepNewerVersions?: number;
  };
  /** SNS topic the source accounts' replication alarms notify; absent = a topic is created centrally. */
  readonly alarmTopicArn?: string;
  readonly tags: Readonly<Record<string, string>>;
}

export interface ReplicationOptions {
  readonly storageClass: DestinationStorageClass;
  /** Replication Time Control (15 minutes). Implies metrics. */
  readonly replicationTimeControl: boolean;
  /** Replication metrics; with RTC on they are always on. */
  readonly metrics: boolean;
  /** Replicate delete markers. Off by default: a backup must not follow deletions. */
  readonly deleteMarkerReplication: boolean;
}

export interface SourceAccount {
  readonly accountId: string;
  /** Human name, used in messages and tags. */
  readonly name: string;
  readonly region: string;
  /** Role the deployment assumes in this account. */
  readonly roleArn: string;
  readonly bucket: {
    readonly name: string;
    /** true: the bucket exists already and is adopted, never created or deleted by us (see existingBucket). */
    readonly existing: boolean;
  };
  /** Present exactly when the bucket is adopted (`bucket.existing`): what the inventory says about it. */
  readonly existingBucket?: AdoptedBucket;
  /** Alias of this account's KMS key, `alias/...`. */
  readonly kmsAlias: string;
  readonly replication: ReplicationOptions;
  readonly monitoring: {
    readonly enabled: boolean;
    /** Overrides the central topic for this account's alarms. */
    readonly alarmTopicArn?: string;
  };
  /** S3 Batch Replication for objects that existed before the rule (role + report location). */
  readonly backfill: { readonly enabled: boolean };
  readonly enabled: boolean;
  /** Defaults' tags merged with the account's own (the account wins). */
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * Where an adopted bucket's objects are. S3 replication cannot rename keys and our rule replicates only
 * `<accountId>/`: `under-account-prefix` says every object is there, `partial` that objects outside it
 * exist and are NOT backed up (`org-s3-backup coverage` counts them).
 */
export type AdoptedKeyLayout = "under-account-prefix" | "partial";

/** Settings of an adopted bucket we take over; false: the bucket keeps its own. */
export interface AdoptedBucketManagement {
  /** Replace the default encryption with SSE-KMS under the account's key (and a bucket key). */
  readonly encryption: boolean;
  /** Block every form of public access. */
  readonly publicAccessBlock: boolean;
  /** Replace the bucket policy with the TLS-only one. */
  readonly bucketPolicy: boolean;
}

/** An adopted bucket. Versioning and the replication rule are always managed on it. */
export interface AdoptedBucket {
  readonly name: string;
  readonly keys: AdoptedKeyLayout;
  readonly manage: AdoptedBucketManagement;
  /** The bucket already has a replication configuration: `up` refuses, or replaces every rule in it. */
  readonly existingReplication: "refuse" | "replace";
  /** Keys of objects already in the bucket: the replication role may kms:Decrypt them via S3. */
  readonly additionalKmsKeyArns: readonly string[];
}
