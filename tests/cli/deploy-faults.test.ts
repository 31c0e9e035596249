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
import type { Prompt } from "../../automation/cli/deploy-safety";
import type { InterruptSignal } from "../../automation/cli/interrupts";
import { createAutomationEngine } from "../../automation/engine/automation";
import type { Engine } from "../../automation/engine/engine";
import { locatePulumiCli, MIN_CLI_VERSION } from "../../automation/engine/pulumi-cli";
import { spec as destroySpec } from "../../automation/cli/commands/destroy";
import type { Inventory } from "../../config/types";
import { inventory as makeInventory } from "../support/inventory-fixture";
import { type StandIn, type StandInOptions, writeStandIn } from "../support/stand-in-pulumi";
import { capturedIo } from "../support/captured-io";

/**
 * `up` and `destroy` under faults, in process: the real deploy command, the real CLI lookup and version
 * check, the real AutomationEngine and ManagedPulumiCommand, driving a stand-in Pulumi CLI (a shell
 * script, tests/support/stand-in-pulumi.ts). Only Ctrl-C and the prompt are pressed by the test.
 * (tests/cli/deploy-process.test.ts runs the `org-s3-backup` process itself for signals and pipes.)
 */

const UP: DeploySpec = { name: "up", summary: "", description: "up", prune: true };

