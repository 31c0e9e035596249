import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import type { Inventory } from "../../config/types";
import {
  ChangeTracker,
  configPart,
  decodeTag,
  encodeTag,
  FINGERPRINT_TAG,
  type FingerprintBase,
  fingerprintOf,
  inputsKey,
  PENDING,
  programRenderer,
  programSourceHash,
  readVersions,
  type Renderer,
  stackInventory,
} from "../../automation/driver/fingerprint";
import { planStacks } from "../../automation/driver/plan";
import { type Operation, type RunRequest, runStacks } from "../../automation/driver/run";
import { selectStacks } from "../../automation/driver/selection";
import { sourceStackConfig } from "../../automation/driver/stack-config";
import { exitCodeOf, formatSummaryTable, summaryJson } from "../../automation/driver/summary";
import type { StackOutputs } from "../../automation/engine/engine";
import { MemoryEngine } from "../../automation/engine/memory";
import { renderStacks } from "../../automation/review/render";
import { stackProgram } from "../../automation/review/render-program";
import { inventory as makeInventory, sourceAccount } from "../support/inventory-fixture";
import { renderedStack } from "../support/rendered-stack";

const KEY_ARN = "arn:aws:kms:eu-west-1:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const CENTRAL_OUTPUTS: StackOutputs = {
  bucketArn: { value: "arn:aws:s3:::acme-org-backup-999999999999", secret: false },
  kmsKeyArn: { value: KEY_ARN, secret: false },
};
const BASE: FingerprintBase = {
  versions: { tool: "0.1.0", pulumi: "3.270.0", aws: "7.48.0" },
  program: "0".repeat(64),
};
const SOURCE_CONFIG = sourceStackConfig("/home/alice/repo/config/accounts.yaml", {
  bucketArn: "arn:aws:s3:::acme-org-backup-999999999999",
  kmsKeyArn: KEY_ARN,
});

/** A stand-in for render: the parts of the inventory a stack's resources come from, counted. */
function fakeRenderer(): Renderer & { calls: string[] } {
  const calls: string[] = [];
  const render: Renderer = async (inventory, plan, kmsKeyArn) => {
    calls.push(plan.name);
    return renderedStack(plan, {
      // Like the real program: the central bucket from the central settings, a source's rule from its entry.
      resources:
        plan.kind === "central"
          ? [
              {
                type: "aws:s3/bucket:Bucket",
                name: "central",
                custom: true,
                inputs: { bucket: inventory.central.bucketName },
              },
            ]
          : inventory.sources.map((source) => ({
              type: "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
              name: `${plan.name}-${source.accountId}`,
              custom: true,
              inputs: { storageClass: source.replication.storageClass, kmsKeyArn },
            })),
      outputs: {},
    });
  };
  return Object.assign(render, { calls });
}

