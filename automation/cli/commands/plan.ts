import { type AdoptionSummary, adoptionDetail, adoptionSummary } from "../../../config/adoption";
import type { Inventory } from "../../../config/types";
import { DEFAULT_INVENTORY_PATH } from "../../../infra/contract";
import { type CommandArgs, defineCommand } from "../args";
import type { Io } from "../command";
import { ExitCode } from "../exit-codes";
import { displayPath, loadInventoryOrReport } from "../inventory-arg";
import { planStacks, type StackPlan } from "../../driver/plan";

const OPTIONS = { json: { type: "boolean" } } as const;

const SUMMARY = "List the stacks in deployment order, with account, region and role (offline)";

const HELP = `Usage: org-s3-backup plan [--inventory PATH] [--json]

Lists the stacks a deployment runs, in order, from the inventory alone (offline, no credentials):
the central stack first, then one stack per enabled source account in file order. For each: the
account, its region, the role the deployment assumes there, and the stacks it depends on. An adopted
bucket's row notes its key layout (only objects under <accountId>/ are backed up); what the stack
manages on each adopted bucket is listed after the table. Disabled accounts (enabled: false) get no
stack and are listed after the table.

Options:
  --inventory PATH   Inventory file (default: ${DEFAULT_INVENTORY_PATH})
  --json             Print {inventory, organizationId, stacks, adopted, disabled} as JSON instead of a table
  -h, --help         This help

Exit codes: 0 planned, 2 invalid inventory or usage. Format reference: docs/inventory.md.
`;

export const command = defineCommand({ name: "plan", summary: SUMMARY, help: HELP, options: OPTIONS }, runPlan);

async function runPlan({ values, inventoryPath }: CommandArgs<typeof OPTIONS>, io: Io): Promise<number> {
  const inventory = await loadInventoryOrReport(inventoryPath, io);
  if (!inventory) return ExitCode.BadInput;
  const stacks = planStacks(inventory);
  const disabled = inventory.sources
    .filter((source) => !source.enabled)
    .map((source) => ({ accountId: source.accountId, name: source.name }));
  if (values.json) {
    const document = {
      inventory: displayPath(inventoryPath, io.cwd),
      organizationId: inventory.organizationId,
      stacks,
      adopted: adoptedStacks(stacks, inventory),
      disabled,
    };
    io.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  } else {
    io.stdout.write(formatPlanTable(stacks, inventory));
  }
  return ExitCode.Ok;
}

/** The plan as an aligned text table, followed by the disabled accounts. */
export function formatPlanTable(stacks: readonly StackPlan[], inventory: Inventory): string {
  const adopted = new Map(adoptedStacks(stacks, inventory).map((entry) => [entry.stack, entry]));
  const header = ["#", "STACK", "ACCOUNT", "NAME", "REGION", "ROLE", "DEPENDS ON", "NOTE"];
  const rows = stacks.map((stack, index) => [
    String(index + 1),
    stack.name,
    stack.accountId,
    stack.accountName,
    stack.region,
    stack.roleArn,
    stack.dependsOn.join(",") || "-",
    adopted.get(stack.name)?.note ?? "",
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]))
      .join("  ")
      .trimEnd();
  const lines = [line(header), ...rows.map(line)];
  const sources = stacks.length - 1;
  lines.push(
    "",
    `${stacks.length} stack${stacks.length === 1 ? "" : "s"}: central and ${sources} source account${sources === 1 ? "" : "s"}.`,
  );
  for (const entry of adopted.values()) {
    lines.push(`Adopted by ${entry.stack}: ${entry.bucket} — ${adoptionDetail(entry)}.`);
  }
  const disabled = inventory.sources.filter((source) => !source.enabled);
  if (disabled.length > 0) {
    lines.push(`Disabled (no stack): ${disabled.map((source) => `${source.accountId} (${source.name})`).join(", ")}.`);
  }
  return `${lines.join("\n")}\n`;
}

/** The planned source stacks whose bucket is adopted, with what the inventory says about it. */
export function adoptedStacks(
  stacks: readonly StackPlan[],
  inventory: Inventory,
): (AdoptionSummary & { readonly stack: string; readonly accountId: string })[] {
  return stacks.flatMap((stack) => {
    const source = stack.kind === "source" ? inventory.sources.find((s) => s.accountId === stack.accountId) : undefined;
    const summary = source && adoptionSummary(source);
    return summary ? [{ stack: stack.name, accountId: stack.accountId, ...summary }] : [];
  });
}
