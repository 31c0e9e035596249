import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { createAutomationEngine } from "../../automation/engine/automation";
import type { Backend } from "../../automation/engine/backend";
import type { Engine } from "../../automation/engine/engine";
import { describeFailure, type StackError } from "../../automation/engine/errors";
import {
  checkCliVersion,
  locatePulumiCli,
  MIN_CLI_VERSION,
  PINNED_CLI_VERSION,
  SKIP_VERSION_CHECK_VAR,
  TESTED_CLI_VERSION,
} from "../../automation/engine/pulumi-cli";
import type { ProcessLimits } from "../../automation/engine/pulumi-process";
import { type Behaviour, type StandIn, type StandInOptions, writeStandIn } from "../support/stand-in-pulumi";

/**
 * The CLI processes under faults: the real locatePulumiCli, ManagedPulumiCommand and AutomationEngine
 * driving a stand-in Pulumi CLI (tests/support/stand-in-pulumi.ts), a shell script run as a child process.
 */
describe("pulumi processes under faults (stand-in CLI)", () => {
  let root: string;
  let engines: Engine[];
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-process-"));
    engines = [];
  });
  afterEach(() => {
    // A failed test must not leave a hanging stand-in behind (it would keep mocha alive).
    for (const engine of engines) engine.terminate?.();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const LIMITS: ProcessLimits = { cancelGraceMs: 300, commandTimeoutMs: 1500 };

  const locate = (standIn: StandIn, extra: NodeJS.ProcessEnv = {}, versionTimeoutMs?: number) =>
    locatePulumiCli({
      env: { PATH: standIn.binDir, ...extra },
      home: root,
      limits: LIMITS,
      ...(versionTimeoutMs ? { versionTimeoutMs } : {}),
    });

  async function engineWith(options: StandInOptions): Promise<{ engine: Engine; standIn: StandIn }> {
    const standIn = writeStandIn(root, options);
    const lookup = await locate(standIn);
    if (!lookup.ok) throw new Error(lookup.message);
    const backend: Backend = { url: `file://${standIn.stateDir}`, secretsProvider: "passphrase" };
    const engine = await createAutomationEngine({
      workDir: root,
      backend,
      env: { PULUMI_CONFIG_PASSPHRASE: "x" },
      pulumiCommand: lookup.command,
    });
    engines.push(engine);
    return { engine, standIn };
  }

  const failureOf = async (work: Promise<unknown>) =>
    describeFailure(
      (await work.then(
        () => undefined,
        (e) => e,
      )) as StackError,
    );

  describe("version check (item 9)", () => {
    it("refuses a CLI below the supported minimum with the install hint", async () => {
      const lookup = await locate(writeStandIn(root, { version: "v3.100.0" }));
      expect(lookup.ok).to.equal(false);
      if (lookup.ok) return;
      expect(lookup.message)
        .to.contain(`is 3.100.0, older than ${MIN_CLI_VERSION}, the oldest this tool supports`)
        .and.contain(`curl -fsSL https://get.pulumi.com | sh -s -- --version ${PINNED_CLI_VERSION}`)
        .and.contain("--install-cli");
    });

    it("accepts the tested version silently and warns above it", async () => {
      const tested = await locate(writeStandIn(path.join(root, "a"), { version: `v${TESTED_CLI_VERSION}` }));
      expect(tested.ok && tested.warning).to.equal(undefined);
      const newer = await locate(writeStandIn(path.join(root, "b"), { version: "v3.999.1" }));
      expect(newer.ok).to.equal(true);
      expect(newer.ok && newer.warning).to.contain(
        `newer than ${TESTED_CLI_VERSION}, the version this tool is tested with`,
      );
    });

    it(`turns the refusal into a warning with ${SKIP_VERSION_CHECK_VAR}`, async () => {
      const lookup = await locate(writeStandIn(root, { version: "v3.100.0" }), { [SKIP_VERSION_CHECK_VAR]: "true" });
      expect(lookup.ok && lookup.warning).to.contain(`Going on because ${SKIP_VERSION_CHECK_VAR} is set`);
    });

    it("refuses a CLI that prints garbage, hangs or fails on `pulumi version`, saying what it did", async () => {
      const garbage = await locate(writeStandIn(path.join(root, "g"), { rules: { "version *": "garbage" } }));
      expect(!garbage.ok && garbage.message).to.contain("`pulumi version` failed with exit code 1");
      const hang = await locate(writeStandIn(path.join(root, "h"), { rules: { "version *": "hang" } }), {}, 300);
      expect(!hang.ok && hang.message).to.contain("`pulumi version` did not answer within 0.3s");
      const text = await locate(writeStandIn(path.join(root, "t"), { version: "not a version at all" }));
      expect(!text.ok && text.message).to.contain('printed "not a version at all", not a version');
    });

    it("judges versions: majors other than 3, prereleases, build metadata", () => {
      expect(checkCliVersion("pulumi", "v4.0.0\n").ok).to.equal(false);
      expect(checkCliVersion("pulumi", "v3.205.9").ok).to.equal(false);
      expect(checkCliVersion("pulumi", "v3.206.0\n")).to.deep.equal({ ok: true, version: "3.206.0" });
      expect(checkCliVersion("pulumi", `v${TESTED_CLI_VERSION}+dirty`).ok).to.equal(true);
    });
  });

  describe("a CLI that dies or ends without an error line (item 4)", () => {
    it("died by a signal: reported as such, may hold the lock (its lock file stays)", async () => {
      const { engine, standIn } = await engineWith({ rules: { "up central": "die:KILL" } });
      const stack = await engine.openStack("central", { create: true });
      const failure = await failureOf(stack.up());
      expect(failure.category).to.equal("cli-died");
      expect(failure.excerpt.join("\n")).to.contain("pulumi up was ended by SIGKILL from outside the driver");
      expect(standIn.locks()).to.have.length(1);
    });

    it("exited non-zero without an error line: reported as a CLI that may hold the lock", async () => {
      const { engine } = await engineWith({ rules: { "up central": "silent-exit:3" } });
      const stack = await engine.openStack("central", { create: true });
      const failure = await failureOf(stack.up());
      expect(failure.category).to.equal("cli-died");
      expect(failure.excerpt[0]).to.contain("pulumi up exited with code 3 without an error message");
    });

    it("garbage on stdout and stderr is a failure, never a crash", async () => {
      const { engine } = await engineWith({ rules: { "up central": "garbage" } });
      const stack = await engine.openStack("central", { create: true });
      const failure = await failureOf(stack.up());
      expect(failure.category).to.not.equal(undefined);
    });
  });

  describe("cancelling (items 1, 2, 5)", () => {
    /** `up` on central with the stand-in acting out `rule`, cancelled once the CLI holds its lock; timed from then. */
    async function cancelledUp(rule: Behaviour) {
      const { engine, standIn } = await engineWith({ rules: { "up central": rule } });
      const stack = await engine.openStack("central", { create: true });
      const abort = new AbortController();
      const pending = failureOf(stack.up({ signal: abort.signal }));
      await until(() => standIn.locks().length === 1);
      const started = Date.now();
      abort.abort();
      const failure = await pending;
      return { failure, elapsedMs: Date.now() - started, standIn };
    }

    it("cancels with one SIGINT: the CLI cancels cleanly and releases its lock", async () => {
      const { failure, elapsedMs, standIn } = await cancelledUp("hang");
      expect(elapsedMs).to.be.below(1000);
      expect(failure.raw).to.contain("update canceled");
      expect(failure.category).to.not.equal("cli-died");
      expect(standIn.locks()).to.deep.equal([]);
    });

    it("kills a CLI that ignores the cancel after the grace period, with what it started", async () => {
      const { failure, elapsedMs } = await cancelledUp("hang-ignore-int");
      expect(elapsedMs).to.be.within(LIMITS.cancelGraceMs - 50, LIMITS.cancelGraceMs + 2000);
      expect(failure.category).to.equal("cli-died");
      expect(failure.excerpt.join("\n")).to.contain("did not stop within 300ms of the cancel request and was killed");
    });

    it("never starts an operation asked for after the cancel", async () => {
      const { engine, standIn } = await engineWith({});
      const stack = await engine.openStack("central", { create: true });
      const abort = new AbortController();
      abort.abort();
      const failure = await failureOf(stack.up({ signal: abort.signal }));
      expect(failure.raw).to.contain("not started");
      expect(standIn.operationsOf("up")).to.deep.equal([]);
    });

    it("kills a set-up command that hangs after the command timeout instead of blocking every stack", async () => {
      const { engine } = await engineWith({ rules: { "stack select central": "hang-ignore-int" } });
      const started = Date.now();
      const failure = await failureOf(engine.openStack("central", { create: true }));
      expect(Date.now() - started).to.be.within(LIMITS.commandTimeoutMs - 50, LIMITS.commandTimeoutMs + 2000);
      expect(failure.excerpt.join("\n")).to.contain("pulumi stack select did not finish within 2s and was killed");
    });

    it("terminate() kills every running CLI at once (the second Ctrl-C)", async () => {
      const { engine, standIn } = await engineWith({ rules: { "up *": "hang-ignore-int" } });
      const a = await engine.openStack("central", { create: true });
      const b = await engine.openStack("account-111111111111", { create: true });
      const pending = Promise.all([failureOf(a.up()), failureOf(b.up())]);
      await until(() => standIn.locks().length === 2);
      expect(engine.terminate?.()).to.equal(2);
      const failures = await pending;
      expect(failures.map((f) => f.category)).to.deep.equal(["cli-died", "cli-died"]);
    });
  });
});

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
