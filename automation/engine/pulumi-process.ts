import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import * as path from "node:path";
import type { PulumiCommand } from "@pulumi/pulumi/automation";

/**
 * How the Pulumi CLI processes are run: the Automation API's `PulumiCommand.run` contract (arguments,
 * environment, CommandResult / CommandError), with what the driver needs to stop cleanly:
 *
 * - Each CLI runs in its own process group. A terminal's Ctrl-C, `timeout`'s or a CI runner's
 *   group-wide SIGTERM reach the driver only; the driver then sends each CLI exactly one SIGINT, Pulumi's
 *   graceful cancel (the CLI releases its lock). A second SIGINT, or a SIGTERM, would end it abruptly.
 * - A CLI that does not stop within `cancelGraceMs` of the cancel is killed with its process group.
 * - Commands that are not operations (select, init, config, output, ...) are bounded by
 *   `commandTimeoutMs`: a hanging one is killed rather than blocking every stack behind it.
 * - A CLI that died by a signal (an OOM kill) or exited non-zero without an error line gets an explicit
 *   error line: it may not have released the stack's lock, and errors.ts classifies it as such.
 * - `terminateAll` kills every running CLI at once (the second Ctrl-C).
 */

export interface ProcessLimits {
  /** After the cancel (SIGINT), how long a CLI has to stop before its process group is killed. */
  readonly cancelGraceMs: number;
  /** Bound on one command that is not an operation; it is killed after that. */
  readonly commandTimeoutMs: number;
}

/** After a CLI exited, how long its output may still arrive before the result is taken. */
const PIPE_DRAIN_MS = 1000;

export const DEFAULT_PROCESS_LIMITS: ProcessLimits = { cancelGraceMs: 120_000, commandTimeoutMs: 3_600_000 };

/** Commands that change or read a stack for long, hold its lock, and are cancelled through the driver's signal. */
const OPERATIONS: ReadonlySet<string> = new Set(["up", "preview", "destroy", "refresh", "import", "watch"]);

// The Automation API's own classes, so that errors are the ones its callers (Stack, LocalWorkspace) expect.
const pulumiRequire = createRequire(require.resolve("@pulumi/pulumi/package.json"));
type SemVer = import("semver").SemVer;

