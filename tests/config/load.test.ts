import { parsePlainYaml } from "../../config/plain-yaml";
import { expect } from "chai";
import * as path from "node:path";
import { formatProblem, loadInventory, parseInventory } from "../../config/load";
import type { Inventory } from "../../config/types";
import { afterLine, VALID_YAML, withLine } from "../support/inventory-yaml";

const REPO = path.resolve(__dirname, "..", "..");

function parsed(text: string): Inventory {
  const result = parseInventory(text, "inv.yaml");
  if (!result.ok) throw new Error(`expected a valid inventory, got:\n${result.problems.map(formatProblem).join("\n")}`);
  return result.inventory;
}

/** Each broken inventory and every problem it must produce, as LINE:COL: message, in file order. */
const BROKEN: { name: string; yaml: string; problems: string[] }[] = [
  {
    name: "unquoted id with a leading zero",
    yaml: withLine(11, "  - id: 011111111111"),
    problems: [
      "11:9: accounts[0].id: account id 011111111111 must be quoted " +
        '(YAML reads it as the number 11111111111 and drops the leading zero); write id: "011111111111"',
    ],
  },
  {
    name: "unquoted id without a leading zero",
    yaml: withLine(11, "  - id: 111111111111"),
    problems: [
      "11:9: accounts[0].id: account id 111111111111 must be quoted " +
        '(YAML reads it as a number); write id: "111111111111"',
    ],
  },
  {
    name: "an 11-digit id",
    yaml: withLine(11, '  - id: "11111111111"'),
    problems: ["11:9: accounts[0].id: must be exactly 12 digits"],
  },
  {
    name: "a duplicate account id",
    yaml: withLine(13, '  - id: "111111111111"'),
    problems: ["13:9: accounts[1].id: account 111111111111 is already listed as accounts[0] (line 11)"],
  },
  {
    name: "a source account that is the central account",
    yaml: withLine(15, '  - id: "999999999999"'),
    problems: ["15:9: accounts[2].id: 999999999999 is the central account; it cannot also be a source account"],
  },
  {
    name: "a malformed organization id",
    yaml: withLine(1, "organization: o-ABC"),
    problems: ["1:15: organization: must be an AWS Organizations id: o- then 10 to 32 lowercase letters or digits"],
  },
  {
    name: "a missing organization",
    yaml: withLine(1, "# no organization"),
    problems: ["2:1: the file: missing required key `organization`"],
  },
  {
    name: "a misspelt top-level key",
    yaml: withLine(10, "acounts:"),
    problems: [
      "1:1: the file: missing required key `accounts`",
      "10:1: the file: unknown key `acounts`; did you mean `accounts`?",
    ],
  },
  {
    name: "a misspelt account key",
    yaml: afterLine(12, "    regoin: eu-west-2"),
    problems: ["13:5: accounts[0]: unknown key `regoin`; did you mean `region`?"],
  },
  {
    name: "a misspelt defaults key",
    yaml: afterLine(9, "  kmsAlais: alias/x"),
    problems: ["10:3: defaults: unknown key `kmsAlais`; did you mean `kmsAlias`?"],
  },
  {
    name: "an account without a name",
    yaml: withLine(12, "    enabled: true"),
    problems: ["11:5: accounts[0]: missing required key `name`"],
  },
  {
    name: "an unknown region",
    yaml: withLine(8, "  region: eu-west-9"),
    problems: ['8:11: defaults.region: unknown region "eu-west-9"; did you mean `eu-west-1`?'],
  },
  {
    name: "an empty region",
    yaml: withLine(8, "  region:"),
    problems: ["8:3: defaults.region: no value given"],
  },
  {
    name: "a central bucket with uppercase and underscore",
    yaml: withLine(6, "  bucket: Acme_Backup"),
    problems: [
      '6:11: central.bucket: bucket name "Acme_Backup" may contain only lowercase letters, digits, hyphens and dots',
    ],
  },
  {
    name: "a bucket name shaped like an IP address",
    yaml: withLine(6, "  bucket: 192.168.5.4"),
    problems: ['6:11: central.bucket: bucket name "192.168.5.4" must not look like an IP address'],
  },
  {
    name: "a bucket name with a reserved prefix",
    yaml: withLine(6, "  bucket: xn--backup"),
    problems: ['6:11: central.bucket: bucket name "xn--backup" must not begin with `xn--` (reserved by AWS)'],
  },
  {
    name: "a bucket name with a reserved suffix",
    yaml: withLine(6, "  bucket: backup-s3alias"),
    problems: ['6:11: central.bucket: bucket name "backup-s3alias" must not end with `-s3alias` (reserved by AWS)'],
  },
  {
    name: "a bucket name with adjacent dots",
    yaml: withLine(6, "  bucket: backup..central"),
    problems: ['6:11: central.bucket: bucket name "backup..central" must not contain two adjacent dots'],
  },
  {
    name: "a bucket name too short",
    yaml: withLine(6, "  bucket: ab"),
    problems: ['6:11: central.bucket: bucket name "ab" must be 3 to 63 characters long (it has 2)'],
  },
  {
    name: "an account bucket equal to the central bucket",
    yaml: afterLine(12, "    bucket: acme-org-backup-999999999999"),
    problems: [
      "13:13: accounts[0]: bucket name acme-org-backup-999999999999 is already used by central.bucket " +
        "(line 6); bucket names are global",
    ],
  },
  {
    name: "two accounts with the same bucket",
    yaml: afterLine(14, "    bucket: acme-data-111111111111"),
    problems: [
      "15:13: accounts[1]: bucket name acme-data-111111111111 is already used by accounts[0] " +
        "(line 11); bucket names are global",
    ],
  },
  {
    name: "a template with an unknown placeholder",
    yaml: withLine(9, "  bucket: acme-data-{acountId}"),
    problems: [
      "9:11: defaults.bucket: unknown placeholder {acountId} (did you mean {accountId}?); " +
        "placeholders are {accountId}, {name}, {region}",
    ],
  },
  {
    name: "a template without a placeholder",
    yaml: withLine(9, "  bucket: acme-data"),
    problems: [
      "9:11: defaults.bucket: the template needs {accountId} (or {name}), or every account gets the same bucket name",
    ],
  },
  {
    name: "a template with an invalid fixed part",
    yaml: withLine(9, "  bucket: Acme-{accountId}"),
    problems: [
      "9:11: defaults.bucket: names made from this template are invalid: " +
        "Acme-111111111111 may contain only lowercase letters, digits, hyphens and dots",
    ],
  },
  {
    name: "a {name} template and an account name unfit for a bucket",
    yaml: withLine(12, "    name: Payments Prod", withLine(9, "  bucket: acme-{name}")),
    problems: [
      '11:5: accounts[0]: bucket name "acme-Payments Prod" (from defaults.bucket acme-{name}) ' +
        "may contain only lowercase letters, digits, hyphens and dots",
    ],
  },
  {
    name: "a role ARN in another account",
    yaml: afterLine(12, "    roleArn: arn:aws:iam::222222222222:role/Deployer"),
    problems: [
      "13:14: accounts[0].roleArn: the role is in account 222222222222 but the account is 111111111111; " +
        "the deployment must assume a role in the account it deploys to",
    ],
  },
  {
    name: "a malformed role ARN",
    yaml: afterLine(12, "    roleArn: arn:aws:iam:111111111111:role/Deployer"),
    problems: [
      "13:14: accounts[0].roleArn: must be an IAM role ARN: arn:aws:iam::<12-digit account>:role/<optional path/>name",
    ],
  },
  {
    name: "both roleName and roleArn",
    yaml: afterLine(12, "    roleName: Deployer\n    roleArn: arn:aws:iam::111111111111:role/Deployer"),
    problems: ["14:14: accounts[0]: give roleName or roleArn, not both (roleArn already names the role)"],
  },
  {
    name: "a central role ARN in the wrong partition",
    yaml: afterLine(6, "  roleArn: arn:aws-cn:iam::999999999999:role/Deployer"),
    problems: ["7:12: central.roleArn: partition aws-cn does not match region eu-west-1 (partition aws)"],
  },
  {
    name: "a role name with a slash",
    yaml: afterLine(8, "  roleName: platform/Deployer"),
    problems: ["9:13: defaults.roleName: must be an IAM role name: 1 to 64 letters, digits and +=,.@_-"],
  },
  {
    name: "a KMS alias without alias/",
    yaml: afterLine(12, "    kmsAlias: my-key"),
    problems: ["13:15: accounts[0].kmsAlias: must be a KMS alias: alias/ then letters, digits, /, _ or -"],
  },
  {
    name: "a KMS alias under alias/aws/",
    yaml: afterLine(6, "  kmsAlias: alias/aws/s3"),
    problems: ["7:13: central.kmsAlias: alias/aws/ is reserved for AWS managed keys"],
  },
  {
    name: "an unknown storage class",
    yaml: afterLine(9, "  replication:\n    storageClass: STANDARD-IA"),
    problems: [
      '11:19: defaults.replication.storageClass: not allowed: "STANDARD-IA" ' +
        "(one of STANDARD, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, " +
        "GLACIER, GLACIER_IR, DEEP_ARCHIVE, REDUCED_REDUNDANCY); did you mean `STANDARD_IA`?",
    ],
  },
  {
    name: "metrics off with RTC on in the defaults",
    yaml: afterLine(9, "  replication:\n    metrics: false"),
    problems: [
      "11:14: defaults.replication.metrics: replicationTimeControl is true but metrics is false — " +
        "Replication Time Control always publishes replication metrics; " +
        "remove `metrics: false` or set `replicationTimeControl: false`",
    ],
  },
  {
    name: "metrics off with RTC on in an account",
    yaml: afterLine(12, "    replication:\n      metrics: false"),
    problems: [
      "14:16: accounts[0].replication.metrics: replicationTimeControl is true but metrics is false — " +
        "Replication Time Control always publishes replication metrics; " +
        "remove `metrics: false` or set `replicationTimeControl: false`",
    ],
  },
  {
    name: "RTC turned on by an account whose defaults turn metrics off",
    yaml: afterLine(
      9,
      "  replication:\n    replicationTimeControl: false\n    metrics: false\n  monitoring:\n    enabled: false",
      afterLine(12, "    replication:\n      replicationTimeControl: true"),
    ),
    problems: [
      "19:31: accounts[0].replication.replicationTimeControl: " +
        "replicationTimeControl is true but metrics is false — " +
        "Replication Time Control always publishes replication metrics; " +
        "remove `metrics: false` or set `replicationTimeControl: false`",
    ],
  },
  {
    name: "monitoring on by default with metrics off by default",
    yaml: afterLine(9, "  replication:\n    replicationTimeControl: false\n    metrics: false"),
    problems: [
      "12:14: defaults.replication.metrics: monitoring is on but replication metrics are off, " +
        "so there is nothing to alarm on — " +
        "set replication.metrics: true, or monitoring.enabled: false to go without alarms",
    ],
  },
  {
    name: "an account turning metrics off while monitored",
    yaml: afterLine(12, "    replication:\n      replicationTimeControl: false\n      metrics: false"),
    problems: [
      "15:16: accounts[0].replication.metrics: monitoring is on but replication metrics are off, " +
        "so there is nothing to alarm on — " +
        "set replication.metrics: true, or monitoring.enabled: false to go without alarms",
    ],
  },
  {
    name: "an account turning monitoring on while its defaults turn metrics off",
    yaml: afterLine(
      9,
      "  replication:\n    replicationTimeControl: false\n    metrics: false\n  monitoring:\n    enabled: false",
      afterLine(12, "    monitoring:\n      enabled: true"),
    ),
    problems: [
      "19:16: accounts[0].monitoring.enabled: monitoring is on but replication metrics are off, " +
        "so there is nothing to alarm on — " +
        "set replication.metrics: true, or monitoring.enabled: false to go without alarms",
    ],
  },
  {
    name: "Object Lock retention of 0 days",
    yaml: afterLine(6, "  objectLock:\n    mode: GOVERNANCE\n    days: 0"),
    problems: ["9:11: central.objectLock.days: must be more than 0 days"],
  },
  {
    name: "an unknown Object Lock mode",
    yaml: afterLine(6, "  objectLock:\n    mode: LEGAL\n    days: 30"),
    problems: ['8:11: central.objectLock.mode: not allowed: "LEGAL" (one of GOVERNANCE, COMPLIANCE)'],
  },
  {
    name: "enabled given as a string",
    yaml: afterLine(12, '    enabled: "false"'),
    problems: ['13:14: accounts[0].enabled: expected true or false, got the string "false"; remove the quotes'],
  },
  {
    name: "a YAML syntax error",
    yaml: withLine(12, '    name: "payments'),
    problems: ['12:20: YAML syntax: Missing closing "quote'],
  },
  {
    name: "a duplicate YAML key",
    yaml: afterLine(12, "    name: payments-again"),
    problems: [
      "13:5: accounts[0]: the key `name` is already given at line 12 " +
        "of this mapping (YAML would keep only one of the values); remove one",
    ],
  },
  {
    name: "a tag value YAML reads as a number",
    yaml: afterLine(12, "    tags:\n      cost-center: 4711"),
    problems: ['14:20: accounts[0].tags.cost-center: 4711 is a number to YAML; quote it: cost-center: "4711"'],
  },
  {
    name: "a tag key reserved by AWS",
    yaml: afterLine(12, "    tags:\n      aws:team: data"),
    problems: ["14:7: accounts[0].tags.aws:team: tag keys starting with aws: are reserved by AWS"],
  },
  {
    name: "an empty file",
    yaml: "",
    problems: [
      "1:1: the inventory is empty; it needs organization, central, defaults and accounts (see docs/inventory.md)",
    ],
  },
  {
    name: "accounts as a mapping",
    yaml: withLine(
      11,
      "  payments: {}",
      withLine(12, "", withLine(13, "", withLine(14, "", withLine(15, "", withLine(16, ""))))),
    ).replace(/\n+$/, "\n"),
    problems: ["11:3: accounts: expected a list (- item lines), got a mapping"],
  },
  {
    name: "both bucket and existingBucket",
    yaml: afterLine(12, "    bucket: acme-a\n    existingBucket:\n      name: acme-b\n      keys: partial"),
    problems: ["14:5: accounts[0]: give bucket (create one) or existingBucket (adopt one), not both"],
  },
  {
    name: "an adopted bucket given as a bare name (the old form)",
    yaml: afterLine(12, "    existingBucket: legacy-assets"),
    problems: [
      "13:21: accounts[0].existingBucket: a bare bucket name is no longer accepted — " +
        "adopting a bucket must state where its data lives; " +
        "write existingBucket: { name: legacy-assets, keys: under-account-prefix } " +
        "if every object is under 111111111111/, " +
        "or existingBucket: { name: legacy-assets, keys: partial } " +
        "if objects outside 111111111111/ exist (they are NOT backed up). " +
        "Only versioning and the replication rule are then managed; see docs/inventory.md, Adopting an existing bucket",
    ],
  },
  {
    name: "an adopted bucket without its key layout",
    yaml: afterLine(12, "    existingBucket:\n      name: legacy-assets"),
    problems: [
      "14:7: accounts[0].existingBucket: missing required key `keys` " +
        "(under-account-prefix: every object is under 111111111111/; " +
        "partial: objects outside 111111111111/ exist and are NOT backed up)",
    ],
  },
  {
    name: "an adopted bucket with an unknown key layout",
    yaml: afterLine(12, "    existingBucket:\n      name: legacy-assets\n      keys: everything"),
    problems: [
      '15:13: accounts[0].existingBucket.keys: not allowed: "everything" (one of under-account-prefix, partial)',
    ],
  },
  {
    name: "a misspelt setting to take over",
    yaml: afterLine(
      12,
      "    existingBucket:\n      name: legacy-assets\n      keys: partial\n" +
        "      manage:\n        bucketPolicies: true",
    ),
    problems: ["17:9: accounts[0].existingBucket.manage: unknown key `bucketPolicies`; did you mean `bucketPolicy`?"],
  },
  {
    name: "merging replication rules asked for",
    yaml: afterLine(
      12,
      "    existingBucket:\n      name: legacy-assets\n      keys: partial\n      existingReplication: merge",
    ),
    problems: ['16:28: accounts[0].existingBucket.existingReplication: not allowed: "merge" (one of refuse, replace)'],
  },
  {
    name: "a KMS alias ARN as an extra key of an adopted bucket",
    yaml: afterLine(
      12,
      "    existingBucket:\n      name: legacy-assets\n      keys: partial\n" +
        "      additionalKmsKeyArns:\n        - arn:aws:kms:eu-west-1:111111111111:alias/legacy",
    ),
    problems: [
      "17:11: accounts[0].existingBucket.additionalKmsKeyArns[0]: " +
        "must be a KMS key ARN: arn:aws:kms:<region>:<12-digit account>:key/<key id> " +
        "(an alias cannot be granted kms:Decrypt)",
    ],
  },
  {
    name: "an extra key in another region than the adopted bucket",
    yaml: afterLine(
      12,
      "    region: us-east-1\n    existingBucket:\n      name: legacy-assets\n      keys: partial\n" +
        "      additionalKmsKeyArns: [arn:aws:kms:eu-west-1:111111111111:key/1111aaaa]",
    ),
    problems: [
      "17:30: accounts[0].existingBucket.additionalKmsKeyArns[0]: " +
        "the key is in eu-west-1 but the bucket is in us-east-1; " +
        "S3 encrypts a bucket's objects only with keys of the bucket's region",
    ],
  },
  {
    name: "the same extra key twice",
    yaml: afterLine(
      12,
      "    existingBucket:\n      name: legacy-assets\n      keys: partial\n" +
        "      additionalKmsKeyArns:\n        - arn:aws:kms:eu-west-1:111111111111:key/k1\n" +
        "        - arn:aws:kms:eu-west-1:111111111111:key/k1",
    ),
    problems: ["18:11: accounts[0].existingBucket.additionalKmsKeyArns[1]: the same key as additionalKmsKeyArns[0]"],
  },
  {
    name: "an adopted bucket named like another account's bucket",
    yaml: afterLine(12, "    existingBucket:\n      name: acme-data-222222222222\n      keys: under-account-prefix"),
    problems: [
      "16:5: accounts[1]: bucket name acme-data-222222222222 is already used by accounts[0].existingBucket.name " +
        "(line 14); bucket names are global",
    ],
  },
  {
    name: "an Object Lock without its mode",
    yaml: afterLine(6, "  objectLock:\n    days: 30"),
    problems: ["8:5: central.objectLock: missing required key `mode`"],
  },
  {
    name: "a noncurrent transition without a storage class",
    yaml: afterLine(6, "  noncurrentVersions:\n    transitionAfterDays: 60"),
    problems: ["8:26: central.noncurrentVersions.transitionAfterDays needs transitionStorageClass too"],
  },
  {
    name: "a transition to STANDARD_IA before 30 days",
    yaml: afterLine(6, "  noncurrentVersions:\n    transitionAfterDays: 7\n    transitionStorageClass: STANDARD_IA"),
    problems: [
      "8:26: central.noncurrentVersions.transitionAfterDays: S3 refuses transitions to STANDARD_IA before 30 days",
    ],
  },
  {
    name: "a source region in another partition",
    yaml: afterLine(12, "    region: cn-north-1"),
    problems: [
      "13:13: accounts[0]: region cn-north-1 is in partition aws-cn but the central bucket (eu-west-1) " +
        "is in aws; S3 cannot replicate across partitions",
    ],
  },
  {
    name: "an invalid SNS topic ARN",
    yaml: afterLine(6, "  alarmTopicArn: arn:aws:sqs:eu-west-1:999999999999:alarms"),
    problems: [
      "7:18: central.alarmTopicArn: must be an SNS topic ARN: arn:aws:sns:<region>:<12-digit account>:<topic>",
    ],
  },
  {
    name: "a central alarm topic in another region than a monitored account",
    yaml: afterLine(
      12,
      "    region: us-east-1",
      afterLine(6, "  alarmTopicArn: arn:aws:sns:eu-west-1:999999999999:alarms"),
    ),
    problems: [
      "13:13: accounts[0]: the account is in us-east-1 but central.alarmTopicArn is in eu-west-1; " +
        "CloudWatch alarms only notify topics in their own region — " +
        "set accounts[0].monitoring.alarmTopicArn to a topic in us-east-1, " +
        "or remove central.alarmTopicArn so a central topic is created in each region",
    ],
  },
  {
    name: "an account's own alarm topic in another region than the account",
    yaml: afterLine(12, "    monitoring:\n      alarmTopicArn: arn:aws:sns:us-east-1:111111111111:alarms"),
    problems: [
      "14:22: accounts[0].monitoring.alarmTopicArn: the topic is in us-east-1 but the account is in eu-west-1; " +
        "CloudWatch alarms only notify topics in their own region",
    ],
  },
  {
    name: "a list where a mapping is expected",
    yaml: withLine(2, "central: []\ncentral_old:"),
    problems: [
      "2:10: central: expected a mapping (key: value lines), got a list",
      "3:1: the file: unknown key `central_old`",
    ],
  },
  {
    name: "an alias to an anchor that does not exist",
    yaml: afterLine(12, "    region: *home"),
    problems: ["13:13: YAML: Unresolved alias (the anchor must be set before the alias): home"],
  },
  {
    name: "a central role ARN in another account",
    yaml: afterLine(6, "  roleArn: arn:aws:iam::111111111111:role/Deployer"),
    problems: [
      "7:12: central.roleArn: the role is in account 111111111111 but the account is 999999999999; " +
        "the deployment must assume a role in the account it deploys to",
    ],
  },
  {
    name: "a metrics event threshold",
    yaml: afterLine(9, "  replication:\n    metrics:\n      eventThresholdMinutes: 15"),
    problems: ["12:7: defaults.replication.metrics: expected true or false, got a mapping"],
  },
  {
    name: "an account bucket with an unknown placeholder",
    yaml: afterLine(12, "    bucket: acme-{acount}"),
    problems: [
      "13:13: accounts[0].bucket: unknown placeholder {acount}; placeholders are {accountId}, {name}, {region}",
    ],
  },
];

