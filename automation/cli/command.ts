/** What every CLI command implements; automation/cli/main.ts only dispatches. */
export interface Io {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  /** Directory relative paths (such as the inventory) are resolved against. */
  readonly cwd: string;
}

export interface Command {
  readonly name: string;
  /** One line for the top-level help. */
  readonly summary: string;
  /** Full `--help` text of the command. */
  readonly help: string;
  /** Runs the command; resolves to the process exit code (see exit-codes.ts). */
  run(argv: readonly string[], io: Io): Promise<number>;
}

export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}
