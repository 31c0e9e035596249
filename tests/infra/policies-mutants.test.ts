import { expect } from "chai";
import { backfillRoleArn } from "../../infra/policies/backfill";
import { deployerPolicy, deployerTarget } from "../../infra/policies/deployer";
import {
  accountRootStatement,
  isPolicyDocument,
  type PolicyDocument,
  partitionInfo,
  policyDocument,
} from "../../infra/policies/document";
import {
  alarmTopicFor,
  alarmTopicListedAccounts,
  alarmTopicPolicy,
  TOPIC_POLICY_MAX_BYTES,
  topicRegion,
} from "../../infra/policies/monitoring";
import { ALLOW_ALL, type Decision, decide, requestContext } from "../support/iam-proof";
import { centralAccount, inventory, ORG_ID, sourceAccount } from "../support/inventory-fixture";

/**
 * Policy behaviours the mutation run (docs/mutation.md) showed untested in-process. The deploy role's
 * proofs in deployer-policy.test.ts build their policies in `before` hooks, which StrykerJS's per-test
 * coverage does not attribute to the tests; here each test builds its own policy, so a mutant of the
 * policy is run against the proof that would catch it.
 */

const DEPLOYER = (account: string) => `arn:aws:iam::${account}:role/org-s3-backup-deployer`;
const INVENTORY = inventory();
const BUCKET = "arn:aws:s3:::acme-data-111111111111";
const KEY = "arn:aws:kms:eu-west-1:111111111111:key/k-1";
const source = () => deployerPolicy(deployerTarget(INVENTORY, "source"), { dayTwo: true });

async function run(
  policy: PolicyDocument,
  action: string,
  target: {
    resource: string;
    keyPolicy?: boolean;
    resourcePolicy?: PolicyDocument;
    context?: Record<string, string | string[]>;
  },
  extra: PolicyDocument[] = [],
): Promise<Decision> {
  const account = "111111111111";
  return decide({
    principal: DEPLOYER(account),
    action,
    resource: target.resource,
    resourceAccount: account,
    identityPolicies: [policy, ...extra],
    resourcePolicy:
      target.resourcePolicy ??
      (target.keyPolicy ? policyDocument(accountRootStatement(partitionInfo("eu-west-1"), account)) : undefined),
    context: { ...requestContext(DEPLOYER(account), ORG_ID), ...(target.context ?? {}) },
  });
}

