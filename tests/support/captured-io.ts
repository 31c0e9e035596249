import { PassThrough } from "node:stream";
import type { Io } from "../../automation/cli/command";

/** An Io for the CLI tests: what a command writes on stdout and stderr, collected as text. */
export interface CapturedIo {
  readonly io: Io;
  stdout(): string;
  stderr(): string;
}

export function capturedIo(env: NodeJS.ProcessEnv, cwd: string): CapturedIo {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = "";
  let stderr = "";
  out.on("data", (chunk) => (stdout += String(chunk)));
  err.on("data", (chunk) => (stderr += String(chunk)));
  return { io: { stdout: out, stderr: err, env, cwd }, stdout: () => stdout, stderr: () => stderr };
}

/**
 * The same as one Io with `out()` and `err()`, for tests that hand it to `main` or a command as it is; the
 * environment is empty unless a test needs one (the emulator's, for the day-two commands). `stderrIsTTY`
 * makes stderr look like a terminal, where commands show live progress.
 */
export function capturedMainIo(
  cwd: string,
  env: NodeJS.ProcessEnv = {},
  { stderrIsTTY = false } = {},
): Io & { out(): string; err(): string } {
  const { io, stdout, stderr } = capturedIo(env, cwd);
  if (stderrIsTTY) Object.assign(io.stderr, { isTTY: true });
  return { ...io, out: stdout, err: stderr };
}
