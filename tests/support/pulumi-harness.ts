/**
 * Pulumi's own run harness, without the CLI: this module plays the engine (a ResourceMonitor and an Engine
 * gRPC service, served in-process from the SDK's generated stubs) and the Node.js language host (it starts
 * the program exactly as `pulumi-language-nodejs` does). Everything the program sends is recorded.
 *
 * The contract, read from pulumi/pulumi (master at 1b5949891b, CHANGELOG 3.259.0), checked against the
 * installed 3.270.0 in node_modules/@pulumi/pulumi/cmd/run/*.js and runtime/*.js (the installed version is
 * the truth; the parts below are the same in both):
 *
 * sdk/nodejs/cmd/pulumi-language-nodejs/main.go
 *  - `parseOptions`: runtime options of Pulumi.yaml — `typescript` (boolean, default true), `tsconfig` and
 *    `nodeargs` (strings); any other type is an error. `typescript: true` sets PULUMI_NODEJS_TYPESCRIPT=true,
 *    `tsconfig` sets PULUMI_NODEJS_TSCONFIG_PATH.
 *  - `execRuntime`: argv = shlex.Split(nodeargs) ++ constructArguments(...), run by the `node` found on the
 *    PATH; env = the host's environment + PULUMI_CONFIG (JSON object) + PULUMI_CONFIG_SECRET_KEYS (JSON
 *    array). Exit code 32 (`nodeJSProcessExitedAfterShowingUserActionableMessage`) becomes
 *    RunResponse{Bail: true} — the user already got the message, nothing more is printed; any other
 *    non-zero code becomes "Program exited with non-zero exit code: N".
 *  - `constructArguments`: [runPath, --monitor A, --engine A, --sync DIR, --organization O, --project P,
 *    --root-directory R, --stack S, --pwd PROGRAM_DIR, (--dry-run), --parallel N, (--tracing U),
 *    ENTRY_POINT, ...args]; flags with an empty value are left out.
 *  - runPath = `require.resolve('@pulumi/pulumi/cmd/run')` evaluated in the program directory (`locateModule`).
 *  - `constructConfig`: keys `ns:name` are passed as `ns:config:name` (the old format, which the SDK reads too).
 *  - The monitor address the program gets is the host's proxy (proxy.go), which forwards every
 *    ResourceMonitor call, GetDeploymentInfo included, to the engine: here the harness is that engine.
 * pkg/engine/project.go `getPwdMain` + sdk/go/common/resource/plugin/langruntime.go `NewProgramInfo`:
 *  a file `main` (infra/entry.cjs) gives program directory = its folder, entry point = its base name;
 *  the root directory is the folder of Pulumi.yaml.
 * pkg/backend/diy: a self-managed backend's organization is always "organization".
 * pkg/cmd/pulumi/operations/up.go `defaultParallel`: GOMAXPROCS * 4 unless PULUMI_PARALLEL says otherwise.
 * sdk/nodejs/cmd/run/index.ts: flags parsed with minimist and copied to PULUMI_NODEJS_* variables; an
 *  uncaught error that run.ts already logged makes the process exit with 32, one it did not log with 1.
 * sdk/nodejs/cmd/run/run.ts: `process.chdir(--pwd)`, `require(program)`; a function export is called and
 *  awaited inside `runInPulumiStack`; a RunError is logged through the Engine's Log with its message only
 *  ("Always hide the stack for RunErrors"), any other error with its stack.
 * sdk/nodejs/runtime/settings.ts: at start-up `awaitFeatureSupport` asks GetDeploymentInfo for the monitor's
 *  features and falls back to one SupportsFeature call per legacy feature when it is UNIMPLEMENTED;
 *  `signalAndWaitForShutdown` at exit; `tryGetSyncInvokes` (the --sync pipes) has no caller in 3.270.
 * pkg/resource/deploy/source_eval.go (`resmon`): the answers — supportedMonitorFeatures, GetDeploymentInfo,
 *  RegisterResource. pkg/resource/deploy/default_providers.go: with `pulumi:disable-default-providers`
 *  listing "*" or the package, a custom resource without a provider is refused with
 *  "Default provider for 'PKG' disabled. 'URN' must use an explicit provider.".
 * pkg/resource/deploy/providers/registry.go `Create`: a provider's id is the unknown sentinel in a preview,
 *  a fresh UUID in an update. A custom resource's id is "" in a preview.
 * sdk/nodejs/runtime/resource.ts `resolveOutputs`: in a preview, a property the engine does not return is
 *  unknown (so the engine must echo the inputs); in an update it is taken from the inputs.
 *
 * What this harness does not do: run provider plugins. A preview answers the inputs (unknowns kept) and
 * marks the computed properties it knows of as unknown; an update fills in ids, ARNs and names shaped as
 * AWS shapes them, in the account and region of the resource's provider (deterministic, from the URN).
 * Provider `Check` (defaults, auto-naming in a preview) is not emulated.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import type * as grpcTypes from "@grpc/grpc-js";
import type * as emptyTypes from "google-protobuf/google/protobuf/empty_pb";
import type * as structTypes from "google-protobuf/google/protobuf/struct_pb";
import * as engrpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as engproto from "@pulumi/pulumi/proto/engine_pb";
import * as resrpc from "@pulumi/pulumi/proto/resource_grpc_pb";
import * as resproto from "@pulumi/pulumi/proto/resource_pb";
import { parse as parseYaml } from "yaml";

/**
 * @grpc/grpc-js and google-protobuf are dependencies of @pulumi/pulumi, not of this project: load the very
 * copies the SDK (and its generated stubs) load, resolved from the SDK's own location.
 */
