import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import type { Backend } from "../../automation/engine/backend";
import type { Engine } from "../../automation/engine/engine";
import {
  countsFromOpMap,
  createAutomationEngine,
  FORWARD_ABORT_AFTER_MS,
  protectedUrns,
} from "../../automation/engine/automation";
import { classifyFailure, describeFailure, StackError } from "../../automation/engine/errors";
import { locatePulumiCli } from "../../automation/engine/pulumi-cli";
import { FakePulumiCommand } from "../support/fake-pulumi-command";

describe("engine-automation (LocalWorkspace over a recording fake CLI)", () => {
  let workDir: string;
  let fake: FakePulumiCommand;
  let engine: Engine;
  const backend: Backend = { url: "file:///tmp/state", secretsProvider: "passphrase" };
  const env = { PULUMI_CONFIG_PASSPHRASE: "test-passphrase", HOME: "/home/ci" };

  beforeEach(async () => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), "engine-automation-"));
    fake = new FakePulumiCommand();
    engine = await createAutomationEngine({ workDir, backend, env, pulumiCommand: fake.asPulumiCommand() });
  });
  afterEach(() => fs.rmSync(workDir, { recursive: true, force: true }));

  const last = () => fake.invocations().at(-1);

  /** What `up` of account-111111111111 throws when the CLI fails with this output. */
  async function failedUp(output: { stdout?: string; stderr: string }): Promise<StackError> {
    fake.addStack("account-111111111111");
    fake.failures.push({ match: (args) => args[0] === "up", ...output });
    const stack = await engine.openStack("account-111111111111", { create: false });
    return (await stack.up().catch((e: unknown) => e)) as StackError;
  }

  it("runs every command in the repository with the backend, passphrase and no update check", async () => {
    await engine.listStacks();
    const call = fake.calls.at(-1)!;
    expect(call.cwd).to.equal(workDir);
    expect(call.env).to.include({
      PULUMI_BACKEND_URL: "file:///tmp/state",
      PULUMI_CONFIG_PASSPHRASE: "test-passphrase",
      PULUMI_SKIP_UPDATE_CHECK: "true",
    });
    expect(call.env).to.not.have.property("HOME");
  });

  it("lists stacks with `stack ls --json`, unqualifying names", async () => {
    fake.addStack("central");
    fake.addStack("organization/org-s3-backup/account-111111111111");
    expect(await engine.listStacks()).to.deep.equal(["central", "account-111111111111"]);
    expect(last()).to.deep.equal(["stack", "ls", "--json"]);
  });

  it("creates a missing stack with the passphrase provider after `stack select` fails", async () => {
    await engine.openStack("account-111111111111", { create: true });
    expect(fake.invocations()).to.deep.equal([
      ["stack", "select", "--stack", "account-111111111111"],
      ["stack", "init", "account-111111111111", "--secrets-provider", "passphrase"],
    ]);
  });

  it("only selects when asked not to create, and a missing stack is a not-deployed StackError", async () => {
    const error = await engine.openStack("account-222222222222", { create: false }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(StackError);
    expect((error as StackError).stackName).to.equal("account-222222222222");
    // The SDK's StackNotFoundError decides the category, not the text.
    expect((error as StackError).category).to.equal("not-deployed");
    expect(describeFailure(error).category).to.equal("not-deployed");
    expect(fake.invocations()).to.deep.equal([["stack", "select", "--stack", "account-222222222222"]]);
  });

  it("passes the program's environment to every later CLI call, and writes no stack config", async () => {
    fake.addStack("account-111111111111");
    engine.setProgramEnv({ ORG_S3_BACKUP_INVENTORY: "/repo/config/accounts.yaml" });
    const stack = await engine.openStack("account-111111111111", { create: true });
    await stack.preview();
    expect(fake.calls.at(-1)!.env).to.include({ ORG_S3_BACKUP_INVENTORY: "/repo/config/accounts.yaml" });
    expect(fake.invocations().filter((args) => args[0] === "config")).to.deep.equal([]);
  });

  it("previews with the local program and counts changes from the summary event", async () => {
    fake.addStack("central", { changes: { create: 5, same: 2, replace: 1 } });
    const progress: number[] = [];
    const stack = await engine.openStack("central", { create: true });
    const result = await stack.preview({ onProgress: (counts) => progress.push(counts.create) });
    expect(last()).to.deep.equal([
      "preview",
      "--exec-kind",
      "auto.local",
      "--event-log",
      "<events>",
      "--stack",
      "central",
    ]);
    expect(result.counts).to.deep.equal({ create: 5, update: 1, delete: 0, same: 2 });
    expect(result.log).to.contain("Updating (central)");
    expect(Math.max(...progress)).to.equal(5);
  });

  it("ups without a second preview, then reads outputs and the update summary", async () => {
    fake.addStack("central", {
      changes: { create: 3 },
      outputs: {
        bucketArn: { value: "arn:aws:s3:::central" },
        kmsKeyArn: { value: "arn:aws:kms:eu-west-1:999999999999:key/k", secret: true },
      },
    });
    const stack = await engine.openStack("central", { create: true });
    const result = await stack.up();
    const invocations = fake.invocations();
    const upAt = invocations.findIndex((args) => args[0] === "up");
    expect(invocations[upAt]).to.deep.equal([
      "up",
      "--yes",
      "--skip-preview",
      "--exec-kind",
      "auto.local",
      "--event-log",
      "<events>",
      "--stack",
      "central",
    ]);
    expect(invocations.slice(upAt + 1)).to.deep.equal([
      ["stack", "output", "--json", "--stack", "central"],
      ["stack", "output", "--json", "--show-secrets", "--stack", "central"],
      ["stack", "history", "--json", "--show-secrets", "--page-size", "1", "--page", "1", "--stack", "central"],
    ]);
    expect(result.counts.create).to.equal(3);
    expect(result.outputs.kmsKeyArn).to.deep.equal({ value: "arn:aws:kms:eu-west-1:999999999999:key/k", secret: true });
  });

  it("destroys with --exclude-protected (never --remove) and reports the protected resources kept", async () => {
    const urn = "urn:pulumi:account-111111111111::org-s3-backup::aws:s3/bucket:Bucket::data";
    fake.addStack("account-111111111111", { changes: { delete: 4 }, protectedUrns: [urn] });
    const stack = await engine.openStack("account-111111111111", { create: false });
    const result = await stack.destroy();
    const destroy = fake.invocations().find((args) => args[0] === "destroy")!;
    expect(destroy).to.deep.equal([
      "destroy",
      "--yes",
      "--skip-preview",
      "--exclude-protected",
      "--event-log",
      "<events>",
      "--exec-kind",
      "auto.local",
      "--stack",
      "account-111111111111",
    ]);
    expect(destroy).to.not.include("--remove");
    expect(destroy).to.not.include("--target-dependents");
    expect(result.retained).to.deep.equal([urn]);
    expect(result.counts.delete).to.equal(4);
  });

  it("checks drift with `refresh --preview-only` and counts what differs", async () => {
    fake.addStack("account-111111111111", { changes: { update: 1, delete: 1, same: 6 } });
    const stack = await engine.openStack("account-111111111111", { create: false });
    const result = await stack.drift();
    expect(last()).to.deep.equal([
      "refresh",
      "--preview-only",
      "--exec-kind",
      "auto.local",
      "--event-log",
      "<events>",
      "--stack",
      "account-111111111111",
    ]);
    expect(result.counts).to.deep.equal({ create: 0, update: 1, delete: 1, same: 6 });
  });

  it("removes a stack with `stack rm --yes --force` (state only)", async () => {
    fake.addStack("account-333333333333");
    const stack = await engine.openStack("account-333333333333", { create: false });
    await stack.remove();
    expect(last()).to.deep.equal(["stack", "rm", "--yes", "--force", "account-333333333333"]);
  });

  it("never runs two workspace-writing commands at once, even when asked concurrently", async () => {
    const names = Array.from({ length: 6 }, (_, i) => `account-10000000000${i}`);
    const stacks = await Promise.all(names.map((name) => engine.openStack(name, { create: true })));
    expect(stacks).to.have.length(6);
    expect(fake.invocations().filter((args) => args[1] === "init")).to.have.length(6);
    expect(fake.overlappingWorkspaceWrites).to.equal(0);
  });

  it("lets operations run concurrently", async () => {
    const names = ["account-111111111111", "account-222222222222", "account-333333333333"];
    for (const name of names) fake.addStack(name);
    const stacks = await Promise.all(names.map((name) => engine.openStack(name, { create: false })));
    const before = fake.calls.length;
    await Promise.all(stacks.map((stack) => stack.preview()));
    const previews = fake.calls.slice(before).filter((call) => call.args[0] === "preview");
    const firstEnd = Math.min(...previews.map((call) => call.end!));
    expect(previews.filter((call) => call.start < firstEnd)).to.have.length(3);
  });

  it("wraps a failing invocation in a StackError that keeps the stack name and the raw CLI text", async () => {
    const stderr = [
      "error: the stack is currently locked by 1 lock(s). " +
        "Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.",
      "  file:///repo/.pulumi-state/.pulumi/locks/organization/org-s3-backup/account-111111111111/3f1c.json: " +
        "created by ci@runner (pid 4242) at 2026-11-25T06:00:00Z",
    ].join("\n");
    const error = await failedUp({ stdout: "Updating (account-111111111111):\n", stderr });
    expect(error).to.be.instanceOf(StackError);
    expect(error.message).to.match(/^account-111111111111: up failed: error: the stack is currently locked/);
    expect(error.raw).to.contain("Updating (account-111111111111)").and.contain("pid 4242");
    expect(classifyFailure(error.raw)).to.equal("locked");
    // The SDK raised ConcurrentUpdateError for this stderr: the class, not the text, decided.
    expect(error.category).to.equal("locked");
  });

  it("installs each provider plugin with one `plugin install resource NAME VERSION`", async () => {
    await engine.installPlugins([{ name: "aws", version: "v7.48.0" }]);
    expect(last()).to.deep.equal(["plugin", "install", "resource", "aws", "v7.48.0"]);
    expect(fake.invocations().filter((args) => args[0] === "plugin")).to.have.length(1);
  });

  it("maps the Pulumi Cloud conflict (ConcurrentUpdateError) to a locked stack by its class", async () => {
    const error = await failedUp({ stderr: "error: [409] Conflict: Another update is currently in progress." });
    expect(error.category).to.equal("locked");
    expect(describeFailure(error).category).to.equal("locked");
  });

  it("leaves a plain CommandError to the text rules (an AWS message inside a failed update)", async () => {
    const error = await failedUp({
      stderr: "error: creating S3 Bucket Replication Configuration: api error AccessDenied: Access Denied",
    });
    expect(error.category).to.equal(undefined);
    expect(describeFailure(error).category).to.equal("access-denied");
  });

  it("forwards an abort to the CLI (SIGINT via the Automation API's signal) after a grace period", async () => {
    const slow = new FakePulumiCommand(5, 5_000);
    slow.addStack("central");
    const slowEngine = await createAutomationEngine({ workDir, backend, env, pulumiCommand: slow.asPulumiCommand() });
    const stack = await slowEngine.openStack("central", { create: false });
    const abort = new AbortController();
    const started = Date.now();
    const pending = stack.up({ signal: abort.signal }).catch((e: unknown) => e);
    abort.abort();
    const error = (await pending) as StackError;
    const elapsed = Date.now() - started;
    expect(error).to.be.instanceOf(StackError);
    expect(error.raw).to.contain("update canceled");
    expect(elapsed)
      .to.be.at.least(FORWARD_ABORT_AFTER_MS - 50)
      .and.below(4_000);
  });

  it("folds Pulumi's operation counts and finds protected URNs in an export", () => {
    expect(countsFromOpMap({ create: 1, import: 1, update: 2, replace: 1, delete: 3, same: 4, read: 9 })).to.deep.equal(
      { create: 2, update: 3, delete: 3, same: 4 },
    );
    expect(countsFromOpMap(undefined)).to.deep.equal({ create: 0, update: 0, delete: 0, same: 0 });
    expect(
      protectedUrns({ resources: [{ urn: "a", protect: true }, { urn: "b" }, { urn: "c", protect: false }] }),
    ).to.deep.equal(["a"]);
  });
});

