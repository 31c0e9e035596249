import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { parse } from "yaml";
import type { Inventory } from "../../config/types";
import { planStacks } from "../../automation/driver/plan";
import { CentralOutput, CONFIG_NAMESPACE, SourceOutput } from "../../infra/contract";
import {
  buildStack,
  buildStackFromEnvironment,
  centralRefs,
  inputError,
  ProgramInputError,
  UnknownStackError,
  withSdkFramesNamed,
} from "../../infra/program";
import { inventory, sourceAccount } from "../support/inventory-fixture";
import { isKnown, outputValue, type RecordedResource, setPulumiMocks } from "../support/pulumi-mocks";

const CENTRAL_KEY = "arn:aws:kms:eu-west-1:999999999999:key/9999bbbb-9999-bbbb-9999-bbbb9999bbbb";
/** The ARN the mocks give a created alarm topic (they know no provider region, so always eu-west-1). */
const MOCK_TOPIC = "arn:aws:sns:eu-west-1:123456789012:org-s3-backup-replication-alarms";

interface Rendered {
  resources: RecordedResource[];
  outputs: Record<string, unknown>;
}

async function render(inv: Inventory, stackName: string): Promise<Rendered> {
  const mocks = await setPulumiMocks();
  const outputs = await mocks.run(() =>
    buildStack(inv, stackName, stackName === "central" ? undefined : { kmsKeyArn: CENTRAL_KEY }),
  );
  return { resources: mocks.resources, outputs };
}

