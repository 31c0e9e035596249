/**
 * How long the Pulumi program takes to evaluate one stack under Pulumi's mocks (no engine, no AWS):
 * `npx tsx bench/program.ts`. Median of 20 runs per stack after 5 warm-up runs. Target: < 150 ms each.
 *
 * Next to each figure: the same stack run as `pulumi preview` / `pulumi up` run it, under Pulumi's own run
 * harness (tests/support/pulumi-harness.ts: node + the SDK's cmd/run + infra/entry.cjs, gRPC to an
 * in-process engine), process start included, on the bundled inventory (config/accounts.yaml); median of
 * HARNESS_RUNS runs. Last, an input error (an unknown stack name) under the harness as the CLI runs it, and
 * with RUN_ERROR_STACK_SHIM (see its comment).
 */
import * as path from "node:path";
import { centralStackConfig, readCentralOutputs, sourceStackConfig } from "../automation/driver/stack-config";
import { CENTRAL_STACK, DEFAULT_INVENTORY_PATH } from "../infra/contract";
import { buildStack } from "../infra/program";
import { inventory } from "../tests/support/inventory-fixture";
import { type HarnessRun, plain, runUnderHarness } from "../tests/support/pulumi-harness";
import { setPulumiMocks } from "../tests/support/pulumi-mocks";

const WARM_UP = 5;
const RUNS = 20;
const TARGET_MS = 150;
const CENTRAL_KEY = "arn:aws:kms:eu-west-1:999999999999:key/9999bbbb-9999-bbbb-9999-bbbb9999bbbb";

async function timeStack(stackName: string): Promise<{ medianMs: number; resources: number }> {
  const inv = inventory();
  const central = stackName === "central" ? undefined : { kmsKeyArn: CENTRAL_KEY };
  const samples: number[] = [];
  let resources = 0;
  for (let i = 0; i < WARM_UP + RUNS; i++) {
    const mocks = await setPulumiMocks();
    const started = process.hrtime.bigint();
    await mocks.run(() => buildStack(inv, stackName, central));
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (i >= WARM_UP) samples.push(ms);
    resources = mocks.resources.length;
  }
  samples.sort((a, b) => a - b);
  return { medianMs: (samples[RUNS / 2 - 1] + samples[RUNS / 2]) / 2, resources };
}

const HARNESS_RUNS = 3;
const ROOT = path.resolve(__dirname, "..");
const BUNDLED_INVENTORY = path.join(ROOT, DEFAULT_INVENTORY_PATH);

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Runs the stack under the harness; throws unless the program ends as expected. */
async function harnessRun(
  stack: string,
  mode: "preview" | "update",
  config: Record<string, string>,
  expectExit = 0,
  preload?: string[],
): Promise<HarnessRun> {
  const run = await runUnderHarness({ rootDir: ROOT, stack, mode, config, preload, timeoutMs: 120_000 });
  if (run.exitCode !== expectExit) {
    const errors = run.logs.filter((l) => l.severity === "error").map((l) => l.message);
    throw new Error(
      `${stack} ${mode} under the harness: exit ${run.exitCode}, ${JSON.stringify(errors)} ${run.stderr}`,
    );
  }
  return run;
}

/** Median preview and update times of a stack under the harness, with what the last update showed. */
async function timeUnderHarness(stack: string, config: Record<string, string>) {
  const previews: HarnessRun[] = [];
  const updates: HarnessRun[] = [];
  for (let i = 0; i < HARNESS_RUNS; i++) {
    previews.push(await harnessRun(stack, "preview", config));
    updates.push(await harnessRun(stack, "update", config));
  }
  const last = updates[updates.length - 1];
  return {
    previewMs: median(previews.map((r) => r.durationMs)),
    updateMs: median(updates.map((r) => r.durationMs)),
    firstRpcMs: median([...previews, ...updates].map((r) => r.firstRpcMs ?? Number.NaN)),
    peakRssMb: Math.max(...[...previews, ...updates].map((r) => r.peakRssMb ?? 0)),
    registrations: last.resources.length,
    outputs: plain(last.stackOutputs ?? {}) as Record<string, unknown>,
  };
}

function harnessLine(stackName: string, figures: Awaited<ReturnType<typeof timeUnderHarness>>): string {
  return (
    `${stackName}: under Pulumi's run harness (process start included, bundled inventory): ` +
    `preview ${figures.previewMs.toFixed(0)} ms, update ${figures.updateMs.toFixed(0)} ms, ` +
    `median of ${HARNESS_RUNS} each; ` +
    `${figures.registrations} registrations; first RPC after ${figures.firstRpcMs.toFixed(0)} ms; ` +
    `peak RSS ${figures.peakRssMb} MB`
  );
}

async function main(): Promise<void> {
  let centralOutputs: Record<string, unknown> = {};
  for (const stackName of ["central", "account-111111111111"]) {
    const { medianMs, resources } = await timeStack(stackName);
    const verdict = medianMs < TARGET_MS ? "ok" : "OVER TARGET";
    console.log(
      `${stackName}: median ${medianMs.toFixed(1)} ms of ${RUNS} runs, ${resources} registrations ` +
        `(target < ${TARGET_MS} ms: ${verdict})`,
    );
    // The config the driver sets: a source gets the central stack's outputs (here: its harness update's).
    let config = centralStackConfig(BUNDLED_INVENTORY);
    if (stackName !== CENTRAL_STACK) {
      const central = readCentralOutputs(
        Object.fromEntries(Object.entries(centralOutputs).map(([k, value]) => [k, { value, secret: false }])),
      );
      if (!central.ok) throw new Error(`the central stack exported no ${central.missing.join(", ")}`);
      config = sourceStackConfig(BUNDLED_INVENTORY, central.value);
    }
    const figures = await timeUnderHarness(stackName, config);
    if (stackName === CENTRAL_STACK) centralOutputs = figures.outputs;
    console.log(harnessLine(stackName, figures));
  }
  // An input error as the CLI runs it (exit 32 after the message): seconds, since the RunError's stack is
  // its message (infra/index.ts); before that fix, ~20 s and ~3 GB.
  const unknownStack = "account-555555555555";
  const inputError = await harnessRun(unknownStack, "preview", centralStackConfig(BUNDLED_INVENTORY), 32);
  console.log(
    `input error (unknown stack) under Pulumi's run harness: ${inputError.durationMs.toFixed(0)} ms, ` +
      `peak RSS ${inputError.peakRssMb ?? "?"} MB`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
