import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import type { ReplicationOptions } from "../../config/types";
import {
  replicationRolePolicy,
  replicationTrustPolicy,
  sourceBucketPolicy,
  sourceKmsKeyPolicy,
} from "../../infra/policies/source";
import { accountProvider } from "../../infra/provider";
import {
  replicationRule,
  SourceReplicatedBucket,
  type SourceReplicatedBucketArgs,
} from "../../infra/components/source-replicated-bucket";
import { isKnown, type PulumiMocks, type RecordedResource, setPulumiMocks, outputValue } from "../support/pulumi-mocks";

const CENTRAL_BUCKET = "arn:aws:s3:::acme-org-backup-999999999999";
const CENTRAL_KEY = "arn:aws:kms:eu-west-1:999999999999:key/9999bbbb-9999-bbbb-9999-bbbb9999bbbb";
/** What the mocks give the source key created in the test. */
const SOURCE_KEY = "arn:aws:kms:eu-west-1:123456789012:key/account-111111111111-key-physical";
const RTC: ReplicationOptions = {
  storageClass: "STANDARD_IA",
  replicationTimeControl: true,
  metrics: true,
  deleteMarkerReplication: false,
};

const ARGS: SourceReplicatedBucketArgs = {
  accountId: "111111111111",
  region: "eu-central-1",
  bucketName: "acme-data-111111111111",
  existingBucket: false,
  kmsAlias: "alias/org-s3-backup-source",
  replication: RTC,
  centralAccountId: "999999999999",
  centralRegion: "eu-west-1",
  centralBucketName: "acme-org-backup-999999999999",
  centralBucketArn: CENTRAL_BUCKET,
  centralKmsKeyArn: CENTRAL_KEY,
  centralObjectLock: false,
  backfill: false,
};
const TOPIC = "arn:aws:sns:eu-central-1:999999999999:org-s3-backup-replication-alarms";

interface Deployed {
  mocks: PulumiMocks;
  component: SourceReplicatedBucket;
  one(type: string): RecordedResource;
  count(type: string): number;
}

async function deploy(args: SourceReplicatedBucketArgs): Promise<Deployed> {
  const mocks = await setPulumiMocks();
  let component: SourceReplicatedBucket | undefined;
  await mocks.run(() => {
    const provider = accountProvider("account-111111111111-aws", {
      accountId: args.accountId,
      region: args.region,
      roleArn: "arn:aws:iam::111111111111:role/Deploy",
      tags: {},
    });
    component = new SourceReplicatedBucket("account-111111111111", args, { provider });
  });
  const ofType = (type: string) => mocks.resources.filter((r) => r.type === type);
  const one = (type: string) => {
    expect(ofType(type), type).to.have.length(1);
    return ofType(type)[0];
  };
  return { mocks, component: component!, one, count: (type) => ofType(type).length };
}

const REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig";
const ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration";
const PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
const BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy";