describe("config/load parseInventory: anchors and aliases", () => {
  /** Seven levels of ten aliases each: 10^7 values to walk, from 300 bytes. */
  const bomb = Array.from({ length: 7 }, (_, level) =>
    level === 0
      ? "x0: &a0 [1,1,1,1,1,1,1,1,1,1]"
      : `x${level}: &a${level} [${`*a${level - 1},`.repeat(9)}*a${level - 1}]`,
  ).join("\n");

  for (const plainReader of [true, false]) {
    const way = plainReader ? "the plain reader" : "the yaml library";
    it(`refuses an alias bomb at its first alias, quickly (${way})`, () => {
      const result = parseInventory(afterLine(16, bomb), "inv.yaml", { plainReader });
      expect(result.ok).to.equal(false);
      if (result.ok) return;
      expect(result.problems.map((p) => `${p.line}:${p.column}`)).to.deep.equal(["18:10"]);
      expect(result.problems[0].message).to.match(
        /^YAML: the aliases expand to more than [\d,]+ values \(nested aliases, an alias bomb\?\)/,
      );
    });

    it(`accepts an anchor merged into more than 100 accounts, which the library's own guard refuses (${way})`, () => {
      const accounts = Array.from(
        { length: 150 },
        (_, i) => `  - id: "${String(100000000000 + i)}"\n    name: app-${i}\n    <<: *common`,
      );
      const text = VALID_YAML.replace(/\naccounts:\n[\s\S]*$/, `\naccounts:\n${accounts.join("\n")}\n`).replace(
        "\ndefaults:\n",
        "\nx-common: &common\n  tags:\n    team: platform\ndefaults:\n",
      );
      const result = parseInventory(text, "inv.yaml", { plainReader });
      expect(result.ok ? [] : result.problems.map((p) => p.message)).to.deep.equal([
        "the file: unknown key `x-common`",
      ]);
    });

    it(`refuses an anchor that holds an alias of itself (${way})`, () => {
      const result = parseInventory(afterLine(16, "x: &self [1, *self]"), "inv.yaml", { plainReader });
      expect(result.ok ? [] : result.problems.map((p) => p.message)).to.have.length(1);
    });
  }

  it("locates a problem behind an alias at the alias, and one in a merged key where the anchor writes it", () => {
    // Line 13 anchors the tags of payments, line 15 gives analytics an alias of them; line 17 merges a
    // mapping whose `bucket` is refused.
    const text = [
      ...VALID_YAML.split("\n").slice(0, 11),
      "    name: payments",
      "    tags: &tags { team: 7 }",
      '  - id: "222222222222"',
      "    tags: *tags",
      "    name: analytics",
      '  - <<: { bucket: "Bad_Name" }',
      '    id: "333333333333"',
      "    name: legacy-web",
      "",
    ].join("\n");
    const located = (plainReader: boolean) => {
      const result = parseInventory(text, "inv.yaml", { plainReader });
      return result.ok ? [] : result.problems.map((p) => `${p.line}:${p.column}: ${p.message}`);
    };
    expect(parsePlainYaml(text)).to.have.property("value");
    const problems = located(true);
    expect(problems).to.deep.equal(located(false));
    expect(problems.map((problem) => problem.split(": ")[0])).to.deep.equal(["13:25", "15:11", "17:19"]);
  });
});

