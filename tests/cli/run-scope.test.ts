import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import {
  type DeployDeps,
  deployCommand,
  type DeploySpec,
  type RemoteConnect,
} from "../../automation/cli/commands/deploy-common";
import { spec as driftSpec } from "../../automation/cli/commands/drift";
import { spec as outputsSpec } from "../../automation/cli/commands/outputs";
import { spec as previewSpec } from "../../automation/cli/commands/preview";
import { spec as upSpec } from "../../automation/cli/commands/up";
import { verifyCommand } from "../../automation/cli/commands/verify";
import { shardOf } from "../../automation/driver/shard";
import { FINGERPRINT_TAG } from "../../automation/driver/fingerprint";
import type { StackOutputs } from "../../automation/engine/engine";
import { MemoryEngine } from "../../automation/engine/memory";
import { inventory as makeInventory } from "../support/inventory-fixture";
import { capturedIo } from "../support/captured-io";

const CENTRAL_OUTPUTS: StackOutputs = {
  bucketArn: { value: "arn:aws:s3:::acme-org-backup-999999999999", secret: false },
  kmsKeyArn: { value: "arn:aws:kms:eu-west-1:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab", secret: false },
};
const INVENTORY = makeInventory({ count: 12 });
const SOURCE_IDS = INVENTORY.sources.map((s) => s.accountId);

const harness = (env: NodeJS.ProcessEnv = { PULUMI_CONFIG_PASSPHRASE: "x" }) => capturedIo(env, "/work");

