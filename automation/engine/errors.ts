/**
 * A failed engine operation keeps the stack's name, the raw CLI text and, where the Automation API
 * says so with an error class (ConcurrentUpdateError, StackNotFoundError, StackAlreadyExistsError),
 * the category that class means. Only what arrives as text inside a failed operation (AWS's messages,
 * plugin and passphrase failures) is classified by matching the text.
 */

export type FailureCategory =
  | "cli-died"
  | "backend"
  | "assume-role"
  | "access-denied"
  | "locked"
  | "conflict"
  | "missing-plugin"
  | "passphrase"
  | "not-deployed"
  | "other";

export const CATEGORY_LABEL: Readonly<Record<FailureCategory, string>> = {
  "cli-died": "Pulumi CLI ended abnormally (may hold the lock)",
  backend: "backend not reachable",
  "assume-role": "assume-role failed",
  "access-denied": "access denied",
  locked: "stack locked",
  conflict: "conflict (concurrent update)",
  "missing-plugin": "plugin or CLI missing",
  passphrase: "secrets passphrase missing or wrong",
  "not-deployed": "stack not deployed",
  other: "other",
};

/** A failed engine operation on one stack: the stack's name always travels with the raw error text. */
export class StackError extends Error {
  constructor(
    readonly stackName: string,
    readonly operation: string,
    readonly raw: string,
    /** Set when the engine knows the kind of failure from a typed error; text classification otherwise. */
    readonly category?: FailureCategory,
  ) {
    super(`${stackName}: ${operation} failed: ${firstErrorLines(raw, 1)[0] ?? "(no output)"}`);
    this.name = "StackError";
  }
}

/** One case-insensitive pattern whose alternatives are the alternatives of `parts`, in order. */
function anyOf(...parts: readonly RegExp[]): RegExp {
  return new RegExp(parts.map((part) => part.source).join("|"), "i");
}

// Order matters: an assume-role failure also says AccessDenied. The lock and conflict texts stay as a
// fallback: a lock met in the middle of an operation can surface as a plain CommandError, not as
// ConcurrentUpdateError (pulumi/pulumi#11108).
// A CLI that died (pulumi-process.ts adds the line) comes first: whatever it printed before, it may
// still hold the stack's lock, and that is what the person must know.
const RULES: ReadonlyArray<readonly [FailureCategory, RegExp]> = [
  ["cli-died", /may not have released the stack's lock/],
  [
    "backend",
    anyOf(
      /failed to load checkpoint|problem logging in|could not log ?in to|unable to open bucket/,
      /blob \(key|could not (?:read|list) (?:the )?stacks?/,
    ),
  ],
  ["assume-role", /sts:AssumeRole|Cannot assume IAM Role|operation error STS: AssumeRole|failed to assume role/i],
  ["locked", /the stack is currently locked by/i],
  ["conflict", /\[409\] Conflict|Another update is currently in progress|concurrent update/i],
  [
    "missing-plugin",
    anyOf(
      /no resource plugin|could not load plugin|failed to load language plugin/,
      /spawn pulumi ENOENT|pulumi: (command )?not found|could not find plugin/,
    ),
  ],
  ["passphrase", /passphrase must be set|incorrect passphrase|failed to decrypt|getting secrets manager/i],
  [
    "access-denied",
    anyOf(
      /AccessDenied|is not authorized to perform|UnauthorizedOperation|InvalidClientTokenId|ExpiredToken/,
      /no valid credential sources|failed to refresh cached credentials/,
    ),
  ],
];

export function classifyFailure(raw: string): FailureCategory {
  return RULES.find(([, pattern]) => pattern.test(raw))?.[0] ?? "other";
}

/**
 * The lines a person needs first: those that say `error` (Pulumi prefixes diagnostics with
 * `error:`), else the first non-empty lines.
 */
// CommandError's message is its CommandResult rendered as `code: N / stdout: … / stderr: … / err?: …`.
const COMMAND_RESULT_LABEL = /^(stdout|stderr): /;
const COMMAND_RESULT_NOISE = /^(code: -?\d+|err\?:)$/;

export function firstErrorLines(raw: string, count = 3): string[] {
  const lines = raw
    .split(/\r?\n/)
    .map((line) => line.trim().replace(COMMAND_RESULT_LABEL, ""))
    .filter((line) => line.length > 0 && !COMMAND_RESULT_NOISE.test(line));
  const errorLines = lines.filter((line) => /\berror\b/i.test(line));
  return (errorLines.length > 0 ? errorLines : lines).slice(0, count);
}

export interface Failure {
  readonly category: FailureCategory;
  readonly excerpt: readonly string[];
  readonly raw: string;
}

export function describeFailure(error: unknown): Failure {
  const raw =
    error instanceof StackError ? error.raw : error instanceof Error ? (error.stack ?? error.message) : String(error);
  const category = error instanceof StackError && error.category ? error.category : classifyFailure(raw);
  return { category, excerpt: firstErrorLines(raw), raw };
}