const sdkRequire = createRequire(require.resolve("@pulumi/pulumi"));
const grpc = sdkRequire("@grpc/grpc-js") as typeof grpcTypes;
const { Struct } = sdkRequire("google-protobuf/google/protobuf/struct_pb") as typeof structTypes;
const { Empty } = sdkRequire("google-protobuf/google/protobuf/empty_pb") as typeof emptyTypes;

/**
 * The SDK's wire sentinel of an unknown value (sdk/nodejs/runtime/rpc.ts `unknownValue`,
 * plugin.UnknownStringValue).
 */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
const OUTPUT_VALUE_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";

/** The language host's exit code for "the program already showed the user an actionable message". */
export const USER_ACTIONABLE_EXIT = 32;
const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";
const PROVIDER_TYPE_PREFIX = "pulumi:providers:";
const LOG_SEVERITY = ["debug", "info", "warning", "error"] as const;

// ---------------------------------------------------------------------------------------------------------
// Pulumi.yaml and the language host's command line
// ---------------------------------------------------------------------------------------------------------

export interface PulumiProject {
  readonly name: string;
  /** `main` of Pulumi.yaml, relative to the root directory ("." when absent). */
  readonly main: string;
  readonly runtime: { readonly name: string; readonly options: Record<string, unknown> };
  /** Project-level config values (`config:` with a value), as the stack's config would hold them. */
  readonly config: Record<string, string>;
}

/** Reads Pulumi.yaml of `rootDir`. Throws on what the CLI would refuse. */
export function readProject(rootDir: string): PulumiProject {
  const file = path.join(rootDir, "Pulumi.yaml");
  const doc = parseYaml(fs.readFileSync(file, "utf8")) as Record<string, unknown> | null;
  if (!doc || typeof doc !== "object") throw new Error(`${file}: not a YAML mapping`);
  if (typeof doc.name !== "string" || doc.name === "") throw new Error(`${file}: name is required`);
  const runtime = doc.runtime;
  let name: unknown;
  let options: unknown = {};
  if (typeof runtime === "string") name = runtime;
  else if (runtime && typeof runtime === "object") ({ name, options = {} } = runtime as Record<string, unknown>);
  if (typeof name !== "string") throw new Error(`${file}: runtime.name is required`);
  if (options === null || typeof options !== "object" || Array.isArray(options))
    throw new Error(`${file}: runtime.options must be a mapping`);
  if (doc.main !== undefined && typeof doc.main !== "string") throw new Error(`${file}: main must be a string`);
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries((doc.config ?? {}) as Record<string, unknown>)) {
    const given =
      value !== null && typeof value === "object" && !Array.isArray(value)
        ? ((value as Record<string, unknown>).value ?? (value as Record<string, unknown>).default)
        : value;
    if (given === undefined) continue;
    config[key] = typeof given === "string" ? given : JSON.stringify(given);
  }
  return {
    name: doc.name,
    main: (doc.main as string | undefined) ?? ".",
    runtime: { name, options: options as Record<string, unknown> },
    config,
  };
}

export interface NodeOptions {
  readonly typescript: boolean;
  readonly tsconfigpath: string;
  readonly nodeargs: string;
}

/** main.go `parseOptions` (the keys this harness needs; packagemanager/production do not affect a run). */
export function parseNodeOptions(options: Record<string, unknown>): NodeOptions {
  const pick = <T>(key: string, type: string, fallback: T): T => {
    const value = options[key];
    if (value === undefined) return fallback;
    if (typeof value !== type) throw new Error(`${key} option must be a ${type === "boolean" ? "boolean" : "string"}`);
    return value as T;
  };
  return {
    typescript: pick("typescript", "boolean", true),
    tsconfigpath: pick("tsconfig", "string", ""),
    nodeargs: pick("nodeargs", "string", ""),
  };
}

/**
 * github.com/google/shlex `Split`, as main.go splits `nodeargs`: words separated by blanks; '…' literal;
 * inside "…" and outside quotes a \ makes the next character literal; # starts a comment at a word's start.
 * An unterminated quote or escape is an error, as in shlex.
 */
