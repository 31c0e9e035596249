import { expect } from "chai";
import { planStacks } from "../../automation/driver/plan";
import { diffRenders, diffStatements, globMatch, widenings } from "../../automation/review/diff";
import { formatReviewMarkdown, formatReviewText, securityItems } from "../../automation/review/diff-format";
import type { RenderedResource, RenderedStack } from "../../automation/review/render";
import { renderStacks } from "../../automation/review/render";
import { stackProgram } from "../../automation/review/render-program";
import type { Inventory } from "../../config/types";
import type { PolicyDocument, Statement } from "../../infra/policies/document";
import { inventory, sourceAccount } from "../support/inventory-fixture";

/**
 * The review diff on renders of the real program: base = three source accounts; the change moves
 * 111111111111's replicas to GLACIER_IR, removes 333333333333, adds 444444444444, and (in some tests)
 * widens a policy by editing the rendered document, the way a code change to infra/policies would.
 */

const labels = { base: "render/base", head: "the change" };

function baseInventory(): Inventory {
  return inventory({ count: 3 });
}

function headInventory(): Inventory {
  const base = baseInventory();
  const [first, second] = base.sources;
  return {
    ...base,
    sources: [
      { ...first, replication: { ...first.replication, storageClass: "GLACIER_IR" } },
      second,
      sourceAccount("444444444444"),
    ],
  };
}

async function render(inv: Inventory): Promise<RenderedStack[]> {
  return renderStacks(inv, planStacks(inv), stackProgram);
}

/** A deep copy of `stacks` with `edit` applied to the named resource's policy document. */
function editPolicy(
  stacks: readonly RenderedStack[],
  stackName: string,
  match: (r: RenderedResource) => boolean,
  edit: (doc: PolicyDocument) => PolicyDocument,
): RenderedStack[] {
  const copy = structuredClone(stacks) as RenderedStack[];
  const stack = copy.find((s) => s.stack === stackName);
  const resource = stack?.resources.find(match);
  if (!resource) throw new Error(`no such resource in ${stackName}`);
  (resource.inputs as Record<string, unknown>).policy = edit(resource.inputs.policy as PolicyDocument);
  return copy;
}

const isRolePolicy = (r: RenderedResource) =>
  r.type === "aws:iam/rolePolicy:RolePolicy" && /replication-policy$/.test(r.name);
const isBucketPolicy = (r: RenderedResource) => r.type === "aws:s3/bucketPolicy:BucketPolicy";