describe("fingerprints", () => {
  describe("what they are made of", () => {
    it("reads the tool's version and the SDK and provider versions the lockfile pins", () => {
      const versions = readVersions();
      const lock = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package-lock.json"), "utf8"));
      expect(versions).to.deep.equal({
        tool: JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")).version,
        pulumi: lock.packages["node_modules/@pulumi/pulumi"].version,
        aws: lock.packages["node_modules/@pulumi/aws"].version,
      });
    });

    it("hashes the program's sources: stable, and any edit changes it; the inventory file does not", () => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), "fingerprint-"));
      try {
        fs.mkdirSync(path.join(root, "infra"));
        fs.mkdirSync(path.join(root, "config"));
        fs.writeFileSync(path.join(root, "infra", "program.ts"), "export const a = 1;\n");
        fs.writeFileSync(path.join(root, "config", "accounts.yaml"), "sources: []\n");
        const first = programSourceHash(root);
        expect(programSourceHash(root)).to.equal(first);
        fs.writeFileSync(path.join(root, "config", "accounts.yaml"), "sources: [x]\n");
        expect(programSourceHash(root), "the inventory is hashed per stack, not here").to.equal(first);
        fs.writeFileSync(path.join(root, "infra", "program.ts"), "export const a = 2;\n");
        const second = programSourceHash(root);
        expect(second).to.not.equal(first);
        // The entry point Pulumi.yaml names and the project file itself are the program too.
        fs.writeFileSync(path.join(root, "infra", "entry.cjs"), 'require("./index.ts");\n');
        const third = programSourceHash(root);
        expect(third).to.not.equal(second);
        fs.writeFileSync(path.join(root, "Pulumi.yaml"), "name: x\n");
        expect(programSourceHash(root)).to.not.equal(third);
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    });

    it("encodes the recorded state in one stack tag that Pulumi accepts (name <= 40, value <= 256)", () => {
      const state = { fingerprint: "a".repeat(64), inputs: "b".repeat(64), program: "c".repeat(64) };
      const value = encodeTag(state);
      expect(FINGERPRINT_TAG).to.match(/^[a-zA-Z0-9-_.:]{1,40}$/);
      expect(value.length).to.be.at.most(256);
      expect(decodeTag(value)).to.deep.equal(state);
      expect(decodeTag(PENDING)).to.equal(PENDING);
      expect(decodeTag(undefined)).to.equal(undefined);
      expect(decodeTag("v2.something")).to.equal(undefined);
    });

    it("leaves the inventory's path out of the config part (a laptop and a runner differ there)", () => {
      expect(configPart(SOURCE_CONFIG)).to.deep.equal({
        "org-s3-backup:centralBucketArn": "arn:aws:s3:::acme-org-backup-999999999999",
        "org-s3-backup:centralKmsKeyArn": KEY_ARN,
      });
    });

    it("inputs key: a source's changes with its own entry, central settings, config and versions only", () => {
      const inventory = makeInventory();
      const [central, first, second] = planStacks(inventory);
      const key = (inv: Inventory, base = BASE, config = SOURCE_CONFIG) => inputsKey(base, inv, first, config);
      const changed = (accountId: string) =>
        makeInventory({
          sources: inventory.sources.map((s) =>
            s.accountId === accountId ? { ...s, replication: { ...s.replication, storageClass: "GLACIER_IR" } } : s,
          ),
        });
      expect(key(changed(second.accountId)), "another account changed").to.equal(key(inventory));
      expect(key({ ...inventory, sourcePath: "/elsewhere/accounts.yaml" })).to.equal(key(inventory));
      const movedInventory = sourceStackConfig("/runner/work/config/accounts.yaml", {
        bucketArn: "arn:aws:s3:::acme-org-backup-999999999999",
        kmsKeyArn: KEY_ARN,
      });
      expect(key(inventory, BASE, movedInventory), "the inventory's path").to.equal(key(inventory));
      expect(key(changed(first.accountId))).to.not.equal(key(inventory));
      expect(key(makeInventory({ central: { bucketName: "other-bucket" } }))).to.not.equal(key(inventory));
      const newKey = sourceStackConfig("/x", {
        bucketArn: "arn:aws:s3:::acme-org-backup-999999999999",
        kmsKeyArn: "k2",
      });
      expect(key(inventory, BASE, newKey), "central key replaced").to.not.equal(key(inventory));
      expect(key(inventory, { ...BASE, versions: { ...BASE.versions, aws: "7.49.0" } })).to.not.equal(key(inventory));
      expect(key(inventory, { ...BASE, program: "1".repeat(64) }), "the program is recorded apart").to.equal(
        key(inventory),
      );
      // The central stack's alarm topics depend on which accounts are monitored where, not on their buckets.
      const centralKey = (inv: Inventory) => inputsKey(BASE, inv, central, undefined);
      expect(centralKey(changed(second.accountId))).to.equal(centralKey(inventory));
      const elsewhere = makeInventory({
        sources: inventory.sources.map((s, i) => (i === 0 ? { ...s, region: "ap-southeast-2" } : s)),
      });
      expect(centralKey(elsewhere), "a new alarm region").to.not.equal(centralKey(inventory));
      expect(centralKey(makeInventory({ count: 4 })), "an account added").to.not.equal(centralKey(inventory));
      const unmonitored = makeInventory({
        sources: inventory.sources.map((s, i) => (i === 0 ? { ...s, monitoring: { enabled: false } } : s)),
      });
      expect(centralKey(unmonitored)).to.not.equal(centralKey(inventory));
    });

    it("a source stack renders the same from its entry as from the whole inventory (the real program)", async () => {
      const inventory = makeInventory({
        sources: [
          sourceAccount("111111111111"),
          sourceAccount("222222222222", { region: "us-east-1", monitoring: { enabled: true } }),
          sourceAccount("333333333333", { backfill: { enabled: true }, monitoring: { enabled: false } }),
        ],
      });
      const plans = planStacks(inventory);
      const full = await renderStacks(inventory, plans, stackProgram);
      const render = programRenderer();
      for (const plan of plans.slice(1)) {
        const alone = await render(stackInventory(inventory, plan), plan, undefined);
        const whole = full.find((stack) => stack.stack === plan.name)!;
        // render puts the central stack's rendered key ARN in; ours is the config's value (a stand-in here).
        const normalise = (text: string) =>
          text
            .replaceAll(String(full[0].outputs.kmsKeyArn), "<central kmsKeyArn>")
            .replaceAll(inventory.sourcePath, "inventory");
        expect(normalise(JSON.stringify(whole)), plan.name).to.equal(normalise(JSON.stringify(alone)));
      }
    });

    it("the central stack renders the same from accounts that differ in all but what its key holds (the real program)", async () => {
      const one = makeInventory({
        sources: [
          sourceAccount("111111111111"),
          sourceAccount("222222222222", { region: "us-east-1" }),
          sourceAccount("333333333333", { monitoring: { enabled: false } }),
          sourceAccount("444444444444", { region: "ap-southeast-2", enabled: false }),
        ],
      });
      // Every field the central stack's key leaves out, changed in every account.
      const other: Inventory = {
        ...one,
        sources: one.sources.map((source, i) => ({
          ...source,
          name: `renamed-${i}`,
          roleArn: `arn:aws:iam::${source.accountId}:role/Deployer`,
          bucket: { name: `other-data-${source.accountId}`, existing: false },
          kmsAlias: "alias/other",
          replication: {
            storageClass: "GLACIER_IR",
            replicationTimeControl: false,
            metrics: false,
            deleteMarkerReplication: true,
          },
          backfill: { enabled: true },
          tags: { team: "other" },
        })),
      };
      const [centralPlan] = planStacks(one);
      expect(inputsKey(BASE, other, centralPlan, undefined)).to.equal(inputsKey(BASE, one, centralPlan, undefined));
      const render = programRenderer();
      const [a, b] = [
        await render(stackInventory(one, centralPlan), centralPlan, undefined),
        await render(stackInventory(other, centralPlan), centralPlan, undefined),
      ];
      expect(JSON.stringify(b)).to.equal(JSON.stringify(a));
    });

    it("fingerprint: rendered resources, config and versions; the same render gives the same fingerprint", async () => {
      const inventory = makeInventory();
      const [, first] = planStacks(inventory);
      const render = fakeRenderer();
      const once = await fingerprintOf(BASE, inventory, first, SOURCE_CONFIG, render);
      expect(await fingerprintOf(BASE, { ...inventory, sourcePath: "/x" }, first, SOURCE_CONFIG, render)).to.equal(
        once,
      );
      expect(
        await fingerprintOf({ ...BASE, program: "1".repeat(64) }, inventory, first, SOURCE_CONFIG, render),
      ).to.equal(once, "a program change that renders the same resources");
      expect(
        await fingerprintOf(
          { ...BASE, versions: { ...BASE.versions, tool: "0.2.0" } },
          inventory,
          first,
          SOURCE_CONFIG,
          render,
        ),
      ).to.not.equal(once);
      const glacier = makeInventory({
        sources: inventory.sources.map((s, i) =>
          i === 0 ? { ...s, replication: { ...s.replication, storageClass: "GLACIER_IR" } } : s,
        ),
      });
      expect(await fingerprintOf(BASE, glacier, first, SOURCE_CONFIG, render)).to.not.equal(once);
    });
  });

  describe("changed-only runs (memory engine)", () => {
    const inventory = makeInventory({ count: 5 });

    function setup(options: { tagFailure?: string } = {}) {
      const engine = new MemoryEngine({
        stacks: {
          central: { outputs: CENTRAL_OUTPUTS },
          ...(options.tagFailure ? { "account-222222222222": { fail: { tags: options.tagFailure } } } : {}),
        },
      });
      const render = fakeRenderer();
      const run = (
        operation: Operation,
        overrides: { inventory?: Inventory; all?: boolean; base?: FingerprintBase; request?: Partial<RunRequest> } = {},
      ) => {
        const inv = overrides.inventory ?? inventory;
        const selected = selectStacks(inv, planStacks(inv), {});
        if (!selected.ok) throw new Error(selected.message);
        return runStacks(engine, {
          operation,
          inventory: inv,
          inventoryPath: "/repo/config/accounts.yaml",
          selection: selected.selection,
          existingStacks: [...engine.existing],
          concurrency: 4,
          tolerance: { kind: "count", count: 0 },
          changes: new ChangeTracker({
            inventory: inv,
            plans: planStacks(inv),
            base: overrides.base ?? BASE,
            skipUnchanged: overrides.all !== true,
            refreshInputs: operation === "up",
            render,
          }),
          ...overrides.request,
        });
      };
      return { engine, render, run };
    }
    const statuses = (report: { results: readonly { stack: string; status: string }[] }) =>
      Object.fromEntries(report.results.map((r) => [r.stack, r.status]));
    const upCalls = (engine: MemoryEngine) => engine.callsOf("up").map((call) => call.stack);
    const changeOne = (accountId: string) =>
      makeInventory({
        count: 5,
        sources: inventory.sources.map((s) =>
          s.accountId === accountId ? { ...s, replication: { ...s.replication, storageClass: "GLACIER_IR" } } : s,
        ),
      });

    it("records each stack's fingerprint on its first up, then skips all: unchanged, skipped, exit 0", async () => {
      const { engine, render, run } = setup();
      await run("up");
      expect([...engine.tags.values()].every((tags) => decodeTag(tags[FINGERPRINT_TAG]) !== undefined)).to.equal(true);
      expect(engine.tags.size).to.equal(6);
      engine.calls.length = 0;
      render.calls.length = 0;

      const again = await run("up");
      expect(Object.values(statuses(again))).to.deep.equal(Array(6).fill("unchanged"));
      expect(upCalls(engine)).to.deep.equal([]);
      expect(
        engine.callsOf("open").map((c) => c.stack),
        "an unchanged stack is not even selected; central's outputs are read",
      ).to.deep.equal(["central"]);
      expect(engine.callsOf("outputs").map((c) => c.stack)).to.deep.equal(["central"]);
      expect(render.calls, "same inputs: nothing rendered").to.deep.equal([]);
      expect(exitCodeOf(again)).to.equal(0);
      const table = formatSummaryTable(again);
      expect(table).to.match(/account-111111111111 .* up unchanged, skipped/);
      expect(table).to.contain("desired state matches its last successful up (same inputs)");
      expect(table).to.contain("up: 6 unchanged, skipped in");
      expect(JSON.stringify(summaryJson(again, { exitCode: 0, orphans: [] }))).to.contain('"status":"unchanged"');
    });

    it("after one account changes, runs that stack only and renders only it, while its up runs", async () => {
      const { engine, render, run } = setup();
      await run("up");
      engine.calls.length = 0;
      render.calls.length = 0;
      const report = await run("up", { inventory: changeOne("222222222222") });
      expect(upCalls(engine)).to.deep.equal(["account-222222222222"]);
      expect(statuses(report)).to.include({ central: "unchanged", "account-222222222222": "succeeded" });
      expect(render.calls).to.deep.equal(["account-222222222222"]);
      expect(report.results.find((r) => r.stack === "central")?.reason).to.contain("same inputs");
      expect(decodeTag(engine.tags.get("account-222222222222")?.[FINGERPRINT_TAG])).to.not.equal(PENDING);
    });

    it("--all runs every stack and still records", async () => {
      const { engine, run } = setup();
      await run("up");
      engine.calls.length = 0;
      const report = await run("up", { all: true });
      expect(upCalls(engine)).to.have.length(6);
      expect(engine.callsOf("tags"), "--all reads no fingerprint").to.deep.equal([]);
      expect(Object.values(statuses(report)).every((s) => s === "succeeded")).to.equal(true);
    });

    it("a program change that renders the same resources skips (after one render) and refreshes the tag", async () => {
      const { render, run } = setup();
      await run("up");
      render.calls.length = 0;
      const refactored = { ...BASE, program: "2".repeat(64) };
      const report = await run("up", { base: refactored });
      expect(Object.values(statuses(report))).to.deep.equal(Array(6).fill("unchanged"));
      expect(render.calls).to.have.length(6);
      render.calls.length = 0;
      await run("up", { base: refactored });
      expect(render.calls, "the new program key was recorded").to.deep.equal([]);
    });

    it("a change of versions runs every stack without rendering first (the fingerprint holds them)", async () => {
      const { engine, render, run } = setup();
      await run("up");
      engine.calls.length = 0;
      render.calls.length = 0;
      const bumped = { ...BASE, versions: { ...BASE.versions, aws: "7.49.0" } };
      const report = await run("preview", { base: bumped });
      expect(Object.values(statuses(report)).every((s) => s === "succeeded")).to.equal(true);
      expect(render.calls).to.deep.equal([]);
    });

    it("preview skips unchanged stacks too and never writes a tag", async () => {
      const { engine, run } = setup();
      await run("up");
      engine.calls.length = 0;
      const report = await run("preview", { inventory: changeOne("333333333333") });
      expect(engine.callsOf("preview").map((c) => c.stack)).to.deep.equal(["account-333333333333"]);
      expect(engine.callsOf("setTag")).to.deep.equal([]);
      expect(statuses(report)["account-111111111111"]).to.equal("unchanged");
    });

    it("a failed up leaves the stack pending: reverting the inventory does not skip the half-applied one", async () => {
      const { engine, run } = setup();
      await run("up");
      const failing = new MemoryEngine({
        existing: [...engine.existing],
        stacks: { central: { outputs: CENTRAL_OUTPUTS }, "account-222222222222": { fail: { up: "error: boom" } } },
      });
      for (const [name, tags] of engine.tags) failing.tags.set(name, { ...tags });
      for (const [name, outputs] of engine.outputs) failing.outputs.set(name, outputs);
      const render = fakeRenderer();
      const tracker = (inv: Inventory) =>
        new ChangeTracker({
          inventory: inv,
          plans: planStacks(inv),
          base: BASE,
          skipUnchanged: true,
          refreshInputs: true,
          render,
        });
      const runOn = (inv: Inventory) => {
        const selected = selectStacks(inv, planStacks(inv), {});
        if (!selected.ok) throw new Error(selected.message);
        return runStacks(failing, {
          operation: "up",
          inventory: inv,
          inventoryPath: "/repo/config/accounts.yaml",
          selection: selected.selection,
          existingStacks: [...failing.existing],
          concurrency: 4,
          tolerance: { kind: "count", count: 5 },
          changes: tracker(inv),
        });
      };
      const failed = await runOn(changeOne("222222222222"));
      expect(statuses(failed)["account-222222222222"]).to.equal("failed");
      expect(failing.tags.get("account-222222222222")?.[FINGERPRINT_TAG]).to.equal(PENDING);
      failing.calls.length = 0;
      await runOn(inventory).catch(() => undefined);
      expect(failing.callsOf("up").map((c) => c.stack)).to.deep.equal(["account-222222222222"]);
    });

    it("destroy invalidates the fingerprint: the next up deploys the stack again", async () => {
      const { engine, run } = setup();
      await run("up");
      const selected = selectStacks(inventory, planStacks(inventory), { accounts: ["111111111111"] });
      if (!selected.ok) throw new Error(selected.message);
      await run("destroy", { request: { selection: selected.selection } });
      expect(engine.tags.get("account-111111111111")?.[FINGERPRINT_TAG]).to.equal(PENDING);
      engine.calls.length = 0;
      await run("up");
      expect(upCalls(engine)).to.deep.equal(["account-111111111111"]);
    });

    it("a stack whose fingerprint cannot be read runs, and says why", async () => {
      const { engine, run } = setup({ tagFailure: "error: failed to read stack tags: blob (key ...) Forbidden" });
      await run("up", { all: true }).catch(() => undefined);
      engine.calls.length = 0;
      const report = await run("up");
      expect(upCalls(engine)).to.deep.equal(["account-222222222222"]);
      const result = report.results.find((r) => r.stack === "account-222222222222")!;
      expect(result.notes.join("\n")).to.contain("could not read its recorded fingerprint");
    });

    it("a new stack is recorded after its first up; the up invalidates first (a stale tag of a removed stack)", async () => {
      const { engine, run } = setup();
      await run("up");
      const setTags = engine.callsOf("setTag").map((c) => c.stack);
      // pending, then the fingerprint, for each of the 6 stacks
      expect(setTags.filter((s) => s === "central")).to.have.length(2);
      expect(setTags).to.have.length(12);
    });
  });
});
