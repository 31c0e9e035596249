import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import {
  ChangeTracker,
  FINGERPRINT_TAG,
  type FingerprintBase,
  PENDING,
  type Renderer,
} from "../../automation/driver/fingerprint";
import { planStacks } from "../../automation/driver/plan";
import { type Operation, runStacks } from "../../automation/driver/run";
import { selectStacks } from "../../automation/driver/selection";
import { createAutomationEngine } from "../../automation/engine/automation";
import type { Engine } from "../../automation/engine/engine";
import { FakePulumiCommand } from "../support/fake-pulumi-command";
import { inventory as makeInventory } from "../support/inventory-fixture";
import { renderedStack } from "../support/rendered-stack";

const BASE: FingerprintBase = {
  versions: { tool: "0.1.0", pulumi: "3.270.0", aws: "7.48.0" },
  program: "0".repeat(64),
};
const KEY_ARN = "arn:aws:kms:eu-west-1:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const render: Renderer = async (inventory, plan) =>
  renderedStack(plan, { resources: [], outputs: { sources: inventory.sources.length } });

/** Changed-only runs through the Automation API engine: the exact CLI calls (recording fake CLI). */
describe("fingerprints in the backend: stack tags through the Pulumi CLI", () => {
  let workDir: string;
  let fake: FakePulumiCommand;
  let engine: Engine;
  const inventory = makeInventory({ count: 1 });

  beforeEach(async () => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), "fingerprint-tags-"));
    fake = new FakePulumiCommand();
    fake.addStack("central", {
      outputs: { bucketArn: { value: "arn:aws:s3:::acme-org-backup-999999999999" }, kmsKeyArn: { value: KEY_ARN } },
    });
    engine = await createAutomationEngine({
      workDir,
      backend: { url: "s3://state", secretsProvider: "passphrase" },
      env: { PULUMI_CONFIG_PASSPHRASE: "x" },
      pulumiCommand: fake.asPulumiCommand(),
    });
  });
  afterEach(() => fs.rmSync(workDir, { recursive: true, force: true }));

  const run = async (operation: Operation, all = false) => {
    const selected = selectStacks(inventory, planStacks(inventory), { accounts: ["111111111111"] });
    if (!selected.ok) throw new Error(selected.message);
    fake.calls.length = 0;
    return runStacks(engine, {
      operation,
      inventory,
      inventoryPath: "/repo/config/accounts.yaml",
      selection: selected.selection,
      existingStacks: await engine.listStacks(),
      concurrency: 2,
      tolerance: { kind: "count", count: 0 },
      changes: new ChangeTracker({
        inventory,
        plans: planStacks(inventory),
        base: BASE,
        skipUnchanged: !all,
        refreshInputs: operation === "up",
        render,
      }),
    });
  };
  const withoutReads = (calls: string[][]) => calls.filter((args) => !(args[0] === "stack" && args[1] === "ls"));

  it("up marks the stack pending before it changes it, and records the fingerprint after it succeeded", async () => {
    await run("up");
    const calls = withoutReads(fake.invocations());
    const stack = "account-111111111111";
    const at = (predicate: (args: string[]) => boolean) => calls.findIndex(predicate);
    const pending = at((args) => args.join(" ") === `stack tag set ${FINGERPRINT_TAG} ${PENDING} --stack ${stack}`);
    const up = at((args) => args[0] === "up");
    const recorded = at(
      (args) => args.slice(0, 4).join(" ") === `stack tag set ${FINGERPRINT_TAG}` && args[4] !== PENDING,
    );
    expect(pending, "pending before up").to.be.greaterThan(-1).and.lessThan(up);
    expect(recorded, "fingerprint after up").to.be.greaterThan(up);
    expect(calls[recorded]).to.deep.equal([
      "stack",
      "tag",
      "set",
      FINGERPRINT_TAG,
      calls[recorded][4],
      "--stack",
      stack,
    ]);
    expect(calls[recorded][4]).to.match(/^v1\.[0-9a-f]{64}\.[0-9a-f]{64}\.0{64}$/);
    expect(fake.stacks.get(stack)?.tags[FINGERPRINT_TAG]).to.equal(calls[recorded][4]);
  });

  it("the next up reads the tag (`stack tag ls --json`) and neither selects nor updates the unchanged stack", async () => {
    await run("up");
    const report = await run("up");
    expect(report.results.map((r) => r.status)).to.deep.equal(["unchanged"]);
    expect(withoutReads(fake.invocations())).to.deep.equal([
      // The central stack's outputs, for the source's config (and so its inputs key).
      ["stack", "select", "--stack", "central"],
      ["stack", "output", "--json", "--stack", "central"],
      ["stack", "output", "--json", "--show-secrets", "--stack", "central"],
      ["stack", "tag", "ls", "--json", "--stack", "account-111111111111"],
    ]);
  });

  it("preview reads tags and writes none; --all reads none", async () => {
    await run("up");
    await run("preview");
    expect(fake.invocations().filter((args) => args[1] === "tag" && args[2] === "set")).to.deep.equal([]);
    await run("up", true);
    expect(fake.invocations().filter((args) => args[1] === "tag" && args[2] === "ls")).to.deep.equal([]);
  });
});
