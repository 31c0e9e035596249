import type { Inventory } from "../../config/types";
import { type FailureTolerance, mapBounded, runBounded, toleratedFailures } from "./concurrency";
import type { ChangeCounts, Engine, EngineStack, OperationOptions, StackConfig, StackOutputs } from "../engine/engine";
import { NO_CHANGES } from "../engine/engine";
import { CATEGORY_LABEL, describeFailure, type Failure } from "../engine/errors";
import type { StackChanges } from "./fingerprint";
import type { StackPlan } from "./plan";
import { accountIdOfStack, CENTRAL_NOT_DEPLOYED, CENTRAL_STACK, ProgramEnv } from "../../infra/contract";
import type { Selection } from "./selection";
import { formatDuration } from "./summary";
import {
  type CentralOutputs,
  centralStackConfig,
  provisionalCentralOutputs,
  readCentralOutputs,
  sourceStackConfig,
} from "./stack-config";

/**
 * Orchestration: central first, then the sources (which read its outputs through a StackReference) with
 * bounded concurrency and failure tolerance. Knows the Engine interface only, never Pulumi's classes.
 * No stack config is written: the program learns the inventory path, and that the central stack is not
 * deployed yet, from the workspace's environment (infra/contract.ts ProgramEnv).
 */

export type Operation = "preview" | "up" | "destroy" | "drift" | "outputs";
/** What was done to one stack: the command's operation, or `prune` for an orphan. */
export type Action = Operation | "prune";
export type StackRole = "central" | "source" | "orphan";
/**
 * `absent`: the stack does not exist in the backend and the action had nothing to do (destroy, outputs).
 * `skipped`: not run because of an earlier failure, the failure tolerance or an interruption (an interrupted
 *   stack never starts its operation, even when its set-up was under way).
 * `timed-out`: its operation ran longer than the stack timeout and was cancelled (the others went on).
 * `unchanged`: not run because its desired-state fingerprint matches its last successful up (changed-only).
 */
export type StackStatus =
  | "succeeded"
  | "drifted"
  | "failed"
  | "skipped"
  | "cancelled"
  | "absent"
  | "timed-out"
  | "unchanged";

export interface StackResult {
  readonly stack: string;
  readonly accountId: string;
  readonly accountName: string;
  readonly role: StackRole;
  readonly action: Action;
  readonly status: StackStatus;
  readonly counts: ChangeCounts;
  readonly durationMs: number;
  readonly failure?: Failure;
  /** Why a stack was skipped or absent. */
  readonly reason?: string;
  /** What the user should know about an otherwise fine result. */
  readonly notes: readonly string[];
  readonly outputs?: StackOutputs;
  /** Protected resources a destroy or prune kept. */
  readonly retained?: readonly string[];
}

export interface RunReport {
  readonly operation: Operation;
  /** Central first, then sources in inventory order, then orphans. */
  readonly results: readonly StackResult[];
  readonly interrupted: boolean;
  /**
   * Stacks whose locking operation (up, destroy, prune) was cancelled, timed out, or whose CLI died (a
   * signal, an exit without an error line): they may still hold the backend lock.
   */
  readonly mayHoldLock: readonly string[];
  readonly durationMs: number;
}

export interface RunObserver {
  /** How many stacks the run has, before the first starts (a done/total counter). */
  planned?(total: number): void;
  started(stack: string, action: Action): void;
  output(stack: string, chunk: string): void;
  progress(stack: string, counts: ChangeCounts): void;
  finished(result: StackResult): void;
}

