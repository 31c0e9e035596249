import type { CentralAccount, SourceAccount } from "../config/types";
import type { PolicyDocument } from "./backfill-policies";

/**
 * Replication alarms as data: which alarms an account gets, which topic they notify, and the central
 * topic's policy. CloudWatch alarms in any organization account may publish to one central topic (the
 * topic policy grants cloudwatch.amazonaws.com with aws:SourceOrgID), but only to a topic in the alarm's
 * own region: an account in another region needs its own topic (`monitoring.alarmTopicArn`).
 */

/** Every alarm name starts with this; the topic policy only admits alarms named so. */
export const ALARM_NAME_PREFIX = "org-s3-backup";
export const DEFAULT_ALARM_TOPIC_NAME = "org-s3-backup-replication-alarms";
export const CLOUDWATCH_PRINCIPAL = "cloudwatch.amazonaws.com";

/** Replication Time Control's objective: 15 minutes. `ReplicationLatency` is in seconds. */
export const RTC_LATENCY_THRESHOLD_SECONDS = 900;

export type AlarmKind = "failed-replication" | "replication-latency";

/**
 * `OperationsFailedReplication` and `ReplicationLatency` exist only with replication metrics on (RTC
 * turns them on); the latency alarm only means something against RTC's 15-minute objective.
 */
export function alarmKinds(replication: { metrics: boolean; replicationTimeControl: boolean }): AlarmKind[] {
  const kinds: AlarmKind[] = [];
  if (replication.metrics || replication.replicationTimeControl) kinds.push("failed-replication");
  if (replication.replicationTimeControl) kinds.push("replication-latency");
  return kinds;
}

export function alarmName(accountId: string, kind: AlarmKind): string {
  return `${ALARM_NAME_PREFIX}-${accountId}-${kind}`;
}

/** Region of an SNS topic ARN (`arn:aws:sns:eu-west-1:999999999999:name`), undefined if not one. */
export function topicRegion(topicArn: string): string | undefined {
  const match = /^arn:[\w-]+:sns:([a-z0-9-]+):\d{12}:[\w-]+$/.exec(topicArn);
  return match?.[1];
}

export type TopicChoice = { ok: true; topicArn: string } | { ok: false; message: string };

/**
 * ARN of the topic AlarmTopic creates with its default name: derived from the inventory, so a source
 * stack can be previewed before the central stack exists.
 */
export function centralAlarmTopicArn(central: CentralAccount, partition = "aws"): string {
  return `arn:${partition}:sns:${central.region}:${central.accountId}:${DEFAULT_ALARM_TOPIC_NAME}`;
}

/**
 * The topic an account's alarms notify: the account's own `monitoring.alarmTopicArn`, else the
 * inventory's `central.alarmTopicArn`, else the central topic AlarmTopic creates. Refuses a topic in
 * another region, which PutMetricAlarm would reject at deploy time.
 */
export function alarmTopicFor(source: SourceAccount, central: CentralAccount, partition = "aws"): TopicChoice {
  const topicArn = source.monitoring.alarmTopicArn ?? central.alarmTopicArn ?? centralAlarmTopicArn(central, partition);
  const region = topicRegion(topicArn);
  if (region === undefined) return { ok: false, message: `account ${source.accountId} (${source.name}): '${topicArn}' is not an SNS topic ARN` };
  if (region !== source.region) {
    return {
      ok: false,
      message:
        `account ${source.accountId} (${source.name}) is in ${source.region} but its alarm topic ${topicArn} is in ${region}: ` +
        `CloudWatch alarms only notify topics in their own region; set monitoring.alarmTopicArn to a topic in ${source.region}`,
    };
  }
  return { ok: true, topicArn };
}

/**
 * Lets CloudWatch in any account of the organization publish this project's alarms to the topic. The
 * organization condition keeps the policy the same size for 1 or 5,000 accounts.
 */
export function alarmTopicPolicy(args: { topicArn: string; organizationId: string; region: string; partition: string }): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "OrganizationAlarmsPublish",
        Effect: "Allow",
        Principal: { Service: CLOUDWATCH_PRINCIPAL },
        Action: "sns:Publish",
        Resource: args.topicArn,
        Condition: {
          StringEquals: { "aws:SourceOrgID": args.organizationId },
          ArnLike: { "aws:SourceArn": `arn:${args.partition}:cloudwatch:${args.region}:*:alarm:${ALARM_NAME_PREFIX}-*` },
        },
      },
    ],
  };
}
