import { adoptionDetail, adoptionSummary } from "../../../config/adoption";
import type { Inventory } from "../../../config/types";
import { DEFAULT_INVENTORY_PATH } from "../../../infra/contract";
import { type CommandArgs, defineCommand } from "../args";
import type { Io } from "../command";
import { ExitCode } from "../exit-codes";
import { displayPath, loadInventoryOrReport } from "../inventory-arg";

const OPTIONS = { json: { type: "boolean" } } as const;

const SUMMARY = "Check the inventory (offline): every problem with its line and column";

const HELP = `Usage: org-s3-backup validate [--inventory PATH] [--json]

Checks the inventory offline (no credentials, no network): YAML syntax, every key and value, and the
rules across them (unique account ids and bucket names, role ARNs in the right account, Replication
Time Control with metrics, ...). Every problem is printed as FILE:LINE:COL: message on stderr; a valid
inventory prints one summary line on stdout, then, for each adopted bucket, its key layout (only objects
under <accountId>/ are backed up) and what the stack manages on it.

Options:
  --inventory PATH   Inventory file (default: ${DEFAULT_INVENTORY_PATH})
  --json             Print the result as JSON on stdout: the counts when valid; {ok: false, problems}
                     when not (the problems are still printed on stderr)
  -h, --help         This help

Exit codes: 0 valid, 2 invalid or unreadable. Format reference: docs/inventory.md.
`;

export const command = defineCommand({ name: "validate", summary: SUMMARY, help: HELP, options: OPTIONS }, runValidate);

async function runValidate({ values, inventoryPath }: CommandArgs<typeof OPTIONS>, io: Io): Promise<number> {
  const inventory = await loadInventoryOrReport(inventoryPath, io);
  if (!inventory) return ExitCode.BadInput;
  const enabled = inventory.sources.filter((source) => source.enabled).length;
  const disabled = inventory.sources.length - enabled;
  const { central } = inventory;
  const shown = displayPath(inventoryPath, io.cwd);
  if (values.json) {
    io.stdout.write(`${JSON.stringify(validJson(inventory, shown), null, 2)}\n`);
    return ExitCode.Ok;
  }
  io.stdout.write(
    `${shown}: valid — organization ${inventory.organizationId}, central ${central.accountId} (${central.region}), ` +
      `${enabled} source account${enabled === 1 ? "" : "s"} enabled, ${disabled} disabled\n`,
  );
  io.stdout.write(adoptedBucketLines(inventory));
  return ExitCode.Ok;
}

/** Two lines per enabled adopted bucket: its key layout, then what the stack manages on it. */
export function adoptedBucketLines(inventory: Inventory): string {
  return inventory.sources
    .filter((source) => source.enabled)
    .flatMap((source) => {
      const summary = adoptionSummary(source);
      if (!summary) return [];
      return [
        `  ${source.accountId} (${source.name}) adopts ${summary.bucket}: ${summary.note}\n`,
        `    ${adoptionDetail(summary)}\n`,
      ];
    })
    .join("");
}

/** `validate --json` for a valid inventory: what the summary line says, and each source account. */
export function validJson(inventory: Inventory, shownPath: string): object {
  const enabled = inventory.sources.filter((source) => source.enabled).length;
  return {
    ok: true,
    inventory: shownPath,
    organizationId: inventory.organizationId,
    central: { accountId: inventory.central.accountId, region: inventory.central.region },
    enabled,
    disabled: inventory.sources.length - enabled,
    sources: inventory.sources.map((source) => ({
      accountId: source.accountId,
      name: source.name,
      region: source.region,
      enabled: source.enabled,
      bucket: source.bucket.name,
      adopted: source.bucket.existing,
    })),
    ignored: inventory.ignored ?? [],
  };
}
