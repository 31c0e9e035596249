import type { Inventory } from "../../../config/types";
import { DEFAULT_INVENTORY_PATH } from "../../../infra/contract";
import {
  DEPLOYER_ACCOUNTS,
  type DeployerAccount,
  deployerPolicy,
  deployerTarget,
  IAM_POLICY_LIMITS,
  permissionsFor,
  policyCharacters,
} from "../../../infra/policies/deployer";
import { type CommandArgs, defineCommand } from "../args";
import type { Command, Io } from "../command";
import { ExitCode } from "../exit-codes";
import { loadInventoryOrReport } from "../inventory-arg";

const DEPLOYER_OPTIONS = {
  account: { type: "string" },
  "day-two": { type: "boolean" },
  table: { type: "boolean" },
  json: { type: "boolean" },
} as const;

const SUMMARY = "Print the least-privilege IAM policy of the per-account deploy role";

const HELP = `Usage: org-s3-backup iam deployer --account central|source [options]

Prints the IAM policy of the deploy role: the role the driver's Pulumi provider assumes in each account
(inventory roleName / roleArn). Least privilege for what the program manages there: bucket settings,
KMS keys and aliases, the replication and batch roles (iam:PassRole only of the replication role, only
to S3), replication alarms (source), alarm topics (central). Deleting buckets, keys, bucket policies or
objects, and assuming roles, are denied explicitly. Offline: reads the inventory only.

  org-s3-backup iam deployer --account source > deployer-source.json
  aws iam put-role-policy --role-name org-s3-backup-deployer --policy-name org-s3-backup-deploy \\
    --policy-document file://deployer-source.json

The source policy is one document for every source account (roll it out with a StackSet: docs/deploying.md).

Options:
  --account central|source   Which account's deploy role (required)
  --day-two                  Add what verify and backfill do with the same role (the inventory names one
                             role per account: add it when CI or people run them with that role)
  --inventory PATH           Inventory file (default: ${DEFAULT_INVENTORY_PATH}): bucket names, aliases, partition
  --table                    Print the table instead: each resource type (and day-two command) -> actions
  --json                     One JSON object: the policy, its size against IAM's limits, the table
  -h, --help                 This help

The policy goes to stdout; a one-line summary (statements, characters, limits) to stderr.
Exit codes: 0 printed, 2 bad input. Details: docs/deploying.md.
`;

type LoadInventory = (file: string, io: Io) => Promise<Inventory | undefined>;

export function iamCommand(loadInventory: LoadInventory = loadInventoryOrReport): Command {
  // One subcommand today; each parses its own options and names itself in its usage errors.
  const subcommands: Record<string, Command> = {
    deployer: defineCommand(
      { name: "iam deployer", summary: SUMMARY, help: HELP, options: DEPLOYER_OPTIONS },
      runDeployer,
      loadInventory,
    ),
  };
  return {
    name: "iam",
    summary: SUMMARY,
    help: HELP,
    async run([sub, ...rest], io) {
      if (sub !== undefined && Object.hasOwn(subcommands, sub)) return subcommands[sub].run(rest, io);
      const problem = sub === undefined ? "a subcommand is required" : `unknown subcommand '${sub}'`;
      io.stderr.write(
        `org-s3-backup iam: ${problem}; subcommands: ${Object.keys(subcommands).join(", ")}\n` +
          "Run `org-s3-backup iam --help` for the options.\n",
      );
      return ExitCode.BadInput;
    },
  };
}

export const command = iamCommand();

async function runDeployer(
  args: CommandArgs<typeof DEPLOYER_OPTIONS>,
  io: Io,
  loadInventory: LoadInventory,
): Promise<number> {
  const { values, usage } = args;
  if (values.account === undefined) return usage(`--account is required: ${DEPLOYER_ACCOUNTS.join(" or ")}`);
  if (!DEPLOYER_ACCOUNTS.includes(values.account as DeployerAccount)) {
    return usage(`--account: '${values.account}' is not ${DEPLOYER_ACCOUNTS.join(" or ")}`);
  }
  if (values.table && values.json) return usage("--table and --json exclude each other");
  const account = values.account as DeployerAccount;
  const inventory = await loadInventory(args.inventoryPath, io);
  if (!inventory) return ExitCode.BadInput;

  const options = { dayTwo: values["day-two"] === true };
  const target = deployerTarget(inventory, account);
  const policy = deployerPolicy(target, options);
  const characters = policyCharacters(policy);
  const table = permissionsFor(account, options).map((entry) => ({
    type: entry.type,
    actions: [...new Set(entry.grants.flatMap((grant) => grant.actions))],
    calls: entry.calls,
  }));

  if (values.json) {
    io.stdout.write(
      `${JSON.stringify({ account, dayTwo: options.dayTwo, characters, limits: IAM_POLICY_LIMITS, target, policy, permissions: table }, null, 2)}\n`,
    );
  } else if (values.table) {
    io.stdout.write(formatTable(account, table));
  } else {
    io.stdout.write(`${JSON.stringify(policy, null, 2)}\n`);
  }
  io.stderr.write(
    `${account} deploy policy${options.dayTwo ? " with day-two commands" : ""}: ${policy.Statement.length} statements, ` +
      `${characters.toLocaleString("en-US")} characters (no white space) of IAM's ` +
      `${IAM_POLICY_LIMITS.inlineRoleAggregate.toLocaleString("en-US")} for a role's inline policies ` +
      `(${IAM_POLICY_LIMITS.managed.toLocaleString("en-US")} as a managed policy); ` +
      `${table.filter((row) => !row.type.startsWith("org-s3-backup ")).length} resource types\n`,
  );
  if (target.bucketsWidenedBecause) {
    io.stderr.write(`note: buckets are not listed by name: ${target.bucketsWidenedBecause}\n`);
  }
  return ExitCode.Ok;
}

function formatTable(account: DeployerAccount, table: { type: string; actions: string[]; calls: string }[]): string {
  const lines = [`What the ${account} account role does, and the actions it needs for it:`];
  for (const row of table) {
    lines.push("", row.type, `  actions: ${row.actions.join(", ")}`, `  calls:   ${row.calls}`);
  }
  return `${lines.join("\n")}\n`;
}