describe("deploy commands under faults (stand-in Pulumi CLI)", () => {
  let root: string;
  let interrupt: ((signal?: InterruptSignal) => void) | undefined;
  let exits: number[];
  let engines: Engine[];

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "deploy-faults-"));
    fs.copyFileSync(path.join(__dirname, "..", "..", "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
    interrupt = undefined;
    exits = [];
    engines = [];
  });
  afterEach(() => {
    for (const engine of engines) engine.terminate?.();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const harness = () => capturedIo({ PULUMI_CONFIG_PASSPHRASE: "x" }, root);

  function deps(standIn: StandIn, overrides: Partial<DeployDeps> & { inventory?: Inventory } = {}): DeployDeps {
    const { inventory = makeInventory(), ...rest } = overrides;
    return {
      ...defaultDeps,
      async findEngine(_install, limits) {
        const lookup = await locatePulumiCli({
          env: { PATH: standIn.binDir },
          home: root,
          ...(limits ? { limits } : {}),
        });
        if (!lookup.ok) return lookup;
        return {
          ok: true,
          ...(lookup.warning ? { warning: lookup.warning } : {}),
          connect: async (backend, env) => {
            const engine = await createAutomationEngine({ workDir: root, backend, env, pulumiCommand: lookup.command });
            engines.push(engine);
            return engine;
          },
        };
      },
      loadInventory: async () => inventory,
      interrupts: {
        onInterrupt(handler) {
          interrupt = handler;
          return () => (interrupt = undefined);
        },
      },
      exit: (code) => exits.push(code),
      repoRoot: root,
      now: () => new Date("2026-11-25T10:00:00Z"),
      prompt: { interactive: () => false, ask: async () => undefined },
      ...rest,
    };
  }

  const standInWith = (options: StandInOptions = {}) => writeStandIn(path.join(root, "cli"), options);
  const backendArgs = (standIn: StandIn) => ["--backend", `file://${standIn.stateDir}`, "--log-dir", root];
  const run = async (argv: string[], d: DeployDeps, spec: DeploySpec = UP) => {
    const h = harness();
    const code = await deployCommand(spec, d).run(argv, h.io);
    return { code, stdout: h.stdout(), stderr: h.stderr() };
  };
  const logDir = () => path.join(root, "logs", "2026-11-25T10-00-00-000Z");

  it("item 1: Ctrl-C during set-up with 8 stacks in flight: none of them starts its up; they are reported interrupted", async () => {
    // Creating a source stack is the slow set-up step here (no stack config is written any more).
    const standIn = standInWith({ rules: { "stack init account-*": "delay:60" } });
    const d = deps(standIn, { inventory: makeInventory({ count: 9 }) });
    const pending = run([...backendArgs(standIn), "--concurrency", "8"], d);
    await until(() =>
      standIn
        .calls()
        .some((args) => args[0] === "stack" && args[1] === "init" && args.includes("account-111111111111")),
    );
    interrupt?.("SIGINT");
    const { code, stdout, stderr } = await pending;
    expect(code).to.equal(130);
    expect(standIn.operationsOf("up")).to.deep.equal(["central"]);
    expect(stderr).to.contain("Ctrl-C: cancelling running stacks");
    expect(stdout).to.match(
      /Skipped \(9\):\n {2}interrupted: up not started: account-111111111111, account-222222222222,/,
    );
    expect(stderr).to.not.contain("may still hold a lock");
    expect(standIn.locks()).to.deep.equal([]);
  });

  it("items 4 and 5: a hanging CLI times out, a killed one and a silent one are named as possibly locked; the others go on", async () => {
    const standIn = standInWith({
      rules: {
        "up account-111111111111": "hang",
        "up account-222222222222": "die:KILL",
        "up 100000000003": "ok",
        "up account-333333333333": "silent-exit:2",
      },
    });
    const d = deps(standIn, { inventory: makeInventory({ count: 5 }) });
    const { code, stdout, stderr } = await run(
      [...backendArgs(standIn), "--stack-timeout", "3s", "--failure-tolerance", "5"],
      d,
    );
    expect(code).to.equal(1);
    expect(stdout).to.match(/account-111111111111\s.*up TIMED OUT/);
    expect(stdout).to.match(/account-100000000003\s.*up ok/);
    expect(stdout).to.match(/account-100000000004\s.*up ok/);
    expect(stdout).to.contain("Timed out (1):\n  account-111111111111 (app-111): timed out after 3.0s: up cancelled;");
    expect(stdout).to.contain("pulumi up was ended by SIGKILL from outside the driver");
    expect(stdout).to.contain("pulumi up exited with code 2 without an error message");
    expect(stdout).to.contain("Rerun the 3 failed account(s):\n  org-s3-backup up --backend file://");
    expect(stdout).to.contain("--accounts 111111111111,222222222222,333333333333");
    for (const stack of ["account-111111111111", "account-222222222222", "account-333333333333"])
      expect(stderr).to.contain(`  pulumi cancel --yes --stack ${stack}`);
    // The hanging CLI cancelled cleanly and the silent one released its lock; the killed one could not.
    expect(standIn.locks()).to.have.length(1);

    // The next run: which stack is locked, since when, and the exact command that releases it.
    const next = standInWith({});
    const again = await run([...backendArgs(next), "--accounts", "111111111111,222222222222"], deps(next));
    expect(again.code).to.equal(1);
    expect(again.stderr).to.contain("Locked stack(s) found in the backend: 1");
    expect(again.stderr).to.match(
      /account-222222222222 locked since 20\d\d-.*Z \(.* ago\) by ci@standin-host \(pid \d+\)/,
    );
    expect(again.stderr).to.contain("pulumi cancel --yes --stack account-222222222222");
    expect(again.stdout).to.match(/account-111111111111\s.*up ok/);
    expect(again.stdout).to.contain("stack locked");
    expect(again.stderr).to.contain(
      "These stacks are locked (by another run, or by a run that died without releasing its lock)",
    );
  });

  it("item 7: an unwritable log or state directory stops the run before anything starts, exit 3, one line each", async () => {
    const standIn = standInWith({});
    const file = path.join(root, "not-a-directory");
    fs.writeFileSync(file, "");
    const { code, stdout, stderr } = await run(
      ["--backend", `file://${path.join(file, "state")}`, "--log-dir", path.join(file, "x")],
      deps(standIn),
    );
    expect(code).to.equal(3);
    expect(stdout).to.equal("");
    expect(stderr).to.contain("cannot start, nothing was changed");
    expect(stderr).to.match(
      /\ncannot write the log directory .*not-a-directory\/x\/logs \(ENOTDIR: not a directory\)\n/,
    );
    expect(stderr).to.match(
      /\ncannot write the state directory .*not-a-directory\/state \(ENOTDIR: not a directory\)\n/,
    );
    expect(standIn.calls().filter((args) => args[0] !== "version")).to.deep.equal([]);
  });

  it("item 9: a CLI older than the supported minimum is refused with the install hint, exit 3", async () => {
    const standIn = standInWith({ version: "v3.100.0" });
    const { code, stderr } = await run(backendArgs(standIn), deps(standIn));
    expect(code).to.equal(3);
    expect(stderr).to.contain(`older than ${MIN_CLI_VERSION}`).and.contain("curl -fsSL https://get.pulumi.com");
    expect(standIn.calls()).to.deep.equal([["version"]]);
  });

  it("item 10: an unreachable backend is one line with the cause; the raw error is in the run's log", async () => {
    const raw =
      'error: failed to load checkpoint: blob (key ".pulumi/meta.yaml") (code=Unknown): NoCredentialProviders: no valid providers in chain';
    const standIn = standInWith({ rules: { "stack ls *": `fail:${raw}` } });
    const { code, stderr } = await run(backendArgs(standIn), deps(standIn));
    expect(code).to.equal(3);
    const lines = stderr.trimEnd().split("\n");
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(
      new RegExp(
        "^org-s3-backup up: the backend file://.* is not reachable, nothing was changed: " +
          "failed to load checkpoint: .*NoCredentialProviders.* \\(full error in .*backend\\.log\\)$",
      ),
    );
    expect(lines[0]).to.not.contain("code: ").and.not.contain("stdout:");
    expect(fs.readFileSync(path.join(logDir(), "backend.log"), "utf8"))
      .to.contain("code: 255")
      .and.contain(raw);
  });

  describe("item 8: the brakes", () => {
    const existing = (standIn: StandIn, stacks: string[]) => {
      const dir = path.join(standIn.stateDir, ".pulumi", "stacks", "org-s3-backup");
      fs.mkdirSync(dir, { recursive: true });
      for (const stack of stacks) fs.writeFileSync(path.join(dir, `${stack}.json`), "{}");
    };
    const deployed = ["central", "account-111111111111", "account-222222222222", "account-333333333333"];
    const one = makeInventory({ count: 1 });

    it("up --prune with an emptied inventory refuses to prune beyond the bound, without --max-prune", async () => {
      const standIn = standInWith({});
      existing(standIn, deployed);
      const empty = deps(standIn, { inventory: makeInventory({ sources: [] }) });
      const refused = await run([...backendArgs(standIn), "--prune", "--yes"], empty);
      expect(refused.code).to.equal(2);
      expect(refused.stderr).to.contain(
        "--prune would destroy 3 orphan stack(s), more than the limit of 1 (10% of the 3 account stacks in the backend): " +
          "account-111111111111, account-222222222222, account-333333333333. Nothing was changed. " +
          "Check the inventory; if it is right, allow it with --max-prune 3",
      );
      expect(standIn.operationsOf("destroy")).to.deep.equal([]);
      const noTerminal = await run([...backendArgs(standIn), "--prune", "--max-prune", "3"], empty);
      expect(noTerminal.code).to.equal(2);
      expect(noTerminal.stderr).to.contain("there is no terminal to confirm on: pass --yes");
      const allowed = await run([...backendArgs(standIn), "--prune", "--max-prune", "3", "--yes"], empty);
      expect(allowed.code).to.equal(0);
      expect(standIn.operationsOf("destroy")).to.have.members(deployed.slice(1));
    });

    it("on a terminal, up and destroy ask first, listing the stacks; only yes goes ahead", async () => {
      const standIn = standInWith({});
      existing(standIn, deployed);
      const questions: string[] = [];
      const answering = (answer: string | undefined): Prompt => ({
        interactive: () => true,
        ask: async (question) => {
          questions.push(question);
          return answer;
        },
      });
      const declined = await run(backendArgs(standIn), deps(standIn, { prompt: answering("no") }), destroySpec);
      const small = (prompt: Prompt) => deps(standIn, { prompt, inventory: one });
      expect(declined.code).to.equal(2);
      expect(declined.stderr).to.contain("not confirmed, nothing was changed");
      expect(questions[0]).to.contain("destroy removes the replication rule, role and alarms of 3 stack(s)");
      expect(questions[0]).to.contain("  account-111111111111, account-222222222222, account-333333333333");
      expect(standIn.operationsOf("destroy")).to.deep.equal([]);

      const up = await run(backendArgs(standIn), small(answering("yes")));
      expect(up.code).to.equal(0);
      expect(questions[1]).to.contain("up deploys 2 stack(s)").and.contain("Do you want to perform this update? [y/N]");

      const skipped = await run([...backendArgs(standIn), "--yes"], small(answering(undefined)), destroySpec);
      expect(skipped.code).to.equal(0);
      expect(questions).to.have.length(2);
    });

    it("without a terminal, up goes on as before while destroy needs --yes", async () => {
      const standIn = standInWith({});
      existing(standIn, deployed);
      const destroy = await run(backendArgs(standIn), deps(standIn), destroySpec);
      expect(destroy.code).to.equal(2);
      expect(destroy.stderr).to.contain(
        "destroy changes 3 stack(s) and there is no terminal to confirm on: pass --yes",
      );
      const up = await run(backendArgs(standIn), deps(standIn, { inventory: one }));
      expect(up.code).to.equal(0);
    });
  });
});

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
