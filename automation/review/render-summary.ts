import { adoptionDetail } from "../../config/adoption";
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
    return `  provider ${name}: assumes ${roles || "(no role)"}, allowedAccountIds ${allowed || "(any)"}, region ${provider.inputs.region ?? "(unset)"}`;
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
    `${stack.stack} (${stack.kind}, account ${stack.accountId} ${stack.accountName}, ${stack.region}): ${custom.length} resources`,
    ...formatAdoptedBucket(stack),
    ...formatProviders(stack),
  ];
  const onDefault = custom.filter((r) => r.provider === DEFAULT_PROVIDER);
  if (onDefault.length > 0) {
    lines.push(
      `  ! ${onDefault.length} resources use the default provider (ambient credentials, not the account's role): ${onDefault.map((r) => r.name).join(", ")}`,
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
