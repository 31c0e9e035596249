import { promises as fs } from "node:fs";
import type { OrganizationsClient } from "@aws-sdk/client-organizations";
import { formatProblems, parseInventory } from "../../../config/load";
import type { Inventory } from "../../../config/types";
import { DEFAULT_INVENTORY_PATH } from "../../../infra/contract";
import {
  AwsClients,
  awsErrorText,
  isEnvironmentError,
  ORGANIZATIONS_REGION,
  sessionName,
} from "../../day-two/aws-clients";
import { type CommandArgs, defineCommand } from "../args";
import type { Command, Io } from "../command";
import {
  addAccountsToYaml,
  compareWithOrganization,
  discoverExitCode,
  formatDrift,
  isParentId,
  listAccountsBelow,
  listOrganizationAccounts,
  type OrgAccount,
} from "../../day-two/discover";
import { ExitCode } from "../exit-codes";
import { loadInventoryOrReport } from "../inventory-arg";

type Validation = { ok: true } | { ok: false; problems: string[] };

export interface DiscoverDeps {
  loadInventory(path: string, io: Io): Promise<Inventory | undefined>;
  /** Checks an inventory text as `load` would (config/load.ts parseInventory). */
  validate(text: string, file: string): Validation;
  /** Organizations as the ambient credentials, or as `roleArn` when given. */
  organizations(env: NodeJS.ProcessEnv, roleArn: string | undefined): OrganizationsClient;
  readFile(file: string): Promise<string>;
  writeFile(file: string, text: string): Promise<void>;
  now(): Date;
}

export const defaultDiscoverDeps: DiscoverDeps = {
  loadInventory: loadInventoryOrReport,
  validate(text, file) {
    const result = parseInventory(text, file);
    return result.ok ? { ok: true } : { ok: false, problems: formatProblems(result.problems) };
  },
  organizations(env, roleArn) {
    const clients = new AwsClients(env);
    const credentials = roleArn
      ? clients.assumeRole(roleArn, ORGANIZATIONS_REGION, sessionName("discover", String(Date.now())))
      : clients.ambient();
    return clients.organizations(credentials);
  },
  readFile: (file) => fs.readFile(file, "utf8"),
  async writeFile(file, text) {
    // Write-then-rename: an interrupted write never leaves half an inventory.
    const temporary = `${file}.discover-${process.pid}.tmp`;
    await fs.writeFile(temporary, text, "utf8");
    await fs.rename(temporary, file);
  },
  now: () => new Date(),
};

const OPTIONS = {
  ou: { type: "string", multiple: true },
  "role-arn": { type: "string" },
  write: { type: "boolean" },
  json: { type: "boolean" },
} as const;

const SUMMARY = "Compare the organization's accounts with the inventory (and add the missing ones)";

const HELP = `Usage: org-s3-backup discover [options]

Compares the organization's accounts with the inventory: prints the ACTIVE accounts the inventory
lacks, and the inventory's accounts that left the organization or are suspended / being closed.
The central account is never added.

Options:
  --inventory PATH   Inventory file (default: ${DEFAULT_INVENTORY_PATH})
  --ou ID            Only look for missing accounts below this OU (or root r-...), recursively;
                     repeatable. Accounts that left are judged against the whole organization.
  --role-arn ARN     Assume this role first (default: call Organizations with your own credentials)
  --write            Append the missing accounts (id and name) to the inventory's accounts list,
                     keeping its comments and layout; refused if the result would not validate
  --json             Print the comparison as JSON on stdout
  -h, --help         This help

Organizations answers only in the management account or a delegated administrator account:
run with credentials there, or name a role there with --role-arn (organizations:ListAccounts,
ListAccountsForParent, ListOrganizationalUnitsForParent).
Exit codes: 0 in step (or every missing account written), 1 accounts missing or gone,
2 bad input, 3 no credentials, endpoint unreachable. Details: docs/day-two.md.
`;

export function discoverCommand(deps: DiscoverDeps = defaultDiscoverDeps): Command {
  return defineCommand({ name: "discover", summary: SUMMARY, help: HELP, options: OPTIONS }, runDiscover, deps);
}

export const command = discoverCommand();

async function runDiscover(args: CommandArgs<typeof OPTIONS>, io: Io, deps: DiscoverDeps): Promise<number> {
  const { values, usage, inventoryPath } = args;
  const ous = values.ou ?? [];
  const badOu = ous.find((ou) => !isParentId(ou));
  if (badOu !== undefined)
    return usage(`--ou: '${badOu}' is not an organizational unit id (ou-xxxx-xxxxxxxx) or root id (r-xxxx)`);
  const roleArn = values["role-arn"];
  if (roleArn !== undefined && !/^arn:[\w-]+:iam::\d{12}:role\/.+$/.test(roleArn))
    return usage(`--role-arn: '${roleArn}' is not an IAM role ARN`);

  const inventory = await deps.loadInventory(inventoryPath, io);
  if (!inventory) return ExitCode.BadInput;

  let organization: OrgAccount[];
  let inScope: OrgAccount[];
  try {
    const client = deps.organizations(io.env, roleArn);
    organization = await listOrganizationAccounts(client);
    inScope = ous.length > 0 ? await listAccountsBelow(client, ous) : organization;
  } catch (error) {
    io.stderr.write(`org-s3-backup discover: could not list the organization's accounts: ${awsErrorText(error)}\n`);
    return isEnvironmentError(error) ? ExitCode.Environment : ExitCode.Failures;
  }
  const drift = compareWithOrganization(inventory, organization, inScope);

  let written = false;
  if (values.write && drift.missing.length > 0) {
    const original = await deps.readFile(inventoryPath);
    const updated = addAccountsToYaml(
      original,
      drift.missing,
      `added by org-s3-backup discover on ${deps.now().toISOString().slice(0, 10)}`,
    );
    const validation = deps.validate(updated, inventoryPath);
    if (!validation.ok) {
      io.stderr.write(
        "org-s3-backup discover: not written: the inventory would not validate with the new accounts:\n" +
          `${validation.problems.map((p) => `  ${p}`).join("\n")}\n` +
          "Add what they need (for example defaults for their bucket or role) and run again.\n",
      );
      return ExitCode.BadInput;
    }
    await deps.writeFile(inventoryPath, updated);
    written = true;
  }

  const exitCode = discoverExitCode(drift, written);
  if (values.json) {
    const document = {
      operation: "discover",
      exitCode,
      inventory: inventoryPath,
      written,
      organizationAccounts: organization.length,
      ...drift,
    };
    io.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  } else io.stdout.write(formatDrift(drift, written, inventoryPath));
  return exitCode;
}
