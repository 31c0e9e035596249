import * as fs from "node:fs";
import * as path from "node:path";
import type { ChangeCounts } from "../engine/engine";
import { CATEGORY_LABEL } from "../engine/errors";
import type { Action, RunObserver, StackResult } from "./run";
import { formatChanges, formatDuration, printable } from "./summary";

/**
 * What a run shows while it goes: on a TTY one repainted line per running stack and a done/total line,
 * each cut to the terminal's width; otherwise (CI) plain timestamped lines, a `[done/total]` counter on
 * each finished one. Every stack's engine output also goes to `<logDir>/<stack>.log`. A log that cannot
 * be written (disk full, read-only) is reported once and dropped: it never ends the run.
 */

export interface ProgressOptions {
  readonly stream: NodeJS.WritableStream & { columns?: number };
  /** Repaint live lines (a TTY) rather than print timestamped lines. */
  readonly live: boolean;
  readonly logDir: string;
  /** FAILED and TIMED OUT in red (a terminal without NO_COLOR: summary.useColor). */
  readonly color?: boolean;
  readonly now?: () => Date;
}

export interface Progress extends RunObserver {
  /** Stops repainting and closes the log files. */
  close(): Promise<void>;
  /** Log files that could not be written, with the reason. */
  readonly logProblems: readonly string[];
}

interface Running {
  readonly action: Action;
  readonly started: number;
  counts?: ChangeCounts;
}

const MAX_LIVE_LINES = 20;
const REPAINT_MS = 250;
const RED = "\x1b[1;31m";
const RESET = "\x1b[0m";
/** Terminal width when the stream does not say. */
const DEFAULT_COLUMNS = 80;

/** `logs/<run-timestamp>` (colons are not portable in file names). */
export function runLogDir(root: string, at: Date): string {
  return path.join(root, "logs", at.toISOString().replace(/[:.]/g, "-"));
}

