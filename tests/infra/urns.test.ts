import { expect } from "chai";
import { planStacks } from "../../automation/driver/plan";
import { type RenderedStack, renderStacks } from "../../automation/review/render";
import { stackProgram } from "../../automation/review/render-program";
import { CONFIG_NAMESPACE } from "../../infra/contract";
import { inventory } from "../support/inventory-fixture";

/**
 * Buckets and keys are `protect`ed, and every setting guarding their data is retained. A change of a
 * type token, a parent or a name changes a resource's URN: Pulumi then plans delete + create, `protect`
 * refuses it, and the user is stuck mid-deployment (docs/infrastructure.md, "Refactors keep URNs"). This
 * test pins the URN of every stateful resource (protected or retained) of a central and a source stack,
 * so an accidental change fails review. A deliberate move ships with `aliases` and updates this list.
 */

/** Pulumi's URN: `urn:pulumi:<stack>::<project>::<parent types $ own type>::<name>`. */
function urnsOf(stack: RenderedStack): string[] {
  const byKey = new Map(stack.resources.map((r) => [`${r.type} ${r.name}`, r]));
  const typeChain = (key: string | undefined): string[] => {
    const resource = key === undefined ? undefined : byKey.get(key);
    return resource ? [...typeChain(resource.parent), resource.type] : [];
  };
  return stack.resources
    .filter((r) => r.protect || r.retainOnDelete)
    .map((r) => {
      const chain = [...typeChain(r.parent), r.type].join("$");
      return `urn:pulumi:${stack.stack}::${CONFIG_NAMESPACE}::${chain}::${r.name}${r.protect ? " (protected)" : ""}`;
    })
    .sort();
}

const CENTRAL = "urn:pulumi:central::org-s3-backup::org-s3-backup:central:CentralBackupBucket$";
const SOURCE = "urn:pulumi:account-111111111111::org-s3-backup::org-s3-backup:source:SourceReplicatedBucket$";
const ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration";

describe("URNs of stateful resources (refactor safety)", () => {
  let stacks: RenderedStack[];
  before(async () => {
    const inv = inventory();
    stacks = await renderStacks(inv, planStacks(inv).slice(0, 2), stackProgram);
  });

  it("keeps the central bucket's, key's and their guards' URNs", () => {
    expect(urnsOf(stacks[0])).to.deep.equal([
      `${CENTRAL}aws:kms/alias:Alias::central-key-alias`,
      `${CENTRAL}aws:kms/key:Key::central-key (protected)`,
      `${CENTRAL}aws:s3/bucket:Bucket::central-bucket (protected)`,
      `${CENTRAL}aws:s3/bucketOwnershipControls:BucketOwnershipControls::central-ownership`,
      `${CENTRAL}aws:s3/bucketPolicy:BucketPolicy::central-policy`,
      `${CENTRAL}aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock::central-public-access-block`,
      `${CENTRAL}${ENCRYPTION}::central-encryption`,
      `${CENTRAL}aws:s3/bucketVersioning:BucketVersioning::central-versioning`,
    ]);
  });

  it("keeps a source account's bucket's, key's and their guards' URNs", () => {
    expect(urnsOf(stacks[1])).to.deep.equal([
      `${SOURCE}aws:kms/alias:Alias::account-111111111111-key-alias`,
      `${SOURCE}aws:kms/key:Key::account-111111111111-key (protected)`,
      `${SOURCE}aws:s3/bucket:Bucket::account-111111111111-bucket (protected)`,
      `${SOURCE}aws:s3/bucketPolicy:BucketPolicy::account-111111111111-policy`,
      `${SOURCE}aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock::account-111111111111-public-access-block`,
      `${SOURCE}${ENCRYPTION}::account-111111111111-encryption`,
      `${SOURCE}aws:s3/bucketVersioning:BucketVersioning::account-111111111111-versioning`,
    ]);
  });
});
