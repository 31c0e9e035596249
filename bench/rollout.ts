/**
 * 1. Orchestration overhead: an in-memory engine where every stack operation takes L ms, for N source
 *    accounts at concurrency C, with the real progress observer (plain lines, per-stack log files).
 *    Ideal time = central + ceil(N / C) x L. Prints measured / ideal; the target is within 5%.
 * 2. Changed-only runs (bench/rollout-changed.ts): a run after changing one account of 500, against a
 *    full run; the target is at most 5%.
 *
 *   npx tsx bench/rollout.ts [latencyMs=50]
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Writable } from "node:stream";
import { MemoryEngine } from "../automation/engine/memory";
import { planStacks } from "../automation/driver/plan";
import { createProgress } from "../automation/driver/progress";
import { runStacks } from "../automation/driver/run";
import { selectStacks } from "../automation/driver/selection";
import { inventory as makeInventory } from "../tests/support/inventory-fixture";

const LATENCY_MS = Number(process.argv[2] ?? 50);
if (!(LATENCY_MS > 0)) throw new Error(`latency must be a positive number of ms, got ${process.argv[2]}`);
const CENTRAL_OUTPUTS = {
  bucketArn: { value: "arn:aws:s3:::acme-org-backup-999999999999", secret: false },
  kmsKeyArn: { value: "arn:aws:kms:eu-west-1:999999999999:key/k", secret: false },
};

async function measure(
  accounts: number,
  concurrency: number,
  logRoot: string,
): Promise<{ ms: number; ideal: number; maxInFlight: number }> {
  const inventory = makeInventory({ count: accounts });
  const selected = selectStacks(inventory, planStacks(inventory), {});
  if (!selected.ok) throw new Error(selected.message);
  const engine = new MemoryEngine({ latencyMs: LATENCY_MS, stacks: { central: { outputs: CENTRAL_OUTPUTS } } });
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  const progress = createProgress({
    stream: sink,
    live: false,
    logDir: path.join(logRoot, `${accounts}-${concurrency}`),
  });
  const start = process.hrtime.bigint();
  const report = await runStacks(engine, {
    operation: "up",
    inventory,
    inventoryPath: "/repo/config/accounts.yaml",
    selection: selected.selection,
    existingStacks: [],
    concurrency,
    tolerance: { kind: "count", count: 0 },
    observer: progress,
  });
  await progress.close();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (report.results.some((r) => r.status !== "succeeded")) throw new Error("a stack did not succeed");
  return { ms, ideal: LATENCY_MS + Math.ceil(accounts / concurrency) * LATENCY_MS, maxInFlight: engine.maxInFlight };
}

async function main(): Promise<void> {
  const logRoot = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-bench-"));
  console.log(
    `rollout: in-memory engine, L = ${LATENCY_MS} ms per stack operation, ` +
      `Node ${process.version}, ${os.cpus().length} CPUs`,
  );
  console.log(
    [
      "N".padStart(5),
      "C".padStart(3),
      "ideal ms".padStart(9),
      "measured".padStart(9),
      "ratio".padStart(6),
      "max in flight".padStart(13),
    ].join(" "),
  );
  let worst = 0;
  try {
    await measure(20, 4, logRoot); // warm-up (JIT, first file-system calls), not reported
    for (const accounts of [10, 100, 500]) {
      for (const concurrency of [1, 4, 16]) {
        const { ms, ideal, maxInFlight } = await measure(accounts, concurrency, logRoot);
        worst = Math.max(worst, ms / ideal);
        console.log(
          [
            String(accounts).padStart(5),
            String(concurrency).padStart(3),
            String(ideal).padStart(9),
            ms.toFixed(0).padStart(9),
            (ms / ideal).toFixed(3).padStart(6),
            String(maxInFlight).padStart(13),
          ].join(" "),
        );
      }
    }
  } finally {
    fs.rmSync(logRoot, { recursive: true, force: true });
  }
  console.log(`worst ratio ${worst.toFixed(3)} (target <= 1.05): ${worst <= 1.05 ? "met" : "NOT met"}`);
  console.log("");
  await (require("./rollout-changed") as typeof import("./rollout-changed")).changedOnlyBench();
}

void main();
