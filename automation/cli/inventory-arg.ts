import * as path from "node:path";
import { formatProblems, loadInventory, SHOWN_PROBLEMS } from "../../config/load";
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
  const problems = result.problems.map((problem) => ({ ...problem, file: shown }));
  for (const line of formatProblems(problems)) io.stderr.write(`${line}\n`);
  const count = problems.length;
  // A file that could not be read has one problem and no lines: the count would only repeat it.
  if (problems.every((problem) => problem.line > 0))
    io.stderr.write(
      `${shown}: invalid — ${count} problem${count === 1 ? "" : "s"}${count > SHOWN_PROBLEMS ? ` (the first ${SHOWN_PROBLEMS} shown)` : ""}\n`,
    );
  return undefined;
}

/** `config/accounts.yaml` rather than an absolute path, when the file is under the working directory. */
export function displayPath(absolute: string, cwd: string): string {
  const relative = path.relative(cwd, absolute);
  return relative && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : absolute;
}
