import {
  ConcurrentUpdateError,
  type EngineEvent,
  LocalWorkspace,
  type OpMap,
  type OutputMap,
  type PulumiCommand,
  Stack,
  StackAlreadyExistsError,
  StackNotFoundError,
} from "@pulumi/pulumi/automation";
import { type Backend, backendEnv, ensureLocalBackend } from "./backend";
import type {
  ChangeCounts,
  DestroyResult,
  Engine,
  EngineStack,
  OperationOptions,
  OperationResult,
  PluginSpec,
  StackOutputs,
  UpResult,
} from "./engine";
import { type FailureCategory, StackError } from "./errors";
import { isManaged, type ManagedPulumiCommand } from "./pulumi-process";

/**
 * The Engine over Pulumi's Automation API: one LocalWorkspace on the repository (the local program of
 * Pulumi.yaml, not an inline one), shared by every stack. The only module that touches Pulumi's classes.
 */

export interface AutomationEngineOptions {
  /** The directory holding Pulumi.yaml. */
  readonly workDir: string;
  readonly backend: Backend;
  readonly env: NodeJS.ProcessEnv;
  readonly pulumiCommand: PulumiCommand;
}

export async function createAutomationEngine(options: AutomationEngineOptions): Promise<Engine> {
  ensureLocalBackend(options.backend);
  const workspace = await LocalWorkspace.create({
    workDir: options.workDir,
    pulumiCommand: options.pulumiCommand,
    envVars: backendEnv(options.backend, options.env),
    ...(options.backend.secretsProvider ? { secretsProvider: options.backend.secretsProvider } : {}),
  });
  return new AutomationEngine(workspace, isManaged(options.pulumiCommand) ? options.pulumiCommand : undefined);
}

class AutomationEngine implements Engine {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly workspace: LocalWorkspace,
    /** Set when the CLI processes are ours to manage (locatePulumiCli): cancel at once, kill on demand. */
    private readonly processes?: ManagedPulumiCommand,
  ) {}

  /** How long an abort waits before it reaches the CLI (see FORWARD_ABORT_AFTER_MS). */
  get forwardAfterMs(): number {
    return this.processes ? 0 : FORWARD_ABORT_AFTER_MS;
  }

  terminate(): number {
    return this.processes?.terminateAll() ?? 0;
  }

  /**
   * `stack select`/`stack init` rewrite workspace files: run them one at a time, while
   * operations (which name their stack with --stack) run concurrently.
   */
  serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  async installPlugins(plugins: readonly PluginSpec[]): Promise<void> {
    for (const plugin of plugins) {
      await this.serial(() =>
        wrap(`plugin ${plugin.name}`, "plugin install", () =>
          this.workspace.installPlugin(plugin.name, plugin.version, "resource"),
        ),
      );
    }
  }

  setProgramEnv(env: Readonly<Record<string, string>>): void {
    // LocalWorkspace passes its envVars to every CLI it runs, and the CLI to the program.
    Object.assign(this.workspace.envVars, env);
  }

  async listStacks(): Promise<string[]> {
    const stacks = await this.workspace.listStacks();
    // Some backends qualify names (`organization/org-s3-backup/central`).
    return stacks.map((summary) => summary.name.split("/").pop() ?? summary.name);
  }

  async openStack(name: string, options: { create: boolean }): Promise<EngineStack> {
    const stack = await this.serial(() =>
      wrap(name, "select", () =>
        options.create ? Stack.createOrSelect(name, this.workspace) : Stack.select(name, this.workspace),
      ),
    );
    return new AutomationStack(stack, this);
  }

  async stackTags(name: string): Promise<Readonly<Record<string, string>>> {
    return (await wrap(name, "stack tag ls", () => this.workspace.listTags(name))) ?? {};
  }

  setStackTag(name: string, tag: string, value: string): Promise<void> {
    return wrap(name, "stack tag set", () => this.workspace.setTag(name, tag, value));
  }
}

class AutomationStack implements EngineStack {
  readonly name: string;

  constructor(
    private readonly stack: Stack,
    private readonly engine: AutomationEngine,
  ) {
    this.name = stack.name;
  }

  preview(options?: OperationOptions): Promise<OperationResult> {
    return timed(
      this.name,
      "preview",
      options,
      async (callbacks) => countsFromOpMap((await this.stack.preview(callbacks)).changeSummary),
      this.engine.forwardAfterMs,
    );
  }

  async up(options?: OperationOptions): Promise<UpResult> {
    let outputs: OutputMap = {};
    const result = await timed(
      this.name,
      "up",
      options,
      async (callbacks) => {
        const up = await this.stack.up(callbacks);
        outputs = up.outputs;
        return countsFromOpMap(up.summary?.resourceChanges);
      },
      this.engine.forwardAfterMs,
    );
    return { ...result, outputs: plainOutputs(outputs) };
  }

  async destroy(options?: OperationOptions): Promise<DestroyResult> {
    const result = await timed(
      this.name,
      "destroy",
      options,
      async (callbacks) =>
        countsFromOpMap((await this.stack.destroy({ ...callbacks, excludeProtected: true })).summary?.resourceChanges),
      this.engine.forwardAfterMs,
    );
    const state = await wrap(this.name, "stack export", () => this.stack.exportStack());
    return { ...result, retained: protectedUrns(state.deployment) };
  }

