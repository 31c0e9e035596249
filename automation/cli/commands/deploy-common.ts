import * as os from "node:os";
import * as path from "node:path";
import type { Inventory } from "../../../config/types";
import { DEFAULT_INVENTORY_PATH } from "../../../infra/contract";
import { type Backend, missingPassphrase, resolveBackend } from "../../engine/backend";
import type { Command, Io } from "../command";
import { type ArgValues, type CommandArgs, defineCommand } from "../args";
import {
  DEFAULT_FAILURE_TOLERANCE,
  defaultConcurrency,
  type FailureTolerance,
  formatTolerance,
  MAX_DEFAULT_CONCURRENCY,
  parseConcurrency,
  parseFailureTolerance,
} from "../../driver/concurrency";
import type { Engine } from "../../engine/engine";
import { firstErrorLines, StackError } from "../../engine/errors";
import { formatPlugins, requiredPlugins } from "../../engine/plugins";
import { ExitCode } from "../exit-codes";
import { type Interrupts, terminationInterrupts } from "../interrupts";
import {
  backendUnreachable,
  CONFIRM_HELP,
  CONFIRM_OPTION,
  handleInterrupts,
  lockNotice,
  MAX_PRUNE_HELP,
  MAX_PRUNE_OPTION,
  type Prompt,
  parseSafety,
  rerunArgs,
  SAFETY_HELP,
  SAFETY_OPTIONS,
  type Safety,
  saveSummary,
  survivingIo,
  terminalPrompt,
  trackRunning,
  unwritableDirectories,
} from "../deploy-safety";
import { accepted, checkPruneLimit, confirmation } from "../../driver/brakes";
import { processLimits } from "../../driver/timeouts";
import { localStateDir } from "../../engine/backend";
import { planStacks } from "../../driver/plan";
import { createProgress, runLogDir } from "../../driver/progress";
import { type Operation, type RunReport, runStacks } from "../../driver/run";
import { findOrphans, parseIdList, type Selection, selectStacks } from "../../driver/selection";
import { type AdoptedBucketReader, formatPreflight, preflightAdoptedBuckets } from "../../driver/adoption-preflight";
import { formatShard } from "../../driver/shard";
import { ChangeTracker, fingerprintBase } from "../../driver/fingerprint";
import type { RemoteEngineOptions } from "../../engine/remote";
import {
  ALL_HELP,
  ALL_OPTION,
  CHANGED_ONLY_OPERATIONS,
  type EngineChoice,
  ENGINE_HELP,
  ENGINE_OPTIONS,
  parseEngine,
  parseScope,
  type Scope,
  SCOPE_HELP,
  SCOPE_OPTIONS,
} from "../run-scope";
import { exitCodeOf, formatSummaryTable, lockAdvice, summaryJson, useColor } from "../../driver/summary";

/**
 * What preview, up, destroy, drift and outputs share: parse arguments -> load the inventory -> select
 * stacks -> check the environment -> run -> report. Side effects come in through DeployDeps.
 */

/** What `--engine remote` gives the remote engine; the rest (CLI, backend, checkout) comes from the lookup. */
export type RemoteConnect = Omit<RemoteEngineOptions, "workDir" | "backend" | "localEnv" | "pulumiCommand">;

export type EngineLookup =
  | {
      ok: true;
      /** Said before the run (a Pulumi CLI newer than the tested one). */
      warning?: string;
      connect(backend: Backend, env: NodeJS.ProcessEnv): Promise<Engine>;
      /** Pulumi Deployments (`--engine remote`). */
      connectRemote?(remote: RemoteConnect, backend: Backend, env: NodeJS.ProcessEnv): Promise<Engine>;
    }
  | { ok: false; message: string };

export interface DeployDeps {
  /**
   * Finds the Pulumi CLI (installing the pinned version when asked) and checks its version before
   * anything is done; `limits` bound its processes (cancel grace, command timeout).
   */
  findEngine(install: boolean, limits?: { cancelGraceMs: number; commandTimeoutMs: number }): Promise<EngineLookup>;
  /** Confirmation on a terminal (default: the process's stdin). */
  readonly prompt?: Prompt;
  loadInventory(path: string, io: Io): Promise<Inventory | undefined>;
  readonly interrupts: Interrupts;
  /** Leaves the process at once (second Ctrl-C). */
  exit(code: number): void;
  freeMemoryBytes(): number;
  cpuCount(): number;
  /** Holds Pulumi.yaml, `.pulumi-state/` and `logs/`. */
  readonly repoRoot: string;
  now(): Date;
  /**
   * `up` only: reads adopted buckets' replication and Object Lock configuration as each account's
   * deploying role (absent: the AWS reader of defaultDeps). Called only when an adopted bucket is selected.
   */
  adoptedBuckets?(env: NodeJS.ProcessEnv, runId: string): AdoptedBucketReader;
}

