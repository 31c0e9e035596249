import {
  type Conditions,
  isPolicyDocument,
  type PolicyDocument,
  type Principal,
  type Statement,
} from "../../infra/policies/document";
import type { RenderedResource, RenderedStack } from "./render";

/**
 * The review diff: what a change does to each stack, from two renders (the base branch's and the
 * change's). Resources are matched by type and logical name, policy documents by the resource and input
 * holding them, statements by Sid. Pure: rendered stacks in, a ReviewDiff out (formatting is in
 * diff-format.ts).
 *
 * A change is security-relevant when it lets more through: an Allow statement that is new or grants new
 * actions, resources or principals, or lost or relaxed a condition; a Deny that is gone, became an Allow,
 * or covers less (fewer actions, resources, principals, or new conditions it needs to apply); and, outside
 * policies, a resource that lost `protect` or `retainOnDelete`, a public-access block switched off, or a
 * provider assuming another role. Statements of a stack that is new as a whole (an added account) are
 * listed but not flagged one by one: the new stack itself is the change to review.
 */

export type Change = "added" | "removed" | "changed";

/** One leaf that differs; `before`/`after` absent = the path does not exist on that side. */
export interface ValueChange {
  readonly path: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

export interface ResourceDiff {
  readonly change: Change;
  readonly type: string;
  readonly name: string;
  /** changed: each input or option (`opts.protect`...) that differs, policy documents excepted. */
  readonly changes: readonly ValueChange[];
  /** removed: the resource stays in AWS (protect or retainOnDelete): only its state goes. */
  readonly retained?: boolean;
  /** Security-relevant changes outside policies (protection or public-access block removed, role changed). */
  readonly flags: readonly string[];
}

export interface StatementDiff {
  readonly change: Change;
  /** The Sid, or `#n` (position in the document, from 1) for a statement without one. */
  readonly id: string;
  readonly before?: Statement;
  readonly after?: Statement;
  /** Why this lets more through; empty when it does not. */
  readonly widened: readonly string[];
}

export interface PolicyDiff {
  readonly change: Change;
  readonly resourceType: string;
  readonly resourceName: string;
  /** Dotted input path of the document: `policy`, `assumeRolePolicy`. */
  readonly input: string;
  readonly statements: readonly StatementDiff[];
}

export interface StackDiff {
  readonly stack: string;
  readonly change: Change | "unchanged";
  readonly kind: string;
  readonly accountId: string;
  readonly accountName: string;
  /** Stack-level fields (role, region, adopted bucket) and outputs that differ. */
  readonly stackChanges: readonly ValueChange[];
  readonly resources: readonly ResourceDiff[];
  readonly policies: readonly PolicyDiff[];
  /** Widened statements plus flagged resources. */
  readonly securityRelevant: number;
}

export interface Counts {
  added: number;
  removed: number;
  changed: number;
}

export interface ReviewDiff {
  readonly stacks: readonly StackDiff[];
  readonly totals: {
    readonly stacks: Counts & { unchanged: number };
    readonly resources: Counts;
    readonly statements: Counts;
    readonly securityRelevant: number;
  };
}

/** Diffs every stack of `base` against `head` (matched by stack name), central first, then by name. */
export function diffRenders(base: readonly RenderedStack[], head: readonly RenderedStack[]): ReviewDiff {
  const baseByName = new Map(base.map((stack) => [stack.stack, stack]));
  const headByName = new Map(head.map((stack) => [stack.stack, stack]));
  const names = [...new Set([...baseByName.keys(), ...headByName.keys()])].sort(byStackName);
  const stacks = names.map((name) => diffStack(baseByName.get(name), headByName.get(name)));
  const count = <T extends { change: string }>(items: readonly T[]): Counts => ({
    added: items.filter((i) => i.change === "added").length,
    removed: items.filter((i) => i.change === "removed").length,
    changed: items.filter((i) => i.change === "changed").length,
  });
  return {
    stacks,
    totals: {
      stacks: { ...count(stacks), unchanged: stacks.filter((s) => s.change === "unchanged").length },
      resources: count(stacks.flatMap((s) => s.resources)),
      statements: count(stacks.flatMap((s) => s.policies.flatMap((p) => p.statements))),
      securityRelevant: stacks.reduce((sum, s) => sum + s.securityRelevant, 0),
    },
  };
}

function byStackName(a: string, b: string): number {
  if (a === b) return 0;
  if (a === "central") return -1;
  if (b === "central") return 1;
  return a < b ? -1 : 1;
}

/** One stack; either side may be missing (an added or a removed account). */
export function diffStack(base: RenderedStack | undefined, head: RenderedStack | undefined): StackDiff {
  const either = (head ?? base) as RenderedStack;
  const wholeStack: Change | undefined = base === undefined ? "added" : head === undefined ? "removed" : undefined;
  const baseResources = resourcesOf(base);
  const headResources = resourcesOf(head);
  const keys = [...new Set([...baseResources.keys(), ...headResources.keys()])];

  const resources: ResourceDiff[] = [];
  const policies: PolicyDiff[] = [];
  for (const key of keys) {
    const before = baseResources.get(key);
    const after = headResources.get(key);
    const resource = diffResource(before, after);
    if (resource) resources.push(resource);
    policies.push(...diffPolicies(before, after, wholeStack !== undefined));
  }
  const stackChanges = wholeStack ? [] : diffStackFields(base as RenderedStack, head as RenderedStack);
  const securityRelevant =
    resources.filter((r) => r.flags.length > 0).length +
    policies.flatMap((p) => p.statements).filter((s) => s.widened.length > 0).length;
  const change =
    wholeStack ?? (resources.length > 0 || policies.length > 0 || stackChanges.length > 0 ? "changed" : "unchanged");
  return {
    stack: either.stack,
    change,
    kind: either.kind,
    accountId: either.accountId,
    accountName: either.accountName,
    stackChanges,
    resources,
    policies,
    securityRelevant,
  };
}

/** Resources and providers of a stack, keyed `type name`, in render order. */
function resourcesOf(stack: RenderedStack | undefined): Map<string, RenderedResource> {
  const map = new Map<string, RenderedResource>();
  if (!stack) return map;
  for (const [name, provider] of Object.entries(stack.providers ?? {})) {
    map.set(`${provider.type} ${name}`, { type: provider.type, name, custom: true, inputs: provider.inputs ?? {} });
  }
  // Components have no cloud counterpart; a change of parent shows on the children (opts.parent).
  for (const resource of stack.resources ?? []) {
    if (resource.custom !== false) map.set(`${resource.type} ${resource.name}`, resource);
  }
  return map;
}

const OPTIONS = ["parent", "provider", "protect", "retainOnDelete", "importId"] as const;
const PUBLIC_ACCESS_BLOCKS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];