describe("deploy commands: --stacks, --shard, --all, --engine remote", () => {
  let repoRoot: string;
  let remoteConnects: RemoteConnect[];
  beforeEach(() => {
    repoRoot = fs.mkdtempSync(path.join(os.tmpdir(), "run-scope-"));
    remoteConnects = [];
  });
  afterEach(() => fs.rmSync(repoRoot, { recursive: true, force: true }));

  const deps = (engine: MemoryEngine): DeployDeps => ({
    async findEngine() {
      return {
        ok: true,
        connect: async () => engine,
        connectRemote: async (remote) => {
          remoteConnects.push(remote);
          return engine;
        },
      };
    },
    loadInventory: async () => INVENTORY,
    interrupts: { onInterrupt: () => () => undefined },
    exit: () => undefined,
    freeMemoryBytes: () => 6 * 1024 ** 3,
    cpuCount: () => 2,
    repoRoot,
    now: () => new Date("2026-11-25T07:00:00Z"),
  });
  const deployed = () => new MemoryEngine({ existing: ["central"], stacks: { central: { outputs: CENTRAL_OUTPUTS } } });
  const run = async (spec: DeploySpec, argv: string[], engine = deployed(), env?: NodeJS.ProcessEnv) => {
    const h = harness(env);
    const code = await deployCommand(spec, deps(engine)).run(argv, h.io);
    return { code, engine, stdout: h.stdout(), stderr: h.stderr() };
  };
  const ran = (engine: MemoryEngine, operation: "up" | "preview" | "outputs" = "up") =>
    engine.callsOf(operation).map((call) => call.stack);

  it("--shard K/N runs that shard's source stacks only; the central stack's outputs come from the backend", async () => {
    const { code, engine, stderr } = await run(upSpec, ["--shard", "2/3"]);
    expect(code).to.equal(0);
    expect(ran(engine).sort()).to.deep.equal(
      SOURCE_IDS.filter((id) => shardOf(id, 3) === 2)
        .map((id) => `account-${id}`)
        .sort(),
    );
    expect(engine.callsOf("outputs").map((c) => c.stack)).to.deep.equal(["central"]);
    expect(stderr).to.match(/up: \d+ source account\(s\), .*shard 2\/3 \(central stack read from the backend\)/);
  });

  it("the shards of a matrix together run every source exactly once", async () => {
    const all: string[] = [];
    for (const k of [1, 2, 3, 4]) all.push(...ran((await run(previewSpec, ["--shard", `${k}/4`])).engine, "preview"));
    expect(all.sort()).to.deep.equal(SOURCE_IDS.map((id) => `account-${id}`).sort());
  });

  it("--stacks central runs the central stack alone (the first phase of a CI rollout)", async () => {
    const { code, engine } = await run(
      upSpec,
      ["--stacks", "central"],
      new MemoryEngine({ stacks: { central: { outputs: CENTRAL_OUTPUTS } } }),
    );
    expect(code).to.equal(0);
    expect(ran(engine)).to.deep.equal(["central"]);
  });

  it("a shard run before the central stack is deployed says to run --stacks central first", async () => {
    const { code, stdout } = await run(upSpec, ["--shard", "1/2"], new MemoryEngine());
    expect(code).to.equal(1);
    expect(stdout).to.contain("central stack is not deployed");
  });

  it("outputs --shard reads that shard's stacks", async () => {
    const { code, engine } = await run(outputsSpec, ["--shard", "1/2"]);
    expect(code).to.equal(0);
    expect(engine.callsOf("outputs").map((c) => c.stack)).to.not.include("central");
  });

  it("up skips unchanged stacks after a first up; --all runs them all", async function () {
    this.timeout(60_000);
    const engine = deployed();
    const first = await run(upSpec, [], engine);
    expect(first.code).to.equal(0);
    expect(engine.tags.get("account-111111111111")?.[FINGERPRINT_TAG]).to.match(/^v1\./);
    engine.calls.length = 0;
    const again = await run(upSpec, [], engine);
    expect(again.code).to.equal(0);
    expect(ran(engine)).to.deep.equal([]);
    expect(again.stderr).to.contain(
      "account-111111111111 up unchanged, skipped: desired state matches its last successful up",
    );
    expect(again.stderr).to.contain("changed stacks only");
    const forced = await run(upSpec, ["--all"], engine);
    expect(ran(engine)).to.have.length(13);
    expect(forced.stderr).to.contain("every stack (--all)");
  });

  it("--engine remote connects Pulumi Deployments with the git source, env, secrets and pre-run commands", async () => {
    const inventoryPath = path.join(repoRoot, "config", "accounts.yaml");
    const { code, stderr } = await run(
      upSpec,
      [
        "--engine",
        "remote",
        "--git-url",
        "https://github.com/acme/org-s3-backup.git",
        "--commit",
        "0123abc",
        "--pulumi-org",
        "acme",
        "--esc-env",
        "acme/org-s3-backup/deployer",
        "--remote-env",
        "AWS_REGION=eu-west-1",
        "--remote-secret-env",
        "SLACK_TOKEN",
        "--pre-run-command",
        "aws sts get-caller-identity",
        "--backend",
        "https://api.pulumi.com",
        "--inventory",
        inventoryPath,
        "--stacks",
        "central",
      ],
      new MemoryEngine({ stacks: { central: { outputs: CENTRAL_OUTPUTS } } }),
      { PULUMI_ACCESS_TOKEN: "pul-x", SLACK_TOKEN: "xoxb-1" },
    );
    expect(code).to.equal(0);
    expect(remoteConnects).to.deep.equal([
      {
        organization: "acme",
        source: { gitUrl: "https://github.com/acme/org-s3-backup.git", commit: "0123abc" },
        env: { AWS_REGION: "eu-west-1", SLACK_TOKEN: { secret: "xoxb-1" } },
        preRunCommands: ["aws sts get-caller-identity"],
        escEnvironment: "acme/org-s3-backup/deployer",
      },
    ]);
    expect(stderr).to.contain("engine remote (Pulumi Deployments, https://github.com/acme/org-s3-backup.git 0123abc)");
  });

  const remote = ["--engine", "remote", "--git-url", "https://x/r.git", "--branch", "main", "--pulumi-org", "acme"];
  const cloud = ["--backend", "https://api.pulumi.com"];
  for (const [spec, argv, message] of [
    [upSpec, ["--shard", "4/3"], "--shard: K must be between 1 and N (3), got '4/3'"],
    [upSpec, ["--shard", "0/0"], "--shard: the number of shards N must be at least 1"],
    [upSpec, ["--shard", "two"], "--shard must be K/N"],
    [upSpec, ["--stacks", "some"], "--stacks must be one of all, central, sources"],
    [upSpec, ["--shard", "1/2", "--stacks", "central"], "the central stack is in no shard"],
    [upSpec, ["--prune", "--stacks", "central"], "--prune destroys orphan source stacks"],
    [driftSpec, ["--all"], "--all"],
    [upSpec, ["--git-url", "https://x"], "--git-url is for --engine remote"],
    [upSpec, ["--engine", "cloud"], "--engine must be local or remote"],
    [driftSpec, [...remote, ...cloud], "drift is not run remotely"],
    [upSpec, [...remote, ...cloud, "--prune"], "a remote destroy cannot keep protected resources"],
    [upSpec, ["--engine", "remote", "--branch", "main", "--pulumi-org", "acme", ...cloud], "needs --git-url"],
    [upSpec, [...remote, "--commit", "abc", ...cloud], "exactly one of --branch and --commit"],
    [upSpec, ["--engine", "remote", "--git-url", "u", "--branch", "b", ...cloud], "needs --pulumi-org"],
    [upSpec, [...remote, "--remote-env", "NOVALUE", ...cloud], "--remote-env must be NAME=VALUE"],
    [upSpec, [...remote, "--remote-secret-env", "UNSET_HERE", ...cloud], "UNSET_HERE is not set here"],
    [upSpec, [...remote, "--backend", "s3://state"], "needs the Pulumi Cloud backend"],
    [upSpec, [...remote, ...cloud, "--inventory", "/elsewhere/accounts.yaml"], "must be a file of the repository"],
  ] as const) {
    it(`exits 2 on ${spec.name} ${argv.join(" ")}`, async () => {
      const { code, stderr, engine } = await run(spec, [...argv], deployed(), { PULUMI_ACCESS_TOKEN: "x" });
      expect(code).to.equal(2);
      expect(stderr).to.contain(message);
      expect(engine.calls).to.deep.equal([]);
    });
  }

  it("help shows the options; --all only for preview and up", () => {
    const up = deployCommand(upSpec).help;
    expect(up).to.contain("--shard K/N").and.contain("--stacks all|central|sources").and.contain("--all");
    expect(up).to.contain("--engine local|remote").and.contain("--esc-env ENV");
    expect(deployCommand(driftSpec).help).to.not.contain("--all ");
  });

  it("verify --shard checks the same shard's accounts", async () => {
    const h = harness();
    const code = await verifyCommand({
      loadInventory: async () => INVENTORY,
      aws: () => {
        throw new Error("stop here");
      },
      clock: { now: () => 0, sleep: async () => undefined },
      interrupts: { onInterrupt: () => () => undefined },
      exit: () => undefined,
      now: () => new Date("2026-11-25T07:00:00Z"),
    })
      .run(["--shard", "9/8"], h.io)
      .catch(() => -1);
    expect(code).to.equal(2);
    expect(h.stderr()).to.contain("--shard: K must be between 1 and N (8)");
  });
});
