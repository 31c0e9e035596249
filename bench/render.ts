/**
 * How long `render` takes for a large organization, in one process: `npx tsx bench/render.ts [SOURCES]`
 * (default 500 source accounts). Target: 500 source stacks in under 60 s on a 2-core CI runner.
 */
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { writeRenders } from "../automation/cli/commands/render";
import { planStacks } from "../automation/driver/plan";
import { renderStacks } from "../automation/review/render";
import { stackProgram } from "../automation/review/render-program";
import { inventory, sourceAccount } from "../tests/support/inventory-fixture";

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 500);
  const inv = inventory({ sources: Array.from({ length: count }, (_, i) => sourceAccount(String(100000000000 + i))) });
  const plans = planStacks(inv);

  const started = process.hrtime.bigint();
  const stacks = await renderStacks(inv, plans, stackProgram);
  const rendered = process.hrtime.bigint();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "render-bench-"));
  await writeRenders(dir, stacks, true);
  const written = process.hrtime.bigint();
  await fs.rm(dir, { recursive: true, force: true });

  const ms = (from: bigint, to: bigint) => Number(to - from) / 1e6;
  const resources = stacks.reduce((sum, stack) => sum + stack.resources.length, 0);
  console.log(`render: ${plans.length} stacks (1 central + ${count} sources), ${resources} resources`);
  console.log(
    `  rendering: ${(ms(started, rendered) / 1000).toFixed(1)} s ` +
      `(${(ms(started, rendered) / plans.length).toFixed(1)} ms per stack)`,
  );
  console.log(`  writing JSON: ${(ms(rendered, written) / 1000).toFixed(2)} s`);
  console.log(
    `  heap used at end: ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB, ` +
      `rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