export interface DeploySpec {
  readonly name: Operation;
  readonly summary: string;
  /** Help text of the command's own behaviour; the common options are appended. */
  readonly description: string;
  /** `up` only: destroy orphan stacks. */
  readonly prune?: boolean;
  /** Extra human output after the summary table (outputs prints the values). */
  readonly render?: (report: RunReport, io: Io) => void;
}

const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

export const defaultDeps: DeployDeps = {
  async findEngine(install, limits) {
    // Loaded here so that usage errors and tests never pay for loading Pulumi.
    const cli = require("../../engine/pulumi-cli") as typeof import("../../engine/pulumi-cli");
    const options = limits ? { limits } : {};
    const lookup = install ? await cli.installPulumiCli(options) : await cli.locatePulumiCli(options);
    if (!lookup.ok) return lookup;
    const { warning } = lookup;
    const { createAutomationEngine } = require("../../engine/automation") as typeof import("../../engine/automation");
    return {
      ok: true,
      ...(warning ? { warning } : {}),
      connect: (backend, env) =>
        createAutomationEngine({ workDir: REPO_ROOT, backend, env, pulumiCommand: lookup.command }),
      connectRemote: (remote, backend, env) =>
        (require("../../engine/remote") as typeof import("../../engine/remote")).createRemoteEngine({
          ...remote,
          workDir: REPO_ROOT,
          backend,
          localEnv: env,
          pulumiCommand: lookup.command,
        }),
    };
  },
  loadInventory: (inventoryPath, io) =>
    (require("../inventory-arg") as typeof import("../inventory-arg")).loadInventoryOrReport(inventoryPath, io),
  interrupts: terminationInterrupts,
  exit: (code) => process.exit(code),
  freeMemoryBytes: () => os.freemem(),
  cpuCount: () => os.availableParallelism(),
  repoRoot: REPO_ROOT,
  now: () => new Date(),
  adoptedBuckets(env, runId) {
    // Loaded here so that an inventory without adopted buckets never loads the AWS SDK.
    const { AwsClients } = require("../../day-two/aws-clients") as typeof import("../../day-two/aws-clients");
    const { awsAdoptedBucketReader } =
      require("../../driver/adoption-preflight-aws") as typeof import("../../driver/adoption-preflight-aws");
    return awsAdoptedBucketReader(new AwsClients(env), runId);
  },
};

export const COMMON_OPTIONS_HELP = `
Options:
  --inventory PATH          Inventory file (default: ${DEFAULT_INVENTORY_PATH})
  --accounts ID,ID          Only these accounts (12-digit ids; 'central' for the central stack)
  --exclude ID,ID           Leave these accounts out
${SCOPE_HELP}
  --concurrency N           Stacks run at once (default: free memory / 512 MB, at most 2 per CPU
                            and at most ${MAX_DEFAULT_CONCURRENCY})
  --failure-tolerance N|P%  Failures tolerated before no new stack starts; running ones finish and
                            the rest are reported as skipped (default: ${formatTolerance(DEFAULT_FAILURE_TOLERANCE)})
  --backend URL             State backend (default: $PULUMI_BACKEND_URL, else file://<repo>/.pulumi-state)
  --install-cli             Install the pinned Pulumi CLI first if it is missing
${SAFETY_HELP}
${ENGINE_HELP}
  --json                    Print the summary as JSON on stdout (progress still goes to stderr)
  -h, --help                This help

Needs the Pulumi CLI and, with a file or cloud-storage backend, PULUMI_CONFIG_PASSPHRASE.
Exit codes: 0 all succeeded, 1 a stack failed, drifted or was skipped, 2 bad input,
3 environment missing (CLI too old, passphrase, backend, unwritable directory),
130 interrupted (Ctrl-C, SIGTERM, SIGHUP: running stacks are cancelled, the summary printed).
Engine logs: logs/<run-timestamp>/<stack>.log. Details: docs/driver.md.
`;

