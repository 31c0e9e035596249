import { adoptionDetail } from "../../config/adoption";
import { DEFAULT_CENTRAL_KMS_ALIAS } from "../../config/schema";
import type { CentralAccount, Inventory, SourceAccount } from "../../config/types";
import { isPolicyDocument, type PolicyDocument, type Statement } from "../../infra/policies/document";
import { DEFAULT_PROVIDER, type RenderedResource, type RenderedStack } from "./render";

/**
 * The human side of `render`: per stack, the resources it would create and every policy's statements one
 * line each (`Sid  Allow|Deny  principal  actions  resources  conditions`). Pure: strings in, strings out.
 */

/** A policy document found among a resource's inputs. */
export interface FoundPolicy {
  readonly resource: RenderedResource;
  /** Dotted path of the input holding it: `policy`, `assumeRolePolicy`, `inlinePolicies.0.policy`. */
  readonly input: string;
  readonly document: PolicyDocument;
}

/** Every policy document in a stack's resource inputs, in resource order. */
export function policiesOf(stack: RenderedStack): FoundPolicy[] {
  const found: FoundPolicy[] = [];
  const walk = (resource: RenderedResource, value: unknown, path: string[]) => {
    if (isPolicyDocument(value)) {
      found.push({ resource, input: path.join("."), document: value });
    } else if (value !== null && typeof value === "object") {
      for (const [key, child] of Object.entries(value)) walk(resource, child, [...path, key]);
    }
  };
  for (const resource of stack.resources) walk(resource, resource.inputs, []);
  return found;
}

const list = (value: string | readonly string[] | undefined): string[] =>
  value === undefined ? [] : typeof value === "string" ? [value] : [...value];

export function formatPrincipal(statement: Statement): string {
  const negated = statement.NotPrincipal !== undefined;
  const principal = negated ? statement.NotPrincipal : statement.Principal;
  if (principal === undefined) return "-";
  const text =
    typeof principal === "string"
      ? principal
      : Object.entries(principal as Record<string, string | string[]>)
          .map(([kind, ids]) => `${kind}:${list(ids).join(",")}`)
          .join(" ");
  return negated ? `not ${text}` : text;
}

export function formatConditions(statement: Statement): string {
  if (!statement.Condition) return "-";
  return Object.entries(statement.Condition)
    .flatMap(([operator, entries]) =>
      Object.entries(entries).map(([key, value]) => `${operator} ${key}=${[value].flat().map(String).join("|")}`),
    )
    .join("; ");
}

/** One statement's columns: Sid, effect, principal, actions, resources, conditions. */
export function statementColumns(statement: Statement): string[] {
  const actions =
    statement.NotAction !== undefined ? `not ${list(statement.NotAction).join(",")}` : list(statement.Action).join(",");
  const resources =
    statement.NotResource !== undefined
      ? `not ${list(statement.NotResource).join(",")}`
      : list(statement.Resource).join(",") || "-";
  return [
    statement.Sid ?? "-",
    statement.Effect,
    formatPrincipal(statement),
    actions,
    resources,
    formatConditions(statement),
  ];
}

/** Columns padded to the widest cell of each column; the last column is never padded. */
export function alignColumns(rows: string[][], indent: string): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column].length))) ?? [];
  return rows.map(
    (row) => indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join("  "),
  );
}

export function formatPolicy(policy: FoundPolicy, indent = "    "): string[] {
  return [
    `  policy ${policy.resource.type} ${policy.resource.name} .${policy.input}`,
    ...alignColumns(policy.document.Statement.map(statementColumns), indent),
  ];
}

/** Where each provider's credentials come from: the role it assumes and the accounts it may touch. */
export function formatProviders(stack: RenderedStack): string[] {
  return Object.entries(stack.providers).map(([name, provider]) => {
    const roles = ((provider.inputs.assumeRoles as { roleArn?: string }[] | undefined) ?? [])
      .map((r) => r.roleArn)
      .join(",");
    const allowed = ((provider.inputs.allowedAccountIds as string[] | undefined) ?? []).join(",");
    return (
      `  provider ${name}: assumes ${roles || "(no role)"}, allowedAccountIds ${allowed || "(any)"}, ` +
      `region ${provider.inputs.region ?? "(unset)"}`
    );
  });
}

