import { expect } from "chai";
import { planStacks } from "../../automation/driver/plan";
import { type RenderedStack, renderStacks } from "../../automation/review/render";
import { stackProgram } from "../../automation/review/render-program";
import type { PolicyDocument, Statement } from "../../infra/policies/document";
import { replicationRolePolicy, sourceKmsKeyPolicy } from "../../infra/policies/source";
import {
  ALLOW_ALL,
  concretize,
  decide,
  type ProofRequest,
  type ProofSource,
  type ProofWorld,
  proofWorld,
  requestContext,
} from "../support/iam-proof";
import { bundledInventory } from "../support/bundled-inventory";

/**
 * The rendered policies of the bundled inventory, evaluated by @cloud-copilot/iam-simulate (an IAM
 * evaluator we did not write). Each case of the matrix is one `it`; "can fail" tests run a case against
 * a mutated document and show the evaluator's answer flips, so no case passes vacuously.
 * What the evaluator does not do for us is listed in tests/support/iam-proof.ts and docs/review.md.
 */

const OUTSIDER_ACCOUNT = "444455556666";
const OUTSIDER_ORG = "o-zz9zz9zz9z";

let world: ProofWorld;
let concrete: RenderedStack[];
let a: ProofSource;
let b: ProofSource;
/** The bundled inventory's central bucket has Object Lock. */
let centralObjectLock: boolean;

const adminOf = (accountId: string) => `arn:aws:iam::${accountId}:role/Administrator`;
/** A role outside the organization that took the same name as our replication roles. */
const outsider = () => a.roleArn.replace(a.accountId, OUTSIDER_ACCOUNT);
const centralObject = (prefix: string) => `${world.central.bucketArn}/${prefix}/reports/2026.csv`;
const sourceObject = (source: ProofSource) => `${source.bucketArn}/${source.accountId}/reports/2026.csv`;

/** The replication role of `source` acting on the central bucket. */
function replicate(
  source: ProofSource,
  action: string,
  resource: string,
  overrides: Partial<ProofRequest> = {},
): Promise<string> {
  return decide({
    principal: source.roleArn,
    action,
    resource,
    resourceAccount: world.central.accountId,
    identityPolicies: source.rolePolicies,
    resourcePolicy: world.central.bucketPolicy,
    context: requestContext(source.roleArn, world.organizationId),
    ...overrides,
  });
}

/** The replication role of `actor` using `key` through S3 for objects of `bucketArn`. */
function useKey(
  actor: ProofSource,
  action: string,
  key: { arn: string; account: string; policy: PolicyDocument; region: string },
  bucketArn: string,
  overrides: Partial<ProofRequest> = {},
) {
  return decide({
    principal: actor.roleArn,
    action,
    resource: key.arn,
    resourceAccount: key.account,
    identityPolicies: actor.rolePolicies,
    resourcePolicy: key.policy,
    context: requestContext(actor.roleArn, world.organizationId, {
      "kms:ViaService": `s3.${key.region}.amazonaws.com`,
      "kms:CallerAccount": actor.accountId,
      "kms:EncryptionContext:aws:s3:arn": bucketArn,
    }),
    ...overrides,
  });
}

const sourceKey = (source: ProofSource) => ({
  arn: source.keyArn,
  account: source.accountId,
  policy: source.keyPolicy,
  region: source.region,
});
const centralKey = () => ({
  arn: world.central.keyArn,
  account: world.central.accountId,
  policy: world.central.keyPolicy,
  region: world.central.region,
});

/** A copy of `policy` with each statement passed through `edit` (undefined drops it). */
function mutate(policy: PolicyDocument, edit: (statement: Statement) => Statement | undefined): PolicyDocument {
  return { ...policy, Statement: policy.Statement.map(edit).filter((s): s is Statement => s !== undefined) };
}

const mentions = (statement: Statement, text: string) => JSON.stringify(statement).includes(text);

/** `statement` without the condition keys matching `key` (all of them by default). */
function dropConditions(statement: Statement, key = /./): Statement {
  const { Condition, ...rest } = statement;
  const kept = Object.entries(Condition ?? {})
    .map(
      ([operator, entries]) =>
        [operator, Object.fromEntries(Object.entries(entries).filter(([k]) => !key.test(k)))] as const,
    )
    .filter(([, entries]) => Object.keys(entries).length > 0);
  return kept.length > 0 ? { ...rest, Condition: Object.fromEntries(kept) } : rest;
}

/** `statement` with every value of the condition keys matching `key` passed through `edit`. */
function editConditionValues(statement: Statement, key: RegExp, edit: (value: string) => string): Statement {
  if (!statement.Condition) return statement;
  const editValue = (value: string | readonly string[] | boolean) =>
    typeof value === "string" ? edit(value) : Array.isArray(value) ? value.map(edit) : value;
  return {
    ...statement,
    Condition: Object.fromEntries(
      Object.entries(statement.Condition).map(([operator, entries]) => [
        operator,
        Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, key.test(k) ? editValue(v) : v])),
      ]),
    ),
  };
}

/** `policy` with every kms:EncryptionContext value passed through `edit`. */
function editContexts(policy: PolicyDocument, edit: (value: string) => string): PolicyDocument {
  return mutate(policy, (s) => editConditionValues(s, /EncryptionContext/i, edit));
}

/** `statement` with one condition key set to `value`, whatever its operator. */
function setCondition(statement: Statement, key: string, value: string): Statement {
  return editConditionValues(statement, new RegExp(`^${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`), () => value);
}

/** `statement` with its `...IfExists` operators in the plain form: a key that is not sent then fails. */
function strictForm(statement: Statement): Statement {
  if (!statement.Condition) return statement;
  const strict: Record<string, Record<string, string | readonly string[] | boolean>> = {};
  for (const [operator, entries] of Object.entries(statement.Condition)) {
    const plain = operator.replace(/IfExists$/, "");
    strict[plain] = { ...strict[plain], ...entries };
  }
  return { ...statement, Condition: strict };
}

