/**
 * The driver's view of Pulumi: what orchestration (run.ts) needs from a deployment engine, and nothing
 * about Pulumi's classes. engine-automation.ts implements it over the Automation API, engine-memory.ts
 * in memory for tests and benchmarks.
 */

/** Fully qualified config keys (`org-s3-backup:inventory`) to plain-text values. */
export type StackConfig = Readonly<Record<string, string>>;

export interface ChangeCounts {
  readonly create: number;
  /** Updates and replacements. */
  readonly update: number;
  readonly delete: number;
  readonly same: number;
}

export const NO_CHANGES: ChangeCounts = { create: 0, update: 0, delete: 0, same: 0 };

export interface StackOutput {
  readonly value: unknown;
  readonly secret: boolean;
}
export type StackOutputs = Readonly<Record<string, StackOutput>>;

export interface OperationResult {
  readonly counts: ChangeCounts;
  /** Everything the engine printed for this operation. */
  readonly log: string;
  readonly durationMs: number;
}

export interface UpResult extends OperationResult {
  readonly outputs: StackOutputs;
}

export interface DestroyResult extends OperationResult {
  /** URNs of protected resources that were kept (they hold data). */
  readonly retained: readonly string[];
}

export interface OperationOptions {
  /** Aborting asks the engine to stop the operation gracefully (the CLI gets SIGINT). */
  readonly signal?: AbortSignal;
  /** Raw engine output, as it comes. */
  readonly onOutput?: (chunk: string) => void;
  /** Resource steps completed so far. */
  readonly onProgress?: (counts: ChangeCounts) => void;
}

export interface EngineStack {
  readonly name: string;
  preview(options?: OperationOptions): Promise<OperationResult>;
  up(options?: OperationOptions): Promise<UpResult>;
  /** Destroys every resource except protected ones (`--exclude-protected`); the stack itself stays. */
  destroy(options?: OperationOptions): Promise<DestroyResult>;
  /** Refresh in preview mode: counts what differs between the state and the cloud; changes nothing. */
  drift(options?: OperationOptions): Promise<OperationResult>;
  outputs(): Promise<StackOutputs>;
  /** Deletes the stack's state and configuration (`stack rm --force`); cloud resources are untouched. */
  remove(): Promise<void>;
}

/** A provider plugin the program needs, at the version the lockfile pins (`aws`, `v7.48.0`). */
export interface PluginSpec {
  readonly name: string;
  readonly version: string;
}

export interface Engine {
  /** Names of the project's stacks that exist in the backend. */
  listStacks(): Promise<string[]>;
  /**
   * Kills every running engine process at once (a second Ctrl-C: exit now). Returns how many were
   * running. Absent where there are no processes (the in-memory engine).
   */
  terminate?(): number;
  /**
   * Installs the provider plugins once, before stacks run concurrently: concurrent CLIs fetching and
   * unpacking the same plugin interfere (pulumi/pulumi#22784). A plugin already present costs a check.
   */
  installPlugins(plugins: readonly PluginSpec[]): Promise<void>;
  /**
   * Environment variables every stack's program sees from now on: the workspace's environment, the same
   * for every stack of a run. The driver passes the program what it needs this way, so that it writes no
   * per-stack config file (`Pulumi.<stack>.yaml`).
   */
  setProgramEnv(env: Readonly<Record<string, string>>): void;
  /**
   * Selects a stack, creating it first when `create` is set (and it does not exist). Implementations
   * serialise this: selecting stacks in parallel corrupts the workspace.
   */
  openStack(name: string, options: { create: boolean }): Promise<EngineStack>;
  /**
   * The stack's tags as the backend keeps them (`stack tag ls`), where the driver records the
   * desired-state fingerprint of a stack's last successful up. Reading does not select the stack.
   */
  stackTags(name: string): Promise<Readonly<Record<string, string>>>;
  /** Sets one tag of an existing stack (`stack tag set`). */
  setStackTag(name: string, tag: string, value: string): Promise<void>;
}