export interface RunRequest {
  readonly operation: Operation;
  readonly inventory: Inventory;
  /** Absolute path of the inventory the program reads (ProgramEnv.inventory). */
  readonly inventoryPath: string;
  readonly selection: Selection;
  /** Stacks that exist in the backend (Engine.listStacks). */
  readonly existingStacks: readonly string[];
  /** Orphan stacks to destroy and remove (up --prune). */
  readonly prune?: readonly string[];
  readonly concurrency: number;
  readonly tolerance: FailureTolerance;
  readonly signal?: AbortSignal;
  /** Each stack's set-up and operation together; past it the operation is cancelled, the stack `timed-out`. */
  readonly stackTimeoutMs?: number;
  readonly observer?: RunObserver;
  /**
   * Changed-only runs (fingerprint.ts): preview/up skip the stacks whose recorded fingerprint matches;
   * up records it, and up/destroy invalidate it before changing a stack. Without it every stack runs.
   */
  readonly changes?: StackChanges;
}

interface Task {
  readonly name: string;
  readonly accountId: string;
  readonly accountName: string;
  readonly role: StackRole;
  readonly action: Action;
  /**
   * What the program takes from outside the inventory (the inventory path; for a source, the central
   * outputs it will read): part of the stack's desired-state fingerprint, never written as stack config.
   */
  readonly inputs?: StackConfig;
  readonly notes?: readonly string[];
}

const SILENT: RunObserver = { started() {}, output() {}, progress() {}, finished() {} };
/** Fingerprint checks at once: each is a short CLI call reading a stack tag, not a provider process. */
const CHECK_CONCURRENCY = 16;
const LOCKING_ACTIONS: ReadonlySet<Action> = new Set(["up", "destroy", "prune"]);

