import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { partitionOf } from "../../config/regions";
import { BACKFILL_ROLE_NAME, batchOperationsTrustPolicy, batchReplicationPolicy } from "../policies/backfill";

export interface BatchReplicationRoleArgs {
  /** The source account the role lives in (the trust policy's aws:SourceAccount). */
  readonly accountId: string;
  /** Region of the source bucket: Batch Operations jobs run there. */
  readonly region: string;
  /** The replicated source bucket: jobs initiate replication on it and write manifests and reports into it. */
  readonly sourceBucketName: pulumi.Input<string>;
  /** The source bucket's KMS key (full ARN). */
  readonly sourceKmsKeyArn: pulumi.Input<string>;
  /** IAM role name; the CLI assumes the default when it starts jobs. */
  readonly roleName?: string;
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * The IAM role S3 Batch Operations assumes to run a Batch Replication job in a source account: created
 * when the inventory sets `backfill.enabled`. `org-s3-backup backfill` starts the jobs.
 */
export class BatchReplicationRole extends pulumi.ComponentResource {
  public readonly roleArn: pulumi.Output<string>;
  public readonly roleName: pulumi.Output<string>;

  constructor(name: string, args: BatchReplicationRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("org-s3-backup:backfill:BatchReplicationRole", name, {}, opts);
    const partition = partitionOf(args.region);

    const role = new aws.iam.Role(
      `${name}-role`,
      {
        name: args.roleName ?? BACKFILL_ROLE_NAME,
        description: "S3 Batch Replication of objects that existed before the org-s3-backup replication rule",
        assumeRolePolicy: JSON.stringify(
          batchOperationsTrustPolicy({ accountId: args.accountId, region: args.region, partition }),
        ),
        tags: args.tags,
      },
      { parent: this },
    );

    new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: role.name,
        policy: pulumi
          .all([args.sourceBucketName, args.sourceKmsKeyArn])
          .apply(([sourceBucketName, sourceKmsKeyArn]) =>
            JSON.stringify(
              batchReplicationPolicy({ partition, region: args.region, sourceBucketName, sourceKmsKeyArn }),
            ),
          ),
      },
      { parent: this },
    );

    this.roleArn = role.arn;
    this.roleName = role.name;
    this.registerOutputs({ roleArn: this.roleArn, roleName: this.roleName });
  }
}
