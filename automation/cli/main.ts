import type { Command, Io } from "./command";
import { processIo } from "./command";
import { ExitCode } from "./exit-codes";
import { withJsonErrors } from "./json-errors";
import { didYouMean } from "../../config/suggest";

/**
 * Every command, loaded lazily so that `validate` never pays for loading Pulumi or the AWS SDK.
 * Order is the order of the help text.
 */
const COMMANDS: Record<string, () => Command> = {
  validate: () => require("./commands/validate").command,
  plan: () => require("./commands/plan").command,
  render: () => require("./commands/render").command,
  explain: () => require("./commands/explain").command,
  review: () => require("./commands/review").command,
  iam: () => require("./commands/iam").command,
  preview: () => require("./commands/preview").command,
  up: () => require("./commands/up").command,
  destroy: () => require("./commands/destroy").command,
  drift: () => require("./commands/drift").command,
  outputs: () => require("./commands/outputs").command,
  verify: () => require("./commands/verify").command,
  coverage: () => require("./commands/coverage").command,
  discover: () => require("./commands/discover").command,
  backfill: () => require("./commands/backfill").command,
  restore: () => require("./commands/restore").command,
};

const USAGE = (names: string[]) =>
  [
    "Usage: org-s3-backup <command> [options]",
    "",
    "Replicates every source account's S3 bucket into one central backup bucket, with Pulumi.",
    "",
    "Commands:",
    ...names.map((name) => `  ${name.padEnd(10)} ${COMMANDS[name]().summary}`),
    "",
    "Run `org-s3-backup <command> --help` for a command's options; `org-s3-backup --version` for the version.",
    "",
  ].join("\n");

/** The registered command names, in help order (what the CLI accepts as its first word). */
export function commandNames(): string[] {
  return Object.keys(COMMANDS);
}

/** `org-s3-backup 0.1.0`: the package's version. */
export function versionLine(): string {
  const { version } = require("../../package.json") as { version: string };
  return `org-s3-backup ${version}\n`;
}

export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  // With --json, a failure (exit 2 or 3) is also printed as a JSON object on stdout.
  return argv.includes("--json")
    ? withJsonErrors(argv[0] ?? "", io, (watched) => dispatch(argv, watched))
    : dispatch(argv, io);
}

async function dispatch(argv: readonly string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  const names = Object.keys(COMMANDS);
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(USAGE(names));
    return name === undefined ? ExitCode.BadInput : ExitCode.Ok;
  }
  if (name === "--version" || name === "-V" || name === "version") {
    io.stdout.write(versionLine());
    return ExitCode.Ok;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    const hint = didYouMean(name, names).replace(/`/g, "'") || ".";
    io.stderr.write(`org-s3-backup: unknown command '${name}'${hint} Commands: ${names.join(", ")}.\n`);
    return ExitCode.BadInput;
  }
  const command = load();
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout.write(command.help.endsWith("\n") ? command.help : `${command.help}\n`);
    return ExitCode.Ok;
  }
  return command.run(rest, io);
}
