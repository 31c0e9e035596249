import type { Inventory } from "../../../config/types";
import { DEFAULT_INVENTORY_PATH } from "../../../infra/contract";
import { AwsClients } from "../../day-two/aws-clients";
import { type CommandArgs, defineCommand, loadSourceAccounts, optionOr } from "../args";
import type { Command, Io } from "../command";
import { parseConcurrency } from "../../driver/concurrency";
import { parseShard } from "../../driver/shard";
import { ExitCode } from "../exit-codes";
import { type Interrupts, interruptName, terminationInterrupts } from "../interrupts";
import { loadInventoryOrReport } from "../inventory-arg";
import {
  CANARY_FOLDER,
  canaryTargets,
  type Clock,
  newRunId,
  realClock,
  verifyAll,
  type VerifyAws,
} from "../../day-two/verify";
import { awsVerifyCalls } from "../../day-two/verify-aws";
import { awsPreflightCalls, type PreflightResult, preflight } from "../../day-two/verify-preflight";
import { formatVerifyTable, parseTimeout, verifyExitCode, verifyJson } from "../../day-two/verify-format";

/** Canary checks are small HTTP calls, not Pulumi processes: more of them fit than stacks. */
export const DEFAULT_VERIFY_CONCURRENCY = 16;
export const DEFAULT_VERIFY_TIMEOUT = "15m";

export interface VerifyDeps {
  loadInventory(path: string, io: Io): Promise<Inventory | undefined>;
  /** The S3 and CloudWatch calls, as the account and central roles (the environment may point them at an emulator). */
  aws(env: NodeJS.ProcessEnv, runId: string): VerifyAws;
  readonly clock: Clock;
  readonly interrupts: Interrupts;
  /** Leaves the process at once (second Ctrl-C). */
  exit(code: number): void;
  now(): Date;
  /**
   * The failures every account would share (credentials, endpoint, region, the central role), checked
   * once before any canary; absent = not checked (tests that stub the AWS calls).
   */
  preflight?(
    env: NodeJS.ProcessEnv,
    central: { region: string; roleArn: string },
    runId: string,
  ): Promise<PreflightResult>;
}

export const defaultVerifyDeps: VerifyDeps = {
  loadInventory: loadInventoryOrReport,
  aws: (env, runId) => awsVerifyCalls(new AwsClients(env), runId),
  clock: realClock,
  interrupts: terminationInterrupts,
  exit: (code) => process.exit(code),
  now: () => new Date(),
  preflight: (env, central, runId) => preflight(awsPreflightCalls(new AwsClients(env), runId), central),
};

const OPTIONS = {
  accounts: { type: "string" },
  shard: { type: "string" },
  timeout: { type: "string" },
  concurrency: { type: "string" },
  cleanup: { type: "boolean" },
  restore: { type: "boolean" },
  json: { type: "boolean" },
} as const;

const SUMMARY = "Prove replication works with two canary objects per account (with and without an S3 Bucket Key)";

const HELP = `Usage: org-s3-backup verify [options]

Proves that replication works: puts two small canary objects under
<accountId>/org-s3-backup-canary/ in each selected account's source bucket (as the account's
roleArn), SSE-KMS with the account's key: <runId>.txt with an S3 Bucket Key and
<runId>-no-bucket-key.txt without one. They take the two KMS paths S3 replicates (encryption context
= the bucket ARN, or the object ARN) and are reported separately (BUCKET KEY, NO BUCKET KEY). Then it
polls the central bucket for the replicas (as the central roleArn) until they appear, S3 marks a
canary FAILED, or the timeout passes. Canaries are removed from the source buckets afterwards;
central copies stay as evidence unless --cleanup.

For each monitored account it then reads the replication alarms (CloudWatch DescribeAlarms, in the
account's region, as its roleArn). The ALARMS column says ok, - (not monitored), or the problems:
an alarm missing (monitoring not deployed) or in ALARM (replication failed or fell behind recently).
INSUFFICIENT_DATA is normal: S3 publishes the metrics only while it replicates.

Before any canary, one check of what every account shares: your credentials (STS GetCallerIdentity
in the central region) and the central roleArn (AssumeRole). When it fails, verify says so in one line
and stops: exit 3 for missing or refused credentials and an endpoint that does not answer, 1 for a
central role you cannot assume.

Ctrl-C stops polling, removes the canaries already placed, prints the results (pending accounts
interrupted) and exits 130; a second Ctrl-C exits at once and may leave canaries behind.

Options:
  --inventory PATH    Inventory file (default: ${DEFAULT_INVENTORY_PATH})
  --accounts ID,ID    Only these source accounts (default: every enabled one)
  --shard K/N         Only the K-th of N parts of those accounts (the same split as preview/up --shard)
  --timeout DURATION  How long to wait for each replica, e.g. 15m, 90s, 1h (default: ${DEFAULT_VERIFY_TIMEOUT},
                      the Replication Time Control objective)
  --concurrency N     Accounts checked at once (default: ${DEFAULT_VERIFY_CONCURRENCY})
  --cleanup           Also delete the replicas from the central bucket
  --restore           Restore drill: restore each replica from the central bucket (as the central
                      roleArn, with restore's copy) to the source bucket under
                      org-s3-backup-restore-drill/, read it back, compare the bytes, remove it
  --json              Print the results as JSON on stdout
  -h, --help          This help

Credentials: the caller's (environment or AWS profile), which must be allowed to assume every
account's roleArn and the central roleArn; the account role also needs cloudwatch:DescribeAlarms.
AWS_ENDPOINT_URL points the calls at an emulator.
Exit codes: 0 every account replicated with its alarms in place, 1 an account failed or timed out
or has an alarm missing or in ALARM, 2 bad input, 3 no credentials or endpoint unreachable,
130 interrupted. Details: docs/day-two.md.
`;

