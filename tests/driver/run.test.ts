import { expect } from "chai";
import type { FailureTolerance } from "../../automation/driver/concurrency";
import type { StackOutputs } from "../../automation/engine/engine";
import { MemoryEngine, type MemoryEngineOptions } from "../../automation/engine/memory";
import { type RunObserver, runStacks } from "../../automation/driver/run";
import { findOrphans } from "../../automation/driver/selection";
import { runRequest } from "../support/run-request";
import { inventory as makeInventory, sourceAccount } from "../support/inventory-fixture";

const CENTRAL_OUTPUTS: StackOutputs = {
  bucketArn: { value: "arn:aws:s3:::acme-org-backup-999999999999", secret: false },
  kmsKeyArn: { value: "arn:aws:kms:eu-west-1:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab", secret: false },
  alarmTopicArn: { value: "arn:aws:sns:eu-west-1:999999999999:org-s3-backup-alarms", secret: false },
};
const ACCESS_DENIED =
  "error: creating S3 Bucket (acme-data-222222222222): operation error S3: CreateBucket, " +
  "https response error StatusCode: 403, RequestID: 4Q, HostID: x, api error AccessDenied: Access Denied";
const _TOLERANCE_0: FailureTolerance = { kind: "count", count: 0 };

const request = runRequest;

function recorder(): RunObserver & { events: string[] } {
  const events: string[] = [];
  return {
    events,
    started: (stack, action) => events.push(`start ${stack} ${action}`),
    output: () => undefined,
    progress: () => undefined,
    finished: (result) => events.push(`end ${result.stack} ${result.status}`),
  };
}

const deployed = (options: MemoryEngineOptions = {}) =>
  new MemoryEngine({
    existing: ["central"],
    ...options,
    stacks: { central: { outputs: CENTRAL_OUTPUTS }, ...options.stacks },
  });

