import { placeholdersIn, type RenderedResource, type RenderedStack } from "./render";
import { isPolicyDocument, type PolicyDocument, type Statement } from "../../infra/policies/document";
import { alignColumns, statementColumns } from "./render-summary";
import { sourceStackName } from "../../infra/contract";

/**
 * The chain of rights one account's replication rests on, read from rendered stacks: S3 assumes the
 * replication role (trust) -> the role's policy lets it read the source and write the central prefix ->
 * the source key lets it decrypt -> the central bucket policy accepts its writes -> the central key lets
 * it encrypt. A link whose statements do not cover the actions it must grant is where replication breaks.
 * Only actions are checked here; resources and conditions are printed for the reader, and proven by the
 * policy tests (tests/infra/policy-proof.test.ts).
 */

export type ExplainLinkId = "role-trust" | "role-policy" | "source-key" | "central-bucket-policy" | "central-key";

export interface ExplainLink {
  readonly id: ExplainLinkId;
  readonly title: string;
  /** What this link must grant for replication to work. */
  readonly grants: string;
  /** `type name .input @stack` of the policy read, or undefined when the resource was not found. */
  readonly source?: string;
  /** Actions the link must allow. */
  readonly needed: readonly string[];
  /** Statements that mention one of the needed actions (Allow or Deny), as written. */
  readonly statements: readonly Statement[];
  /** Needed actions no Allow statement covers, or that an unconditional Deny removes. */
  readonly missing: readonly string[];
}

export class UnknownAccountError extends Error {
  constructor(
    readonly accountId: string,
    readonly knownIds: readonly string[],
  ) {
    super(`account ${accountId} has no rendered source stack; known accounts: ${knownIds.join(", ") || "(none)"}`);
  }
}

const S3_SERVICE = "s3.amazonaws.com";

export const SOURCE_READ_ACTIONS = [
  "s3:GetReplicationConfiguration",
  "s3:ListBucket",
  "s3:GetObjectVersionForReplication",
  "s3:GetObjectVersionAcl",
  "s3:GetObjectVersionTagging",
];
export const DESTINATION_WRITE_ACTIONS = [
  "s3:ReplicateObject",
  "s3:ReplicateDelete",
  "s3:ReplicateTags",
  "s3:ObjectOwnerOverrideToBucketOwner",
];

/** The links for `accountId`, in the order a replicated object needs them. Throws UnknownAccountError. */
export function explainAccount(rendered: readonly RenderedStack[], accountId: string): ExplainLink[] {
  const source = rendered.find((stack) => stack.stack === sourceStackName(accountId));
  const central = rendered.find((stack) => stack.kind === "central");
  if (!source || !central) {
    throw new UnknownAccountError(
      accountId,
      rendered.filter((stack) => stack.kind === "source").map((stack) => stack.accountId),
    );
  }
  const role = replicationRole(source);
  const roleDocs = role ? rolePolicies(source, role) : [];
  const sourceKey = source.resources.find((r) => r.type === "aws:kms/key:Key");
  const bucketPolicy = central.resources.find((r) => r.type === "aws:s3/bucketPolicy:BucketPolicy");
  const centralKey = central.resources.find((r) => r.type === "aws:kms/key:Key");

  return [
    link(
      "role-trust",
      "Role trust",
      `lets ${S3_SERVICE} assume the replication role`,
      ["sts:AssumeRole"],
      role && policyAt(source, role, "assumeRolePolicy"),
    ),
    {
      ...link(
        "role-policy",
        "Role policy",
        "lets the role read its source bucket and versions, write replicas under the central <account>/ prefix, " +
          "decrypt with the source key and encrypt with the central key",
        [...SOURCE_READ_ACTIONS, ...DESTINATION_WRITE_ACTIONS, "kms:Decrypt", "kms:Encrypt"],
        roleDocs.length > 0
          ? {
              where: roleDocs.map((d) => d.where).join(" + "),
              document: { Statement: roleDocs.flatMap((d) => d.document.Statement) },
            }
          : undefined,
      ),
    },
    link(
      "source-key",
      "Source key policy",
      "lets the replication role (or its account's IAM) decrypt source objects",
      ["kms:Decrypt"],
      sourceKey && policyAt(source, sourceKey, "policy"),
    ),
    link(
      "central-bucket-policy",
      "Central bucket policy",
      `accepts replicas and the ownership override from account ${accountId} under ${accountId}/`,
      DESTINATION_WRITE_ACTIONS,
      bucketPolicy && policyAt(central, bucketPolicy, "policy"),
    ),
    link(
      "central-key",
      "Central key policy",
      "lets the role encrypt replicas with the central key through S3",
      ["kms:Encrypt"],
      centralKey && policyAt(central, centralKey, "policy"),
    ),
  ];
}