/** The options COMMON_OPTIONS_HELP describes (--inventory comes with parseArgsOrReport). */
const DEPLOY_OPTIONS = {
  accounts: { type: "string" },
  exclude: { type: "string" },
  concurrency: { type: "string" },
  "failure-tolerance": { type: "string" },
  json: { type: "boolean" },
  backend: { type: "string" },
  "install-cli": { type: "boolean" },
  ...SCOPE_OPTIONS,
  ...ENGINE_OPTIONS,
} as const;

/** Only `up` takes it (DeploySpec.prune): for the other commands --prune stays an unknown option. */
const PRUNE_OPTION = { prune: { type: "boolean" } } as const;

/** What the options of `spec`'s command parse to (--prune, --all: see deployOptions). */
type DeployOptions = typeof DEPLOY_OPTIONS & typeof PRUNE_OPTION & typeof ALL_OPTION;

export function deployCommand(spec: DeploySpec, deps: DeployDeps = defaultDeps): Command {
  const command = defineCommand(
    { name: spec.name, summary: spec.summary, help: deployHelp(spec), options: deployOptions(spec) },
    (args, io) => runDeploy(spec, deps, args, io),
  );
  // A closed pipe or a full disk on stdout/stderr loses output, never the deployment.
  return { ...command, run: (argv, io) => command.run(argv, survivingIo(io)) };
}

function deployHelp(spec: DeploySpec): string {
  const all = CHANGED_ONLY_OPERATIONS.has(spec.name) ? `\n${ALL_HELP}\n` : "";
  return `${spec.description.trim()}\n${confirmHelp(spec)}${all}${COMMON_OPTIONS_HELP}`;
}

/** --prune (up) and --all (preview, up) stay unknown options for the other commands. */
function deployOptions(spec: DeploySpec): DeployOptions {
  return {
    ...DEPLOY_OPTIONS,
    ...SAFETY_OPTIONS,
    ...(asksConfirmation(spec.name) ? CONFIRM_OPTION : {}),
    ...(spec.prune ? { ...PRUNE_OPTION, ...MAX_PRUNE_OPTION } : {}),
    ...(CHANGED_ONLY_OPERATIONS.has(spec.name) ? ALL_OPTION : {}),
  } as DeployOptions;
}

interface Settings {
  readonly inventoryPath: string;
  readonly accounts?: string[];
  readonly exclude?: string[];
  readonly concurrency?: number;
  readonly tolerance: FailureTolerance;
  readonly json: boolean;
  readonly backendFlag?: string;
  readonly installCli: boolean;
  readonly prune: boolean;
  readonly scope: Scope;
  readonly engine: EngineChoice;
}

function deploySettings(
  values: ArgValues<DeployOptions>,
  inventoryPath: string,
  operation: Operation,
  env: NodeJS.ProcessEnv,
): { ok: true; settings: Settings } | { ok: false; message: string } {
  const concurrency = values.concurrency === undefined ? undefined : parseConcurrency(values.concurrency);
  if (concurrency && !concurrency.ok) return concurrency;
  const tolerance =
    values["failure-tolerance"] === undefined ? undefined : parseFailureTolerance(values["failure-tolerance"]);
  if (tolerance && !tolerance.ok) return tolerance;
  const prune = values.prune === true;
  if (prune && values.accounts !== undefined) {
    return { ok: false, message: "--prune acts on every orphan stack and cannot be combined with --accounts" };
  }
  const scope = parseScope(values);
  if (!scope.ok) return scope;
  if (prune && scope.value.stacks === "central") {
    return { ok: false, message: "--prune destroys orphan source stacks and cannot be combined with --stacks central" };
  }
  const engine = parseEngine(values, operation, { prune, env });
  if (!engine.ok) return engine;
  return {
    ok: true,
    settings: {
      inventoryPath,
      ...(values.accounts === undefined ? {} : { accounts: parseIdList(values.accounts) }),
      ...(values.exclude === undefined ? {} : { exclude: parseIdList(values.exclude) }),
      ...(concurrency ? { concurrency: concurrency.value } : {}),
      tolerance: tolerance ? tolerance.value : DEFAULT_FAILURE_TOLERANCE,
      json: values.json === true,
      ...(values.backend === undefined ? {} : { backendFlag: values.backend }),
      installCli: values["install-cli"] === true,
      prune,
      scope: scope.value,
      engine: engine.value,
    },
  };
}