  drift(options?: OperationOptions): Promise<OperationResult> {
    return timed(
      this.name,
      "refresh --preview-only",
      options,
      async (callbacks) => countsFromOpMap((await this.stack.previewRefresh(callbacks)).changeSummary),
      this.engine.forwardAfterMs,
    );
  }

  async outputs(): Promise<StackOutputs> {
    return plainOutputs(await wrap(this.name, "stack output", () => this.stack.outputs()));
  }

  remove(): Promise<void> {
    return this.engine.serial(() =>
      wrap(this.name, "stack rm", () => this.stack.workspace.removeStack(this.name, { force: true })),
    );
  }
}

interface Callbacks {
  signal: AbortSignal;
  onOutput: (chunk: string) => void;
  onError: (chunk: string) => void;
  onEvent: (event: EngineEvent) => void;
}

/**
 * How long an abort waits before signalling a CLI that shares the driver's process group (the SDK's own
 * PulumiCommand, a test's fake). Ctrl-C in a terminal reaches such `pulumi` children too; a second
 * SIGINT from us would make the CLI terminate at once instead of cancelling cleanly, leaving the stack
 * locked. So the abort only reaches a CLI that has not announced "^C received" by then. The CLIs of a
 * ManagedPulumiCommand run in their own process groups and receive no signal but ours: no wait.
 */
export const FORWARD_ABORT_AFTER_MS = 500;

/** Runs one operation with output capture, progress from engine events, timing and error wrapping. */
export async function timed(
  name: string,
  operation: string,
  options: OperationOptions | undefined,
  work: (callbacks: Callbacks) => Promise<ChangeCounts>,
  forwardAfterMs = FORWARD_ABORT_AFTER_MS,
): Promise<OperationResult> {
  // An operation asked for after the run was cancelled never starts (the SDK would start it: it listens
  // for an abort that has already happened).
  if (options?.signal?.aborted)
    throw new StackError(name, operation, `error: ${operation} not started: the run was cancelled before it began`);
  const start = Date.now();
  let log = "";
  let cliCancelling = false;
  const onOutput = (chunk: string) => {
    log += chunk;
    if (chunk.includes("^C received")) cliCancelling = true;
    options?.onOutput?.(chunk);
  };
  const forward = new AbortController();
  let forwardTimer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    if (forwardAfterMs <= 0) forward.abort();
    else
      forwardTimer = setTimeout(() => {
        if (!cliCancelling) forward.abort();
      }, forwardAfterMs);
  };
  options?.signal?.addEventListener("abort", onAbort, { once: true });
  const done: Record<keyof ChangeCounts, number> = { create: 0, update: 0, delete: 0, same: 0 };
  const onEvent = (event: EngineEvent) => {
    const metadata = event.resOutputsEvent?.metadata;
    if (!metadata || metadata.type === "pulumi:pulumi:Stack") return;
    const bucket = bucketOf(metadata.op);
    if (bucket === undefined) return;
    done[bucket] += 1;
    options?.onProgress?.({ ...done });
  };
  try {
    const counts = await wrap(name, operation, () =>
      work({ signal: forward.signal, onOutput, onError: onOutput, onEvent }),
    );
    return { counts, log, durationMs: Date.now() - start };
  } finally {
    clearTimeout(forwardTimer);
    options?.signal?.removeEventListener("abort", onAbort);
  }
}

export async function wrap<T>(name: string, operation: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new StackError(name, operation, error instanceof Error ? error.message : String(error), categoryOf(error));
  }
}

/** What the Automation API's typed errors mean; undefined leaves the text to errors.ts. */
export function categoryOf(error: unknown): FailureCategory | undefined {
  if (error instanceof ConcurrentUpdateError) return "locked";
  if (error instanceof StackNotFoundError) return "not-deployed";
  if (error instanceof StackAlreadyExistsError) return "conflict";
  return undefined;
}

function bucketOf(op: string): keyof ChangeCounts | undefined {
  switch (op) {
    case "create":
    case "import":
      return "create";
    case "update":
    case "replace":
      return "update";
    case "delete":
      return "delete";
    case "same":
      return "same";
    default:
      return undefined;
  }
}

/** Pulumi's per-operation counts folded into create / update (incl. replace) / delete / same. */
export function countsFromOpMap(map: OpMap | undefined): ChangeCounts {
  const counts: Record<keyof ChangeCounts, number> = { create: 0, update: 0, delete: 0, same: 0 };
  for (const [op, count] of Object.entries(map ?? {})) {
    const bucket = bucketOf(op);
    if (bucket !== undefined) counts[bucket] += count ?? 0;
  }
  return counts;
}

export function plainOutputs(outputs: OutputMap): StackOutputs {
  return Object.fromEntries(
    Object.entries(outputs).map(([key, output]) => [key, { value: output.value, secret: output.secret }]),
  );
}

/** URNs of the protected resources left in an exported deployment. */
export function protectedUrns(deployment: unknown): string[] {
  const resources =
    (deployment as { resources?: Array<{ urn?: string; protect?: boolean }> } | undefined)?.resources ?? [];
  return resources
    .filter((resource) => resource.protect === true && typeof resource.urn === "string")
    .map((resource) => resource.urn as string);
}
