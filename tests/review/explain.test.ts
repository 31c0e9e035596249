import { expect } from "chai";
import {
  coversAction,
  explainAccount,
  firstBrokenLink,
  formatExplanation,
  UnknownAccountError,
} from "../../automation/review/explain";
import { planStacks } from "../../automation/driver/plan";
import { placeholder, type RenderedResource, type RenderedStack, renderStacks } from "../../automation/review/render";
import { stackProgram } from "../../automation/review/render-program";
import type { Statement } from "../../infra/policies/document";

/** Test documents are edited in place to break one link at a time. */
type EditableDocument = { Version?: string; Statement: Statement[] };
import { bundledInventory } from "../support/bundled-inventory";

/** A hand-written central + source pair shaped like a render, so each link can be broken on purpose. */
function stacks(edit: (docs: Record<string, EditableDocument>) => void = () => undefined): RenderedStack[] {
  const docs: Record<string, EditableDocument> = {
    trust: { Statement: [{ Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sts:AssumeRole" }] },
    role: {
      Statement: [
        {
          Sid: "ReadSource",
          Effect: "Allow",
          Action: ["s3:GetReplicationConfiguration", "s3:ListBucket", "s3:GetObjectVersion*"],
          Resource: "*",
        },
        {
          Sid: "WriteCentral",
          Effect: "Allow",
          Action: ["s3:Replicate*", "s3:ObjectOwnerOverrideToBucketOwner"],
          Resource: "arn:aws:s3:::c/111111111111/*",
        },
        { Sid: "Keys", Effect: "Allow", Action: ["kms:Decrypt", "kms:Encrypt"], Resource: "*" },
      ],
    },
    sourceKey: {
      Statement: [
        {
          Sid: "Account",
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::111111111111:root" },
          Action: "kms:*",
          Resource: "*",
        },
      ],
    },
    bucket: {
      Statement: [
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: "*",
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
        {
          Sid: "AcceptReplicas",
          Effect: "Allow",
          Principal: "*",
          Action: [
            "s3:ReplicateObject",
            "s3:ReplicateDelete",
            "s3:ReplicateTags",
            "s3:ObjectOwnerOverrideToBucketOwner",
          ],
          Resource: "*",
        },
      ],
    },
    centralKey: {
      Statement: [
        {
          Sid: "OrgEncrypt",
          Effect: "Allow",
          Principal: "*",
          Action: ["kms:Encrypt", "kms:GenerateDataKey*"],
          Resource: "*",
        },
      ],
    },
  };
  edit(docs);
  const resource = (type: string, name: string, inputs: Record<string, unknown>): RenderedResource => ({
    type,
    name,
    custom: true,
    inputs,
  });
  const base = { providers: {}, outputs: {}, region: "eu-west-1" };
  return [
    {
      ...base,
      stack: "central",
      kind: "central",
      accountId: "999999999999",
      accountName: "central",
      roleArn: "r",
      resources: [
        resource("aws:kms/key:Key", "central-key", { policy: docs.centralKey }),
        resource("aws:s3/bucketPolicy:BucketPolicy", "central-policy", { policy: docs.bucket }),
      ],
    },
    {
      ...base,
      stack: "account-111111111111",
      kind: "source",
      accountId: "111111111111",
      accountName: "app",
      roleArn: "r",
      resources: [
        resource("aws:iam/role:Role", "batch-role", {
          assumeRolePolicy: {
            Statement: [
              { Effect: "Allow", Principal: { Service: "batchoperations.s3.amazonaws.com" }, Action: "sts:AssumeRole" },
            ],
          },
        }),
        resource("aws:iam/role:Role", "replication-role", { assumeRolePolicy: docs.trust }),
        resource("aws:iam/rolePolicy:RolePolicy", "replication-policy", {
          role: placeholder("aws:iam/role:Role", "replication-role", "id", "account-111111111111"),
          policy: docs.role,
        }),
        resource("aws:kms/key:Key", "source-key", { policy: docs.sourceKey }),
      ],
    },
  ];
}

describe("explain", () => {
  it("follows the five links in order and finds every one complete", () => {
    const links = explainAccount(stacks(), "111111111111");
    expect(links.map((l) => l.id)).to.deep.equal([
      "role-trust",
      "role-policy",
      "source-key",
      "central-bucket-policy",
      "central-key",
    ]);
    expect(links.map((l) => l.source)).to.deep.equal([
      "aws:iam/role:Role replication-role .assumeRolePolicy @account-111111111111",
      "aws:iam/rolePolicy:RolePolicy replication-policy .policy @account-111111111111",
      "aws:kms/key:Key source-key .policy @account-111111111111",
      "aws:s3/bucketPolicy:BucketPolicy central-policy .policy @central",
      "aws:kms/key:Key central-key .policy @central",
    ]);
    expect(links.every((l) => l.missing.length === 0)).to.equal(true);
    expect(firstBrokenLink(links)).to.equal(undefined);
    expect(
      links[3].statements.map((s) => s.Sid),
      "the TLS deny mentions s3:* so it is shown",
    ).to.deep.equal(["DenyInsecureTransport", "AcceptReplicas"]);
  });

  it("names the link that lost the ownership-override action", () => {
    const links = explainAccount(
      stacks((docs) => {
        docs.bucket.Statement[1] = {
          ...docs.bucket.Statement[1],
          Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
        };
      }),
      "111111111111",
    );
    expect(firstBrokenLink(links)?.id).to.equal("central-bucket-policy");
    expect(links[3].missing).to.deep.equal(["s3:ObjectOwnerOverrideToBucketOwner"]);
    expect(formatExplanation("111111111111", links)).to.contain(
      "4. Central bucket policy: MISSING s3:ObjectOwnerOverrideToBucketOwner",
    );
  });

  it("counts an unconditional Deny as taking the action away", () => {
    const links = explainAccount(
      stacks((docs) => {
        docs.centralKey.Statement.push({ Effect: "Deny", Principal: "*", Action: "kms:*", Resource: "*" });
      }),
      "111111111111",
    );
    expect(firstBrokenLink(links)?.id).to.equal("central-key");
  });

  it("reports a role without policy as the broken link", () => {
    const [central, source] = stacks();
    const withoutPolicy = {
      ...source,
      resources: source.resources.filter((r) => r.type !== "aws:iam/rolePolicy:RolePolicy"),
    };
    const links = explainAccount([central, withoutPolicy], "111111111111");
    expect(firstBrokenLink(links)?.id).to.equal("role-policy");
    expect(formatExplanation("111111111111", links)).to.contain("2. Role policy: NOT FOUND");
  });

  it("refuses an account that has no rendered stack, listing the known ones", () => {
    expect(() => explainAccount(stacks(), "222222222222"))
      .to.throw(UnknownAccountError)
      .with.property("knownIds")
      .that.deep.equals(["111111111111"]);
  });
});

describe("explain on the rendered bundled inventory", () => {
  it("finds all five links of every enabled account, each granting what replication needs", async () => {
    const inv = await bundledInventory();
    const rendered = await renderStacks(inv, planStacks(inv), stackProgram);
    for (const source of rendered.filter((s) => s.kind === "source")) {
      const links = explainAccount(rendered, source.accountId);
      expect(
        links.map((l) => `${l.id}: ${l.source === undefined ? "not found" : l.missing.join(",") || "ok"}`),
        source.stack,
      ).to.deep.equal([
        "role-trust: ok",
        "role-policy: ok",
        "source-key: ok",
        "central-bucket-policy: ok",
        "central-key: ok",
      ]);
    }
  });
});

describe("coversAction", () => {
  it("matches wildcards case-insensitively and inverts NotAction", () => {
    expect(coversAction({ Effect: "Allow", Action: "s3:Replicate*" }, "s3:replicateobject")).to.equal(true);
    expect(coversAction({ Effect: "Allow", Action: ["s3:Get?bject"] }, "s3:GetObject")).to.equal(true);
    expect(coversAction({ Effect: "Allow", Action: "s3:Get*" }, "s3:PutObject")).to.equal(false);
    expect(coversAction({ Effect: "Deny", NotAction: "kms:Decrypt" }, "kms:Encrypt")).to.equal(true);
  });
});
