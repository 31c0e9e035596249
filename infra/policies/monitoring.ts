import { partitionOf } from "../../config/regions";
import type { CentralAccount, Inventory, SourceAccount } from "../../config/types";
import type { PolicyDocument } from "./document";

/**
 * Replication alarms as data: which alarms an account gets, which topic they notify, and the central
 * topics' policy. CloudWatch alarms in any organization account may publish to a central topic (the
 * topic policy grants cloudwatch.amazonaws.com with aws:SourceOrgID), but only to a topic in the alarm's
 * own region: so the central account gets one topic per region that has monitored source accounts.
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
 * ARN of the topic AlarmTopic creates in the central account in `region`: derived from the inventory,
 * so a source stack can be previewed and deployed without reading the central stack's outputs.
 */
export function centralAlarmTopicArn(central: CentralAccount, region: string): string {
  return `arn:${partitionOf(region)}:sns:${region}:${central.accountId}:${DEFAULT_ALARM_TOPIC_NAME}`;
}

/** The source accounts whose alarms notify a topic of the central stack (none of their own). */
function notifiesCentralTopic(source: SourceAccount): boolean {
  return source.enabled && source.monitoring.enabled && source.monitoring.alarmTopicArn === undefined;
}

/**
 * Regions in which the central stack creates an alarm topic: none when the inventory names
 * `central.alarmTopicArn`; otherwise the central region (its topic is the stack's `alarmTopicArn`
 * output) and every region of a source account whose alarms notify the central account.
 */
export function alarmTopicRegions(inventory: Pick<Inventory, "central" | "sources">): string[] {
  const { central } = inventory;
  if (central.alarmTopicArn !== undefined) return [];
  const regions = new Set([
    central.region,
    ...inventory.sources.filter(notifiesCentralTopic).map((source) => source.region),
  ]);
  return [central.region, ...[...regions].filter((region) => region !== central.region).sort()];
}

/**
 * The topic an account's alarms notify: the account's own `monitoring.alarmTopicArn`, else the
 * inventory's `central.alarmTopicArn`, else the central account's topic in the account's region. Refuses
 * a topic in another region, which PutMetricAlarm would reject at deploy time (config/semantics.ts
 * reports the same mistake with its line when the inventory is loaded).
 */
export function alarmTopicFor(source: SourceAccount, central: CentralAccount): TopicChoice {
  const topicArn =
    source.monitoring.alarmTopicArn ?? central.alarmTopicArn ?? centralAlarmTopicArn(central, source.region);
  const region = topicRegion(topicArn);
  if (region === undefined)
    return {
      ok: false,
      message: `account ${source.accountId} (${source.name}): '${topicArn}' is not an SNS topic ARN`,
    };
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
export function alarmTopicPolicy(args: {
  topicArn: string;
  organizationId: string;
  region: string;
  partition: string;
}): PolicyDocument {
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
          ArnLike: {
            "aws:SourceArn": `arn:${args.partition}:cloudwatch:${args.region}:*:alarm:${ALARM_NAME_PREFIX}-*`,
          },
        },
      },
    ],
  };
}
