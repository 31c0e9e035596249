import * as path from "node:path";
import { formatProblem, loadInventory } from "../../config/load";
import type { Inventory } from "../../config/types";
import { DEFAULT_INVENTORY_PATH } from "../../infra/contract";

/** The inventory shipped in the repository (config/accounts.yaml), loaded as every command loads it. */
export async function bundledInventory(): Promise<Inventory> {
  const file = path.resolve(__dirname, "../..", DEFAULT_INVENTORY_PATH);
  const result = await loadInventory(file);
  if (!result.ok)
    throw new Error(`the bundled inventory is invalid:\n${result.problems.map(formatProblem).join("\n")}`);
  return result.inventory;
}