describe("config/load parseInventory: broken inventories", () => {
  it("the base of the broken cases is valid", () => {
    expect(parsed(VALID_YAML).sources).to.have.length(3);
  });

  for (const { name, yaml, problems } of BROKEN) {
    it(name, () => {
      const result = parseInventory(yaml, "inv.yaml");
      expect(result.ok, "should be refused").to.equal(false);
      if (result.ok) return;
      expect(result.problems.map((p) => `${p.line}:${p.column}: ${p.message}`)).to.deep.equal(problems);
      expect(result.problems.every((p) => p.file === "inv.yaml")).to.equal(true);
    });
  }

  it("reports every problem of a file in one run, in file order", () => {
    const text = withLine(
      1,
      "organization: o-bad",
      withLine(8, "  region: eu-west-9", withLine(12, "    nmae: payments")),
    );
    const result = parseInventory(text, "inv.yaml");
    expect(result.ok).to.equal(false);
    if (result.ok) return;
    expect(result.problems.map((p) => `${p.line}:${p.column}`)).to.deep.equal(["1:15", "8:11", "11:5", "12:5"]);
    expect(result.problems[2].message).to.equal("accounts[0]: missing required key `name`");
    expect(result.problems[3].message).to.equal("accounts[0]: unknown key `nmae`; did you mean `name`?");
  });

  it("still finds duplicate ids when the accounts have other problems", () => {
    const text = afterLine(
      15,
      "    colour: blue",
      afterLine(12, "    colour: red", withLine(13, '  - id: "111111111111"')),
    );
    const result = parseInventory(text, "inv.yaml");
    expect(result.ok).to.equal(false);
    if (result.ok) return;
    expect(result.problems.map((p) => `${p.line}:${p.column}: ${p.message}`)).to.deep.equal([
      "13:5: accounts[0]: unknown key `colour`",
      "14:9: accounts[1].id: account 111111111111 is already listed as accounts[0] (line 11)",
      "16:5: accounts[1]: unknown key `colour`",
    ]);
  });
});

