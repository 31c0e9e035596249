import { expect } from "chai";
import type { FailureTolerance } from "../../automation/driver/concurrency";
import { planStacks } from "../../automation/driver/plan";
import { type RunObserver, runStacks } from "../../automation/driver/run";
import type { ChangeCounts, StackOutputs } from "../../automation/engine/engine";
import { MemoryEngine } from "../../automation/engine/memory";
import { runRequest } from "../support/run-request";
import { inventory as makeInventory } from "../support/inventory-fixture";

/**
 * What the driver tells its observer and the report, and how it stops when interrupted at each phase:
 * behaviour a user sees on the terminal and in the summary, asserted through the in-memory engine.
 */

const CENTRAL_OUTPUTS: StackOutputs = {
  bucketArn: { value: "arn:aws:s3:::acme-org-backup-999999999999", secret: false },
  kmsKeyArn: { value: "arn:aws:kms:eu-west-1:999999999999:key/k", secret: false },
};
const _NO_TOLERANCE: FailureTolerance = { kind: "count", count: 0 };
const CHANGES: ChangeCounts = { create: 2, update: 1, delete: 0, same: 5 };

const request = runRequest;

interface Seen {
  readonly outputOf: Map<string, string>;
  readonly progressOf: Map<string, ChangeCounts[]>;
  readonly startedStacks: string[];
}

function observer(onStart: (stack: string) => void = () => undefined): RunObserver & Seen {
  const seen: Seen = { outputOf: new Map(), progressOf: new Map(), startedStacks: [] };
  return {
    ...seen,
    started(stack) {
      seen.startedStacks.push(stack);
      onStart(stack);
    },
    output(stack, chunk) {
      seen.outputOf.set(stack, (seen.outputOf.get(stack) ?? "") + chunk);
    },
    progress(stack, counts) {
      seen.progressOf.set(stack, [...(seen.progressOf.get(stack) ?? []), counts]);
    },
    finished: () => undefined,
  };
}

describe("run: what the observer and the report say", () => {
  it("passes every stack's engine output and progress to the observer, and is not 'interrupted'", async () => {
    const engine = new MemoryEngine({
      latencyMs: 1,
      stacks: { central: { outputs: CENTRAL_OUTPUTS, changes: CHANGES } },
    });
    const seen = observer();
    const report = await runStacks(engine, request(makeInventory(), engine, "up", { observer: seen }));
    const names = report.results.map((r) => r.stack);
    expect(names).to.have.length(4);
    for (const name of names) {
      expect(seen.outputOf.get(name), `${name} output`).to.equal(`up ${name}\n`);
      expect(seen.progressOf.get(name), `${name} progress`).to.have.length(1);
    }
    expect(seen.progressOf.get("central")).to.deep.equal([CHANGES]);
    expect(report.interrupted).to.equal(false);
    expect(report.mayHoldLock).to.deep.equal([]);
  });

  it("measures each stack's duration and the run's, as elapsed time", async () => {
    const engine = new MemoryEngine({ latencyMs: 15, stacks: { central: { outputs: CENTRAL_OUTPUTS } } });
    const report = await runStacks(engine, request(makeInventory(), engine, "up"));
    for (const result of report.results) {
      expect(result.durationMs, result.stack).to.be.at.least(10).and.below(10_000);
    }
    expect(report.durationMs).to.be.at.least(20).and.below(10_000);
  });

  it("never starts a source when interrupted while the central stack is updated", async () => {
    const abort = new AbortController();
    const engine = new MemoryEngine({ latencyMs: 20, stacks: { central: { outputs: CENTRAL_OUTPUTS } } });
    const seen = observer((stack) => {
      if (stack === "central") setTimeout(() => abort.abort(), 2);
    });
    const report = await runStacks(
      engine,
      request(makeInventory(), engine, "up", { observer: seen, signal: abort.signal }),
    );
    expect(seen.startedStacks).to.deep.equal(["central"]);
    expect(engine.callsOf("up").map((call) => call.stack)).to.deep.equal(["central"]);
    expect(report.interrupted).to.equal(true);
    const sources = report.results.filter((r) => r.stack !== "central");
    expect(sources.map((r) => [r.status, r.reason])).to.deep.equal(sources.map(() => ["skipped", "interrupted"]));
    expect(report.mayHoldLock).to.deep.equal(["central"]);
  });

  it("never destroys the central stack when interrupted while sources are destroyed", async () => {
    const abort = new AbortController();
    const inventory = makeInventory();
    const all = planStacks(inventory).map((plan) => plan.name);
    const engine = new MemoryEngine({ latencyMs: 10, existing: all });
    const seen = observer((stack) => {
      if (stack !== "central") setTimeout(() => abort.abort(), 1);
    });
    const report = await runStacks(
      engine,
      request(inventory, engine, "destroy", {
        observer: seen,
        signal: abort.signal,
        flags: { accounts: ["central", ...inventory.sources.map((s) => s.accountId)] },
      }),
    );
    expect(engine.callsOf("destroy").map((call) => call.stack)).to.not.include("central");
    expect(report.results.find((r) => r.stack === "central")).to.include({ status: "skipped", reason: "interrupted" });
    expect(report.interrupted).to.equal(true);
  });

  it("a preview that leaves central out reads its outputs without creating or changing it", async () => {
    const engine = new MemoryEngine({ existing: ["central"], stacks: { central: { outputs: CENTRAL_OUTPUTS } } });
    const report = await runStacks(
      engine,
      request(makeInventory(), engine, "preview", { flags: { exclude: ["central"] } }),
    );
    expect(report.results.map((r) => r.stack)).to.not.include("central");
    expect(engine.callsOf("preview").map((c) => c.stack)).to.not.include("central");
    expect(engine.callsOf("up")).to.deep.equal([]);
    expect(report.results.every((r) => r.status === "succeeded")).to.equal(true);
  });
});