/** An adopted bucket's key layout and what the stack manages on it, right under the stack's header. */
export function formatAdoptedBucket(stack: RenderedStack): string[] {
  const adopted = stack.adoptedBucket;
  if (!adopted) return [];
  return [`  bucket ${adopted.bucket}: ${adopted.note}`, `    ${adoptionDetail(adopted)}`];
}

export function formatStackSummary(stack: RenderedStack): string[] {
  const custom = stack.resources.filter((r) => r.custom);
  const lines = [
    `${stack.stack} (${stack.kind}, account ${stack.accountId} ${stack.accountName}, ${stack.region}): ` +
      `${custom.length} resources`,
    ...formatAdoptedBucket(stack),
    ...formatProviders(stack),
  ];
  const onDefault = custom.filter((r) => r.provider === DEFAULT_PROVIDER);
  if (onDefault.length > 0) {
    lines.push(
      `  ! ${onDefault.length} resources use the default provider (ambient credentials, not the account's role): ` +
        onDefault.map((r) => r.name).join(", "),
    );
  }
  const flags = (r: RenderedResource) =>
    [
      r.importId !== undefined ? `import ${r.importId}` : "",
      r.protect ? "protect" : "",
      r.retainOnDelete ? "retainOnDelete" : "",
    ]
      .filter(Boolean)
      .join(", ");
  lines.push(
    ...alignColumns(
      custom.map((r) => [r.type, r.name, flags(r)]),
      "    ",
    ).map((line) => line.trimEnd()),
  );
  for (const policy of policiesOf(stack)) lines.push(...formatPolicy(policy));
  return lines;
}

/** The whole summary: every stack, a blank line between them. */
export function formatRenderSummary(stacks: readonly RenderedStack[]): string {
  return `${stacks.map((stack) => formatStackSummary(stack).join("\n")).join("\n\n")}\n`;
}

/**
 * What `render` prints by default: one line per stack — its resources and policies, and the settings in
 * which it differs from the other accounts — under a header naming the settings most source accounts
 * share. The normalized inventory does not record which values came from `defaults:`; the most common
 * value is that default unless most accounts override it, and then it is the better baseline for spotting
 * the odd account out. Policies and every resource are behind `--detail` (and in the JSON files).
 */
export function formatRenderOverview(stacks: readonly RenderedStack[], inventory: Inventory): string {
  const sourcesById = new Map(inventory.sources.map((source) => [source.accountId, source]));
  const sources = stacks.flatMap((stack) => {
    const source = stack.kind === "source" ? sourcesById.get(stack.accountId) : undefined;
    return source ? [source] : [];
  });
  const usual = commonSettings(sources.map(sourceSettings));
  const count = sources.length;
  const lines = [
    `${stacks.length} stack${stacks.length === 1 ? "" : "s"}: ` +
      (stacks.some((s) => s.kind === "central") ? "central and " : "") +
      `${count} source account${count === 1 ? "" : "s"}.`,
  ];
  if (count > 0)
    lines.push(
      "Settings most source accounts share (each line below names only what differs):",
      ...wrap(
        [...usual].map(([key, value]) => `${key} ${value}`),
        "  ",
        OVERVIEW_WIDTH,
      ),
      "",
    );
  for (const stack of stacks) {
    const source = stack.kind === "source" ? sourcesById.get(stack.accountId) : undefined;
    const differs = source
      ? sourceSettings(source).filter(([key, value]) => usual.get(key) !== value)
      : stack.kind === "central"
        ? centralSettings(inventory.central)
        : [];
    lines.push(
      stackHeader(stack) +
        (differs.length > 0 ? `; ${differs.map(([key, value]) => `${key} ${value}`).join(", ")}` : ""),
      ...formatAdoptedBucket(stack),
      ...defaultProviderWarning(stack),
    );
  }
  lines.push("", "Every resource and each policy statement: org-s3-backup render --detail (or the JSON files).");
  return `${lines.join("\n")}\n`;
}

const OVERVIEW_WIDTH = 100;