/** `line` cut to `width` columns (a live line must never wrap: the repaint counts one row per line). */
export function fitLine(line: string, width: number): string {
  const text = printable(line);
  if (width <= 0) return "";
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

export function createProgress(options: ProgressOptions): Progress {
  const now = options.now ?? (() => new Date());
  const started = now().getTime();
  const running = new Map<string, Running>();
  const logs = new Map<string, fs.WriteStream>();
  const broken = new Set<string>();
  const logProblems: string[] = [];
  const pendingLines: string[] = [];
  const closing: Promise<void>[] = [];
  let logDirMade = false;
  let drawn = 0;
  let timer: NodeJS.Timeout | undefined;
  let total: number | undefined;
  let done = 0;
  let failed = 0;

  const problem = (file: string, error: unknown) => {
    const { code, message } = error as NodeJS.ErrnoException;
    const text = `cannot write the engine log ${file} (${code ?? message}); the run goes on without it`;
    logProblems.push(text);
    print(`warning: ${text}`);
  };

  const log = (stack: string): { write(text: string): void } | undefined => {
    if (broken.has(stack) || broken.has("*")) return undefined;
    let stream = logs.get(stack);
    if (!stream) {
      try {
        if (!logDirMade) fs.mkdirSync(options.logDir, { recursive: true });
        logDirMade = true;
      } catch (error) {
        broken.add("*");
        problem(options.logDir, error);
        return undefined;
      }
      const file = path.join(options.logDir, `${stack}.log`);
      const created = fs.createWriteStream(file, { flags: "a" });
      created.on("error", (error) => {
        if (broken.has(stack)) return;
        broken.add(stack);
        logs.delete(stack);
        problem(file, error);
      });
      logs.set(stack, created);
      stream = created;
    }
    return stream;
  };

  const counter = () => (total === undefined ? `${done}` : `${done}/${total}`);

  const print = (line: string) => {
    if (!options.live) options.stream.write(`${now().toISOString()} ${printable(line)}\n`);
    else {
      pendingLines.push(line);
      schedule();
    }
  };

  const paint = (line: string) => (options.color ? line.replace(/ (FAILED|TIMED OUT)\b/, ` ${RED}$1${RESET}`) : line);

  const repaint = () => {
    timer = undefined;
    const width = Math.max(1, (options.stream.columns ?? DEFAULT_COLUMNS) - 1);
    const at = now().getTime();
    const live = [...running].slice(0, MAX_LIVE_LINES).map(([stack, state]) => {
      const counts = state.counts ? `  ${formatChanges(state.counts)} =${state.counts.same}` : "";
      return fitLine(`  … ${stack} ${state.action} ${formatDuration(at - state.started)}${counts}`, width);
    });
    if (running.size > MAX_LIVE_LINES)
      live.push(fitLine(`  … and ${running.size - MAX_LIVE_LINES} more running`, width));
    if (total !== undefined && (running.size > 0 || done < total)) {
      const failures = failed > 0 ? `, ${failed} failed` : "";
      live.push(
        fitLine(`  ${counter()} done${failures}, ${running.size} running, ${formatDuration(at - started)}`, width),
      );
    }
    let out = drawn > 0 ? `\x1b[${drawn}F` : "";
    for (const line of [...pendingLines.splice(0).map((text) => paint(printable(text))), ...live])
      out += `\x1b[2K${line}\n`;
    out += "\x1b[J";
    options.stream.write(out);
    drawn = live.length;
    if (running.size > 0) schedule(REPAINT_MS);
  };

  const schedule = (delay = 50) => {
    if (timer) return;
    timer = setTimeout(repaint, delay);
    timer.unref();
  };

  return {
    logProblems,
    planned(count) {
      total = count;
      if (options.live) schedule();
    },
    started(stack, action) {
      running.set(stack, { action, started: now().getTime() });
      log(stack)?.write(`# ${now().toISOString()} ${action} ${stack}\n`);
      print(`${stack} ${action} started`);
    },
    output(stack, chunk) {
      log(stack)?.write(chunk);
    },
    progress(stack, counts) {
      const state = running.get(stack);
      if (state) state.counts = counts;
      if (options.live) schedule();
    },
    finished(result: StackResult) {
      running.delete(result.stack);
      done += 1;
      if (result.status === "failed" || result.status === "timed-out") failed += 1;
      const line = describe(result);
      print(options.live ? line : `[${counter()}] ${line}`);
      const stream = logs.get(result.stack);
      if (stream) {
        if (result.failure)
          stream.write(`\n# ${result.status}: ${CATEGORY_LABEL[result.failure.category]}\n${result.failure.raw}\n`);
        closing.push(
          new Promise((resolve) => {
            stream.once("error", () => resolve());
            stream.end(`# ${now().toISOString()} ${result.status}\n`, () => resolve());
          }),
        );
        logs.delete(result.stack);
      }
    },
    async close() {
      if (timer) clearTimeout(timer);
      if (options.live) repaint();
      if (timer) clearTimeout(timer);
      for (const stream of logs.values())
        closing.push(
          new Promise((resolve) => {
            stream.once("error", () => resolve());
            stream.end(() => resolve());
          }),
        );
      logs.clear();
      await Promise.all(closing);
      // A failed write calls back before its `error` event: let the event be reported.
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

const STATUS_WORD: Partial<Record<StackResult["status"], string>> = { failed: "FAILED", "timed-out": "TIMED OUT" };

function describe(result: StackResult): string {
  const head = `${result.stack} ${result.action} ${STATUS_WORD[result.status] ?? result.status}`;
  if (result.status === "timed-out")
    return `${head}: ${result.reason ?? ""}${result.failure ? ` (${result.failure.excerpt.at(-1) ?? ""})` : ""}`;
  if (result.failure) return `${head} (${CATEGORY_LABEL[result.failure.category]}): ${result.failure.excerpt[0] ?? ""}`;
  if (result.status === "unchanged")
    return `${result.stack} ${result.action} unchanged, skipped: ${result.reason ?? ""}`;
  if (result.status === "skipped" || result.status === "absent") return `${head}: ${result.reason ?? ""}`;
  return `${head} ${formatChanges(result.counts)} in ${formatDuration(result.durationMs)}`;
}
