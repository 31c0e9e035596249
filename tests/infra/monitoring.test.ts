import { expect } from "chai";
import { AlarmTopic } from "../../infra/components/alarm-topic";
import { ReplicationAlarms } from "../../infra/components/replication-alarms";
import {
  ALARM_NAME_PREFIX,
  alarmKinds,
  alarmName,
  alarmTopicFor,
  alarmTopicListedAccounts,
  alarmTopicPolicy,
  alarmTopicRegions,
  alarmTopicSourceAccounts,
  centralAlarmTopicArn,
  RTC_LATENCY_THRESHOLD_SECONDS,
  TOPIC_POLICY_MAX_BYTES,
  topicRegion,
} from "../../infra/policies/monitoring";
import { centralAccount, sourceAccount } from "../support/inventory-fixture";
import { childNames, type PulumiMocks, setPulumiMocks, outputValue } from "../support/pulumi-mocks";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const CENTRAL_TOPIC = "arn:aws:sns:eu-west-1:999999999999:org-s3-backup-replication-alarms";
/** The ARN the mocks give a created topic. */
const MOCK_TOPIC = "arn:aws:sns:eu-west-1:123456789012:org-s3-backup-replication-alarms";

describe("monitoring policies", () => {
  it("alarms on failures whenever metrics exist, on latency only with RTC", () => {
    expect(alarmKinds({ metrics: true, replicationTimeControl: true })).to.deep.equal([
      "failed-replication",
      "replication-latency",
    ]);
    expect(alarmKinds({ metrics: true, replicationTimeControl: false })).to.deep.equal(["failed-replication"]);
    expect(alarmKinds({ metrics: false, replicationTimeControl: false })).to.deep.equal([]);
  });

  it("names alarms with the prefix the topic policy admits", () => {
    expect(alarmName("111111111111", "failed-replication")).to.equal("org-s3-backup-111111111111-failed-replication");
    expect(alarmName("111111111111", "replication-latency").startsWith(`${ALARM_NAME_PREFIX}-`)).to.equal(true);
  });

  it("reads the region of a topic ARN", () => {
    expect(topicRegion(CENTRAL_TOPIC)).to.equal("eu-west-1");
    expect(topicRegion("arn:aws:sqs:eu-west-1:999999999999:q")).to.equal(undefined);
  });

  it("routes alarms to the account's topic, else the inventory's central topic, else the one AlarmTopic creates", () => {
    const own = "arn:aws:sns:eu-west-1:111111111111:mine";
    const given = "arn:aws:sns:eu-west-1:999999999999:given";
    expect(
      alarmTopicFor(
        sourceAccount("111111111111", { monitoring: { enabled: true, alarmTopicArn: own } }),
        centralAccount({ alarmTopicArn: given }),
      ),
    ).to.deep.equal({
      ok: true,
      topicArn: own,
    });
    expect(alarmTopicFor(sourceAccount("111111111111"), centralAccount({ alarmTopicArn: given }))).to.deep.equal({
      ok: true,
      topicArn: given,
    });
    expect(alarmTopicFor(sourceAccount("111111111111"), centralAccount())).to.deep.equal({
      ok: true,
      topicArn: CENTRAL_TOPIC,
    });
    expect(centralAlarmTopicArn(centralAccount({ region: "us-gov-west-1" }), "us-gov-west-1")).to.equal(
      "arn:aws-us-gov:sns:us-gov-west-1:999999999999:org-s3-backup-replication-alarms",
    );
  });

  it("sends an account in another region than the central bucket to the central account's topic in its own region", () => {
    expect(alarmTopicFor(sourceAccount("111111111111", { region: "eu-central-1" }), centralAccount())).to.deep.equal({
      ok: true,
      topicArn: "arn:aws:sns:eu-central-1:999999999999:org-s3-backup-replication-alarms",
    });
  });

  it("creates a central topic in the central region and in every region with sources that notify it", () => {
    const central = centralAccount();
    const sources = [
      sourceAccount("111111111111", { region: "us-east-1" }),
      sourceAccount("222222222222", { region: "eu-central-1" }),
      sourceAccount("333333333333", { region: "us-east-1" }),
      sourceAccount("444444444444", { region: "ap-south-1", enabled: false }),
      sourceAccount("555555555555", { region: "sa-east-1", monitoring: { enabled: false } }),
      sourceAccount("666666666666", {
        region: "ca-central-1",
        monitoring: { enabled: true, alarmTopicArn: "arn:aws:sns:ca-central-1:666666666666:own" },
      }),
    ];
    expect(alarmTopicRegions({ central, sources })).to.deep.equal(["eu-west-1", "eu-central-1", "us-east-1"]);
    expect(
      alarmTopicRegions({
        central: centralAccount({ alarmTopicArn: "arn:aws:sns:eu-west-1:999999999999:given" }),
        sources,
      }),
    ).to.deep.equal([]);
  });

  it("refuses a topic in another region than the account, or not a topic, naming the fix", () => {
    const given = "arn:aws:sns:eu-west-1:999999999999:given";
    const choice = alarmTopicFor(
      sourceAccount("111111111111", { region: "eu-central-1" }),
      centralAccount({ alarmTopicArn: given }),
    );
    expect(choice).to.deep.equal({
      ok: false,
      message:
        "account 111111111111 (app-111) is in eu-central-1 " +
        "but its alarm topic arn:aws:sns:eu-west-1:999999999999:given is in eu-west-1: " +
        "CloudWatch alarms only notify topics in their own region; " +
        "set monitoring.alarmTopicArn to a topic in eu-central-1",
    });
    const regional = "arn:aws:sns:eu-central-1:111111111111:alarms";
    expect(
      alarmTopicFor(
        sourceAccount("111111111111", {
          region: "eu-central-1",
          monitoring: { enabled: true, alarmTopicArn: regional },
        }),
        centralAccount(),
      ),
    ).to.deep.equal({
      ok: true,
      topicArn: regional,
    });
    expect(
      alarmTopicFor(
        sourceAccount("111111111111"),
        centralAccount({ alarmTopicArn: "arn:aws:sqs:eu-west-1:999999999999:q" }),
      ).ok,
    ).to.equal(false);
  });

  it("lets CloudWatch publish this project's alarms of the monitored accounts, or of the organization when it says so", () => {
    const policy = alarmTopicPolicy({
      topicArn: CENTRAL_TOPIC,
      organizationId: "o-a1b2c3d4e5",
      region: "eu-west-1",
      partition: "aws",
      sourceAccountIds: ["222222222222", "111111111111"],
    });
    const publish = {
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: "sns:Publish",
      Resource: CENTRAL_TOPIC,
    };
    const alarms = { "aws:SourceArn": "arn:aws:cloudwatch:eu-west-1:*:alarm:org-s3-backup-*" };
    expect(policy.Statement).to.deep.equal([
      {
        Sid: "MonitoredAccountsAlarmsPublish",
        ...publish,
        Condition: {
          ArnLike: alarms,
          StringEquals: { "aws:SourceAccount": ["111111111111", "222222222222"] },
          StringEqualsIfExists: { "aws:SourceOrgID": "o-a1b2c3d4e5" },
        },
      },
      {
        Sid: "OrganizationAlarmsPublish",
        ...publish,
        Condition: { ArnLike: alarms, StringEquals: { "aws:SourceOrgID": "o-a1b2c3d4e5" } },
      },
    ]);
  });

  it("names only the topic's own account when no monitored account notifies it (never an empty list)", () => {
    const policy = alarmTopicPolicy({
      topicArn: CENTRAL_TOPIC,
      organizationId: "o-a1b2c3d4e5",
      region: "eu-west-1",
      partition: "aws",
      sourceAccountIds: [],
    });
    expect(policy.Statement[0].Condition?.StringEquals).to.deep.equal({ "aws:SourceAccount": ["999999999999"] });
  });

  it("lists, per region, the enabled monitored accounts that notify the central topic, sorted", () => {
    const inv = {
      central: centralAccount(),
      sources: [
        sourceAccount("333333333333", { region: "eu-west-1" }),
        sourceAccount("111111111111", { region: "eu-west-1" }),
        sourceAccount("222222222222", { region: "eu-central-1" }),
        sourceAccount("444444444444", { region: "eu-west-1", monitoring: { enabled: false } }),
        sourceAccount("555555555555", { region: "eu-west-1", enabled: false }),
        sourceAccount("666666666666", {
          region: "eu-west-1",
          monitoring: { enabled: true, alarmTopicArn: "arn:aws:sns:eu-west-1:666666666666:own" },
        }),
      ],
    };
    expect(alarmTopicSourceAccounts(inv, "eu-west-1")).to.deep.equal(["111111111111", "333333333333"]);
    expect(alarmTopicSourceAccounts(inv, "eu-central-1")).to.deep.equal(["222222222222"]);
    expect(alarmTopicSourceAccounts(inv, "us-east-1")).to.deep.equal([]);
    // A topic named for all by the inventory is not ours: no policy, no list.
    const named = { ...inv, central: centralAccount({ alarmTopicArn: CENTRAL_TOPIC }) };
    expect(alarmTopicSourceAccounts(named, "eu-west-1")).to.deep.equal([]);
  });

  it("names every account up to about 1,900 in one region, then as many as SNS's 30 KB allows", () => {
    const ids = (n: number) => Array.from({ length: n }, (_, i) => String(100000000000 + i));
    const args = (n: number) => ({
      topicArn: CENTRAL_TOPIC,
      organizationId: "o-a1b2c3d4e5",
      region: "eu-west-1",
      partition: "aws",
      sourceAccountIds: ids(n),
    });
    const bytes = (n: number) => Buffer.byteLength(JSON.stringify(alarmTopicPolicy(args(n))));
    expect(bytes(1901) - bytes(1900), "bytes per account").to.equal(15);
    expect(alarmTopicListedAccounts(args(1900))).to.deep.equal(ids(1900));
    for (const n of [2100, 5000]) {
      const listed = alarmTopicListedAccounts(args(n));
      expect(bytes(n), `${n} accounts`).to.be.at.most(TOPIC_POLICY_MAX_BYTES);
      expect(listed, `${n} accounts`).to.deep.equal(ids(n).slice(0, listed.length));
      // As many as fit: one more would not.
      expect(listed.length).to.be.within(1900, 2100);
      const oneMore = JSON.stringify(alarmTopicPolicy(args(listed.length + 1)));
      expect(alarmTopicListedAccounts(args(listed.length + 1))).to.have.length(listed.length);
      expect(oneMore.length).to.be.at.most(TOPIC_POLICY_MAX_BYTES);
    }
  });
});