export async function runStacks(engine: Engine, request: RunRequest): Promise<RunReport> {
  const start = Date.now();
  const observer = request.observer ?? SILENT;
  const existing = new Set(request.existingStacks);
  const results = new Map<string, StackResult>();
  const { selection, operation } = request;
  engine.setProgramEnv({ [ProgramEnv.inventory]: request.inventoryPath });

  const finish = (result: StackResult): StackResult => {
    results.set(result.stack, result);
    observer.finished(result);
    return result;
  };
  /**
   * Fingerprints are recorded while the run goes on (rendering one takes ~50 ms of this process, the
   * first a second more to load the program): the central stack's does not hold back the sources. The
   * run awaits them all before it reports; a note joins the stack's result when one was not recorded.
   */
  const recordings: Promise<void>[] = [];
  const record = (changes: StackChanges, task: Task, result: StackResult) => {
    recordings.push(
      changes.record(engine, task.name, task.inputs).then((note) => {
        if (note) results.set(task.name, { ...result, notes: [...result.notes, note] });
      }),
    );
  };
  const skip = (task: Task, reason: string, status: StackStatus = "skipped") =>
    finish({ ...base(task), status, reason, counts: NO_CHANGES, durationMs: 0 });
  /** Stacks whose locking operation was cancelled, timed out or lost its CLI: they may hold the lock. */
  const lockSuspects = new Set<string>();

  const execute = async (task: Task): Promise<StackResult> => {
    const creates = task.action === "preview" || task.action === "up";
    if (!creates && !existing.has(task.name)) {
      return task.action === "drift"
        ? finish({
            ...base(task),
            status: "failed",
            counts: NO_CHANGES,
            durationMs: 0,
            failure: notDeployed(task.name),
          })
        : skip(task, "not deployed", "absent");
    }
    observer.started(task.name, task.action);
    const began = Date.now();
    const stop = stackStop(request.signal, request.stackTimeoutMs);
    const options: OperationOptions = {
      signal: stop.signal,
      onOutput: (chunk) => observer.output(task.name, chunk),
      onProgress: (counts) => observer.progress(task.name, counts),
    };
    // Checked after every set-up step: an interrupted or timed-out stack never starts its operation.
    const halted = (): StackResult | undefined => {
      if (!stop.signal.aborted) return undefined;
      const reason = stop.timedOut()
        ? `timed out after ${formatDuration(request.stackTimeoutMs ?? 0)} during set-up: ${task.action} not started`
        : `interrupted: ${task.action} not started`;
      return finish({
        ...base(task),
        status: stop.timedOut() ? "timed-out" : "skipped",
        reason,
        counts: NO_CHANGES,
        durationMs: Date.now() - began,
      });
    };
    let operating = false;
    try {
      const before = halted();
      if (before) return before;
      const stack = await engine.openStack(task.name, { create: creates });
      existing.add(task.name);
      const selected = halted();
      if (selected) return selected;
      if (request.changes && (task.action === "up" || task.action === "destroy")) {
        await request.changes.invalidate(engine, task.name);
      }
      const ready = halted();
      if (ready) return ready;
      operating = true;
      const operation = perform(stack, task.action, options);
      if (request.changes && task.action === "up") request.changes.prepare(task.name, task.inputs);
      const outcome = await operation;
      if (task.action === "prune") existing.delete(task.name);
      const result = finish({ ...base(task), ...outcome, durationMs: Date.now() - began });
      if (request.changes && task.action === "up") record(request.changes, task, result);
      return result;
    } catch (error) {
      if (!operating) {
        const interrupted = halted();
        if (interrupted) return interrupted;
      }
      const failure = describeFailure(error);
      const status: StackStatus = stop.timedOut() ? "timed-out" : stop.signal.aborted ? "cancelled" : "failed";
      if (operating && LOCKING_ACTIONS.has(task.action) && (status !== "failed" || failure.category === "cli-died"))
        lockSuspects.add(task.name);
      return finish({
        ...base(task),
        status,
        counts: NO_CHANGES,
        durationMs: Date.now() - began,
        failure,
        ...(status === "timed-out"
          ? { reason: `timed out after ${formatDuration(request.stackTimeoutMs ?? 0)}: ${task.action} cancelled` }
          : {}),
      });
    } finally {
      stop.dispose();
    }
  };

  /** Changed-only: finishes the tasks whose recorded fingerprint matches as unchanged; returns the rest. */
  const changedOnly = async (tasks: readonly Task[]): Promise<Task[]> => {
    const { changes } = request;
    if (!changes) return [...tasks];
    const checks = await mapBounded(tasks, Math.max(request.concurrency, CHECK_CONCURRENCY), (task) =>
      task.role === "orphan" || !existing.has(task.name) || request.signal?.aborted
        ? Promise.resolve({ skip: false as const, notes: [] })
        : changes.check(engine, task.name, task.inputs),
    );
    return tasks.flatMap((task, i) => {
      const check = checks[i];
      if (check.skip) {
        finish({ ...base(task), status: "unchanged", reason: check.reason, counts: NO_CHANGES, durationMs: 0 });
        return [];
      }
      return [check.notes.length > 0 ? { ...task, notes: [...(task.notes ?? []), ...check.notes] } : task];
    });
  };

  const central = centralTask(selection.centralPlan, operation, request.inventoryPath);
  const sources = selection.sources.map((plan) => sourceTask(plan, operation));
  const orphans = (request.prune ?? []).map(orphanTask);
  observer.planned?.(
    operation === "destroy"
      ? sources.length + (selection.central && selection.centralNamed ? 1 : 0)
      : (selection.central ? 1 : 0) +
          sources.length +
          (operation === "up" || operation === "preview" ? orphans.length : 0),
  );

  if (operation === "preview" || operation === "up") {
    let centralResult: StackResult | undefined;
    if (selection.central) {
      const [changed] = await changedOnly([central]);
      centralResult = changed ? await execute(changed) : results.get(central.name);
    }
    const feed = await centralFeed(engine, request, existing, centralResult);
    const pending = [...sources, ...orphans];
    if (!feed.ok) {
      for (const task of pending) skip(task, feed.reason);
    } else {
      if (feed.provisional) engine.setProgramEnv({ [ProgramEnv.central]: CENTRAL_NOT_DEPLOYED });
      const withInputs = pending.map((task) =>
        task.role === "source"
          ? {
              ...task,
              inputs: sourceStackConfig(request.inventoryPath, feed.outputs),
              notes: feed.note ? [feed.note] : [],
            }
          : task,
      );
      await pool(await changedOnly(withInputs), request, execute, skip);
    }
  } else if (operation === "destroy") {
    await pool(sources, request, execute, skip);
    if (selection.central && selection.centralNamed) {
      const remaining = request.existingStacks.filter(
        (name) => accountIdOfStack(name) !== undefined && results.get(name)?.status !== "succeeded",
      );
      if (request.signal?.aborted) skip(central, "interrupted");
      else if (remaining.length > 0)
        skip(central, `source stacks still deployed (${remaining.join(", ")}): destroy them first`);
      else await execute(central);
    }
  } else {
    await pool(selection.central ? [central, ...sources] : sources, request, execute, skip);
  }

  await Promise.all(recordings);
  const ordered = [central, ...sources, ...orphans].flatMap((task) => results.get(task.name) ?? []);
  return {
    operation,
    results: ordered,
    interrupted: request.signal?.aborted ?? false,
    mayHoldLock: ordered.filter((r) => lockSuspects.has(r.stack)).map((r) => r.stack),
    durationMs: Date.now() - start,
  };
}