describe("config/load parseInventory: normalization", () => {
  it("applies the defaults and builds role ARNs and bucket names", () => {
    const inventory = parsed(VALID_YAML);
    expect(inventory.organizationId).to.equal("o-a1b2c3d4e5");
    expect(inventory.sourcePath).to.equal(path.resolve("inv.yaml"));
    expect(inventory.central).to.deep.equal({
      accountId: "999999999999",
      name: "backup-central",
      region: "eu-west-1",
      roleArn: "arn:aws:iam::999999999999:role/OrganizationAccountAccessRole",
      bucketName: "acme-org-backup-999999999999",
      kmsAlias: "alias/org-s3-backup-central",
      tags: {},
    });
    expect(inventory.sources[0]).to.deep.equal({
      accountId: "111111111111",
      name: "payments",
      region: "eu-west-1",
      roleArn: "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole",
      bucket: { name: "acme-data-111111111111", existing: false },
      kmsAlias: "alias/org-s3-backup-source",
      replication: {
        storageClass: "STANDARD_IA",
        replicationTimeControl: true,
        metrics: true,
        deleteMarkerReplication: false,
      },
      monitoring: { enabled: true },
      backfill: { enabled: false },
      enabled: true,
      tags: {},
    });
  });

  it("lets an account override single keys and keeps the rest of the defaults", () => {
    const text = afterLine(
      12,
      [
        "    region: us-west-2",
        "    roleName: BackupDeployer",
        "    bucket: payments-{region}-{name}",
        "    replication:",
        "      storageClass: GLACIER_IR",
        "    monitoring:",
        "      alarmTopicArn: arn:aws:sns:us-west-2:111111111111:payments-alarms",
        "    backfill: { enabled: true }",
        "    enabled: false",
        "    tags: { team: payments, env: prod }",
      ].join("\n"),
      afterLine(9, "  tags: { env: dev, managed-by: org-s3-backup }"),
    );
    const [payments, analytics] = parsed(text).sources;
    expect(payments.region).to.equal("us-west-2");
    expect(payments.roleArn).to.equal("arn:aws:iam::111111111111:role/BackupDeployer");
    expect(payments.bucket).to.deep.equal({ name: "payments-us-west-2-payments", existing: false });
    expect(payments.replication).to.deep.equal({
      storageClass: "GLACIER_IR",
      replicationTimeControl: true,
      metrics: true,
      deleteMarkerReplication: false,
    });
    expect(payments.monitoring).to.deep.equal({
      enabled: true,
      alarmTopicArn: "arn:aws:sns:us-west-2:111111111111:payments-alarms",
    });
    expect(payments.backfill).to.deep.equal({ enabled: true });
    expect(payments.enabled).to.equal(false);
    expect(payments.tags).to.deep.equal({ env: "prod", "managed-by": "org-s3-backup", team: "payments" });
    expect(analytics.tags).to.deep.equal({ env: "dev", "managed-by": "org-s3-backup" });
  });

  it("adopts an existing bucket and keeps an overriding role ARN as written", () => {
    const text = afterLine(
      12,
      "    existingBucket:\n      name: legacy-assets\n      keys: under-account-prefix\n" +
        "    roleArn: arn:aws:iam::111111111111:role/platform/Deployer",
    );
    const [payments] = parsed(text).sources;
    expect(payments.bucket).to.deep.equal({ name: "legacy-assets", existing: true });
    expect(payments.roleArn).to.equal("arn:aws:iam::111111111111:role/platform/Deployer");
  });

  it("takes over only versioning and replication of an adopted bucket unless asked, and refuses existing rules", () => {
    const text = afterLine(12, "    existingBucket: { name: legacy-assets, keys: partial }");
    expect(parsed(text).sources[0].existingBucket).to.deep.equal({
      name: "legacy-assets",
      keys: "partial",
      manage: { encryption: false, publicAccessBlock: false, bucketPolicy: false },
      existingReplication: "refuse",
      additionalKmsKeyArns: [],
    });
  });

  it("keeps what an adopted bucket's entry opts in to, and gives a created bucket no existingBucket", () => {
    const text = afterLine(
      12,
      [
        "    existingBucket:",
        "      name: legacy-assets",
        "      keys: under-account-prefix",
        "      manage:",
        "        publicAccessBlock: true",
        "      existingReplication: replace",
        "      additionalKmsKeyArns:",
        "        - arn:aws:kms:eu-west-1:555555555555:key/mrk-1234abcd",
      ].join("\n"),
    );
    const [payments, analytics] = parsed(text).sources;
    expect(payments.existingBucket).to.deep.equal({
      name: "legacy-assets",
      keys: "under-account-prefix",
      manage: { encryption: false, publicAccessBlock: true, bucketPolicy: false },
      existingReplication: "replace",
      additionalKmsKeyArns: ["arn:aws:kms:eu-west-1:555555555555:key/mrk-1234abcd"],
    });
    expect(analytics).to.not.have.property("existingBucket");
  });

  it("builds role ARNs in the partition of the region", () => {
    const gov = parsed(withLine(5, "  region: us-gov-west-1", withLine(8, "  region: us-gov-east-1")));
    expect(gov.central.roleArn).to.equal("arn:aws-us-gov:iam::999999999999:role/OrganizationAccountAccessRole");
    expect(gov.sources[0].roleArn).to.equal("arn:aws-us-gov:iam::111111111111:role/OrganizationAccountAccessRole");
    const china = parsed(withLine(5, "  region: cn-north-1", withLine(8, "  region: cn-northwest-1")));
    expect(china.sources[2].roleArn).to.equal("arn:aws-cn:iam::333333333333:role/OrganizationAccountAccessRole");
  });

  it("turns metrics off only together with Replication Time Control, and monitoring", () => {
    const text = afterLine(
      9,
      "  replication:\n    replicationTimeControl: false\n    metrics: false\n  monitoring:\n    enabled: false",
    );
    expect(parsed(text).sources[0].replication).to.include({ replicationTimeControl: false, metrics: false });
    expect(parsed(text).sources[0].monitoring).to.deep.equal({ enabled: false });
  });

  it("takes the central region from the defaults when central has none", () => {
    expect(parsed(withLine(5, "  # no region")).central.region).to.equal("eu-west-1");
  });
});

