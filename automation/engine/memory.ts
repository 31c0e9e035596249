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
import { NO_CHANGES } from "./engine";
import { StackError } from "./errors";

/**
 * An Engine without Pulumi, for orchestration tests and the rollout benchmark: per-stack latency,
 * scripted failures, drift and outputs; it records every call and the maximum operations in flight.
 */

export type MemoryOperation =
  | "preview"
  | "up"
  | "destroy"
  | "drift"
  | "outputs"
  | "remove"
  | "open"
  | "tags"
  | "setTag";

export interface MemoryStackScript {
  /** Latency of preview/up/destroy/drift in ms (default: the engine's). */
  readonly latencyMs?: number;
  /** Operations that fail, with the raw error text the CLI would print. */
  readonly fail?: Partial<Record<MemoryOperation, string>>;
  /** Tags the stack has in the backend before the run. */
  readonly tags?: Readonly<Record<string, string>>;
  /** Counts a drift (refresh preview) reports. */
  readonly drift?: ChangeCounts;
  /** Counts a preview or up reports. */
  readonly changes?: ChangeCounts;
  /** Outputs an up produces. */
  readonly outputs?: StackOutputs;
  /** URNs a destroy keeps because they are protected. */
  readonly protectedUrns?: readonly string[];
}

export interface MemoryCall {
  readonly stack: string;
  readonly operation: MemoryOperation;
  readonly at: number;
}

export interface MemoryEngineOptions {
  /** Stacks that exist in the backend before the run. */
  readonly existing?: readonly string[];
  readonly latencyMs?: number;
  readonly stacks?: Readonly<Record<string, MemoryStackScript>>;
  /** listStacks fails with this text (backend unreachable). */
  readonly listFailure?: string;
  /** Latency of reading or setting a stack tag in ms (a CLI call against the backend; default 0). */
  readonly tagLatencyMs?: number;
  /** installPlugins fails with this text (no network, no such version). */
  readonly pluginFailure?: string;
}

export class MemoryEngine implements Engine {
  readonly calls: MemoryCall[] = [];
  readonly existing: Set<string>;
  /** The program's environment as the driver set it (Engine.setProgramEnv). */
  readonly programEnv: Record<string, string> = {};
  readonly outputs = new Map<string, StackOutputs>();
  /** Tags per stack, as the backend keeps them (removing a stack removes its tags). */
  readonly tags = new Map<string, Record<string, string>>();
  inFlight = 0;
  maxInFlight = 0;
  private readonly started = Date.now();

  constructor(private readonly options: MemoryEngineOptions = {}) {
    this.existing = new Set(options.existing ?? []);
    for (const [name, script] of Object.entries(options.stacks ?? {})) {
      if (script.outputs && this.existing.has(name)) this.outputs.set(name, script.outputs);
      if (script.tags && this.existing.has(name)) this.tags.set(name, { ...script.tags });
    }
  }

  /** Calls of one operation, in order. */
  callsOf(operation: MemoryOperation): MemoryCall[] {
    return this.calls.filter((call) => call.operation === operation);
  }

  /** Plugins installed, one entry per installPlugins call. */
  readonly pluginInstalls: (readonly PluginSpec[])[] = [];

  async installPlugins(plugins: readonly PluginSpec[]): Promise<void> {
    if (this.options.pluginFailure !== undefined) throw new Error(this.options.pluginFailure);
    this.pluginInstalls.push(plugins);
  }

  setProgramEnv(env: Readonly<Record<string, string>>): void {
    Object.assign(this.programEnv, env);
  }

  async listStacks(): Promise<string[]> {
    if (this.options.listFailure !== undefined) throw new Error(this.options.listFailure);
    return [...this.existing];
  }

  async openStack(name: string, options: { create: boolean }): Promise<EngineStack> {
    this.record(name, "open");
    this.fail(name, "open");
    if (!this.existing.has(name)) {
      if (!options.create)
        throw new StackError(name, "select", `error: no stack named '${name}' found`, "not-deployed");
      this.existing.add(name);
    }
    return new MemoryStack(this, name);
  }

