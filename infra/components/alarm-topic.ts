import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { partitionOf } from "../../config/regions";
import { alarmTopicPolicy, DEFAULT_ALARM_TOPIC_NAME } from "../policies/monitoring";

export interface AlarmTopicArgs {
  /** AWS Organizations id: CloudWatch in any of its accounts may publish (aws:SourceOrgID). */
  readonly organizationId: string;
  /** Region of the topic; only alarms of this region can notify it. */
  readonly region: string;
  /** Topic name (default org-s3-backup-replication-alarms). */
  readonly topicName?: string;
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * The central SNS topic the source accounts' replication alarms notify, with a topic policy admitting
 * this project's alarms from any account of the organization. Subscriptions (email, chat) are left to
 * the operators.
 */
export class AlarmTopic extends pulumi.ComponentResource {
  public readonly topicArn: pulumi.Output<string>;

  constructor(name: string, args: AlarmTopicArgs, opts?: pulumi.ComponentResourceOptions) {
    super("org-s3-backup:monitoring:AlarmTopic", name, {}, opts);
    const partition = partitionOf(args.region);

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
            alarmTopicPolicy({ topicArn, organizationId: args.organizationId, region: args.region, partition }),
          ),
        ),
      },
      { parent: this },
    );

    this.topicArn = topic.arn;
    this.registerOutputs({ topicArn: this.topicArn });
  }
}
