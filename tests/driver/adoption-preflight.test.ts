import {
  CreateBucketCommand,
  PutBucketReplicationCommand,
  PutBucketVersioningCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type DeployDeps, deployCommand } from "../../automation/cli/commands/deploy-common";
import { spec as upSpec } from "../../automation/cli/commands/up";
import { AwsClients } from "../../automation/day-two/aws-clients";
import {
  AdoptedBucketReadError,
  type AdoptedBucketReader,
  type AdoptedBucketState,
  type AdoptionTarget,
  adoptionTargets,
  decideAdoption,
  formatPreflight,
  preflightAdoptedBuckets,
} from "../../automation/driver/adoption-preflight";
import { awsAdoptedBucketReader } from "../../automation/driver/adoption-preflight-aws";
import type { StackOutputs } from "../../automation/engine/engine";
import { MemoryEngine } from "../../automation/engine/memory";
import type { AdoptedBucket, Inventory, SourceAccount } from "../../config/types";
import { capturedMainIo } from "../support/captured-io";
import { inventory, sourceAccount } from "../support/inventory-fixture";
import { type Moto, skipWithoutMoto, startMoto } from "../support/moto";

function adopting(accountId: string, bucket: string, extra: Partial<AdoptedBucket> = {}): SourceAccount {
  return sourceAccount(accountId, {
    bucket: { name: bucket, existing: true },
    existingBucket: {
      name: bucket,
      keys: "partial",
      manage: { encryption: false, publicAccessBlock: false, bucketPolicy: false },
      existingReplication: "refuse",
      additionalKmsKeyArns: [],
      ...extra,
    },
  });
}

const legacy = adopting("333333333333", "legacy-web-assets");
const fixture = inventory({ sources: [sourceAccount("111111111111"), sourceAccount("222222222222"), legacy] });
const [target] = adoptionTargets(fixture, fixture.sources);
const INVENTORY = "/fixture/accounts.yaml";

const NONE: AdoptedBucketState = { objectLock: false };
const withRules = (...ids: string[]): AdoptedBucketState => ({
  objectLock: false,
  replication: {
    role: "arn:aws:iam::333333333333:role/dr-replication",
    rules: ids.map((id) => ({ id, status: "Enabled", destination: "arn:aws:s3:::dr-bucket" })),
  },
});

