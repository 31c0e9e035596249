import { DEFAULT_INVENTORY_PATH } from "../../../infra/contract";
import { type CommandArgs, defineCommand } from "../args";
import type { Command, Io } from "../command";
import { ExitCode } from "../exit-codes";
import { explainAccount, firstBrokenLink, formatExplanation } from "../../review/explain";
import { planStacks } from "../../driver/plan";
import { renderStacks } from "../../review/render";
import { defaultRenderDeps, type RenderDeps } from "./render";

const OPTIONS = { account: { type: "string" }, json: { type: "boolean" } } as const;

const SUMMARY = "Show the chain of rights one account's replication needs, link by link";

const HELP = `Usage: org-s3-backup explain --account ID [--inventory PATH] [--json]

For one source account, prints the chain of rights replication rests on, from the rendered policies
(see \`render\`; no credentials needed):
  role trust -> role policy -> source key policy -> central bucket policy -> central key policy
Each link shows what it must grant, the policy it was read from and its relevant statements, and says
which needed actions it does not grant. The first such link is where a failed replication likely breaks.

Options:
  --account ID        The source account (12 digits)
  --inventory PATH    Inventory file (default: ${DEFAULT_INVENTORY_PATH})
  --json              Print {accountId, links, firstBroken} as JSON on stdout
  -h, --help          This help

Exit codes: 0 explained (even if a link is broken: read the output), 2 bad input or unknown account.
Details: docs/review.md.
`;

export function explainCommand(deps: RenderDeps = defaultRenderDeps): Command {
  return defineCommand({ name: "explain", summary: SUMMARY, help: HELP, options: OPTIONS }, runExplain, deps);
}

export const command = explainCommand();

async function runExplain(args: CommandArgs<typeof OPTIONS>, io: Io, deps: RenderDeps): Promise<number> {
  const { values, usage } = args;
  if (values.account === undefined) return usage("--account ID is required");
  const inventory = await deps.loadInventory(args.inventoryPath, io);
  if (!inventory) return ExitCode.BadInput;
  const plans = planStacks(inventory);
  const target = plans.find((plan) => plan.kind === "source" && plan.accountId === values.account);
  if (!target) {
    const known = plans.filter((plan) => plan.kind === "source").map((plan) => plan.accountId);
    return usage(
      `account ${values.account} is not an enabled source account of ${inventory.sourcePath}; known: ${known.join(", ") || "(none)"}`,
    );
  }
  const rendered = await renderStacks(inventory, [plans[0], target], deps.program());
  const links = explainAccount(rendered, target.accountId);
  if (values.json) {
    const document = { accountId: target.accountId, links, firstBroken: firstBrokenLink(links)?.id ?? null };
    io.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  } else io.stdout.write(formatExplanation(target.accountId, links));
  return ExitCode.Ok;
}