describe("SourceReplicatedBucket", () => {
  let created: Deployed;
  before(async () => {
    created = await deploy(ARGS);
  });

  it("is a component of its own type holding the key, the bucket, its settings, the role and the replication", () => {
    const names = created.mocks.resources
      .filter((r) => !r.type.startsWith("pulumi:"))
      .map((r) => `${r.type} ${r.name}`);
    expect(names.sort()).to.deep.equal(
      [
        "org-s3-backup:source:SourceReplicatedBucket account-111111111111",
        "aws:kms/key:Key account-111111111111-key",
        "aws:kms/alias:Alias account-111111111111-key-alias",
        "aws:s3/bucket:Bucket account-111111111111-bucket",
        "aws:s3/bucketVersioning:BucketVersioning account-111111111111-versioning",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration " +
          "account-111111111111-encryption",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock account-111111111111-public-access-block",
        "aws:s3/bucketPolicy:BucketPolicy account-111111111111-policy",
        "aws:iam/role:Role account-111111111111-replication-role",
        "aws:iam/rolePolicy:RolePolicy account-111111111111-replication-policy",
        `${REPLICATION} account-111111111111-replication`,
      ].sort(),
    );
  });

  it("creates a rotating key with a 30-day deletion window and the source key policy, and its alias", () => {
    const key = created.one("aws:kms/key:Key");
    expect(key.inputs.enableKeyRotation).to.equal(true);
    expect(key.inputs.deletionWindowInDays).to.equal(30);
    expect(JSON.parse(key.inputs.policy)).to.deep.equal(
      sourceKmsKeyPolicy({ accountId: "111111111111", region: "eu-central-1" }),
    );
    expect(created.one("aws:kms/alias:Alias").inputs).to.deep.include({
      name: "alias/org-s3-backup-source",
      targetKeyId: "account-111111111111-key-physical",
    });
  });

  it("versions the bucket, encrypts it with the key and a bucket key, blocks public access, allows TLS only", () => {
    const bucket = "acme-data-111111111111";
    expect(created.one("aws:s3/bucket:Bucket").inputs.bucket).to.equal(bucket);
    expect(created.one("aws:s3/bucketVersioning:BucketVersioning").inputs).to.deep.equal({
      bucket,
      versioningConfiguration: { status: "Enabled" },
    });
    expect(
      created.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs
        .rules,
    ).to.deep.equal([
      {
        applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: SOURCE_KEY },
        bucketKeyEnabled: true,
      },
    ]);
    expect(created.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs).to.deep.equal({
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(JSON.parse(created.one("aws:s3/bucketPolicy:BucketPolicy").inputs.policy)).to.deep.equal(
      sourceBucketPolicy({ region: "eu-central-1", bucketName: bucket }),
    );
  });

  it("creates the replication role with the S3 trust policy and the replication policy for both keys", () => {
    const role = created.one("aws:iam/role:Role");
    expect(role.inputs.name).to.equal("org-s3-backup-replication");
    expect(JSON.parse(role.inputs.assumeRolePolicy)).to.deep.equal(
      replicationTrustPolicy({
        accountId: "111111111111",
        region: "eu-central-1",
        bucketName: "acme-data-111111111111",
      }),
    );
    const policy = created.one("aws:iam/rolePolicy:RolePolicy");
    expect(policy.inputs.role).to.equal("org-s3-backup-replication");
    expect(JSON.parse(policy.inputs.policy)).to.deep.equal(
      replicationRolePolicy({
        accountId: "111111111111",
        region: "eu-central-1",
        bucketName: "acme-data-111111111111",
        sourceKmsKeyArn: SOURCE_KEY,
        centralRegion: "eu-west-1",
        centralBucketArn: CENTRAL_BUCKET,
        centralKmsKeyArn: CENTRAL_KEY,
        centralObjectLock: false,
        sourceObjectLock: false,
      }),
    );
  });

  it("configures ONE replication rule: the account prefix to the central bucket, owner override, central key, RTC and metrics", () => {
    const replication = created.one(REPLICATION);
    expect(replication.inputs.bucket).to.equal("acme-data-111111111111");
    expect(replication.inputs.role).to.equal("arn:aws:iam::123456789012:role/org-s3-backup-replication");
    expect(replication.inputs.rules).to.deep.equal([
      {
        id: "org-s3-backup-111111111111",
        status: "Enabled",
        priority: 1,
        filter: { prefix: "111111111111/" },
        deleteMarkerReplication: { status: "Disabled" },
        sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
        destination: {
          bucket: CENTRAL_BUCKET,
          account: "999999999999",
          accessControlTranslation: { owner: "Destination" },
          encryptionConfiguration: { replicaKmsKeyId: CENTRAL_KEY },
          storageClass: "STANDARD_IA",
          replicationTime: { status: "Enabled", time: { minutes: 15 } },
          metrics: { status: "Enabled", eventThreshold: { minutes: 15 } },
        },
      },
    ]);
    expect(created.component.replicationRuleId).to.equal("org-s3-backup-111111111111");
  });

  it("sets the bucket policy after the public-access block (S3 refuses concurrent changes to them)", () => {
    expect(
      created.mocks.options.get("aws:s3/bucketPolicy:BucketPolicy account-111111111111-policy")?.dependsOn,
    ).to.deep.equal(["account-111111111111-public-access-block"]);
  });

  it("waits for versioning and the role policy before configuring replication", () => {
    expect(created.mocks.options.get(`${REPLICATION} account-111111111111-replication`)?.dependsOn).to.deep.equal([
      "account-111111111111-versioning",
      "account-111111111111-replication-policy",
    ]);
  });

  it("protects and retains the bucket and the key, retains the bucket's settings, deletes only the replication machinery", () => {
    const options = created.mocks.options;
    const optionsOf = (type: string, name: string) => options.get(`${type} account-111111111111-${name}`);
    expect(optionsOf("aws:kms/key:Key", "key")).to.include({ protect: true, retainOnDelete: true });
    expect(optionsOf("aws:s3/bucket:Bucket", "bucket")).to.include({ protect: true, retainOnDelete: true });
    for (const [type, name] of [
      ["aws:kms/alias:Alias", "key-alias"],
      ["aws:s3/bucketVersioning:BucketVersioning", "versioning"],
      ["aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "encryption"],
      ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "public-access-block"],
      ["aws:s3/bucketPolicy:BucketPolicy", "policy"],
    ]) {
      expect(optionsOf(type, name), name).to.include({ protect: undefined, retainOnDelete: true });
    }
    for (const [type, name] of [
      ["aws:iam/role:Role", "replication-role"],
      ["aws:iam/rolePolicy:RolePolicy", "replication-policy"],
      [REPLICATION, "replication"],
    ]) {
      expect(optionsOf(type, name), name).to.include({ protect: undefined, retainOnDelete: undefined });
    }
  });

  it("makes every child use the provider it was given", () => {
    const children = created.mocks.resources.filter((r) => r.type.startsWith("aws:"));
    expect(new Set(children.map((r) => r.provider?.split("::")[3]))).to.deep.equal(
      new Set(["account-111111111111-aws"]),
    );
  });

  it("outputs the bucket, its key and the replication role", async () => {
    expect(await outputValue(created.component.bucketName)).to.equal("acme-data-111111111111");
    expect(await outputValue(created.component.bucketArn)).to.equal("arn:aws:s3:::acme-data-111111111111");
    expect(await outputValue(created.component.kmsKeyArn)).to.equal(SOURCE_KEY);
    expect(await outputValue(created.component.replicationRoleArn)).to.equal(
      "arn:aws:iam::123456789012:role/org-s3-backup-replication",
    );
  });

  describe("adopting an existing bucket", () => {
    let adopted: Deployed;
    before(async () => {
      adopted = await deploy({ ...ARGS, existingBucket: true });
    });

    it("never registers the bucket, so no operation of ours can create or delete it", () => {
      expect(adopted.count("aws:s3/bucket:Bucket")).to.equal(0);
    });

    it("manages only versioning and the replication rule on it, by name, by default", () => {
      for (const type of ["aws:s3/bucketVersioning:BucketVersioning", REPLICATION]) {
        expect(adopted.one(type).inputs.bucket, type).to.equal("acme-data-111111111111");
      }
      for (const type of [ENCRYPTION, PUBLIC_ACCESS_BLOCK, BUCKET_POLICY]) {
        expect(adopted.count(type), `${type} would replace the bucket's own`).to.equal(0);
      }
    });

    it("takes over each of encryption, public-access block and bucket policy only when asked, under the created bucket's names", async () => {
      const parts = [
        ["encryption", ENCRYPTION, "account-111111111111-encryption"],
        ["publicAccessBlock", PUBLIC_ACCESS_BLOCK, "account-111111111111-public-access-block"],
        ["bucketPolicy", BUCKET_POLICY, "account-111111111111-policy"],
      ] as const;
      for (const [flag, type, resourceName] of parts) {
        const one = await deploy({ ...ARGS, existingBucket: true, manage: { [flag]: true } });
        for (const [, other] of parts) expect(one.count(other), `${flag}: ${other}`).to.equal(other === type ? 1 : 0);
        expect(one.one(type).name).to.equal(resourceName);
        expect(one.one(type).inputs.bucket).to.equal("acme-data-111111111111");
      }
      const all = await deploy({
        ...ARGS,
        existingBucket: true,
        manage: { encryption: true, publicAccessBlock: true, bucketPolicy: true },
      });
      expect(all.one(ENCRYPTION).inputs.rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId).to.equal(
        SOURCE_KEY,
      );
      expect(JSON.parse(all.one(BUCKET_POLICY).inputs.policy)).to.deep.equal(
        sourceBucketPolicy({ region: "eu-central-1", bucketName: "acme-data-111111111111" }),
      );
      expect(all.mocks.options.get(`${BUCKET_POLICY} account-111111111111-policy`)?.dependsOn).to.deep.equal([
        "account-111111111111-public-access-block",
      ]);
    });

    it("ignores `manage` for a bucket it creates: everything guarding it stays managed", async () => {
      const createdAnyway = await deploy({ ...ARGS, manage: { encryption: false, bucketPolicy: false } });
      for (const type of [ENCRYPTION, PUBLIC_ACCESS_BLOCK, BUCKET_POLICY])
        expect(createdAnyway.count(type)).to.equal(1);
    });

    it("lets the role decrypt the bucket's other keys through S3, for this bucket's replicated prefix only", async () => {
      const extra = [
        "arn:aws:kms:eu-central-1:111111111111:key/1111aaaa-1111-aaaa-1111-aaaa1111aaaa",
        "arn:aws:kms:eu-central-1:222222222222:key/mrk-2222bbbb2222bbbb2222bbbb2222bbbb",
      ];
      const withKeys = await deploy({ ...ARGS, existingBucket: true, additionalKmsKeyArns: extra });
      const statements = JSON.parse(withKeys.one("aws:iam/rolePolicy:RolePolicy").inputs.policy).Statement as Array<{
        Sid: string;
        Action: string | string[];
        Resource: string | string[];
        Condition: Record<string, Record<string, unknown>>;
      }>;
      const decrypt = statements.filter((s) => s.Action === "kms:Decrypt" || s.Action.includes("kms:Decrypt"));
      const theirs = decrypt.filter((s) => [s.Resource].flat().some((arn) => extra.includes(arn)));
      expect(theirs, "one statement for the extra keys").to.have.length(1);
      expect(theirs[0]).to.deep.equal({
        Sid: "DecryptAdoptedObjectsWithTheirKeys",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: extra,
        Condition: {
          StringEquals: { "kms:ViaService": "s3.eu-central-1.amazonaws.com" },
          StringLike: {
            "kms:EncryptionContext:aws:s3:arn": [
              "arn:aws:s3:::acme-data-111111111111",
              "arn:aws:s3:::acme-data-111111111111/111111111111/*",
            ],
          },
        },
      });
      // Without extra keys the policy has the created bucket's statements: no empty one.
      const sids = (deployed: Deployed) =>
        (JSON.parse(deployed.one("aws:iam/rolePolicy:RolePolicy").inputs.policy).Statement as { Sid: string }[]).map(
          (statement) => statement.Sid,
        );
      expect(sids(adopted)).to.deep.equal(sids(created));
    });

    it("outputs the name and the ARN derived from it", async () => {
      expect(await outputValue(adopted.component.bucketName)).to.equal("acme-data-111111111111");
      expect(await outputValue(adopted.component.bucketArn)).to.equal("arn:aws:s3:::acme-data-111111111111");
    });
  });

  describe("with an Object Lock central bucket", () => {
    it("lets the role read retention and legal hold", async () => {
      const locked = await deploy({ ...ARGS, centralObjectLock: true });
      const statements = JSON.parse(locked.one("aws:iam/rolePolicy:RolePolicy").inputs.policy).Statement as Array<{
        Sid: string;
        Action: string[];
      }>;
      expect(statements.find((s) => s.Sid === "ReadSourceObjectVersions")?.Action).to.include.members([
        "s3:GetObjectRetention",
        "s3:GetObjectLegalHold",
      ]);
    });

    it("lets the role read them for an adopted bucket too (it may have Object Lock), never for a created one without", async () => {
      const actionsOf = async (args: SourceReplicatedBucketArgs) => {
        const deployed = await deploy(args);
        const statements = JSON.parse(deployed.one("aws:iam/rolePolicy:RolePolicy").inputs.policy).Statement as Array<{
          Sid: string;
          Action: string[];
        }>;
        return statements.find((s) => s.Sid === "ReadSourceObjectVersions")?.Action ?? [];
      };
      expect(await actionsOf({ ...ARGS, existingBucket: true })).to.include.members([
        "s3:GetObjectRetention",
        "s3:GetObjectLegalHold",
      ]);
      expect(await actionsOf(ARGS)).to.not.include("s3:GetObjectRetention");
    });
  });

  describe("replicationRule", () => {
    const rule = (replication: ReplicationOptions) =>
      replicationRule("r", {
        accountId: "111111111111",
        replication,
        centralAccountId: "999999999999",
        centralBucketArn: CENTRAL_BUCKET,
        centralKmsKeyArn: CENTRAL_KEY,
      });
    // The rule is built from plain values: its destination is a plain object.
    const destinationOf = (replication: ReplicationOptions) =>
      rule(replication).destination as unknown as Record<string, unknown>;

    it("turns metrics on, without an event threshold, when only metrics are asked (the threshold belongs to RTC)", () => {
      const destination = destinationOf({ ...RTC, replicationTimeControl: false });
      expect(destination.metrics).to.deep.equal({ status: "Enabled" });
      expect(destination).not.to.have.property("replicationTime");
    });

    it("turns metrics on with RTC even if metrics were not asked", () => {
      const destination = destinationOf({ ...RTC, metrics: false });
      expect(destination.metrics).to.deep.equal({ status: "Enabled", eventThreshold: { minutes: 15 } });
    });

    it("leaves RTC and metrics out when neither is asked", () => {
      const destination = destinationOf({ ...RTC, replicationTimeControl: false, metrics: false });
      expect(destination).not.to.have.property("metrics");
      expect(destination).not.to.have.property("replicationTime");
    });

    it("replicates delete markers only when the inventory asks, with the inventory's storage class", () => {
      const asked = { ...RTC, deleteMarkerReplication: true, storageClass: "GLACIER_IR" } as const;
      expect(rule(asked).deleteMarkerReplication).to.deep.equal({ status: "Enabled" });
      expect(destinationOf(asked).storageClass).to.equal("GLACIER_IR");
    });
  });

  describe("with monitoring and backfill", () => {
    let monitored: Deployed;
    before(async () => {
      monitored = await deploy({ ...ARGS, alarmTopicArn: TOPIC, backfill: true });
    });

    it("alarms on the rule's failures and latency, dimensioned by source bucket, central bucket and rule id", () => {
      const alarms = monitored.mocks.resources.filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm");
      expect(alarms.map((alarm) => alarm.inputs.metricName).sort()).to.deep.equal([
        "OperationsFailedReplication",
        "ReplicationLatency",
      ]);
      for (const alarm of alarms) {
        expect(alarm.inputs.dimensions).to.deep.equal({
          SourceBucket: "acme-data-111111111111",
          DestinationBucket: "acme-org-backup-999999999999",
          RuleId: "org-s3-backup-111111111111",
        });
        expect(alarm.inputs.alarmActions).to.deep.equal([TOPIC]);
      }
      const rule = monitored.one(REPLICATION).inputs.rules[0];
      expect(rule.id).to.equal(monitored.component.replicationRuleId);
    });

    it("creates the Batch Replication role for backfill, under the component, through the same provider", async () => {
      const role = monitored.mocks.resources.find(
        (r) => r.type === "aws:iam/role:Role" && r.name === "account-111111111111-backfill-role",
      );
      expect(role?.inputs.name).to.equal("org-s3-backup-batch-replication");
      expect(role?.provider?.split("::")[3]).to.equal("account-111111111111-aws");
      expect(await outputValue(monitored.component.backfillRoleArn!)).to.equal(
        "arn:aws:iam::123456789012:role/org-s3-backup-batch-replication",
      );
      expect(
        monitored.mocks.options.get("org-s3-backup:backfill:BatchReplicationRole account-111111111111-backfill")
          ?.parent,
      ).to.equal("account-111111111111");
    });

    it("creates neither without a topic nor backfill, and outputs no alarm", () => {
      expect(created.count("aws:cloudwatch/metricAlarm:MetricAlarm")).to.equal(0);
      expect(created.count("aws:iam/role:Role")).to.equal(1);
      expect(created.component.alarmArns).to.deep.equal([]);
      expect(created.component.backfillRoleArn).to.equal(undefined);
    });

    it("has only the failure alarm when replication metrics are on without RTC", async () => {
      const metricsOnly = await deploy({
        ...ARGS,
        alarmTopicArn: TOPIC,
        replication: { ...RTC, replicationTimeControl: false },
      });
      expect(metricsOnly.one("aws:cloudwatch/metricAlarm:MetricAlarm").inputs.metricName).to.equal(
        "OperationsFailedReplication",
      );
      expect(metricsOnly.component.alarmArns).to.have.length(1);
    });
  });

  describe("before the central stack exists", () => {
    it("keeps the central key ARN, and the role policy built from it, unknown", async () => {
      const mocks = await setPulumiMocks();
      let component: SourceReplicatedBucket | undefined;
      await mocks.run(() => {
        const provider = accountProvider("p", {
          accountId: ARGS.accountId,
          region: ARGS.region,
          roleArn: "arn:aws:iam::111111111111:role/Deploy",
          tags: {},
        });
        component = new SourceReplicatedBucket(
          "account-111111111111",
          { ...ARGS, centralKmsKeyArn: pulumi.output(pulumi.unknown as unknown as string) },
          { provider },
        );
      });
      expect(await isKnown(component!.bucketArn)).to.equal(true);
      const policy = mocks.resources.find((r) => r.type === "aws:iam/rolePolicy:RolePolicy");
      expect(policy?.inputs.policy).to.equal(undefined);
    });
  });
});
