import { expect } from "chai";
import {
  CentralBackupBucket,
  type CentralBackupBucketArgs,
  noncurrentVersionRule,
} from "../../infra/components/central-backup-bucket";
import { centralBucketPolicy, centralKmsKeyPolicy } from "../../infra/policies/central";
import { accountProvider } from "../../infra/provider";
import { ORG_ID } from "../support/inventory-fixture";
import { type PulumiMocks, type RecordedResource, setPulumiMocks, outputValue } from "../support/pulumi-mocks";

const ARGS: CentralBackupBucketArgs = {
  organizationId: ORG_ID,
  accountId: "999999999999",
  region: "eu-west-1",
  bucketName: "acme-org-backup-999999999999",
  kmsAlias: "alias/org-s3-backup-central",
};

interface Deployed {
  mocks: PulumiMocks;
  component: CentralBackupBucket;
  one(type: string): RecordedResource;
}

async function deploy(args: CentralBackupBucketArgs): Promise<Deployed> {
  const mocks = await setPulumiMocks();
  let component: CentralBackupBucket | undefined;
  await mocks.run(() => {
    const provider = accountProvider("central-aws", {
      accountId: args.accountId,
      region: args.region,
      roleArn: "arn:aws:iam::999999999999:role/Deploy",
      tags: {},
    });
    component = new CentralBackupBucket("central", args, { provider });
  });
  const one = (type: string) => {
    const found = mocks.resources.filter((r) => r.type === type);
    expect(found, type).to.have.length(1);
    return found[0];
  };
  return { mocks, component: component!, one };
}

