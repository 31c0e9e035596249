import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { Inventory } from "../../../config/types";
import { DEFAULT_INVENTORY_PATH } from "../../../infra/contract";
import type { Command, Io } from "../command";
import { parseArgsOrReport } from "../args";
import { ExitCode } from "../exit-codes";
import { planStacks } from "../../driver/plan";
import { canonicalJson, type RenderedStack, renderStacks, type StackProgram } from "../../review/render";
import { formatRenderSummary } from "../../review/render-summary";
import { parseIdList, selectStacks } from "../../driver/selection";

export const DEFAULT_RENDER_DIR = "render";

export interface RenderDeps {
  loadInventory(path: string, io: Io): Promise<Inventory | undefined>;
  /** The Pulumi program; loaded on use so that `--help` does not load Pulumi. */
  program(): StackProgram;
}

export const defaultRenderDeps: RenderDeps = {
  loadInventory: (file, io) =>
    (require("../inventory-arg") as typeof import("../inventory-arg")).loadInventoryOrReport(file, io),
  program: () => (require("../../review/render-program") as typeof import("../../review/render-program")).stackProgram,
};

const HELP = `Usage: org-s3-backup render [options]

Shows what every stack would create, without the Pulumi CLI, an AWS plugin or credentials: runs the
real Pulumi program for each planned stack under Pulumi's mock runtime, writes one JSON file per stack
(every resource with its type, name, parent, provider, options and inputs; policies as objects) and
prints a summary: the resources and each policy statement on one line.
Values AWS assigns at deploy time (key ARNs, role ARNs, ids) appear as
<unknown: TYPE NAME .PROPERTY @STACK>. Two runs on the same inventory write identical files.

Options:
  --inventory PATH    Inventory file (default: ${DEFAULT_INVENTORY_PATH})
  --out DIR           Directory for the JSON files (default: ${DEFAULT_RENDER_DIR}/); a full render also
                      removes the files of stacks no longer planned
  --accounts ID,ID    Only these source accounts (the central stack is always rendered: sources use
                      its outputs)
  --json              Print the rendered stacks as one JSON array instead of the summary
  -h, --help          This help

Exit codes: 0 rendered, 2 bad input (inventory, unknown account). Details: docs/review.md.
`;

export function renderCommand(deps: RenderDeps = defaultRenderDeps): Command {
  return {
    name: "render",
    summary: "Show every resource and policy each stack would create (no credentials)",
    help: HELP,
    run: (argv, io) => runRender(deps, argv, io),
  };
}

export const command = renderCommand();

async function runRender(deps: RenderDeps, argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgsOrReport("render", argv, io, {
    out: { type: "string" },
    accounts: { type: "string" },
    json: { type: "boolean" },
  });
  if (!args) return ExitCode.BadInput;
  const { values, usage } = args;
  const inventory = await deps.loadInventory(args.inventoryPath, io);
  if (!inventory) return ExitCode.BadInput;
  const plans = planStacks(inventory);
  const selected = selectStacks(inventory, plans, {
    accounts: values.accounts === undefined ? undefined : parseIdList(values.accounts),
  });
  if (!selected.ok) return usage(selected.message);
  const { centralPlan, sources } = selected.selection;

  const stacks = await renderStacks(inventory, [centralPlan, ...sources], deps.program());
  await writeRenders(path.resolve(io.cwd, values.out ?? DEFAULT_RENDER_DIR), stacks, !selected.selection.restricted);
  io.stdout.write(values.json ? canonicalJson(stacks) : formatRenderSummary(stacks));
  return ExitCode.Ok;
}

/**
 * One `<stack>.json` per stack. With `prune` (a full render), files of our stacks that are no longer
 * planned are removed, so a committed render/ never shows an account that left the inventory.
 */
export async function writeRenders(dir: string, stacks: readonly RenderedStack[], prune: boolean): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  if (prune) {
    const current = new Set(stacks.map((stack) => `${stack.stack}.json`));
    for (const file of await fs.readdir(dir)) {
      if (/^(central|account-\d{12})\.json$/.test(file) && !current.has(file)) await fs.rm(path.join(dir, file));
    }
  }
  for (const stack of stacks) {
    await fs.writeFile(path.join(dir, `${stack.stack}.json`), canonicalJson(stack));
  }
}
