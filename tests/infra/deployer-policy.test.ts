import { expect } from "chai";
import { iamCommand } from "../../automation/cli/commands/iam";
import { ExitCode } from "../../automation/cli/exit-codes";
import { CANARY_FOLDER as VERIFY_CANARY_FOLDER, canaryKey } from "../../automation/day-two/verify";
import { planStacks } from "../../automation/driver/plan";
import { type RenderedResource, type RenderedStack, renderStacks } from "../../automation/review/render";
import { stackProgram } from "../../automation/review/render-program";
import type { Inventory } from "../../config/types";
import { backfillRoleArn } from "../../infra/policies/backfill";
import {
  CANARY_FOLDER,
  DEPLOYER_ACCOUNTS,
  DEPLOYER_PERMISSIONS,
  type DeployerAccount,
  type DeployerScope,
  deployerPolicy,
  deployerTarget,
  IAM_POLICY_LIMITS,
  MAX_LISTED_BUCKETS,
  permissionsFor,
  policyCharacters,
  SCOPE_STATEMENTS,
} from "../../infra/policies/deployer";
import {
  accountRootStatement,
  type PolicyDocument,
  partitionInfo,
  policyDocument,
} from "../../infra/policies/document";
import { bundledInventory } from "../support/bundled-inventory";
import { capturedIo } from "../support/captured-io";
import { ALLOW_ALL, concretize, type Decision, decide, requestContext } from "../support/iam-proof";
import { centralAccount, inventory, ORG_ID, sourceAccount } from "../support/inventory-fixture";

/**
 * The deploy role's policy (`org-s3-backup iam deployer`): its table covers every resource type the
 * program renders, every action of the table is allowed on the resources the rendered program really
 * names (proved with iam-simulate, an evaluator we did not write), destroying data is not, and the
 * document fits IAM's size limits.
 */

const kindOf = (stack: RenderedStack) => stack.kind as DeployerAccount;

/** The bundled inventory, and one that turns on what it leaves off (Object Lock, lifecycle, backfill everywhere). */
async function renders(): Promise<{ inventory: Inventory; stacks: RenderedStack[] }[]> {
  const bundled = await bundledInventory();
  const everything = inventory({
    central: {
      objectLock: { mode: "GOVERNANCE", days: 30 },
      noncurrentVersions: { transitionAfterDays: 30, transitionStorageClass: "GLACIER_IR", expireAfterDays: 365 },
    },
    sources: [
      sourceAccount("111111111111", { backfill: { enabled: true } }),
      sourceAccount("222222222222", { region: "us-east-1", monitoring: { enabled: true } }),
    ],
  });
  const out = [];
  for (const inv of [bundled, everything])
    out.push({ inventory: inv, stacks: await renderStacks(inv, planStacks(inv), stackProgram) });
  return out;
}

/** `kind type` of every cloud resource a render creates. */
function renderedTypes(stacks: readonly RenderedStack[]): Set<string> {
  return new Set(stacks.flatMap((s) => s.resources.filter((r) => r.custom).map((r) => `${kindOf(s)} ${r.type}`)));
}

function tableTypes(): Set<string> {
  return new Set(DEPLOYER_ACCOUNTS.flatMap((account) => permissionsFor(account).map((e) => `${account} ${e.type}`)));
}