/** The first link that does not grant what it must: where a failed replication most likely breaks. */
export function firstBrokenLink(links: readonly ExplainLink[]): ExplainLink | undefined {
  return links.find((l) => l.source === undefined || l.missing.length > 0);
}

/** The role S3 assumes to replicate: the one whose trust policy names `s3.amazonaws.com`. */
export function replicationRole(stack: RenderedStack): RenderedResource | undefined {
  return stack.resources.find((r) => r.type === "aws:iam/role:Role" && trusts(r.inputs.assumeRolePolicy, S3_SERVICE));
}

export interface LocatedPolicy {
  readonly where: string;
  readonly document: PolicyDocument;
}

function policyAt(stack: RenderedStack, resource: RenderedResource, input: string): LocatedPolicy | undefined {
  const document = resource.inputs[input];
  return isPolicyDocument(document)
    ? { where: `${resource.type} ${resource.name} .${input} @${stack.stack}`, document }
    : undefined;
}

function link(
  id: ExplainLinkId,
  title: string,
  grants: string,
  needed: string[],
  policy: LocatedPolicy | undefined,
): ExplainLink {
  const statements = policy?.document.Statement ?? [];
  const relevant = statements.filter((s) => needed.some((action) => coversAction(s, action)));
  const missing = policy
    ? needed.filter(
        (action) =>
          !relevant.some((s) => s.Effect === "Allow" && coversAction(s, action)) ||
          relevant.some((s) => s.Effect === "Deny" && s.Condition === undefined && coversAction(s, action)),
      )
    : needed;
  return { id, title, grants, source: policy?.where, needed, statements: relevant, missing };
}

/** Identity policies of a role: inline `RolePolicy` resources naming it, and its `inlinePolicies`. */
export function rolePolicies(stack: RenderedStack, role: RenderedResource): LocatedPolicy[] {
  const names = [role.inputs.name, role.name].filter((v): v is string => typeof v === "string");
  const refersToRole = (value: unknown) =>
    typeof value === "string" &&
    (names.includes(value) || placeholdersIn(value).some((p) => p.type === role.type && p.name === role.name));
  const attached = stack.resources
    .filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy" && refersToRole(r.inputs.role))
    .map((r) => policyAt(stack, r, "policy"));
  const inline = ((role.inputs.inlinePolicies as { policy?: unknown }[] | undefined) ?? []).map((p, i) =>
    isPolicyDocument(p.policy)
      ? { where: `${role.type} ${role.name} .inlinePolicies.${i}.policy @${stack.stack}`, document: p.policy }
      : undefined,
  );
  return [...attached, ...inline].filter((p): p is LocatedPolicy => p !== undefined);
}

function trusts(document: unknown, service: string): boolean {
  if (!isPolicyDocument(document)) return false;
  return document.Statement.some((s) => {
    const principal = s.Principal as { Service?: string | string[] } | undefined;
    return (
      s.Effect === "Allow" &&
      typeof principal === "object" &&
      [principal.Service ?? []].flat().includes(service) &&
      coversAction(s, "sts:AssumeRole")
    );
  });
}

/** IAM action matching: case-insensitive, `*` and `?` wildcards; NotAction covers what it does not name. */
export function coversAction(statement: Statement, action: string): boolean {
  const matches = (pattern: string) =>
    new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".")}$`,
      "i",
    ).test(action);
  if (statement.NotAction !== undefined) return ![statement.NotAction].flat().some(matches);
  return [statement.Action ?? []].flat().some(matches);
}

/** Text for `org-s3-backup explain`: each link, its verdict and its statements one per line. */
export function formatExplanation(accountId: string, links: readonly ExplainLink[]): string {
  const lines = [`Replication rights of account ${accountId}, link by link:`];
  links.forEach((l, i) => {
    const verdict =
      l.source === undefined ? "NOT FOUND" : l.missing.length > 0 ? `MISSING ${l.missing.join(", ")}` : "ok";
    lines.push(
      "",
      `${i + 1}. ${l.title}: ${verdict}`,
      `   must: ${l.grants}`,
      `   from: ${l.source ?? "(no such policy in the rendered stacks)"}`,
    );
    if (l.statements.length > 0) lines.push(...alignColumns(l.statements.map(statementColumns), "     "));
  });
  const broken = firstBrokenLink(links);
  lines.push("", broken ? `First broken link: ${broken.title}.` : "Every link grants what replication needs.");
  return `${lines.join("\n")}\n`;
}
