/** Process exit codes, the same for every command. */
export const ExitCode = {
  /** Everything succeeded (and, for drift/verify, nothing was found wrong). */
  Ok: 0,
  /** Some stacks or accounts failed, drifted or timed out. */
  Failures: 1,
  /** Bad input or usage: nothing was deployed. */
  BadInput: 2,
  /** The environment is missing something (Pulumi CLI, backend, emulator): nothing was changed. */
  Environment: 3,
  /** Interrupted by the user (Ctrl-C). */
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