async function runDeploy(
  spec: DeploySpec,
  deps: DeployDeps,
  args: CommandArgs<DeployOptions>,
  io: Io,
): Promise<number> {
  const { usage } = args;
  const parsed = deploySettings(args.values, args.inventoryPath, spec.name, io.env);
  if (!parsed.ok) return usage(parsed.message);
  const settings = parsed.settings;
  const safe = parseSafety(args.values as Readonly<Record<string, unknown>>, io.cwd);
  if (!safe.ok) return usage(safe.message);
  const safety: Safety = safe.value;
  const resolved = resolveBackend(settings.backendFlag, io.env, deps.repoRoot);
  if (!resolved.ok) return usage(resolved.message);
  const backend = resolved.backend;
  if (settings.engine.kind === "remote") {
    if (backend.secretsProvider !== undefined) {
      return usage(
        `--engine remote: Pulumi Deployments needs the Pulumi Cloud backend (--backend https://api.pulumi.com), not ${backend.url}`,
      );
    }
    const relative = path.relative(deps.repoRoot, settings.inventoryPath);
    if (relative.startsWith("..") || path.isAbsolute(relative)) {
      return usage(
        `--engine remote: the inventory ${settings.inventoryPath} must be a file of the repository ` +
          `(${deps.repoRoot}) that --git-url names: the runners read it from their checkout`,
      );
    }
  }

  const inventory = await deps.loadInventory(settings.inventoryPath, io);
  if (!inventory) return ExitCode.BadInput;
  const selected = selectStacks(inventory, planStacks(inventory), {
    ...(settings.accounts ? { accounts: settings.accounts } : {}),
    ...(settings.exclude ? { exclude: settings.exclude } : {}),
    ...(settings.scope.stacks ? { stacks: settings.scope.stacks } : {}),
    ...(settings.scope.shard ? { shard: settings.scope.shard } : {}),
  });
  if (!selected.ok) return usage(selected.message);

  // Everything the environment lacks, said at once, before anything is done.
  const logRoot = safety.logRoot ?? deps.repoRoot;
  const unwritable = unwritableDirectories([
    { dir: path.join(logRoot, "logs"), what: "log directory" },
    ...stateDirectories(backend, deps.repoRoot),
  ]);
  const lookup = await deps.findEngine(settings.installCli, processLimits(safety.stackTimeoutMs));
  const passphrase = missingPassphrase(backend, io.env);
  if (!lookup.ok || passphrase !== undefined || unwritable.length > 0) {
    const problems = [lookup.ok ? undefined : lookup.message, passphrase, ...unwritable].filter(
      (problem) => problem !== undefined,
    );
    io.stderr.write(`org-s3-backup ${spec.name}: cannot start, nothing was changed.\n${problems.join("\n")}\n`);
    return ExitCode.Environment;
  }
  if (lookup.warning) io.stderr.write(`${lookup.warning}\n`);
  const logDir = runLogDir(logRoot, deps.now());
  let engine: Engine;
  let existingStacks: string[];
  try {
    const { engine: choice } = settings;
    if (choice.kind === "remote") {
      if (!lookup.connectRemote) throw new Error("this build has no remote engine");
      const { kind: _, ...remote } = choice;
      engine = await lookup.connectRemote(remote, backend, io.env);
    } else engine = await lookup.connect(backend, io.env);
    existingStacks = await engine.listStacks();
  } catch (error) {
    io.stderr.write(backendUnreachable(spec.name, backend.url, error, logDir));
    return ExitCode.Environment;
  }

  // The brakes: a prune larger than its bound is refused; up and destroy ask on a terminal (--yes).
  const pruned = settings.prune ? findOrphans(existingStacks, inventory, settings.scope.shard) : [];
  const refusal = await brakes(spec, deps, io, safety, {
    existingStacks,
    orphans: pruned,
    selection: selected.selection,
    backendUrl: backend.url,
  });
  if (refusal !== undefined) return refusal;
  io.stderr.write(lockNotice(backend, runStackNames(selected.selection, pruned), deps.now()));

  // Once, before anything runs concurrently; failing here changes nothing.
  const plugins = requiredPlugins();
  io.stderr.write(
    `${spec.name}: installing provider plugins ${formatPlugins(plugins)} (once, before the stacks run)\n`,
  );
  try {
    await engine.installPlugins(plugins);
  } catch (error) {
    const cause = firstErrorLines(
      error instanceof StackError ? error.raw : String((error as Error).message ?? error),
      1,
    );
    io.stderr.write(
      `org-s3-backup ${spec.name}: cannot install the provider plugins ${formatPlugins(plugins)}, nothing was changed.\n` +
        `  ${cause[0] ?? "no output"}\n`,
    );
    return ExitCode.Environment;
  }

  // Adopted buckets are read before any stack starts: a refusal deploys nothing (docs/inventory.md).
  if (spec.name === "up") {
    const refused = await adoptionPreflight(deps, inventory, selected.selection, io, settings.json);
    if (refused !== undefined) return refused;
  }

  const orphans = findOrphans(existingStacks, inventory, settings.scope.shard);
  const concurrency = settings.concurrency ?? defaultConcurrency(deps.freeMemoryBytes(), deps.cpuCount());
  const progress = createProgress({
    stream: io.stderr,
    live: io.stderr.isTTY === true,
    logDir,
    color: useColor(io.stderr, io.env),
  });
  const tracked = trackRunning(progress);
  const abort = new AbortController();
  const stopListening = handleInterrupts({
    interrupts: deps.interrupts,
    io,
    abort,
    running: tracked.running,
    terminate: () => engine.terminate?.(),
    exit: deps.exit,
  });

  io.stderr.write(
    `${spec.name}: ${selected.selection.sources.length} source account(s), concurrency ${concurrency}, ` +
      `failure tolerance ${formatTolerance(settings.tolerance)}, backend ${backend.url}` +
      `${runScope(spec.name, settings, selected.selection.central)}\n`,
  );
  // Changed-only for preview and up; up and destroy keep the recorded fingerprints honest.
  const changes =
    spec.name === "up" || spec.name === "preview" || spec.name === "destroy"
      ? new ChangeTracker({
          inventory,
          plans: planStacks(inventory),
          base: fingerprintBase(),
          skipUnchanged: !settings.scope.all,
          refreshInputs: spec.name === "up",
        })
      : undefined;
  let report: RunReport;
  try {
    report = await runStacks(engine, {
      operation: spec.name,
      inventory,
      inventoryPath: settings.inventoryPath,
      selection: selected.selection,
      existingStacks,
      ...(settings.prune ? { prune: orphans } : {}),
      concurrency,
      tolerance: settings.tolerance,
      signal: abort.signal,
      stackTimeoutMs: safety.stackTimeoutMs,
      observer: tracked.observer,
      ...(changes ? { changes } : {}),
    });
  } finally {
    stopListening();
    await progress.close();
  }

  const exitCode = exitCodeOf(report);
  const rerun = { args: rerunArgs(args.values as Readonly<Record<string, unknown>>) };
  const summary = formatSummaryTable(report, { rerun });
  const advice = lockAdvice(report, deps.now());
  const saved = saveSummary(logDir, `${summary}${advice}`);
  if (settings.json) {
    io.stdout.write(`${JSON.stringify(summaryJson(report, { exitCode, logDir, orphans, rerun }), null, 2)}\n`);
  } else {
    io.stdout.write(useColor(io.stdout, io.env) ? formatSummaryTable(report, { rerun, color: true }) : summary);
    spec.render?.(report, io);
    if (orphans.length > 0 && !settings.prune) io.stdout.write(orphanNotice(orphans, spec.name));
    io.stdout.write(`Engine logs: ${logDir}${saved ? ` (summary: ${saved})` : ""}\n`);
  }
  io.stderr.write(advice);
  return exitCode;
}