function diffResource(
  before: RenderedResource | undefined,
  after: RenderedResource | undefined,
): ResourceDiff | undefined {
  const either = (after ?? before) as RenderedResource;
  if (!before || !after) {
    return {
      change: before ? "removed" : "added",
      type: either.type,
      name: either.name,
      changes: [],
      ...(before && (before.protect || before.retainOnDelete) ? { retained: true } : {}),
      flags: [],
    };
  }
  const skip = new Set([...policyDocuments(before).keys(), ...policyDocuments(after).keys()]);
  const changes: ValueChange[] = [];
  for (const option of OPTIONS) diffValues(before[option], after[option], `opts.${option}`, changes, () => false);
  diffValues(before.inputs, after.inputs, "", changes, (path) => skip.has(path));
  if (changes.length === 0) return undefined;
  return { change: "changed", type: either.type, name: either.name, changes, flags: resourceFlags(before, after) };
}

function resourceFlags(before: RenderedResource, after: RenderedResource): string[] {
  const flags: string[] = [];
  if (before.protect && !after.protect) flags.push("protect removed: `pulumi destroy` may now delete it");
  if (before.retainOnDelete && !after.retainOnDelete)
    flags.push("retainOnDelete removed: removing it from the program now deletes it in AWS");
  for (const input of PUBLIC_ACCESS_BLOCKS) {
    if (before.inputs[input] === true && after.inputs[input] !== true) flags.push(`${input} switched off`);
  }
  if (
    before.type.startsWith("pulumi:providers:") &&
    JSON.stringify(before.inputs.assumeRoles) !== JSON.stringify(after.inputs.assumeRoles)
  ) {
    flags.push("the provider assumes another role");
  }
  return flags;
}