describe("deploy role policy (iam deployer)", () => {
  let rendered: { inventory: Inventory; stacks: RenderedStack[] }[];
  before(async () => {
    rendered = await renders();
  });

  describe("the table covers the program", () => {
    it("lists every resource type a render of the bundled inventory creates, for the stack kind it is in", () => {
      const [bundled] = rendered;
      const missing = [...renderedTypes(bundled.stacks)].filter((t) => !tableTypes().has(t));
      expect(missing, "resource types without permissions in DEPLOYER_PERMISSIONS").to.deep.equal([]);
    });

    it("has no entry the program never renders (every option turned on)", () => {
      const all = new Set(rendered.flatMap((r) => [...renderedTypes(r.stacks)]));
      expect([...tableTypes()].filter((t) => !all.has(t))).to.deep.equal([]);
    });

    it("fails for a resource type that is not in the table (the check can fail)", () => {
      const [bundled] = rendered;
      const withNew = bundled.stacks.map((s, i) =>
        i === 0
          ? {
              ...s,
              resources: [
                ...s.resources,
                { type: "aws:s3/bucketLogging:BucketLogging", name: "x", custom: true, inputs: {} },
              ],
            }
          : s,
      );
      const missing = [...renderedTypes(withNew)].filter((t) => !tableTypes().has(t));
      expect(missing).to.deep.equal(["central aws:s3/bucketLogging:BucketLogging"]);
    });

    it("keeps verify's canary folder in step with the policy's", () => {
      expect(CANARY_FOLDER).to.equal(VERIFY_CANARY_FOLDER);
    });
  });

  describe("iam-simulate: every action of the table is allowed where the program uses it", () => {
    for (const dayTwo of [false, true]) {
      it(`${dayTwo ? "with --day-two: " : ""}each grant of each rendered resource, on that resource's real ARNs`, async () => {
        let checked = 0;
        for (const { inventory: inv, stacks } of rendered) {
          const concrete = concretize(stacks);
          for (const stack of concrete) {
            const account = stack.kind as DeployerAccount;
            const policy = deployerPolicy(deployerTarget(inv, account), { dayTwo });
            const entries = permissionsFor(account, { dayTwo });
            for (const resource of stack.resources.filter((r) => r.custom)) {
              const entry = entries.find((e) => e.type === resource.type);
              expect(entry, resource.type).to.not.equal(undefined);
              for (const grant of entry?.grants ?? []) {
                for (const action of grant.actions) {
                  for (const target of samples(grant.scope, action, stack, resource, inv)) {
                    const decision = await run(policy, stack.accountId, action, target);
                    expect(decision, `${stack.stack} ${resource.type} ${action} on ${target.resource}`).to.equal(
                      "Allowed",
                    );
                    checked += 1;
                  }
                }
              }
            }
            if (!dayTwo) continue;
            for (const entry of entries.filter((e) => e.type.startsWith("org-s3-backup "))) {
              for (const grant of entry.grants) {
                for (const action of grant.actions) {
                  for (const target of dayTwoSamples(grant.scope, action, stack, inv)) {
                    expect(
                      await run(policy, stack.accountId, action, target),
                      `${entry.type} ${action} on ${target.resource}`,
                    ).to.equal("Allowed");
                    checked += 1;
                  }
                }
              }
            }
          }
        }
        expect(checked).to.be.greaterThan(dayTwo ? 250 : 200);
      });
    }
  });

  describe("iam-simulate: what the policy does not allow", () => {
    let inv: Inventory;
    let source: PolicyDocument;
    let central: PolicyDocument;
    const bucket = "arn:aws:s3:::acme-data-111111111111";
    const key = "arn:aws:kms:eu-west-1:111111111111:key/k-1";
    before(async () => {
      inv = await bundledInventory();
      source = deployerPolicy(deployerTarget(inv, "source"), { dayTwo: true });
      central = deployerPolicy(deployerTarget(inv, "central"), { dayTwo: true });
    });

    it("never deletes a bucket or schedules a key's deletion, even next to an administrator policy", async () => {
      for (const [policy, account, b, k] of [
        [source, "111111111111", bucket, key],
        [central, "999999999999", `arn:aws:s3:::${inv.central.bucketName}`, "arn:aws:kms:eu-west-1:999999999999:key/c"],
      ] as const) {
        expect(await run(policy, account, "s3:DeleteBucket", { resource: b })).to.equal("ExplicitlyDenied");
        expect(await run(policy, account, "kms:ScheduleKeyDeletion", { resource: k, keyPolicy: true })).to.equal(
          "ExplicitlyDenied",
        );
        expect(await run(policy, account, "s3:DeleteBucket", { resource: b }, [ALLOW_ALL])).to.equal(
          "ExplicitlyDenied",
        );
        expect(
          await run(policy, account, "kms:ScheduleKeyDeletion", { resource: k, keyPolicy: true }, [ALLOW_ALL]),
        ).to.equal("ExplicitlyDenied");
      }
    });

    it("does not grant them in its Allow statements either, and flips when a mutation does (the proof can fail)", async () => {
      const withoutDenies = allowsOnly(source);
      expect(await run(withoutDenies, "111111111111", "s3:DeleteBucket", { resource: bucket })).to.equal(
        "ImplicitlyDenied",
      );
      expect(
        await run(withoutDenies, "111111111111", "kms:ScheduleKeyDeletion", { resource: key, keyPolicy: true }),
      ).to.equal("ImplicitlyDenied");
      const mutated = addActions(withoutDenies, SCOPE_STATEMENTS.buckets, ["s3:DeleteBucket"]);
      expect(await run(mutated, "111111111111", "s3:DeleteBucket", { resource: bucket })).to.equal("Allowed");
      const mutatedKeys = addActions(withoutDenies, SCOPE_STATEMENTS.keys, ["kms:ScheduleKeyDeletion"]);
      expect(
        await run(mutatedKeys, "111111111111", "kms:ScheduleKeyDeletion", { resource: key, keyPolicy: true }),
      ).to.equal("Allowed");
      // The same mutations with the Deny statements kept: still denied.
      const guarded = addActions(source, SCOPE_STATEMENTS.buckets, ["s3:DeleteBucket"]);
      expect(await run(guarded, "111111111111", "s3:DeleteBucket", { resource: bucket })).to.equal("ExplicitlyDenied");
    });

    it("deletes objects only under verify's canary prefix", async () => {
      const canary = `${bucket}/${canaryKey("111111111111", "run-1")}`;
      expect(await run(source, "111111111111", "s3:DeleteObjectVersion", { resource: canary })).to.equal("Allowed");
      expect(
        await run(source, "111111111111", "s3:DeleteObjectVersion", { resource: `${bucket}/111111111111/data.bin` }, [
          ALLOW_ALL,
        ]),
      ).to.equal("ExplicitlyDenied");
      expect(
        await run(source, "111111111111", "s3:PutObject", { resource: `${bucket}/111111111111/data.bin` }),
      ).to.equal("ImplicitlyDenied");
    });

    it("changes a key's policy only behind our alias, and only in its own account", async () => {
      const ours = {
        resource: key,
        keyPolicy: true,
        context: { "kms:ResourceAliases": ["alias/org-s3-backup-source"] },
      };
      expect(await run(source, "111111111111", "kms:PutKeyPolicy", ours)).to.equal("Allowed");
      const other = { ...ours, context: { "kms:ResourceAliases": ["alias/payments-db"] } };
      expect(await run(source, "111111111111", "kms:PutKeyPolicy", other)).to.equal("ImplicitlyDenied");
      // The account field is `*`, yet another account's key trusts only that account: denied.
      const foreign = {
        ...ours,
        resource: "arn:aws:kms:eu-west-1:222222222222:key/k-2",
        resourceAccount: "222222222222",
      };
      expect(await run(source, "111111111111", "kms:PutKeyPolicy", foreign)).to.equal("ImplicitlyDenied");
    });

    it("passes the replication role to S3 only, the batch role to Batch Operations only", async () => {
      const replication = "arn:aws:iam::111111111111:role/org-s3-backup-replication";
      const batch = backfillRoleArn("111111111111");
      const pass = (resource: string, service: string) =>
        run(source, "111111111111", "iam:PassRole", { resource, context: { "iam:PassedToService": service } });
      expect(await pass(replication, "s3.amazonaws.com")).to.equal("Allowed");
      expect(await pass(replication, "ec2.amazonaws.com")).to.equal("ImplicitlyDenied");
      expect(await pass(batch, "batchoperations.s3.amazonaws.com")).to.equal("Allowed");
      expect(await pass(batch, "s3.amazonaws.com")).to.equal("ImplicitlyDenied");
      expect(await pass("arn:aws:iam::111111111111:role/Admin", "s3.amazonaws.com")).to.equal("ImplicitlyDenied");
    });

    it("cannot assume the roles it writes, even when their trust would let it", async () => {
      const replication = "arn:aws:iam::111111111111:role/org-s3-backup-replication";
      const trustingTheDeployer = policyDocument({
        Effect: "Allow",
        Principal: { AWS: DEPLOYER("111111111111") },
        Action: "sts:AssumeRole",
      });
      expect(
        await run(source, "111111111111", "sts:AssumeRole", {
          resource: replication,
          resourcePolicy: trustingTheDeployer,
        }),
      ).to.equal("ExplicitlyDenied");
      expect(
        await run(allowsOnly(source), "111111111111", "sts:AssumeRole", {
          resource: replication,
          resourcePolicy: trustingTheDeployer,
        }),
        "without the Deny the trust policy alone would let it",
      ).to.equal("Allowed");
    });

    it("touches no bucket but ours", async () => {
      expect(
        await run(source, "111111111111", "s3:PutBucketPolicy", { resource: "arn:aws:s3:::payments-ledger" }),
      ).to.equal("ImplicitlyDenied");
      expect(
        await run(source, "111111111111", "s3:PutBucketPolicy", { resource: "arn:aws:s3:::acme-data-222222222222" }),
      ).to.equal("ImplicitlyDenied");
      expect(
        await run(source, "222222222222", "s3:PutBucketPolicy", { resource: "arn:aws:s3:::acme-data-222222222222" }),
      ).to.equal("Allowed");
    });
  });

  describe("size", () => {
    it("fits a managed policy (6,144) even with white space, and central + source fit one role's inline budget (10,240)", async () => {
      const inv = await bundledInventory();
      for (const dayTwo of [false, true]) {
        const both = DEPLOYER_ACCOUNTS.map((account) => deployerPolicy(deployerTarget(inv, account), { dayTwo }));
        for (const policy of both) {
          expect(JSON.stringify(policy, null, 2).length).to.be.below(IAM_POLICY_LIMITS.managed);
        }
        expect(both.map(policyCharacters).reduce((a, b) => a + b)).to.be.below(IAM_POLICY_LIMITS.inlineRoleAggregate);
      }
    });

    it("stays the same size for 3 or 5,000 source accounts named by one template", () => {
      const sized = (count: number) =>
        policyCharacters(deployerPolicy(deployerTarget(inventory({ count }), "source"), { dayTwo: true }));
      expect(sized(5000)).to.equal(sized(3));
    });

    it("falls back to any bucket, and says so, when bucket names follow no template", () => {
      const sources = Array.from({ length: MAX_LISTED_BUCKETS + 1 }, (_, i) =>
        sourceAccount(String(100000000000 + i), { bucket: { name: `legacy-bucket-${i}`, existing: true } }),
      );
      const target = deployerTarget(inventory({ sources }), "source");
      expect(target.bucketNames).to.deep.equal(["*"]);
      expect(target.bucketsWidenedBecause).to.equal(
        "26 distinct source bucket names (more than 25) do not follow one template with {accountId}: " +
          "listing them would not fit IAM's policy size limits",
      );
      const policy = deployerPolicy(target, { dayTwo: true });
      expect(policyCharacters(policy)).to.be.below(IAM_POLICY_LIMITS.managed);
      const listed = deployerTarget(inventory({ sources: sources.slice(0, MAX_LISTED_BUCKETS) }), "source");
      expect(listed.bucketNames).to.have.length(MAX_LISTED_BUCKETS);
    });
  });

  describe("the iam command", () => {
    const io = () => {
      const captured = capturedIo({}, "/");
      return { io: captured.io, out: captured.stdout, err: captured.stderr };
    };
    const command = iamCommand(async () => inventory({ central: centralAccount() }));

    it("prints the policy as JSON ready for put-role-policy, and its size on stderr", async () => {
      const c = io();
      expect(await command.run(["deployer", "--account", "source"], c.io)).to.equal(ExitCode.Ok);
      const printed = JSON.parse(c.out());
      expect(printed).to.deep.equal(deployerPolicy(deployerTarget(inventory(), "source")));
      expect(printed.Version).to.equal("2012-10-17");
      expect(c.err()).to.match(
        /^source deploy policy: \d+ statements, [\d,]+ characters .*10,240.*6,144.*; 11 resource types$/m,
      );
    });

    it("--json carries the size and the table; --table lists every resource type", async () => {
      const c = io();
      expect(await command.run(["deployer", "--account", "central", "--json", "--day-two"], c.io)).to.equal(
        ExitCode.Ok,
      );
      const printed = JSON.parse(c.out());
      expect(printed.characters).to.equal(policyCharacters(printed.policy));
      expect(printed.permissions.map((p: { type: string }) => p.type)).to.include("aws:sns/topic:Topic");
      expect(printed.permissions.map((p: { type: string }) => p.type)).to.include("org-s3-backup verify");
      const t = io();
      expect(await command.run(["deployer", "--account", "central", "--table"], t.io)).to.equal(ExitCode.Ok);
      for (const entry of permissionsFor("central")) expect(t.out()).to.include(`\n${entry.type}\n`);
    });

    it("refuses a missing or unknown account, an unknown subcommand, an unknown option", async () => {
      for (const argv of [
        ["deployer"],
        ["deployer", "--account", "management"],
        ["policy", "--account", "source"],
        [],
        ["deployer", "--account", "source", "--shard", "1/2"],
      ]) {
        const c = io();
        expect(await command.run(argv, c.io), argv.join(" ")).to.equal(ExitCode.BadInput);
        expect(c.out()).to.equal("");
        expect(c.err()).to.match(/^org-s3-backup iam/);
      }
    });
  });

  it("lists each resource type once", () => {
    const types = DEPLOYER_PERMISSIONS.map((e) => e.type);
    expect(new Set(types).size).to.equal(types.length);
  });
});

