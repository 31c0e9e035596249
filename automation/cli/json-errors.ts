import type { Io } from "./command";
import { ExitCode } from "./exit-codes";

/**
 * `--json` promises JSON on stdout, failures included. Commands report bad input (exit 2) and a missing
 * environment (exit 3) on stderr, in one place each (the argument parser, the inventory loader, the
 * driver's checks); rather than teach every command a second way to say it, the dispatcher watches what
 * the command writes and, when it ends with 2 or 3 without having written anything on stdout, prints the
 * same messages as one JSON object. stderr still gets them for the person at the terminal.
 */

export interface JsonError {
  readonly ok: false;
  readonly command: string;
  readonly exitCode: number;
  /** The headline: the inventory's "invalid — N problems" line, or the first message. */
  readonly error: string;
  /** Every line the command wrote on stderr, in order. */
  readonly messages: readonly string[];
  /** The inventory's problems, when that was what went wrong. */
  readonly problems?: readonly { file: string; line: number; column: number; message: string }[];
}

/** Runs `run` with stdout and stderr watched; prints a JsonError on stdout when it fails with 2 or 3 silently. */
export async function withJsonErrors(command: string, io: Io, run: (io: Io) => Promise<number>): Promise<number> {
  let wroteStdout = false;
  const stderr: string[] = [];
  let kept = 0;
  const watched: Io = {
    ...io,
    stdout: watch(io.stdout, () => {
      wroteStdout = true;
    }),
    stderr: watch(io.stderr, (chunk) => {
      // A long run's progress is not kept: the messages of a failure come before it, or instead of it.
      if (kept > KEPT_STDERR) return;
      const text = typeof chunk === "string" ? chunk : String(chunk);
      stderr.push(text);
      kept += text.length;
    }),
  };
  const code = await run(watched);
  if ((code === ExitCode.BadInput || code === ExitCode.Environment) && !wroteStdout)
    io.stdout.write(`${JSON.stringify(jsonError(command, code, stderr.join("")), null, 2)}\n`);
  return code;
}

/** How much of stderr is kept for the JSON error (characters). */
const KEPT_STDERR = 256 * 1024;

const PROBLEM_LINE = /^(.+?):(\d+):(\d+): (.*)$/;
const HELP_HINT = /^Run `org-s3-backup .*--help`/;

export function jsonError(command: string, exitCode: number, stderr: string): JsonError {
  const messages = stderr.split("\n").filter((line) => line.trim() !== "");
  const problems = messages.flatMap((line) => {
    const match = PROBLEM_LINE.exec(line);
    return match ? [{ file: match[1], line: Number(match[2]), column: Number(match[3]), message: match[4] }] : [];
  });
  const headline =
    messages.find((line) => !PROBLEM_LINE.test(line) && !HELP_HINT.test(line) && !line.startsWith("... and ")) ??
    messages[0] ??
    (exitCode === ExitCode.BadInput ? "bad input" : "environment missing");
  return {
    ok: false,
    command,
    exitCode,
    error: headline,
    messages,
    ...(problems.length > 0 ? { problems } : {}),
  };
}

/** The same stream, with `onWrite` told of every chunk written to it (isTTY, columns, on... unchanged). */
function watch<S extends NodeJS.WritableStream>(stream: S, onWrite: (chunk: unknown) => void): S {
  return new Proxy(stream, {
    get(target, property) {
      if (property === "write")
        return (chunk: unknown, ...rest: unknown[]) => {
          onWrite(chunk);
          return (target.write as (...args: unknown[]) => boolean)(chunk, ...rest);
        };
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
