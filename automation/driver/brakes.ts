import { accountIdOfStack } from "../../infra/contract";
import type { Operation } from "./run";
import { wrapText } from "./summary";

/**
 * The brakes before a run changes anything: the prune bound and the confirmation, as decisions. Pure
 * functions; the prompt itself is the command's (deploy-safety.ts).
 *
 * The convention is Pulumi's: on a terminal `up` and `destroy` ask first unless `--yes` is given.
 * Without a terminal (CI) `up` goes on as it always did — it converges the accounts to the inventory,
 * and scripts that run it must keep working — while what destroys (`destroy`, `up --prune` with orphans
 * to prune) needs `--yes`: a pipeline that never meant to destroy is stopped before it does.
 */

/** Pruning more than this share of the account stacks in the backend needs `--max-prune`. */
export const PRUNE_LIMIT_PERCENT = 10;

/** How many orphan stacks `up --prune` may destroy: `--max-prune`, else 10% of the account stacks (at least 1). */
export function pruneLimit(accountStacks: number, maxPrune?: number): number {
  return maxPrune ?? Math.max(1, Math.floor((accountStacks * PRUNE_LIMIT_PERCENT) / 100));
}

/**
 * Refuses a prune larger than its limit: an inventory emptied by mistake (`accounts: []`) would
 * otherwise remove replication from every account.
 */
export function checkPruneLimit(
  orphans: readonly string[],
  existingStacks: readonly string[],
  maxPrune: number | undefined,
): { ok: true } | { ok: false; message: string } {
  const accountStacks = existingStacks.filter((name) => accountIdOfStack(name) !== undefined).length;
  const limit = pruneLimit(accountStacks, maxPrune);
  if (orphans.length <= limit) return { ok: true };
  const bound =
    maxPrune === undefined
      ? `the limit of ${limit} (${PRUNE_LIMIT_PERCENT}% of the ${accountStacks} account stacks in the backend)`
      : `--max-prune ${maxPrune}`;
  return {
    ok: false,
    message:
      `--prune would destroy ${orphans.length} orphan stack(s), more than ${bound}: ${listNames(orphans, 10)}. ` +
      `Nothing was changed. Check the inventory; if it is right, allow it with --max-prune ${orphans.length}`,
  };
}

export type Confirmation =
  | { readonly kind: "proceed" }
  | { readonly kind: "ask"; readonly question: string }
  | { readonly kind: "refuse"; readonly message: string };

export interface ConfirmationInput {
  readonly operation: Operation;
  /** A person can answer: stdin and stderr are terminals and CI is not set. */
  readonly interactive: boolean;
  readonly yes: boolean;
  /** The stacks the operation changes (up: the selected ones; destroy: the selected ones that exist). */
  readonly stacks: readonly string[];
  /** Orphan stacks `up --prune` destroys. */
  readonly prune: readonly string[];
  readonly backendUrl: string;
  readonly width?: number;
}

/** Whether to go on, ask, or refuse (exit 2) before `up` or `destroy` changes anything. */
export function confirmation(input: ConfirmationInput): Confirmation {
  const { operation, stacks, prune } = input;
  if (operation !== "up" && operation !== "destroy") return { kind: "proceed" };
  const destroys = operation === "destroy" ? stacks.length : prune.length;
  if (input.yes || (stacks.length === 0 && prune.length === 0)) return { kind: "proceed" };
  if (!input.interactive) {
    if (destroys === 0) return { kind: "proceed" };
    const what =
      operation === "destroy"
        ? `destroy changes ${stacks.length} stack(s)`
        : `up --prune destroys ${prune.length} orphan stack(s) (${listNames(prune, 5)})`;
    return {
      kind: "refuse",
      message: `${what} and there is no terminal to confirm on: pass --yes to go ahead. Nothing was changed`,
    };
  }
  const width = input.width ?? 100;
  const list = (names: readonly string[], shown: number) => wrapText(listNames(names, shown), width, "  ");
  const lines =
    operation === "destroy"
      ? [
          `destroy removes the replication rule, role and alarms of ${stacks.length} stack(s) ` +
            `on ${input.backendUrl}; buckets and keys (the data) are kept:`,
          ...list(stacks, stacks.length),
          "Do you want to perform this destroy? [y/N] ",
        ]
      : [
          `up deploys ${stacks.length} stack(s) on ${input.backendUrl}:`,
          ...list(stacks, 20),
          ...(prune.length > 0
            ? [
                `and destroys ${prune.length} orphan stack(s) (replication stops; buckets and keys are kept):`,
                ...list(prune, prune.length),
              ]
            : []),
          "Changes are not previewed here (`org-s3-backup preview` shows them).",
          "Do you want to perform this update? [y/N] ",
        ];
  return { kind: "ask", question: lines.join("\n") };
}

/** Only "y" and "yes" go ahead (any case); anything else, or no answer, does not. */
export function accepted(answer: string | undefined): boolean {
  return /^\s*y(es)?\s*$/i.test(answer ?? "");
}

function listNames(names: readonly string[], shown: number): string {
  const head = names.slice(0, shown).join(", ");
  return names.length > shown ? `${head} and ${names.length - shown} more` : head;
}
