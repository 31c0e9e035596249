import { expect } from "chai";
import type { FailureTolerance } from "../../automation/driver/concurrency";
import type { StackChanges } from "../../automation/driver/fingerprint";
import { planStacks } from "../../automation/driver/plan";
import { type Operation, type RunReport, type RunRequest, runStacks } from "../../automation/driver/run";
import type { SelectionFlags } from "../../automation/driver/selection";
import { centralStackConfig } from "../../automation/driver/stack-config";
import type { EngineStack, StackConfig, StackOutputs } from "../../automation/engine/engine";
import { StackError } from "../../automation/engine/errors";
import { MemoryEngine } from "../../automation/engine/memory";
import type { Inventory } from "../../config/types";
import { inventory as makeInventory } from "../support/inventory-fixture";
import { runRequest } from "../support/run-request";

/**
 * Driver behaviours the mutation run (docs/mutation.md) showed untested: interruption and timeout at each
 * set-up step, which stacks may hold a lock, what the fingerprint tracker is asked, what the observer is
 * told, and that a run leaves no timer or listener behind. Asserted through the in-memory engine.
 */

const PATH = "/repo/config/accounts.yaml";
const CENTRAL_OUTPUTS: StackOutputs = {
  bucketArn: { value: "arn:aws:s3:::acme-org-backup-999999999999", secret: false },
  kmsKeyArn: { value: "arn:aws:kms:eu-west-1:999999999999:key/k", secret: false },
};
const _NO_TOLERANCE: FailureTolerance = { kind: "count", count: 0 };
const LOCK_LOST = "error: the Pulumi CLI exited; it may not have released the stack's lock";

/** The run tests' request, two stacks at once (the concurrency cases below count on it). */
const request = (
  inventory: Inventory,
  engine: MemoryEngine,
  operation: Operation,
  overrides: Partial<RunRequest> & { flags?: SelectionFlags } = {},
): RunRequest => runRequest(inventory, engine, operation, { concurrency: 2, ...overrides });

/** A fingerprint tracker that records what it is asked and answers as scripted. */
class FakeChanges implements StackChanges {
  readonly checked: { stack: string; config: StackConfig | undefined }[] = [];
  readonly invalidated: string[] = [];
  readonly prepared: { stack: string; config: StackConfig | undefined }[] = [];
  readonly recorded: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  constructor(
    private readonly script: {
      checkNotes?: Record<string, string[]>;
      recordNote?: string;
      checkMs?: number;
      onInvalidate?: (stack: string) => void;
    } = {},
  ) {}
  async check(_engine: unknown, stack: string, config: StackConfig | undefined) {
    this.checked.push({ stack, config });
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((resolve) => setTimeout(resolve, this.script.checkMs ?? 0));
    this.inFlight -= 1;
    return { skip: false as const, notes: this.script.checkNotes?.[stack] ?? [] };
  }
  async invalidate(_engine: unknown, stack: string) {
    this.invalidated.push(stack);
    this.script.onInvalidate?.(stack);
  }
  prepare(stack: string, config: StackConfig | undefined) {
    this.prepared.push({ stack, config });
  }
  async record(_engine: unknown, stack: string) {
    this.recorded.push(stack);
    return this.script.recordNote;
  }
}

/** A MemoryEngine whose openStack runs `during` first (to interrupt or delay one stack's set-up). */
class SetUpEngine extends MemoryEngine {
  constructor(
    options: ConstructorParameters<typeof MemoryEngine>[0],
    private readonly during: (name: string) => Promise<void> | void,
  ) {
    super(options);
  }
  override async openStack(name: string, options: { create: boolean }): Promise<EngineStack> {
    await this.during(name);
    return super.openStack(name, options);
  }
}

const central = (report: RunReport) => report.results.find((r) => r.stack === "central");

