/**
 * Changed-only runs with the in-memory engine: `up` over 500 source accounts after one account's
 * storage class changed, against a full run (every stack runs: the first deploy, which costs what
 * `up --all` costs). Target: the changed-only run takes at most 5% of the full run.
 *
 * Each run is its own process, as a CI job is: nothing is remembered between runs but what the engine's
 * backend holds (stacks, outputs, stack tags), saved to a file. What a run's time includes:
 * - fingerprint work: reading every stack's tag (a CLI call each), the inputs key of every stack, the
 *   renders (loading the program the first time, ~50 ms per stack), writing tags (pending, then the
 *   fingerprint);
 * - the stack operations and the orchestration, with the real progress observer and log files.
 * It excludes process start-up and loading the Automation API, which the real driver does before any
 * stack runs (printed apart).
 *
 * Latencies of the memory engine: a stack operation OP_MS, a tag call TAG_MS. Real ones take about
 * 20-60 s and 0.3-1 s; the bench runs about 20-50x faster than that, but renders at real speed, so it
 * overstates the share of fingerprinting.
 *
 *   npx tsx bench/rollout-changed.ts        (also run at the end of bench/rollout.ts)
 */
import { fork } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Writable } from "node:stream";
import type { Inventory } from "../config/types";

const ACCOUNTS = 500;
const CHANGED_INDEX = 250;
const CONCURRENCY = 8;
const OP_MS = 1000;
const TAG_MS = 25;

interface State {
  existing: string[];
  tags: Record<string, Record<string, string>>;
  outputs: Record<string, Record<string, { value: unknown; secret: boolean }>>;
}

interface Measured {
  label: string;
  runMs: number;
  startupMs: number;
  ups: number;
  tagReads: number;
  tagWrites: number;
  renders: number;
  renderMs: number;
  unchanged: number;
}

type Variant = "base" | "changed";

function inventoryOf(variant: Variant): Inventory {
  const { inventory } =
    require("../tests/support/inventory-fixture") as typeof import("../tests/support/inventory-fixture");
  const base = inventory({ count: ACCOUNTS });
  if (variant === "base") return base;
  return {
    ...base,
    sources: base.sources.map((source, i) =>
      i === CHANGED_INDEX ? { ...source, replication: { ...source.replication, storageClass: "GLACIER_IR" } } : source,
    ),
  };
}

/** One run in this (child) process: restores the backend, runs `up`, saves the backend, reports. */
async function child(label: string, variant: Variant, all: boolean, stateFile: string): Promise<Measured> {
  // The real driver has the Automation API loaded before any stack runs (it talks to the CLI with it).
  require("@pulumi/pulumi/automation");
  const startupMs = performance.now();
  const { MemoryEngine } = require("../automation/engine/memory") as typeof import("../automation/engine/memory");
  const { planStacks } = require("../automation/driver/plan") as typeof import("../automation/driver/plan");
  const { createProgress } = require("../automation/driver/progress") as typeof import("../automation/driver/progress");
  const { runStacks } = require("../automation/driver/run") as typeof import("../automation/driver/run");
  const { selectStacks } = require("../automation/driver/selection") as typeof import("../automation/driver/selection");
  const fp = require("../automation/driver/fingerprint") as typeof import("../automation/driver/fingerprint");

  const state: State = fs.existsSync(stateFile)
    ? JSON.parse(fs.readFileSync(stateFile, "utf8"))
    : { existing: [], tags: {}, outputs: {} };
  const engine = new MemoryEngine({
    existing: state.existing,
    latencyMs: OP_MS,
    tagLatencyMs: TAG_MS,
    stacks: {
      central: {
        outputs: {
          bucketArn: { value: "arn:aws:s3:::acme-org-backup-999999999999", secret: false },
          kmsKeyArn: {
            value: "arn:aws:kms:eu-west-1:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            secret: false,
          },
        },
      },
    },
  });
  for (const [name, tags] of Object.entries(state.tags)) engine.tags.set(name, tags);
  for (const [name, outputs] of Object.entries(state.outputs)) engine.outputs.set(name, outputs);
  const inventory = inventoryOf(variant);
  const selected = selectStacks(inventory, planStacks(inventory), {});
  if (!selected.ok) throw new Error(selected.message);
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-changed-logs-"));
  const progress = createProgress({
    stream: new Writable({ write: (_chunk, _encoding, done) => done() }),
    live: false,
    logDir,
  });
  let renders = 0;
  let renderMs = 0;

  const started = performance.now();
  const changes = new fp.ChangeTracker({
    inventory,
    plans: planStacks(inventory),
    // The parent's, so that the program sources stay the same across the runs (others may be editing them).
    base: JSON.parse(fs.readFileSync(`${stateFile}.base.json`, "utf8")),
    skipUnchanged: !all,
    refreshInputs: true,
    onRender: (_stack, ms) => {
      renders += 1;
      renderMs += ms;
    },
  });
  const report = await runStacks(engine, {
    operation: "up",
    inventory,
    inventoryPath: "/repo/config/accounts.yaml",
    selection: selected.selection,
    existingStacks: [...engine.existing],
    concurrency: CONCURRENCY,
    tolerance: { kind: "count", count: 0 },
    observer: progress,
    changes,
  });
  await progress.close();
  const runMs = performance.now() - started;
  fs.rmSync(logDir, { recursive: true, force: true });
  if (report.results.some((r) => r.status !== "succeeded" && r.status !== "unchanged")) {
    throw new Error(`a stack did not succeed: ${JSON.stringify(report.results.find((r) => r.status !== "succeeded"))}`);
  }
  const saved: State = {
    existing: [...engine.existing],
    tags: Object.fromEntries(engine.tags),
    outputs: Object.fromEntries(
      [...engine.outputs].map(([name, outputs]) => [name, outputs as State["outputs"][string]]),
    ),
  };
  fs.writeFileSync(stateFile, JSON.stringify(saved));
  return {
    label,
    runMs,
    startupMs,
    ups: engine.callsOf("up").length,
    tagReads: engine.callsOf("tags").length,
    tagWrites: engine.callsOf("setTag").length,
    renders,
    renderMs,
    unchanged: report.results.filter((r) => r.status === "unchanged").length,
  };
}