/** Provider inputs reach the mocks as the provider's JSON-encoded config values. */
function providerConfig(provider: RecordedResource): Record<string, unknown> {
  const parse = (value: unknown) => (typeof value === "string" && /^[[{]/.test(value) ? JSON.parse(value) : value);
  return Object.fromEntries(Object.entries(provider.inputs).map(([k, v]) => [k, parse(v)]));
}

const providers = (r: Rendered) => r.resources.filter((x) => x.type === "pulumi:providers:aws");
const providerNameOf = (resource: RecordedResource) => resource.provider?.split("::")[3];
const awsResources = (r: Rendered) => r.resources.filter((x) => x.type.startsWith("aws:"));

describe("program", () => {
  const inv = inventory();

  describe("Pulumi.yaml", () => {
    const root = path.join(__dirname, "..", "..");
    const project = parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8"));

    it("names the project after the config namespace and runs infra/index.ts through entry.cjs and tsx", () => {
      expect(project.name).to.equal(CONFIG_NAMESPACE);
      expect(project.main).to.equal("infra/entry.cjs");
      const entry = fs.readFileSync(path.join(root, project.main), "utf8");
      expect(entry).to.match(/require\("tsx\/cjs"\);\s+module\.exports = require\("\.\/index\.ts"\);\s*$/);
      expect(project.runtime).to.deep.equal({ name: "nodejs", options: { typescript: false } });
    });

    it("disables every default provider", () => {
      expect(project.config["pulumi:disable-default-providers"]).to.deep.equal(["*"]);
    });
  });

  describe("central stack", () => {
    let central: Rendered;
    before(async () => {
      central = await render(inv, "central");
    });

    it("builds one provider assuming the central role, locked to the central account and region, with the tags", () => {
      expect(providers(central).map((p) => p.name)).to.deep.equal(["central-aws"]);
      expect(providerConfig(providers(central)[0])).to.deep.include({
        region: "eu-west-1",
        assumeRoles: [
          { roleArn: "arn:aws:iam::999999999999:role/OrganizationAccountAccessRole", sessionName: "org-s3-backup" },
        ],
        allowedAccountIds: ["999999999999"],
        defaultTags: { tags: { "managed-by": "org-s3-backup" } },
      });
    });

    it("creates every AWS resource through that provider, none through a default one", () => {
      expect(awsResources(central).length).to.be.greaterThan(5);
      expect(new Set(awsResources(central).map(providerNameOf))).to.deep.equal(new Set(["central-aws"]));
    });

    it("creates the central bucket component and exports the contract's outputs", () => {
      expect(central.resources.some((r) => r.type === "org-s3-backup:central:CentralBackupBucket")).to.equal(true);
      expect(central.outputs).to.deep.equal({
        [CentralOutput.bucketName]: "acme-org-backup-999999999999",
        [CentralOutput.bucketArn]: "arn:aws:s3:::acme-org-backup-999999999999",
        [CentralOutput.kmsKeyArn]: "arn:aws:kms:eu-west-1:123456789012:key/central-key-physical",
        [CentralOutput.alarmTopicArn]: MOCK_TOPIC,
        [CentralOutput.alarmTopicArns]: { "eu-west-1": MOCK_TOPIC },
      });
    });

    it("creates an alarm topic in every region with monitored sources, through a central-account provider of that region", async () => {
      const spread = inventory({
        sources: [
          sourceAccount("111111111111", { region: "us-east-1" }),
          sourceAccount("222222222222", { region: "ap-southeast-2" }),
          sourceAccount("333333333333", { region: "sa-east-1", monitoring: { enabled: false } }),
        ],
      });
      const stack = await render(spread, "central");
      const topics = stack.resources.filter((r) => r.type === "aws:sns/topic:Topic");
      expect(topics.map((topic) => `${topic.name} ${providerNameOf(topic)}`)).to.deep.equal([
        "central-alarms-eu-west-1-topic central-aws",
        "central-alarms-ap-southeast-2-topic central-aws-ap-southeast-2",
        "central-alarms-us-east-1-topic central-aws-us-east-1",
      ]);
      for (const provider of providers(stack)) {
        expect(providerConfig(provider), provider.name).to.deep.include({ allowedAccountIds: ["999999999999"] });
      }
      expect(providerConfig(providers(stack).find((p) => p.name === "central-aws-us-east-1")!).region).to.equal(
        "us-east-1",
      );
      expect(stack.outputs[CentralOutput.alarmTopicArns]).to.deep.equal({
        "eu-west-1": MOCK_TOPIC,
        "ap-southeast-2": MOCK_TOPIC,
        "us-east-1": MOCK_TOPIC,
      });
    });

    it("creates no topic when the inventory names one, and exports that one", async () => {
      const given = "arn:aws:sns:eu-west-1:999999999999:backup-alarms";
      const stack = await render(inventory({ central: { alarmTopicArn: given } }), "central");
      expect(stack.resources.filter((r) => r.type === "aws:sns/topic:Topic")).to.deep.equal([]);
      expect(stack.outputs[CentralOutput.alarmTopicArn]).to.equal(given);
      expect(stack.outputs[CentralOutput.alarmTopicArns]).to.deep.equal({});
    });
  });

  describe("source stacks", () => {
    it("each uses only its own provider, which assumes that account's role and allows only that account", async () => {
      for (const source of inv.sources) {
        const stack = await render(inv, `account-${source.accountId}`);
        const name = `account-${source.accountId}-aws`;
        expect(
          providers(stack).map((p) => p.name),
          source.accountId,
        ).to.deep.equal([name]);
        expect(providerConfig(providers(stack)[0])).to.deep.include({
          region: source.region,
          assumeRoles: [{ roleArn: source.roleArn, sessionName: "org-s3-backup" }],
          allowedAccountIds: [source.accountId],
        });
        expect(new Set(awsResources(stack).map(providerNameOf)), source.accountId).to.deep.equal(new Set([name]));
      }
    });

    it("replicates to the inventory's central bucket with the central key it was given, and exports the contract's outputs", async () => {
      const stack = await render(inv, "account-222222222222");
      const replication = stack.resources.find(
        (r) => r.type === "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
      );
      expect(replication?.inputs.rules[0].destination).to.deep.include({
        bucket: "arn:aws:s3:::acme-org-backup-999999999999",
        account: "999999999999",
        encryptionConfiguration: { replicaKmsKeyId: CENTRAL_KEY },
      });
      expect(Object.keys(stack.outputs).sort()).to.deep.equal(
        Object.values(SourceOutput)
          .filter((name) => name !== SourceOutput.backfillRoleArn)
          .sort(),
      );
      expect(stack.outputs[SourceOutput.bucketArn]).to.equal("arn:aws:s3:::acme-data-222222222222");
      expect(stack.outputs[SourceOutput.alarmArns]).to.have.length(2);
    });

    it("sends the alarms to the central account's topic in the source's own region", async () => {
      const abroad = inventory({ sources: [sourceAccount("111111111111", { region: "us-east-1" })] });
      const stack = await render(abroad, "account-111111111111");
      const alarms = stack.resources.filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm");
      expect(alarms).to.have.length(2);
      for (const alarm of alarms) {
        expect(alarm.inputs.alarmActions).to.deep.equal([
          "arn:aws:sns:us-east-1:999999999999:org-s3-backup-replication-alarms",
        ]);
      }
    });

    it("creates no alarm with monitoring off, and the backfill role only with backfill on", async () => {
      const quiet = inventory({
        sources: [sourceAccount("111111111111", { monitoring: { enabled: false }, backfill: { enabled: true } })],
      });
      const stack = await render(quiet, "account-111111111111");
      expect(stack.resources.filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm")).to.deep.equal([]);
      expect(stack.outputs).to.not.have.property(SourceOutput.alarmArns);
      expect(stack.outputs[SourceOutput.backfillRoleArn]).to.equal(
        "arn:aws:iam::123456789012:role/org-s3-backup-batch-replication",
      );
    });

    it("refuses an alarm topic in another region than the account, naming the fix", () => {
      const given = "arn:aws:sns:eu-west-1:999999999999:backup-alarms";
      const wrong = inventory({
        central: { alarmTopicArn: given },
        sources: [sourceAccount("111111111111", { region: "us-east-1" })],
      });
      expect(() => buildStack(wrong, "account-111111111111", { kmsKeyArn: CENTRAL_KEY })).to.throw(
        ProgramInputError,
        "set monitoring.alarmTopicArn to a topic in us-east-1",
      );
    });

    it("adopts an existing bucket instead of creating it", async () => {
      const adopted = inventory({
        sources: [sourceAccount("111111111111", { bucket: { name: "legacy-data", existing: true } })],
      });
      const stack = await render(adopted, "account-111111111111");
      expect(stack.resources.filter((r) => r.type === "aws:s3/bucket:Bucket")).to.deep.equal([]);
      expect(
        stack.resources.find((r) => r.type === "aws:s3/bucketVersioning:BucketVersioning")?.inputs.bucket,
      ).to.equal("legacy-data");
    });

    it("takes over of an adopted bucket what its inventory entry asks, and lets the role decrypt its extra keys", async () => {
      const extraKey = "arn:aws:kms:eu-west-1:111111111111:key/1111aaaa-1111-aaaa-1111-aaaa1111aaaa";
      const adopted = inventory({
        sources: [
          sourceAccount("111111111111", {
            bucket: { name: "legacy-data", existing: true },
            existingBucket: {
              name: "legacy-data",
              keys: "partial",
              manage: { encryption: false, publicAccessBlock: true, bucketPolicy: false },
              existingReplication: "refuse",
              additionalKmsKeyArns: [extraKey],
            },
          }),
        ],
      });
      const stack = await render(adopted, "account-111111111111");
      const types = new Set(stack.resources.map((r) => r.type));
      expect(types.has("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")).to.equal(true);
      expect(types.has("aws:s3/bucketPolicy:BucketPolicy")).to.equal(false);
      expect(
        types.has("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"),
      ).to.equal(false);
      const policy = stack.resources.find((r) => r.type === "aws:iam/rolePolicy:RolePolicy")?.inputs.policy;
      const decryptsExtra = (JSON.parse(policy).Statement as { Action: string; Resource: string[] }[]).filter(
        (statement) => statement.Action === "kms:Decrypt" && [statement.Resource].flat().includes(extraKey),
      );
      expect(decryptsExtra).to.have.length(1);
    });
  });

  describe("central policies at organization scale", () => {
    it("have the same byte size for 1, 100 and 5,000 source accounts", async () => {
      const sizes: Array<{ bucket: number; key: number }> = [];
      for (const count of [1, 100, 5000]) {
        const stack = await render(inventory({ count }), "central");
        const bucketPolicy = stack.resources.find((r) => r.type === "aws:s3/bucketPolicy:BucketPolicy")!.inputs
          .policy as string;
        const keyPolicy = stack.resources.find((r) => r.type === "aws:kms/key:Key")!.inputs.policy as string;
        sizes.push({ bucket: Buffer.byteLength(bucketPolicy), key: Buffer.byteLength(keyPolicy) });
      }
      expect(sizes[1]).to.deep.equal(sizes[0]);
      expect(sizes[2]).to.deep.equal(sizes[0]);
      expect(sizes[0].bucket).to.be.below(20 * 1024);
      expect(sizes[0].key).to.be.below(32 * 1024);
    });
  });

  describe("stack names", () => {
    it("refuses an unknown stack, listing the valid names", () => {
      expect(() => buildStack(inv, "account-444444444444", { kmsKeyArn: CENTRAL_KEY })).to.throw(
        UnknownStackError,
        "stack 'account-444444444444': no such stack in /fixture/accounts.yaml; " +
          "valid stacks: central, account-111111111111, account-222222222222, account-333333333333",
      );
      expect(() => buildStack(inv, "prod", { kmsKeyArn: CENTRAL_KEY })).to.throw(
        UnknownStackError,
        "valid stacks: central,",
      );
    });

    it("refuses the stack of a disabled account, saying so", () => {
      const withDisabled = inventory({
        sources: [sourceAccount("111111111111"), sourceAccount("222222222222", { enabled: false })],
      });
      expect(planStacks(withDisabled).map((p) => p.name)).to.deep.equal(["central", "account-111111111111"]);
      expect(() => buildStack(withDisabled, "account-222222222222", { kmsKeyArn: CENTRAL_KEY })).to.throw(
        "stack 'account-222222222222': account 222222222222 (app-222) is disabled in /fixture/accounts.yaml; " +
          "valid stacks: central, account-111111111111",
      );
    });

    it("refuses a source stack without the central key", () => {
      expect(() => buildStack(inv, "account-111111111111")).to.throw(
        ProgramInputError,
        "stack account-111111111111: the central KMS key ARN is required",
      );
    });

    it("reports a mistyped stack name before anything about the central stack", () => {
      expect(() => buildStackFromEnvironment(inv, "account-11111111111", { kind: "not-deployed" }, false)).to.throw(
        UnknownStackError,
        "stack 'account-11111111111': no such stack",
      );
      expect(() => buildStackFromEnvironment(inv, "account-111111111111", { kind: "not-deployed" }, false)).to.throw(
        ProgramInputError,
        "the central stack is not deployed: run `org-s3-backup up`",
      );
    });
  });

  describe("inputError", () => {
    it("is a RunError (no stack trace, exit 32) whose stack is its message alone", () => {
      const error = inputError("invalid inventory:\ninv.yaml:3:4: bad");
      expect(pulumi.RunError.isInstance(error)).to.equal(true);
      expect(error.message).to.equal("invalid inventory:\ninv.yaml:3:4: bad");
      expect(error.stack).to.equal("RunError: invalid inventory:\ninv.yaml:3:4: bad");
    });
  });

  describe("withSdkFramesNamed", () => {
    it("names the SDK's source-mapped frames under @pulumi/pulumi, and leaves every other frame alone", () => {
      const stack = [
        "Error: unknown stack",
        "    at Object.readResource (/repo/node_modules/@pulumi/resource.ts:1687:22)",
        "    at /repo/node_modules/@pulumi/runtime/resource.ts:412:9",
        "    at /repo/node_modules/@pulumi/pulumi/resource.js:20:3",
        "    at /repo/node_modules/@pulumi/aws/s3/bucket.js:5:1",
        "    at main (/repo/infra/index.ts:30:5)",
      ].join("\n");
      expect(withSdkFramesNamed(stack).split("\n")).to.deep.equal([
        "Error: unknown stack",
        "    at Object.readResource (/repo/node_modules/@pulumi/pulumi/resource.ts:1687:22)",
        "    at /repo/node_modules/@pulumi/runtime/resource.ts:412:9",
        "    at /repo/node_modules/@pulumi/pulumi/resource.js:20:3",
        "    at /repo/node_modules/@pulumi/aws/s3/bucket.js:5:1",
        "    at main (/repo/infra/index.ts:30:5)",
      ]);
    });
  });

  describe("centralRefs", () => {
    const config = (kmsKeyArn: string, bucketArn?: string) =>
      ({ kind: "config", kmsKeyArn, ...(bucketArn ? { bucketArn } : {}) }) as const;

    it("uses a key ARN given in the stack's config", () => {
      expect(centralRefs(inv, config(CENTRAL_KEY, "arn:aws:s3:::acme-org-backup-999999999999"), false)).to.deep.equal({
        kmsKeyArn: CENTRAL_KEY,
      });
    });

    it("leaves the key ARN unknown in a preview made before the central stack exists", async () => {
      const refs = centralRefs(inv, { kind: "not-deployed" }, true);
      expect(pulumi.Output.isInstance(refs.kmsKeyArn)).to.equal(true);
      expect(await isKnown(refs.kmsKeyArn as pulumi.Output<string>)).to.equal(false);
    });

    it("refuses to deploy before the central stack exists, or with an alias or another account's key", () => {
      expect(() => centralRefs(inv, { kind: "not-deployed" }, false)).to.throw("the central stack is not deployed");
      const alias = "arn:aws:kms:eu-west-1:999999999999:alias/org-s3-backup-central";
      expect(() => centralRefs(inv, config(alias), false)).to.throw(
        `config centralKmsKeyArn '${alias}' is not a key ARN of account 999999999999 in eu-west-1`,
      );
      expect(() => centralRefs(inv, config(CENTRAL_KEY.replace("999999999999", "111111111111")), false)).to.throw(
        "is not a key ARN of account 999999999999",
      );
      expect(centralRefs(inv, config(alias), true)).to.deep.equal({ kmsKeyArn: alias });
    });

    it("refuses a central bucket ARN that is not the inventory's", () => {
      expect(() => centralRefs(inv, config(CENTRAL_KEY, "arn:aws:s3:::other"), false)).to.throw(
        "config centralBucketArn is arn:aws:s3:::other " +
          "but the inventory's central bucket is arn:aws:s3:::acme-org-backup-999999999999",
      );
    });

    it("reads the key ARN from the central stack through a StackReference by default", async () => {
      const mocks = await setPulumiMocks({
        "pulumi:pulumi:StackReference": { outputs: { kmsKeyArn: CENTRAL_KEY, bucketArn: "arn:aws:s3:::x" } },
      });
      let kmsKeyArn: unknown;
      await mocks.run(() => {
        kmsKeyArn = centralRefs(
          inv,
          { kind: "reference", stack: "organization/org-s3-backup/central" },
          false,
        ).kmsKeyArn;
        return {};
      });
      expect(await outputValue(kmsKeyArn as pulumi.Output<string>)).to.equal(CENTRAL_KEY);
      const reference = mocks.resources.find((r) => r.type === "pulumi:pulumi:StackReference");
      expect(reference?.name).to.equal("organization/org-s3-backup/central");
    });
  });
});