// ------------------------------------------------------------------------------------------ helpers

const DEPLOYER = (account: string) => `arn:aws:iam::${account}:role/org-s3-backup-deployer`;

interface Target {
  readonly resource: string;
  readonly resourceAccount?: string;
  /** Attach the key policy KMS keys carry (the account administers the key through IAM). */
  readonly keyPolicy?: boolean;
  readonly resourcePolicy?: PolicyDocument;
  readonly context?: Record<string, string | string[]>;
}

async function run(
  policy: PolicyDocument,
  account: string,
  action: string,
  target: Target,
  extra: PolicyDocument[] = [],
): Promise<Decision> {
  const resourceAccount = target.resourceAccount ?? account;
  return decide({
    principal: DEPLOYER(account),
    action,
    resource: target.resource,
    resourceAccount,
    identityPolicies: [policy, ...extra],
    resourcePolicy:
      target.resourcePolicy ??
      (target.keyPolicy
        ? policyDocument(accountRootStatement(partitionInfo("eu-west-1"), resourceAccount))
        : undefined),
    context: { ...requestContext(DEPLOYER(account), ORG_ID), ...(target.context ?? {}) },
  });
}

function allowsOnly(policy: PolicyDocument): PolicyDocument {
  return { ...policy, Statement: policy.Statement.filter((s) => s.Effect === "Allow") };
}

