import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AdoptedBucketManagement, ReplicationOptions } from "../../config/types";
import { BatchReplicationRole } from "./batch-replication-role";
import { KEY_DELETION_WINDOW_DAYS } from "./central-backup-bucket";
import { hardenBucket } from "./bucket-hardening";
import { ReplicationAlarms } from "./replication-alarms";
import { replicationRuleId } from "../contract";
import { bucketArn, REPLICATION_ROLE_NAME } from "../policies/document";
import {
  replicationRolePolicy,
  replicationTrustPolicy,
  sourceBucketPolicy,
  sourceKmsKeyPolicy,
} from "../policies/source";

export interface SourceReplicatedBucketArgs {
  /** The source account (12 digits). Its objects replicate from `<accountId>/` to `<accountId>/`. */
  readonly accountId: string;
  /** Region of the bucket; the provider of the component's parent must be in it. */
  readonly region: string;
  readonly bucketName: string;
  /**
   * true: the bucket exists and is adopted. It is never created nor deleted; its versioning and its
   * replication configuration become ours (any rules it had are replaced); its default encryption,
   * public-access block and bucket policy stay as they are unless `manage` takes them over.
   */
  readonly existingBucket: boolean;
  /** Adopted bucket only: which of its settings to take over (absent = none). A created bucket has them all. */
  readonly manage?: Partial<AdoptedBucketManagement>;
  /** Keys of objects already in the bucket (full ARNs): the replication role may kms:Decrypt them via S3. */
  readonly additionalKmsKeyArns?: readonly string[];
  /** Alias of the account's key, `alias/...`. */
  readonly kmsAlias: string;
  readonly replication: ReplicationOptions;
  /** The central account, owner of the destination (replicas are owned by it). */
  readonly centralAccountId: string;
  /** Region of the central bucket and key (kms:ViaService of the central key). */
  readonly centralRegion: string;
  /** Name of the central bucket: the `DestinationBucket` dimension of the replication metrics. */
  readonly centralBucketName: string;
  readonly centralBucketArn: pulumi.Input<string>;
  /** Full ARN of the central key: an alias would resolve in this account. Unknown before central exists. */
  readonly centralKmsKeyArn: pulumi.Input<string>;
  /** The central bucket has Object Lock (the role must then read retention and legal hold). */
  readonly centralObjectLock: boolean;
  /** SNS topic (in this region) the replication alarms notify; undefined = no alarms. */
  readonly alarmTopicArn?: string;
  /** Creates the role S3 Batch Replication jobs assume (`org-s3-backup backfill`). */
  readonly backfill: boolean;
}

/** Everything guarding a bucket the stack created. */
const CREATED_BUCKET: AdoptedBucketManagement = { encryption: true, publicAccessBlock: true, bucketPolicy: true };
/** An adopted bucket keeps its own settings unless the inventory opts in. */
const ADOPTED_DEFAULTS: AdoptedBucketManagement = { encryption: false, publicAccessBlock: false, bucketPolicy: false };

/** RTC's only objective, and the event threshold replication metrics report against. */
export const REPLICATION_TIME_MINUTES = 15;

export { replicationRuleId };

/**
 * A source account's bucket replicated into its prefix of the central bucket: KMS key, the bucket
 * (created, or adopted by name), versioning, SSE-KMS with a bucket key, every public-access block, a
 * TLS-only policy, the replication role, and ONE replication rule for the prefix `<accountId>/`. On an
 * adopted bucket only versioning and the replication configuration are set unless `manage` asks for more.
 *
 * Data safety: a created bucket and the key are protected; they and every setting guarding the data
 * are retained when the stack is destroyed. Only the replication role and rule are really deleted.
 */
export class SourceReplicatedBucket extends pulumi.ComponentResource {
  public readonly bucketName: pulumi.Output<string>;
  public readonly bucketArn: pulumi.Output<string>;
  public readonly kmsKeyArn: pulumi.Output<string>;
  public readonly replicationRoleArn: pulumi.Output<string>;
  /** Id of the replication rule (the `RuleId` dimension of its CloudWatch metrics). */
  public readonly replicationRuleId: string;
  /** ARNs of the replication alarms; empty without monitoring or without replication metrics. */
  public readonly alarmArns: pulumi.Output<string>[];
  /** Undefined unless backfill is enabled. */
  public readonly backfillRoleArn: pulumi.Output<string> | undefined;

