import { expect } from "chai";
import type { RenderedStack } from "../../automation/review/render";
import { alignColumns, formatStackSummary, policiesOf, statementColumns } from "../../automation/review/render-summary";

const stack: RenderedStack = {
  stack: "central",
  kind: "central",
  accountId: "999999999999",
  accountName: "backup-central",
  region: "eu-west-1",
  roleArn: "arn:aws:iam::999999999999:role/Deployer",
  providers: {
    "central-aws": {
      type: "pulumi:providers:aws",
      inputs: {
        region: "eu-west-1",
        assumeRoles: [{ roleArn: "arn:aws:iam::999999999999:role/Deployer" }],
        allowedAccountIds: ["999999999999"],
      },
    },
  },
  resources: [
    { type: "org-s3-backup:index:CentralBackupBucket", name: "central", custom: false, inputs: {} },
    {
      type: "aws:s3/bucket:Bucket",
      name: "central-bucket",
      custom: true,
      provider: "central-aws",
      protect: true,
      inputs: { bucket: "b" },
    },
    {
      type: "aws:s3/bucketPolicy:BucketPolicy",
      name: "central-policy",
      custom: true,
      provider: "default",
      inputs: {
        policy: {
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "DenyInsecureTransport",
              Effect: "Deny",
              Principal: "*",
              Action: "s3:*",
              Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
            {
              Sid: "AcceptReplicas",
              Effect: "Allow",
              Principal: { AWS: "*" },
              Action: ["s3:ReplicateObject", "s3:ObjectOwnerOverrideToBucketOwner"],
              Resource: "arn:aws:s3:::b/${aws:PrincipalAccount}/*",
              Condition: { StringEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" } },
            },
          ],
        },
      },
    },
  ],
  outputs: {},
};

describe("render summary", () => {
  it("puts each statement on one line: Sid, effect, principal, actions, resources, conditions", () => {
    const [policy] = policiesOf(stack);
    expect(policy.input).to.equal("policy");
    expect(policy.document.Statement.map(statementColumns)).to.deep.equal([
      [
        "DenyInsecureTransport",
        "Deny",
        "*",
        "s3:*",
        "arn:aws:s3:::b,arn:aws:s3:::b/*",
        "Bool aws:SecureTransport=false",
      ],
      [
        "AcceptReplicas",
        "Allow",
        "AWS:*",
        "s3:ReplicateObject,s3:ObjectOwnerOverrideToBucketOwner",
        "arn:aws:s3:::b/${aws:PrincipalAccount}/*",
        "StringEquals aws:PrincipalOrgID=o-a1b2c3d4e5",
      ],
    ]);
  });

  it("marks negated elements", () => {
    expect(
      statementColumns({ Effect: "Deny", NotPrincipal: { AWS: ["a", "b"] }, NotAction: "s3:Get*", NotResource: "x" }),
    ).to.deep.equal(["-", "Deny", "not AWS:a,b", "not s3:Get*", "not x", "-"]);
  });

  it("aligns columns without padding the last one", () => {
    expect(
      alignColumns(
        [
          ["a", "bbb", "c"],
          ["aa", "b", "cccc"],
        ],
        " ",
      ),
    ).to.deep.equal([" a   bbb  c", " aa  b    cccc"]);
  });

  it("lists the provider's role, the resources with their options, and warns about the default provider", () => {
    const text = formatStackSummary(stack).join("\n");
    expect(text).to.contain("central (central, account 999999999999 backup-central, eu-west-1): 2 resources");
    expect(text).to.contain(
      "provider central-aws: assumes arn:aws:iam::999999999999:role/Deployer, " +
        "allowedAccountIds 999999999999, region eu-west-1",
    );
    expect(text).to.match(/aws:s3\/bucket:Bucket\s+central-bucket\s+protect/);
    expect(text).to.contain(
      "! 1 resources use the default provider (ambient credentials, not the account's role): central-policy",
    );
    expect(text).to.contain("policy aws:s3/bucketPolicy:BucketPolicy central-policy .policy");
    expect(text).not.to.contain("CentralBackupBucket");
  });
});
