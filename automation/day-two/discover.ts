import {
  type Account,
  type OrganizationsClient,
  paginateListAccounts,
  paginateListAccountsForParent,
  paginateListOrganizationalUnitsForParent,
} from "@aws-sdk/client-organizations";
import { isMap, isSeq, parseDocument, Scalar, stringify, type YAMLMap, YAMLSeq } from "yaml";
import type { Inventory } from "../../config/types";

/**
 * `discover`: the organization's accounts compared with the inventory. The comparison and the YAML edit
 * are pure functions; the Organizations listing at the bottom is the only I/O.
 */

export interface OrgAccount {
  readonly accountId: string;
  readonly name: string;
  /** ACTIVE, SUSPENDED, PENDING_ACTIVATION, PENDING_CLOSURE or CLOSED (Organizations `State`). */
  readonly state: string;
}

export type GoneReason = "not in the organization" | "suspended" | "pending closure" | "closed";

const GONE_STATES: Readonly<Record<string, GoneReason>> = {
  SUSPENDED: "suspended",
  PENDING_CLOSURE: "pending closure",
  CLOSED: "closed",
};

export interface InventoryDrift {
  /** ACTIVE accounts in scope that the inventory lacks (the central account and `ignore:` never count). */
  readonly missing: readonly OrgAccount[];
  /** ACTIVE accounts in scope the inventory's `ignore:` leaves out on purpose (not proposed). */
  readonly ignored: readonly (OrgAccount & { readonly reason?: string })[];
  /** Inventory accounts that left the organization or are being closed. */
  readonly gone: readonly {
    readonly accountId: string;
    readonly name: string;
    readonly enabled: boolean;
    readonly reason: GoneReason;
  }[];
}

/**
 * `organization` is every account (existence and status are judged against all of them); `inScope`
 * the accounts below the `--ou`s, or all when none were given: only those can be missing.
 */
export function compareWithOrganization(
  inventory: Inventory,
  organization: readonly OrgAccount[],
  inScope: readonly OrgAccount[] = organization,
): InventoryDrift {
  const known = new Set([inventory.central.accountId, ...inventory.sources.map((source) => source.accountId)]);
  const reasons = new Map((inventory.ignored ?? []).map((entry) => [entry.accountId, entry.reason]));
  const unknown = inScope.filter((account) => account.state === "ACTIVE" && !known.has(account.accountId));
  const missing = unknown.filter((account) => !reasons.has(account.accountId));
  const ignored = unknown.flatMap((account) => {
    if (!reasons.has(account.accountId)) return [];
    const reason = reasons.get(account.accountId);
    return [{ ...account, ...(reason !== undefined ? { reason } : {}) }];
  });
  const byId = new Map(organization.map((account) => [account.accountId, account]));
  const gone = inventory.sources.flatMap((source) => {
    const account = byId.get(source.accountId);
    const reason: GoneReason | undefined =
      account === undefined ? "not in the organization" : GONE_STATES[account.state];
    return reason ? [{ accountId: source.accountId, name: source.name, enabled: source.enabled, reason }] : [];
  });
  return { missing: uniqueById(missing), ignored: uniqueById(ignored), gone };
}

function uniqueById<Account extends OrgAccount>(accounts: readonly Account[]): Account[] {
  const seen = new Set<string>();
  return accounts.filter((account) => !seen.has(account.accountId) && seen.add(account.accountId) !== undefined);
}

/** 0 in step; 1 when accounts are missing (and were not written) or gone. */
export function discoverExitCode(drift: InventoryDrift, written: boolean): 0 | 1 {
  return (drift.missing.length > 0 && !written) || drift.gone.length > 0 ? 1 : 0;
}

/**
 * The inventory text with `accounts` entries appended for `accounts`. A block list (the usual form) gets
 * the new lines spliced in after its last entry, so every other byte of the file (comments, spacing,
 * quoting) stays as it was; a missing or flow-style list is written by the YAML library, which keeps
 * comments but normalises spacing. Ids are quoted strings: unquoted, YAML would read 012345678901 as a
 * number and lose the leading zero.
 */
export function addAccountsToYaml(text: string, accounts: readonly OrgAccount[], note: string): string {
  const document = parseDocument(text);
  if (document.errors.length > 0) throw new Error(`the inventory is not valid YAML: ${document.errors[0].message}`);
  if (!isMap(document.contents)) throw new Error("the inventory's top level is not a mapping");
  const sequence = document.get("accounts", true);
  if (sequence !== undefined && sequence !== null && !isSeq(sequence))
    throw new Error("the inventory's `accounts` is not a list");
  if (accounts.length === 0) return text;
  if (isSeq(sequence) && !sequence.flow && sequence.items.length > 0)
    return spliceIntoBlockList(text, sequence, accounts, note);

  const list = isSeq(sequence) ? sequence : new YAMLSeq();
  list.flow = false;
  accounts.forEach((account, index) => {
    const entry = document.createNode({}) as YAMLMap;
    const id = new Scalar(account.accountId);
    id.type = Scalar.QUOTE_DOUBLE;
    entry.set("id", id);
    entry.set("name", account.name);
    if (index === 0) entry.commentBefore = ` ${note}`;
    list.items.push(entry);
  });
  document.set("accounts", list);
  return document.toString();
}