describe("review diff", () => {
  let base: RenderedStack[];
  let head: RenderedStack[];
  before(async () => {
    base = await render(baseInventory());
    head = await render(headInventory());
  });

  it("shows a changed storage class as one changed input of one resource, and nothing security-relevant in it", () => {
    const diff = diffRenders(base, head);
    const stack = diff.stacks.find((s) => s.stack === "account-111111111111");
    expect(stack?.change).to.equal("changed");
    expect(stack?.resources.map((r) => [r.change, r.type])).to.deep.equal([
      ["changed", "aws:s3/bucketReplicationConfig:BucketReplicationConfig"],
    ]);
    expect(stack?.resources[0].changes).to.deep.equal([
      { path: "rules.0.destination.storageClass", before: "STANDARD_IA", after: "GLACIER_IR" },
    ]);
    expect(stack?.policies).to.deep.equal([]);
    expect(stack?.securityRelevant).to.equal(0);
    expect(diff.stacks.find((s) => s.stack === "account-222222222222")?.change).to.equal("unchanged");
  });

  it("lists an added account's resources and statements, reviewed as a new stack (not flagged one by one)", () => {
    const diff = diffRenders(base, head);
    const added = diff.stacks.find((s) => s.stack === "account-444444444444");
    const rendered = head.find((s) => s.stack === "account-444444444444") as RenderedStack;
    expect(added?.change).to.equal("added");
    const cloud = rendered.resources.filter((r) => r.custom).length + Object.keys(rendered.providers).length;
    expect(added?.resources).to.have.length(cloud);
    expect(added?.resources.every((r) => r.change === "added")).to.equal(true);
    expect(added?.policies.length).to.be.greaterThan(2);
    expect(
      added?.policies.flatMap((p) => p.statements).every((s) => s.change === "added" && s.widened.length === 0),
    ).to.equal(true);
  });

  it("lists a removed account's resources and says which stay in AWS", () => {
    const diff = diffRenders(base, head);
    const removed = diff.stacks.find((s) => s.stack === "account-333333333333");
    expect(removed?.change).to.equal("removed");
    const byType = new Map(removed?.resources.map((r) => [r.type, r]));
    expect(byType.get("aws:s3/bucket:Bucket")?.retained).to.equal(true);
    expect(byType.get("aws:kms/key:Key")?.retained).to.equal(true);
    expect(byType.get("aws:iam/role:Role")?.retained).to.equal(undefined);
    expect(removed?.securityRelevant).to.equal(0);
    const text = formatReviewText(diff, labels);
    expect(text).to.match(
      /^- account-333333333333 \(source, account 333333333333 .*\): removed — \d+ resources, \d+ policy statements$/m,
    );
    expect(text).to.match(
      /^ {2}- aws:s3\/bucket:Bucket account-333333333333-bucket {2}\(stays in AWS: protect\/retainOnDelete\)$/m,
    );
  });

  it("totals add up over the stacks", () => {
    const diff = diffRenders(base, head);
    const statements = diff.stacks.flatMap((s) => s.policies.flatMap((p) => p.statements));
    expect(diff.totals.stacks.added).to.equal(1);
    expect(diff.totals.stacks.removed).to.equal(1);
    expect(diff.totals.statements.added).to.equal(statements.filter((s) => s.change === "added").length);
    expect(diff.totals.resources.removed).to.equal(
      diff.stacks.flatMap((s) => s.resources).filter((r) => r.change === "removed").length,
    );
  });

  describe("a widened policy", () => {
    let widened: RenderedStack[];
    before(() => {
      widened = editPolicy(head, "account-111111111111", isRolePolicy, (doc) => ({
        ...doc,
        Statement: doc.Statement.map((s, i) => {
          if (i === 0) return { ...s, Action: [...[s.Action ?? []].flat(), "s3:PutObject"] };
          if (s.Condition) {
            const { Condition: _c, ...rest } = s;
            return rest;
          }
          return s;
        }),
      }));
      widened = editPolicy(widened, "account-111111111111", isBucketPolicy, (doc) => ({
        ...doc,
        Statement: doc.Statement.filter((s) => s.Effect !== "Deny"),
      }));
    });

    it("flags new actions, dropped conditions and a removed Deny, statement by statement", () => {
      const diff = diffRenders(base, widened);
      const stack = diff.stacks.find((s) => s.stack === "account-111111111111");
      const rolePolicy = stack?.policies.find((p) => /replication-policy$/.test(p.resourceName));
      const [first, ...rest] = rolePolicy?.statements ?? [];
      expect(first.change).to.equal("changed");
      expect(first.widened).to.deep.equal(["new actions s3:PutObject"]);
      expect(rest.length).to.be.greaterThan(0);
      for (const statement of rest) expect(statement.widened.join(";")).to.match(/^condition removed: /);
      const bucketPolicy = stack?.policies.find((p) => p.resourceType === "aws:s3/bucketPolicy:BucketPolicy");
      expect(bucketPolicy?.statements.map((s) => [s.change, s.widened])).to.deep.equal([
        ["removed", ["Deny statement removed"]],
      ]);
      expect(stack?.securityRelevant).to.equal(1 + rest.length + 1);
      expect(diff.totals.securityRelevant).to.equal(diff.stacks.reduce((n, s) => n + s.securityRelevant, 0));
    });

    it("puts them on top of the text and of the Markdown, before any stack", () => {
      const diff = diffRenders(base, widened);
      const text = formatReviewText(diff, labels);
      const firstStack = text.search(/^[~+-] (central|account-)/m);
      expect(text.indexOf("SECURITY-RELEVANT")).to.be.within(0, firstStack);
      expect(text.slice(0, firstStack)).to.include("new actions s3:PutObject");
      expect(text).to.match(/^ {6}~ \S+ {3}!! new actions s3:PutObject$/m);
      expect(text).to.match(/^ {10}before {2}Allow .*\n {10}after {3}Allow .*s3:PutObject/m);

      const md = formatReviewMarkdown(diff, labels);
      const lines = md.split("\n");
      expect(lines[0]).to.equal("## org-s3-backup review");
      expect(lines[2]).to.match(
        /^\*\*⚠️ \d+ security-relevant changes\*\* · stacks: 1 added, 1 removed, \d+ changed, \d+ unchanged/,
      );
      const table = md.indexOf("### ⚠️ Security-relevant");
      expect(table).to.be.greaterThan(0);
      expect(table).to.be.below(md.indexOf("`account-111111111111` — changed"));
      expect(md).to.match(/\| ~ after \| `[^`]+` \| Allow \|.*s3:PutObject.*\| ⚠️ new actions s3:PutObject \|/);
      expect(securityItems(diff).map((i) => i.stack)).to.include("account-111111111111");
    });

    it("does not flag a narrowed Allow", () => {
      const narrowed = editPolicy(head, "account-111111111111", isRolePolicy, (doc) => ({
        ...doc,
        Statement: doc.Statement.map((s, i) => (i === 0 ? { ...s, Action: [...[s.Action ?? []].flat()].slice(1) } : s)),
      }));
      const stack = diffRenders(base, narrowed).stacks.find((s) => s.stack === "account-111111111111");
      const statements = stack?.policies.flatMap((p) => p.statements) ?? [];
      expect(statements.map((s) => s.change)).to.deep.equal(["changed"]);
      expect(statements[0].widened).to.deep.equal([]);
    });
  });

  it("flags a Deny that covers less or needs more conditions, and protection removed from a resource", () => {
    let changed = editPolicy(head, "account-111111111111", isBucketPolicy, (doc) => ({
      ...doc,
      Statement: doc.Statement.map((s) =>
        s.Effect === "Deny"
          ? {
              ...s,
              Action: "s3:GetObject",
              Condition: { ...s.Condition, StringEquals: { "aws:PrincipalAccount": "111111111111" } },
            }
          : s,
      ),
    }));
    changed = structuredClone(changed);
    const bucket = changed
      .find((s) => s.stack === "account-111111111111")
      ?.resources.find((r) => r.type === "aws:s3/bucket:Bucket") as { protect?: boolean };
    bucket.protect = false;
    const stack = diffRenders(base, changed).stacks.find((s) => s.stack === "account-111111111111");
    const deny = stack?.policies.flatMap((p) => p.statements).find((s) => s.before?.Effect === "Deny");
    expect(deny?.widened).to.deep.equal([
      "Deny no longer covers actions s3:*",
      "Deny now applies only when StringEquals aws:PrincipalAccount=111111111111",
    ]);
    const resource = stack?.resources.find((r) => r.type === "aws:s3/bucket:Bucket");
    expect(resource?.changes).to.deep.equal([{ path: "opts.protect", before: true, after: false }]);
    expect(resource?.flags).to.deep.equal(["protect removed: `pulumi destroy` may now delete it"]);
  });

  describe("statement rules", () => {
    const allow = (extra: Partial<Statement>): Statement => ({
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: "*",
      ...extra,
    });

    it("new principals, NotPrincipal/NotAction, relaxed conditions, Deny to Allow", () => {
      expect(
        widenings(
          allow({ Principal: { AWS: "arn:aws:iam::111111111111:root" } }),
          allow({ Principal: { AWS: ["arn:aws:iam::111111111111:root", "*"] } }),
        ),
      ).to.deep.equal(["new principals AWS:*"]);
      expect(widenings(allow({ Principal: "*" }), allow({ Principal: { AWS: "arn:aws:iam::2:root" } }))).to.deep.equal(
        [],
      );
      expect(widenings(allow({}), { ...allow({}), Action: undefined, NotAction: "s3:DeleteObject" })).to.deep.equal([
        "actions: NotAction now allows everything not listed",
      ]);
      expect(
        widenings(
          allow({ Condition: { StringEquals: { "aws:PrincipalOrgID": "o-1" } } }),
          allow({ Condition: { StringEquals: { "aws:PrincipalOrgID": ["o-1", "o-2"] } } }),
        ),
      ).to.deep.equal(["condition StringEquals aws:PrincipalOrgID now also accepts o-2"]);
      expect(
        widenings(
          allow({ Condition: { StringEquals: { "aws:SourceAccount": "1" } } }),
          allow({ Condition: { StringEqualsIfExists: { "aws:SourceAccount": "1" } } }),
        ),
      ).to.deep.equal(["condition StringEquals aws:SourceAccount became StringEqualsIfExists"]);
      expect(widenings({ ...allow({}), Effect: "Deny" }, allow({}))).to.deep.equal(["Deny became Allow"]);
      expect(widenings(allow({ Action: "s3:*" }), allow({ Action: ["s3:GetObject", "S3:PUTOBJECT"] }))).to.deep.equal(
        [],
      );
      expect(
        widenings(allow({ Resource: "arn:aws:s3:::b/1/*" }), allow({ Resource: "arn:aws:s3:::b/*" })),
      ).to.deep.equal(["new resources arn:aws:s3:::b/*"]);
    });

    it("matches statements without a Sid by content, then in order", () => {
      const a = allow({ Action: "s3:GetObject" });
      const b = allow({ Action: "s3:ListBucket" });
      expect(diffStatements([a, b], [b, a])).to.deep.equal([]);
      const diffs = diffStatements([a, b], [b, allow({ Action: ["s3:GetObject", "s3:PutObject"] })]);
      expect(diffs.map((d) => [d.change, d.id, d.widened])).to.deep.equal([
        ["changed", "#1", ["new actions s3:PutObject"]],
      ]);
    });

    it("globs like IAM", () => {
      expect(globMatch("s3:Get*", "S3:GETOBJECT", true)).to.equal(true);
      expect(globMatch("arn:aws:s3:::b/?/x", "arn:aws:s3:::b/1/x", false)).to.equal(true);
      expect(globMatch("arn:aws:s3:::b.c", "arn:aws:s3:::bxc", false)).to.equal(false);
    });
  });

  describe("Markdown layout", () => {
    let many: { base: RenderedStack[]; head: RenderedStack[] };
    before(async () => {
      const b = inventory({ count: 6 });
      const h: Inventory = {
        ...b,
        sources: b.sources.map((s) => ({
          ...s,
          replication: { ...s.replication, storageClass: "ONEZONE_IA" as const },
        })),
      };
      many = { base: await render(b), head: await render(h) };
    });

    it("opens the first stacks and collapses the rest in <details>", () => {
      const md = formatReviewMarkdown(diffRenders(many.base, many.head), labels, { open: 2, maxChars: 60_000 });
      expect(md.match(/^### `account-/gm)).to.have.length(2);
      expect(md.match(/^<details><summary><code>account-/gm)).to.have.length(4);
      expect(md.match(/^<\/details>$/gm)).to.have.length(4);
      expect(md).to.include('`"STANDARD_IA"` → `"ONEZONE_IA"`');
    });

    it("stays under the size limit and names the stacks it left out", () => {
      const md = formatReviewMarkdown(diffRenders(many.base, many.head), labels, { open: 1, maxChars: 2_000 });
      expect(md.length).to.be.at.most(2_000);
      expect(md).to.match(/_\d+ more changed stacks not shown \(size limit 2,000 characters\): account-/);
    });

    it("keeps table cells intact: pipes escaped, placeholders in code", () => {
      const withPipe = editPolicy(many.head, "account-111111111111", isRolePolicy, (doc) => ({
        ...doc,
        Statement: [
          ...doc.Statement.map((st) =>
            JSON.stringify(st.Resource).includes("<unknown:")
              ? {
                  ...st,
                  Action: [...[st.Action ?? []].flat(), "kms:ReEncryptFrom"],
                  Condition: { StringLike: { "kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::x/*" } },
                }
              : st,
          ),
          { Sid: "Odd", Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::a|b/*" },
        ],
      }));
      const md = formatReviewMarkdown(diffRenders(many.base, withPipe), labels);
      expect(md).to.include("`arn:aws:s3:::a\\|b/*`");
      expect(md).to.match(/`<unknown: aws:kms\/key:Key [^`]+>`/);
      // Plain-text cells: `*` and `_` would start emphasis, `|` a new cell.
      const why = md.split("\n").find((l) => l.includes("now also accepts"));
      expect(why).to.include("arn:aws:s3:::x/\\*");
      expect(why).to.match(/kms:EncryptionContext:aws:s3:arn now also accepts/);
    });
  });
});
