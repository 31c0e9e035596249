import { expect } from "chai";
import { afterLine, problems, VALID_YAML, valid, withLifecycle, withLine } from "../support/inventory-yaml";

/**
 * Inventory rules the mutation run (docs/mutation.md) showed untested: where each problem is located, the
 * rules that must stay quiet, and the checks that still run when another section of the file is broken
 * (one run reports every problem, and never a problem made of a value it could not know).
 */

const US_TOPIC = "arn:aws:sns:us-east-1:999999999999:alarms";
const EU_TOPIC = "arn:aws:sns:eu-west-1:999999999999:alarms";
const CROSS_REGION = "CloudWatch alarms only notify topics in their own region";

describe("inventory semantics: behaviours found by mutation testing", () => {
  describe("central.noncurrentVersions", () => {
    it("locates each problem at the key to change", () => {
      expect(problems(withLifecycle("    keepNewerVersions: 3"))).to.deep.equal([
        "8:5: central.noncurrentVersions: give transitionAfterDays (with transitionStorageClass) " +
          "or expireAfterDays, or remove the section",
      ]);
      expect(problems(withLifecycle("    transitionStorageClass: GLACIER", "    expireAfterDays: 90"))).to.deep.equal([
        "8:29: central.noncurrentVersions.transitionStorageClass needs transitionAfterDays too",
      ]);
      expect(problems(withLifecycle("    transitionAfterDays: 60"))).to.deep.equal([
        "8:26: central.noncurrentVersions.transitionAfterDays needs transitionStorageClass too",
      ]);
      expect(
        problems(
          withLifecycle(
            "    transitionAfterDays: 60",
            "    transitionStorageClass: GLACIER",
            "    expireAfterDays: 60",
          ),
        ),
      ).to.deep.equal([
        "10:22: central.noncurrentVersions.expireAfterDays (60) must be later than transitionAfterDays (60)",
      ]);
    });

    it("accepts expiry alone, and expiry one day after the transition", () => {
      expect(problems(withLifecycle("    expireAfterDays: 1"))).to.deep.equal([]);
      expect(
        problems(withLifecycle("    transitionAfterDays: 30", "    transitionStorageClass: GLACIER")),
      ).to.deep.equal([]);
      expect(valid(withLifecycle("    expireAfterDays: 1")).central.noncurrentVersions).to.deep.include({
        expireAfterDays: 1,
      });
      expect(
        problems(
          withLifecycle(
            "    transitionAfterDays: 60",
            "    transitionStorageClass: GLACIER",
            "    expireAfterDays: 61",
          ),
        ),
      ).to.deep.equal([]);
    });
  });

  describe("duplicates name the first entry and its line", () => {
    it("a repeated source account", () => {
      expect(problems(withLine(13, '  - id: "111111111111"'))).to.deep.equal([
        "13:9: accounts[1].id: account 111111111111 is already listed as accounts[0] (line 11)",
      ]);
    });

    it("a repeated ignore entry", () => {
      expect(problems(`${VALID_YAML}ignore:\n  - id: "444444444444"\n  - id: "444444444444"\n`)).to.deep.equal([
        "19:9: ignore[1].id: account 444444444444 is already listed as ignore[0] (line 18)",
      ]);
    });

    it("an ignored account that is also a source account listed twice: the first listing", () => {
      const text = `${withLine(13, '  - id: "111111111111"')}ignore:\n  - id: "111111111111"\n`;
      expect(problems(text)[1]).to.equal(
        "18:9: ignore[0].id: account 111111111111 is also a source account, accounts[0] (line 11); " +
          "an account is either backed up or ignored — " +
          "remove one of the entries (enabled: false keeps an entry without a stack)",
      );
    });
  });

  describe("duplicates name the line of the first entry's id, wherever the id sits in its entry", () => {
    const idSecond = (name: string, id: string) => `  - name: ${name}\n    id: "${id}"`;
    it("in accounts and in ignore", () => {
      const accounts = withLine(11, idSecond("payments", "111111111111"), withLine(12, ""));
      const twice = withLine(13, '  - id: "111111111111"\n    name: again', accounts);
      expect(problems(twice)).to.deep.equal([
        "13:9: accounts[1].id: account 111111111111 is already listed as accounts[0] (line 12)",
      ]);
      const ignored =
        `${accounts}ignore:\n  - reason: sandbox\n` +
        `    id: "444444444444"\n  - id: "444444444444"\n  - reason: x\n    id: "111111111111"\n`;
      expect(problems(ignored)).to.deep.equal([
        "21:9: ignore[1].id: account 444444444444 is already listed as ignore[0] (line 20)",
        "23:9: ignore[2].id: account 111111111111 is also a source account, accounts[0] (line 12); " +
          "an account is either backed up or ignored — " +
          "remove one of the entries (enabled: false keeps an entry without a stack)",
      ]);
    });
  });

  describe("regions and partitions", () => {
    it("compares an account's partition with the central region taken from defaults", () => {
      const text = afterLine(12, "    region: cn-north-1", withLine(5, ""));
      expect(problems(text)).to.deep.equal([
        "13:13: accounts[0]: region cn-north-1 is in partition aws-cn but the central bucket (eu-west-1) " +
          "is in aws; S3 cannot replicate across partitions",
      ]);
    });

    it("refuses an adopted bucket's extra key from another partition", () => {
      const text = afterLine(
        12,
        [
          "    existingBucket:",
          "      name: legacy-bucket-x",
          "      keys: partial",
          "      additionalKmsKeyArns: [arn:aws-cn:kms:eu-west-1:111111111111:key/abc]",
        ].join("\n"),
      );
      expect(problems(text)).to.deep.equal([
        "16:30: accounts[0].existingBucket.additionalKmsKeyArns[0]: " +
          "partition aws-cn does not match region eu-west-1 (partition aws)",
      ]);
    });
  });

  describe("replication metrics", () => {
    it("reports an RTC-without-metrics default once, not again for an account that overrides another key", () => {
      const text = afterLine(
        9,
        "  replication:\n    replicationTimeControl: true\n    metrics: false",
        afterLine(12, "    replication:\n      storageClass: GLACIER"),
      );
      const refused = problems(text);
      expect(refused).to.have.length(1);
      expect(refused[0]).to.match(/^12:14: defaults\.replication\.metrics: replicationTimeControl is true/);
    });
  });

  describe("alarm topic region", () => {
    it("checks an account that turns monitoring on when the defaults have it off", () => {
      const text = afterLine(
        9,
        "  monitoring:\n    enabled: false",
        afterLine(12, `    monitoring:\n      enabled: true\n      alarmTopicArn: ${US_TOPIC}`),
      );
      expect(problems(text)).to.deep.equal([
        `17:22: accounts[0].monitoring.alarmTopicArn: the topic is in us-east-1 but the account is in eu-west-1; ` +
          `${CROSS_REGION}`,
      ]);
    });

    it("locates a central topic in another region at the account's region key, or at the account", () => {
      const text = afterLine(14, "    region: eu-west-1", afterLine(6, `  alarmTopicArn: ${US_TOPIC}`));
      const refused = problems(text);
      expect(refused).to.have.length(3);
      expect(refused[0]).to.equal(
        `12:5: accounts[0]: the account is in eu-west-1 but central.alarmTopicArn is in us-east-1; ` +
          `${CROSS_REGION} — ` +
          `set accounts[0].monitoring.alarmTopicArn to a topic in eu-west-1, ` +
          `or remove central.alarmTopicArn so a central topic is created in each region`,
      );
      expect(refused[1]).to.match(/^15:13: accounts\[1\]: the account is in eu-west-1 but central\.alarmTopicArn/);
    });

    it("carries central.alarmTopicArn into the inventory only when it is given", () => {
      expect(valid(afterLine(6, `  alarmTopicArn: ${EU_TOPIC}`)).central.alarmTopicArn).to.equal(EU_TOPIC);
      expect(valid(VALID_YAML).central).to.not.have.property("alarmTopicArn");
    });
  });

  describe("with another section broken, the other rules still run on what is known", () => {
    const brokenDefaults = withLine(9, "  bucket: 5");

    it("treats an account as monitored when the defaults cannot be read", () => {
      const text = afterLine(12, "    region: eu-west-1", afterLine(6, `  alarmTopicArn: ${US_TOPIC}`, brokenDefaults));
      const refused = problems(text);
      expect(refused.join("\n")).to.contain(
        "accounts[0]: the account is in eu-west-1 but central.alarmTopicArn is in us-east-1",
      );
    });

    it("reports no problem made of an unknown region", () => {
      const noRegion = withLine(8, "");
      expect(problems(afterLine(6, `  alarmTopicArn: ${EU_TOPIC}`, noRegion))).to.deep.equal([
        "10:3: defaults: missing required key `region`",
      ]);
      const adopted = afterLine(
        12,
        [
          "    existingBucket:",
          "      name: legacy-bucket-x",
          "      keys: partial",
          "      additionalKmsKeyArns: [arn:aws:kms:us-east-1:111111111111:key/abc]",
        ].join("\n"),
        noRegion,
      );
      expect(problems(adopted)).to.deep.equal(["9:3: defaults: missing required key `region`"]);
      const sameTemplate = [
        "organization: o-a1b2c3d4e5",
        "central:",
        '  id: "999999999999"',
        "  name: backup-central",
        "  region: eu-west-1",
        "  bucket: acme-org-backup-999999999999",
        "defaults:",
        "  bucket: acme-data-{accountId}",
        "accounts:",
        '  - id: "111111111111"',
        "    name: payments",
        '    bucket: "data-{region}"',
        '  - id: "222222222222"',
        "    name: analytics",
        '    bucket: "data-{region}"',
        "",
      ].join("\n");
      expect(problems(sameTemplate)).to.deep.equal(["8:3: defaults: missing required key `region`"]);
    });
  });

  describe("bucket names", () => {
    it("suggests a placeholder only when one is close", () => {
      expect(problems(withLine(9, "  bucket: acme-{zzzzzzzzzz}-{accountId}"))).to.deep.equal([
        "9:11: defaults.bucket: unknown placeholder {zzzzzzzzzz}; placeholders are {accountId}, {name}, {region}",
      ]);
    });

    it("says which template made an account's invalid bucket name", () => {
      const text = withLine(12, "    name: Payments", withLine(9, '  bucket: "{name}-data"'));
      const refused = problems(text);
      expect(refused).to.have.length(1);
      expect(refused[0]).to.contain(
        'accounts[0]: bucket name "Payments-data" (from defaults.bucket {name}-data) may contain only lowercase',
      );
    });

    it("gives an account's own invalid bucket name without naming the template", () => {
      const refused = problems(afterLine(12, "    bucket: Payments-Data"));
      expect(refused).to.have.length(1);
      expect(refused[0]).to.match(/^13:13: accounts\[0\]: bucket name "Payments-Data" may contain only lowercase/);
    });

    it("shows the account-prefix form even when the entry has no id", () => {
      const refused = problems(withLine(11, "  - existingBucket: legacy-x"));
      expect(refused.join("\n")).to.contain("if every object is under <accountId>/, or");
    });
  });
});