describe("engine-automation with the real Pulumi CLI", function () {
  this.timeout(120_000);
  let workDir: string;

  before(async function () {
    const lookup = await locatePulumiCli();
    if (!lookup.ok) {
      console.log("      (skipped: no Pulumi CLI on PATH or in ~/.pulumi/versions; install it to run these)");
      this.skip();
    }
  });

  beforeEach(() => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), "engine-real-"));
    // A YAML program needs no language plugin download: the CLI bundles the YAML runtime.
    fs.writeFileSync(
      path.join(workDir, "Pulumi.yaml"),
      "name: org-s3-backup\nruntime: yaml\noutputs:\n  bucketArn: arn:aws:s3:::real-cli-test\n",
    );
  });
  afterEach(() => fs.rmSync(workDir, { recursive: true, force: true }));

  it("creates, configures, previews, deploys, reads outputs, destroys and removes a stack", async () => {
    const lookup = await locatePulumiCli();
    if (!lookup.ok) throw new Error(lookup.message);
    const engine = await createAutomationEngine({
      workDir,
      backend: {
        url: `file://${path.join(workDir, ".state")}`,
        secretsProvider: "passphrase",
        localDir: path.join(workDir, ".state"),
      },
      env: { PULUMI_CONFIG_PASSPHRASE: "test" },
      pulumiCommand: lookup.command,
    });
    engine.setProgramEnv({ ORG_S3_BACKUP_INVENTORY: "/i.yaml" });
    const stack = await engine.openStack("central", { create: true });
    await stack.preview();
    const up = await stack.up();
    expect(up.outputs.bucketArn.value).to.equal("arn:aws:s3:::real-cli-test");
    expect((await stack.outputs()).bucketArn.value).to.equal("arn:aws:s3:::real-cli-test");
    expect(await engine.listStacks()).to.deep.equal(["central"]);
    expect((await stack.drift()).counts.update).to.equal(0);
    await stack.destroy();
    await stack.remove();
    expect(await engine.listStacks()).to.deep.equal([]);
  });
});
