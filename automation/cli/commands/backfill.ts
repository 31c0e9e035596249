import type { S3ControlClient } from "@aws-sdk/client-s3-control";
import type { Inventory, SourceAccount } from "../../../config/types";
import { DEFAULT_INVENTORY_PATH } from "../../../infra/contract";
import { AwsClients, awsErrorText, isEnvironmentError, sessionName } from "../../day-two/aws-clients";
import {
  type AccountBackfill,
  backfillExitCode,
  backfillJson,
  backfillRefusals,
  backfillStatus,
  formatBackfillTable,
  startBackfill,
} from "../../day-two/backfill";
import { type CommandArgs, defineCommand, loadSourceAccounts } from "../args";
import type { Command, Io } from "../command";
import { ExitCode } from "../exit-codes";
import { loadInventoryOrReport } from "../inventory-arg";
import { newRunId } from "../../day-two/verify";
import { mapBounded } from "../../driver/concurrency";

/** S3 Control calls per account are few and light. */
const BACKFILL_CONCURRENCY = 8;

export interface BackfillDeps {
  loadInventory(path: string, io: Io): Promise<Inventory | undefined>;
  /** S3 Control in the source account's region, as the account's roleArn. */
  s3Control(env: NodeJS.ProcessEnv, source: SourceAccount, runId: string): S3ControlClient;
  now(): Date;
}

export const defaultBackfillDeps: BackfillDeps = {
  loadInventory: loadInventoryOrReport,
  s3Control(env, source, runId) {
    const clients = new AwsClients(env);
    return clients.s3Control(
      source.region,
      clients.assumeRole(source.roleArn, source.region, sessionName("backfill", runId)),
    );
  },
  now: () => new Date(),
};

const OPTIONS = {
  accounts: { type: "string" },
  status: { type: "boolean" },
  json: { type: "boolean" },
} as const;

const SUMMARY = "Replicate objects that existed before replication (S3 Batch Replication)";

const HELP = `Usage: org-s3-backup backfill --accounts ID,ID [options]
       org-s3-backup backfill --status [--accounts ID,ID] [options]

Replicates the objects live replication never copied: those that existed before the replication rule,
and those whose replication FAILED. Starts one S3 Batch Replication job per account (S3 Control
CreateJob, as the account's roleArn, in its region) over the objects under <accountId>/ whose
replication status is NONE or FAILED. Manifests and completion reports go to the source bucket under
org-s3-backup-batch-replication/. An account whose backfill job is still running gets no second one.

Needs backfill.enabled: true for the account in the inventory, deployed (it creates the role
org-s3-backup-batch-replication that the job runs as).

Options:
  --inventory PATH    Inventory file (default: ${DEFAULT_INVENTORY_PATH})
  --accounts ID,ID    The accounts (required to start jobs; --status defaults to every account
                      with backfill enabled)
  --status            Show each account's newest backfill job (found with ListJobs by its description;
                      nothing is stored locally) instead of starting jobs
  --json              Print the results as JSON on stdout
  -h, --help          This help

Exit codes: 0 jobs started or running / complete without failed tasks, 1 an account failed, has no
job, or its job failed, 2 bad input, 3 no credentials or endpoint unreachable. Details: docs/day-two.md.
`;

export function backfillCommand(deps: BackfillDeps = defaultBackfillDeps): Command {
  return defineCommand({ name: "backfill", summary: SUMMARY, help: HELP, options: OPTIONS }, runBackfill, deps);
}

export const command = backfillCommand();

async function runBackfill(args: CommandArgs<typeof OPTIONS>, io: Io, deps: BackfillDeps): Promise<number> {
  const { values, usage } = args;
  const statusOnly = values.status === true;
  // Starting jobs costs money per object: never for every account by default.
  if (!statusOnly && values.accounts === undefined) return usage("name the accounts to backfill with --accounts ID,ID");

  const selected = await loadSourceAccounts(args, io, deps.loadInventory, {
    accounts: values.accounts,
    centralRefusal: "--accounts: the central account has no source bucket to backfill",
  });
  if (!selected) return ExitCode.BadInput;
  const { inventory } = selected;
  let { sources } = selected;
  if (values.accounts === undefined) sources = sources.filter((source) => source.backfill.enabled);
  const refusal = backfillRefusals(sources);
  if (refusal) return usage(refusal);
  if (sources.length === 0) return usage(`no account has backfill.enabled in ${inventory.sourcePath}`);

  const runId = newRunId(deps.now());
  const results = await mapBounded(sources, BACKFILL_CONCURRENCY, async (source): Promise<AccountBackfill> => {
    try {
      const client = deps.s3Control(io.env, source, runId);
      return statusOnly ? await backfillStatus(client, source) : await startBackfill(client, source, runId);
    } catch (error) {
      return {
        accountId: source.accountId,
        accountName: source.name,
        outcome: "error",
        message: awsErrorText(error),
        environment: isEnvironmentError(error),
      };
    }
  });
  const exitCode = backfillExitCode(results);
  if (values.json)
    io.stdout.write(`${JSON.stringify(backfillJson(results, statusOnly ? "status" : "start", exitCode), null, 2)}\n`);
  else io.stdout.write(formatBackfillTable(results));
  if (exitCode === ExitCode.Environment)
    io.stderr.write("backfill: no AWS credentials, or the endpoint is unreachable (see ERROR rows).\n");
  return exitCode;
}