describe("adoption preflight: the decision", () => {
  it("targets only adopted buckets, with where their entry is in the inventory", () => {
    expect(adoptionTargets(fixture, fixture.sources)).to.deep.equal([
      {
        accountId: "333333333333",
        accountName: legacy.name,
        region: "eu-west-1",
        roleArn: "arn:aws:iam::333333333333:role/OrganizationAccountAccessRole",
        bucket: "legacy-web-assets",
        existingReplication: "refuse",
        entryPath: "accounts[2].existingBucket",
      },
    ]);
  });

  it("lets up go on when the bucket has no replication, or only our own rule from an earlier up", () => {
    expect(decideAdoption(target, NONE, false, INVENTORY)).to.deep.equal({ status: "ok", notes: [] });
    expect(decideAdoption(target, withRules("org-s3-backup-333333333333"), false, INVENTORY)).to.deep.equal({
      status: "ok",
      notes: [],
    });
  });

  it("refuses other rules, naming them, their role, and how to opt in to replacing them", () => {
    const verdict = decideAdoption(target, withRules("to-dr", "org-s3-backup-333333333333", "logs"), false, INVENTORY);
    expect(verdict).to.deep.equal({
      status: "refused",
      reasons: [
        'it already replicates: rules "to-dr" (Enabled, to arn:aws:s3:::dr-bucket), ' +
          '"logs" (Enabled, to arn:aws:s3:::dr-bucket), ' +
          "role arn:aws:iam::333333333333:role/dr-replication. Ours would replace them all: " +
          "a bucket has one replication configuration, with one role for all its rules, so rules cannot be merged. " +
          "To replace them, set existingReplication: replace " +
          "in accounts[2].existingBucket of /fixture/accounts.yaml; " +
          "to keep them, leave the account out (--exclude 333333333333)",
      ],
    });
    // Another account's rule id is not ours.
    expect(decideAdoption(target, withRules("org-s3-backup-111111111111"), false, INVENTORY).status).to.equal(
      "refused",
    );
  });

  it("replaces other rules when the entry says existingReplication: replace, and says so", () => {
    const replacing = { ...target, existingReplication: "replace" as const };
    expect(decideAdoption(replacing, withRules("to-dr"), false, INVENTORY)).to.deep.equal({
      status: "ok",
      notes: [
        'its replication rules "to-dr" (Enabled, to arn:aws:s3:::dr-bucket), ' +
          "role arn:aws:iam::333333333333:role/dr-replication will be REPLACED by ours (existingReplication: replace)",
      ],
    });
  });

  it("refuses a bucket with Object Lock unless the central bucket has Object Lock", () => {
    const locked: AdoptedBucketState = { objectLock: true };
    const refused = decideAdoption(target, locked, false, INVENTORY);
    expect(refused.status).to.equal("refused");
    expect(refused.status === "refused" && refused.reasons[0]).to.equal(
      "Object Lock is enabled on it, and S3 replicates a bucket with Object Lock only into a bucket with Object Lock " +
        "(otherwise every object fails with DstBucketObjectLockConfigMissing): " +
        "set central.objectLock in /fixture/accounts.yaml, " +
        "or leave the account out (--exclude 333333333333)",
    );
    expect(decideAdoption(target, locked, true, INVENTORY)).to.deep.equal({ status: "ok", notes: [] });
    // Both problems are reported at once, so one run says everything to fix.
    const both = decideAdoption(target, { ...withRules("to-dr"), objectLock: true }, false, INVENTORY);
    expect(both.status === "refused" && both.reasons.length).to.equal(2);
  });
});

describe("adoption preflight: reading every adopted bucket", () => {
  const reader = (states: Record<string, AdoptedBucketState | Error>) => {
    const read: string[] = [];
    const bucketReader: AdoptedBucketReader = {
      async read(t) {
        read.push(t.bucket);
        const state = states[t.bucket];
        if (state instanceof Error) throw state;
        return state ?? NONE;
      },
    };
    return { bucketReader, read };
  };

  it("reads nothing (and creates no reader) when no selected bucket is adopted", async () => {
    const report = await preflightAdoptedBuckets(fixture, fixture.sources.slice(0, 2), () =>
      expect.fail("no reader needed"),
    );
    expect(report).to.deep.equal({ checks: [], exitCode: 0 });
  });

  it("exits 2 when a bucket refuses or the inventory names a missing bucket, 3 when it cannot read", async () => {
    const two = inventory({
      sources: [legacy, adopting("444444444444", "archive"), adopting("555555555555", "ghost")],
    });
    const { bucketReader, read } = reader({
      "legacy-web-assets": withRules("to-dr"),
      ghost: new AdoptedBucketReadError("bucket ghost does not exist", "inventory"),
    });
    const refused = await preflightAdoptedBuckets(two, two.sources, () => bucketReader);
    expect(read).to.deep.equal(["legacy-web-assets", "archive", "ghost"]);
    expect(refused.exitCode).to.equal(2);
    expect(refused.checks.map((check) => check.verdict.status)).to.deep.equal(["refused", "ok", "unreadable"]);
    const text = formatPreflight(refused, "up");
    expect(text.split("\n")[0]).to.equal(
      "org-s3-backup up: adopted buckets checked before anything is deployed; nothing was changed.",
    );
    expect(text).to.contain("  account 333333333333 (app-333), bucket legacy-web-assets: it already replicates");
    expect(text).to.contain("  account 555555555555 (app-555), bucket ghost: bucket ghost does not exist");

    const denied = reader({ archive: new Error("AccessDenied: not authorized") });
    const three = await preflightAdoptedBuckets(two, two.sources.slice(1, 2), () => denied.bucketReader);
    expect(three.exitCode).to.equal(3);
    const fine = await preflightAdoptedBuckets(two, two.sources.slice(1, 2), () => reader({}).bucketReader);
    expect(fine).to.deep.include({ exitCode: 0 });
    expect(formatPreflight(fine, "up")).to.equal("");
  });
});

