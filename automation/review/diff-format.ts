import type { Statement } from "../../infra/policies/document";
import type { PolicyDiff, ResourceDiff, ReviewDiff, StackDiff, StatementDiff, ValueChange } from "./diff";
import { alignColumns, statementColumns } from "./render-summary";

/**
 * The review diff for people: plain text for a terminal, Markdown for a pull-request comment or
 * $GITHUB_STEP_SUMMARY. Both start with the totals and every security-relevant change, then each stack
 * that changed (security-relevant first); unchanged stacks are only counted. Pure.
 */

export interface ReviewLabels {
  /** Where the base render came from (the directory). */
  readonly base: string;
  /** Where the current render came from (`the current inventory`, or a directory). */
  readonly head: string;
}

const MARK: Record<string, string> = { added: "+", removed: "-", changed: "~", unchanged: "=" };

/** One line per widened statement or flagged resource, with the stack it is in. */
export interface SecurityItem {
  readonly stack: string;
  readonly where: string;
  readonly what: string;
  readonly why: readonly string[];
}

export function securityItems(diff: ReviewDiff): SecurityItem[] {
  const items: SecurityItem[] = [];
  for (const stack of diff.stacks) {
    for (const resource of stack.resources) {
      if (resource.flags.length > 0)
        items.push({ stack: stack.stack, where: `${resource.type} ${resource.name}`, what: "", why: resource.flags });
    }
    for (const policy of stack.policies) {
      for (const statement of policy.statements) {
        if (statement.widened.length > 0) {
          items.push({
            stack: stack.stack,
            where: `${policy.resourceType} ${policy.resourceName} .${policy.input}`,
            what: statement.id,
            why: statement.widened,
          });
        }
      }
    }
  }
  return items;
}

/** Stacks worth showing, most important first: security-relevant, then changed, added, removed. */
export function orderedStacks(diff: ReviewDiff): StackDiff[] {
  const rank = (s: StackDiff) =>
    s.securityRelevant > 0 ? 0 : s.change === "changed" ? 1 : s.change === "added" ? 2 : s.change === "removed" ? 3 : 4;
  return diff.stacks
    .filter((s) => s.change !== "unchanged")
    .map((s, i) => ({ s, i }))
    .sort((a, b) => rank(a.s) - rank(b.s) || b.s.securityRelevant - a.s.securityRelevant || a.i - b.i)
    .map(({ s }) => s);
}

export function totalsLine(diff: ReviewDiff): string {
  const t = diff.totals;
  return (
    `stacks: ${t.stacks.added} added, ${t.stacks.removed} removed, ${t.stacks.changed} changed, ` +
    `${t.stacks.unchanged} unchanged; ` +
    `resources: ${t.resources.added} added, ${t.resources.removed} removed, ${t.resources.changed} changed; ` +
    `policy statements: ${t.statements.added} added, ${t.statements.removed} removed, ${t.statements.changed} changed`
  );
}