function addActions(policy: PolicyDocument, sid: string, actions: string[]): PolicyDocument {
  return {
    ...policy,
    Statement: policy.Statement.map((s) =>
      s.Sid === sid ? { ...s, Action: [...[s.Action ?? []].flat(), ...actions] } : s,
    ),
  };
}

function regionOf(stack: RenderedStack, resource: RenderedResource): string {
  const provider = resource.provider ? stack.providers[resource.provider] : undefined;
  return String(provider?.inputs.region ?? stack.region);
}

const str = (value: unknown) => String(value);

/** The ARNs a grant's actions act on for this rendered resource, as the program names them. */
function samples(
  scope: DeployerScope,
  action: string,
  stack: RenderedStack,
  resource: RenderedResource,
  inv: Inventory,
): Target[] {
  const account = stack.accountId;
  const region = regionOf(stack, resource);
  const keyArn = (name: string) => `arn:aws:kms:${region}:${account}:key/${stack.stack}-${name}`;
  const inputs = resource.inputs;
  switch (scope) {
    case "buckets":
      return [{ resource: `arn:aws:s3:::${str(inputs.bucket)}` }];
    case "anyResource":
      return [action === "kms:TagResource" ? { resource: keyArn(resource.name), keyPolicy: true } : { resource: "*" }];
    case "keys":
      return [{ resource: keyArn(resource.name), keyPolicy: true }];
    case "keysBehindOurAliases": {
      const alias = stack.resources.find((r) => r.type === "aws:kms/alias:Alias");
      return [
        {
          resource: keyArn(resource.name),
          keyPolicy: true,
          context: { "kms:ResourceAliases": [str(alias?.inputs.name)] },
        },
      ];
    }
    case "aliasesAndKeys":
      return [
        { resource: `arn:aws:kms:${region}:${account}:${str(inputs.name)}` },
        { resource: `arn:aws:kms:${region}:${account}:key/${str(inputs.targetKeyId)}`, keyPolicy: true },
      ];
    case "serviceRoles":
      return [{ resource: `arn:aws:iam::${account}:role/${str(inputs.name ?? inputs.role)}` }];
    case "passReplicationRole":
      return [{ resource: str(inputs.role), context: { "iam:PassedToService": "s3.amazonaws.com" } }];
    case "alarms":
      return [{ resource: `arn:aws:cloudwatch:${region}:${account}:alarm:${str(inputs.name)}` }];
    case "topics":
      return [
        {
          resource:
            resource.type === "aws:sns/topicPolicy:TopicPolicy"
              ? str(inputs.arn)
              : `arn:aws:sns:${region}:${account}:${str(inputs.name)}`,
        },
      ];
    default:
      throw new Error(`no sample for scope ${scope} of ${resource.type} (${inv.organizationId})`);
  }
}