describe("run", () => {
  describe("up", () => {
    it("finishes the central stack before any source stack starts", async () => {
      const engine = new MemoryEngine({
        latencyMs: 5,
        stacks: { central: { outputs: CENTRAL_OUTPUTS, latencyMs: 20 } },
      });
      const observer = recorder();
      await runStacks(engine, { ...request(makeInventory({ count: 6 }), engine, "up"), observer });
      const centralEnd = observer.events.indexOf("end central succeeded");
      const firstSource = observer.events.findIndex((event) => event.startsWith("start account-"));
      expect(observer.events[0]).to.equal("start central up");
      expect(centralEnd).to.be.greaterThan(0).and.lessThan(firstSource);
      expect(
        engine
          .callsOf("open")
          .slice(1)
          .every((call) => call.stack.startsWith("account-")),
      ).to.equal(true);
    });

    it("writes no stack config: the program gets the inventory path from the environment", async () => {
      const engine = new MemoryEngine({ stacks: { central: { outputs: CENTRAL_OUTPUTS } } });
      const inventory = makeInventory({ count: 5 });
      const report = await runStacks(engine, request(inventory, engine, "up"));
      expect(report.results.map((r) => r.status)).to.deep.equal(Array(6).fill("succeeded"));
      // The central stack is deployed: sources read its outputs themselves (StackReference).
      expect(engine.programEnv).to.deep.equal({ ORG_S3_BACKUP_INVENTORY: "/repo/config/accounts.yaml" });
    });

    it("never has more operations in flight than the concurrency, and reaches it given enough work", async () => {
      for (const concurrency of [1, 3, 7]) {
        const engine = new MemoryEngine({ latencyMs: 3, stacks: { central: { outputs: CENTRAL_OUTPUTS } } });
        await runStacks(engine, {
          ...request(makeInventory({ count: 25 }), engine, "up"),
          concurrency,
          tolerance: { kind: "count", count: 100 },
        });
        expect(engine.maxInFlight, `concurrency ${concurrency}`).to.equal(concurrency);
        expect(engine.callsOf("up")).to.have.length(26);
      }
    });

    it("stops starting accounts once failures exceed the tolerance and reports the rest as skipped", async () => {
      const inventory = makeInventory({ count: 10 });
      const stacks = Object.fromEntries(
        inventory.sources.map((s) => [`account-${s.accountId}`, { fail: { up: ACCESS_DENIED } }]),
      );
      const engine = new MemoryEngine({ stacks: { ...stacks, central: { outputs: CENTRAL_OUTPUTS } } });
      const report = await runStacks(engine, {
        ...request(inventory, engine, "up"),
        concurrency: 1,
        tolerance: { kind: "count", count: 1 },
      });
      const sources = report.results.filter((r) => r.role === "source");
      expect(sources.map((r) => r.status)).to.deep.equal(["failed", "failed", ...Array(8).fill("skipped")]);
      expect(sources[2].reason).to.equal("failure tolerance exceeded (2 failed, 1 tolerated)");
      expect(engine.callsOf("up").filter((c) => c.stack !== "central")).to.have.length(2);
    });

    it("lets running accounts finish when the tolerance is exceeded", async () => {
      const inventory = makeInventory({ count: 6 });
      const [first, ...others] = inventory.sources.map((s) => `account-${s.accountId}`);
      const engine = new MemoryEngine({
        latencyMs: 30,
        stacks: {
          central: { outputs: CENTRAL_OUTPUTS, latencyMs: 1 },
          [first]: { latencyMs: 1, fail: { up: ACCESS_DENIED } },
        },
      });
      const report = await runStacks(engine, { ...request(inventory, engine, "up"), concurrency: 3 });
      const status = Object.fromEntries(report.results.map((r) => [r.stack, r.status]));
      expect(status[first]).to.equal("failed");
      expect(others.map((name) => status[name])).to.deep.equal([
        "succeeded",
        "succeeded",
        "skipped",
        "skipped",
        "skipped",
      ]);
    });

    it("applies a percentage tolerance to the number of stacks in the run", async () => {
      const inventory = makeInventory({ count: 10 });
      const failing = inventory.sources
        .slice(0, 4)
        .map((s) => [`account-${s.accountId}`, { fail: { up: ACCESS_DENIED } }]);
      const engine = new MemoryEngine({
        stacks: { ...Object.fromEntries(failing), central: { outputs: CENTRAL_OUTPUTS } },
      });
      const report = await runStacks(engine, {
        ...request(inventory, engine, "up"),
        concurrency: 1,
        tolerance: { kind: "percent", percent: 20 },
      });
      // 20% of 10 = 2 tolerated: the third failure stops the run.
      expect(report.results.filter((r) => r.status === "failed").map((r) => r.accountId)).to.deep.equal(
        inventory.sources.slice(0, 3).map((s) => s.accountId),
      );
      expect(report.results.filter((r) => r.status === "skipped")).to.have.length(7);
    });

    it("reports a failing account with its classified reason without hiding the others' results", async () => {
      const engine = new MemoryEngine({
        stacks: { central: { outputs: CENTRAL_OUTPUTS }, "account-222222222222": { fail: { up: ACCESS_DENIED } } },
      });
      const report = await runStacks(engine, {
        ...request(makeInventory(), engine, "up"),
        tolerance: { kind: "count", count: 5 },
      });
      expect(report.results.map((r) => [r.stack, r.status])).to.deep.equal([
        ["central", "succeeded"],
        ["account-111111111111", "succeeded"],
        ["account-222222222222", "failed"],
        ["account-333333333333", "succeeded"],
      ]);
      const failed = report.results[2];
      expect(failed.failure?.category).to.equal("access-denied");
      expect(failed.failure?.excerpt[0]).to.contain("CreateBucket");
    });

    it("skips every source when the central stack fails", async () => {
      const engine = new MemoryEngine({ stacks: { central: { fail: { up: "error: update failed" } } } });
      const report = await runStacks(engine, request(makeInventory(), engine, "up"));
      expect(report.results[0].status).to.equal("failed");
      expect(report.results.slice(1).map((r) => [r.status, r.reason])).to.deep.equal(
        Array(3).fill(["skipped", "central stack failed"]),
      );
      expect(engine.callsOf("up").map((c) => c.stack)).to.deep.equal(["central"]);
    });

    it("with --accounts but not central, uses the deployed central outputs without updating it", async () => {
      const engine = deployed();
      const report = await runStacks(
        engine,
        request(makeInventory(), engine, "up", { flags: { accounts: ["111111111111"] } }),
      );
      expect(report.results.map((r) => `${r.stack} ${r.status}`)).to.deep.equal(["account-111111111111 succeeded"]);
      expect(engine.callsOf("up").map((c) => c.stack)).to.deep.equal(["account-111111111111"]);
      expect(engine.programEnv.ORG_S3_BACKUP_CENTRAL).to.equal(undefined);
    });

    it("refuses to deploy sources when the central stack was never deployed", async () => {
      const engine = new MemoryEngine();
      const report = await runStacks(
        engine,
        request(makeInventory(), engine, "up", { flags: { exclude: ["central"] } }),
      );
      expect(report.results.every((r) => r.status === "skipped")).to.equal(true);
      expect(report.results[0].reason).to.equal("central stack is not deployed: run `up` with the central stack first");
      expect(engine.callsOf("up")).to.have.length(0);
    });

    it("reports the real cause when the central outputs cannot be read, never 'not deployed'", async () => {
      const passphrase =
        "error: getting secrets manager: " +
        "passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables";
      const engine = new MemoryEngine({ existing: ["central"], stacks: { central: { fail: { open: passphrase } } } });
      const report = await runStacks(
        engine,
        request(makeInventory(), engine, "up", { flags: { exclude: ["central"] } }),
      );
      expect(report.results.every((r) => r.status === "skipped")).to.equal(true);
      expect(report.results[0].reason).to.equal(
        `could not read the central stack's outputs (secrets passphrase missing or wrong): ${passphrase}`,
      );
      expect(engine.callsOf("up")).to.have.length(0);
    });

    it("previews with stand-ins when the central outputs cannot be read, and says why", async () => {
      const engine = new MemoryEngine({
        existing: ["central"],
        stacks: { central: { fail: { open: "error: the stack is currently locked by 1 lock(s)." } } },
      });
      const report = await runStacks(
        engine,
        request(makeInventory(), engine, "preview", { flags: { exclude: ["central"] } }),
      );
      expect(report.results.every((r) => r.status === "succeeded")).to.equal(true);
      expect(report.results[1].notes[0]).to.match(
        /^could not read the central stack.s outputs \(stack locked\): error: the stack/,
      );
    });

    it("prunes exactly the orphan stacks: destroy (protected data kept), then remove", async () => {
      const inventory = makeInventory({
        sources: [sourceAccount("111111111111"), sourceAccount("222222222222", { enabled: false })],
      });
      const existing = [
        "central",
        "account-111111111111",
        "account-222222222222",
        "account-444444444444",
        "someone-elses-stack",
      ];
      const engine = deployed({ existing, stacks: { "account-444444444444": { protectedUrns: ["urn:bucket"] } } });
      const orphans = findOrphans(existing, inventory);
      expect(orphans).to.deep.equal(["account-222222222222", "account-444444444444"]);
      const report = await runStacks(engine, { ...request(inventory, engine, "up"), prune: orphans });
      expect(
        engine
          .callsOf("destroy")
          .map((c) => c.stack)
          .sort(),
      ).to.deep.equal(orphans);
      expect(
        engine
          .callsOf("remove")
          .map((c) => c.stack)
          .sort(),
      ).to.deep.equal(orphans);
      const pruned = report.results.filter((r) => r.role === "orphan");
      expect(pruned.map((r) => [r.stack, r.action, r.status])).to.deep.equal([
        ["account-222222222222", "prune", "succeeded"],
        ["account-444444444444", "prune", "succeeded"],
      ]);
      expect(pruned[1].retained).to.deep.equal(["urn:bucket"]);
      expect([...engine.existing].sort()).to.deep.equal(["account-111111111111", "central", "someone-elses-stack"]);
    });
  });

  describe("preview", () => {
    it("previews sources before the central stack exists, with stand-in central values, and says so", async () => {
      const engine = new MemoryEngine();
      const report = await runStacks(engine, request(makeInventory(), engine, "preview"));
      expect(report.results.map((r) => r.status)).to.deep.equal(Array(4).fill("succeeded"));
      // The program is told, so that it previews with the central key unknown instead of a StackReference.
      expect(engine.programEnv.ORG_S3_BACKUP_CENTRAL).to.equal("not-deployed");
      expect(report.results[1].notes).to.deep.equal([
        "central stack not deployed: sources previewed with the central KMS key ARN unknown",
      ]);
    });

    it("still previews sources when the central preview fails", async () => {
      const engine = new MemoryEngine({ stacks: { central: { fail: { preview: "error: program failed" } } } });
      const report = await runStacks(engine, request(makeInventory(), engine, "preview"));
      expect(report.results.map((r) => r.status)).to.deep.equal(["failed", "succeeded", "succeeded", "succeeded"]);
    });

    it("uses the deployed central outputs when there are some", async () => {
      const engine = deployed();
      const report = await runStacks(engine, request(makeInventory(), engine, "preview"));
      expect(engine.programEnv.ORG_S3_BACKUP_CENTRAL).to.equal(undefined);
      expect(report.results[1].notes).to.deep.equal([]);
    });
  });

  describe("destroy", () => {
    const allDeployed = () =>
      deployed({ existing: ["central", "account-111111111111", "account-222222222222", "account-333333333333"] });

    it("destroys source stacks only, unless central is named", async () => {
      const engine = allDeployed();
      const report = await runStacks(engine, request(makeInventory(), engine, "destroy"));
      expect(engine.callsOf("destroy").map((c) => c.stack)).to.deep.equal([
        "account-111111111111",
        "account-222222222222",
        "account-333333333333",
      ]);
      expect(report.results.map((r) => r.stack)).to.not.include("central");
      expect(engine.callsOf("remove")).to.have.length(0);
    });

    it("destroys a named central stack last, once no source stack is left", async () => {
      const engine = allDeployed();
      const flags = { accounts: ["central", "111111111111", "222222222222", "333333333333"] };
      const report = await runStacks(engine, request(makeInventory(), engine, "destroy", { flags }));
      expect(
        engine
          .callsOf("destroy")
          .map((c) => c.stack)
          .at(-1),
      ).to.equal("central");
      expect(report.results.every((r) => r.status === "succeeded")).to.equal(true);
    });

    it("keeps a named central stack while source stacks still exist", async () => {
      const engine = allDeployed();
      const report = await runStacks(
        engine,
        request(makeInventory(), engine, "destroy", { flags: { accounts: ["central", "111111111111"] } }),
      );
      expect(engine.callsOf("destroy").map((c) => c.stack)).to.deep.equal(["account-111111111111"]);
      expect(report.results.find((r) => r.stack === "central")?.reason).to.equal(
        "source stacks still deployed (account-222222222222, account-333333333333): destroy them first",
      );
    });

    it("reports never-deployed stacks as absent without calling the engine", async () => {
      const engine = new MemoryEngine();
      const report = await runStacks(engine, request(makeInventory(), engine, "destroy"));
      expect(report.results.map((r) => r.status)).to.deep.equal(["absent", "absent", "absent"]);
      expect(engine.calls).to.deep.equal([]);
    });
  });

  describe("drift", () => {
    it("reports which accounts drifted and how, and fails stacks that cannot be checked", async () => {
      const engine = deployed({
        existing: ["central", "account-111111111111", "account-222222222222"],
        stacks: { "account-222222222222": { drift: { create: 0, update: 1, delete: 1, same: 7 } } },
      });
      const report = await runStacks(engine, request(makeInventory(), engine, "drift"));
      expect(report.results.map((r) => [r.stack, r.status])).to.deep.equal([
        ["central", "succeeded"],
        ["account-111111111111", "succeeded"],
        ["account-222222222222", "drifted"],
        ["account-333333333333", "failed"],
      ]);
      expect(report.results[2].counts).to.deep.equal({ create: 0, update: 1, delete: 1, same: 7 });
      expect(report.results[3].failure?.category).to.equal("not-deployed");
    });
  });

  describe("outputs", () => {
    it("reads each deployed stack's outputs", async () => {
      const engine = deployed();
      const report = await runStacks(engine, request(makeInventory(), engine, "outputs"));
      expect(report.results[0].outputs).to.deep.equal(CENTRAL_OUTPUTS);
      expect(report.results.slice(1).map((r) => r.status)).to.deep.equal(["absent", "absent", "absent"]);
    });
  });

  describe("cancellation", () => {
    it("cancels running operations, starts nothing new and names the stacks that may hold a lock", async () => {
      const engine = new MemoryEngine({
        latencyMs: 50,
        stacks: { central: { outputs: CENTRAL_OUTPUTS, latencyMs: 1 } },
      });
      const abort = new AbortController();
      const observer = recorder();
      const running = runStacks(engine, {
        ...request(makeInventory({ count: 8 }), engine, "up"),
        concurrency: 3,
        signal: abort.signal,
        observer,
      });
      await new Promise((resolve) => setTimeout(resolve, 25));
      abort.abort();
      const report = await running;
      const statuses = report.results.map((r) => r.status);
      expect(report.interrupted).to.equal(true);
      expect(statuses).to.deep.equal([
        "succeeded",
        "cancelled",
        "cancelled",
        "cancelled",
        "skipped",
        "skipped",
        "skipped",
        "skipped",
        "skipped",
      ]);
      expect(report.results.at(-1)?.reason).to.equal("interrupted");
      expect(report.mayHoldLock).to.deep.equal(
        report.results.filter((r) => r.status === "cancelled").map((r) => r.stack),
      );
      expect(engine.inFlight).to.equal(0);
    });

    it("never starts the operation of a stack whose set-up was under way when interrupted (8 in flight)", async () => {
      // Set-up is serial and slow (each select waits for the one before), as with the Automation API.
      class SlowSetUp extends MemoryEngine {
        private queue: Promise<unknown> = Promise.resolve();
        override openStack(name: string, options: { create: boolean }) {
          const opened = this.queue.then(async () => {
            await new Promise((resolve) => setTimeout(resolve, 20));
            return super.openStack(name, options);
          });
          this.queue = opened;
          return opened;
        }
      }
      const engine = new SlowSetUp({ latencyMs: 200, stacks: { central: { outputs: CENTRAL_OUTPUTS, latencyMs: 1 } } });
      const abort = new AbortController();
      const running = runStacks(engine, {
        ...request(makeInventory({ count: 9 }), engine, "up"),
        concurrency: 8,
        signal: abort.signal,
      });
      while (engine.callsOf("open").length < 3) await new Promise((resolve) => setTimeout(resolve, 1));
      abort.abort();
      const upsAtAbort = engine.callsOf("up").length;
      const report = await running;
      expect(engine.callsOf("up")).to.have.length(upsAtAbort);
      const sources = report.results.filter((r) => r.role === "source");
      const started = sources.filter((r) => r.status === "cancelled");
      expect(started.length).to.be.at.most(2);
      expect(sources.filter((r) => r.status === "skipped")).to.have.length(9 - started.length);
      // Eight were in flight (set-up under way): interrupted before their up; the ninth never started.
      expect(sources[7].reason).to.equal("interrupted: up not started");
      expect(sources[8].reason).to.equal("interrupted");
      expect(report.mayHoldLock).to.deep.equal(started.map((r) => r.stack));
    });
  });

  describe("stack timeout", () => {
    it("cancels a stack that runs too long, reports it timed out and may hold a lock; the others go on", async () => {
      const inventory = makeInventory({ count: 4 });
      const engine = new MemoryEngine({
        latencyMs: 5,
        stacks: { central: { outputs: CENTRAL_OUTPUTS }, "account-222222222222": { latencyMs: 10_000 } },
      });
      const started = Date.now();
      const report = await runStacks(engine, {
        ...request(inventory, engine, "up"),
        concurrency: 2,
        tolerance: { kind: "count", count: 5 },
        stackTimeoutMs: 100,
      });
      expect(Date.now() - started).to.be.below(2000);
      const status = Object.fromEntries(report.results.map((r) => [r.stack, r.status]));
      expect(status).to.deep.equal({
        central: "succeeded",
        "account-111111111111": "succeeded",
        "account-222222222222": "timed-out",
        "account-333333333333": "succeeded",
        "account-100000000003": "succeeded",
      });
      expect(report.results.find((r) => r.status === "timed-out")?.reason).to.equal(
        "timed out after 0.1s: up cancelled",
      );
      expect(report.mayHoldLock).to.deep.equal(["account-222222222222"]);
      expect(report.interrupted).to.equal(false);
    });

    it("counts a timed-out stack against the failure tolerance", async () => {
      const engine = new MemoryEngine({
        latencyMs: 10_000,
        stacks: { central: { outputs: CENTRAL_OUTPUTS, latencyMs: 1 } },
      });
      const report = await runStacks(engine, {
        ...request(makeInventory({ count: 4 }), engine, "up"),
        concurrency: 1,
        stackTimeoutMs: 50,
      });
      expect(report.results.map((r) => r.status)).to.deep.equal([
        "succeeded",
        "timed-out",
        "skipped",
        "skipped",
        "skipped",
      ]);
    });
  });
});