function spliceIntoBlockList(text: string, list: YAMLSeq, accounts: readonly OrgAccount[], note: string): string {
  const ranges = list.items.map((item) => (item as { range?: [number, number, number] }).range);
  const first = ranges[0];
  const last = ranges[ranges.length - 1];
  if (!first || !last) throw new Error("the YAML parser gave no source positions for `accounts`");
  const firstLineStart = text.lastIndexOf("\n", first[0] - 1) + 1;
  const indent = text.slice(firstLineStart, text.indexOf("-", firstLineStart));
  // Entries separated by blank lines in the file get blank lines between the new ones too.
  const spaced =
    ranges.length > 1 && ranges[1] !== undefined && /\n[ \t]*\n/.test(text.slice(first[1] - 1, ranges[1][0]));
  const lineEnd = text.indexOf("\n", last[1] - 1);
  const insertAt = lineEnd === -1 ? text.length : lineEnd + 1;
  const head = lineEnd === -1 ? `${text}\n` : text.slice(0, insertAt);
  const entries = accounts.map(
    (account) =>
      `${indent}- id: ${JSON.stringify(account.accountId)}\n${indent}  name: ${stringify(account.name).trimEnd()}\n`,
  );
  const body = `${indent}# ${note}\n${entries.join(spaced ? "\n" : "")}`;
  return `${head}${spaced ? "\n" : ""}${body}${text.slice(insertAt)}`;
}

export function formatDrift(drift: InventoryDrift, written: boolean, inventoryPath: string): string {
  const lines: string[] = [];
  if (drift.missing.length > 0) {
    lines.push(`${written ? "Added to" : "Missing from"} ${inventoryPath} (ACTIVE in the organization):`);
    for (const account of drift.missing) lines.push(`  ${account.accountId}  ${account.name}`);
  }
  if (drift.gone.length > 0) {
    lines.push(`In ${inventoryPath} but no longer usable (remove them or set enabled: false, then run up --prune):`);
    for (const account of drift.gone)
      lines.push(
        `  ${account.accountId}  ${account.name}  ${account.reason}${account.enabled ? "" : " (already disabled)"}`,
      );
  }
  if (lines.length === 0) lines.push(`${inventoryPath} is in step with the organization.`);
  else if (drift.missing.length > 0 && !written)
    lines.push(
      "Run with --write to add the missing accounts, or list the ones to leave out under ignore: in the inventory.",
    );
  if (drift.ignored.length > 0)
    lines.push(
      `Left out on purpose (ignore: in the inventory): ${drift.ignored
        .map((account) => `${account.accountId} ${account.name}${account.reason ? ` (${account.reason})` : ""}`)
        .join(", ")}.`,
    );
  return `${lines.join("\n")}\n`;
}

/** `ou-ab12-cdefgh34` or a root `r-ab12`. */
export function isParentId(text: string): boolean {
  return /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/.test(text) || /^r-[0-9a-z]{4,32}$/.test(text);
}

/** `State` replaces `Status` (retired by AWS on 2026-09-09); older answers only have `Status`. */
function toOrgAccount(account: Account): OrgAccount {
  return { accountId: account.Id ?? "", name: account.Name ?? "", state: account.State ?? account.Status ?? "ACTIVE" };
}

/** Every account of the organization (ListAccounts, every page). */
export async function listOrganizationAccounts(client: OrganizationsClient): Promise<OrgAccount[]> {
  const accounts: OrgAccount[] = [];
  for await (const page of paginateListAccounts({ client }, {}))
    accounts.push(...(page.Accounts ?? []).map(toOrgAccount));
  return accounts;
}

/** Accounts directly in each parent and in every OU below it, depth first. */
export async function listAccountsBelow(
  client: OrganizationsClient,
  parentIds: readonly string[],
): Promise<OrgAccount[]> {
  const accounts: OrgAccount[] = [];
  const pending = [...parentIds];
  while (pending.length > 0) {
    const parentId = pending.shift() as string;
    for await (const page of paginateListAccountsForParent({ client }, { ParentId: parentId }))
      accounts.push(...(page.Accounts ?? []).map(toOrgAccount));
    for await (const page of paginateListOrganizationalUnitsForParent({ client }, { ParentId: parentId })) {
      pending.push(...(page.OrganizationalUnits ?? []).flatMap((ou) => (ou.Id ? [ou.Id] : [])));
    }
  }
  return accounts;
}
