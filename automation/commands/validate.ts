import * as path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_INVENTORY_PATH } from "../../infra/contract";
import type { Command, Io } from "../command";
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
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], strict: true, allowPositionals: false, options: { inventory: { type: "string" } } }));
  } catch (error) {
    io.stderr.write(`org-s3-backup validate: ${(error as Error).message}\nRun \`org-s3-backup validate --help\` for the options.\n`);
    return ExitCode.BadInput;
  }
  const file = path.resolve(io.cwd, values.inventory ?? DEFAULT_INVENTORY_PATH);
  const inventory = await loadInventoryOrReport(file, io);
  if (!inventory) return ExitCode.BadInput;
  const enabled = inventory.sources.filter((source) => source.enabled).length;
  const disabled = inventory.sources.length - enabled;
  const { central } = inventory;
  io.stdout.write(
    `${displayPath(file, io.cwd)}: valid — organization ${inventory.organizationId}, central ${central.accountId} (${central.region}), ` +
      `${enabled} source account${enabled === 1 ? "" : "s"} enabled, ${disabled} disabled\n`,
  );
  return ExitCode.Ok;
}
