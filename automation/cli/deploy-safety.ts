import * as fs from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";
import { CONFIG_NAMESPACE } from "../../infra/contract";
import { type Backend, localStateDir } from "../engine/backend";
import { describeFailure } from "../engine/errors";
import { readStackLocks, releaseCommand } from "../engine/locks";
import type { Parsed } from "../driver/concurrency";
import type { Action, RunObserver } from "../driver/run";
import { formatLockNotice, printable } from "../driver/summary";
import { DEFAULT_STACK_TIMEOUT_MS, parseStackTimeout } from "../driver/timeouts";
import type { Io } from "./command";
import { ExitCode } from "./exit-codes";
import type { InterruptSignal, Interrupts } from "./interrupts";

/**
 * What keeps a deployment command honest under faults, at the command's edge (deploy-common.ts calls
 * these): its options (--stack-timeout, --log-dir, --yes, --max-prune), output that survives a closed
 * pipe, the writable-directory check, the one-line backend failure, the lock notice before a run, the
 * confirmation prompt, and what each interrupt does.
 */

/** Every deployment command. */
export const SAFETY_OPTIONS = {
  "stack-timeout": { type: "string" },
  "log-dir": { type: "string" },
} as const;
/** `up` and `destroy`. */
export const CONFIRM_OPTION = { yes: { type: "boolean" } } as const;
/** `up` (with --prune). */
export const MAX_PRUNE_OPTION = { "max-prune": { type: "string" } } as const;

export const SAFETY_HELP = `  --stack-timeout DURATION  Cancel a stack still running after this long and report it timed out;
                            the others go on (90s, 45m, 2h; default 60m)
  --log-dir DIR             Engine logs go to DIR/logs/<run-timestamp>/ (default: the repository)`;
export const CONFIRM_HELP = `  --yes                     Do not ask for confirmation on a terminal; required without one for
                            destroy and for up --prune with orphan stacks`;
export const MAX_PRUNE_HELP = `  --max-prune N             With --prune: destroy up to N orphan stacks (default: 10% of the
                            account stacks in the backend, at least 1)`;

export interface Safety {
  readonly stackTimeoutMs: number;
  /** Where `logs/<run-timestamp>/` goes (default: the repository root). */
  readonly logRoot?: string;
  readonly yes: boolean;
  readonly maxPrune?: number;
}

export function parseSafety(values: Readonly<Record<string, unknown>>, cwd: string): Parsed<Safety> {
  const timeout = typeof values["stack-timeout"] === "string" ? parseStackTimeout(values["stack-timeout"]) : undefined;
  if (timeout && !timeout.ok) return timeout;
  const maxPrune = values["max-prune"];
  if (typeof maxPrune === "string" && !/^\d+$/.test(maxPrune)) {
    return { ok: false, message: `--max-prune must be a whole number, got '${maxPrune}'` };
  }
  if (typeof maxPrune === "string" && values.prune !== true) {
    return { ok: false, message: "--max-prune only applies to up --prune" };
  }
  return {
    ok: true,
    value: {
      stackTimeoutMs: timeout ? timeout.value : DEFAULT_STACK_TIMEOUT_MS,
      ...(typeof values["log-dir"] === "string" ? { logRoot: path.resolve(cwd, values["log-dir"]) } : {}),
      yes: values.yes === true,
      ...(typeof maxPrune === "string" ? { maxPrune: Number(maxPrune) } : {}),
    },
  };
}

/**
 * `io` whose stdout and stderr never end the run: a closed pipe (`up | head`), a full disk or a closed
 * terminal makes their writes fail (EPIPE, ENOSPC, EIO), asynchronously (an `error` event) or, for files,
 * synchronously. The output is then lost — the run's summary is also saved in its log directory.
 */
export function survivingIo(io: Io): Io {
  return { ...io, stdout: surviving(io.stdout), stderr: surviving(io.stderr) };
}

const SURVIVING = Symbol("surviving");