export function shlexSplit(input: string): string[] {
  const words: string[] = [];
  let i = 0;
  const blank = (c: string) => c === " " || c === "\t" || c === "\r" || c === "\n";
  while (i < input.length) {
    while (i < input.length && blank(input[i])) i++;
    if (i >= input.length) break;
    if (input[i] === "#") {
      while (i < input.length && input[i] !== "\n") i++;
      continue;
    }
    let word = "";
    while (i < input.length && !blank(input[i])) {
      const c = input[i++];
      if (c === "\\") {
        if (i >= input.length) throw new Error("EOF found after escape character");
        word += input[i++];
      } else if (c === "'") {
        const end = input.indexOf("'", i);
        if (end < 0) throw new Error("EOF found when expecting closing quote");
        word += input.slice(i, end);
        i = end + 1;
      } else if (c === '"') {
        for (;;) {
          if (i >= input.length) throw new Error("EOF found when expecting closing quote");
          const d = input[i++];
          if (d === '"') break;
          if (d === "\\") {
            if (i >= input.length) throw new Error("EOF found when expecting closing quote");
            word += input[i++];
          } else word += d;
        }
      } else {
        word += c;
      }
    }
    words.push(word);
  }
  return words;
}

export interface RunRequest {
  readonly rootDir: string;
  readonly project: PulumiProject;
  readonly stack: string;
  readonly organization: string;
  readonly dryRun: boolean;
  readonly parallel: number;
  /** Stack config, `namespace:key` -> value, as `pulumi config` holds it (project config merged in). */
  readonly config: Record<string, string>;
  readonly secretKeys: readonly string[];
  readonly monitorAddress: string;
  readonly engineAddress: string;
  readonly syncDir: string;
  /** Program arguments (RunRequest.args). */
  readonly args?: readonly string[];
  /** See HarnessOptions.preload. */
  readonly preload?: readonly string[];
}

export interface LanguageHostCommand {
  /** The node binary and its arguments. */
  readonly file: string;
  readonly argv: string[];
  /** The variables the language host adds to its own environment. */
  readonly env: Record<string, string>;
  /** The program directory (the folder of `main`). */
  readonly programDir: string;
}

/** What `pulumi-language-nodejs` would execute for this request (main.go Run/execRuntime/constructArguments). */
export function languageHostCommand(request: RunRequest): LanguageHostCommand {
  const { project, rootDir } = request;
  if (project.runtime.name !== "nodejs")
    throw new Error(`runtime ${project.runtime.name}: this harness runs nodejs programs only`);
  const options = parseNodeOptions(project.runtime.options);
  const nodeargs = [
    ...shlexSplit(options.nodeargs),
    ...(request.preload ?? []).flatMap((module) => ["--require", module]),
  ];

  // getPwdMain: a file main runs from its folder, by base name.
  const main = path.resolve(rootDir, project.main);
  const isDir = fs.statSync(main).isDirectory();
  const programDir = isDir ? main : path.dirname(main);
  const entryPoint = isDir ? "." : path.basename(main);
  // locateModule: require.resolve('@pulumi/pulumi/cmd/run') from the program directory.
  const runPath = createRequire(path.join(programDir, "noop.js")).resolve("@pulumi/pulumi/cmd/run");

  const args = [runPath];
  const maybe = (key: string, value: string) => {
    if (value !== "") args.push(`--${key}`, value);
  };
  maybe("monitor", request.monitorAddress);
  maybe("engine", request.engineAddress);
  maybe("sync", request.syncDir);
  maybe("organization", request.organization);
  maybe("project", project.name);
  maybe("root-directory", rootDir);
  maybe("stack", request.stack);
  maybe("pwd", programDir);
  if (request.dryRun) args.push("--dry-run");
  maybe("parallel", String(request.parallel));
  args.push(entryPoint, ...(request.args ?? []));

  const env: Record<string, string> = {
    PULUMI_CONFIG: JSON.stringify(languageHostConfig(request.config)),
    PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(request.secretKeys),
  };
  if (options.typescript) env.PULUMI_NODEJS_TYPESCRIPT = "true";
  if (options.tsconfigpath !== "") env.PULUMI_NODEJS_TSCONFIG_PATH = options.tsconfigpath;
  return { file: process.execPath, argv: [...nodeargs, ...args], env, programDir };
}

/** main.go `constructConfig`: `ns:name` -> `ns:config:name`. */
function languageHostConfig(config: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    const colon = key.indexOf(":");
    if (colon <= 0) throw new Error(`config key '${key}' is not of the form namespace:name`);
    const namespace = key.slice(0, colon);
    const name = key.slice(colon + 1).replace(/^config:/, "");
    out[`${namespace}:config:${name}`] = value;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// What the harness records
// ---------------------------------------------------------------------------------------------------------

export interface RegisteredResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  /** URN of the parent ("" only for the root stack). */
  readonly parent: string;
  /** `<provider urn>::<provider id>` as sent; "" when none was sent. */
  readonly provider: string;
  /** Logical name of that provider; undefined when none was sent. */
  readonly providerName?: string;
  /** As sent: undefined when the program did not set it. */
  readonly protect?: boolean;
  readonly retainOnDelete?: boolean;
  readonly importId: string;
  readonly dependencies: string[];
  /** Inputs in wire form (unknowns are UNKNOWN; see `plain` to drop secret / output-value wrappers). */
  readonly inputs: Record<string, unknown>;
  /** What the harness answered. */
  readonly id: string;
  readonly outputs: Record<string, unknown>;
}

