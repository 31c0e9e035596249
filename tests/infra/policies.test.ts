import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { centralBucketPolicy, centralKmsKeyPolicy } from "../../infra/policies/central";
import { type PolicyDocument, partitionInfo, s3ViaService, type Statement } from "../../infra/policies/document";
import {
  replicationRolePolicy,
  type ReplicationRolePolicyArgs,
  replicationTrustPolicy,
  sourceBucketPolicy,
  sourceKmsKeyPolicy,
} from "../../infra/policies/source";
import { batchOperationsTrustPolicy, batchReplicationPolicy } from "../../infra/policies/backfill";
import { alarmTopicPolicy } from "../../infra/policies/monitoring";
import { ORG_ID } from "../support/inventory-fixture";

/** Golden files: `UPDATE_GOLDEN=1 npx mocha tests/infra/policies.test.ts` rewrites them after a deliberate change. */
const GOLDEN_DIR = path.join(__dirname, "..", "golden", "policies");

function expectGolden(kind: string, document: PolicyDocument): void {
  const file = path.join(GOLDEN_DIR, `${kind}.json`);
  const text = `${JSON.stringify(document, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === "1") fs.writeFileSync(file, text);
  expect(fs.existsSync(file), `${file} missing: run with UPDATE_GOLDEN=1`).to.equal(true);
  expect(text).to.equal(fs.readFileSync(file, "utf8"));
}

function statement(document: PolicyDocument, sid: string): Statement {
  const found = document.Statement.find((s) => s.Sid === sid);
  if (!found) throw new Error(`no statement ${sid} in ${JSON.stringify(document)}`);
  return found;
}

const CENTRAL = {
  organizationId: ORG_ID,
  accountId: "999999999999",
  region: "eu-west-1",
  bucketName: "acme-org-backup-999999999999",
};
const CENTRAL_BUCKET = "arn:aws:s3:::acme-org-backup-999999999999";
const SOURCE_BUCKET = "arn:aws:s3:::acme-data-111111111111";
const SOURCE_KEY = "arn:aws:kms:eu-central-1:111111111111:key/1111aaaa-1111-aaaa-1111-aaaa1111aaaa";
const CENTRAL_KEY = "arn:aws:kms:eu-west-1:999999999999:key/9999bbbb-9999-bbbb-9999-bbbb9999bbbb";
const ROLE_ARGS: ReplicationRolePolicyArgs = {
  accountId: "111111111111",
  region: "eu-central-1",
  bucketName: "acme-data-111111111111",
  sourceKmsKeyArn: SOURCE_KEY,
  centralRegion: "eu-west-1",
  centralBucketArn: CENTRAL_BUCKET,
  centralKmsKeyArn: CENTRAL_KEY,
  centralObjectLock: false,
  sourceObjectLock: false,
};

const TLS_DENY = (bucket: string): Statement => ({
  Sid: "DenyRequestsWithoutTls",
  Effect: "Deny",
  Principal: "*",
  Action: "s3:*",
  Resource: [bucket, `${bucket}/*`],
  Condition: { Bool: { "aws:SecureTransport": "false" } },
});

const allDocuments = (): Record<string, PolicyDocument> => ({
  "central-bucket-policy": centralBucketPolicy(CENTRAL),
  "central-kms-key-policy": centralKmsKeyPolicy(CENTRAL),
  "source-kms-key-policy": sourceKmsKeyPolicy({ accountId: "111111111111", region: "eu-central-1" }),
  "source-bucket-policy": sourceBucketPolicy({ region: "eu-central-1", bucketName: "acme-data-111111111111" }),
  "replication-trust-policy": replicationTrustPolicy({
    accountId: "111111111111",
    region: "eu-central-1",
    bucketName: "acme-data-111111111111",
  }),
  "replication-role-policy": replicationRolePolicy(ROLE_ARGS),
  "alarm-topic-policy": alarmTopicPolicy({
    topicArn: "arn:aws:sns:eu-central-1:999999999999:org-s3-backup-replication-alarms",
    organizationId: ORG_ID,
    region: "eu-central-1",
    partition: "aws",
    sourceAccountIds: ["111111111111", "222222222222"],
  }),
  "batch-replication-trust-policy": batchOperationsTrustPolicy({
    accountId: "111111111111",
    region: "eu-central-1",
    partition: "aws",
  }),
  "batch-replication-role-policy": batchReplicationPolicy({
    partition: "aws",
    region: "eu-central-1",
    sourceBucketName: "acme-data-111111111111",
    sourceKmsKeyArn: SOURCE_KEY,
  }),
});

describe("policies", () => {
  describe("central bucket policy", () => {
    const policy = centralBucketPolicy(CENTRAL);

    it("denies every request without TLS on the bucket and its objects", () => {
      expect(statement(policy, "DenyRequestsWithoutTls")).to.deep.equal(TLS_DENY(CENTRAL_BUCKET));
    });

    it("lets organization replication roles write replicas only under their own account id", () => {
      expect(statement(policy, "OrgReplicationRolesWriteUnderOwnAccountId")).to.deep.equal({
        Sid: "OrgReplicationRolesWriteUnderOwnAccountId",
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags", "s3:ObjectOwnerOverrideToBucketOwner"],
        Resource: "arn:aws:s3:::acme-org-backup-999999999999/${aws:PrincipalAccount}/*",
        Condition: {
          StringEquals: { "aws:PrincipalOrgID": ORG_ID },
          ArnLike: { "aws:PrincipalArn": "arn:aws:iam::*:role/org-s3-backup-replication" },
        },
      });
      expect(policy.Statement).to.have.length(2);
    });

    it("grants nothing on the bucket itself (no PutBucketVersioning to 5,000 accounts)", () => {
      const allows = policy.Statement.filter((s) => s.Effect === "Allow");
      expect(allows.flatMap((s) => [s.Resource].flat())).to.deep.equal([
        `${CENTRAL_BUCKET}/\${aws:PrincipalAccount}/*`,
      ]);
    });

    it("keeps the policy variable literal in the JSON AWS receives", () => {
      expect(JSON.stringify(policy)).to.include("/${aws:PrincipalAccount}/*");
    });
  });

  describe("central KMS key policy", () => {
    const policy = centralKmsKeyPolicy(CENTRAL);

    it("leaves administration with the central account root alone", () => {
      expect(statement(policy, "AccountAdministersKeyThroughIam")).to.deep.equal({
        Sid: "AccountAdministersKeyThroughIam",
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::999999999999:root" },
        Action: "kms:*",
        Resource: "*",
      });
      const wildcard = policy.Statement.filter((s) => [s.Action].flat().some((a) => a === "kms:*"));
      expect(wildcard.map((s) => s.Sid)).to.deep.equal(["AccountAdministersKeyThroughIam"]);
    });

    it("lets central-account principals use the key through S3 in its region only", () => {
      expect(statement(policy, "AccountPrincipalsUseKeyThroughS3").Condition).to.deep.equal({
        StringEquals: { "kms:CallerAccount": "999999999999", "kms:ViaService": "s3.eu-west-1.amazonaws.com" },
      });
    });

    it("lets organization replication roles encrypt replicas through S3, for the central bucket's ARN or its object ARNs", () => {
      const org = statement(policy, "OrgReplicationRolesEncryptReplicas");
      expect(org.Action).to.deep.equal(["kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"]);
      expect(org.Principal).to.deep.equal({ AWS: "*" });
      expect(org.Condition).to.deep.equal({
        StringEquals: { "aws:PrincipalOrgID": ORG_ID, "kms:ViaService": "s3.eu-west-1.amazonaws.com" },
        // With an S3 Bucket Key the bucket ARN, without one the object ARN; the `/` keeps other buckets out.
        StringLike: { "kms:EncryptionContext:aws:s3:arn": [CENTRAL_BUCKET, `${CENTRAL_BUCKET}/*`] },
        ArnLike: { "aws:PrincipalArn": "arn:aws:iam::*:role/org-s3-backup-replication" },
      });
    });
  });

  describe("source KMS key policy", () => {
    it("is the account root plus use through S3 by principals of the account", () => {
      const policy = sourceKmsKeyPolicy({ accountId: "111111111111", region: "eu-central-1" });
      expect(policy.Statement.map((s) => s.Sid)).to.deep.equal([
        "AccountAdministersKeyThroughIam",
        "AccountPrincipalsUseKeyThroughS3",
      ]);
      expect(statement(policy, "AccountAdministersKeyThroughIam").Principal).to.deep.equal({
        AWS: "arn:aws:iam::111111111111:root",
      });
      const s3Use = statement(policy, "AccountPrincipalsUseKeyThroughS3");
      expect(s3Use.Action).to.deep.equal([
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:DescribeKey",
      ]);
      expect(s3Use.Condition).to.deep.equal({
        StringEquals: { "kms:CallerAccount": "111111111111", "kms:ViaService": "s3.eu-central-1.amazonaws.com" },
      });
    });
  });

  describe("source bucket policy", () => {
    it("only denies requests without TLS", () => {
      expect(
        sourceBucketPolicy({ region: "eu-central-1", bucketName: "acme-data-111111111111" }).Statement,
      ).to.deep.equal([TLS_DENY(SOURCE_BUCKET)]);
    });
  });

  describe("replication role trust policy", () => {
    it("trusts only S3 acting for this account's bucket", () => {
      expect(
        replicationTrustPolicy({
          accountId: "111111111111",
          region: "eu-central-1",
          bucketName: "acme-data-111111111111",
        }).Statement,
      ).to.deep.equal([
        {
          Sid: "S3ReplicatesThisAccountsBucket",
          Effect: "Allow",
          Principal: { Service: "s3.amazonaws.com" },
          Action: "sts:AssumeRole",
          // IfExists: enforced when S3 sends the keys, harmless when it does not (no AWS page says it does).
          Condition: {
            StringEqualsIfExists: { "aws:SourceAccount": "111111111111" },
            ArnLikeIfExists: { "aws:SourceArn": SOURCE_BUCKET },
          },
        },
      ]);
    });
  });

  describe("replication role policy", () => {
    const policy = replicationRolePolicy(ROLE_ARGS);

    it("reads the source bucket's replication configuration and object versions", () => {
      expect(statement(policy, "ReadSourceReplicationConfiguration")).to.include({ Resource: SOURCE_BUCKET });
      expect(statement(policy, "ReadSourceReplicationConfiguration").Action).to.deep.equal([
        "s3:GetReplicationConfiguration",
        "s3:ListBucket",
      ]);
      expect(statement(policy, "ReadSourceObjectVersions").Action).to.deep.equal([
        "s3:GetObjectVersionForReplication",
        "s3:GetObjectVersionAcl",
        "s3:GetObjectVersionTagging",
      ]);
      expect(statement(policy, "ReadSourceObjectVersions").Resource).to.equal(`${SOURCE_BUCKET}/*`);
    });

    it("replicates, with ownership override, only into the account's own central prefix", () => {
      const write = statement(policy, "ReplicateIntoOwnCentralPrefix");
      expect(write.Action).to.deep.equal([
        "s3:ReplicateObject",
        "s3:ReplicateDelete",
        "s3:ReplicateTags",
        "s3:ObjectOwnerOverrideToBucketOwner",
      ]);
      expect(write.Resource).to.equal(`${CENTRAL_BUCKET}/111111111111/*`);
    });

    it("decrypts with the source key through S3 in the source region, for the bucket ARN or object ARNs under <id>/", () => {
      expect(statement(policy, "DecryptSourceObjects")).to.deep.equal({
        Sid: "DecryptSourceObjects",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: SOURCE_KEY,
        Condition: {
          StringEquals: { "kms:ViaService": "s3.eu-central-1.amazonaws.com" },
          StringLike: { "kms:EncryptionContext:aws:s3:arn": [SOURCE_BUCKET, `${SOURCE_BUCKET}/111111111111/*`] },
        },
      });
    });

    it("encrypts with the central key through S3 in the central region, for the bucket ARN or object ARNs under <id>/", () => {
      expect(statement(policy, "EncryptReplicasWithCentralKey")).to.deep.equal({
        Sid: "EncryptReplicasWithCentralKey",
        Effect: "Allow",
        Action: ["kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"],
        Resource: CENTRAL_KEY,
        Condition: {
          StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" },
          StringLike: { "kms:EncryptionContext:aws:s3:arn": [CENTRAL_BUCKET, `${CENTRAL_BUCKET}/111111111111/*`] },
        },
      });
    });

    it("grants exactly the replication action list, nothing with a wildcard", () => {
      const actions = policy.Statement.flatMap((s) => [s.Action].flat());
      expect([...new Set(actions)].sort()).to.deep.equal(
        [
          "s3:GetReplicationConfiguration",
          "s3:ListBucket",
          "s3:GetObjectVersionForReplication",
          "s3:GetObjectVersionAcl",
          "s3:GetObjectVersionTagging",
          "s3:ReplicateObject",
          "s3:ReplicateDelete",
          "s3:ReplicateTags",
          "s3:ObjectOwnerOverrideToBucketOwner",
          "kms:Decrypt",
          "kms:Encrypt",
          "kms:GenerateDataKey",
        ].sort(),
      );
      expect(policy.Statement.flatMap((s) => [s.Resource].flat()).filter((r) => r === "*")).to.deep.equal([]);
    });

    it("reads retention and legal hold of source versions when the central or the source bucket has Object Lock", () => {
      for (const locks of [
        { centralObjectLock: true, sourceObjectLock: false },
        { centralObjectLock: false, sourceObjectLock: true },
        { centralObjectLock: true, sourceObjectLock: true },
      ]) {
        const locked = replicationRolePolicy({ ...ROLE_ARGS, ...locks });
        expect(statement(locked, "ReadSourceObjectVersions"), JSON.stringify(locks)).to.deep.include({
          Action: [
            "s3:GetObjectVersionForReplication",
            "s3:GetObjectVersionAcl",
            "s3:GetObjectVersionTagging",
            "s3:GetObjectRetention",
            "s3:GetObjectLegalHold",
          ],
          Resource: `${SOURCE_BUCKET}/*`,
        });
      }
      expect(JSON.stringify(policy)).not.to.include("s3:GetObjectRetention");
      expect(JSON.stringify(policy)).not.to.include("s3:GetObjectLegalHold");
    });
  });

  describe("partitions", () => {
    it("derives the partition from the region, and ViaService with `.amazonaws.com` in every partition", () => {
      expect(partitionInfo("eu-west-1")).to.deep.equal({ name: "aws" });
      expect(partitionInfo("us-gov-west-1")).to.deep.equal({ name: "aws-us-gov" });
      expect(partitionInfo("cn-north-1")).to.deep.equal({ name: "aws-cn" });
      // KMS guide: "Use the .amazonaws.com suffix of the AWS KMS ViaService name in all AWS partitions."
      expect(s3ViaService("cn-north-1")).to.equal("s3.cn-north-1.amazonaws.com");
      expect(s3ViaService("us-gov-west-1")).to.equal("s3.us-gov-west-1.amazonaws.com");
    });

    it("writes every ARN and ViaService of a GovCloud or China deployment in its partition", () => {
      const gov = centralBucketPolicy({ ...CENTRAL, region: "us-gov-west-1" });
      expect(statement(gov, "OrgReplicationRolesWriteUnderOwnAccountId").Resource).to.equal(
        "arn:aws-us-gov:s3:::acme-org-backup-999999999999/${aws:PrincipalAccount}/*",
      );
      const china = centralKmsKeyPolicy({ ...CENTRAL, region: "cn-north-1" });
      expect(statement(china, "AccountAdministersKeyThroughIam").Principal).to.deep.equal({
        AWS: "arn:aws-cn:iam::999999999999:root",
      });
      expect(statement(china, "OrgReplicationRolesEncryptReplicas").Condition?.StringEquals).to.include({
        "kms:ViaService": "s3.cn-north-1.amazonaws.com",
      });
      expect(statement(china, "OrgReplicationRolesEncryptReplicas").Condition?.StringLike).to.deep.equal({
        "kms:EncryptionContext:aws:s3:arn": [
          "arn:aws-cn:s3:::acme-org-backup-999999999999",
          "arn:aws-cn:s3:::acme-org-backup-999999999999/*",
        ],
      });
      const trust = replicationTrustPolicy({ accountId: "111111111111", region: "cn-north-1", bucketName: "b" });
      expect(trust.Statement[0].Condition?.ArnLikeIfExists).to.deep.equal({ "aws:SourceArn": "arn:aws-cn:s3:::b" });
    });
  });

  describe("kms:ViaService is the same value everywhere a region's S3 is meant", () => {
    /** Every ViaService value in a document. */
    const viaServices = (document: PolicyDocument) =>
      document.Statement.flatMap((s) =>
        Object.values(s.Condition ?? {}).flatMap((c) => [c["kms:ViaService"] ?? []].flat()),
      );

    it("writes s3.<region>.amazonaws.com in China too, in the replication, key and backfill policies", () => {
      const region = "cn-north-1";
      const documents = [
        centralKmsKeyPolicy({ ...CENTRAL, region }),
        sourceKmsKeyPolicy({ accountId: "111111111111", region }),
        replicationRolePolicy({ ...ROLE_ARGS, region, centralRegion: region }),
        batchReplicationPolicy({ partition: "aws-cn", region, sourceBucketName: "b", sourceKmsKeyArn: SOURCE_KEY }),
      ];
      for (const document of documents) {
        const values = viaServices(document);
        expect(values.length, JSON.stringify(document)).to.be.greaterThan(0);
        expect(new Set(values)).to.deep.equal(new Set(["s3.cn-north-1.amazonaws.com"]));
      }
    });
  });

  describe("every document", () => {
    it("names each statement with a unique Sid", () => {
      for (const [kind, document] of Object.entries(allDocuments())) {
        const sids = document.Statement.map((s) => s.Sid);
        expect(
          sids.every((sid) => sid !== undefined && /^[A-Za-z0-9]+$/.test(sid)),
          kind,
        ).to.equal(true);
        expect(new Set(sids).size, kind).to.equal(sids.length);
      }
    });

    it("matches its golden file", () => {
      for (const [kind, document] of Object.entries(allDocuments())) expectGolden(kind, document);
    });
  });
});
