import { expect } from "chai";
import { afterLine, problems, VALID_YAML, valid, withLifecycle } from "../support/inventory-yaml";

/**
 * The inventory rules at their boundaries, and the rules that let a valid inventory through: each case
 * would pass unnoticed if a rule were off by one, inverted, or applied too widely (every account refused).
 */

describe("inventory semantics at the boundaries", () => {
  describe("central.noncurrentVersions", () => {
    it("lets STANDARD_IA and ONEZONE_IA transitions through at 30 days, refuses them at 29", () => {
      for (const storageClass of ["STANDARD_IA", "ONEZONE_IA"]) {
        const at = (days: number) =>
          withLifecycle(`    transitionAfterDays: ${days}`, `    transitionStorageClass: ${storageClass}`);
        expect(problems(at(30)), `${storageClass} at 30`).to.deep.equal([]);
        const refused = problems(at(29));
        expect(refused, `${storageClass} at 29`).to.have.length(1);
        expect(refused[0]).to.contain(`S3 refuses transitions to ${storageClass} before 30 days`);
      }
    });

    it("has no 30-day minimum for the Glacier classes", () => {
      for (const storageClass of ["GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"]) {
        const text = withLifecycle("    transitionAfterDays: 1", `    transitionStorageClass: ${storageClass}`);
        expect(problems(text), storageClass).to.deep.equal([]);
      }
    });

    it("requires expiry strictly after the transition", () => {
      const at = (expire: number) =>
        withLifecycle(
          "    transitionAfterDays: 30",
          "    transitionStorageClass: GLACIER_IR",
          `    expireAfterDays: ${expire}`,
        );
      expect(problems(at(31))).to.deep.equal([]);
      expect(problems(at(30))[0]).to.contain("expireAfterDays (30) must be later than transitionAfterDays (30)");
    });

    it("refuses an empty section and a storage class without days, each located", () => {
      expect(problems(withLifecycle("    keepNewerVersions: 3")).join("\n")).to.contain(
        "central.noncurrentVersions: give transitionAfterDays (with transitionStorageClass) or expireAfterDays",
      );
      const classOnly = problems(withLifecycle("    transitionStorageClass: GLACIER", "    expireAfterDays: 90"));
      expect(classOnly.join("\n")).to.contain("transitionAfterDays");
      expect(classOnly).to.have.length(1);
    });

    it("carries a valid section and the tags into the loaded inventory", () => {
      const inventory = valid(
        afterLine(
          6,
          [
            "  noncurrentVersions:",
            "    transitionAfterDays: 30",
            "    transitionStorageClass: GLACIER_IR",
            "    expireAfterDays: 365",
            "  tags:",
            '    cost-center: "4711"',
          ].join("\n"),
        ),
      );
      expect(inventory.central.noncurrentVersions).to.deep.include({
        transitionAfterDays: 30,
        transitionStorageClass: "GLACIER_IR",
        expireAfterDays: 365,
      });
      expect(inventory.central.tags).to.deep.include({ "cost-center": "4711" });
    });
  });

  describe("monitoring needs replication metrics", () => {
    it("accepts an account that turns metrics off together with monitoring", () => {
      const text = afterLine(
        12,
        [
          "    replication:",
          "      replicationTimeControl: false",
          "      metrics: false",
          "    monitoring:",
          "      enabled: false",
        ].join("\n"),
      );
      expect(problems(text)).to.deep.equal([]);
      expect(valid(text).sources[0].monitoring.enabled).to.equal(false);
    });

    it("refuses an account that turns metrics off but stays monitored, at the account's key", () => {
      const text = afterLine(
        12,
        ["    replication:", "      replicationTimeControl: false", "      metrics: false"].join("\n"),
      );
      const refused = problems(text);
      expect(refused).to.have.length(1);
      expect(refused[0]).to.contain(
        "accounts[0].replication.metrics: monitoring is on but replication metrics are off",
      );
    });

    it("accepts an account that re-enables monitoring when metrics are on", () => {
      const text = afterLine(12, ["    monitoring:", "      enabled: true"].join("\n"));
      expect(problems(text)).to.deep.equal([]);
    });
  });

  describe("alarm topic region", () => {
    const topic = "arn:aws:sns:us-east-1:999999999999:alarms";
    it("refuses a monitored account whose topic is in another region", () => {
      const text = afterLine(12, ["    monitoring:", `      alarmTopicArn: ${topic}`].join("\n"));
      expect(problems(text).join("\n")).to.contain("the topic is in us-east-1 but the account is in eu-west-1");
    });

    it("does not check the topic of an account that is not monitored", () => {
      const text = afterLine(
        12,
        [
          "    replication:",
          "      metrics: false",
          "      replicationTimeControl: false",
          "    monitoring:",
          "      enabled: false",
          `      alarmTopicArn: ${topic}`,
        ].join("\n"),
      );
      expect(problems(text)).to.deep.equal([]);
    });
  });

  it("the valid base inventory has no problem (the cases above start from it)", () => {
    expect(problems(VALID_YAML)).to.deep.equal([]);
  });
});
