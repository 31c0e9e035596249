import * as fs from "node:fs";
import * as path from "node:path";
import type { ChangeCounts } from "../engine/engine";
import { CATEGORY_LABEL } from "../engine/errors";
import type { Action, RunObserver, StackResult } from "./run";
import { formatChanges, formatDuration } from "./summary";

/**
 * What a run shows while it goes: on a TTY one repainted line per running stack; otherwise (CI) plain
 * timestamped lines. Every stack's engine output also goes to `<logDir>/<stack>.log`.
 */

export interface ProgressOptions {
  readonly stream: NodeJS.WritableStream & { columns?: number };
  /** Repaint live lines (a TTY) rather than print timestamped lines. */
  readonly live: boolean;
  readonly logDir: string;
  readonly now?: () => Date;
}

export interface Progress extends RunObserver {
  /** Stops repainting and closes the log files. */
  close(): Promise<void>;
}

interface Running {
  readonly action: Action;
  readonly started: number;
  counts?: ChangeCounts;
}

const MAX_LIVE_LINES = 20;
const REPAINT_MS = 250;

/** `logs/<run-timestamp>` (colons are not portable in file names). */
export function runLogDir(root: string, at: Date): string {
  return path.join(root, "logs", at.toISOString().replace(/[:.]/g, "-"));
}

export function createProgress(options: ProgressOptions): Progress {
  const now = options.now ?? (() => new Date());
  const running = new Map<string, Running>();
  const logs = new Map<string, fs.WriteStream>();
  const pendingLines: string[] = [];
  const closing: Promise<void>[] = [];
  let logDirMade = false;
  let drawn = 0;
  let timer: NodeJS.Timeout | undefined;

  const log = (stack: string): fs.WriteStream => {
    let stream = logs.get(stack);
    if (!stream) {
      if (!logDirMade) fs.mkdirSync(options.logDir, { recursive: true });
      logDirMade = true;
      stream = fs.createWriteStream(path.join(options.logDir, `${stack}.log`), { flags: "a" });
      logs.set(stack, stream);
    }
    return stream;
  };

  const print = (line: string) => {
    if (!options.live) options.stream.write(`${now().toISOString()} ${line}\n`);
    else {
      pendingLines.push(line);
      schedule();
    }
  };

  const repaint = () => {
    timer = undefined;
    const width = Math.max(40, (options.stream.columns ?? 100) - 1);
    const at = now().getTime();
    const live = [...running].slice(0, MAX_LIVE_LINES).map(([stack, state]) => {
      const counts = state.counts ? `  ${formatChanges(state.counts)} =${state.counts.same}` : "";
      return `  … ${stack} ${state.action} ${formatDuration(at - state.started)}${counts}`.slice(0, width);
    });
    if (running.size > MAX_LIVE_LINES) live.push(`  … and ${running.size - MAX_LIVE_LINES} more running`);
    let out = drawn > 0 ? `\x1b[${drawn}F` : "";
    for (const line of [...pendingLines.splice(0), ...live]) out += `\x1b[2K${line}\n`;
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
    started(stack, action) {
      running.set(stack, { action, started: now().getTime() });
      log(stack).write(`# ${now().toISOString()} ${action} ${stack}\n`);
      print(`${stack} ${action} started`);
    },
    output(stack, chunk) {
      log(stack).write(chunk);
    },
    progress(stack, counts) {
      const state = running.get(stack);
      if (state) state.counts = counts;
      if (options.live) schedule();
    },
    finished(result: StackResult) {
      running.delete(result.stack);
      print(describe(result));
      const stream = logs.get(result.stack);
      if (stream) {
        if (result.failure)
          stream.write(`\n# ${result.status}: ${CATEGORY_LABEL[result.failure.category]}\n${result.failure.raw}\n`);
        closing.push(new Promise((resolve) => stream.end(`# ${now().toISOString()} ${result.status}\n`, resolve)));
        logs.delete(result.stack);
      }
    },
    async close() {
      if (timer) clearTimeout(timer);
      if (options.live) repaint();
      if (timer) clearTimeout(timer);
      for (const stream of logs.values()) closing.push(new Promise((resolve) => stream.end(resolve)));
      logs.clear();
      await Promise.all(closing);
    },
  };
}

function describe(result: StackResult): string {
  const head = `${result.stack} ${result.action} ${result.status}`;
  if (result.failure) return `${head} (${CATEGORY_LABEL[result.failure.category]}): ${result.failure.excerpt[0] ?? ""}`;
  if (result.status === "unchanged")
    return `${result.stack} ${result.action} unchanged, skipped: ${result.reason ?? ""}`;
  if (result.status === "skipped" || result.status === "absent") return `${head}: ${result.reason ?? ""}`;
  return `${head} ${formatChanges(result.counts)} in ${formatDuration(result.durationMs)}`;
}