/** The policy documents a resource holds, by dotted input path (`policy`, `inlinePolicies.0.policy`). */
function policyDocuments(resource: RenderedResource | undefined): Map<string, PolicyDocument> {
  const found = new Map<string, PolicyDocument>();
  const walk = (value: unknown, path: string[]) => {
    if (isPolicyDocument(value)) found.set(path.join("."), value);
    else if (value !== null && typeof value === "object") {
      for (const [key, child] of Object.entries(value)) walk(child, [...path, key]);
    }
  };
  if (resource) walk(resource.inputs, []);
  return found;
}

/** Every leaf of `before` and `after` that differs, as dotted paths; `skip` prunes subtrees. */
export function diffValues(
  before: unknown,
  after: unknown,
  path: string,
  out: ValueChange[],
  skip: (path: string) => boolean,
): void {
  if (path !== "" && skip(path)) return;
  if (isRecord(before) && isRecord(after)) {
    for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
      diffValues(before[key], after[key], path === "" ? key : `${path}.${key}`, out, skip);
    }
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      diffValues(before[i], after[i], path === "" ? String(i) : `${path}.${i}`, out, skip);
    }
    return;
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return;
  out.push({
    path: path === "" ? "(value)" : path,
    ...(before === undefined ? {} : { before }),
    ...(after === undefined ? {} : { after }),
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function diffStackFields(base: RenderedStack, head: RenderedStack): ValueChange[] {
  const fields = (stack: RenderedStack) => {
    const { providers: _p, resources: _r, stack: _s, ...rest } = stack;
    return rest as Record<string, unknown>;
  };
  const changes: ValueChange[] = [];
  diffValues(fields(base), fields(head), "", changes, () => false);
  return changes;
}

/** The policy documents of one resource on both sides, statement by statement. */
function diffPolicies(
  before: RenderedResource | undefined,
  after: RenderedResource | undefined,
  wholeStackChange: boolean,
): PolicyDiff[] {
  const beforeDocs = policyDocuments(before);
  const afterDocs = policyDocuments(after);
  const either = (after ?? before) as RenderedResource;
  const diffs: PolicyDiff[] = [];
  for (const input of [...new Set([...beforeDocs.keys(), ...afterDocs.keys()])]) {
    const b = beforeDocs.get(input);
    const a = afterDocs.get(input);
    // A new document in an existing stack grants something new; a stack added or removed as a whole is
    // reviewed as such (and a removed stack's retained bucket keeps its policy in AWS).
    const statements = diffStatements(b?.Statement ?? [], a?.Statement ?? [], { flag: !wholeStackChange });
    if (statements.length === 0) continue;
    diffs.push({
      change: b === undefined ? "added" : a === undefined ? "removed" : "changed",
      resourceType: either.type,
      resourceName: either.name,
      input,
      statements,
    });
  }
  return diffs;
}

/** Statements matched by Sid; without a Sid, equal ones match, the rest pair up in order. */
export function diffStatements(
  before: readonly Statement[],
  after: readonly Statement[],
  options: { flag: boolean } = { flag: true },
): StatementDiff[] {
  const ids = (statements: readonly Statement[]) => {
    const seen = new Map<string, number>();
    return statements.map((statement, i) => {
      if (statement.Sid === undefined || statement.Sid === "") return `#${i + 1}`;
      const n = (seen.get(statement.Sid) ?? 0) + 1;
      seen.set(statement.Sid, n);
      return n === 1 ? statement.Sid : `${statement.Sid}#${n}`;
    });
  };
  const beforeIds = ids(before);
  const afterIds = ids(after);
  const pairs: { id: string; before?: Statement; after?: Statement }[] = [];
  const usedAfter = new Set<number>();
  const unmatchedBefore: number[] = [];
  before.forEach((statement, i) => {
    if (statement.Sid) {
      const j = afterIds.indexOf(beforeIds[i]);
      if (j >= 0) {
        usedAfter.add(j);
        pairs.push({ id: beforeIds[i], before: statement, after: after[j] });
      } else pairs.push({ id: beforeIds[i], before: statement });
      return;
    }
    const j = after.findIndex((other, k) => !other.Sid && !usedAfter.has(k) && same(other, statement));
    if (j >= 0) {
      usedAfter.add(j);
      pairs.push({ id: beforeIds[i], before: statement, after: after[j] });
    } else unmatchedBefore.push(i);
  });
  const unmatchedAfter = after.map((_, j) => j).filter((j) => !usedAfter.has(j) && !after[j].Sid);
  for (let k = 0; k < Math.max(unmatchedBefore.length, unmatchedAfter.length); k++) {
    const i = unmatchedBefore[k];
    const j = unmatchedAfter[k];
    if (j !== undefined) usedAfter.add(j);
    pairs.push({
      id: i !== undefined ? beforeIds[i] : afterIds[j],
      ...(i !== undefined ? { before: before[i] } : {}),
      ...(j !== undefined ? { after: after[j] } : {}),
    });
  }
  after.forEach((statement, j) => {
    if (!usedAfter.has(j)) pairs.push({ id: afterIds[j], after: statement });
  });

  const diffs: StatementDiff[] = [];
  for (const pair of pairs) {
    if (pair.before && pair.after) {
      if (same(pair.before, pair.after)) continue;
      diffs.push({ change: "changed", ...pair, widened: widenings(pair.before, pair.after) });
    } else if (pair.after) {
      const widened = options.flag && pair.after.Effect === "Allow" ? ["new Allow statement"] : [];
      diffs.push({ change: "added", ...pair, widened });
    } else {
      const widened = options.flag && pair.before?.Effect === "Deny" ? ["Deny statement removed"] : [];
      diffs.push({ change: "removed", ...pair, widened });
    }
  }
  return diffs;
}

function same(a: Statement, b: Statement): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    isRecord(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, v[k]]),
        )
      : v,
  );
}