describe("run: behaviours found by mutation testing", () => {
  describe("interruption and timeout during set-up", () => {
    it("an already interrupted run opens, creates and updates nothing", async () => {
      const abort = new AbortController();
      abort.abort();
      const engine = new MemoryEngine({ stacks: { central: { outputs: CENTRAL_OUTPUTS } } });
      const report = await runStacks(engine, request(makeInventory(), engine, "up", { signal: abort.signal }));
      expect(engine.calls).to.deep.equal([]);
      expect(engine.existing.size).to.equal(0);
      expect(central(report)).to.include({ status: "skipped", reason: "interrupted: up not started" });
      expect(report.interrupted).to.equal(true);
      expect(report.mayHoldLock).to.deep.equal([]);
    });

    it("interrupted while a stack opens: no fingerprint is invalidated and the operation never starts", async () => {
      const abort = new AbortController();
      const engine = new SetUpEngine({ stacks: { central: { outputs: CENTRAL_OUTPUTS } } }, (name) => {
        if (name === "central") abort.abort();
      });
      const changes = new FakeChanges();
      const report = await runStacks(engine, request(makeInventory(), engine, "up", { signal: abort.signal, changes }));
      expect(changes.invalidated).to.deep.equal([]);
      expect(engine.callsOf("up")).to.deep.equal([]);
      expect(central(report)).to.include({ status: "skipped", reason: "interrupted: up not started" });
    });

    it("interrupted while a stack's fingerprint is invalidated: the operation never starts", async () => {
      const abort = new AbortController();
      const engine = new MemoryEngine({ stacks: { central: { outputs: CENTRAL_OUTPUTS } } });
      const changes = new FakeChanges({ onInvalidate: () => abort.abort() });
      const report = await runStacks(engine, request(makeInventory(), engine, "up", { signal: abort.signal, changes }));
      expect(changes.invalidated).to.deep.equal(["central"]);
      expect(engine.callsOf("up")).to.deep.equal([]);
      expect(central(report)).to.include({ status: "skipped", reason: "interrupted: up not started" });
      expect(report.mayHoldLock).to.deep.equal([]);
    });

    it("an open that fails because of the interruption is reported as not started, not as cancelled", async () => {
      const abort = new AbortController();
      const engine = new SetUpEngine({}, (name) => {
        if (name === "central") {
          abort.abort();
          throw new Error("error: operation interrupted");
        }
      });
      const report = await runStacks(engine, request(makeInventory(), engine, "up", { signal: abort.signal }));
      expect(central(report)).to.include({ status: "skipped", reason: "interrupted: up not started" });
      expect(central(report)?.durationMs).to.be.at.least(0).and.below(10_000);
      expect(report.mayHoldLock).to.deep.equal([]);
    });

    it("a stack that cannot be opened is reported failed, and the run goes on within the tolerance", async () => {
      const engine = new MemoryEngine({
        stacks: {
          central: { outputs: CENTRAL_OUTPUTS },
          "account-111111111111": { fail: { open: "error: could not select the stack" } },
        },
      });
      const report = await runStacks(
        engine,
        request(makeInventory(), engine, "up", { tolerance: { kind: "count", count: 1 } }),
      );
      expect(report.results.map((r) => [r.stack, r.status])).to.deep.equal([
        ["central", "succeeded"],
        ["account-111111111111", "failed"],
        ["account-222222222222", "succeeded"],
        ["account-333333333333", "succeeded"],
      ]);
      expect(report.results[1].failure?.excerpt).to.deep.equal(["error: could not select the stack"]);
    });

    it("a set-up that outlasts the stack timeout: timed out, the operation never started", async () => {
      const engine = new SetUpEngine({ stacks: { central: { outputs: CENTRAL_OUTPUTS } } }, (name) =>
        name === "central" ? new Promise((resolve) => setTimeout(resolve, 250)) : undefined,
      );
      const report = await runStacks(
        engine,
        request(makeInventory(), engine, "up", { stackTimeoutMs: 100, flags: { stacks: "central" } }),
      );
      expect(central(report)).to.include({
        status: "timed-out",
        reason: "timed out after 0.1s during set-up: up not started",
      });
      expect(central(report)?.durationMs).to.be.at.least(90).and.below(10_000);
      expect(engine.callsOf("up")).to.deep.equal([]);
    });

    it("a stack timeout of 0 means no timeout", async () => {
      const engine = new MemoryEngine({ latencyMs: 30, stacks: { central: { outputs: CENTRAL_OUTPUTS } } });
      const report = await runStacks(engine, request(makeInventory(), engine, "up", { stackTimeoutMs: 0 }));
      expect(report.results.map((r) => r.status)).to.deep.equal(report.results.map(() => "succeeded"));
    });
  });

  describe("which stacks may hold a lock", () => {
    it("not a stack whose up failed with an error, nor a cancelled preview; yes one whose CLI died", async () => {
      const failing = new MemoryEngine({
        stacks: { central: { outputs: CENTRAL_OUTPUTS }, "account-111111111111": { fail: { up: "error: boom" } } },
      });
      const failed = await runStacks(failing, request(makeInventory(), failing, "up"));
      expect(failed.results.find((r) => r.stack === "account-111111111111")).to.include({ status: "failed" });
      expect(failed.results.find((r) => r.stack === "account-111111111111")).to.not.have.property("reason");
      expect(failed.results.find((r) => r.stack === "account-111111111111")?.durationMs).to.be.below(10_000);
      expect(failed.mayHoldLock).to.deep.equal([]);

      const died = new MemoryEngine({
        stacks: { central: { outputs: CENTRAL_OUTPUTS }, "account-111111111111": { fail: { up: LOCK_LOST } } },
      });
      const dead = await runStacks(died, request(makeInventory(), died, "up"));
      expect(dead.results.find((r) => r.stack === "account-111111111111")?.failure?.category).to.equal("cli-died");
      expect(dead.mayHoldLock).to.deep.equal(["account-111111111111"]);

      const abort = new AbortController();
      const previewing = new MemoryEngine({ latencyMs: 5_000 });
      const preview = await runStacks(
        previewing,
        request(makeInventory(), previewing, "preview", {
          signal: abort.signal,
          flags: { stacks: "central" },
          // Interrupted once the preview runs (its output has started), not during its set-up.
          observer: { started() {}, output: () => abort.abort(), progress() {}, finished() {} },
        }),
      );
      expect(central(preview)).to.include({ status: "cancelled" });
      expect(preview.mayHoldLock).to.deep.equal([]);
    });
  });

  describe("the fingerprint tracker", () => {
    it("is asked about existing stacks only, with each stack's inputs, several at once", async () => {
      const inventory = makeInventory({ count: 20 });
      const all = planStacks(inventory).map((plan) => plan.name);
      const engine = new MemoryEngine({ existing: all, stacks: { central: { outputs: CENTRAL_OUTPUTS } } });
      engine.existing.delete("account-100000000019");
      engine.outputs.set("central", CENTRAL_OUTPUTS);
      const changes = new FakeChanges({ checkMs: 5 });
      const report = await runStacks(engine, request(inventory, engine, "up", { changes, concurrency: 1 }));
      expect(report.results.every((r) => r.status === "succeeded")).to.equal(true);
      expect(changes.checked.map((c) => c.stack)).to.not.include("account-100000000019");
      expect(changes.checked).to.have.length(20);
      expect(changes.checked[0]).to.deep.equal({ stack: "central", config: centralStackConfig(PATH) });
      expect(changes.maxInFlight).to.be.above(1);
      expect(changes.prepared.map((p) => p.stack)).to.include.members(all);
      expect(changes.prepared.find((p) => p.stack === "central")?.config).to.deep.equal(centralStackConfig(PATH));
    });

    it("is asked about the central stack's inputs in a preview too", async () => {
      const engine = new MemoryEngine({ existing: ["central"], stacks: { central: { outputs: CENTRAL_OUTPUTS } } });
      const changes = new FakeChanges();
      await runStacks(engine, request(makeInventory(), engine, "preview", { changes, flags: { stacks: "central" } }));
      expect(changes.checked).to.deep.equal([{ stack: "central", config: centralStackConfig(PATH) }]);
    });

    it("is not asked about orphans, nor once the run is interrupted", async () => {
      const abort = new AbortController();
      abort.abort();
      const engine = new MemoryEngine({ existing: ["central", "account-444444444444"] });
      const changes = new FakeChanges();
      await runStacks(
        engine,
        request(makeInventory(), engine, "up", { changes, signal: abort.signal, prune: ["account-444444444444"] }),
      );
      expect(changes.checked).to.deep.equal([]);
      const quiet = new MemoryEngine({
        existing: ["central", "account-444444444444"],
        stacks: { central: { outputs: CENTRAL_OUTPUTS } },
      });
      const pruning = new FakeChanges();
      await runStacks(
        quiet,
        request(makeInventory(), quiet, "up", { changes: pruning, prune: ["account-444444444444"] }),
      );
      expect(pruning.checked.map((c) => c.stack)).to.not.include("account-444444444444");
    });

    it("adds its notes to the stack's own, and its recording note to the result", async () => {
      const engine = new MemoryEngine({});
      const changes = new FakeChanges({
        checkNotes: { central: ["central note"], "account-111111111111": ["source note"] },
      });
      engine.existing.add("central");
      engine.existing.add("account-111111111111");
      const report = await runStacks(engine, request(makeInventory(), engine, "preview", { changes }));
      expect(central(report)?.notes).to.deep.equal(["central note"]);
      const source = report.results.find((r) => r.stack === "account-111111111111");
      expect(source?.notes).to.have.length(2);
      expect(source?.notes[1]).to.equal("source note");
      expect(report.results.find((r) => r.stack === "account-222222222222")?.notes).to.have.length(1);

      const up = new MemoryEngine({ stacks: { central: { outputs: CENTRAL_OUTPUTS } } });
      const recording = new FakeChanges({ recordNote: "fingerprint not recorded: x" });
      const recorded = await runStacks(up, request(makeInventory(), up, "up", { changes: recording }));
      expect(recorded.results.map((r) => r.notes)).to.deep.equal(
        recorded.results.map(() => ["fingerprint not recorded: x"]),
      );
      const quiet = new MemoryEngine({ stacks: { central: { outputs: CENTRAL_OUTPUTS } } });
      const noNote = await runStacks(quiet, request(makeInventory(), quiet, "up", { changes: new FakeChanges() }));
      expect(noNote.results.map((r) => r.notes)).to.deep.equal(noNote.results.map(() => []));
      const plain = await runStacks(new MemoryEngine({}), request(makeInventory(), new MemoryEngine({}), "preview"));
      expect(central(plain)?.notes).to.deep.equal([]);
    });
  });

  describe("the central stack's outputs for the sources", () => {
    it("a central stack listed but gone: sources are not deployed, and reading it never creates it", async () => {
      const engine = new MemoryEngine({});
      const up = await runStacks(
        engine,
        request(makeInventory(), engine, "up", { existingStacks: ["central"], flags: { stacks: "sources" } }),
      );
      expect(up.results[0]).to.include({
        status: "skipped",
        reason: "central stack is not deployed: run `up` with the central stack first",
      });
      expect(engine.existing.has("central")).to.equal(false);
    });

    it("a central stack without the outputs sources need: says which are missing", async () => {
      const engine = new MemoryEngine({ existing: ["central"] });
      engine.outputs.set("central", { bucketArn: CENTRAL_OUTPUTS.bucketArn });
      const up = await runStacks(engine, request(makeInventory(), engine, "up", { flags: { stacks: "sources" } }));
      expect(up.results[0].reason).to.match(/^central stack lacks outputs kmsKeyArn: run `up` with the central stack/);
      const bare = new MemoryEngine({ existing: ["central"] });
      bare.outputs.set("central", {});
      const none = await runStacks(bare, request(makeInventory(), bare, "up", { flags: { stacks: "sources" } }));
      expect(none.results[0].reason).to.match(/^central stack lacks outputs \w+, \w+: run `up` with the central stack/);
    });

    it("a failure without any output is still reported, as 'no output'", async () => {
      const engine = new SetUpEngine({ existing: ["central"] }, (name) => {
        if (name === "central") throw new StackError("central", "select", "");
      });
      const up = await runStacks(engine, request(makeInventory(), engine, "up", { flags: { stacks: "sources" } }));
      expect(up.results[0].reason).to.match(/^could not read the central stack's outputs \(.*\): no output$/);
    });
  });

  describe("what the observer and the report say", () => {
    it("announces how many stacks each operation will run", async () => {
      const inventory = makeInventory();
      const all = planStacks(inventory).map((plan) => plan.name);
      const planned = async (operation: Operation, overrides: Partial<RunRequest> & { flags?: SelectionFlags }) => {
        const engine = new MemoryEngine({ existing: all, stacks: { central: { outputs: CENTRAL_OUTPUTS } } });
        engine.outputs.set("central", CENTRAL_OUTPUTS);
        let total = -1;
        await runStacks(
          engine,
          request(inventory, engine, operation, {
            observer: { planned: (n) => (total = n), started() {}, output() {}, progress() {}, finished() {} },
            ...overrides,
          }),
        );
        return total;
      };
      const orphan = { prune: ["account-444444444444"] };
      expect(await planned("up", orphan)).to.equal(5);
      expect(await planned("preview", orphan)).to.equal(5);
      expect(await planned("drift", orphan)).to.equal(4);
      expect(await planned("outputs", { flags: { stacks: "sources" } })).to.equal(3);
      expect(await planned("destroy", {})).to.equal(3);
      expect(await planned("destroy", { flags: { accounts: ["central"] } })).to.equal(1);
      expect(await planned("destroy", { flags: { stacks: "sources" } })).to.equal(3);
    });

    it("reports the role, action and status of every stack, an orphan by its account id", async () => {
      const engine = new MemoryEngine({
        existing: ["central", "account-444444444444"],
        stacks: { central: { outputs: CENTRAL_OUTPUTS } },
      });
      const report = await runStacks(
        engine,
        request(makeInventory(), engine, "up", { prune: ["account-444444444444"] }),
      );
      expect(central(report)).to.include({ role: "central", action: "up", accountId: "999999999999" });
      expect(report.results.at(-1)).to.include({
        stack: "account-444444444444",
        role: "orphan",
        action: "prune",
        accountId: "444444444444",
        accountName: "(not in inventory)",
        status: "succeeded",
      });
      expect(report.results.map((r) => r.notes)).to.deep.equal(report.results.map(() => []));

      const stranger = await runStacks(engine, request(makeInventory(), engine, "up", { prune: ["legacy-stack"] }));
      expect(stranger.results.at(-1)).to.include({ stack: "legacy-stack", accountId: "", role: "orphan" });

      const outputs = await runStacks(
        engine,
        request(makeInventory(), engine, "outputs", { flags: { stacks: "central" } }),
      );
      expect(central(outputs)).to.include({ status: "succeeded" });
    });

    it("reports a stack that was never deployed: absent for destroy, not deployed for drift", async () => {
      const engine = new MemoryEngine({});
      const destroy = await runStacks(engine, request(makeInventory(), engine, "destroy"));
      expect(destroy.results[0]).to.include({ status: "absent", reason: "not deployed" });
      const drift = await runStacks(
        engine,
        request(makeInventory(), engine, "drift", { flags: { stacks: "sources" } }),
      );
      const raw =
        "account-111111111111: the stack does not exist in the backend " +
        "(never deployed, or deployed with another --backend)";
      expect(drift.results[0].failure).to.deep.equal({ category: "not-deployed", excerpt: [raw], raw });
    });

    it("leaves no timer and no listener behind once the run is over", async () => {
      const abort = new AbortController();
      let listeners = 0;
      const add = abort.signal.addEventListener.bind(abort.signal);
      const remove = abort.signal.removeEventListener.bind(abort.signal);
      abort.signal.addEventListener = ((...args: Parameters<AbortSignal["addEventListener"]>) => {
        if (args[0] === "abort") listeners += 1;
        add(...args);
      }) as AbortSignal["addEventListener"];
      abort.signal.removeEventListener = ((...args: Parameters<AbortSignal["removeEventListener"]>) => {
        if (args[0] === "abort") listeners -= 1;
        remove(...args);
      }) as AbortSignal["removeEventListener"];
      const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;
      const run = async (stackTimeoutMs?: number) => {
        const engine = new MemoryEngine({ stacks: { central: { outputs: CENTRAL_OUTPUTS } } });
        await runStacks(engine, request(makeInventory(), engine, "up", { signal: abort.signal, stackTimeoutMs }));
        return timers();
      };
      // Compared with a run without stack timeout: a one-hour timer left behind would keep the CLI alive.
      const baseline = await run(undefined);
      expect(await run(3_600_000)).to.equal(baseline);
      expect(listeners).to.equal(0);
    });
  });
});