/** The run's header, continued: shard, engine and changed-only, when they apply. */
function runScope(operation: Operation, settings: Settings, central: boolean): string {
  const parts: string[] = [];
  const { shard } = settings.scope;
  if (shard) parts.push(`shard ${formatShard(shard)}${central ? "" : " (central stack read from the backend)"}`);
  if (settings.engine.kind === "remote") {
    const { source } = settings.engine;
    parts.push(`engine remote (Pulumi Deployments, ${source.gitUrl} ${source.branch ?? source.commit})`);
  }
  if (CHANGED_ONLY_OPERATIONS.has(operation))
    parts.push(settings.scope.all ? "every stack (--all)" : "changed stacks only");
  return parts.map((part) => `, ${part}`).join("");
}

/** The exit code when an adopted bucket refuses the deployment (or cannot be read), else undefined. */
async function adoptionPreflight(
  deps: DeployDeps,
  inventory: Inventory,
  selection: Selection,
  io: Io,
  json: boolean,
): Promise<number | undefined> {
  const wanted = new Set(selection.sources.map((plan) => plan.accountId));
  const sources = inventory.sources.filter((source) => wanted.has(source.accountId));
  const runId = deps.now().toISOString().replace(/[-:.]/g, "");
  const read = deps.adoptedBuckets ?? defaultDeps.adoptedBuckets;
  const report = await preflightAdoptedBuckets(
    inventory,
    sources,
    () => read?.(io.env, runId) as AdoptedBucketReader,
    (require("../inventory-arg") as typeof import("../inventory-arg")).displayPath(inventory.sourcePath, io.cwd),
  );
  io.stderr.write(formatPreflight(report, "up"));
  if (report.exitCode === 0) return undefined;
  if (json)
    io.stdout.write(
      `${JSON.stringify({ operation: "up", exitCode: report.exitCode, preflight: report.checks }, null, 2)}\n`,
    );
  return report.exitCode;
}