export interface LogRecord {
  readonly severity: (typeof LOG_SEVERITY)[number];
  readonly message: string;
  readonly urn: string;
}

export interface InvokeRecord {
  readonly token: string;
  readonly args: Record<string, unknown>;
  readonly provider: string;
}

/** The engine's view of the program's answer to a Run request. */
export interface LanguageHostResponse {
  readonly error: string;
  /** The program already told the user what went wrong (exit code 32): the CLI prints nothing more. */
  readonly bail: boolean;
}

export interface HarnessRun {
  readonly command: LanguageHostCommand;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly response: LanguageHostResponse;
  readonly stdout: string;
  readonly stderr: string;
  /** From spawn to exit (process start, module loading, the program, shutdown). */
  readonly durationMs: number;
  /** From spawn to the program's first RPC (node + nodeargs + SDK start-up). */
  readonly firstRpcMs?: number;
  /** Peak resident memory of the program's process (Linux, sampled every 100 ms). */
  readonly peakRssMb?: number;
  /** Every RegisterResource, in arrival order; the root stack included. */
  readonly resources: RegisteredResource[];
  /** RegisterResourceOutputs by URN (the stack's are its exported outputs). */
  readonly resourceOutputs: Map<string, Record<string, unknown>>;
  /** The root stack's registered outputs (wire form); undefined if the program never got that far. */
  readonly stackOutputs?: Record<string, unknown>;
  readonly invokes: InvokeRecord[];
  readonly logs: LogRecord[];
  /** Ids asked through SupportsFeature (the legacy probe). */
  readonly supportsFeature: string[];
  readonly deploymentInfoRequests: number;
  /** RPCs the harness does not serve (answered UNIMPLEMENTED) and RegisterResource calls it refused. */
  readonly refused: string[];
  /** ReadResource requests: a StackReference reads `id`, the fully qualified name of another stack. */
  readonly reads: { readonly type: string; readonly name: string; readonly id: string }[];
}

export type InvokeHandler = (token: string, args: Record<string, unknown>) => Record<string, unknown> | undefined;

export interface HarnessOptions {
  /** The folder of Pulumi.yaml. */
  readonly rootDir: string;
  readonly stack: string;
  readonly mode: "preview" | "update";
  /** Stack config, `namespace:key` -> value (Pulumi.yaml's project config is merged under it). */
  readonly config?: Record<string, string>;
  readonly secretKeys?: readonly string[];
  /** Default "organization", the fixed organization of self-managed backends. */
  readonly organization?: string;
  /** Default: CPUs * 4, the CLI's default. */
  readonly parallel?: number;
  /** Answers Invoke calls; undefined = refuse (recorded). */
  readonly invoke?: InvokeHandler;
  /** Kill the program after this long (default 60 s). */
  readonly timeoutMs?: number;
  /** Instead of Pulumi.yaml (to test a broken project file without touching the repository). */
  readonly project?: PulumiProject;
  /**
   * Modules to `--require` after Pulumi.yaml's nodeargs. NOT something the language host does: each use
   * is a deliberate, documented deviation.
   */
  readonly preload?: readonly string[];
  /**
   * Other stacks of the backend, by fully qualified name (`organization/org-s3-backup/central`), with
   * their outputs: what a `pulumi:pulumi:StackReference` read answers. A name not here fails the read as
   * the engine does for a stack that does not exist.
   */
  readonly stacks?: Readonly<Record<string, Record<string, unknown>>>;
  /** Extra environment of the program (as a workspace's env vars reach it through the CLI). */
  readonly env?: Readonly<Record<string, string>>;
}

// ---------------------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------------------

/** Runs the project's program once, as `pulumi preview` / `pulumi up` would, against the in-process engine. */
export async function runUnderHarness(options: HarnessOptions): Promise<HarnessRun> {
  const project = options.project ?? readProject(options.rootDir);
  const config = { ...project.config, ...(options.config ?? {}) };
  const engine = new FakeEngine(options, project.name, config);
  const monitorServer = new grpc.Server(SERVER_OPTIONS);
  const engineServer = new grpc.Server(SERVER_OPTIONS);
  monitorServer.addService(resrpc.ResourceMonitorService, engine.monitorService());
  engineServer.addService(engrpc.EngineService, engine.engineService());
  const syncDir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-node-pipes"));
  try {
    const [monitorPort, enginePort] = await Promise.all([bind(monitorServer), bind(engineServer)]);
    const command = languageHostCommand({
      rootDir: options.rootDir,
      project,
      stack: options.stack,
      organization: options.organization ?? "organization",
      dryRun: options.mode === "preview",
      parallel: options.parallel ?? (os.availableParallelism?.() ?? os.cpus().length) * 4,
      config,
      secretKeys: options.secretKeys ?? [],
      monitorAddress: `127.0.0.1:${monitorPort}`,
      engineAddress: `127.0.0.1:${enginePort}`,
      syncDir,
      preload: options.preload,
    });
    Object.assign(command.env, options.env);
    const started = performance.now();
    engine.started = started;
    const exit = await spawnProgram(command, options.timeoutMs ?? 60_000);
    const durationMs = performance.now() - started;
    return {
      command,
      ...exit,
      response: languageHostResponse(exit.exitCode),
      durationMs,
      firstRpcMs: engine.firstRpcAt === undefined ? undefined : engine.firstRpcAt - started,
      resources: engine.resources,
      resourceOutputs: engine.resourceOutputs,
      stackOutputs: engine.stackUrn ? engine.resourceOutputs.get(engine.stackUrn) : undefined,
      invokes: engine.invokes,
      logs: engine.logs,
      supportsFeature: engine.supportsFeature,
      deploymentInfoRequests: engine.deploymentInfoRequests,
      refused: engine.refused,
      reads: engine.reads,
    };
  } finally {
    monitorServer.forceShutdown();
    engineServer.forceShutdown();
    fs.rmSync(syncDir, { recursive: true, force: true });
  }
}

