import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { partitionOf } from "../../config/regions";
import { alarmTopicListedAccounts, alarmTopicPolicy, DEFAULT_ALARM_TOPIC_NAME } from "../policies/monitoring";

export interface AlarmTopicArgs {
  /** AWS Organizations id: enforced on aws:SourceOrgID whenever CloudWatch sends it. */
  readonly organizationId: string;
  /** The accounts whose alarms may publish (aws:SourceAccount): alarmTopicSourceAccounts. */
  readonly sourceAccountIds: readonly string[];
  /** Region of the topic; only alarms of this region can notify it. */
  readonly region: string;
  /** Topic name (default org-s3-backup-replication-alarms). */
  readonly topicName?: string;
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * The central SNS topic the source accounts' replication alarms notify, with a topic policy admitting
 * this project's alarms from the monitored accounts of its region, or from the organization when
 * CloudWatch says so (infra/policies/monitoring.ts). Subscriptions (email, chat) are left to the operators.
 */
export class AlarmTopic extends pulumi.ComponentResource {
  public readonly topicArn: pulumi.Output<string>;

  constructor(name: string, args: AlarmTopicArgs, opts?: pulumi.ComponentResourceOptions) {
    super("org-s3-backup:monitoring:AlarmTopic", name, {}, opts);
    const partition = partitionOf(args.region);
    // An ARN of the same length as the topic's, to know now whether SNS's size limit leaves accounts out.
    const sizing = `arn:${partition}:sns:${args.region}:000000000000:${args.topicName ?? DEFAULT_ALARM_TOPIC_NAME}`;
    const listed = alarmTopicListedAccounts({ ...args, topicArn: sizing, partition }).length;
    if (args.sourceAccountIds.length > listed) {
      pulumi.log.warn(
        `alarm topic ${args.region}: ${args.sourceAccountIds.length - listed} of ${args.sourceAccountIds.length} ` +
          "monitored accounts do not fit in SNS's 30 KB topic policy; " +
          "their alarms are admitted only by the organization condition (aws:SourceOrgID), " +
          "which CloudWatch is not documented to send: " +
          "give them monitoring.alarmTopicArn, or confirm delivery as docs/infrastructure.md says",
        this,
      );
    }

    const topic = new aws.sns.Topic(
      `${name}-topic`,
      { name: args.topicName ?? DEFAULT_ALARM_TOPIC_NAME, tags: args.tags },
      { parent: this },
    );

    new aws.sns.TopicPolicy(
      `${name}-policy`,
      {
        arn: topic.arn,
        policy: topic.arn.apply((topicArn) =>
          JSON.stringify(
            alarmTopicPolicy({
              topicArn,
              organizationId: args.organizationId,
              region: args.region,
              partition,
              sourceAccountIds: args.sourceAccountIds,
            }),
          ),
        ),
      },
      { parent: this },
    );

    this.topicArn = topic.arn;
    this.registerOutputs({ topicArn: this.topicArn });
  }
}
