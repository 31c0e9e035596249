import type { Inventory } from "../../config/types";
import type { StackPlan } from "./plan";
import { accountIdOfStack, CENTRAL_STACK } from "../../infra/contract";

/** Which stacks a command acts on, from `--accounts` and `--exclude`. Pure functions. */

export interface SelectionFlags {
  /** Only these (account ids, or `central`); undefined = every stack. */
  readonly accounts?: readonly string[];
  readonly exclude?: readonly string[];
}

export interface Selection {
  /** The central stack's plan (always known: sources need its outputs). */
  readonly centralPlan: StackPlan;
  /** Whether the central stack itself is operated on. */
  readonly central: boolean;
  /** True when `--accounts` names `central` (destroy only touches central when named). */
  readonly centralNamed: boolean;
  readonly sources: readonly StackPlan[];
  /** True when `--accounts` restricted the run. */
  readonly restricted: boolean;
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
      message: `--accounts: ${disabledNamed.join(", ")} ${disabledNamed.length === 1 ? "is" : "are"} disabled (enabled: false) in ${inventory.sourcePath}`,
    };
  }

  const restricted = flags.accounts !== undefined;
  const wanted = (key: string) => (!restricted || included.keys.has(key)) && !excluded.keys.has(key);
  return {
    ok: true,
    selection: {
      centralPlan,
      central: wanted(CENTRAL_STACK),
      centralNamed: included.keys.has(CENTRAL_STACK) && !excluded.keys.has(CENTRAL_STACK),
      sources: plans.filter((plan) => plan.kind === "source" && wanted(plan.accountId)),
      restricted,
    },
  };
}

/**
 * Stacks in the backend whose account left the inventory or was disabled. Stacks not named by our rule
 * (`central`, `account-<id>`) are someone else's and never orphans.
 */
export function findOrphans(existingStacks: readonly string[], inventory: Inventory): string[] {
  const enabled = new Set(inventory.sources.filter((source) => source.enabled).map((source) => source.accountId));
  return existingStacks.filter((name) => {
    const accountId = accountIdOfStack(name);
    return accountId !== undefined && !enabled.has(accountId);
  });
}