/** What verify and backfill touch in this stack's account. */
function dayTwoSamples(scope: DeployerScope, action: string, stack: RenderedStack, inv: Inventory): Target[] {
  const account = stack.accountId;
  const sourceIds = inv.sources.filter((s) => s.enabled).map((s) => s.accountId);
  switch (scope) {
    case "canaryObjects":
      return stack.kind === "central"
        ? sourceIds.map((id) => ({ resource: `arn:aws:s3:::${inv.central.bucketName}/${canaryKey(id, "run-1")}` }))
        : [{ resource: `${str(stack.outputs.bucketArn)}/${canaryKey(account, "run-1")}` }];
    case "canaryEncryption":
      return [
        {
          resource: str(stack.outputs.kmsKeyArn),
          keyPolicy: true,
          context: { "kms:ViaService": `s3.${stack.region}.amazonaws.com` },
        },
      ];
    case "alarms":
      return [
        { resource: `arn:aws:cloudwatch:${stack.region}:${account}:alarm:org-s3-backup-${account}-failed-replication` },
      ];
    case "buckets":
      return [{ resource: `arn:aws:s3:::${inv.central.bucketName}` }];
    case "batchJobs":
      return [
        action === "s3:DescribeJob" || action === "s3:PutJobTagging"
          ? { resource: `arn:aws:s3:${stack.region}:${account}:job/job-1` }
          : { resource: "*" },
      ];
    case "passBatchRole":
      return [
        { resource: backfillRoleArn(account), context: { "iam:PassedToService": "batchoperations.s3.amazonaws.com" } },
      ];
    default:
      throw new Error(`no day-two sample for scope ${scope}`);
  }
}