function inChild(label: string, variant: Variant, all: boolean, stateFile: string): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const worker = fork(__filename, ["--changed-only-run", label, variant, String(all), stateFile], {
      execArgv: process.execArgv,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    worker.once("message", (message) => resolve(message as Measured));
    worker.once("exit", (code) => (code === 0 ? undefined : reject(new Error(`run ${label} exited ${code}`))));
  });
}

export async function changedOnlyBench(): Promise<void> {
  const stateFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "rollout-changed-")), "backend.json");
  console.log(
    `changed-only: ${ACCOUNTS} source accounts, concurrency ${CONCURRENCY}, in-memory engine: ` +
      `stack operation ${OP_MS} ms, stack-tag call ${TAG_MS} ms; each run a fresh process`,
  );
  const { fingerprintBase } =
    require("../automation/driver/fingerprint") as typeof import("../automation/driver/fingerprint");
  fs.writeFileSync(`${stateFile}.base.json`, JSON.stringify(fingerprintBase()));
  try {
    const full = await inChild("full run (every stack; = up --all)", "base", true, stateFile);
    const changed = await inChild(
      `one account changed (#${CHANGED_INDEX}, storage class)`,
      "changed",
      false,
      stateFile,
    );
    const same = await inChild("nothing changed", "changed", false, stateFile);
    const rows = [full, changed, same];
    console.log(
      [
        "run".padEnd(42),
        "ms".padStart(7),
        "ups".padStart(4),
        "unchanged".padStart(9),
        "tag reads".padStart(9),
        "tag writes".padStart(10),
        "renders".padStart(7),
        "render ms".padStart(9),
      ].join(" "),
    );
    for (const r of rows) {
      console.log(
        [
          r.label.padEnd(42),
          r.runMs.toFixed(0).padStart(7),
          String(r.ups).padStart(4),
          String(r.unchanged).padStart(9),
          String(r.tagReads).padStart(9),
          String(r.tagWrites).padStart(10),
          String(r.renders).padStart(7),
          r.renderMs.toFixed(0).padStart(9),
        ].join(" "),
      );
    }
    const perStack = full.renders > 0 ? full.renderMs / full.renders : 0;
    console.log(
      "fingerprint per stack (render + hash, first includes loading the program): " +
        `${perStack.toFixed(1)} ms mean over ${full.renders}`,
    );
    console.log(`process start-up incl. the Automation API (not in the times above): ~${full.startupMs.toFixed(0)} ms`);
    const ratio = changed.runMs / full.runMs;
    console.log(
      `changed-only / full = ${(ratio * 100).toFixed(2)}% (target <= 5%): ${ratio <= 0.05 ? "met" : "NOT met"}; ` +
        `nothing changed / full = ${((same.runMs / full.runMs) * 100).toFixed(2)}%`,
    );
  } finally {
    fs.rmSync(path.dirname(stateFile), { recursive: true, force: true });
  }
}

if (require.main === module) {
  if (process.argv[2] === "--changed-only-run") {
    const [label, variant, all, stateFile] = process.argv.slice(3);
    child(label, variant as Variant, all === "true", stateFile)
      .then((measured) => process.send?.(measured, () => process.exit(0)))
      .catch((error) => {
        console.error(error);
        process.exit(1);
      });
  } else {
    changedOnlyBench().catch((error) => {
      console.error(error);
      process.exitCode = 1;
    });
  }
}
