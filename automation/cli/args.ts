import { AsyncLocalStorage } from "node:async_hooks";
import * as path from "node:path";
import { type ParseArgsOptionsConfig, parseArgs } from "node:util";
import { closest } from "../../config/suggest";
import type { Inventory, SourceAccount } from "../../config/types";
import { DEFAULT_INVENTORY_PATH } from "../../infra/contract";
import type { Command, Io } from "./command";
import { ExitCode } from "./exit-codes";
import { planStacks } from "../driver/plan";
import { parseIdList, selectStacks } from "../driver/selection";
import type { Shard } from "../driver/shard";
import type { Parsed } from "../driver/concurrency";

/** Every command reads the inventory, so the option is added here rather than in each table. */
const INVENTORY_OPTION = { inventory: { type: "string" } } as const;

type StrictConfig<Options extends ParseArgsOptionsConfig> = {
  args: string[];
  strict: true;
  allowPositionals: false;
  options: Options & typeof INVENTORY_OPTION;
};

export type ArgValues<Options extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<StrictConfig<Options>>
>["values"];

export interface CommandArgs<Options extends ParseArgsOptionsConfig> {
  readonly values: ArgValues<Options>;
  /** `--inventory` (default DEFAULT_INVENTORY_PATH), resolved against io.cwd. */
  readonly inventoryPath: string;
  /** Prints `message` as this command's usage error and returns ExitCode.BadInput, for the command to return. */
  usage(message: string): number;
}

/**
 * The first step of every command: parse `argv` strictly (no positionals, no unknown flags) against
 * the command's own `options` plus `--inventory`. On a parse error it prints the usage error and
 * returns undefined (the caller exits with ExitCode.BadInput), like loadInventoryOrReport.
 */
export function parseArgsOrReport<Options extends ParseArgsOptionsConfig>(
  command: string,
  argv: readonly string[],
  io: Io,
  options: Options,
): CommandArgs<Options> | undefined {
  const usage = (message: string) => {
    io.stderr.write(`org-s3-backup ${command}: ${message}\nRun \`org-s3-backup ${command} --help\` for the options.\n`);
    return ExitCode.BadInput;
  };
  let values: ArgValues<Options>;
  try {
    // parseArgs cannot work out the values' type while the option table is still generic here.
    values = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: { ...options, ...INVENTORY_OPTION },
    }).values as ArgValues<Options>;
  } catch (error) {
    usage(parseErrorMessage(error as Error & { code?: string }, { ...options, ...INVENTORY_OPTION }));
    return undefined;
  }
  if (parseOnly.getStore()) throw new ArgumentsParsed(command);
  const { inventory } = values as { inventory?: string };
  return {
    values,
    inventoryPath: path.resolve(io.cwd, inventory ?? DEFAULT_INVENTORY_PATH),
    usage,
  };
}

/** A command's texts and its own options (`--inventory` comes with every command). */
export interface CommandDefinition<Options extends ParseArgsOptionsConfig> {
  readonly name: string;
  readonly summary: string;
  readonly help: string;
  readonly options: Options;
}

/**
 * Every command's Command: its run parses argv with parseArgsOrReport against the definition's
 * `options` (a usage error exits with ExitCode.BadInput) and hands the parsed arguments to `run`, with
 * `deps` when given (the side effects a test replaces). A command file is then its options, its help
 * and its run.
 */
export function defineCommand<Options extends ParseArgsOptionsConfig>(
  definition: CommandDefinition<Options>,
  run: (args: CommandArgs<Options>, io: Io) => Promise<number>,
): Command;
export function defineCommand<Options extends ParseArgsOptionsConfig, Deps>(
  definition: CommandDefinition<Options>,
  run: (args: CommandArgs<Options>, io: Io, deps: Deps) => Promise<number>,
  deps: Deps,
): Command;
export function defineCommand<Options extends ParseArgsOptionsConfig, Deps>(
  { options, ...texts }: CommandDefinition<Options>,
  run: (args: CommandArgs<Options>, io: Io, deps?: Deps) => Promise<number>,
  deps?: Deps,
): Command {
  return {
    ...texts,
    async run(argv, io) {
      const args = parseArgsOrReport(texts.name, argv, io, options);
      return args ? run(args, io, deps) : ExitCode.BadInput;
    },
  };
}