/**
 * Runs tasks with at most `concurrency` in flight. Once failures exceed the tolerance (or the run is
 * interrupted) no new task starts; running ones finish; the rest are reported as skipped.
 */
async function pool(
  tasks: readonly Task[],
  request: RunRequest,
  execute: (task: Task) => Promise<StackResult>,
  skip: (task: Task, reason: string) => StackResult,
): Promise<void> {
  const tolerated = toleratedFailures(request.tolerance, tasks.length);
  let failures = 0;
  const stopReason = (): string | undefined => {
    if (request.signal?.aborted) return "interrupted";
    if (failures > tolerated) return `failure tolerance exceeded (${failures} failed, ${tolerated} tolerated)`;
    return undefined;
  };
  const { started } = await runBounded(
    tasks,
    request.concurrency,
    async (task) => {
      const result = await execute(task);
      if (result.status === "failed" || result.status === "timed-out") failures += 1;
      return result;
    },
    () => stopReason() !== undefined,
  );
  const reason = stopReason() ?? "not started";
  for (const task of tasks.slice(started)) skip(task, reason);
}

/** `provisional`: stand-ins from the inventory; the sources' program is told the central stack is not deployed. */
type CentralFeed =
  | { ok: true; outputs: CentralOutputs; note?: string; provisional?: boolean }
  | { ok: false; reason: string };

/**
 * The central outputs sources are configured with. An up needs the real ones; a preview uses what is
 * deployed, else stand-ins from the inventory (a source preview must work before central exists).
 */
async function centralFeed(
  engine: Engine,
  request: RunRequest,
  existing: ReadonlySet<string>,
  centralResult: StackResult | undefined,
): Promise<CentralFeed> {
  const up = request.operation === "up";
  if (request.signal?.aborted) return { ok: false, reason: "interrupted" };
  if (up && centralResult && centralResult.status !== "succeeded" && centralResult.status !== "unchanged") {
    return { ok: false, reason: "central stack failed" };
  }
  const deployed = centralResult?.outputs
    ? { ok: true as const, outputs: centralResult.outputs }
    : existing.has(CENTRAL_STACK)
      ? await readOutputs(engine)
      : { ok: true as const, outputs: undefined };
  if (!deployed.ok && up) return deployed;
  const read = deployed.ok && deployed.outputs ? readCentralOutputs(deployed.outputs) : undefined;
  if (read?.ok) return { ok: true, outputs: read.value };
  if (up) {
    const missing = read ? `lacks outputs ${read.missing.join(", ")}` : "is not deployed";
    return { ok: false, reason: `central stack ${missing}: run \`up\` with the central stack first` };
  }
  const provisional = provisionalCentralOutputs(request.inventory);
  const note = deployed.ok ? provisional.note : `${deployed.reason}; ${provisional.note}`;
  return { ok: true, outputs: provisional.outputs, note, provisional: true };
}