describe("config/load loadInventory", () => {
  it("loads the bundled example: a central and four source accounts, one of them disabled", async () => {
    const result = await loadInventory(path.join(REPO, "config/accounts.yaml"));
    if (!result.ok) throw new Error(result.problems.map(formatProblem).join("\n"));
    const { inventory } = result;
    expect(inventory.central.accountId).to.equal("999999999999");
    expect(inventory.sources.map((source) => [source.accountId, source.enabled])).to.deep.equal([
      ["111111111111", true],
      ["222222222222", true],
      ["333333333333", true],
      ["444444444444", false],
    ]);
    expect(inventory.sources[2].bucket.existing).to.equal(true);
    // The example states the layout of the bucket it adopts, and takes over nothing it does not need.
    expect(inventory.sources[2].existingBucket).to.deep.include({ name: "legacy-web-assets-prod", keys: "partial" });
    expect(inventory.sources[2].existingBucket?.manage).to.deep.equal({
      encryption: false,
      publicAccessBlock: false,
      bucketPolicy: false,
    });
  });

  it("reports a missing file as a problem of the whole file, not a throw", async () => {
    const result = await loadInventory("/nonexistent/accounts.yaml");
    expect(result).to.deep.equal({
      ok: false,
      problems: [
        {
          file: "/nonexistent/accounts.yaml",
          line: 0,
          column: 0,
          message: "cannot read the inventory: no such file (pass --inventory PATH, or run from the repository root)",
        },
      ],
    });
  });

  it("reports a directory given as the inventory", async () => {
    const result = await loadInventory(REPO);
    expect(result.ok).to.equal(false);
    if (!result.ok)
      expect(formatProblem(result.problems[0])).to.equal(
        `${REPO}: cannot read the inventory: it is a directory, not a YAML file`,
      );
  });
});

describe("config/load formatProblem", () => {
  it("prints FILE:LINE:COL: message, or FILE: message for the whole file", () => {
    expect(formatProblem({ file: "a.yaml", line: 3, column: 7, message: "m" })).to.equal("a.yaml:3:7: m");
    expect(formatProblem({ file: "a.yaml", line: 0, column: 0, message: "m" })).to.equal("a.yaml: m");
  });
});