describe("adoption preflight: up deploys nothing on refusal (in-memory engine)", () => {
  const CENTRAL_OUTPUTS: StackOutputs = {
    bucketArn: { value: "arn:aws:s3:::acme-org-backup-999999999999", secret: false },
    kmsKeyArn: { value: "arn:aws:kms:eu-west-1:999999999999:key/k", secret: false },
  };
  let repoRoot: string;
  beforeEach(() => {
    repoRoot = fs.mkdtempSync(path.join(os.tmpdir(), "preflight-"));
  });
  afterEach(() => fs.rmSync(repoRoot, { recursive: true, force: true }));

  const harness = () => capturedMainIo("/work", { PULUMI_CONFIG_PASSPHRASE: "x" });

  function deps(engine: MemoryEngine, inv: Inventory, states: Record<string, AdoptedBucketState>): DeployDeps {
    return {
      findEngine: async () => ({ ok: true, connect: async () => engine }),
      loadInventory: async () => inv,
      interrupts: { onInterrupt: () => () => {} },
      exit: (code) => expect.fail(`exit(${code})`),
      freeMemoryBytes: () => 6 * 1024 ** 3,
      cpuCount: () => 2,
      repoRoot,
      now: () => new Date("2026-11-25T07:00:00Z"),
      adoptedBuckets: () => ({
        async read(t: AdoptionTarget) {
          return states[t.bucket] ?? NONE;
        },
      }),
    };
  }

  it("refuses with exit 2 before any stack is opened when an adopted bucket already replicates elsewhere", async () => {
    const engine = new MemoryEngine({ stacks: { central: { outputs: CENTRAL_OUTPUTS } } });
    const io = harness();
    const code = await deployCommand(upSpec, deps(engine, fixture, { "legacy-web-assets": withRules("to-dr") })).run(
      [],
      io,
    );
    expect(code, io.err()).to.equal(2);
    expect(engine.calls, "no stack operation at all").to.deep.equal([]);
    expect(io.err()).to.contain("set existingReplication: replace in accounts[2].existingBucket");
    expect(io.out()).to.equal("");
  });

  it("deploys every stack when the entry opts in to replacing, and prints what it replaces", async () => {
    const replacing = inventory({
      sources: [
        sourceAccount("111111111111"),
        adopting("333333333333", "legacy-web-assets", { existingReplication: "replace" }),
      ],
    });
    const engine = new MemoryEngine({ stacks: { central: { outputs: CENTRAL_OUTPUTS } } });
    const io = harness();
    const code = await deployCommand(upSpec, deps(engine, replacing, { "legacy-web-assets": withRules("to-dr") })).run(
      [],
      io,
    );
    expect(code, io.err()).to.equal(0);
    expect(engine.callsOf("up").map((call) => call.stack)).to.have.members([
      "central",
      "account-111111111111",
      "account-333333333333",
    ]);
    expect(io.err()).to.contain(
      'up: account 333333333333 (app-333), bucket legacy-web-assets: its replication rules "to-dr"',
    );
  });

  it("reads only the adopted buckets of the selected accounts", async () => {
    const engine = new MemoryEngine({ existing: ["central"], stacks: { central: { outputs: CENTRAL_OUTPUTS } } });
    const io = harness();
    const code = await deployCommand(upSpec, deps(engine, fixture, { "legacy-web-assets": withRules("to-dr") })).run(
      ["--accounts", "111111111111"],
      io,
    );
    expect(code, io.err()).to.equal(0);
    expect(engine.callsOf("up").map((call) => call.stack)).to.deep.equal(["account-111111111111"]);
  });
});

