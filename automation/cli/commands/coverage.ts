import type { Inventory } from "../../../config/types";
import { DEFAULT_INVENTORY_PATH } from "../../../infra/contract";
import { AwsClients } from "../../day-two/aws-clients";
import { type CommandArgs, defineCommand, loadSourceAccounts, optionOr } from "../args";
import type { Command, Io } from "../command";
import { parseConcurrency } from "../../driver/concurrency";
import { ExitCode } from "../exit-codes";
import { loadInventoryOrReport } from "../inventory-arg";
import {
  checkCoverage,
  type CoverageStore,
  coverageTargets,
  DEFAULT_PREFIXES_COUNTED,
  DEFAULT_SAMPLE,
  DEFAULT_TOP_LEVEL_PAGES,
} from "../../day-two/coverage";
import { awsCoverageStore } from "../../day-two/coverage-aws";
import { coverageExitCode, coverageJson, formatCoverageTable } from "../../day-two/coverage-format";
import { newRunId } from "../../day-two/verify";

/** Listing calls are small HTTP requests, as verify's are. */
export const DEFAULT_COVERAGE_CONCURRENCY = 16;

export interface CoverageDeps {
  loadInventory(path: string, io: Io): Promise<Inventory | undefined>;
  /** The S3 and KMS calls as each account's role (the environment may point them at an emulator). */
  store(env: NodeJS.ProcessEnv, runId: string): CoverageStore;
  now(): Date;
}

export const defaultCoverageDeps: CoverageDeps = {
  loadInventory: loadInventoryOrReport,
  store: (env, runId) => awsCoverageStore(new AwsClients(env), runId),
  now: () => new Date(),
};

const OPTIONS = {
  accounts: { type: "string" },
  deep: { type: "boolean" },
  sample: { type: "string" },
  concurrency: { type: "string" },
  json: { type: "boolean" },
} as const;

const SUMMARY = "Count what each source bucket holds outside its replicated <accountId>/ prefix";

const HELP = `Usage: org-s3-backup coverage [options]

Says what part of each source bucket is backed up. S3 replication keeps key names and the rule
replicates only <accountId>/, so every object outside that prefix is NOT backed up (verify's canary
is under the prefix and cannot see this). For each selected account, as its roleArn:

  - lists the bucket's top-level prefixes (ListObjectsV2 with the delimiter /) and counts the objects
    and bytes outside <accountId>/: one page (1,000 objects) for each of the first
    ${DEFAULT_PREFIXES_COUNTED} other prefixes and at most ${DEFAULT_TOP_LEVEL_PAGES} top-level pages, so the counts are lower bounds
    (marked +) on a big bucket; --deep lists everything;
  - reads the KMS keys of a sample of objects under the prefix and outside it (HeadObject) and the
    bucket's default encryption, against the keys the replication role may decrypt (the account key,
    found by its alias, and an adopted bucket's additionalKmsKeyArns): an object under the prefix with
    another key FAILS replication.

Each account is reported 'covered' or 'NOT PROTECTED: N objects (B bytes) outside <accountId>/'.

Options:
  --inventory PATH    Inventory file (default: ${DEFAULT_INVENTORY_PATH})
  --accounts ID,ID    Only these source accounts (default: every enabled one)
  --deep              Count every object outside the prefix (one call per 1,000 objects)
  --sample N          Objects whose key is checked, under the prefix and outside it each
                      (default: ${DEFAULT_SAMPLE}; 0 skips the KMS check)
  --concurrency N     Accounts checked at once (default: ${DEFAULT_COVERAGE_CONCURRENCY})
  --json              Print the results as JSON on stdout
  -h, --help          This help

Credentials: the caller's, allowed to assume every account's roleArn, which needs s3:ListBucket,
s3:GetObject (HeadObject), s3:GetEncryptionConfiguration and kms:DescribeKey. Read-only.
AWS_ENDPOINT_URL points the calls at an emulator.
Exit codes: 0 every account covered, 1 an account has objects outside its prefix, a key the role
cannot read, or could not be checked, 2 bad input, 3 no credentials or endpoint unreachable.
Details: docs/day-two.md.
`;

export function coverageCommand(deps: CoverageDeps = defaultCoverageDeps): Command {
  return defineCommand({ name: "coverage", summary: SUMMARY, help: HELP, options: OPTIONS }, runCoverage, deps);
}

export const command = coverageCommand();

async function runCoverage(args: CommandArgs<typeof OPTIONS>, io: Io, deps: CoverageDeps): Promise<number> {
  const { values, usage } = args;
  const concurrency = optionOr(values.concurrency, DEFAULT_COVERAGE_CONCURRENCY, parseConcurrency);
  if (!concurrency.ok) return usage(concurrency.message);
  const sample = values.sample === undefined ? DEFAULT_SAMPLE : Number(values.sample);
  if (!/^\d+$/.test(values.sample ?? "0") || sample > 1000)
    return usage(`--sample must be a whole number from 0 to 1000, got '${values.sample}'`);

  const selected = await loadSourceAccounts(args, io, deps.loadInventory, {
    accounts: values.accounts,
    centralRefusal: "--accounts: the central account has no source bucket to check; name source accounts",
  });
  if (!selected) return ExitCode.BadInput;
  const { inventory, sources } = selected;
  if (sources.length === 0) return usage(`no enabled source account to check in ${inventory.sourcePath}`);

  const deep = values.deep === true;
  const targets = coverageTargets(sources);
  if (!values.json) io.stderr.write(`coverage: ${targets.length} account(s)${deep ? ", deep" : ""}\n`);
  const results = await checkCoverage(targets, deps.store(io.env, newRunId(deps.now())), {
    deep,
    sample,
    concurrency: concurrency.value,
  });
  const exitCode = coverageExitCode(results);
  if (values.json) io.stdout.write(`${JSON.stringify(coverageJson(results, exitCode, deep), null, 2)}\n`);
  else {
    io.stdout.write(formatCoverageTable(results));
    if (exitCode === ExitCode.Environment)
      io.stderr.write("coverage: some checks could not run: no AWS credentials, or the endpoint is unreachable.\n");
  }
  return exitCode;
}
