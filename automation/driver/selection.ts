import type { Inventory } from "../../config/types";
import type { StackPlan } from "./plan";
import { accountIdOfStack, CENTRAL_STACK } from "../../infra/contract";
import { formatShard, inShard, type Shard } from "./shard";

/** Which stacks a command acts on, from `--accounts`, `--exclude`, `--stacks` and `--shard`. Pure functions. */

/** `--stacks`: the central stack alone, the source stacks alone, or both (the default). */
export type StackGroup = "all" | "central" | "sources";
export const STACK_GROUPS: readonly StackGroup[] = ["all", "central", "sources"];

export interface SelectionFlags {
  /** Only these (account ids, or `central`); undefined = every stack. */
  readonly accounts?: readonly string[];
  readonly exclude?: readonly string[];
  /** Default `all`; with `shard`, `sources`. */
  readonly stacks?: StackGroup;
  /** Only the selected source accounts of this shard; the central stack is in no shard. */
  readonly shard?: Shard;
}

export interface Selection {
  /** The central stack's plan (always known: sources need its outputs). */
  readonly centralPlan: StackPlan;
  /** Whether the central stack itself is operated on. */
  readonly central: boolean;
  /** True when `--accounts` names `central` (destroy only touches central when named). */
  readonly centralNamed: boolean;
  readonly sources: readonly StackPlan[];
  /** True when `--accounts` (or `--stacks`, `--shard`) restricted the run. */
  readonly restricted: boolean;
  /** `--shard`: the sources are this shard's part of the selected accounts. */
  readonly shard?: Shard;
}

export type SelectionResult = { ok: true; selection: Selection } | { ok: false; message: string };

/** `"111,222 , "` -> `["111", "222"]`. */
export function parseIdList(text: string): string[] {
  return text
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/**
 * A token is a source account id, or `central` (the central account's id also means central when that
 * account is not a source too). Unknown ids and ids of disabled accounts named in `--accounts` are
 * errors: a typo must not silently deploy nothing.
 */
export function selectStacks(
  inventory: Inventory,
  plans: readonly StackPlan[],
  flags: SelectionFlags,
): SelectionResult {
  const centralPlan = plans.find((plan) => plan.kind === "central");
  if (!centralPlan) throw new Error("planStacks returned no central stack");
  const sourceIds = new Set(inventory.sources.map((source) => source.accountId));
  const disabledIds = new Set(inventory.sources.filter((source) => !source.enabled).map((source) => source.accountId));

  const resolve = (token: string, flag: string): { ok: true; key: string } | { ok: false; message: string } => {
    if (token === CENTRAL_STACK) return { ok: true, key: CENTRAL_STACK };
    if (!/^\d{12}$/.test(token)) {
      return { ok: false, message: `${flag}: '${token}' is not a 12-digit account id or 'central'` };
    }
    if (sourceIds.has(token)) return { ok: true, key: token };
    if (token === inventory.central.accountId) return { ok: true, key: CENTRAL_STACK };
    return { ok: false, message: `${flag}: account ${token} is not in the inventory ${inventory.sourcePath}` };
  };
  const resolveAll = (tokens: readonly string[] | undefined, flag: string) => {
    const keys = new Set<string>();
    for (const token of tokens ?? []) {
      const resolved = resolve(token, flag);
      if (!resolved.ok) return resolved;
      keys.add(resolved.key);
    }
    return { ok: true as const, keys };
  };

  const included = resolveAll(flags.accounts, "--accounts");
  if (!included.ok) return included;
  const excluded = resolveAll(flags.exclude, "--exclude");
  if (!excluded.ok) return excluded;
  const disabledNamed = [...included.keys].filter((key) => disabledIds.has(key));
  if (disabledNamed.length > 0) {
    return {
      ok: false,
      message:
        `--accounts: ${disabledNamed.join(", ")} ${disabledNamed.length === 1 ? "is" : "are"} disabled ` +
        `(enabled: false) in ${inventory.sourcePath}`,
    };
  }

  const group = groupOf(flags, included.keys);
  if (!group.ok) return group;
  const stacks = group.value;
  const restricted = flags.accounts !== undefined;
  const wanted = (key: string) => (!restricted || included.keys.has(key)) && !excluded.keys.has(key);
  const { shard } = flags;
  return {
    ok: true,
    selection: {
      centralPlan,
      central: stacks !== "sources" && wanted(CENTRAL_STACK),
      centralNamed:
        stacks === "central" ||
        (stacks === "all" && included.keys.has(CENTRAL_STACK) && !excluded.keys.has(CENTRAL_STACK)),
      sources:
        stacks === "central"
          ? []
          : plans.filter(
              (plan) =>
                plan.kind === "source" &&
                wanted(plan.accountId) &&
                (shard === undefined || inShard(plan.accountId, shard)),
            ),
      restricted: restricted || stacks !== "all",
      ...(shard ? { shard } : {}),
    },
  };
}

/** `--stacks` with what `--accounts` and `--shard` say; contradictions are usage errors. */
function groupOf(
  flags: SelectionFlags,
  included: ReadonlySet<string>,
): { ok: true; value: StackGroup } | { ok: false; message: string } {
  const { shard } = flags;
  if (shard !== undefined) {
    const central = `the central stack is in no shard: run it in its own job with --stacks central, before the shards`;
    if (flags.stacks === "central" || flags.stacks === "all") {
      return { ok: false, message: `--shard ${formatShard(shard)} with --stacks ${flags.stacks}: ${central}` };
    }
    if (included.has(CENTRAL_STACK))
      return { ok: false, message: `--shard ${formatShard(shard)}: --accounts names ${central}` };
    return { ok: true, value: "sources" };
  }
  const stacks = flags.stacks ?? "all";
  if (stacks === "central" && (flags.accounts !== undefined || flags.exclude !== undefined)) {
    return { ok: false, message: "--stacks central runs the central stack alone: leave out --accounts and --exclude" };
  }
  if (stacks === "sources" && included.has(CENTRAL_STACK)) {
    return { ok: false, message: "--stacks sources leaves the central stack out, but --accounts names it" };
  }
  return { ok: true, value: stacks };
}

/**
 * Stacks in the backend whose account left the inventory or was disabled. Stacks not named by our rule
 * (`central`, `account-<id>`) are someone else's and never orphans.
 */
export function findOrphans(existingStacks: readonly string[], inventory: Inventory, shard?: Shard): string[] {
  const enabled = new Set(inventory.sources.filter((source) => source.enabled).map((source) => source.accountId));
  return existingStacks.filter((name) => {
    const accountId = accountIdOfStack(name);
    // A shard prunes the orphans of its own accounts, so that two shards never destroy the same stack.
    return accountId !== undefined && !enabled.has(accountId) && (shard === undefined || inShard(accountId, shard));
  });
}

/** Parses `--stacks`. */
export function parseStackGroup(text: string): { ok: true; value: StackGroup } | { ok: false; message: string } {
  return (STACK_GROUPS as readonly string[]).includes(text)
    ? { ok: true, value: text as StackGroup }
    : { ok: false, message: `--stacks must be one of ${STACK_GROUPS.join(", ")}, got '${text}'` };
}
