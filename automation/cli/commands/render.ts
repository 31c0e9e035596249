import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { Inventory } from "../../../config/types";
import { DEFAULT_INVENTORY_PATH } from "../../../infra/contract";
import { type CommandArgs, defineCommand } from "../args";
import type { Command, Io } from "../command";
import { ExitCode } from "../exit-codes";
import { displayPath } from "../inventory-arg";
import { planStacks } from "../../driver/plan";
import { canonicalJson } from "../../review/canonical-json";
import { type RenderedStack, renderStacks, type StackProgram } from "../../review/render";
import { formatRenderOverview, formatRenderSummary } from "../../review/render-summary";
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

const OPTIONS = {
  out: { type: "string" },
  accounts: { type: "string" },
  detail: { type: "boolean" },
  json: { type: "boolean" },
} as const;

const SUMMARY = "Show every resource and policy each stack would create (no credentials)";

const HELP = `Usage: org-s3-backup render [options]

Shows what every stack would create, without the Pulumi CLI, an AWS plugin or credentials: runs the
real Pulumi program for each planned stack under Pulumi's mock runtime, writes one JSON file per stack
(every resource with its type, name, parent, provider, options and inputs; policies as objects) and
prints a summary: one line per stack with its resources and policies and the settings in which it
differs from most accounts (--detail: every resource and each policy statement on one line).
Values AWS assigns at deploy time (key ARNs, role ARNs, ids) appear as
<unknown: TYPE NAME .PROPERTY @STACK>. Two runs on the same inventory write identical files.
On a terminal, progress goes to stderr while the stacks render.

Options:
  --inventory PATH    Inventory file (default: ${DEFAULT_INVENTORY_PATH})
  --out DIR           Directory for the JSON files (default: ${DEFAULT_RENDER_DIR}/); a full render also
                      removes the files of stacks no longer planned. Checked before anything renders.
  --accounts ID,ID    Only these source accounts (the central stack is always rendered: sources use
                      its outputs)
  --detail            Every resource and each policy statement, per stack, instead of one line per stack
  --json              Print the rendered stacks as one JSON array instead of the summary; writes no
                      files unless --out is given
  -h, --help          This help

Exit codes: 0 rendered, 2 bad input (inventory, unknown account, --out not a writable directory),
3 the files could not be written. Details: docs/review.md.
`;

export function renderCommand(deps: RenderDeps = defaultRenderDeps): Command {
  return defineCommand({ name: "render", summary: SUMMARY, help: HELP, options: OPTIONS }, runRender, deps);
}

export const command = renderCommand();

async function runRender(args: CommandArgs<typeof OPTIONS>, io: Io, deps: RenderDeps): Promise<number> {
  const { values, usage } = args;
  if (values.json && values.detail) return usage("--json and --detail exclude each other");
  // --json prints the stacks instead of the summary: files only when asked for with --out.
  const outDir =
    values.json && values.out === undefined ? undefined : path.resolve(io.cwd, values.out ?? DEFAULT_RENDER_DIR);
  const inventory = await deps.loadInventory(args.inventoryPath, io);
  if (!inventory) return ExitCode.BadInput;
  const plans = planStacks(inventory);
  const selected = selectStacks(inventory, plans, {
    accounts: values.accounts === undefined ? undefined : parseIdList(values.accounts),
  });
  if (!selected.ok) return usage(selected.message);
  const { centralPlan, sources } = selected.selection;
  // The target is checked (and created) before the minutes of rendering, not found unusable after them.
  if (outDir !== undefined) {
    const ready = await prepareOutputDir(outDir);
    if (!ready.ok) {
      io.stderr.write(`org-s3-backup render: --out ${displayPath(outDir, io.cwd)}: ${ready.message}\n`);
      return ExitCode.BadInput;
    }
  }

  const progress = renderProgress(io);
  const stacks = await renderStacks(inventory, [centralPlan, ...sources], deps.program(), progress.update).finally(
    progress.done,
  );
  let wrote: WriteResult | undefined;
  if (outDir !== undefined) {
    try {
      wrote = await writeRenders(outDir, stacks, !selected.selection.restricted);
    } catch (error) {
      io.stderr.write(
        `org-s3-backup render: could not write the files in ${displayPath(outDir, io.cwd)}: ${(error as Error).message}\n`,
      );
      return ExitCode.Environment;
    }
  }
  if (values.json) io.stdout.write(canonicalJson(stacks));
  else io.stdout.write(values.detail ? formatRenderSummary(stacks) : formatRenderOverview(stacks, inventory));
  if (wrote && outDir !== undefined) {
    const removed = wrote.removed > 0 ? ` (removed ${wrote.removed} of stacks no longer planned)` : "";
    // With --json, stdout is the JSON alone.
    (values.json ? io.stderr : io.stdout).write(
      `wrote ${wrote.written} file${wrote.written === 1 ? "" : "s"} to ${displayPath(outDir, io.cwd)}${removed}\n`,
    );
  }
  return ExitCode.Ok;
}