describe("CentralBackupBucket", () => {
  let plain: Deployed;
  before(async () => {
    plain = await deploy(ARGS);
  });

  it("is a component of its own type holding exactly the resources of a plain central bucket", () => {
    const types = plain.mocks.resources.filter((r) => !r.type.startsWith("pulumi:")).map((r) => `${r.type} ${r.name}`);
    expect(types.sort()).to.deep.equal(
      [
        "org-s3-backup:central:CentralBackupBucket central",
        "aws:kms/key:Key central-key",
        "aws:kms/alias:Alias central-key-alias",
        "aws:s3/bucket:Bucket central-bucket",
        "aws:s3/bucketVersioning:BucketVersioning central-versioning",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration central-encryption",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock central-public-access-block",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls central-ownership",
        "aws:s3/bucketPolicy:BucketPolicy central-policy",
      ].sort(),
    );
  });

  it("creates a rotating KMS key with a 30-day deletion window, the organization key policy, and its alias", () => {
    const key = plain.one("aws:kms/key:Key");
    expect(key.inputs.enableKeyRotation).to.equal(true);
    expect(key.inputs.deletionWindowInDays).to.equal(30);
    expect(JSON.parse(key.inputs.policy)).to.deep.equal(centralKmsKeyPolicy(ARGS));
    expect(plain.one("aws:kms/alias:Alias").inputs).to.deep.include({
      name: "alias/org-s3-backup-central",
      targetKeyId: "central-key-physical",
    });
  });

  it("creates the bucket by name, without Object Lock unless asked", () => {
    const bucket = plain.one("aws:s3/bucket:Bucket");
    expect(bucket.inputs.bucket).to.equal("acme-org-backup-999999999999");
    expect(bucket.inputs.objectLockEnabled).to.equal(undefined);
  });

  it("enables versioning, SSE-KMS with the key and a bucket key, all four public-access blocks, BucketOwnerEnforced", () => {
    const bucket = "acme-org-backup-999999999999";
    expect(plain.one("aws:s3/bucketVersioning:BucketVersioning").inputs).to.deep.equal({
      bucket,
      versioningConfiguration: { status: "Enabled" },
    });
    expect(
      plain.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs,
    ).to.deep.equal({
      bucket,
      rules: [
        {
          applyServerSideEncryptionByDefault: {
            sseAlgorithm: "aws:kms",
            kmsMasterKeyId: "arn:aws:kms:eu-west-1:123456789012:key/central-key-physical",
          },
          bucketKeyEnabled: true,
        },
      ],
    });
    expect(plain.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs).to.deep.equal({
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(plain.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs).to.deep.equal({
      bucket,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });
  });

  it("attaches the organization bucket policy", () => {
    const policy = plain.one("aws:s3/bucketPolicy:BucketPolicy");
    expect(policy.inputs.bucket).to.equal("acme-org-backup-999999999999");
    expect(JSON.parse(policy.inputs.policy)).to.deep.equal(centralBucketPolicy(ARGS));
  });

  it("protects and retains the bucket and the key; retains every setting guarding the data", () => {
    const options = plain.mocks.options;
    for (const held of ["aws:kms/key:Key central-key", "aws:s3/bucket:Bucket central-bucket"]) {
      expect(options.get(held), held).to.deep.equal({ protect: true, retainOnDelete: true, parent: "central" });
    }
    for (const guard of plain.mocks.resources.filter(
      (r) => r.type.startsWith("aws:") && r.type !== "aws:kms/key:Key" && r.type !== "aws:s3/bucket:Bucket",
    )) {
      expect(options.get(`${guard.type} ${guard.name}`), guard.name).to.include({
        protect: undefined,
        retainOnDelete: true,
        parent: "central",
      });
    }
  });

  it("sets the bucket policy after the public-access block (S3 refuses concurrent changes to them)", () => {
    expect(plain.mocks.options.get("aws:s3/bucketPolicy:BucketPolicy central-policy")?.dependsOn).to.deep.equal([
      "central-public-access-block",
    ]);
  });

  it("makes every child use the provider it was given", () => {
    const children = plain.mocks.resources.filter((r) => r.type.startsWith("aws:"));
    expect(new Set(children.map((r) => r.provider?.split("::")[3]))).to.deep.equal(new Set(["central-aws"]));
  });

  it("outputs the bucket name, bucket ARN and key ARN", async () => {
    expect(await outputValue(plain.component.bucketName)).to.equal("acme-org-backup-999999999999");
    expect(await outputValue(plain.component.bucketArn)).to.equal("arn:aws:s3:::acme-org-backup-999999999999");
    expect(await outputValue(plain.component.kmsKeyArn)).to.equal(
      "arn:aws:kms:eu-west-1:123456789012:key/central-key-physical",
    );
  });

  describe("with Object Lock and a noncurrent-version lifecycle", () => {
    let locked: Deployed;
    before(async () => {
      locked = await deploy({
        ...ARGS,
        objectLock: { mode: "COMPLIANCE", days: 365 },
        noncurrentVersions: {
          transitionAfterDays: 30,
          transitionStorageClass: "GLACIER_IR",
          expireAfterDays: 400,
          keepNewerVersions: 3,
        },
      });
    });

    it("configures Object Lock and the lifecycle once versioning is on", () => {
      for (const name of [
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration central-object-lock",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration central-lifecycle",
      ]) {
        expect(locked.mocks.options.get(name)?.dependsOn, name).to.deep.equal(["central-versioning"]);
      }
    });

    it("enables Object Lock on the bucket as it is: the Bucket's inputs do not change, so adding it replaces nothing", () => {
      // `objectLockEnabled` on aws.s3.Bucket forces a new bucket, which `protect` refuses: Object Lock comes
      // from PutObjectLockConfiguration on the existing bucket instead (docs/infrastructure.md).
      expect(locked.one("aws:s3/bucket:Bucket").inputs).to.deep.equal(plain.one("aws:s3/bucket:Bucket").inputs);
      expect(locked.one("aws:s3/bucket:Bucket").inputs).to.not.have.property("objectLockEnabled");
    });

    it("sets the inventory's default retention through BucketObjectLockConfiguration", () => {
      expect(locked.one("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration").inputs).to.deep.equal({
        bucket: "acme-org-backup-999999999999",
        objectLockEnabled: "Enabled",
        rule: { defaultRetention: { mode: "COMPLIANCE", days: 365 } },
      });
    });

    it("transitions and expires noncurrent versions, keeping the newest ones", () => {
      expect(locked.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs).to.deep.equal({
        bucket: "acme-org-backup-999999999999",
        rules: [
          {
            id: "org-s3-backup-noncurrent-versions",
            status: "Enabled",
            filter: {},
            noncurrentVersionTransitions: [
              { noncurrentDays: 30, storageClass: "GLACIER_IR", newerNoncurrentVersions: 3 },
            ],
            noncurrentVersionExpiration: { noncurrentDays: 400, newerNoncurrentVersions: 3 },
          },
        ],
      });
    });
  });

  describe("noncurrentVersionRule", () => {
    it("expires only, when no transition is configured", () => {
      expect(noncurrentVersionRule({ expireAfterDays: 90 })).to.deep.equal({
        id: "org-s3-backup-noncurrent-versions",
        status: "Enabled",
        filter: {},
        noncurrentVersionExpiration: { noncurrentDays: 90 },
      });
    });

    it("refuses a rule without an action, or a transition without a storage class", () => {
      expect(() => noncurrentVersionRule({ keepNewerVersions: 2 })).to.throw(
        "central: noncurrentVersions needs transitionAfterDays or expireAfterDays",
      );
      expect(() => noncurrentVersionRule({ transitionAfterDays: 30 })).to.throw(
        "central: noncurrentVersions.transitionAfterDays needs transitionStorageClass",
      );
    });
  });
});
