import type { Command, Io } from "./command";
import { processIo } from "./command";
import { ExitCode } from "./exit-codes";

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
    "Run `org-s3-backup <command> --help` for a command's options.",
    "",
  ].join("\n");

export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  const names = Object.keys(COMMANDS);
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(USAGE(names));
    return name === undefined ? ExitCode.BadInput : ExitCode.Ok;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.stderr.write(`org-s3-backup: unknown command '${name}'. Commands: ${names.join(", ")}.\n`);
    return ExitCode.BadInput;
  }
  const command = load();
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout.write(command.help.endsWith("\n") ? command.help : `${command.help}\n`);
    return ExitCode.Ok;
  }
  return command.run(rest, io);
}