/**
 * The deployed central stack's outputs; undefined when it does not exist. Any other failure (a
 * passphrase, a lock, the network) is the real cause and is reported as such, never as "not deployed".
 */
async function readOutputs(
  engine: Engine,
): Promise<{ ok: true; outputs: StackOutputs | undefined } | { ok: false; reason: string }> {
  try {
    return { ok: true, outputs: await (await engine.openStack(CENTRAL_STACK, { create: false })).outputs() };
  } catch (error) {
    const failure = describeFailure(error);
    if (failure.category === "not-deployed") return { ok: true, outputs: undefined };
    const cause = failure.excerpt[0] ?? "no output";
    return {
      ok: false,
      reason: `could not read the central stack's outputs (${CATEGORY_LABEL[failure.category]}): ${cause}`,
    };
  }
}

async function perform(
  stack: EngineStack,
  action: Action,
  options: OperationOptions,
): Promise<Omit<StackResult, keyof ReturnType<typeof base> | "durationMs">> {
  switch (action) {
    case "preview": {
      const result = await stack.preview(options);
      return { status: "succeeded", counts: result.counts };
    }
    case "up": {
      const result = await stack.up(options);
      return { status: "succeeded", counts: result.counts, outputs: result.outputs };
    }
    case "destroy": {
      const result = await stack.destroy(options);
      return { status: "succeeded", counts: result.counts, retained: result.retained };
    }
    case "prune": {
      const result = await stack.destroy(options);
      await stack.remove();
      return { status: "succeeded", counts: result.counts, retained: result.retained };
    }
    case "drift": {
      const { counts } = await stack.drift(options);
      return { status: counts.create + counts.update + counts.delete > 0 ? "drifted" : "succeeded", counts };
    }
    case "outputs":
      return { status: "succeeded", counts: NO_CHANGES, outputs: await stack.outputs() };
  }
}

/** The signal one stack's work runs under: the run's, and its own timeout. */
function stackStop(
  run: AbortSignal | undefined,
  timeoutMs: number | undefined,
): { signal: AbortSignal; timedOut(): boolean; dispose(): void } {
  const controller = new AbortController();
  let timedOut = false;
  const onRunAbort = () => controller.abort();
  if (run?.aborted) controller.abort();
  else run?.addEventListener("abort", onRunAbort, { once: true });
  const timer =
    timeoutMs !== undefined && timeoutMs > 0
      ? setTimeout(() => {
          timedOut = true;
          controller.abort();
        }, timeoutMs)
      : undefined;
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    dispose() {
      clearTimeout(timer);
      run?.removeEventListener("abort", onRunAbort);
    },
  };
}

function base(task: Task) {
  return {
    stack: task.name,
    accountId: task.accountId,
    accountName: task.accountName,
    role: task.role,
    action: task.action,
    notes: task.notes ?? [],
  };
}

function notDeployed(stack: string): Failure {
  const raw = `${stack}: the stack does not exist in the backend (never deployed, or deployed with another --backend)`;
  return { category: "not-deployed", excerpt: [raw], raw };
}

function centralTask(plan: StackPlan, operation: Operation, inventoryPath: string): Task {
  return {
    name: plan.name,
    accountId: plan.accountId,
    accountName: plan.accountName,
    role: "central",
    action: operation,
    ...(operation === "preview" || operation === "up" ? { inputs: centralStackConfig(inventoryPath) } : {}),
  };
}

function sourceTask(plan: StackPlan, operation: Operation): Task {
  return {
    name: plan.name,
    accountId: plan.accountId,
    accountName: plan.accountName,
    role: "source",
    action: operation,
  };
}

function orphanTask(name: string): Task {
  return {
    name,
    accountId: accountIdOfStack(name) ?? "",
    accountName: "(not in inventory)",
    role: "orphan",
    action: "prune",
  };
}