function orphanNotice(orphans: readonly string[], command: string): string {
  const hint =
    command === "up" || command === "preview"
      ? " `org-s3-backup up --prune` destroys them (protected data is kept)."
      : "";
  return `Orphan stacks (account no longer in the inventory, or disabled): ${orphans.join(", ")}.${hint}\n`;
}

/** `up` and `destroy` ask before changing anything on a terminal (--yes skips the question). */
function asksConfirmation(operation: Operation): boolean {
  return operation === "up" || operation === "destroy";
}

function confirmHelp(spec: DeploySpec): string {
  const lines = [...(asksConfirmation(spec.name) ? [CONFIRM_HELP] : []), ...(spec.prune ? [MAX_PRUNE_HELP] : [])];
  return lines.length > 0 ? `\nConfirmation:\n${lines.join("\n")}\n` : "";
}

/** Directories the run writes besides its logs: a file backend's state, the workspace's stack settings. */
function stateDirectories(backend: Backend, repoRoot: string): { dir: string; what: string }[] {
  const state = localStateDir(backend);
  return [
    ...(state !== undefined ? [{ dir: state, what: "state directory" }] : []),
    { dir: repoRoot, what: "workspace directory (Pulumi.<stack>.yaml)" },
  ];
}

/** The stacks a run may touch, for the lock notice. */
function runStackNames(selection: Selection, pruned: readonly string[]): string[] {
  return [
    ...(selection.central ? [selection.centralPlan.name] : []),
    ...selection.sources.map((plan) => plan.name),
    ...pruned,
  ];
}

/** The exit code when the run must not go on (prune bound, no confirmation), else undefined. */
async function brakes(
  spec: DeploySpec,
  deps: DeployDeps,
  io: Io,
  safety: Safety,
  run: { existingStacks: readonly string[]; orphans: readonly string[]; selection: Selection; backendUrl: string },
): Promise<number | undefined> {
  const refuse = (message: string) => {
    io.stderr.write(`org-s3-backup ${spec.name}: ${message}.\n`);
    return ExitCode.BadInput;
  };
  const bound = checkPruneLimit(run.orphans, run.existingStacks, safety.maxPrune);
  if (!bound.ok) return refuse(bound.message);
  const existing = new Set(run.existingStacks);
  const { selection } = run;
  const stacks =
    spec.name === "destroy"
      ? [
          ...selection.sources.map((plan) => plan.name).filter((name) => existing.has(name)),
          ...(selection.central && selection.centralNamed && existing.has(selection.centralPlan.name)
            ? [selection.centralPlan.name]
            : []),
        ]
      : [...(selection.central ? [selection.centralPlan.name] : []), ...selection.sources.map((plan) => plan.name)];
  const prompt = deps.prompt ?? terminalPrompt;
  const decision = confirmation({
    operation: spec.name,
    interactive: prompt.interactive(io),
    yes: safety.yes,
    stacks,
    prune: run.orphans,
    backendUrl: run.backendUrl,
  });
  if (decision.kind === "proceed") return undefined;
  if (decision.kind === "refuse") return refuse(decision.message);
  if (accepted(await prompt.ask(decision.question, io))) return undefined;
  io.stderr.write(`org-s3-backup ${spec.name}: not confirmed, nothing was changed.\n`);
  return ExitCode.BadInput;
}
