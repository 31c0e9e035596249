import { expect } from "chai";
import { DESTINATION_STORAGE_CLASSES, type ReplicationOptions } from "../../config/types";
import { replicationRule, replicationRuleId } from "../../infra/components/source-replicated-bucket";

/**
 * The replication rule's shape, pinned: `drift` (a refresh) shows a difference on a clean stack as soon
 * as one field is written in another shape than GetBucketReplication gives back (pulumi/pulumi-aws#2063,
 * hashicorp/terraform-provider-aws#665 and #10235). What each field must look like, and why, is in
 * docs/driver.md ("Drift: the replication rule"). The emulator cannot check this: moto 5.2.1 answers
 * GetBucketReplication with a hard-coded filter and delete-marker status.
 */

const CENTRAL_BUCKET = "arn:aws:s3:::acme-org-backup-999999999999";
const CENTRAL_KEY = "arn:aws:kms:eu-west-1:999999999999:key/9999bbbb-9999-bbbb-9999-bbbb9999bbbb";

const ruleFor = (replication: ReplicationOptions, accountId = "111111111111") =>
  replicationRule(replicationRuleId(accountId), {
    accountId,
    replication,
    centralAccountId: "999999999999",
    centralBucketArn: CENTRAL_BUCKET,
    centralKmsKeyArn: CENTRAL_KEY,
  });

/** Every combination the inventory allows (metrics without RTC included). */
function allOptions(): ReplicationOptions[] {
  const options: ReplicationOptions[] = [];
  for (const storageClass of DESTINATION_STORAGE_CLASSES)
    for (const replicationTimeControl of [false, true])
      for (const metrics of [false, true])
        for (const deleteMarkerReplication of [false, true])
          options.push({ storageClass, replicationTimeControl, metrics, deleteMarkerReplication });
  return options;
}

/** Paths of every property whose value is `undefined` (present but unset: a diff waiting to happen). */
function undefinedPaths(value: unknown, path = "rule"): string[] {
  if (value === undefined) return [path];
  if (Array.isArray(value)) return value.flatMap((item, i) => undefinedPaths(item, `${path}[${i}]`));
  if (value !== null && typeof value === "object")
    return Object.entries(value).flatMap(([key, item]) => undefinedPaths(item, `${path}.${key}`));
  return [];
}

describe("replication rule shape (what GetBucketReplication returns, so drift stays empty)", () => {
  it("is exactly the documented V2 shape with RTC: id, priority, one-prefix filter, explicit delete-marker status", () => {
    expect(
      ruleFor({
        storageClass: "STANDARD",
        replicationTimeControl: true,
        metrics: true,
        deleteMarkerReplication: false,
      }),
    ).to.deep.equal({
      id: "org-s3-backup-111111111111",
      status: "Enabled",
      priority: 1,
      filter: { prefix: "111111111111/" },
      deleteMarkerReplication: { status: "Disabled" },
      sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
      destination: {
        bucket: CENTRAL_BUCKET,
        account: "999999999999",
        accessControlTranslation: { owner: "Destination" },
        encryptionConfiguration: { replicaKmsKeyId: CENTRAL_KEY },
        storageClass: "STANDARD",
        replicationTime: { status: "Enabled", time: { minutes: 15 } },
        metrics: { status: "Enabled", eventThreshold: { minutes: 15 } },
      },
    });
  });

  it("is exactly the documented shape without RTC or metrics, with delete markers", () => {
    expect(
      ruleFor({
        storageClass: "GLACIER_IR",
        replicationTimeControl: false,
        metrics: false,
        deleteMarkerReplication: true,
      }),
    ).to.deep.equal({
      id: "org-s3-backup-111111111111",
      status: "Enabled",
      priority: 1,
      filter: { prefix: "111111111111/" },
      deleteMarkerReplication: { status: "Enabled" },
      sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
      destination: {
        bucket: CENTRAL_BUCKET,
        account: "999999999999",
        accessControlTranslation: { owner: "Destination" },
        encryptionConfiguration: { replicaKmsKeyId: CENTRAL_KEY },
        storageClass: "GLACIER_IR",
      },
    });
  });

  describe("for every combination of options", () => {
    const rules = allOptions().map((options) => ({ options, rule: ruleFor(options) }));

    it("never carries a property whose value is undefined", () => {
      for (const { options, rule } of rules) expect(undefinedPaths(rule), JSON.stringify(options)).to.deep.equal([]);
    });

    it("always sets the id (<= 255 characters) and an integer priority: AWS would generate or require them", () => {
      for (const { options, rule } of rules) {
        expect(rule.id, JSON.stringify(options)).to.be.a("string").and.have.length.within(1, 255);
        expect(Number.isInteger(rule.priority), JSON.stringify(options)).to.equal(true);
      }
    });

    it("always filters on exactly one prefix member, never {} or `and`, and never the deprecated rule-level prefix", () => {
      for (const { options, rule } of rules) {
        expect(rule.filter, JSON.stringify(options)).to.deep.equal({ prefix: "111111111111/" });
        expect(rule, JSON.stringify(options)).to.not.have.property("prefix");
      }
    });

    it("always says whether delete markers replicate, and what storage class replicas get", () => {
      for (const { options, rule } of rules) {
        expect(rule.deleteMarkerReplication, JSON.stringify(options)).to.deep.equal({
          status: options.deleteMarkerReplication ? "Enabled" : "Disabled",
        });
        expect((rule.destination as { storageClass?: unknown }).storageClass).to.equal(options.storageClass);
      }
    });

    it("never sends what AWS might echo in another form (existing-object replication, replica modifications)", () => {
      for (const { options, rule } of rules) {
        expect(rule, JSON.stringify(options)).to.not.have.property("existingObjectReplication");
        expect(rule.sourceSelectionCriteria, JSON.stringify(options)).to.deep.equal({
          sseKmsEncryptedObjects: { status: "Enabled" },
        });
      }
    });

    it("sends RTC and metrics as the documented pair, metrics alone without a threshold, or neither", () => {
      for (const { options, rule } of rules) {
        const destination = rule.destination as { replicationTime?: unknown; metrics?: unknown };
        const expected = options.replicationTimeControl
          ? {
              replicationTime: { status: "Enabled", time: { minutes: 15 } },
              metrics: { status: "Enabled", eventThreshold: { minutes: 15 } },
            }
          : options.metrics
            ? { replicationTime: undefined, metrics: { status: "Enabled" } }
            : { replicationTime: undefined, metrics: undefined };
        expect(
          { replicationTime: destination.replicationTime, metrics: destination.metrics },
          JSON.stringify(options),
        ).to.deep.equal(expected);
      }
    });
  });

  it("derives everything account-specific from the account id: another account's rule differs only there", () => {
    const options = {
      storageClass: "STANDARD",
      replicationTimeControl: true,
      metrics: true,
      deleteMarkerReplication: false,
    } as const;
    const other = JSON.stringify(ruleFor(options, "222222222222"));
    expect(other.replaceAll("222222222222", "111111111111")).to.equal(JSON.stringify(ruleFor(options)));
  });
});