function surviving<S extends NodeJS.WritableStream>(stream: S): S {
  if ((stream as { [SURVIVING]?: boolean })[SURVIVING]) return stream;
  let broken = false;
  stream.on("error", () => {
    broken = true;
  });
  const write = (chunk: unknown, ...rest: unknown[]): boolean => {
    if (broken) return true;
    try {
      return (stream.write as (...args: unknown[]) => boolean)(chunk, ...rest);
    } catch {
      broken = true;
      return true;
    }
  };
  return new Proxy(stream, {
    get(target, property) {
      if (property === SURVIVING) return true;
      if (property === "write") return write;
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * The directories a run writes, checked before anything starts: one line per directory that cannot be
 * written. A directory that does not exist yet is checked at its nearest existing parent (nothing is
 * created; the probe file is removed).
 */
export function unwritableDirectories(dirs: readonly { readonly dir: string; readonly what: string }[]): string[] {
  const problems: string[] = [];
  const checked = new Map<string, string | undefined>();
  for (const { dir, what } of dirs) {
    const existing = nearestExisting(dir);
    if (!checked.has(existing)) checked.set(existing, probe(existing));
    const problem = checked.get(existing);
    if (problem !== undefined) problems.push(`cannot write the ${what} ${dir} (${problem})`);
  }
  return problems;
}

function nearestExisting(dir: string): string {
  let current = path.resolve(dir);
  for (;;) {
    try {
      fs.lstatSync(current);
      return current;
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return current;
      current = parent;
    }
  }
}

function probe(dir: string): string | undefined {
  const file = path.join(dir, `.org-s3-backup-write-check-${process.pid}`);
  try {
    if (!fs.statSync(dir).isDirectory()) return "ENOTDIR: not a directory";
    const fd = fs.openSync(file, "w");
    try {
      fs.writeSync(fd, "write check\n");
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    return undefined;
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    return code ? `${code}: ${message.replace(/^[A-Z]+: /, "").replace(/, \w+ '.*'$/, "")}` : message;
  } finally {
    try {
      fs.rmSync(file, { force: true });
    } catch {
      // Nothing was created.
    }
  }
}

/**
 * The backend could not be listed: one line with the cause; the raw error (the Automation API's
 * `code: … stdout: … stderr: …`) goes to `<logDir>/backend.log`.
 */
export function backendUnreachable(command: string, url: string, error: unknown, logDir: string): string {
  const failure = describeFailure(error);
  const cause = printable(failure.excerpt[0] ?? "no output").replace(/^error: /, "");
  const file = path.join(logDir, "backend.log");
  let saved: string;
  try {
    fs.mkdirSync(logDir, { recursive: true });
    fs.writeFileSync(file, `${failure.raw}\n`);
    saved = `full error in ${file}`;
  } catch (writeError) {
    saved = `full error not saved: ${(writeError as NodeJS.ErrnoException).code ?? writeError}`;
  }
  return `org-s3-backup ${command}: the backend ${url} is not reachable, nothing was changed: ${cut(cause, 300)} (${saved})\n`;
}

function cut(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

/** Locks left in a file backend on the stacks about to run (empty for other backends). */
export function lockNotice(backend: Backend, stacks: readonly string[], now: Date): string {
  const dir = localStateDir(backend);
  if (dir === undefined) return "";
  return formatLockNotice(readStackLocks(dir, CONFIG_NAMESPACE, stacks), now);
}

/** Asking a person. */
export interface Prompt {
  /** Someone can answer: stdin and stderr are terminals and CI is not set. */
  interactive(io: Io): boolean;
  /** Prints the question on stderr; resolves to the line typed, undefined at end of input. */
  ask(question: string, io: Io): Promise<string | undefined>;
}

export const terminalPrompt: Prompt = {
  interactive: (io) => process.stdin.isTTY === true && io.stderr.isTTY === true && !isCi(io.env),
  ask: (question, io) =>
    new Promise((resolve) => {
      const lines = readline.createInterface({ input: process.stdin, terminal: false });
      let answer: string | undefined;
      io.stderr.write(question);
      lines.once("line", (line) => {
        answer = line;
        lines.close();
      });
      lines.once("close", () => resolve(answer));
    }),
};

/** CI systems set CI (GitHub Actions, GitLab, CircleCI, Buildkite...). */
export function isCi(env: NodeJS.ProcessEnv): boolean {
  const value = env.CI;
  return value !== undefined && value !== "" && value !== "0" && value.toLowerCase() !== "false";
}

/** The observer, plus which stacks are running right now (the second interrupt names them). */
export function trackRunning<T extends RunObserver>(
  observer: T,
): { observer: T; running: ReadonlyMap<string, Action> } {
  const running = new Map<string, Action>();
  return {
    running,
    observer: {
      ...observer,
      started(stack, action) {
        running.set(stack, action);
        observer.started(stack, action);
      },
      finished(result) {
        running.delete(result.stack);
        observer.finished(result);
      },
    },
  };
}

export interface InterruptHandling {
  readonly interrupts: Interrupts;
  readonly io: Io;
  readonly abort: AbortController;
  readonly running: ReadonlyMap<string, Action>;
  /** Kills every running CLI (Engine.terminate). */
  terminate(): void;
  exit(code: number): void;
}

/**
 * First interrupt (Ctrl-C, SIGTERM, SIGHUP): start no new stack, cancel the running operations; the run
 * then ends with its summary and exit 130. Second: name the stacks that were running and may stay
 * locked with the commands that release them, kill their CLIs, exit 130 at once.
 */
export function handleInterrupts(handling: InterruptHandling): () => void {
  let count = 0;
  return handling.interrupts.onInterrupt((signal?: InterruptSignal) => {
    count += 1;
    const name = signal === undefined || signal === "SIGINT" ? "Ctrl-C" : signal;
    if (count > 1) {
      handling.io.stderr.write(secondInterrupt(name, handling.running));
      handling.terminate();
      handling.exit(ExitCode.Interrupted);
      return;
    }
    const again = name === "Ctrl-C" ? "Ctrl-C again" : `${name} again`;
    handling.io.stderr.write(
      `${name}: cancelling running stacks and starting no new ones (${again} to exit at once)...\n`,
    );
    handling.abort.abort();
  });
}

/** What the second interrupt says before the driver exits. Pure. */
export function secondInterrupt(name: string, running: ReadonlyMap<string, Action>): string {
  if (running.size === 0) return `Second ${name}: exiting now; no stack was running.\n`;
  const stacks = [...running];
  return `${[
    `Second ${name}: exiting now; their CLIs are killed. These stacks were running and may stay locked:`,
    ...stacks.map(([stack, action]) => `  ${stack}  ${action}`),
    "When no other run is active on them, release each lock with:",
    ...stacks.map(([stack]) => `  ${releaseCommand(stack)}`),
    "and if it then reports pending operations:",
    ...stacks.map(([stack]) => `  pulumi refresh --yes --clear-pending-creates --stack ${stack}`),
  ].join("\n")}\n`;
}

/** The summary, also kept with the run's logs (when stdout is gone, it is still there). */
export function saveSummary(logDir: string, text: string): string | undefined {
  try {
    fs.mkdirSync(logDir, { recursive: true });
    const file = path.join(logDir, "summary.txt");
    fs.writeFileSync(file, text);
    return file;
  } catch {
    return undefined;
  }
}

/** Options of this run a rerun repeats: everything but the selection and the one-off switches. */
export function rerunArgs(values: Readonly<Record<string, unknown>>): string[] {
  const dropped = new Set(["accounts", "exclude", "prune", "max-prune", "json", "yes", "shard", "stacks"]);
  return Object.entries(values).flatMap(([key, value]) => {
    if (dropped.has(key)) return [];
    if (value === true) return [`--${key}`];
    if (typeof value === "string") return [`--${key}`, value];
    return [];
  });
}