/** An option's value parsed with `parse`, or `fallback` when the option is not given. */
export function optionOr<T, Fallback>(
  text: string | undefined,
  fallback: Fallback,
  parse: (text: string) => Parsed<T>,
): Parsed<T | Fallback> {
  return text === undefined ? { ok: true, value: fallback } : parse(text);
}

/** node:util's message, plus the option most likely meant when an unknown one looks like a typo. */
function parseErrorMessage(error: Error & { code?: string }, options: ParseArgsOptionsConfig): string {
  const unknown =
    error.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" ? /'(-{1,2}[^'=]+)/.exec(error.message)?.[1] : undefined;
  if (unknown === undefined) return error.message;
  const known = new Map<string, string>([["help", "--help"]]);
  for (const [name, option] of Object.entries(options)) {
    known.set(name, `--${name}`);
    if (option.short) known.set(option.short, `-${option.short} (--${name})`);
  }
  const match = closest(unknown.replace(/^-{1,2}/, ""), [...known.keys()]);
  return match === undefined ? error.message : `${error.message}; did you mean ${known.get(match)}?`;
}

/** Set while only checking command lines (tests of the docs): commands stop right after parsing. */
const parseOnly = new AsyncLocalStorage<true>();

/** Thrown by parseArgsOrReport in parseArgumentsOnly: the command's arguments parsed. */
export class ArgumentsParsed extends Error {
  constructor(readonly command: string) {
    super(`org-s3-backup ${command}: arguments parsed`);
  }
}

/**
 * Whether a command line parses with its command's own options, without running the command: `run`
 * (normally `main(argv, io)`) is stopped by parseArgsOrReport right after a successful parse. Resolves
 * to `parsed`, or to the exit code the command returned instead (a usage error, an unknown command).
 */
export async function parseArgumentsOnly(
  run: () => Promise<number>,
): Promise<{ parsed: true; command: string } | { parsed: false; exitCode: number }> {
  try {
    return { parsed: false, exitCode: await parseOnly.run(true, run) };
  } catch (error) {
    if (error instanceof ArgumentsParsed) return { parsed: true, command: error.command };
    throw error;
  }
}

/**
 * For the commands that act on source buckets only (verify, backfill): the source accounts `--accounts`
 * names, or every enabled one without it, and of those only `shard`'s part when given. Naming the
 * central account is refused with `centralRefusal`.
 */
export function selectSourceAccounts(
  inventory: Inventory,
  accounts: string | undefined,
  centralRefusal: string,
  shard?: Shard,
): { ok: true; sources: SourceAccount[] } | { ok: false; message: string } {
  const selected = selectStacks(inventory, planStacks(inventory), {
    ...(accounts === undefined ? {} : { accounts: parseIdList(accounts) }),
    ...(shard === undefined ? {} : { shard }),
  });
  if (!selected.ok) return selected;
  if (selected.selection.centralNamed) return { ok: false, message: centralRefusal };
  const wanted = new Set(selected.selection.sources.map((plan) => plan.accountId));
  return { ok: true, sources: inventory.sources.filter((source) => wanted.has(source.accountId)) };
}

/**
 * The inventory and its selected source accounts (selectSourceAccounts), or undefined once the problem
 * is reported: the inventory's, or `args.usage`'s for the selection (the caller exits with BadInput).
 */
export async function loadSourceAccounts(
  args: { readonly inventoryPath: string; usage(message: string): number },
  io: Io,
  loadInventory: (path: string, io: Io) => Promise<Inventory | undefined>,
  selection: { accounts: string | undefined; centralRefusal: string; shard?: Shard },
): Promise<{ inventory: Inventory; sources: SourceAccount[] } | undefined> {
  const inventory = await loadInventory(args.inventoryPath, io);
  if (!inventory) return undefined;
  const selected = selectSourceAccounts(inventory, selection.accounts, selection.centralRefusal, selection.shard);
  if (!selected.ok) {
    args.usage(selected.message);
    return undefined;
  }
  return { inventory, sources: selected.sources };
}
