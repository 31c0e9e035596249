import type { FailureTolerance } from "../../automation/driver/concurrency";
import { planStacks } from "../../automation/driver/plan";
import type { Operation, RunRequest } from "../../automation/driver/run";
import { type SelectionFlags, selectStacks } from "../../automation/driver/selection";
import type { MemoryEngine } from "../../automation/engine/memory";
import type { Inventory } from "../../config/types";

export const NO_TOLERANCE: FailureTolerance = { kind: "count", count: 0 };

/** A RunRequest as the deploy command builds it: the selection from `flags`, the engine's existing stacks. */
export function runRequest(
  inventory: Inventory,
  engine: MemoryEngine,
  operation: Operation,
  overrides: Partial<RunRequest> & { flags?: SelectionFlags } = {},
): RunRequest {
  const selected = selectStacks(inventory, planStacks(inventory), overrides.flags ?? {});
  if (!selected.ok) throw new Error(selected.message);
  return {
    operation,
    inventory,
    inventoryPath: "/repo/config/accounts.yaml",
    selection: selected.selection,
    existingStacks: [...engine.existing],
    concurrency: 4,
    tolerance: NO_TOLERANCE,
    ...overrides,
  };
}
