/**
 * How long the Pulumi program takes to evaluate one stack under Pulumi's mocks (no engine, no AWS):
 * `npx tsx bench/program.ts`. Median of 20 runs per stack after 5 warm-up runs. Target: < 150 ms each.
 */
import { buildStack } from "../infra/program";
import { inventory } from "../tests/support/inventory-fixture";
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

async function main(): Promise<void> {
  for (const stackName of ["central", "account-111111111111"]) {
    const { medianMs, resources } = await timeStack(stackName);
    const verdict = medianMs < TARGET_MS ? "ok" : "OVER TARGET";
    console.log(
      `${stackName}: median ${medianMs.toFixed(1)} ms of ${RUNS} runs, ${resources} registrations (target < ${TARGET_MS} ms: ${verdict})`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