  async stackTags(name: string): Promise<Readonly<Record<string, string>>> {
    await this.tagCall(name, "tags");
    return { ...this.tags.get(name) };
  }

  async setStackTag(name: string, tag: string, value: string): Promise<void> {
    await this.tagCall(name, "setTag");
    this.tags.set(name, { ...this.tags.get(name), [tag]: value });
  }

  /** A tag call: recorded, takes tagLatencyMs, fails like the CLI for a missing stack or when scripted. */
  private async tagCall(name: string, operation: "tags" | "setTag"): Promise<void> {
    this.record(name, operation);
    if (this.options.tagLatencyMs) await sleep(this.options.tagLatencyMs, undefined, name, operation);
    if (!this.existing.has(name)) {
      throw new StackError(name, `stack tag`, `error: no stack named '${name}' found`, "not-deployed");
    }
    this.fail(name, operation);
  }

  script(name: string): MemoryStackScript {
    return this.options.stacks?.[name] ?? {};
  }

  record(stack: string, operation: MemoryOperation): void {
    this.calls.push({ stack, operation, at: Date.now() - this.started });
  }

  fail(stack: string, operation: MemoryOperation): void {
    const text = this.script(stack).fail?.[operation];
    if (text !== undefined) throw new StackError(stack, operation, text);
  }

  /** One engine operation: counted in flight, takes the stack's latency, abortable. */
  async operate(
    stack: string,
    operation: MemoryOperation,
    options: OperationOptions | undefined,
    counts: ChangeCounts,
  ): Promise<OperationResult> {
    this.record(stack, operation);
    const start = Date.now();
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      options?.onOutput?.(`${operation} ${stack}\n`);
      await sleep(this.script(stack).latencyMs ?? this.options.latencyMs ?? 0, options?.signal, stack, operation);
      this.fail(stack, operation);
      options?.onProgress?.(counts);
      return { counts, log: `${operation} ${stack}\n`, durationMs: Date.now() - start };
    } finally {
      this.inFlight -= 1;
    }
  }
}

class MemoryStack implements EngineStack {
  constructor(
    private readonly engine: MemoryEngine,
    readonly name: string,
  ) {}

  preview(options?: OperationOptions): Promise<OperationResult> {
    return this.engine.operate(this.name, "preview", options, this.engine.script(this.name).changes ?? NO_CHANGES);
  }

  async up(options?: OperationOptions): Promise<UpResult> {
    const result = await this.engine.operate(
      this.name,
      "up",
      options,
      this.engine.script(this.name).changes ?? NO_CHANGES,
    );
    const outputs = this.engine.script(this.name).outputs ?? {};
    this.engine.outputs.set(this.name, outputs);
    return { ...result, outputs };
  }

  async destroy(options?: OperationOptions): Promise<DestroyResult> {
    const result = await this.engine.operate(this.name, "destroy", options, NO_CHANGES);
    this.engine.outputs.delete(this.name);
    return { ...result, retained: this.engine.script(this.name).protectedUrns ?? [] };
  }

  drift(options?: OperationOptions): Promise<OperationResult> {
    return this.engine.operate(this.name, "drift", options, this.engine.script(this.name).drift ?? NO_CHANGES);
  }

  async outputs(): Promise<StackOutputs> {
    this.engine.record(this.name, "outputs");
    this.engine.fail(this.name, "outputs");
    return this.engine.outputs.get(this.name) ?? {};
  }

  async remove(): Promise<void> {
    this.engine.record(this.name, "remove");
    this.engine.fail(this.name, "remove");
    this.engine.existing.delete(this.name);
    this.engine.tags.delete(this.name);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined, stack: string, operation: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const cancelled = () => new StackError(stack, operation, "error: update canceled");
    if (signal?.aborted) return reject(cancelled());
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