interface CommandResultLike {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

function automation(): {
  CommandResult: new (stdout: string, stderr: string, code: number, err?: Error) => CommandResultLike;
  createCommandError: (result: CommandResultLike) => Error;
} {
  return {
    CommandResult: pulumiRequire("./automation/cmd").CommandResult,
    createCommandError: pulumiRequire("./automation/errors").createCommandError,
  };
}

/** Marker lines errors.ts recognises (category `cli-died`): the CLI may still hold the stack's lock. */
export const DIED_MARKER = "may not have released the stack's lock";

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)}s`;
  return `${Math.round(ms / 60_000)}m`;
}

/** The error line added to a CLI's stderr when it ended without saying why (null: it said why). */
export function abnormalEndLine(
  verb: string,
  end: {
    code: number | null;
    signal: NodeJS.Signals | null;
    /** Why we killed it, when we did. */
    killed?: "grace" | "timeout";
    /** We asked it to cancel (SIGINT). */
    cancelled?: boolean;
    limits: ProcessLimits;
    /** Everything it printed. */
    output: string;
  },
): string | undefined {
  const what = `pulumi ${verb}`;
  if (end.killed === "grace")
    return (
      `error: ${what} did not stop within ${formatMs(end.limits.cancelGraceMs)} of the cancel request ` +
      `and was killed; it ${DIED_MARKER}`
    );
  if (end.killed === "timeout")
    return (
      `error: ${what} did not finish within ${formatMs(end.limits.commandTimeoutMs)} ` +
      `and was killed; it ${DIED_MARKER}`
    );
  if (end.signal !== null && end.cancelled)
    return `error: ${what} was ended by ${end.signal} instead of cancelling cleanly; it ${DIED_MARKER}`;
  if (end.signal !== null)
    return `error: ${what} was ended by ${end.signal} from outside the driver (out of memory?); it ${DIED_MARKER}`;
  if (end.code !== 0 && !/\berror\b/i.test(end.output))
    return `error: ${what} exited with code ${end.code} without an error message; it ${DIED_MARKER}`;
  return undefined;
}

export class ManagedPulumiCommand {
  /** Its CLIs do not receive the terminal's signals: cancel them at once (automation.ts). */
  readonly isolated = true;
  private readonly running = new Set<ChildProcess>();

  constructor(
    readonly command: string,
    readonly version: SemVer | null,
    private readonly limits: ProcessLimits = DEFAULT_PROCESS_LIMITS,
  ) {}

  asPulumiCommand(): PulumiCommand {
    return this as unknown as PulumiCommand;
  }

  /** Kills every running CLI with its process group; returns how many there were. */
  terminateAll(): number {
    const count = this.running.size;
    for (const child of this.running) killGroup(child, "SIGKILL");
    return count;
  }

  /** The Automation API's PulumiCommand.run contract. */
  run(
    args: string[],
    cwd: string,
    additionalEnv: Record<string, string>,
    onOutput?: (data: string) => void,
    onError?: (data: string) => void,
    signal?: AbortSignal,
  ): Promise<CommandResultLike> {
    const { CommandResult, createCommandError } = automation();
    const argv = args.includes("--non-interactive") ? [...args] : [...args, "--non-interactive"];
    const verb = args.slice(0, args[0] === "stack" || args[0] === "config" || args[0] === "plugin" ? 2 : 1).join(" ");
    if (signal?.aborted) {
      return Promise.reject(
        createCommandError(new CommandResult("", `error: pulumi ${verb} not started: the run was cancelled`, -2)),
      );
    }
    const env: NodeJS.ProcessEnv = { ...process.env, ...additionalEnv, PULUMI_AUTOMATION_API: "true" };
    if (path.isAbsolute(this.command)) {
      // Like the SDK: the bundled plugins next to the binary come first.
      env.PATH = `${path.dirname(this.command)}${path.delimiter}${additionalEnv.PATH ?? process.env.PATH ?? ""}`;
    }
    const limits = this.limits;
    return new Promise((resolve, reject) => {
      let stdout = "";
      let stderr = "";
      let killed: "grace" | "timeout" | undefined;
      let cancelled = false;
      let spawnError: Error | undefined;
      const timers: NodeJS.Timeout[] = [];
      const child = spawn(this.command, argv, {
        cwd,
        env,
        detached: process.platform !== "win32",
        stdio: ["ignore", "pipe", "pipe"],
      });
      this.running.add(child);
      child.stdout?.setEncoding("utf8").on("data", (data: string) => {
        stdout += data;
        onOutput?.(data);
      });
      child.stderr?.setEncoding("utf8").on("data", (data: string) => {
        stderr += data;
        onError?.(data);
      });
      const cancel = () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        cancelled = true;
        signalChild(child, "SIGINT");
        const timer = setTimeout(() => {
          killed = "grace";
          killGroup(child, "SIGKILL");
        }, limits.cancelGraceMs);
        timer.unref();
        timers.push(timer);
      };
      signal?.addEventListener("abort", cancel, { once: true });
      if (!OPERATIONS.has(args[0] ?? "")) {
        const timer = setTimeout(() => {
          killed = "timeout";
          killGroup(child, "SIGKILL");
        }, limits.commandTimeoutMs);
        timer.unref();
        timers.push(timer);
      }
      const finish = (code: number | null, exitSignal: NodeJS.Signals | null) => {
        if (!this.running.delete(child)) return;
        for (const timer of timers) clearTimeout(timer);
        signal?.removeEventListener("abort", cancel);
        if (spawnError !== undefined) {
          reject(createCommandError(new CommandResult("", spawnError.message, -2, spawnError)));
          return;
        }
        if (code === 0 && exitSignal === null) {
          resolve(new CommandResult(stdout, stderr, 0));
          return;
        }
        // Plugins it started would otherwise outlive it, holding its pipes open.
        if (exitSignal !== null) killGroup(child, "SIGKILL");
        const line = abnormalEndLine(verb, {
          code,
          signal: exitSignal,
          ...(killed ? { killed } : {}),
          cancelled,
          limits,
          output: stdout + stderr,
        });
        const text =
          line === undefined ? stderr : `${stderr}${stderr === "" || stderr.endsWith("\n") ? "" : "\n"}${line}\n`;
        reject(createCommandError(new CommandResult(stdout, text, code ?? -1)));
      };
      // "close" waits for the pipes; a process left behind holding them must not hold the run too.
      child.on("exit", (code, exitSignal) => {
        const drain = setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          finish(code, exitSignal);
        }, PIPE_DRAIN_MS);
        timers.push(drain);
      });
      child.on("close", (code, exitSignal) => finish(code, exitSignal));
      child.on("error", (error) => {
        spawnError = error;
        if (child.pid === undefined) finish(null, null);
      });
    });
  }
}

function signalChild(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    child.kill(signal);
  } catch {
    // Already gone.
  }
}

/** The CLI and what it started (language host, providers): its whole process group. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    if (process.platform === "win32") child.kill(signal);
    else process.kill(-child.pid, signal);
  } catch {
    signalChild(child, signal);
  }
}

/** A command that manages its processes (ManagedPulumiCommand) rather than the SDK's own. */
export function isManaged(command: unknown): command is ManagedPulumiCommand {
  return command instanceof ManagedPulumiCommand;
}