  constructor(name: string, args: SourceReplicatedBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("org-s3-backup:source:SourceReplicatedBucket", name, {}, opts);
    const holdsData = { parent: this, protect: true, retainOnDelete: true };
    const guardsData = { parent: this, retainOnDelete: true };

    const key = new aws.kms.Key(
      `${name}-key`,
      {
        description: `org-s3-backup: encrypts ${args.bucketName}`,
        enableKeyRotation: true,
        deletionWindowInDays: KEY_DELETION_WINDOW_DAYS,
        policy: JSON.stringify(sourceKmsKeyPolicy({ accountId: args.accountId, region: args.region })),
      },
      holdsData,
    );
    new aws.kms.Alias(`${name}-key-alias`, { name: args.kmsAlias, targetKeyId: key.keyId }, guardsData);

    // An adopted bucket is named, never registered: no state, so nothing of ours can ever delete it.
    const created = args.existingBucket
      ? undefined
      : new aws.s3.Bucket(`${name}-bucket`, { bucket: args.bucketName }, holdsData);
    const bucket = {
      name: created ? created.bucket : pulumi.output(args.bucketName),
      arn: created ? created.arn : pulumi.output(bucketArn(args.region, args.bucketName)),
    };

    // A created bucket is ours entirely. An adopted one may serve a website or a CDN: only what
    // replication needs (versioning) is taken over, the rest when the inventory says so.
    const manage = args.existingBucket ? { ...ADOPTED_DEFAULTS, ...args.manage } : CREATED_BUCKET;
    const { versioning } = hardenBucket(
      name,
      {
        bucket: bucket.name,
        ...(manage.encryption ? { kmsKeyArn: key.arn } : {}),
        blockPublicAccess: manage.publicAccessBlock,
        ...(manage.bucketPolicy
          ? { policy: JSON.stringify(sourceBucketPolicy({ region: args.region, bucketName: args.bucketName })) }
          : {}),
      },
      this,
    );

    const role = new aws.iam.Role(
      `${name}-replication-role`,
      {
        name: REPLICATION_ROLE_NAME,
        description: `S3 replication of ${args.bucketName} into the organization's central backup bucket`,
        assumeRolePolicy: JSON.stringify(
          replicationTrustPolicy({ accountId: args.accountId, region: args.region, bucketName: args.bucketName }),
        ),
      },
      { parent: this },
    );
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-replication-policy`,
      {
        role: role.name,
        policy: pulumi
          .all([key.arn, args.centralBucketArn, args.centralKmsKeyArn])
          .apply(([sourceKmsKeyArn, centralBucketArn, centralKmsKeyArn]) =>
            JSON.stringify(
              replicationRolePolicy({
                accountId: args.accountId,
                region: args.region,
                bucketName: args.bucketName,
                sourceKmsKeyArn,
                centralRegion: args.centralRegion,
                centralBucketArn,
                centralKmsKeyArn,
                centralObjectLock: args.centralObjectLock,
                // An adopted bucket may have Object Lock; the program cannot read it (docs/infrastructure.md).
                sourceObjectLock: args.existingBucket,
                additionalKmsKeyArns: args.additionalKmsKeyArns ?? [],
              }),
            ),
          ),
      },
      { parent: this },
    );

    this.replicationRuleId = replicationRuleId(args.accountId);
    new aws.s3.BucketReplicationConfig(
      `${name}-replication`,
      {
        bucket: bucket.name,
        role: role.arn,
        rules: [replicationRule(this.replicationRuleId, args)],
      },
      // S3 refuses a replication configuration on an unversioned bucket.
      { parent: this, dependsOn: [versioning, rolePolicy] },
    );

    const alarms =
      args.alarmTopicArn === undefined
        ? undefined
        : new ReplicationAlarms(
            `${name}-alarms`,
            {
              accountId: args.accountId,
              sourceBucketName: bucket.name,
              destinationBucketName: args.centralBucketName,
              ruleId: this.replicationRuleId,
              metrics: args.replication.metrics,
              replicationTimeControl: args.replication.replicationTimeControl,
              alarmTopicArn: args.alarmTopicArn,
            },
            { parent: this },
          );
    const backfill = args.backfill
      ? new BatchReplicationRole(
          `${name}-backfill`,
          { accountId: args.accountId, region: args.region, sourceBucketName: bucket.name, sourceKmsKeyArn: key.arn },
          { parent: this },
        )
      : undefined;

    this.bucketName = bucket.name;
    this.bucketArn = bucket.arn;
    this.kmsKeyArn = key.arn;
    this.replicationRoleArn = role.arn;
    this.alarmArns = [alarms?.failedReplicationAlarmArn, alarms?.latencyAlarmArn].filter((arn) => arn !== undefined);
    this.backfillRoleArn = backfill?.roleArn;
    this.registerOutputs({
      bucketName: this.bucketName,
      bucketArn: this.bucketArn,
      kmsKeyArn: this.kmsKeyArn,
      replicationRoleArn: this.replicationRoleArn,
      alarmArns: this.alarmArns,
      backfillRoleArn: this.backfillRoleArn,
    });
  }
}

/**
 * The one rule: objects under `<accountId>/` go to the same keys in the central bucket, owned by the
 * central account, encrypted with the central key. Delete markers follow only when the inventory asks.
 *
 * Every field is written in the shape GetBucketReplication gives back, so that `drift` (a refresh)
 * finds nothing on a clean stack (docs/driver.md, "Drift"; pulumi/pulumi-aws#2063,
 * hashicorp/terraform-provider-aws#665 and #10235):
 * - `id` always set (omitted, AWS generates one and the next refresh differs);
 * - `priority` always set (AWS requires and returns it with a Filter);
 * - `filter` always the single `prefix` member, never `{}` and never `and` for one prefix;
 * - `deleteMarkerReplication` always explicit, `Enabled` or `Disabled` (required with a Filter, returned);
 * - `destination.storageClass` always set (the provider reads it back as "" when it was not sent);
 * - nothing optional that AWS might echo in another form: no `existingObjectReplication` (no longer
 *   supported), no `sourceSelectionCriteria.replicaModifications`, no deprecated rule-level `prefix`;
 * - no field is ever present with an undefined value.
 * tests/infra/replication-rule.test.ts pins this shape for every combination of options.
 */
export function replicationRule(
  id: string,
  args: Pick<
    SourceReplicatedBucketArgs,
    "accountId" | "replication" | "centralAccountId" | "centralBucketArn" | "centralKmsKeyArn"
  >,
): aws.types.input.s3.BucketReplicationConfigRule {
  const { replication } = args;
  const rtc = replication.replicationTimeControl;
  const metrics = rtc || replication.metrics;
  return {
    id,
    status: "Enabled",
    priority: 1,
    filter: { prefix: `${args.accountId}/` },
    deleteMarkerReplication: { status: replication.deleteMarkerReplication ? "Enabled" : "Disabled" },
    sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
    destination: {
      bucket: args.centralBucketArn,
      account: args.centralAccountId,
      accessControlTranslation: { owner: "Destination" },
      encryptionConfiguration: { replicaKmsKeyId: args.centralKmsKeyArn },
      storageClass: replication.storageClass,
      // RTC: the documented pair, both at 15 minutes (AWS "S3 Replication Time Control" example).
      ...(rtc ? { replicationTime: { status: "Enabled", time: { minutes: REPLICATION_TIME_MINUTES } } } : {}),
      // Metrics alone: no event threshold (API "Metrics": EventThreshold not required; the threshold
      // belongs to RTC's OperationMissedThreshold event). Whether AWS echoes it back unchanged is one of
      // the points docs/driver.md lists for a live `drift` run.
      ...(metrics
        ? { metrics: { status: "Enabled", ...(rtc ? { eventThreshold: { minutes: REPLICATION_TIME_MINUTES } } : {}) } }
        : {}),
    },
  };
}