/** The engine's gRPC options (rpcutil.GrpcChannelOptions: 400 MB messages). */
const SERVER_OPTIONS = {
  "grpc.max_receive_message_length": 400 * 1024 * 1024,
  "grpc.max_send_message_length": 400 * 1024 * 1024,
};

function bind(server: grpcTypes.Server): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) =>
      error ? reject(error) : resolve(port),
    ),
  );
}

/** main.go execRuntime's handling of the exit code. */
function languageHostResponse(exitCode: number | null): LanguageHostResponse {
  if (exitCode === 0) return { error: "", bail: false };
  if (exitCode === USER_ACTIONABLE_EXIT) return { error: "", bail: true };
  return { error: `Program exited with non-zero exit code: ${exitCode ?? -1}`, bail: false };
}

/**
 * Variables of the test process that would not be in the CLI's environment and would change the run:
 * NODE_OPTIONS (a test runner's loader would hide a broken `nodeargs`) and PULUMI_* (this harness sets
 * the ones the language host sets).
 */
function hostEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || key === "NODE_OPTIONS" || key.startsWith("PULUMI_")) continue;
    env[key] = value;
  }
  return env;
}

function spawnProgram(
  command: LanguageHostCommand,
  timeoutMs: number,
): Promise<{
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  peakRssMb?: number;
}> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(command.file, command.argv, {
        cwd: command.programDir,
        env: { ...hostEnvironment(), ...command.env },
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (error) {
      reject(error);
      return;
    }
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout!.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    // Linux: the process's peak resident set (VmHWM), sampled until it exits.
    let peakRssMb: number | undefined;
    const sampler = setInterval(() => {
      try {
        const kb = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1];
        if (kb !== undefined) peakRssMb = Math.max(peakRssMb ?? 0, Math.round(Number(kb) / 1024));
      } catch {
        // not Linux, or already gone
      }
    }, 100);
    child.on("error", (error) => {
      clearTimeout(timer);
      clearInterval(sampler);
      reject(error);
    });
    child.on("close", (exitCode, signal) => {
      clearTimeout(timer);
      clearInterval(sampler);
      const err = Buffer.concat(stderr).toString("utf8");
      resolve({
        exitCode,
        signal,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: timedOut ? `${err}\n[harness] killed after ${timeoutMs} ms` : err,
        peakRssMb,
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------------------
// The engine: ResourceMonitor and Engine services
// ---------------------------------------------------------------------------------------------------------

type Unary<Req, Res> = grpcTypes.handleUnaryCall<Req, Res>;

/** pkg/resource/deploy/source_eval.go supportedMonitorFeatures (state migrations off, as in `pulumi up`). */
const ENGINE_FEATURES: number[] = [
  resproto.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_SECRETS,
  resproto.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES,
  resproto.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_OUTPUT_VALUES,
  resproto.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_ALIAS_SPECS,
  resproto.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_REPLACEMENT_TRIGGER,
  resproto.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_DELETED_WITH,
  resproto.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_REPLACE_WITH,
  resproto.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_TRANSFORMS,
  resproto.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_INVOKE_TRANSFORMS,
  resproto.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_PARAMETERIZATION,
  resproto.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_RESOURCE_HOOKS,
  resproto.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_ERROR_HOOKS,
  resproto.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_SENDS_OPTIONS_TO_HOOKS,
  resproto.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_BYTE_STRING,
  resproto.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_INVOKE_DEPENDS_ON,
  resproto.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_INVOKE_PARENT,
];
/** source_eval.go supportsFeatureID. */
const LEGACY_FEATURES = new Set([
  "secrets",
  "resourceReferences",
  "outputValues",
  "aliasSpecs",
  "replacementTrigger",
  "deletedWith",
  "replaceWith",
  "transforms",
  "invokeTransforms",
  "parameterization",
  "resourceHooks",
  "errorHooks",
  "sendsOptionsToHooks",
]);

const STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference";

class FakeEngine {
  readonly resources: RegisteredResource[] = [];
  readonly resourceOutputs = new Map<string, Record<string, unknown>>();
  readonly invokes: InvokeRecord[] = [];
  readonly logs: LogRecord[] = [];
  readonly supportsFeature: string[] = [];
  readonly refused: string[] = [];
  readonly reads: { type: string; name: string; id: string }[] = [];
  deploymentInfoRequests = 0;
  stackUrn?: string;
  started = 0;
  firstRpcAt?: number;
  private rootResource = "";
  private readonly byUrn = new Map<string, RegisteredResource>();
  private readonly preview: boolean;

  constructor(
    private readonly options: HarnessOptions,
    private readonly projectName: string,
    private readonly config: Record<string, string>,
  ) {
    this.preview = options.mode === "preview";
  }

  private touch(): void {
    this.firstRpcAt ??= performance.now();
  }

  private unimplemented(method: string) {
    return (_call: unknown, callback: grpcTypes.sendUnaryData<never>) => {
      this.touch();
      this.refused.push(method);
      callback({ code: grpc.status.UNIMPLEMENTED, details: `${method} is not served by the test harness` }, null);
    };
  }

  monitorService(): resrpc.IResourceMonitorServer {
    const getDeploymentInfo: Unary<emptyTypes.Empty, resproto.DeploymentInfo> = (_call, callback) => {
      this.touch();
      this.deploymentInfoRequests++;
      const info = new resproto.DeploymentInfo()
        .setProject(this.projectName)
        .setStack(this.options.stack)
        .setOrganization(this.options.organization ?? "organization")
        .setConfigsecretkeysList([...(this.options.secretKeys ?? [])])
        .setDryrun(this.preview)
        .setSupportedfeaturesList(ENGINE_FEATURES as resproto.ResourceMonitorFeature[]);
      for (const [key, value] of Object.entries(this.config)) info.getConfigMap().set(key, value);
      callback(null, info);
    };
    const supportsFeature: Unary<resproto.SupportsFeatureRequest, resproto.SupportsFeatureResponse> = (
      call,
      callback,
    ) => {
      this.touch();
      this.supportsFeature.push(call.request.getId());
      callback(null, new resproto.SupportsFeatureResponse().setHassupport(LEGACY_FEATURES.has(call.request.getId())));
    };
    const invoke: Unary<resproto.ResourceInvokeRequest, resproto.ResourceInvokeResponse> = (call, callback) => {
      this.touch();
      const token = call.request.getTok();
      const args = (call.request.getArgs()?.toJavaScript() ?? {}) as Record<string, unknown>;
      this.invokes.push({ token, args, provider: call.request.getProvider() });
      const answer = this.options.invoke?.(token, args);
      if (!answer) {
        this.refused.push(`Invoke ${token}`);
        callback({ code: grpc.status.UNKNOWN, details: `the test harness cannot answer ${token}` }, null);
        return;
      }
      callback(null, new resproto.ResourceInvokeResponse().setReturn(Struct.fromJavaScript(answer as never)));
    };
    const registerResource: Unary<resproto.RegisterResourceRequest, resproto.RegisterResourceResponse> = (
      call,
      callback,
    ) => {
      this.touch();
      try {
        callback(null, this.registerResource(call.request));
      } catch (error) {
        this.refused.push(
          `RegisterResource ${call.request.getType()} ${call.request.getName()}: ${(error as Error).message}`,
        );
        callback({ code: grpc.status.UNKNOWN, details: (error as Error).message }, null);
      }
    };
    const registerResourceOutputs: Unary<resproto.RegisterResourceOutputsRequest, emptyTypes.Empty> = (
      call,
      callback,
    ) => {
      this.touch();
      this.resourceOutputs.set(
        call.request.getUrn(),
        (call.request.getOutputs()?.toJavaScript() ?? {}) as Record<string, unknown>,
      );
      callback(null, new Empty());
    };
    const readResource: Unary<resproto.ReadResourceRequest, resproto.ReadResourceResponse> = (call, callback) => {
      this.touch();
      const [type, name, id] = [call.request.getType(), call.request.getName(), call.request.getId()];
      this.reads.push({ type, name, id });
      const outputs = type === STACK_REFERENCE_TYPE ? this.options.stacks?.[id] : undefined;
      if (!outputs) {
        // pkg/resource/deploy/builtins.go: reading a stack the backend does not have.
        const details = type === STACK_REFERENCE_TYPE ? `unknown stack "${id}"` : `cannot read ${type}`;
        this.refused.push(`ReadResource ${type} ${name}: ${details}`);
        callback({ code: grpc.status.UNKNOWN, details }, null);
        return;
      }
      const urn = this.urnOf(type, name, call.request.getParent());
      const properties = { name: id, outputs, secretOutputNames: [] };
      callback(
        null,
        new resproto.ReadResourceResponse().setUrn(urn).setProperties(Struct.fromJavaScript(properties as never)),
      );
    };
    const signalAndWaitForShutdown: Unary<emptyTypes.Empty, emptyTypes.Empty> = (_call, callback) => {
      this.touch();
      callback(null, new Empty());
    };
    return {
      getDeploymentInfo,
      supportsFeature,
      invoke,
      registerResource,
      registerResourceOutputs,
      signalAndWaitForShutdown,
      call: this.unimplemented("Call"),
      readResource,
      existsResource: this.unimplemented("ExistsResource"),
      registerStackTransform: this.unimplemented("RegisterStackTransform"),
      registerStackInvokeTransform: this.unimplemented("RegisterStackInvokeTransform"),
      registerResourceHook: this.unimplemented("RegisterResourceHook"),
      registerErrorHook: this.unimplemented("RegisterErrorHook"),
      registerPackage: this.unimplemented("RegisterPackage"),
    };
  }

  engineService(): engrpc.IEngineServer {
    return {
      log: (call, callback) => {
        this.touch();
        const request = call.request;
        this.logs.push({
          severity: LOG_SEVERITY[request.getSeverity()] ?? "error",
          message: request.getMessage(),
          urn: request.getUrn(),
        });
        callback(null, new Empty());
      },
      getRootResource: (_call, callback) => {
        this.touch();
        callback(null, new engproto.GetRootResourceResponse().setUrn(this.rootResource));
      },
      setRootResource: (call, callback) => {
        this.touch();
        this.rootResource = call.request.getUrn();
        callback(null, new engproto.SetRootResourceResponse());
      },
      startDebugging: this.unimplemented("StartDebugging"),
      requirePulumiVersion: (_call, callback) => {
        this.touch();
        callback(null, new engproto.RequirePulumiVersionResponse());
      },
    };
  }

  private registerResource(request: resproto.RegisterResourceRequest): resproto.RegisterResourceResponse {
    const type = request.getType();
    const name = request.getName();
    const parent = request.getParent();
    const urn = this.urnOf(type, name, parent);
    if (this.byUrn.has(urn)) throw new Error(`Duplicate resource URN '${urn}'; try giving it a unique name`);
    const custom = request.getCustom();
    const provider = request.getProvider();
    if (custom && !type.startsWith(PROVIDER_TYPE_PREFIX) && provider === "") {
      const pkg = type.split(":")[0];
      if (pkg !== "pulumi" && this.defaultProviderDenied(pkg)) {
        throw new Error(`Default provider for '${pkg}' disabled. '${urn}' must use an explicit provider.`);
      }
    }
    const inputs = (request.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
    const providerResource = provider === "" ? undefined : this.byUrn.get(provider.split("::").slice(0, -1).join("::"));
    if (provider !== "" && !providerResource) throw new Error(`unknown provider '${provider}'`);
    const answer = this.answer(urn, type, name, custom, inputs, providerResource);
    const resource: RegisteredResource = {
      urn,
      type,
      name,
      custom,
      parent,
      provider,
      providerName: providerResource?.name,
      protect: request.hasProtect() ? request.getProtect() : undefined,
      retainOnDelete: request.hasRetainondelete() ? request.getRetainondelete() : undefined,
      importId: request.getImportid(),
      dependencies: request.getDependenciesList(),
      inputs,
      id: answer.id,
      outputs: answer.outputs,
    };
    this.resources.push(resource);
    this.byUrn.set(urn, resource);
    if (type === ROOT_STACK_TYPE && parent === "") this.stackUrn = urn;
    return new resproto.RegisterResourceResponse()
      .setUrn(urn)
      .setId(answer.id)
      .setObject(Struct.fromJavaScript(answer.outputs as never))
      .setResult(resproto.Result.SUCCESS);
  }

  /** resource.NewURN: the parent's qualified type is prefixed, unless the parent is the root stack. */
  private urnOf(type: string, name: string, parentUrn: string): string {
    let qualified = type;
    if (parentUrn !== "") {
      const parentQualified = parentUrn.split("::")[2];
      if (parentQualified !== ROOT_STACK_TYPE) qualified = `${parentQualified}$${type}`;
    }
    return `urn:pulumi:${this.options.stack}::${this.projectName}::${qualified}::${name}`;
  }

  /** default_providers.go shouldDenyRequest. */
  private defaultProviderDenied(pkg: string): boolean {
    const value = this.config["pulumi:disable-default-providers"];
    if (value === undefined || value === "") return false;
    const list = JSON.parse(value) as unknown[];
    return list.some((entry) => typeof entry === "string" && (entry.trim() === "*" || entry.trim() === pkg));
  }

  private answer(
    urn: string,
    type: string,
    name: string,
    custom: boolean,
    inputs: Record<string, unknown>,
    provider: RegisteredResource | undefined,
  ): { id: string; outputs: Record<string, unknown> } {
    if (!custom) return { id: "", outputs: { ...inputs } };
    if (type.startsWith(PROVIDER_TYPE_PREFIX))
      return { id: this.preview ? UNKNOWN : uuidOf(urn), outputs: { ...inputs } };
    const where = placeOf(inputs, provider);
    const computed = computedOutputs(type, name, urn, inputs, where);
    if (this.preview) {
      const outputs: Record<string, unknown> = { ...inputs };
      for (const key of Object.keys(computed)) if (!(key in inputs)) outputs[key] = UNKNOWN;
      return { id: "", outputs };
    }
    const { id, ...rest } = computed;
    return { id: String(id), outputs: { ...rest, ...inputs } };
  }
}

// ---------------------------------------------------------------------------------------------------------
// What AWS would assign in an update
// ---------------------------------------------------------------------------------------------------------

interface Place {
  readonly account: string;
  readonly region: string;
  readonly partition: string;
}

/** The resource's own `region` input, else its provider's; the account its provider is locked to. */
function placeOf(inputs: Record<string, unknown>, provider: RegisteredResource | undefined): Place {
  const providerInputs = provider ? (plain(provider.inputs) as Record<string, unknown>) : {};
  const region = stringOr(inputs.region, stringOr(providerInputs.region, "us-east-1"));
  let account = "123456789012";
  const allowed = parseMaybeJson(providerInputs.allowedAccountIds);
  if (Array.isArray(allowed) && typeof allowed[0] === "string") account = allowed[0];
  const partition = region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws";
  return { account, region, partition };
}

/** Properties the AWS provider computes, shaped as AWS shapes them; `id` is the resource's id. */
function computedOutputs(
  type: string,
  name: string,
  urn: string,
  inputs: Record<string, unknown>,
  at: Place,
): Record<string, unknown> {
  const { account, region, partition } = at;
  const hash = hashOf(urn);
  const autoName = `${name}-${hash.slice(0, 7)}`;
  const given = (key: string) =>
    typeof inputs[key] === "string" && inputs[key] !== UNKNOWN ? (inputs[key] as string) : undefined;
  switch (type) {
    case "aws:kms/key:Key": {
      const keyId = uuidOf(urn);
      return { id: keyId, keyId, arn: `arn:${partition}:kms:${region}:${account}:key/${keyId}` };
    }
    case "aws:kms/alias:Alias": {
      const aliasName = given("name") ?? `alias/${autoName}`;
      return { id: aliasName, name: aliasName, arn: `arn:${partition}:kms:${region}:${account}:${aliasName}` };
    }
    case "aws:s3/bucket:Bucket": {
      const bucket = given("bucket") ?? autoName;
      return {
        id: bucket,
        bucket,
        arn: `arn:${partition}:s3:::${bucket}`,
        bucketDomainName: `${bucket}.s3.amazonaws.com`,
        bucketRegionalDomainName: `${bucket}.s3.${region}.amazonaws.com`,
        hostedZoneId: "Z3NHGSIKTF2TB",
        region,
      };
    }
    case "aws:iam/role:Role": {
      const roleName = given("name") ?? autoName;
      return {
        id: roleName,
        name: roleName,
        arn: `arn:${partition}:iam::${account}:role${given("path") ?? "/"}${roleName}`,
        uniqueId: `AROA${hash.slice(0, 17).toUpperCase()}`,
      };
    }
    case "aws:iam/rolePolicy:RolePolicy": {
      const policyName = given("name") ?? autoName;
      return { id: `${given("role") ?? "role"}:${policyName}`, name: policyName };
    }
    case "aws:sns/topic:Topic": {
      const topicName = given("name") ?? autoName;
      const arn = `arn:${partition}:sns:${region}:${account}:${topicName}`;
      return { id: arn, name: topicName, arn, owner: account };
    }
    case "aws:sns/topicPolicy:TopicPolicy":
      return { id: given("arn") ?? autoName, owner: account };
    case "aws:cloudwatch/metricAlarm:MetricAlarm": {
      const alarmName = given("name") ?? autoName;
      return {
        id: alarmName,
        name: alarmName,
        arn: `arn:${partition}:cloudwatch:${region}:${account}:alarm:${alarmName}`,
      };
    }
    default:
      // The S3 bucket sub-resources (versioning, encryption, policy, ...) are identified by their bucket.
      if (type.startsWith("aws:s3/bucket")) return { id: given("bucket") ?? autoName };
      return { id: `${name}-${hash.slice(0, 8)}` };
  }
}

function hashOf(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function uuidOf(text: string): string {
  const h = hashOf(text);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === "string" && value !== "" && value !== UNKNOWN ? value : fallback;
}

function parseMaybeJson(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Reading what was recorded
// ---------------------------------------------------------------------------------------------------------

/**
 * A wire value without the SDK's wrappers: a secret becomes its value, an output value its value (UNKNOWN
 * when it has none), a resource reference its URN. Unknowns stay UNKNOWN.
 */
export function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    const sig = record[SIG_KEY];
    if (sig === SECRET_SIG) return plain(record.value);
    if (sig === OUTPUT_VALUE_SIG) return "value" in record ? plain(record.value) : UNKNOWN;
    if (sig === RESOURCE_SIG) return record.urn;
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

/** Whether a wire value is or contains an unknown. */
export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value !== null && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}

/** The logical name in a URN (its last `::` segment). */
export function nameOfUrn(urn: string): string {
  return urn.split("::").at(-1) ?? "";
}

/** The type in a URN (the last `$` segment of its qualified type). */
export function typeOfUrn(urn: string): string {
  return urn.split("::")[2]?.split("$").at(-1) ?? "";
}