describe("policies: behaviours found by mutation testing", () => {
  describe("the deploy role (iam-simulate)", () => {
    it("denies destroying data and assuming the roles it writes, even next to an administrator policy", async () => {
      const policy = source();
      expect(await run(policy, "s3:DeleteBucket", { resource: BUCKET }, [ALLOW_ALL])).to.equal("ExplicitlyDenied");
      expect(
        await run(policy, "s3:DeleteObjectVersion", { resource: `${BUCKET}/111111111111/data.bin` }, [ALLOW_ALL]),
      ).to.equal("ExplicitlyDenied");
      const replication = "arn:aws:iam::111111111111:role/org-s3-backup-replication";
      const trusting = policyDocument({
        Effect: "Allow",
        Principal: { AWS: DEPLOYER("111111111111") },
        Action: "sts:AssumeRole",
      });
      expect(await run(policy, "sts:AssumeRole", { resource: replication, resourcePolicy: trusting })).to.equal(
        "ExplicitlyDenied",
      );
    });

    it("manages our buckets and no other", async () => {
      const policy = source();
      expect(await run(policy, "s3:PutBucketPolicy", { resource: BUCKET })).to.equal("Allowed");
      expect(await run(policy, "s3:PutBucketPolicy", { resource: "arn:aws:s3:::payments-ledger" })).to.equal(
        "ImplicitlyDenied",
      );
    });

    it("changes a key's policy only behind our alias, and points our alias only", async () => {
      const policy = source();
      const ours = {
        resource: KEY,
        keyPolicy: true,
        context: { "kms:ResourceAliases": ["alias/org-s3-backup-source"] },
      };
      expect(await run(policy, "kms:PutKeyPolicy", ours)).to.equal("Allowed");
      expect(
        await run(policy, "kms:PutKeyPolicy", { ...ours, context: { "kms:ResourceAliases": ["alias/payments-db"] } }),
      ).to.equal("ImplicitlyDenied");
      const alias = (name: string) => `arn:aws:kms:eu-west-1:111111111111:${name}`;
      expect(await run(policy, "kms:UpdateAlias", { resource: alias("alias/org-s3-backup-source") })).to.equal(
        "Allowed",
      );
      expect(await run(policy, "kms:UpdateAlias", { resource: alias("alias/payments-db") })).to.equal(
        "ImplicitlyDenied",
      );
    });

    it("passes each service role to its own service only", async () => {
      const policy = source();
      const pass = (resource: string, service: string) =>
        run(policy, "iam:PassRole", { resource, context: { "iam:PassedToService": service } });
      const replication = "arn:aws:iam::111111111111:role/org-s3-backup-replication";
      expect(await pass(replication, "s3.amazonaws.com")).to.equal("Allowed");
      expect(await pass(replication, "ec2.amazonaws.com")).to.equal("ImplicitlyDenied");
      expect(await pass(backfillRoleArn("111111111111"), "batchoperations.s3.amazonaws.com")).to.equal("Allowed");
      expect(await pass(backfillRoleArn("111111111111"), "ec2.amazonaws.com")).to.equal("ImplicitlyDenied");
    });

    it("uses the account's keys for verify's canary only through S3", async () => {
      const policy = source();
      expect(
        await run(policy, "kms:GenerateDataKey", {
          resource: KEY,
          keyPolicy: true,
          context: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" },
        }),
      ).to.equal("Allowed");
      expect(
        await run(policy, "kms:GenerateDataKey", {
          resource: KEY,
          keyPolicy: true,
          context: { "kms:ViaService": "ec2.eu-west-1.amazonaws.com" },
        }),
      ).to.equal("ImplicitlyDenied");
    });

    it("deletes canary objects only under the account's own prefix", async () => {
      const policy = source();
      const canary = (account: string) => `${BUCKET}/${account}/org-s3-backup-canary/run-1`;
      expect(await run(policy, "s3:DeleteObjectVersion", { resource: canary("111111111111") })).to.equal("Allowed");
      expect(await run(policy, "s3:DeleteObjectVersion", { resource: canary("222222222222") })).to.not.equal("Allowed");
    });
  });

  describe("the deploy role's text", () => {
    it("names the default source alias before any source account is listed", () => {
      expect(deployerTarget(inventory({ sources: [] }), "source").kmsAliases).to.deep.equal([
        "alias/org-s3-backup-source",
      ]);
      const custom = inventory({ sources: [sourceAccount("111111111111", { kmsAlias: "alias/team-backup" })] });
      expect(deployerTarget(custom, "source").kmsAliases).to.deep.equal(["alias/team-backup"]);
    });

    it("is the same whatever the order of the accounts, and lists actions alphabetically for review", () => {
      const accounts = [
        sourceAccount("111111111111", { kmsAlias: "alias/b", bucket: { name: "zeta-111111111111", existing: false } }),
        sourceAccount("222222222222", { kmsAlias: "alias/a", bucket: { name: "alpha-222222222222", existing: false } }),
      ];
      const forward = deployerTarget(inventory({ sources: accounts }), "source");
      const backward = deployerTarget(inventory({ sources: [...accounts].reverse() }), "source");
      expect(forward).to.deep.equal(backward);
      expect(forward.kmsAliases).to.deep.equal(["alias/a", "alias/b"]);
      for (const statement of deployerPolicy(forward, { dayTwo: true }).Statement) {
        if (statement.Effect !== "Allow" || !Array.isArray(statement.Action)) continue;
        expect(statement.Action, statement.Sid).to.deep.equal([...statement.Action].sort());
      }
    });
  });

  describe("documents and topics", () => {
    it("recognises a policy document and nothing else", () => {
      expect(isPolicyDocument({ Version: "2012-10-17", Statement: [] })).to.equal(true);
      for (const value of [null, undefined, "policy", 3, {}, { Statement: "x" }]) {
        expect(isPolicyDocument(value), String(value)).to.equal(false);
      }
    });

    it("reads a topic's region and account only from a whole SNS topic ARN", () => {
      expect(topicRegion("arn:aws:sns:eu-west-1:999999999999:alarms")).to.equal("eu-west-1");
      for (const bad of ["xarn:aws:sns:eu-west-1:999999999999:alarms", "arn:aws:sns:eu-west-1:999999999999:a:b"]) {
        expect(topicRegion(bad), bad).to.equal(undefined);
        expect(
          () =>
            alarmTopicListedAccounts({
              topicArn: bad,
              organizationId: ORG_ID,
              region: "eu-west-1",
              partition: "aws",
              sourceAccountIds: [],
            }),
          bad,
        ).to.throw(`not an SNS topic ARN: ${bad}`);
      }
      const args = {
        topicArn: "arn:aws:sns:eu-west-1:999999999999:alarms",
        organizationId: ORG_ID,
        region: "eu-west-1",
        partition: "aws",
        sourceAccountIds: [],
      };
      expect(alarmTopicListedAccounts(args)).to.deep.equal(["999999999999"]);
    });

    it("lists every account while the topic policy is within SNS's limit, to the byte, and never fewer than one", () => {
      // The topic ARN appears twice in the policy: each character of its name costs 2 bytes. A name of 14,977
      // characters puts the policy for two accounts at exactly TOPIC_POLICY_MAX_BYTES.
      const args = (nameLength: number, sourceAccountIds: string[]) => ({
        topicArn: `arn:aws:sns:eu-west-1:999999999999:${"t".repeat(nameLength)}`,
        organizationId: ORG_ID,
        region: "eu-west-1",
        partition: "aws",
        sourceAccountIds,
      });
      const two = ["111111111111", "222222222222"];
      expect(Buffer.byteLength(JSON.stringify(alarmTopicPolicy(args(14_977, two))))).to.equal(TOPIC_POLICY_MAX_BYTES);
      expect(alarmTopicListedAccounts(args(14_977, two))).to.deep.equal(two);
      expect(alarmTopicListedAccounts(args(14_978, two))).to.deep.equal(["111111111111"]);
      expect(alarmTopicListedAccounts(args(20_000, ["111111111111"]))).to.deep.equal(["111111111111"]);
    });

    it("refuses an account whose alarm topic is not an SNS topic ARN, naming it", () => {
      const account = sourceAccount("111111111111", { monitoring: { enabled: true, alarmTopicArn: "sns-alarms" } });
      expect(alarmTopicFor(account, centralAccount())).to.deep.equal({
        ok: false,
        message: "account 111111111111 (app-111): 'sns-alarms' is not an SNS topic ARN",
      });
    });
  });
});