describe("adoption preflight: reading buckets in the emulator as the deploying role", () => {
  let moto: Moto;
  let clients: AwsClients;
  const locked = adopting("444444444444", "locked-archive");
  const inv = inventory({ sources: [legacy, locked, adopting("555555555555", "not-there")] });
  const targets = adoptionTargets(inv, inv.sources);

  before(async function () {
    await skipWithoutMoto(this);
    this.timeout(30_000);
    moto = await startMoto();
    clients = new AwsClients(moto.env);
  });
  after(async () => {
    await moto?.stop();
  });
  beforeEach(async () => {
    await moto?.reset();
  });

  function s3As(source: SourceAccount): S3Client {
    return clients.s3(source.region, clients.assumeRole(source.roleArn, source.region, "test"));
  }

  async function bucket(source: SourceAccount, objectLock = false): Promise<void> {
    await s3As(source).send(
      new CreateBucketCommand({
        Bucket: source.bucket.name,
        CreateBucketConfiguration: { LocationConstraint: "eu-west-1" },
        ...(objectLock ? { ObjectLockEnabledForBucket: true } : {}),
      }),
    );
    await s3As(source).send(
      new PutBucketVersioningCommand({ Bucket: source.bucket.name, VersioningConfiguration: { Status: "Enabled" } }),
    );
  }

  async function replicate(source: SourceAccount, ids: string[]): Promise<void> {
    await s3As(source).send(
      new PutBucketReplicationCommand({
        Bucket: source.bucket.name,
        ReplicationConfiguration: {
          Role: `arn:aws:iam::${source.accountId}:role/dr-replication`,
          Rules: ids.map((id, i) => ({
            ID: id,
            Priority: i + 1,
            Status: "Enabled",
            Filter: { Prefix: "" },
            DeleteMarkerReplication: { Status: "Disabled" },
            Destination: { Bucket: "arn:aws:s3:::dr-bucket" },
          })),
        },
      }),
    );
  }

  it("reads no replication and no Object Lock as such, then another team's rules and the bucket's lock", async () => {
    await bucket(legacy);
    await bucket(locked, true);
    const reader = awsAdoptedBucketReader(clients, "RUN");
    expect(await reader.read(targets[0])).to.deep.equal({ objectLock: false });
    expect(await reader.read(targets[1])).to.deep.equal({ objectLock: true });

    await replicate(legacy, ["to-dr", "org-s3-backup-333333333333"]);
    const state = await reader.read(targets[0]);
    expect(state.replication?.role).to.equal("arn:aws:iam::333333333333:role/dr-replication");
    expect(state.replication?.rules.map((rule) => rule.id)).to.deep.equal(["to-dr", "org-s3-backup-333333333333"]);
    expect(decideAdoption(targets[0], state, false, INVENTORY).status).to.equal("refused");

    // The whole preflight on these buckets: refused (rules, lock) and a bucket that does not exist.
    const report = await preflightAdoptedBuckets(inv, inv.sources, () => reader);
    expect(report.exitCode).to.equal(2);
    expect(report.checks.map((check) => check.verdict.status)).to.deep.equal(["refused", "refused", "unreadable"]);
    const missing = report.checks[2].verdict;
    expect(missing.status === "unreadable" && missing.cause).to.equal("inventory");
  });

  it("reports an unreachable endpoint as environment (exit 3)", async () => {
    const unreachable = awsAdoptedBucketReader(
      new AwsClients({ ...moto.env, AWS_ENDPOINT_URL: "http://127.0.0.1:1" }),
      "RUN",
    );
    const report = await preflightAdoptedBuckets(inv, [legacy], () => unreachable);
    expect(report.exitCode).to.equal(3);
  });
});