describe("ReplicationAlarms", () => {
  let mocks: PulumiMocks;
  before(async () => {
    mocks = await setPulumiMocks();
  });
  beforeEach(() => {
    mocks.resources.length = 0;
  });

  const args = {
    accountId: "111111111111",
    sourceBucketName: "acme-data-111111111111",
    destinationBucketName: "acme-org-backup-999999999999",
    ruleId: "org-s3-backup-111111111111",
    metrics: true,
    replicationTimeControl: true,
    alarmTopicArn: CENTRAL_TOPIC,
    tags: { "managed-by": "org-s3-backup" },
  };
  const dimensions = {
    SourceBucket: "acme-data-111111111111",
    DestinationBucket: "acme-org-backup-999999999999",
    RuleId: "org-s3-backup-111111111111",
  };

  it("alarms on any failed replication operation of the rule, notifying the topic on ALARM and OK", async () => {
    const alarms = new ReplicationAlarms("acct", args);
    expect(await outputValue(alarms.failedReplicationAlarmArn!)).to.equal(
      "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:org-s3-backup-111111111111-failed-replication",
    );
    const [failed] = (await mocks.ofType(ALARM, 2)).filter((r) => r.name === "acct-failed-replication");
    expect(failed.inputs).to.deep.equal({
      name: "org-s3-backup-111111111111-failed-replication",
      alarmDescription:
        "Objects of account 111111111111 failed to replicate to the central backup bucket (run org-s3-backup verify)",
      namespace: "AWS/S3",
      metricName: "OperationsFailedReplication",
      dimensions,
      statistic: "Sum",
      period: 300,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      alarmActions: [CENTRAL_TOPIC],
      okActions: [CENTRAL_TOPIC],
      tags: { "managed-by": "org-s3-backup" },
    });
  });

  it("alarms on latency above the RTC objective of 900 s when RTC is on", async () => {
    const alarms = new ReplicationAlarms("acct", args);
    expect(await outputValue(alarms.latencyAlarmArn!)).to.match(
      /alarm:org-s3-backup-111111111111-replication-latency$/,
    );
    const [latency] = (await mocks.ofType(ALARM, 2)).filter((r) => r.name === "acct-replication-latency");
    expect(latency.inputs).to.deep.include({
      name: "org-s3-backup-111111111111-replication-latency",
      namespace: "AWS/S3",
      metricName: "ReplicationLatency",
      dimensions,
      statistic: "Maximum",
      threshold: RTC_LATENCY_THRESHOLD_SECONDS,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      alarmActions: [CENTRAL_TOPIC],
      okActions: [CENTRAL_TOPIC],
    });
    expect(latency.inputs.threshold).to.equal(900);
  });

  it("creates only the failure alarm without RTC, and nothing without metrics", async () => {
    const withoutRtc = new ReplicationAlarms("no-rtc", { ...args, replicationTimeControl: false });
    expect(withoutRtc.latencyAlarmArn).to.equal(undefined);
    await outputValue(withoutRtc.failedReplicationAlarmArn!);
    expect(mocks.resources.filter((r) => r.type === ALARM).map((r) => r.name)).to.deep.equal([
      "no-rtc-failed-replication",
    ]);

    const none = new ReplicationAlarms("none", { ...args, metrics: false, replicationTimeControl: false });
    expect(none.failedReplicationAlarmArn).to.equal(undefined);
    expect(none.latencyAlarmArn).to.equal(undefined);
    await outputValue(none.urn);
    expect(mocks.resources.filter((r) => r.name.startsWith("none-"))).to.deep.equal([]);
  });

  it("parents its alarms to the component", async () => {
    const alarms = new ReplicationAlarms("parented", args);
    const urn = await outputValue(alarms.urn);
    expect(urn).to.contain("org-s3-backup:monitoring:ReplicationAlarms::parented");
    expect(childNames(alarms)).to.have.members(["parented-failed-replication", "parented-replication-latency"]);
  });
});