function show(value: unknown, max = 160): string {
  if (value === undefined) return "(absent)";
  const text = JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function valueChange(change: ValueChange): string {
  return `${change.path}: ${show(change.before)} -> ${show(change.after)}`;
}

function stackTitle(stack: StackDiff): string {
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
  const size =
    stack.change === "added" || stack.change === "removed"
      ? ` — ${count(stack.resources.length, "resource")}, ${count(
          stack.policies.reduce((n, p) => n + p.statements.length, 0),
          "policy statement",
        )}`
      : "";
  return `${stack.stack} (${stack.kind}, account ${stack.accountId} ${stack.accountName}): ${stack.change}${size}`;
}

function removedNote(resource: ResourceDiff): string {
  return resource.change === "removed" && resource.retained ? "  (stays in AWS: protect/retainOnDelete)" : "";
}

// ---------------------------------------------------------------------------------------------- text

export function formatReviewText(diff: ReviewDiff, labels: ReviewLabels): string {
  const lines = [`org-s3-backup review: ${labels.base} -> ${labels.head}`, totalsLine(diff)];
  const items = securityItems(diff);
  if (items.length === 0) lines.push("no security-relevant change");
  else {
    lines.push(
      `!! ${items.length} SECURITY-RELEVANT change${items.length === 1 ? "" : "s"} ` +
        "(more is allowed, or protection is gone):",
    );
    for (const item of items) {
      lines.push(`!!   ${item.stack}  ${item.where}${item.what ? `  ${item.what}` : ""}: ${item.why.join("; ")}`);
    }
  }
  for (const stack of orderedStacks(diff)) {
    lines.push("", `${MARK[stack.change]} ${stackTitle(stack)}`);
    for (const change of stack.stackChanges) lines.push(`    stack ${valueChange(change)}`);
    for (const resource of stack.resources) {
      lines.push(`  ${MARK[resource.change]} ${resource.type} ${resource.name}${removedNote(resource)}`);
      for (const flag of resource.flags) lines.push(`      !! ${flag}`);
      for (const change of resource.changes) lines.push(`      ${valueChange(change)}`);
    }
    for (const policy of stack.policies) lines.push(...textPolicy(policy));
  }
  return `${lines.join("\n")}\n`;
}

function textPolicy(policy: PolicyDiff): string[] {
  const lines = [`  ${MARK[policy.change]} policy ${policy.resourceType} ${policy.resourceName} .${policy.input}`];
  for (const statement of policy.statements) {
    const flag = statement.widened.length > 0 ? `   !! ${statement.widened.join("; ")}` : "";
    lines.push(`      ${MARK[statement.change]} ${statement.id}${flag}`);
    const rows: string[][] = [];
    if (statement.before) rows.push(["before", ...statementColumns(statement.before).slice(1)]);
    if (statement.after) rows.push(["after", ...statementColumns(statement.after).slice(1)]);
    lines.push(...alignColumns(rows, "          "));
  }
  return lines;
}

// ------------------------------------------------------------------------------------------ markdown

export interface MarkdownOptions {
  /** Stacks shown expanded; the others are collapsed in <details>. */
  readonly open: number;
  /** Upper bound of the output (a PR comment takes 65,536 characters); stacks past it are only named. */
  readonly maxChars: number;
}

export const DEFAULT_MARKDOWN_OPTIONS: MarkdownOptions = { open: 3, maxChars: 60_000 };

export function formatReviewMarkdown(
  diff: ReviewDiff,
  labels: ReviewLabels,
  options: MarkdownOptions = DEFAULT_MARKDOWN_OPTIONS,
): string {
  const items = securityItems(diff);
  const t = diff.totals;
  const headline =
    items.length > 0
      ? `**⚠️ ${items.length} security-relevant change${items.length === 1 ? "" : "s"}**`
      : "No security-relevant change";
  const head = [
    "## org-s3-backup review",
    "",
    `${headline} · ` +
      `stacks: ${t.stacks.added} added, ${t.stacks.removed} removed, ${t.stacks.changed} changed, ` +
      `${t.stacks.unchanged} unchanged · ` +
      `resources: +${t.resources.added} −${t.resources.removed} ~${t.resources.changed} · ` +
      `policy statements: +${t.statements.added} −${t.statements.removed} ~${t.statements.changed}`,
    "",
    `<sub>base: ${escapeHtml(labels.base)} → ${escapeHtml(labels.head)}</sub>`,
    "",
  ];
  if (items.length > 0) {
    head.push(
      "### ⚠️ Security-relevant: more is allowed, or protection is gone",
      "",
      "| Stack | Where | Statement | Why |",
      "|---|---|---|---|",
      ...items.map(
        (item) =>
          `| ${code(item.stack)} | ${code(item.where)} | ${item.what ? code(item.what) : "–"} | ` +
          `${cell(item.why.join("; "))} |`,
      ),
      "",
    );
  }
  const stacks = orderedStacks(diff);
  let out = head.join("\n");
  if (out.length > options.maxChars) {
    out = `${out.slice(0, options.maxChars - 200)}\n\n…(security table cut to fit)\n`;
  }
  let shown = 0;
  for (const stack of stacks) {
    const section = markdownStack(stack, shown < options.open);
    if (out.length + section.length + 300 > options.maxChars) break;
    out += `\n${section}`;
    shown += 1;
  }
  if (shown < stacks.length) {
    const rest = stacks.slice(shown).map((s) => s.stack);
    const names = rest.slice(0, 50).join(", ") + (rest.length > 50 ? ", …" : "");
    const limit = options.maxChars.toLocaleString("en-US");
    out +=
      `\n_${rest.length} more changed stack${rest.length === 1 ? "" : "s"} not shown ` +
      `(size limit ${limit} characters): ${escapeHtml(names)}. ` +
      "Run `org-s3-backup review --base DIR` for the full text._\n";
  }
  return out.endsWith("\n") ? out : `${out}\n`;
}

function markdownStack(stack: StackDiff, open: boolean): string {
  const warn = stack.securityRelevant > 0 ? "⚠️ " : "";
  const about =
    `${stack.kind} · account ${stack.accountId} (${stack.accountName})` +
    (stack.securityRelevant > 0 ? ` · ${stack.securityRelevant} security-relevant` : "");
  const body: string[] = [];
  if (stack.stackChanges.length > 0) {
    body.push("| Stack field | Before | After |", "|---|---|---|");
    for (const change of stack.stackChanges) {
      body.push(`| ${code(change.path)} | ${code(show(change.before))} | ${code(show(change.after))} |`);
    }
    body.push("");
  }
  if (stack.resources.length > 0) {
    body.push("| | Resource | Change |", "|---|---|---|");
    for (const resource of stack.resources) {
      const what =
        resource.change === "changed"
          ? [
              ...resource.flags.map((flag) => `⚠️ ${escapeHtml(flag)}`),
              ...resource.changes.map(
                (c) => `${code(c.path)}: ${code(show(c.before, 120))} → ${code(show(c.after, 120))}`,
              ),
            ].join("<br>")
          : resource.change === "removed" && resource.retained
            ? "removed from the program; stays in AWS (protect/retainOnDelete)"
            : resource.change;
      body.push(`| ${MARK[resource.change]} | ${code(resource.type)} ${code(resource.name)} | ${what} |`);
    }
    body.push("");
  }
  for (const policy of stack.policies) body.push(...markdownPolicy(policy));
  const title = `${code(stack.stack)} — ${stack.change}`;
  if (open) return [`### ${warn}${title}`, "", about, "", ...body].join("\n");
  return [
    `<details><summary>${warn}<code>${escapeHtml(stack.stack)}</code> — ` +
      `${stack.change} (${escapeHtml(about)})</summary>`,
    "",
    ...body,
    "</details>",
    "",
  ].join("\n");
}

function markdownPolicy(policy: PolicyDiff): string[] {
  const lines = [
    `**Policy** ${code(policy.resourceType)} ${code(policy.resourceName)} ` +
      `${code(`.${policy.input}`)} — ${policy.change}`,
    "",
    "| | Sid | Effect | Principal | Actions | Resources | Conditions | Security |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const statement of policy.statements) lines.push(...markdownStatement(statement));
  lines.push("");
  return lines;
}

function markdownStatement(statement: StatementDiff): string[] {
  const row = (label: string, s: Statement, security: string) => {
    const [, effect, principal, actionList, resourceList, conditions] = statementColumns(s);
    // Room to wrap: a long list without spaces would make the table scroll sideways.
    const actions = actionList.replace(/,/g, ", ");
    const resources = resourceList.replace(/,(?=arn:|\*|<unknown)/g, ", ");
    return (
      `| ${label} | ${code(statement.id)} | ${effect} | ${code(principal)} | ` +
      `${code(actions)} | ${code(resources)} | ${code(conditions)} | ${security} |`
    );
  };
  const security = statement.widened.length > 0 ? `⚠️ ${cell(statement.widened.join("; "))}` : "–";
  const mark = MARK[statement.change];
  const rows: string[] = [];
  if (statement.before && statement.after) {
    rows.push(row(`${mark} before`, statement.before, "–"), row(`${mark} after`, statement.after, security));
  } else if (statement.after) rows.push(row(mark, statement.after, security));
  else if (statement.before) rows.push(row(mark, statement.before, security));
  return rows;
}

/** Inline code that survives a GFM table cell: pipes escaped, no line breaks, long values cut. */
export function code(text: string, max = 400): string {
  if (text === "" || text === "-") return "–";
  const cut = text.length > max ? `${text.slice(0, max - 1)}…` : text;
  const escaped = cut.replace(/\r?\n/g, " ").replace(/\|/g, "\\|");
  return escaped.includes("`") ? `\`\` ${escaped} \`\`` : `\`${escaped}\``;
}

/** Plain text in a table cell: HTML and Markdown emphasis, links and code defused, pipes escaped. */
function cell(text: string): string {
  return escapeHtml(text)
    .replace(/([\\`*_[\]])/g, "\\$1")
    .replace(/\|/g, "\\|")
    .replace(/\r?\n/g, " ");
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
