import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { alarmKinds, alarmName, RTC_LATENCY_THRESHOLD_SECONDS } from "../policies/monitoring";

export interface ReplicationAlarmsArgs {
  /** The source account (alarm names carry it). */
  readonly accountId: string;
  /** Source bucket name: the metrics' `SourceBucket` dimension. */
  readonly sourceBucketName: pulumi.Input<string>;
  /** Central bucket name (not ARN): the metrics' `DestinationBucket` dimension. */
  readonly destinationBucketName: pulumi.Input<string>;
  /** Id of the replication rule: the metrics' `RuleId` dimension. */
  readonly ruleId: pulumi.Input<string>;
  /** Replication metrics are on (the failure metric exists only then; RTC implies them). */
  readonly metrics: boolean;
  /** Replication Time Control is on: adds the latency alarm at its 15-minute objective. */
  readonly replicationTimeControl: boolean;
  /** SNS topic in the source's region that the alarms notify (see monitoring-policies alarmTopicFor). */
  readonly alarmTopicArn: pulumi.Input<string>;
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * CloudWatch alarms on a source bucket's replication rule: any failed replication operation, and (with
 * RTC) replication latency above 15 minutes. They notify on ALARM and on the return to OK. Missing data
 * is not breaching: S3 publishes these metrics only while there is something to replicate.
 */
export class ReplicationAlarms extends pulumi.ComponentResource {
  /** Undefined when replication metrics are off: there is no metric to alarm on. */
  public readonly failedReplicationAlarmArn: pulumi.Output<string> | undefined;
  /** Undefined without Replication Time Control. */
  public readonly latencyAlarmArn: pulumi.Output<string> | undefined;

  constructor(name: string, args: ReplicationAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("org-s3-backup:monitoring:ReplicationAlarms", name, {}, opts);
    const kinds = alarmKinds(args);
    const common = {
      namespace: "AWS/S3",
      dimensions: {
        SourceBucket: args.sourceBucketName,
        DestinationBucket: args.destinationBucketName,
        RuleId: args.ruleId,
      },
      period: 300,
      evaluationPeriods: 1,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      alarmActions: [args.alarmTopicArn],
      okActions: [args.alarmTopicArn],
      tags: args.tags,
    };

    this.failedReplicationAlarmArn = kinds.includes("failed-replication")
      ? new aws.cloudwatch.MetricAlarm(
          `${name}-failed-replication`,
          {
            ...common,
            name: alarmName(args.accountId, "failed-replication"),
            alarmDescription:
              `Objects of account ${args.accountId} failed to replicate to the central backup bucket ` +
              "(run org-s3-backup verify)",
            metricName: "OperationsFailedReplication",
            statistic: "Sum",
            threshold: 0,
          },
          { parent: this },
        ).arn
      : undefined;

    this.latencyAlarmArn = kinds.includes("replication-latency")
      ? new aws.cloudwatch.MetricAlarm(
          `${name}-replication-latency`,
          {
            ...common,
            name: alarmName(args.accountId, "replication-latency"),
            alarmDescription:
              `Replication of account ${args.accountId} is slower than the Replication Time Control objective ` +
              "(15 minutes)",
            metricName: "ReplicationLatency",
            statistic: "Maximum",
            threshold: RTC_LATENCY_THRESHOLD_SECONDS,
          },
          { parent: this },
        ).arn
      : undefined;

    this.registerOutputs({
      failedReplicationAlarmArn: this.failedReplicationAlarmArn,
      latencyAlarmArn: this.latencyAlarmArn,
    });
  }
}