describe("policy proof (iam-simulate on the rendered bundled inventory)", () => {
  before(async function () {
    this.timeout(60_000);
    const inventory = await bundledInventory();
    centralObjectLock = inventory.central.objectLock !== undefined;
    const rendered = await renderStacks(inventory, planStacks(inventory), stackProgram);
    concrete = concretize(rendered);
    world = proofWorld(inventory.organizationId, concrete);
    if (world.sources.length < 2)
      throw new Error("the proof needs two enabled source accounts in the bundled inventory");
    [a, b] = world.sources;
  });

  describe("replication into the central bucket", () => {
    for (const action of ["s3:ReplicateObject", "s3:ObjectOwnerOverrideToBucketOwner"]) {
      it(`lets account A's replication role ${action} under <central>/<A>/`, async () => {
        expect(await replicate(a, action, centralObject(a.accountId))).to.equal("Allowed");
      });
      it(`refuses account A's replication role ${action} under <central>/<B>/`, async () => {
        expect(await replicate(a, action, centralObject(b.accountId))).to.not.equal("Allowed");
      });
    }

    it("refuses any principal of account A, even with an allow-all identity policy, under <central>/<B>/", async () => {
      const admin = adminOf(a.accountId);
      const request = {
        principal: admin,
        identityPolicies: [ALLOW_ALL],
        context: requestContext(admin, world.organizationId),
      };
      expect(await replicate(a, "s3:ReplicateObject", centralObject(b.accountId), request)).to.not.equal("Allowed");
      expect(await replicate(a, "s3:PutObject", centralObject(b.accountId), request)).to.not.equal("Allowed");
    });

    it("refuses A's replication role under <central>/<B>/ even if its own policy allowed everything", async () => {
      expect(
        await replicate(a, "s3:ReplicateObject", centralObject(b.accountId), { identityPolicies: [ALLOW_ALL] }),
      ).to.not.equal("Allowed");
    });

    it("can fail: with `*` instead of the account prefix, that role may write under <B>/", async () => {
      const widened = mutate(world.central.bucketPolicy, (s) => ({
        ...s,
        Resource: [s.Resource ?? []].flat().map((r) => r.replace("${aws:PrincipalAccount}", "*")),
      }));
      const result = await replicate(a, "s3:ReplicateObject", centralObject(b.accountId), {
        identityPolicies: [ALLOW_ALL],
        resourcePolicy: widened,
      });
      expect(result).to.equal("Allowed");
    });

    it("can fail: a bucket policy without s3:ObjectOwnerOverrideToBucketOwner refuses the override", async () => {
      const stripped = mutate(world.central.bucketPolicy, (s) =>
        s.Effect === "Allow"
          ? { ...s, Action: [s.Action ?? []].flat().filter((x) => x !== "s3:ObjectOwnerOverrideToBucketOwner") }
          : s,
      );
      const result = await replicate(a, "s3:ObjectOwnerOverrideToBucketOwner", centralObject(a.accountId), {
        resourcePolicy: stripped,
      });
      expect(result).to.not.equal("Allowed");
    });
  });

  describe("principals outside the organization", () => {
    for (const action of [
      "s3:PutObject",
      "s3:ReplicateObject",
      "s3:ObjectOwnerOverrideToBucketOwner",
      "s3:DeleteObject",
    ]) {
      it(`refuses ${action} anywhere in the central bucket to an outsider's role named like ours, with an allow-all identity policy`, async () => {
        const context = requestContext(outsider(), OUTSIDER_ORG);
        for (const prefix of [OUTSIDER_ACCOUNT, a.accountId]) {
          const result = await replicate(a, action, centralObject(prefix), {
            principal: outsider(),
            identityPolicies: [ALLOW_ALL],
            context,
          });
          expect(result, `${action} under ${prefix}/`).to.not.equal("Allowed");
        }
      });
    }

    it("can fail: without the aws:PrincipalOrgID condition the outsider may replicate under its own prefix", async () => {
      const open = mutate(world.central.bucketPolicy, (s) =>
        s.Effect === "Allow" ? dropConditions(s, /PrincipalOrgID/i) : s,
      );
      const context = requestContext(outsider(), OUTSIDER_ORG);
      const result = await replicate(a, "s3:ReplicateObject", centralObject(OUTSIDER_ACCOUNT), {
        principal: outsider(),
        identityPolicies: [ALLOW_ALL],
        context,
        resourcePolicy: open,
      });
      expect(result).to.equal("Allowed");
    });
  });

  describe("TLS only", () => {
    const insecure = (principal: string) =>
      requestContext(principal, world.organizationId, { "aws:SecureTransport": "false" });

    it("denies the replication role without TLS on the central bucket", async () => {
      expect(
        await replicate(a, "s3:ReplicateObject", centralObject(a.accountId), { context: insecure(a.roleArn) }),
      ).to.equal("ExplicitlyDenied");
    });

    it("denies the replication role without TLS on its source bucket", async () => {
      const result = await decide({
        principal: a.roleArn,
        action: "s3:GetObjectVersionForReplication",
        resource: sourceObject(a),
        resourceAccount: a.accountId,
        identityPolicies: a.rolePolicies,
        resourcePolicy: a.bucketPolicy,
        context: insecure(a.roleArn),
      });
      expect(result).to.equal("ExplicitlyDenied");
    });

    it("can fail: without the SecureTransport deny a plain-HTTP replication is allowed", async () => {
      const noDeny = mutate(world.central.bucketPolicy, (s) =>
        s.Effect === "Deny" && mentions(s, "aws:SecureTransport") ? undefined : s,
      );
      expect(
        await replicate(a, "s3:ReplicateObject", centralObject(a.accountId), {
          context: insecure(a.roleArn),
          resourcePolicy: noDeny,
        }),
      ).to.equal("Allowed");
    });
  });

  describe("the replication role reads only its own source", () => {
    const read = (
      actor: ProofSource,
      target: ProofSource,
      action: string,
      resource: string,
      targetPolicy = target.bucketPolicy,
      identity = actor.rolePolicies,
    ) =>
      decide({
        principal: actor.roleArn,
        action,
        resource,
        resourceAccount: target.accountId,
        identityPolicies: identity,
        resourcePolicy: targetPolicy,
        context: requestContext(actor.roleArn, world.organizationId),
      });
    /** B's bucket policy plus a statement trusting all of account A: the role's own policy must still refuse. */
    const trustingA = () => ({
      Version: "2012-10-17",
      Statement: [
        ...(b.bucketPolicy?.Statement ?? []),
        {
          Sid: "TrustA",
          Effect: "Allow" as const,
          Principal: { AWS: `arn:aws:iam::${a.accountId}:root` },
          Action: "s3:*",
          Resource: [b.bucketArn, `${b.bucketArn}/*`],
        },
      ],
    });

    it("lets it read its own bucket's replication configuration and object versions", async () => {
      expect(await read(a, a, "s3:GetReplicationConfiguration", a.bucketArn)).to.equal("Allowed");
      expect(await read(a, a, "s3:GetObjectVersionForReplication", sourceObject(a))).to.equal("Allowed");
    });

    it("refuses it account B's bucket, even when B's bucket policy trusted account A", async () => {
      expect(await read(a, b, "s3:GetObjectVersionForReplication", sourceObject(b))).to.not.equal("Allowed");
      expect(await read(a, b, "s3:GetObjectVersionForReplication", sourceObject(b), trustingA())).to.not.equal(
        "Allowed",
      );
    });

    it("can fail: with `*` as the resource of its policy it reads B's bucket once B trusts A", async () => {
      const widened = a.rolePolicies.map((p) => mutate(p, (s) => ({ ...s, Resource: "*" })));
      expect(await read(a, b, "s3:GetObjectVersionForReplication", sourceObject(b), trustingA(), widened)).to.equal(
        "Allowed",
      );
    });
  });

  describe("the replication role's keys", () => {
    /** `key` with an extra key-policy statement trusting account A's IAM: the role's own policy must still refuse. */
    const trustingA = (key: ReturnType<typeof sourceKey>) => ({
      ...key,
      policy: {
        ...key.policy,
        Statement: [
          ...key.policy.Statement,
          {
            Sid: "TrustA",
            Effect: "Allow" as const,
            Principal: { AWS: `arn:aws:iam::${a.accountId}:root` },
            Action: "kms:*",
            Resource: "*",
          },
        ],
      },
    });

    it("lets it decrypt with its own source key through S3", async () => {
      expect(await useKey(a, "kms:Decrypt", sourceKey(a), a.bucketArn)).to.equal("Allowed");
    });

    it("refuses it decryption with another account's source key, even one trusting account A", async () => {
      expect(await useKey(a, "kms:Decrypt", sourceKey(b), b.bucketArn)).to.not.equal("Allowed");
      expect(await useKey(a, "kms:Decrypt", trustingA(sourceKey(b)), b.bucketArn)).to.not.equal("Allowed");
    });

    // The role policy grants kms:Decrypt on the central key, through S3 for the central bucket only:
    // with S3 Bucket Keys S3 checks the bucket-level key with Decrypt (infra/policies/central.ts). Everything
    // else with that key is refused. See docs/review.md.
    it("refuses it decryption with the central key outside S3 or for any other bucket", async () => {
      const direct = requestContext(a.roleArn, world.organizationId, {
        "kms:CallerAccount": a.accountId,
        "kms:EncryptionContext:aws:s3:arn": world.central.bucketArn,
      });
      expect(await useKey(a, "kms:Decrypt", centralKey(), world.central.bucketArn, { context: direct })).to.not.equal(
        "Allowed",
      );
      expect(await useKey(a, "kms:Decrypt", centralKey(), a.bucketArn)).to.not.equal("Allowed");
    });

    it("lets it encrypt with the central key through S3 for the central bucket", async () => {
      expect(await useKey(a, "kms:Encrypt", centralKey(), world.central.bucketArn)).to.equal("Allowed");
    });

    it("refuses it the central key outside S3 or for another bucket", async () => {
      const direct = requestContext(a.roleArn, world.organizationId, {
        "kms:CallerAccount": a.accountId,
        "kms:EncryptionContext:aws:s3:arn": world.central.bucketArn,
      });
      expect(await useKey(a, "kms:Encrypt", centralKey(), world.central.bucketArn, { context: direct })).to.not.equal(
        "Allowed",
      );
      expect(await useKey(a, "kms:Encrypt", centralKey(), b.bucketArn)).to.not.equal("Allowed");
    });

    it("refuses it encryption with its own source key outside S3 (through S3 the key serves every principal of its account)", async () => {
      const direct = requestContext(a.roleArn, world.organizationId, {
        "kms:CallerAccount": a.accountId,
        "kms:EncryptionContext:aws:s3:arn": a.bucketArn,
      });
      expect(await useKey(a, "kms:Encrypt", sourceKey(a), a.bucketArn, { context: direct })).to.not.equal("Allowed");
    });

    it("can fail: with `*` as the resource of its KMS statements, and no conditions, it decrypts with B's key once that key trusts A", async () => {
      const widened = a.rolePolicies.map((p) =>
        mutate(p, (s) => (mentions(s, "kms:") ? { ...dropConditions(s), Resource: "*" } : s)),
      );
      expect(
        await useKey(a, "kms:Decrypt", trustingA(sourceKey(b)), b.bucketArn, { identityPolicies: widened }),
      ).to.equal("Allowed");
    });

    it("can fail: without its encryption-context condition the role may encrypt for another bucket", async () => {
      const loosened = a.rolePolicies.map((p) => mutate(p, (s) => dropConditions(s, /EncryptionContext/i)));
      const keyOpen = {
        ...centralKey(),
        policy: mutate(world.central.keyPolicy, (s) => dropConditions(s, /EncryptionContext/i)),
      };
      expect(await useKey(a, "kms:Encrypt", keyOpen, b.bucketArn, { identityPolicies: loosened })).to.equal("Allowed");
    });
  });

  describe("only the central account governs the central bucket and key", () => {
    const onBucket = (principal: string, action: string, policy = world.central.bucketPolicy) =>
      decide({
        principal,
        action,
        resource: world.central.bucketArn,
        resourceAccount: world.central.accountId,
        identityPolicies: [ALLOW_ALL],
        resourcePolicy: policy,
        context: requestContext(principal, world.organizationId),
      });
    const onKey = (principal: string, action: string, policy = world.central.keyPolicy) =>
      decide({
        principal,
        action,
        resource: world.central.keyArn,
        resourceAccount: world.central.accountId,
        identityPolicies: [ALLOW_ALL],
        resourcePolicy: policy,
        context: requestContext(principal, world.organizationId),
      });
    const governing = [
      ["bucket", "s3:PutBucketPolicy"],
      ["bucket", "s3:DeleteBucketPolicy"],
      ["key", "kms:ScheduleKeyDeletion"],
      ["key", "kms:PutKeyPolicy"],
    ] as const;

    for (const [target, action] of governing) {
      it(`refuses ${action} on the central ${target} to an administrator of a member account`, async () => {
        const admin = adminOf(a.accountId);
        expect(await (target === "bucket" ? onBucket(admin, action) : onKey(admin, action))).to.not.equal("Allowed");
      });
    }

    it("lets the central account's administrator do them (the refusals above are not vacuous)", async () => {
      const admin = adminOf(world.central.accountId);
      for (const [target, action] of governing) {
        expect(await (target === "bucket" ? onBucket(admin, action) : onKey(admin, action)), action).to.equal(
          "Allowed",
        );
      }
    });

    it("can fail: an organization-wide `s3:*`/`kms:*` grant would let a member account rewrite the policy and delete the key", async () => {
      const admin = adminOf(a.accountId);
      const orgWide = (service: string, resource: string) => ({
        Sid: "OrgWide",
        Effect: "Allow" as const,
        Principal: { AWS: "*" },
        Action: `${service}:*`,
        Resource: resource,
        Condition: { StringEquals: { "aws:PrincipalOrgID": world.organizationId } },
      });
      const bucket = {
        ...world.central.bucketPolicy,
        Statement: [...world.central.bucketPolicy.Statement, orgWide("s3", world.central.bucketArn)],
      };
      const key = {
        ...world.central.keyPolicy,
        Statement: [...world.central.keyPolicy.Statement, orgWide("kms", "*")],
      };
      expect(await onBucket(admin, "s3:PutBucketPolicy", bucket)).to.equal("Allowed");
      expect(await onKey(admin, "kms:ScheduleKeyDeletion", key)).to.equal("Allowed");
    });
  });

  describe("replication alarms reach a central topic of their own region", () => {
    interface AlarmRoute {
      readonly source: RenderedStack;
      readonly alarmArn: string;
      readonly topicArn: string;
    }
    const routes = (): AlarmRoute[] =>
      concrete
        .filter((stack) => stack.kind === "source")
        .flatMap((source) =>
          source.resources
            .filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm")
            .map((alarm) => ({
              source,
              alarmArn: `arn:aws:cloudwatch:${source.region}:${source.accountId}:alarm:${String(alarm.inputs.name)}`,
              topicArn: String((alarm.inputs.alarmActions as string[])[0]),
            })),
        );
    const central = () => concrete.find((stack) => stack.kind === "central")!;
    const topicPolicyOf = (topicArn: string): PolicyDocument | undefined => {
      const found = central().resources.find(
        (r) => r.type === "aws:sns/topicPolicy:TopicPolicy" && r.inputs.arn === topicArn,
      );
      return found?.inputs.policy as PolicyDocument | undefined;
    };
    const publish = (route: AlarmRoute, policy: PolicyDocument | undefined, context: Record<string, string> = {}) =>
      decide({
        principal: "cloudwatch.amazonaws.com",
        action: "sns:Publish",
        resource: route.topicArn,
        resourceAccount: central().accountId,
        identityPolicies: [],
        resourcePolicy: policy,
        context: {
          "aws:SourceOrgID": world.organizationId,
          "aws:SourceAccount": route.source.accountId,
          "aws:SourceArn": route.alarmArn,
          ...context,
        },
      });

    it("gives every monitored account's alarm a topic the central stack creates in the alarm's region, which admits it", async () => {
      const all = routes();
      expect(new Set(all.map((route) => route.source.region)).size, "the bundled inventory spans two regions").to.equal(
        2,
      );
      for (const route of all) {
        expect(route.topicArn.split(":")[3], route.alarmArn).to.equal(route.source.region);
        expect(topicPolicyOf(route.topicArn), `no central topic ${route.topicArn}`).to.not.equal(undefined);
        expect(await publish(route, topicPolicyOf(route.topicArn)), route.alarmArn).to.equal("Allowed");
      }
    });

    it("refuses alarms of another organization and alarms not named by this project", async () => {
      const route = routes()[0];
      const policy = topicPolicyOf(route.topicArn);
      expect(await publish(route, policy, { "aws:SourceOrgID": OUTSIDER_ORG })).to.not.equal("Allowed");
      expect(
        await publish(route, policy, { "aws:SourceArn": route.alarmArn.replace(/alarm:.*/, "alarm:someone-elses") }),
      ).to.not.equal("Allowed");
    });

    it("can fail: without the aws:SourceOrgID condition another organization's alarm may publish", async () => {
      const route = routes()[0];
      const open = mutate(topicPolicyOf(route.topicArn)!, (statement) => dropConditions(statement, /SourceOrgID/i));
      expect(await publish(route, open, { "aws:SourceOrgID": OUTSIDER_ORG })).to.equal("Allowed");
    });
  });

  describe("the backfill role", () => {
    const backfillStack = () =>
      concrete.find((stack) => stack.resources.some((r) => r.name.endsWith("-backfill-role")))!;
    const assume = (stack: RenderedStack, context: Record<string, string>, trust?: PolicyDocument) => {
      const role = stack.resources.find((r) => r.name.endsWith("-backfill-role"))!;
      return decide({
        principal: "batchoperations.s3.amazonaws.com",
        action: "sts:AssumeRole",
        resource: `arn:aws:iam::${stack.accountId}:role/${String(role.inputs.name)}`,
        resourceAccount: stack.accountId,
        identityPolicies: [],
        resourcePolicy: trust ?? (role.inputs.assumeRolePolicy as PolicyDocument),
        context,
      });
    };
    const jobOf = (stack: RenderedStack, account = stack.accountId) => ({
      "aws:SourceAccount": account,
      "aws:SourceArn": `arn:aws:s3:${stack.region}:${account}:job/5f0f1e2d-job`,
    });

    it("may be assumed by Batch Operations jobs of its own account only", async () => {
      const stack = backfillStack();
      expect(await assume(stack, jobOf(stack))).to.equal("Allowed");
      expect(await assume(stack, jobOf(stack, OUTSIDER_ACCOUNT))).to.not.equal("Allowed");
    });

    it("can fail: without the confused-deputy conditions another account's job may assume it", async () => {
      const stack = backfillStack();
      const role = stack.resources.find((r) => r.name.endsWith("-backfill-role"))!;
      const open = mutate(role.inputs.assumeRolePolicy as PolicyDocument, (statement) => dropConditions(statement));
      expect(await assume(stack, jobOf(stack, OUTSIDER_ACCOUNT), open)).to.equal("Allowed");
    });
  });
  describe("issue 10.1: objects without an S3 Bucket Key (encryption context = the object ARN)", () => {
    const objectOf = (bucketArn: string, prefix: string) => `${bucketArn}/${prefix}/reports/2026.csv`;
    /** A bucket whose name starts with the central bucket's: only the `/` before the pattern keeps it out. */
    const lookalike = () => `${world.central.bucketArn}-copy`;
    const editedRole = (edit: (value: string) => string) => a.rolePolicies.map((policy) => editContexts(policy, edit));
    const centralKeyWith = (policy: PolicyDocument) => ({ ...centralKey(), policy });

    for (const action of ["kms:Encrypt", "kms:GenerateDataKey"]) {
      it(`lets A's role ${action} with the central key for an object ARN under <central>/<A>/`, async () => {
        expect(await useKey(a, action, centralKey(), objectOf(world.central.bucketArn, a.accountId))).to.equal(
          "Allowed",
        );
      });
    }

    it("still lets it use the central key for the bucket ARN (objects with an S3 Bucket Key)", async () => {
      for (const action of ["kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"])
        expect(await useKey(a, action, centralKey(), world.central.bucketArn), action).to.equal("Allowed");
    });

    it("refuses A's role an object ARN under <central>/<B>/", async () => {
      expect(await useKey(a, "kms:Encrypt", centralKey(), objectOf(world.central.bucketArn, b.accountId))).to.not.equal(
        "Allowed",
      );
    });

    it("can fail: with <central>/* instead of <central>/<A>/* in the role policy, <B>/ is allowed (the key policy is flat)", async () => {
      const widened = editedRole((value) => value.replace(`/${a.accountId}/*`, "/*"));
      expect(
        await useKey(a, "kms:Encrypt", centralKey(), objectOf(world.central.bucketArn, b.accountId), {
          identityPolicies: widened,
        }),
      ).to.equal("Allowed");
    });

    it("refuses object ARNs of another bucket, even one whose name starts with the central bucket's", async () => {
      for (const context of [objectOf(lookalike(), a.accountId), objectOf(a.bucketArn, a.accountId)])
        expect(await useKey(a, "kms:Encrypt", centralKey(), context), context).to.not.equal("Allowed");
    });

    it("can fail: without the `/` between the bucket ARN and the pattern, the look-alike bucket is allowed", async () => {
      const noSlash = (value: string) => value.replace(/\/(\d{12}\/)?\*$/, "*");
      expect(
        await useKey(
          a,
          "kms:Encrypt",
          centralKeyWith(editContexts(world.central.keyPolicy, noSlash)),
          objectOf(lookalike(), a.accountId),
          {
            identityPolicies: editedRole(noSlash),
          },
        ),
      ).to.equal("Allowed");
    });

    it("the key policy alone (a role that widened its own policy) admits the central bucket's objects and nothing else", async () => {
      const widenedRole = { identityPolicies: [ALLOW_ALL] };
      // Flat in the number of accounts: any prefix of the central bucket; the bucket policy refuses the write itself.
      expect(
        await useKey(a, "kms:Encrypt", centralKey(), objectOf(world.central.bucketArn, b.accountId), widenedRole),
      ).to.equal("Allowed");
      expect(await replicate(a, "s3:ReplicateObject", centralObject(b.accountId), widenedRole)).to.not.equal("Allowed");
      expect(
        await useKey(a, "kms:Encrypt", centralKey(), objectOf(lookalike(), a.accountId), widenedRole),
      ).to.not.equal("Allowed");
    });

    it("can fail: with `*` as the key policy's encryption context, a role that widened its policy may use it for any bucket", async () => {
      const anyContext = centralKeyWith(editContexts(world.central.keyPolicy, () => "*"));
      for (const context of [objectOf(lookalike(), a.accountId), objectOf(a.bucketArn, a.accountId)])
        expect(
          await useKey(a, "kms:Encrypt", anyContext, context, { identityPolicies: [ALLOW_ALL] }),
          context,
        ).to.equal("Allowed");
    });

    it("lets A's role decrypt with its source key for an object ARN under <source>/<A>/", async () => {
      expect(await useKey(a, "kms:Decrypt", sourceKey(a), objectOf(a.bucketArn, a.accountId))).to.equal("Allowed");
    });

    // The source key policy lets every principal of the account use the key through S3 (like aws/s3), so
    // on the source key the role's own statement matters only where a key policy merely delegates to IAM:
    // an adopted bucket's other keys, or a source key policy someone narrowed. Proven against such a key.
    const delegatingOnly = () => ({
      ...sourceKey(a),
      policy: mutate(a.keyPolicy, (s) => (s.Sid === "AccountAdministersKeyThroughIam" ? s : undefined)),
    });

    it("with a key policy that only delegates to IAM, the role's statement still admits the bucket ARN and <A>/ objects", async () => {
      expect(await useKey(a, "kms:Decrypt", delegatingOnly(), a.bucketArn)).to.equal("Allowed");
      expect(await useKey(a, "kms:Decrypt", delegatingOnly(), objectOf(a.bucketArn, a.accountId))).to.equal("Allowed");
    });

    it("and refuses objects of its bucket outside <A>/ (never replicated) and objects of another bucket", async () => {
      expect(await useKey(a, "kms:Decrypt", delegatingOnly(), objectOf(a.bucketArn, "elsewhere"))).to.not.equal(
        "Allowed",
      );
      expect(await useKey(a, "kms:Decrypt", delegatingOnly(), objectOf(b.bucketArn, a.accountId))).to.not.equal(
        "Allowed",
      );
    });

    it("can fail: with <source>/* the role decrypts outside <A>/; with `*` for another bucket", async () => {
      const wholeBucket = editedRole((value) => value.replace(`/${a.accountId}/*`, "/*"));
      expect(
        await useKey(a, "kms:Decrypt", delegatingOnly(), objectOf(a.bucketArn, "elsewhere"), {
          identityPolicies: wholeBucket,
        }),
      ).to.equal("Allowed");
      const anyBucket = editedRole(() => "*");
      expect(
        await useKey(a, "kms:Decrypt", delegatingOnly(), objectOf(b.bucketArn, a.accountId), {
          identityPolicies: anyBucket,
        }),
      ).to.equal("Allowed");
    });
  });

  describe("issue 10.2: the trusts hold whether or not the service sends aws:SourceAccount / aws:SourceArn", () => {
    interface TrustCase {
      readonly name: string;
      readonly service: string;
      readonly roleArn: () => string;
      readonly account: () => string;
      readonly trust: () => PolicyDocument;
      /** The keys as the service would send them for its own resource. */
      readonly right: () => Record<string, string>;
      readonly otherArn: () => string;
    }
    const backfill = () => {
      const stack = concrete.find((s) => s.resources.some((r) => r.name.endsWith("-backfill-role")))!;
      const role = stack.resources.find((r) => r.name.endsWith("-backfill-role"))!;
      return { stack, role };
    };
    const cases: TrustCase[] = [
      {
        name: "replication role (s3.amazonaws.com)",
        service: "s3.amazonaws.com",
        roleArn: () => a.roleArn,
        account: () => a.accountId,
        trust: () => a.trustPolicy,
        right: () => ({ "aws:SourceAccount": a.accountId, "aws:SourceArn": a.bucketArn }),
        otherArn: () => b.bucketArn,
      },
      {
        name: "Batch Replication role (batchoperations.s3.amazonaws.com)",
        service: "batchoperations.s3.amazonaws.com",
        roleArn: () => `arn:aws:iam::${backfill().stack.accountId}:role/${String(backfill().role.inputs.name)}`,
        account: () => backfill().stack.accountId,
        trust: () => backfill().role.inputs.assumeRolePolicy as PolicyDocument,
        right: () => ({
          "aws:SourceAccount": backfill().stack.accountId,
          "aws:SourceArn": `arn:aws:s3:${backfill().stack.region}:${backfill().stack.accountId}:job/5f0f1e2d-job`,
        }),
        otherArn: () => `arn:aws:s3:${backfill().stack.region}:${OUTSIDER_ACCOUNT}:job/5f0f1e2d-job`,
      },
    ];

    for (const c of cases) {
      const assume = (context: Record<string, string>, trust = c.trust()) =>
        decide({
          principal: c.service,
          action: "sts:AssumeRole",
          resource: c.roleArn(),
          resourceAccount: c.account(),
          identityPolicies: [],
          resourcePolicy: trust,
          context,
        });

      describe(c.name, () => {
        it("lets the service assume it with the keys present and right", async () => {
          expect(await assume(c.right())).to.equal("Allowed");
        });

        it("lets it assume it with the keys absent, or only one of them sent", async () => {
          expect(await assume({})).to.equal("Allowed");
          expect(await assume({ "aws:SourceAccount": c.right()["aws:SourceAccount"] })).to.equal("Allowed");
          expect(await assume({ "aws:SourceArn": c.right()["aws:SourceArn"] })).to.equal("Allowed");
        });

        it("can fail: with the plain (not IfExists) conditions, absent keys lock the service out", async () => {
          expect(await assume({}, mutate(c.trust(), strictForm))).to.not.equal("Allowed");
        });

        it("refuses a wrong aws:SourceAccount, and a wrong aws:SourceArn", async () => {
          expect(await assume({ ...c.right(), "aws:SourceAccount": OUTSIDER_ACCOUNT })).to.not.equal("Allowed");
          expect(await assume({ ...c.right(), "aws:SourceArn": c.otherArn() })).to.not.equal("Allowed");
        });

        it("can fail: without the aws:SourceAccount condition a wrong account passes; without aws:SourceArn a wrong resource", async () => {
          const noAccount = mutate(c.trust(), (s) => dropConditions(s, /SourceAccount/));
          expect(await assume({ ...c.right(), "aws:SourceAccount": OUTSIDER_ACCOUNT }, noAccount)).to.equal("Allowed");
          const noArn = mutate(c.trust(), (s) => dropConditions(s, /SourceArn/));
          expect(await assume({ ...c.right(), "aws:SourceArn": c.otherArn() }, noArn)).to.equal("Allowed");
        });
      });
    }

    describe("alarm topic (cloudwatch.amazonaws.com)", () => {
      const central = () => concrete.find((stack) => stack.kind === "central")!;
      /** The first monitored account's alarm and the central topic of its region. */
      const route = () => {
        const source = concrete.find(
          (stack) =>
            stack.kind === "source" && stack.resources.some((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm"),
        )!;
        const alarm = source.resources.find((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm")!;
        const topicArn = String((alarm.inputs.alarmActions as string[])[0]);
        const policy = central().resources.find(
          (r) => r.type === "aws:sns/topicPolicy:TopicPolicy" && r.inputs.arn === topicArn,
        )!.inputs.policy as PolicyDocument;
        return {
          accountId: source.accountId,
          alarmArn: `arn:aws:cloudwatch:${source.region}:${source.accountId}:alarm:${String(alarm.inputs.name)}`,
          topicArn,
          policy,
        };
      };
      const publish = (context: Record<string, string>, policy = route().policy) =>
        decide({
          principal: "cloudwatch.amazonaws.com",
          action: "sns:Publish",
          resource: route().topicArn,
          resourceAccount: central().accountId,
          identityPolicies: [],
          resourcePolicy: policy,
          context,
        });
      /** What CloudWatch documents it sends for an alarm action: the alarm ARN and its account. */
      const documented = () => ({ "aws:SourceArn": route().alarmArn, "aws:SourceAccount": route().accountId });

      it("admits the monitored account's alarm with aws:SourceOrgID present and right, and with it absent", async () => {
        expect(await publish({ ...documented(), "aws:SourceOrgID": world.organizationId })).to.equal("Allowed");
        expect(await publish(documented())).to.equal("Allowed");
      });

      it("can fail: with aws:SourceOrgID as a plain condition, an alarm whose action carries no org id is refused", async () => {
        expect(await publish(documented(), mutate(route().policy, strictForm))).to.not.equal("Allowed");
      });

      it("refuses aws:SourceOrgID present and wrong", async () => {
        expect(await publish({ ...documented(), "aws:SourceOrgID": OUTSIDER_ORG })).to.not.equal("Allowed");
      });

      it("refuses an account it does not list, named like ours, when no org id is sent (not every AWS account)", async () => {
        const outsiderAlarm = route().alarmArn.replace(route().accountId, OUTSIDER_ACCOUNT);
        expect(await publish({ "aws:SourceArn": outsiderAlarm, "aws:SourceAccount": OUTSIDER_ACCOUNT })).to.not.equal(
          "Allowed",
        );
      });

      it("can fail: without the aws:SourceAccount list, any account's alarm named org-s3-backup-* may publish", async () => {
        const outsiderAlarm = route().alarmArn.replace(route().accountId, OUTSIDER_ACCOUNT);
        const open = mutate(route().policy, (s) => dropConditions(s, /SourceAccount/));
        expect(await publish({ "aws:SourceArn": outsiderAlarm, "aws:SourceAccount": OUTSIDER_ACCOUNT }, open)).to.equal(
          "Allowed",
        );
      });

      it("refuses a listed account's alarm that is not this project's", async () => {
        const foreign = route().alarmArn.replace(/alarm:.*/, "alarm:someone-elses");
        expect(await publish({ ...documented(), "aws:SourceArn": foreign })).to.not.equal("Allowed");
      });

      it("can fail: with `*` for aws:SourceArn, a listed account's other alarms may publish", async () => {
        const foreign = route().alarmArn.replace(/alarm:.*/, "alarm:someone-elses");
        const anyAlarm = mutate(route().policy, (s) =>
          setCondition(s, "aws:SourceArn", "arn:aws:cloudwatch:*:*:alarm:*"),
        );
        expect(await publish({ ...documented(), "aws:SourceArn": foreign }, anyAlarm)).to.equal("Allowed");
      });

      it("admits an organization account it does not list when CloudWatch sends the organization id", async () => {
        const unlisted = route().alarmArn.replace(route().accountId, OUTSIDER_ACCOUNT);
        expect(
          await publish({
            "aws:SourceArn": unlisted,
            "aws:SourceAccount": OUTSIDER_ACCOUNT,
            "aws:SourceOrgID": world.organizationId,
          }),
        ).to.equal("Allowed");
      });

      it("can fail: without the organization statement that account is refused", async () => {
        const unlisted = route().alarmArn.replace(route().accountId, OUTSIDER_ACCOUNT);
        const listedOnly = mutate(route().policy, (s) => (s.Sid === "OrganizationAlarmsPublish" ? undefined : s));
        expect(
          await publish(
            {
              "aws:SourceArn": unlisted,
              "aws:SourceAccount": OUTSIDER_ACCOUNT,
              "aws:SourceOrgID": world.organizationId,
            },
            listedOnly,
          ),
        ).to.not.equal("Allowed");
      });

      it("refuses an action without aws:SourceAccount (documented as sent by CloudWatch, so a hard condition)", async () => {
        expect(await publish({ "aws:SourceArn": route().alarmArn })).to.not.equal("Allowed");
      });

      it("can fail: without the aws:SourceAccount condition that action passes", async () => {
        const open = mutate(route().policy, (s) => dropConditions(s, /SourceAccount/));
        expect(await publish({ "aws:SourceArn": route().alarmArn }, open)).to.equal("Allowed");
      });
    });
  });

  describe("issue 10.3: no bucket-level grant on the central bucket, to anyone outside the central account", () => {
    const BUCKET_LEVEL = [
      "s3:GetBucketVersioning",
      "s3:PutBucketVersioning",
      "s3:ListBucket",
      "s3:ListBucketVersions",
      "s3:GetBucketPolicy",
      "s3:GetReplicationConfiguration",
      "s3:GetBucketObjectLockConfiguration",
      "s3:PutBucketObjectLockConfiguration",
      "s3:PutLifecycleConfiguration",
    ];
    const onBucket = (
      principal: string,
      action: string,
      identityPolicies: readonly PolicyDocument[],
      policy = world.central.bucketPolicy,
    ) =>
      decide({
        principal,
        action,
        resource: world.central.bucketArn,
        resourceAccount: world.central.accountId,
        identityPolicies,
        resourcePolicy: policy,
        context: requestContext(principal, world.organizationId),
      });
    /**
     * The grant AWS's cross-account walkthrough shows, read-only: what docs/infrastructure.md says to add if a
     * live `up` needs it.
     */
    const withVersioningRead = (): PolicyDocument => ({
      ...world.central.bucketPolicy,
      Statement: [
        ...world.central.bucketPolicy.Statement,
        {
          Sid: "OrgReadsVersioningOfBackupBucket",
          Effect: "Allow",
          Principal: { AWS: "*" },
          Action: "s3:GetBucketVersioning",
          Resource: world.central.bucketArn,
          Condition: { StringEquals: { "aws:PrincipalOrgID": world.organizationId } },
        },
      ],
    });

    it("refuses every bucket-level action to a member account's administrator and to its replication role", async () => {
      for (const action of BUCKET_LEVEL) {
        expect(await onBucket(adminOf(a.accountId), action, [ALLOW_ALL]), `admin ${action}`).to.not.equal("Allowed");
        expect(await onBucket(a.roleArn, action, a.rolePolicies), `role ${action}`).to.not.equal("Allowed");
      }
    });

    it("can fail: the read-only fallback grant allows s3:GetBucketVersioning, and nothing else of the list", async () => {
      const admin = adminOf(a.accountId);
      expect(await onBucket(admin, "s3:GetBucketVersioning", [ALLOW_ALL], withVersioningRead())).to.equal("Allowed");
      for (const action of BUCKET_LEVEL.filter((x) => x !== "s3:GetBucketVersioning"))
        expect(await onBucket(admin, action, [ALLOW_ALL], withVersioningRead()), action).to.not.equal("Allowed");
    });
  });

  describe("issue 10.5: Object Lock reads on the source", () => {
    const adopted = () => {
      const found = world.sources.find((source) => source.adopted);
      if (!found) throw new Error("the bundled inventory has no adopted bucket");
      return found;
    };
    const readLock = (
      actor: ProofSource,
      target: ProofSource,
      action: string,
      identity = actor.rolePolicies,
      targetPolicy = target.bucketPolicy,
    ) =>
      decide({
        principal: actor.roleArn,
        action,
        resource: sourceObject(target),
        resourceAccount: target.accountId,
        identityPolicies: identity,
        resourcePolicy: targetPolicy,
        context: requestContext(actor.roleArn, world.organizationId),
      });
    /** `target`'s bucket policy plus a statement trusting all of `actor`'s account. */
    const trusting = (target: ProofSource, actor: ProofSource): PolicyDocument => ({
      Version: "2012-10-17",
      Statement: [
        ...(target.bucketPolicy?.Statement ?? []),
        {
          Sid: "TrustActor",
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${actor.accountId}:root` },
          Action: "s3:*",
          Resource: [target.bucketArn, `${target.bucketArn}/*`],
        },
      ],
    });
    const LOCK_READS = ["s3:GetObjectRetention", "s3:GetObjectLegalHold"];

    it("lets an adopted bucket's role read retention and legal hold of its own objects (the bucket may have Object Lock)", async () => {
      for (const action of LOCK_READS) expect(await readLock(adopted(), adopted(), action), action).to.equal("Allowed");
    });

    it("can fail: without the two actions the adopted bucket's locked objects could not replicate", async () => {
      const stripped = adopted().rolePolicies.map((p) =>
        mutate(p, (s) => ({ ...s, Action: [s.Action ?? []].flat().filter((x) => !LOCK_READS.includes(x)) })),
      );
      for (const action of LOCK_READS)
        expect(await readLock(adopted(), adopted(), action, stripped), action).to.not.equal("Allowed");
    });

    it("does not grant them to a created bucket's role while the central bucket has no Object Lock", async () => {
      const created = world.sources.find((source) => !source.adopted)!;
      if (centralObjectLock) throw new Error("the bundled central bucket has Object Lock: this case needs one without");
      for (const action of LOCK_READS) expect(await readLock(created, created, action), action).to.not.equal("Allowed");
    });

    it("can fail: the same role once the central bucket has Object Lock reads them", async () => {
      const created = world.sources.find((source) => !source.adopted)!;
      const locked = replicationRolePolicy({
        accountId: created.accountId,
        region: created.region,
        bucketName: created.bucketName,
        sourceKmsKeyArn: created.keyArn,
        centralRegion: world.central.region,
        centralBucketArn: world.central.bucketArn,
        centralKmsKeyArn: world.central.keyArn,
        centralObjectLock: true,
        sourceObjectLock: false,
      });
      for (const action of LOCK_READS)
        expect(await readLock(created, created, action, [locked]), action).to.equal("Allowed");
    });

    it("refuses the adopted bucket's role another account's objects, even when that bucket trusts its account", async () => {
      const other = world.sources.find((source) => source.accountId !== adopted().accountId)!;
      for (const action of LOCK_READS)
        expect(
          await readLock(adopted(), other, action, adopted().rolePolicies, trusting(other, adopted())),
          action,
        ).to.not.equal("Allowed");
    });

    it("can fail: with `*` as the resource of its policy it reads them there", async () => {
      const other = world.sources.find((source) => source.accountId !== adopted().accountId)!;
      const widened = adopted().rolePolicies.map((p) => mutate(p, (s) => ({ ...s, Resource: "*" })));
      for (const action of LOCK_READS)
        expect(await readLock(adopted(), other, action, widened, trusting(other, adopted())), action).to.equal(
          "Allowed",
        );
    });
  });

  describe("issue 10.7: kms:ViaService in China is s3.<region>.amazonaws.com", () => {
    const region = "cn-north-1";
    const account = "111111111111";
    const principal = `arn:aws-cn:iam::${account}:role/app`;
    /** A principal of the key's account decrypting through S3, with the ViaService value KMS sends. */
    const decrypt = (policy: PolicyDocument, viaService: string) =>
      decide({
        principal,
        action: "kms:Decrypt",
        resource: `arn:aws-cn:kms:${region}:${account}:key/k`,
        resourceAccount: account,
        identityPolicies: [],
        resourcePolicy: policy,
        context: requestContext(principal, world.organizationId, {
          "kms:ViaService": viaService,
          "kms:CallerAccount": account,
        }),
      });

    it("lets the account's principals use its key through S3 with the value the KMS guide gives for every partition", async () => {
      expect(await decrypt(sourceKmsKeyPolicy({ accountId: account, region }), `s3.${region}.amazonaws.com`)).to.equal(
        "Allowed",
      );
    });

    it("can fail: a policy written with the partition's endpoint suffix (amazonaws.com.cn) refuses that value", async () => {
      const withCnSuffix = mutate(sourceKmsKeyPolicy({ accountId: account, region }), (s) =>
        editConditionValues(s, /ViaService/, (value) => `${value}.cn`),
      );
      expect(await decrypt(withCnSuffix, `s3.${region}.amazonaws.com`)).to.not.equal("Allowed");
    });
  });
});

describe("policy proof harness", () => {
  const role = "arn:aws:iam::111111111111:role/r";
  const key = "arn:aws:kms:eu-west-1:999999999999:key/k";
  const encrypt = (policyValue: string, requestValue: string) =>
    decide({
      principal: role,
      action: "kms:Encrypt",
      resource: key,
      resourceAccount: "111111111111",
      identityPolicies: [
        {
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Action: "kms:Encrypt",
              Resource: key,
              Condition: { StringEquals: { "kms:EncryptionContext:aws:s3:arn": policyValue } },
            },
          ],
        },
      ],
      resourcePolicy: {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { AWS: "arn:aws:iam::111111111111:root" }, Action: "kms:*", Resource: "*" },
        ],
      },
      context: requestContext(role, "o-a1b2c3d4e5", { "kms:EncryptionContext:aws:s3:arn": requestValue }),
    });

  it("evaluates kms:EncryptionContext conditions instead of dropping them", async () => {
    expect(await encrypt("arn:aws:s3:::a", "arn:aws:s3:::a")).to.equal("Allowed");
    expect(await encrypt("arn:aws:s3:::a", "arn:aws:s3:::b")).to.equal("ImplicitlyDenied");
  });

  it("throws on a policy the evaluator rejects rather than counting it as a denial", async () => {
    let error: Error | undefined;
    try {
      await decide({
        principal: role,
        action: "s3:GetObject",
        resource: "arn:aws:s3:::b/k",
        resourceAccount: "111111111111",
        identityPolicies: [
          { Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*", Condition: null as never }] },
        ],
        context: {},
      });
    } catch (caught) {
      error = caught as Error;
    }
    expect(error?.message).to.contain("iam-simulate rejected the request");
  });
});