const list = (value: string | readonly string[] | undefined): string[] =>
  value === undefined ? [] : typeof value === "string" ? [value] : [...value];

/** Why `after` lets through more than `before` did (same Sid); empty when it does not. */
export function widenings(before: Statement, after: Statement): string[] {
  if (before.Effect === "Deny" && after.Effect === "Allow") return ["Deny became Allow"];
  if (before.Effect === "Allow" && after.Effect === "Deny") return [];
  return before.Effect === "Allow" ? allowWidenings(before, after) : denyNarrowings(before, after);
}

function allowWidenings(before: Statement, after: Statement): string[] {
  const found: string[] = [];
  found.push(...elementWidening("actions", before.Action, before.NotAction, after.Action, after.NotAction, true));
  found.push(
    ...elementWidening("resources", before.Resource, before.NotResource, after.Resource, after.NotResource, false),
  );
  found.push(...principalWidening(before.Principal, before.NotPrincipal, after.Principal, after.NotPrincipal));
  found.push(...conditionRelaxations(before.Condition, after.Condition));
  return found;
}

/** A Deny lets more through when it covers fewer actions, resources or principals, or needs more conditions. */
function denyNarrowings(before: Statement, after: Statement): string[] {
  const found: string[] = [];
  const lost = (what: string, b: string[], a: string[], ignoreCase: boolean) => {
    const gone = b.filter((x) => !a.some((pattern) => globMatch(pattern, x, ignoreCase)));
    if (gone.length > 0) found.push(`Deny no longer covers ${what} ${gone.join(", ")}`);
  };
  if (before.Action !== undefined && after.Action !== undefined)
    lost("actions", list(before.Action), list(after.Action), true);
  else if (before.Action !== undefined || after.Action !== undefined)
    found.push("Deny switched between Action and NotAction");
  if (before.Resource !== undefined && after.Resource !== undefined)
    lost("resources", list(before.Resource), list(after.Resource), false);
  else if (before.Resource !== undefined || after.Resource !== undefined)
    found.push("Deny switched between Resource and NotResource");
  const bp = principalEntries(before.Principal);
  const ap = principalEntries(after.Principal);
  const gone = bp.filter((p) => !ap.some((q) => q.kind === p.kind && globMatch(q.id, p.id, false)) && !ap.some(isStar));
  if (gone.length > 0) found.push(`Deny no longer applies to ${gone.map(showPrincipal).join(", ")}`);
  const before_ = conditionEntries(before.Condition);
  for (const entry of conditionEntries(after.Condition)) {
    const old = before_.find((b) => b.operator === entry.operator && b.key === entry.key);
    if (!old) found.push(`Deny now applies only when ${entry.operator} ${entry.key}=${entry.values.join("|")}`);
    else if (old.values.some((v) => !entry.values.includes(v)))
      found.push(
        `Deny condition ${entry.operator} ${entry.key} no longer matches ` +
          old.values.filter((v) => !entry.values.includes(v)).join("|"),
      );
  }
  return found;
}