/** `items` joined with ", " into lines of at most `width` columns (an item longer than that gets its own line). */
function wrap(items: readonly string[], indent: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const [index, item] of items.entries()) {
    const text = index === items.length - 1 ? item : `${item},`;
    if (line !== "" && indent.length + line.length + 1 + text.length > width) {
      lines.push(indent + line);
      line = text;
    } else line = line === "" ? text : `${line} ${text}`;
  }
  if (line !== "") lines.push(indent + line);
  return lines;
}

/** `account-1… (source, account 1… payments, eu-west-1): 14 resources, 3 policies`. */
function stackHeader(stack: RenderedStack): string {
  const custom = stack.resources.filter((r) => r.custom).length;
  const policies = policiesOf(stack).length;
  return (
    `${stack.stack} (${stack.kind}, account ${stack.accountId} ${stack.accountName}, ${stack.region}): ` +
    `${custom} resources, ${policies} ${policies === 1 ? "policy" : "policies"}`
  );
}

function defaultProviderWarning(stack: RenderedStack): string[] {
  const onDefault = stack.resources.filter((r) => r.custom && r.provider === DEFAULT_PROVIDER);
  return onDefault.length > 0
    ? [
        `  ! ${onDefault.length} resources use the default provider (ambient credentials, not the account's role): ` +
          onDefault.map((r) => r.name).join(", "),
      ]
    : [];
}

type Setting = readonly [key: string, value: string];

const onOff = (value: boolean) => (value ? "on" : "off");

/** The settings of a source account people compare across accounts, in a fixed order. */
export function sourceSettings(source: SourceAccount): Setting[] {
  return [
    ["region", source.region],
    ["role", source.roleArn.slice(source.roleArn.indexOf(":role/") + ":role/".length)],
    ["key", source.kmsAlias],
    ["storage", source.replication.storageClass],
    ["RTC", onOff(source.replication.replicationTimeControl)],
    ["metrics", onOff(source.replication.metrics)],
    ["delete markers", source.replication.deleteMarkerReplication ? "replicated" : "not replicated"],
    ["monitoring", onOff(source.monitoring.enabled)],
    ["alarm topic", source.monitoring.alarmTopicArn ?? "central"],
    ["backfill", onOff(source.backfill.enabled)],
  ];
}

/** Per setting, the value most accounts have (the first one seen on a tie), in the settings' order. */
export function commonSettings(all: readonly Setting[][]): Map<string, string> {
  const counts = new Map<string, Map<string, number>>();
  for (const settings of all)
    for (const [key, value] of settings) {
      const values = counts.get(key) ?? new Map<string, number>();
      values.set(value, (values.get(value) ?? 0) + 1);
      counts.set(key, values);
    }
  const common = new Map<string, string>();
  for (const [key, values] of counts) {
    let best: [string, number] = ["", -1];
    for (const entry of values) if (entry[1] > best[1]) best = entry;
    common.set(key, best[0]);
  }
  return common;
}

/** What the central stack has beyond a plain bucket: Object Lock, lifecycle, an own topic, another key alias. */
function centralSettings(central: CentralAccount): Setting[] {
  const settings: Setting[] = [];
  const lock = central.objectLock;
  if (lock)
    settings.push([
      "object lock",
      `${lock.mode} ${lock.years !== undefined ? plural(lock.years, "year") : plural(lock.days ?? 0, "day")}`,
    ]);
  const versions = central.noncurrentVersions;
  if (versions) {
    const parts = [
      versions.transitionAfterDays !== undefined
        ? `to ${versions.transitionStorageClass} after ${versions.transitionAfterDays} days`
        : "",
      versions.expireAfterDays !== undefined ? `expire after ${versions.expireAfterDays} days` : "",
      versions.keepNewerVersions !== undefined ? `keep ${versions.keepNewerVersions} newer` : "",
    ].filter(Boolean);
    settings.push(["noncurrent versions", `(${parts.join(", ")})`]);
  }
  if (central.alarmTopicArn) settings.push(["alarm topic", central.alarmTopicArn]);
  if (central.kmsAlias !== DEFAULT_CENTRAL_KMS_ALIAS) settings.push(["key", central.kmsAlias]);
  return settings;
}

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? "" : "s"}`;
}
