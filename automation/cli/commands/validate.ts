import { DEFAULT_INVENTORY_PATH } from "../../../infra/contract";
import type { Command, Io } from "../command";
import { parseArgsOrReport } from "../args";
import { ExitCode } from "../exit-codes";
import { displayPath, loadInventoryOrReport } from "../inventory-arg";

const HELP = `Usage: org-s3-backup validate [--inventory PATH]

Checks the inventory offline (no credentials, no network): YAML syntax, every key and value, and the
rules across them (unique account ids and bucket names, role ARNs in the right account, Replication
Time Control with metrics, ...). Every problem is printed as FILE:LINE:COL: message on stderr; a valid
inventory prints one summary line on stdout.

Options:
  --inventory PATH   Inventory file (default: ${DEFAULT_INVENTORY_PATH})
  -h, --help         This help

Exit codes: 0 valid, 2 invalid or unreadable. Format reference: docs/inventory.md.
`;

export const command: Command = {
  name: "validate",
  summary: "Check the inventory (offline): every problem with its line and column",
  help: HELP,
  run: runValidate,
};

async function runValidate(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgsOrReport("validate", argv, io, {});
  if (!args) return ExitCode.BadInput;
  const inventory = await loadInventoryOrReport(args.inventoryPath, io);
  if (!inventory) return ExitCode.BadInput;
  const enabled = inventory.sources.filter((source) => source.enabled).length;
  const disabled = inventory.sources.length - enabled;
  const { central } = inventory;
  io.stdout.write(
    `${displayPath(args.inventoryPath, io.cwd)}: valid — organization ${inventory.organizationId}, central ${central.accountId} (${central.region}), ` +
      `${enabled} source account${enabled === 1 ? "" : "s"} enabled, ${disabled} disabled\n`,
  );
  return ExitCode.Ok;
}
