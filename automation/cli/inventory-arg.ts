import * as path from "node:path";
import { formatProblem, loadInventory } from "../../config/load";
import type { Inventory } from "../../config/types";
import type { Io } from "./command";

/**
 * The first step of every command: load the inventory, or print each problem as `FILE:LINE:COL: message`
 * on stderr and return undefined (the caller exits with ExitCode.BadInput). `file` is resolved against
 * io.cwd when relative; messages name it relative to io.cwd when it lies below it.
 */
export async function loadInventoryOrReport(file: string, io: Io): Promise<Inventory | undefined> {
  const absolute = path.resolve(io.cwd, file);
  const result = await loadInventory(absolute);
  if (result.ok) return result.inventory;
  const shown = displayPath(absolute, io.cwd);
  for (const problem of result.problems) io.stderr.write(`${formatProblem({ ...problem, file: shown })}\n`);
  const count = result.problems.length;
  // A file that could not be read has one problem and no lines: the count would only repeat it.
  if (result.problems.every((problem) => problem.line > 0))
    io.stderr.write(`${shown}: invalid — ${count} problem${count === 1 ? "" : "s"}\n`);
  return undefined;
}

/** `config/accounts.yaml` rather than an absolute path, when the file is under the working directory. */
export function displayPath(absolute: string, cwd: string): string {
  const relative = path.relative(cwd, absolute);
  return relative && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : absolute;
}
