import { expect } from "chai";
import { planStacks } from "../../automation/driver/plan";
import { type RenderedStack, renderStacks } from "../../automation/review/render";
import { stackProgram } from "../../automation/review/render-program";
import type { PolicyDocument, Statement } from "../../infra/policies/document";
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

describe("policy proof (iam-simulate on the rendered bundled inventory)", () => {
  before(async function () {
    this.timeout(60_000);
    const inventory = await bundledInventory();
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

    it("refuses account A's replication role under <central>/<B>/ even if its own policy allowed everything", async () => {
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

    it("can fail: without s3:ObjectOwnerOverrideToBucketOwner in the bucket policy the override is refused", async () => {
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
