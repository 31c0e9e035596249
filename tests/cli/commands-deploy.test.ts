import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import {
  type DeployDeps,
  defaultDeps,
  deployCommand,
  type DeploySpec,
} from "../../automation/cli/commands/deploy-common";
import type { StackOutputs } from "../../automation/engine/engine";
import { createAutomationEngine } from "../../automation/engine/automation";
import { MemoryEngine } from "../../automation/engine/memory";
import { spec as destroySpec } from "../../automation/cli/commands/destroy";
import { spec as driftSpec } from "../../automation/cli/commands/drift";
import { spec as outputsSpec } from "../../automation/cli/commands/outputs";
import { spec as previewSpec } from "../../automation/cli/commands/preview";
import { missingCliMessage } from "../../automation/engine/pulumi-cli";
import { FakePulumiCommand } from "../support/fake-pulumi-command";
import { inventory as makeInventory } from "../support/inventory-fixture";
import { capturedIo } from "../support/captured-io";

const CENTRAL_OUTPUTS: StackOutputs = {
  bucketArn: { value: "arn:aws:s3:::acme-org-backup-999999999999", secret: false },
  kmsKeyArn: { value: "arn:aws:kms:eu-west-1:999999999999:key/k", secret: false },
};
const UP: DeploySpec = { name: "up", summary: "", description: "up", prune: true };
const PASSPHRASE = { PULUMI_CONFIG_PASSPHRASE: "correct horse" };

const harness = (env: NodeJS.ProcessEnv = PASSPHRASE) => capturedIo(env, "/work");