/** `render: 12/301 stacks rendered` repainted in place on stderr, only on a terminal. */
function renderProgress(io: Io): { update: (done: number, total: number) => void; done: () => void } {
  if (!io.stderr.isTTY) return { update: () => {}, done: () => {} };
  let shown = false;
  return {
    update(done, total) {
      io.stderr.write(`\rrender: ${done}/${total} stacks rendered`);
      shown = true;
    },
    done() {
      // Clear the progress line, so that what follows starts on a clean line.
      if (shown) io.stderr.write("\r\u001b[K");
    },
  };
}

export interface WriteResult {
  readonly written: number;
  /** Files of stacks no longer planned, removed by a full render. */
  readonly removed: number;
}

/**
 * Makes sure `dir` is a directory this process can write in, creating it (and missing parents) if
 * needed, before anything is rendered: a file in the way, a read-only place or a pseudo file system
 * fail here in one line, not after minutes of rendering. The directories are created one level at a
 * time: Node's recursive mkdir never returns for a path like /proc/x (the kernel answers "no such
 * file" for the child of a directory that exists, and Node retries).
 */
export async function prepareOutputDir(dir: string): Promise<{ ok: true } | { ok: false; message: string }> {
  const missing: string[] = [];
  for (let current = dir; ; current = path.dirname(current)) {
    try {
      const stat = await fs.stat(current);
      if (!stat.isDirectory())
        return { ok: false, message: current === dir ? "is a file, not a directory" : `${current} is not a directory` };
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" || path.dirname(current) === current) return { ok: false, message: fsReason(error) };
      missing.unshift(current);
    }
  }
  for (const directory of missing) {
    try {
      await fs.mkdir(directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST")
        return { ok: false, message: `cannot create ${directory}: ${fsReason(error)}` };
    }
  }
  const probe = path.join(dir, `.org-s3-backup-write-check-${process.pid}`);
  try {
    await fs.writeFile(probe, "");
    await fs.rm(probe, { force: true });
  } catch (error) {
    return { ok: false, message: `cannot write in it: ${fsReason(error)}` };
  }
  return { ok: true };
}

function fsReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const reasons: Record<string, string> = {
    EACCES: "permission denied",
    EPERM: "not permitted",
    EROFS: "read-only file system",
    ENOSPC: "no space left on the device",
    ENOTDIR: "a part of the path is a file, not a directory",
    ENOENT: "no such file or directory",
  };
  return (code && reasons[code]) ?? (error as Error).message;
}

/**
 * One `<stack>.json` per stack. With `prune` (a full render), files of our stacks that are no longer
 * planned are removed, so a committed render/ never shows an account that left the inventory.
 */
export async function writeRenders(
  dir: string,
  stacks: readonly RenderedStack[],
  prune: boolean,
): Promise<WriteResult> {
  const ready = await prepareOutputDir(dir);
  if (!ready.ok) throw new Error(`${dir}: ${ready.message}`);
  let removed = 0;
  if (prune) {
    const current = new Set(stacks.map((stack) => `${stack.stack}.json`));
    for (const file of await fs.readdir(dir)) {
      if (/^(central|account-\d{12})\.json$/.test(file) && !current.has(file)) {
        await fs.rm(path.join(dir, file));
        removed++;
      }
    }
  }
  for (const stack of stacks) {
    await fs.writeFile(path.join(dir, `${stack.stack}.json`), canonicalJson(stack));
  }
  return { written: stacks.length, removed };
}
