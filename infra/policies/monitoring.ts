import { partitionOf } from "../../config/regions";
import type { CentralAccount, Inventory, SourceAccount } from "../../config/types";
import type { PolicyDocument } from "./document";

/**
 * Replication alarms as data: which alarms an account gets, which topic they notify, and the central
 * topics' policy. CloudWatch alarms of the monitored accounts may publish to a central topic (the topic
 * policy names them by aws:SourceAccount, the key AWS documents for CloudWatch alarm actions), but only
 * to a topic in the alarm's own region: so the central account gets one topic per region that has
 * monitored source accounts.
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

/** Account of an SNS topic ARN; throws on anything else. */
function topicAccount(topicArn: string): string {
  const match = /^arn:[\w-]+:sns:[a-z0-9-]+:(\d{12}):[\w-]+$/.exec(topicArn);
  if (!match) throw new Error(`not an SNS topic ARN: ${topicArn}`);
  return match[1];
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
        `account ${source.accountId} (${source.name}) is in ${source.region} ` +
        `but its alarm topic ${topicArn} is in ${region}: ` +
        "CloudWatch alarms only notify topics in their own region; " +
        `set monitoring.alarmTopicArn to a topic in ${source.region}`,
    };
  }
  return { ok: true, topicArn };
}

/**
 * The accounts whose alarms notify the topic the central stack creates in `region`: the enabled,
 * monitored sources of that region without a topic of their own, when the inventory names no central
 * topic. Sorted, so that the topic policy does not change with the inventory's order.
 */
export function alarmTopicSourceAccounts(inventory: Pick<Inventory, "central" | "sources">, region: string): string[] {
  if (inventory.central.alarmTopicArn !== undefined) return [];
  return inventory.sources
    .filter((source) => notifiesCentralTopic(source) && source.region === region)
    .map((source) => source.accountId)
    .sort();
}

/** SNS's limit for a topic policy ("Bytes: 30 kb", AWS "Amazon SNS API permissions", Policy quotas). */
export const TOPIC_POLICY_MAX_BYTES = 30 * 1024;

export interface AlarmTopicPolicyArgs {
  readonly topicArn: string;
  readonly organizationId: string;
  readonly region: string;
  readonly partition: string;
  /** The accounts whose alarms notify this topic (alarmTopicSourceAccounts). */
  readonly sourceAccountIds: readonly string[];
}

/**
 * Lets CloudWatch publish this project's alarms (`org-s3-backup-*` in the topic's region) to the topic,
 * in a way that works whether or not CloudWatch sends aws:SourceOrgID, and never for every AWS account:
 * - `MonitoredAccountsAlarmsPublish`: `aws:SourceArn` (the alarm's ARN) and `aws:SourceAccount` in the
 *   monitored accounts — the keys CloudWatch's own confused-deputy example uses ("Notifying users on
 *   alarm changes"), as hard conditions — plus `aws:SourceOrgID` as `StringEqualsIfExists` (recommended
 *   there, but no example shows CloudWatch sending it): enforced when sent, harmless when not;
 * - `OrganizationAlarmsPublish`: the same alarm names with `aws:SourceOrgID` = the organization as a
 *   hard condition, for accounts the first statement cannot list. The account list costs about 15 bytes
 *   per account: SNS's 30 KB holds about 1,900 of them; the accounts beyond (alarmTopicListedAccounts)
 *   are admitted only if CloudWatch sends the organization id (docs/infrastructure.md says how to check).
 */
export function alarmTopicPolicy(args: AlarmTopicPolicyArgs): PolicyDocument {
  return topicPolicy(args, alarmTopicListedAccounts(args));
}

/**
 * The accounts the topic policy names, sorted: all of `sourceAccountIds` while the policy stays within
 * SNS's limit, else as many as fit. A topic with no monitored account names only its own account (no
 * condition with an empty list of values is sent to SNS).
 */
export function alarmTopicListedAccounts(args: AlarmTopicPolicyArgs): string[] {
  const wanted = args.sourceAccountIds.length > 0 ? [...args.sourceAccountIds].sort() : [topicAccount(args.topicArn)];
  let listed = wanted;
  for (;;) {
    const overflow = Buffer.byteLength(JSON.stringify(topicPolicy(args, listed))) - TOPIC_POLICY_MAX_BYTES;
    if (overflow <= 0 || listed.length <= 1) return listed;
    // Each listed id costs its length plus quotes and a comma.
    listed = listed.slice(0, Math.max(1, listed.length - Math.ceil(overflow / 15)));
  }
}

function topicPolicy(args: AlarmTopicPolicyArgs, accounts: readonly string[]): PolicyDocument {
  const projectAlarms = `arn:${args.partition}:cloudwatch:${args.region}:*:alarm:${ALARM_NAME_PREFIX}-*`;
  const publish = {
    Effect: "Allow" as const,
    Principal: { Service: CLOUDWATCH_PRINCIPAL },
    Action: "sns:Publish",
    Resource: args.topicArn,
  };
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "MonitoredAccountsAlarmsPublish",
        ...publish,
        Condition: {
          ArnLike: { "aws:SourceArn": projectAlarms },
          StringEquals: { "aws:SourceAccount": [...accounts] },
          StringEqualsIfExists: { "aws:SourceOrgID": args.organizationId },
        },
      },
      {
        Sid: "OrganizationAlarmsPublish",
        ...publish,
        Condition: {
          ArnLike: { "aws:SourceArn": projectAlarms },
          StringEquals: { "aws:SourceOrgID": args.organizationId },
        },
      },
    ],
  };
}