function elementWidening(
  what: "actions" | "resources",
  beforeList: string | readonly string[] | undefined,
  beforeNot: string | readonly string[] | undefined,
  afterList: string | readonly string[] | undefined,
  afterNot: string | readonly string[] | undefined,
  ignoreCase: boolean,
): string[] {
  const notName = what === "actions" ? "NotAction" : "NotResource";
  if (afterNot !== undefined) {
    if (beforeNot === undefined) return [`${what}: ${notName} now allows everything not listed`];
    const dropped = list(beforeNot).filter((x) => !list(afterNot).some((p) => globMatch(p, x, ignoreCase)));
    return dropped.length > 0 ? [`${notName} no longer excludes ${dropped.join(", ")}`] : [];
  }
  // From NotAction/NotResource back to a list: reviewed by eye, not judged here.
  if (beforeNot !== undefined) return [];
  const previous = list(beforeList);
  const added = list(afterList).filter((x) => !previous.some((p) => globMatch(p, x, ignoreCase)));
  return added.length > 0 ? [`new ${what} ${added.join(", ")}`] : [];
}

interface PrincipalEntry {
  readonly kind: string;
  readonly id: string;
}

function principalEntries(principal: Principal | undefined): PrincipalEntry[] {
  if (principal === undefined) return [];
  if (principal === "*") return [{ kind: "*", id: "*" }];
  return Object.entries(principal).flatMap(([kind, ids]) => list(ids as string | string[]).map((id) => ({ kind, id })));
}

const isStar = (p: PrincipalEntry) => p.kind === "*" || (p.kind === "AWS" && p.id === "*");
const showPrincipal = (p: PrincipalEntry) => (p.kind === "*" ? "*" : `${p.kind}:${p.id}`);

function principalWidening(
  beforeP: Principal | undefined,
  beforeNot: Principal | undefined,
  afterP: Principal | undefined,
  afterNot: Principal | undefined,
): string[] {
  if (afterNot !== undefined) {
    if (beforeNot === undefined) return ["NotPrincipal now allows every principal not listed"];
    const kept = principalEntries(afterNot);
    const dropped = principalEntries(beforeNot).filter((p) => !kept.some((q) => q.kind === p.kind && q.id === p.id));
    return dropped.length > 0 ? [`NotPrincipal no longer excludes ${dropped.map(showPrincipal).join(", ")}`] : [];
  }
  if (beforeNot !== undefined) return [];
  const previous = principalEntries(beforeP);
  if (previous.some(isStar)) return [];
  const added = principalEntries(afterP).filter(
    (p) => !previous.some((q) => q.kind === p.kind && globMatch(q.id, p.id, false)),
  );
  return added.length > 0 ? [`new principals ${added.map(showPrincipal).join(", ")}`] : [];
}

interface ConditionEntry {
  readonly operator: string;
  readonly key: string;
  readonly values: string[];
}

function conditionEntries(condition: Conditions | undefined): ConditionEntry[] {
  if (!condition) return [];
  return Object.entries(condition).flatMap(([operator, entries]) =>
    Object.entries(entries).map(([key, value]) => ({
      operator,
      key,
      values: (Array.isArray(value) ? value : [value]).map(String),
    })),
  );
}

/** An Allow's condition removed, given more values, or moved to another operator: it matches more requests. */
function conditionRelaxations(before: Conditions | undefined, after: Conditions | undefined): string[] {
  const found: string[] = [];
  const afterEntries = conditionEntries(after);
  for (const old of conditionEntries(before)) {
    const sameKey = afterEntries.filter((entry) => entry.key.toLowerCase() === old.key.toLowerCase());
    const exact = sameKey.find((entry) => entry.operator === old.operator);
    if (exact) {
      const added = exact.values.filter((v) => !old.values.includes(v));
      if (added.length > 0) found.push(`condition ${old.operator} ${old.key} now also accepts ${added.join("|")}`);
    } else if (sameKey.length > 0) {
      found.push(`condition ${old.operator} ${old.key} became ${sameKey.map((e) => e.operator).join(", ")}`);
    } else {
      found.push(`condition removed: ${old.operator} ${old.key}=${old.values.join("|")}`);
    }
  }
  return found;
}

/** IAM wildcard match (`*` any run, `?` one character). */
export function globMatch(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`, ignoreCase ? "i" : "").test(value);
}