describe("deploy commands", () => {
  let repoRoot: string;
  let interrupt: (() => void) | undefined;
  let exits: number[];
  let connects: number;

  beforeEach(() => {
    repoRoot = fs.mkdtempSync(path.join(os.tmpdir(), "deploy-"));
    interrupt = undefined;
    exits = [];
    connects = 0;
  });
  afterEach(() => fs.rmSync(repoRoot, { recursive: true, force: true }));

  function deps(engine: MemoryEngine | undefined, overrides: Partial<DeployDeps> = {}): DeployDeps {
    return {
      async findEngine() {
        if (!engine) return { ok: false, message: missingCliMessage(["spawn pulumi ENOENT"]) };
        return {
          ok: true,
          connect: async () => {
            connects += 1;
            return engine;
          },
        };
      },
      loadInventory: async () => makeInventory(),
      interrupts: {
        onInterrupt(handler) {
          interrupt = handler;
          return () => (interrupt = undefined);
        },
      },
      exit: (code) => exits.push(code),
      freeMemoryBytes: () => 6 * 1024 ** 3,
      cpuCount: () => 2,
      repoRoot,
      now: () => new Date("2026-11-25T07:00:00Z"),
      ...overrides,
    };
  }

  /** The real Automation API engine, driving the recording fake CLI. */
  const automationDeps = (fake: FakePulumiCommand) =>
    deps(undefined, {
      async findEngine() {
        return {
          ok: true,
          connect: (backend, env) =>
            createAutomationEngine({ workDir: repoRoot, backend, env, pulumiCommand: fake.asPulumiCommand() }),
        };
      },
    });

  const run = (argv: string[], d: DeployDeps, h = harness(), spec = UP) =>
    deployCommand(spec, d)
      .run(argv, h.io)
      .then((code) => ({ code, ...h }));

  it("deploys and prints the summary table, exit 0", async () => {
    const engine = new MemoryEngine({ stacks: { central: { outputs: CENTRAL_OUTPUTS } } });
    const { code, stdout, stderr } = await run([], deps(engine));
    expect(code).to.equal(0);
    expect(stdout()).to.match(/^STACK\s+ACCOUNT/);
    expect(stdout()).to.contain("up: 4 ok");
    expect(stderr()).to.contain("up: 3 source account(s), concurrency 4, failure tolerance 10%, backend file://");
    expect(fs.readFileSync(path.join(repoRoot, "logs", "2026-11-25T07-00-00-000Z", "central.log"), "utf8")).to.contain(
      "up central",
    );
  });

  it("installs the provider plugin the lockfile pins once, before any stack is opened", async () => {
    const engine = new MemoryEngine({ stacks: { central: { outputs: CENTRAL_OUTPUTS } } });
    const opened: number[] = [];
    const open = engine.openStack.bind(engine);
    engine.openStack = (name, options) => {
      opened.push(engine.pluginInstalls.length);
      return open(name, options);
    };
    const { code, stderr } = await run([], deps(engine));
    expect(code).to.equal(0);
    const awsVersion = JSON.parse(
      fs.readFileSync(path.join(__dirname, "..", "..", "node_modules", "@pulumi", "aws", "package.json"), "utf8"),
    ).version;
    expect(engine.pluginInstalls).to.deep.equal([[{ name: "aws", version: `v${awsVersion}` }]]);
    expect(opened.length).to.equal(4);
    expect(
      opened.every((installsSoFar) => installsSoFar === 1),
      "every stack opened after the one install",
    ).to.equal(true);
    expect(stderr()).to.contain(`up: installing provider plugins aws v${awsVersion} (once, before the stacks run)`);
  });

  it("through the Automation API: one `plugin install` precedes every stack command (recording fake CLI)", async () => {
    const fake = new FakePulumiCommand();
    const d = automationDeps(fake);
    await run(["--concurrency", "4"], d);
    const calls = fake.invocations();
    const installs = calls.flatMap((args, index) => (args[0] === "plugin" && args[1] === "install" ? [index] : []));
    const firstStackCommand = calls.findIndex((args) => args[0] === "stack" && args[1] !== "ls");
    expect(installs).to.have.length(1);
    expect(calls[installs[0]].slice(0, 4)).to.deep.equal(["plugin", "install", "resource", "aws"]);
    expect(firstStackCommand).to.be.greaterThan(installs[0]);
  });

  it("leaves the repository clean after `up`: no Pulumi.<stack>.yaml, no config command (recording fake CLI)", async () => {
    const root = path.resolve(__dirname, "..", "..");
    for (const file of ["Pulumi.yaml", ".gitignore"]) fs.copyFileSync(path.join(root, file), path.join(repoRoot, file));
    const git = (...args: string[]) =>
      execFileSync("git", ["-C", repoRoot, ...args], {
        encoding: "utf8",
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: "t",
          GIT_AUTHOR_EMAIL: "t@t",
          GIT_COMMITTER_NAME: "t",
          GIT_COMMITTER_EMAIL: "t@t",
        },
      });
    git("init", "-q");
    git("add", ".");
    git("commit", "-qm", "project");
    const fake = new FakePulumiCommand();
    fake.addStack("central", {
      outputs: { bucketArn: CENTRAL_OUTPUTS.bucketArn, kmsKeyArn: CENTRAL_OUTPUTS.kmsKeyArn },
    });
    const d = automationDeps(fake);
    const { code, stderr } = await run([], d);
    expect(code, stderr()).to.equal(0);
    expect(fake.invocations().filter((args) => args[0] === "up")).to.have.length(4);
    expect(fake.invocations().filter((args) => args[0] === "config")).to.deep.equal([]);
    expect(
      fake.calls.filter((call) => call.args[0] === "up").every((call) => call.env.ORG_S3_BACKUP_INVENTORY),
    ).to.equal(true);
    expect(git("status", "--porcelain")).to.equal("");
  });

  it("exits 3 with the reason when the provider plugin cannot be had, having run nothing", async () => {
    const engine = new MemoryEngine({
      pluginFailure:
        "error: installing plugin aws v7.48.0: " +
        'Get "https://get.pulumi.com/releases/plugins/pulumi-resource-aws-v7.48.0-linux-amd64.tar.gz": ' +
        "dial tcp: lookup get.pulumi.com: no such host",
    });
    const { code, stderr } = await run([], deps(engine));
    expect(code).to.equal(3);
    expect(stderr()).to.match(
      /cannot install the provider plugins aws v\d+\.\d+\.\d+, nothing was changed\.\n {2}error: installing plugin aws/,
    );
    expect(engine.calls).to.deep.equal([]);
  });

  it("with --json prints only the JSON summary on stdout", async () => {
    const engine = new MemoryEngine({
      stacks: {
        central: { outputs: CENTRAL_OUTPUTS },
        "account-222222222222": { fail: { up: "error: [409] Conflict: Another update is currently in progress." } },
      },
    });
    const { code, stdout } = await run(["--json", "--failure-tolerance", "5"], deps(engine));
    expect(code).to.equal(1);
    const summary = JSON.parse(stdout());
    expect(summary.exitCode).to.equal(1);
    expect(summary.stacks.map((s: { status: string }) => s.status)).to.deep.equal([
      "succeeded",
      "succeeded",
      "failed",
      "succeeded",
    ]);
    expect(summary.stacks[2].failure.category).to.equal("conflict");
  });

  it("honours --accounts and --concurrency", async () => {
    const engine = new MemoryEngine({ existing: ["central"], stacks: { central: { outputs: CENTRAL_OUTPUTS } } });
    const { code } = await run(["--accounts", "111111111111,333333333333", "--concurrency", "1"], deps(engine));
    expect(code).to.equal(0);
    expect(engine.callsOf("up").map((c) => c.stack)).to.deep.equal(["account-111111111111", "account-333333333333"]);
    expect(engine.maxInFlight).to.equal(1);
  });

  for (const [argv, message] of [
    [["--accounts", "444444444444"], "account 444444444444 is not in the inventory"],
    [["--exclude", "abc"], "'abc' is not a 12-digit account id"],
    [["--concurrency", "0"], "--concurrency must be a whole number >= 1"],
    [["--failure-tolerance", "lots"], "--failure-tolerance must be a count"],
    [["--prune", "--accounts", "111111111111"], "--prune acts on every orphan stack"],
    [["--backend", "bucket"], "'bucket' is not a backend URL"],
    [["--force"], "Unknown option '--force'"],
  ] as const) {
    it(`exits 2 on ${argv.join(" ")} before looking for the CLI`, async () => {
      let looked = false;
      const d = deps(new MemoryEngine(), {
        findEngine: async () => {
          looked = true;
          return { ok: false, message: "" };
        },
      });
      const { code, stderr } = await run([...argv], d);
      expect(code).to.equal(2);
      expect(stderr()).to.contain(message);
      expect(looked).to.equal(false);
    });
  }

  it("exits 2 when the inventory does not load", async () => {
    const { code } = await run([], deps(new MemoryEngine(), { loadInventory: async () => undefined }));
    expect(code).to.equal(2);
  });

  it("without the Pulumi CLI stops before doing anything, says how to install it, exit 3", async () => {
    const { code, stderr, stdout } = await run([], deps(undefined));
    expect(code).to.equal(3);
    expect(stderr())
      .to.contain("The Pulumi CLI is missing")
      .and.contain("curl -fsSL https://get.pulumi.com")
      .and.contain("--install-cli");
    expect(stdout()).to.equal("");
    expect(connects).to.equal(0);
    expect(fs.readdirSync(repoRoot)).to.deep.equal([]);
  });

  it("without a passphrase stops before doing anything, exit 3 (and says all that is missing at once)", async () => {
    const { code, stderr } = await run([], deps(undefined), harness({}));
    expect(code).to.equal(3);
    expect(stderr()).to.contain("The Pulumi CLI is missing").and.contain("PULUMI_CONFIG_PASSPHRASE is not set");
    const engine = new MemoryEngine();
    const second = await run([], deps(engine), harness({}));
    expect(second.code).to.equal(3);
    expect(engine.calls).to.deep.equal([]);
  });

  it("exits 3 when the backend is unreachable", async () => {
    const engine = new MemoryEngine({
      listFailure:
        'error: failed to load checkpoint: blob (key ".pulumi/meta.yaml") (code=Unknown): NoCredentialProviders',
    });
    const { code, stderr } = await run(["--backend", "s3://team-state"], deps(engine));
    expect(code).to.equal(3);
    expect(stderr()).to.contain("the backend s3://team-state is not reachable").and.contain("NoCredentialProviders");
    expect(engine.callsOf("open")).to.deep.equal([]);
  });

  it("reports orphans, and --prune destroys them", async () => {
    const existing = ["central", "account-444444444444"];
    const reported = await run(
      [],
      deps(new MemoryEngine({ existing, stacks: { central: { outputs: CENTRAL_OUTPUTS } } })),
    );
    expect(reported.stdout()).to.contain(
      "Orphan stacks (account no longer in the inventory, or disabled): account-444444444444.",
    );
    const engine = new MemoryEngine({ existing, stacks: { central: { outputs: CENTRAL_OUTPUTS } } });
    const pruned = await run(["--prune", "--yes"], deps(engine));
    expect(pruned.code).to.equal(0);
    expect(engine.callsOf("remove").map((c) => c.stack)).to.deep.equal(["account-444444444444"]);
  });

  it("on Ctrl-C cancels running stacks, prints the lock advice and exits 130; a second Ctrl-C exits at once", async () => {
    const engine = new MemoryEngine({
      latencyMs: 200,
      stacks: { central: { outputs: CENTRAL_OUTPUTS, latencyMs: 1 } },
    });
    const pending = run(["--concurrency", "2"], deps(engine));
    while (!engine.callsOf("up").some((call) => call.stack === "account-111111111111"))
      await new Promise((resolve) => setTimeout(resolve, 5));
    interrupt!();
    interrupt!();
    const { code, stderr, stdout } = await pending;
    expect(exits).to.deep.equal([130]);
    expect(code).to.equal(130);
    expect(stderr())
      .to.contain("Ctrl-C: cancelling running stacks")
      .and.contain("pulumi cancel --yes --stack account-111111111111");
    expect(stdout()).to.match(/account-333333333333\s.*up skipped/);
    expect(stdout()).to.contain("Skipped (1):\n  interrupted: account-333333333333");
    expect(interrupt).to.equal(undefined);
  });

  it("asks for the CLI to be installed with --install-cli", async () => {
    const asked: boolean[] = [];
    const d = deps(undefined, {
      findEngine: async (install) => {
        asked.push(install);
        return { ok: false, message: "download failed" };
      },
    });
    await run(["--install-cli"], d);
    await run([], d);
    expect(asked).to.deep.equal([true, false]);
  });

  it("preview lists orphans and works before the central stack exists", async () => {
    const engine = new MemoryEngine({ existing: ["account-444444444444"] });
    const { code, stdout } = await run([], deps(engine), harness(), previewSpec);
    expect(code).to.equal(0);
    expect(stdout())
      .to.contain("central stack not deployed")
      .and.contain("Orphan stacks")
      .and.contain("account-444444444444");
    expect(engine.callsOf("destroy")).to.deep.equal([]);
  });

  it("outputs prints each deployed stack's outputs with secrets masked", async () => {
    const engine = new MemoryEngine({
      existing: ["central"],
      stacks: { central: { outputs: { ...CENTRAL_OUTPUTS, token: { value: "s3cr3t", secret: true } } } },
    });
    const { code, stdout } = await run([], deps(engine), harness(), outputsSpec);
    expect(code).to.equal(0);
    expect(stdout())
      .to.contain("central (999999999999)\n  bucketArn = arn:aws:s3:::acme-org-backup-999999999999\n")
      .and.contain("token = [secret]");
    expect(stdout()).to.not.contain("s3cr3t");
  });

  it("drift exits 1 when an account drifted", async () => {
    const existing = ["central", "account-111111111111", "account-222222222222", "account-333333333333"];
    const engine = new MemoryEngine({
      existing,
      stacks: { "account-333333333333": { drift: { create: 0, update: 2, delete: 0, same: 5 } } },
    });
    const { code, stdout } = await run([], deps(engine), harness(), driftSpec);
    expect(code).to.equal(1);
    expect(stdout()).to.match(/account-333333333333\s.*drift DRIFTED\s+\+0 ~2 -0/);
  });

  it("destroy leaves the central stack alone unless named", async () => {
    const existing = ["central", "account-111111111111", "account-222222222222", "account-333333333333"];
    const engine = new MemoryEngine({ existing });
    const { code } = await run(["--yes"], deps(engine), harness(), destroySpec);
    expect(code).to.equal(0);
    expect(engine.callsOf("destroy").map((c) => c.stack)).to.not.include("central");
    expect(engine.existing.has("central")).to.equal(true);
  });

  it("the real command, on a machine without the Pulumi CLI, exits 3 having created nothing", async function () {
    let onPath = true;
    try {
      execFileSync("pulumi", ["version"], { stdio: "ignore" });
    } catch {
      onPath = false;
    }
    if (onPath) {
      console.log("      (skipped: a Pulumi CLI is on PATH, this test needs a machine without one)");
      this.skip();
    }
    const started = Date.now();
    const { code, stderr } = await run([], { ...defaultDeps, loadInventory: async () => makeInventory(), repoRoot });
    expect(code).to.equal(3);
    expect(stderr()).to.contain("The Pulumi CLI is missing").and.contain("no `pulumi` on PATH nor in");
    expect(fs.readdirSync(repoRoot)).to.deep.equal([]);
    console.log(`      (CLI lookup failed in ${Date.now() - started} ms)`);
  });
});
