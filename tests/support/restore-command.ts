import { restoreCommand } from "../../automation/cli/commands/restore";
import type { Command } from "../../automation/cli/command";
import { restoreAws } from "../../automation/day-two/restore-aws";
import type { Inventory } from "../../config/types";

/**
 * `restore` on the real AWS adapter and clock with nothing of the terminal: no Ctrl-C ever arrives and
 * no exit is taken, so a test or a bench runs it in-process on the emulator and reads its exit code.
 */
export function inProcessRestoreCommand(inv: Inventory): Command {
  return restoreCommand({
    loadInventory: async () => inv,
    aws: restoreAws,
    interrupts: { onInterrupt: () => () => {} },
    exit: () => {},
    now: () => new Date(),
  });
}