export function verifyCommand(deps: VerifyDeps = defaultVerifyDeps): Command {
  return defineCommand({ name: "verify", summary: SUMMARY, help: HELP, options: OPTIONS }, runVerify, deps);
}

export const command = verifyCommand();

async function runVerify(args: CommandArgs<typeof OPTIONS>, io: Io, deps: VerifyDeps): Promise<number> {
  const { values, usage } = args;
  const timeout = parseTimeout(values.timeout ?? DEFAULT_VERIFY_TIMEOUT);
  if (!timeout.ok) return usage(timeout.message);
  const concurrency = optionOr(values.concurrency, DEFAULT_VERIFY_CONCURRENCY, parseConcurrency);
  if (!concurrency.ok) return usage(concurrency.message);
  const shard = optionOr(values.shard, undefined, parseShard);
  if (!shard.ok) return usage(shard.message);

  const selected = await loadSourceAccounts(args, io, deps.loadInventory, {
    accounts: values.accounts,
    centralRefusal: "--accounts: the central account has no source bucket to verify; name source accounts",
    shard: shard.value,
  });
  if (!selected) return ExitCode.BadInput;
  const { inventory, sources } = selected;
  if (sources.length === 0) return usage(`no enabled source account to verify in ${inventory.sourcePath}`);

  const runId = newRunId(deps.now());
  let caller: string | undefined;
  if (deps.preflight) {
    const checked = await deps.preflight(io.env, inventory.central, runId);
    if (!checked.ok) {
      io.stderr.write(`org-s3-backup verify: ${checked.message}\n`);
      if (values.json)
        io.stdout.write(
          `${JSON.stringify({ operation: "verify", runId, exitCode: checked.exitCode, error: checked.message, accounts: [] }, null, 2)}\n`,
        );
      return checked.exitCode;
    }
    caller = checked.caller;
  }
  const targets = canaryTargets(inventory, sources, runId);
  if (!values.json)
    io.stderr.write(
      `verify: ${targets.length} account(s)${caller ? ` as ${caller}` : ""}, run ${runId}, timeout ${values.timeout ?? DEFAULT_VERIFY_TIMEOUT}\n`,
    );
  const abort = new AbortController();
  const stopListening = listenForInterrupts(deps, io, abort);
  const results = await verifyAll(targets, deps.aws(io.env, runId), {
    timeoutMs: timeout.ms,
    cleanup: values.cleanup === true,
    concurrency: concurrency.value,
    clock: deps.clock,
    runId,
    signal: abort.signal,
    restoreDrill: values.restore === true,
  }).finally(stopListening);
  const exitCode = verifyExitCode(results, abort.signal.aborted);
  if (values.json) io.stdout.write(`${JSON.stringify(verifyJson(results, runId, exitCode), null, 2)}\n`);
  else {
    io.stdout.write(formatVerifyTable(results));
    if (exitCode === ExitCode.Environment) {
      io.stderr.write(
        "verify: some checks could not run: no AWS credentials, or the endpoint is unreachable (see ERROR rows and notes).\n",
      );
    }
  }
  return exitCode;
}

/** First Ctrl-C: stop polling but still remove the canaries; the second leaves at once. */
function listenForInterrupts(deps: VerifyDeps, io: Io, abort: AbortController): () => void {
  return deps.interrupts.onInterrupt((signal) => {
    const name = interruptName(signal);
    if (abort.signal.aborted) {
      io.stderr.write(
        `Second ${name}: exiting now; canaries may stay in the source buckets under <accountId>/${CANARY_FOLDER}/.\n`,
      );
      deps.exit(ExitCode.Interrupted);
      return;
    }
    io.stderr.write(`${name}: stopping, removing the canaries placed so far (Ctrl-C again to exit at once)...\n`);
    abort.abort();
  });
}