describe("AlarmTopic", () => {
  let mocks: PulumiMocks;
  before(async () => {
    mocks = await setPulumiMocks();
  });
  beforeEach(() => {
    mocks.resources.length = 0;
  });

  it("creates the topic and a policy admitting the monitored accounts' replication alarms", async () => {
    const topic = new AlarmTopic("central-alarms", {
      organizationId: "o-a1b2c3d4e5",
      region: "eu-west-1",
      sourceAccountIds: ["111111111111"],
      tags: { "managed-by": "org-s3-backup" },
    });
    expect(await outputValue(topic.topicArn)).to.equal(MOCK_TOPIC);
    expect(childNames(topic)).to.have.members(["central-alarms-topic", "central-alarms-policy"]);
    const [sns] = await mocks.ofType("aws:sns/topic:Topic", 1);
    expect(sns).to.deep.equal({
      type: "aws:sns/topic:Topic",
      name: "central-alarms-topic",
      inputs: { name: "org-s3-backup-replication-alarms", tags: { "managed-by": "org-s3-backup" } },
    });
    const [policy] = await mocks.ofType("aws:sns/topicPolicy:TopicPolicy", 1);
    expect(policy.name).to.equal("central-alarms-policy");
    expect(policy.inputs.arn).to.equal(MOCK_TOPIC);
    expect(JSON.parse(policy.inputs.policy)).to.deep.equal(
      alarmTopicPolicy({
        topicArn: MOCK_TOPIC,
        organizationId: "o-a1b2c3d4e5",
        region: "eu-west-1",
        partition: "aws",
        sourceAccountIds: ["111111111111"],
      }),
    );
  });

  it("takes another name and partition", async () => {
    const topic = new AlarmTopic("gov", {
      organizationId: "o-a1b2c3d4e5",
      region: "us-gov-west-1",
      sourceAccountIds: ["111111111111"],
      topicName: "backup-alarms",
    });
    await outputValue(topic.topicArn);
    const [policy] = await mocks.ofType("aws:sns/topicPolicy:TopicPolicy", 1);
    const statement = JSON.parse(policy.inputs.policy).Statement[0];
    expect(statement.Condition.ArnLike["aws:SourceArn"]).to.equal(
      "arn:aws-us-gov:cloudwatch:us-gov-west-1:*:alarm:org-s3-backup-*",
    );
    expect(mocks.resources.find((r) => r.type === "aws:sns/topic:Topic")?.inputs.name).to.equal("backup-alarms");
  });
});
