import { BUCKET_PLACEHOLDERS, bucketNameProblem, expandBucketTemplate, unknownPlaceholders } from "./bucket-name";
import { describePath, type PathSegment, quoted, shown, type Target } from "./locate";
import { partitionOf } from "./regions";
import type { AccountEntry, IgnoreEntry, InventoryFile } from "./schema";
import { closest } from "./suggest";
import type { AdoptedBucket, CentralAccount, Inventory, ReplicationOptions, SourceAccount } from "./types";

/** A rule broken somewhere in the file; load.ts turns the path into a line and column. */
export interface Issue {
  readonly path: readonly PathSegment[];
  readonly target?: Target;
  readonly message: string;
}

/**
 * The parts of the file that passed the shape checks. When the file as a whole did not, each section is
 * checked on its own so that the rules below still run on the parts that are well-formed, and one run
 * reports every problem.
 */
export interface Sections {
  readonly organization?: string;
  readonly central?: InventoryFile["central"];
  readonly defaults?: InventoryFile["defaults"];
  /** One entry per list item; undefined where the item has shape problems. */
  readonly accounts: readonly (AccountEntry | undefined)[];
  /** Each item's id when it is a well-formed id, even if the rest of the item is not (for duplicates). */
  readonly accountIds: readonly (string | undefined)[];
  /** `ignore:` entries (undefined where an entry has shape problems); absent when the file has none. */
  readonly ignore?: readonly (IgnoreEntry | undefined)[];
  /** Whether every section is well-formed (only then can an Inventory be built). */
  readonly complete: boolean;
}

const ROLE_ARN = /^arn:([^:]+):iam::(\d{12}):role\//;
/** Values used to check the fixed part of the bucket template once, rather than once per account. */
const SAMPLE = { accountId: "111111111111", name: "sample", region: "eu-west-1" } as const;
/** S3 refuses transitions of noncurrent versions to the IA classes before 30 days. */
const IA_MINIMUM_DAYS = 30;

/** Rules across values, then the normalized Inventory when nothing is wrong. */
export function checkSections(
  sections: Sections,
  sourcePath: string,
  lineOf: (path: readonly PathSegment[]) => number,
): { issues: Issue[]; inventory?: Inventory } {
  const issues: Issue[] = [];
  const { central, defaults, accounts } = sections;
  const centralRegion = central ? (central.region ?? defaults?.region) : undefined;

  if (central) {
    checkRole(issues, ["central"], central, central.id, centralRegion);
    checkObjectLock(issues, central.objectLock);
    checkNoncurrentVersions(issues, central.noncurrentVersions);
  }

  const templateUsable = defaults ? checkTemplate(issues, defaults.bucket) : false;
  if (defaults?.replication.replicationTimeControl && !defaults.replication.metrics) {
    issues.push({
      path: ["defaults", "replication", "metrics"],
      message: rtcWithoutMetrics("defaults.replication", "metrics"),
    });
  } else if (defaults?.monitoring.enabled && !defaults.replication.metrics) {
    issues.push({
      path: ["defaults", "replication", "metrics"],
      message: monitoringWithoutMetrics("defaults", "replication.metrics"),
    });
  }

  const firstIdAt = new Map<string, number>();
  /** Items whose id repeats an earlier one: their bucket name would only repeat the same problem. */
  const repeated = new Set<number>();
  const firstBucketAt = new Map<string, readonly PathSegment[]>();
  if (central) firstBucketAt.set(central.bucket, ["central", "bucket"]);

  sections.accountIds.forEach((id, index) => {
    if (id === undefined) return;
    const where = `accounts[${index}].id`;
    if (central && id === central.id) {
      issues.push({
        path: ["accounts", index, "id"],
        message: `${where}: ${id} is the central account; it cannot also be a source account`,
      });
    }
    const seenAt = firstIdAt.get(id);
    if (seenAt === undefined) firstIdAt.set(id, index);
    else {
      repeated.add(index);
      issues.push({
        path: ["accounts", index, "id"],
        message:
          `${where}: account ${id} is already listed as accounts[${seenAt}] ` +
          `(line ${lineOf(["accounts", seenAt, "id"])})`,
      });
    }
  });

  accounts.forEach((account, index) => {
    if (!account) return;
    const at = (...rest: PathSegment[]): PathSegment[] => ["accounts", index, ...rest];
    const where = `accounts[${index}]`;

    const region = account.region ?? defaults?.region;
    checkRole(issues, at(), account, account.id, region);
    if (region && centralRegion && partitionOf(region) !== partitionOf(centralRegion)) {
      issues.push({
        path: account.region ? at("region") : at(),
        message:
          `${where}: region ${region} is in partition ${partitionOf(region)} ` +
          `but the central bucket (${centralRegion}) ` +
          `is in ${partitionOf(centralRegion)}; S3 cannot replicate across partitions`,
      });
    }

    const bucket = resolveBucket(issues, account, index, defaults?.bucket, templateUsable, region);
    if (bucket && !repeated.has(index)) {
      const previous = firstBucketAt.get(bucket.name);
      if (previous === undefined) firstBucketAt.set(bucket.name, bucket.path);
      else {
        issues.push({
          path: bucket.path,
          message:
            `${where}: bucket name ${bucket.name} is already used by ${describePath(previous)} ` +
            `(line ${lineOf(previous)}); bucket names are global`,
        });
      }
    }

    checkAlarmTopicRegion(issues, account, index, region, defaults?.monitoring.enabled, central?.alarmTopicArn);

    const replication = account.replication;
    if (
      defaults &&
      replication &&
      (replication.metrics !== undefined || replication.replicationTimeControl !== undefined)
    ) {
      const merged = { ...defaults.replication, ...replication };
      if (merged.replicationTimeControl && !merged.metrics) {
        const key = replication.metrics !== undefined ? "metrics" : "replicationTimeControl";
        issues.push({ path: at("replication", key), message: rtcWithoutMetrics(`${where}.replication`, key) });
      }
    }
    const metricsSet = replication?.metrics !== undefined;
    const monitoringSet = account.monitoring?.enabled !== undefined;
    if (defaults && (account.enabled ?? true) && (metricsSet || monitoringSet)) {
      const merged = { ...defaults.replication, ...replication };
      const monitored = account.monitoring?.enabled ?? defaults.monitoring.enabled;
      if (monitored && !merged.metrics && !merged.replicationTimeControl) {
        const key = metricsSet ? "replication.metrics" : "monitoring.enabled";
        issues.push({
          path: metricsSet ? at("replication", "metrics") : at("monitoring", "enabled"),
          message: monitoringWithoutMetrics(where, key),
        });
      }
    }
  });

  checkIgnored(issues, sections, lineOf);

  if (issues.length > 0 || !sections.complete || !central || !defaults || !sections.organization) return { issues };
  const inventory = normalize(sections.organization, central, defaults, accounts as AccountEntry[], sourcePath);
  const ignored = (sections.ignore ?? []).flatMap((entry) =>
    entry ? [{ accountId: entry.id, ...(entry.reason !== undefined && { reason: entry.reason }) }] : [],
  );
  return { issues, inventory: ignored.length > 0 ? { ...inventory, ignored } : inventory };
}

/**
 * `ignore:` names organization accounts that get no stack on purpose. An id there is not the central
 * account (never proposed anyway), not listed twice, and not also a source account: an account is either
 * deployed or ignored.
 */
function checkIgnored(issues: Issue[], sections: Sections, lineOf: (path: readonly PathSegment[]) => number): void {
  const firstAt = new Map<string, number>();
  const accountAt = new Map<string, number>();
  sections.accountIds.forEach((id, index) => {
    if (id !== undefined && !accountAt.has(id)) accountAt.set(id, index);
  });
  (sections.ignore ?? []).forEach((entry, index) => {
    if (!entry) return;
    const path: PathSegment[] = ["ignore", index, "id"];
    const where = `ignore[${index}].id`;
    const { id } = entry;
    if (sections.central && id === sections.central.id) {
      issues.push({
        path,
        message: `${where}: ${id} is the central account, which discover never proposes; remove it`,
      });
      return;
    }
    const seenAt = firstAt.get(id);
    if (seenAt !== undefined) {
      issues.push({
        path,
        message:
          `${where}: account ${id} is already listed as ignore[${seenAt}] ` +
          `(line ${lineOf(["ignore", seenAt, "id"])})`,
      });
      return;
    }
    firstAt.set(id, index);
    const source = accountAt.get(id);
    if (source !== undefined) {
      issues.push({
        path,
        message:
          `${where}: account ${id} is also a source account, accounts[${source}] ` +
          `(line ${lineOf(["accounts", source, "id"])}); ` +
          `an account is either backed up or ignored — ` +
          `remove one of the entries (enabled: false keeps an entry without a stack)`,
      });
    }
  });
}

/** Object Lock's default retention is a number of days or of years: S3 takes exactly one of them. */
function checkObjectLock(issues: Issue[], lock: InventoryFile["central"]["objectLock"]): void {
  if (!lock) return;
  const where = "central.objectLock";
  if (lock.days === undefined && lock.years === undefined)
    issues.push({
      path: ["central", "objectLock"],
      message: `${where}: missing required key \`days\` (or \`years\`): the default retention period`,
    });
  else if (lock.days !== undefined && lock.years !== undefined)
    issues.push({
      path: ["central", "objectLock", "years"],
      target: "key",
      message: `${where}: give days or years, not both (S3 takes one retention period)`,
    });
}

/**
 * CloudWatch alarms notify only topics in their own region, and PutMetricAlarm would refuse the stack at
 * deploy time: an account outside the region of the topic it would notify must name its own.
 */
function checkAlarmTopicRegion(
  issues: Issue[],
  account: AccountEntry,
  index: number,
  region: string | undefined,
  monitoredByDefault: boolean | undefined,
  centralTopicArn: string | undefined,
): void {
  const monitored = (account.enabled ?? true) && (account.monitoring?.enabled ?? monitoredByDefault ?? true);
  const own = account.monitoring?.alarmTopicArn;
  const topicArn = own ?? centralTopicArn;
  if (!monitored || region === undefined || topicArn === undefined) return;
  const topicRegion = topicArn.split(":")[3];
  if (topicRegion === region) return;
  const where = `accounts[${index}]`;
  issues.push(
    own !== undefined
      ? {
          path: ["accounts", index, "monitoring", "alarmTopicArn"],
          message:
            `${where}.monitoring.alarmTopicArn: the topic is in ${topicRegion} but the account is in ${region}; ` +
            `CloudWatch alarms only notify topics in their own region`,
        }
      : {
          path: account.region !== undefined ? ["accounts", index, "region"] : ["accounts", index],
          message:
            `${where}: the account is in ${region} but central.alarmTopicArn is in ${topicRegion}; ` +
            `CloudWatch alarms only notify topics in their own region — ` +
            `set ${where}.monitoring.alarmTopicArn to a topic in ${region}, ` +
            `or remove central.alarmTopicArn so a central topic is created in each region`,
        },
  );
}

/** The alarms watch replication metrics: monitoring without them would silently create no alarm. */
function monitoringWithoutMetrics(where: string, key: "replication.metrics" | "monitoring.enabled"): string {
  return (
    `${where}.${key}: monitoring is on but replication metrics are off, so there is nothing to alarm on — ` +
    "set replication.metrics: true, or monitoring.enabled: false to go without alarms"
  );
}

function rtcWithoutMetrics(where: string, key: "metrics" | "replicationTimeControl"): string {
  return (
    `${where}.${key}: replicationTimeControl is true but metrics is false — Replication Time Control ` +
    "always publishes replication metrics; remove `metrics: false` or set `replicationTimeControl: false`"
  );
}

function checkRole(
  issues: Issue[],
  at: readonly PathSegment[],
  entry: { roleName?: string; roleArn?: string },
  accountId: string,
  region: string | undefined,
): void {
  const where = describePath(at);
  if (entry.roleArn === undefined) return;
  if (entry.roleName !== undefined) {
    issues.push({
      path: [...at, "roleArn"],
      message: `${where}: give roleName or roleArn, not both (roleArn already names the role)`,
    });
  }
  const match = ROLE_ARN.exec(entry.roleArn);
  if (!match) return;
  const [, partition, arnAccount] = match;
  if (arnAccount !== accountId) {
    issues.push({
      path: [...at, "roleArn"],
      message:
        `${where}.roleArn: the role is in account ${arnAccount} but the account is ${accountId}; ` +
        `the deployment must assume a role in the account it deploys to`,
    });
  }
  if (region && partition !== partitionOf(region)) {
    issues.push({
      path: [...at, "roleArn"],
      message:
        `${where}.roleArn: partition ${partition} does not match region ${region} ` +
        `(partition ${partitionOf(region)})`,
    });
  }
}

function checkNoncurrentVersions(issues: Issue[], lifecycle: InventoryFile["central"]["noncurrentVersions"]): void {
  if (!lifecycle) return;
  const at = (key: string): PathSegment[] => ["central", "noncurrentVersions", key];
  const where = "central.noncurrentVersions";
  const { transitionAfterDays, transitionStorageClass, expireAfterDays } = lifecycle;
  if (transitionAfterDays === undefined && expireAfterDays === undefined) {
    issues.push({
      path: ["central", "noncurrentVersions"],
      message:
        `${where}: give transitionAfterDays (with transitionStorageClass) ` +
        `or expireAfterDays, or remove the section`,
    });
  }
  if ((transitionAfterDays === undefined) !== (transitionStorageClass === undefined)) {
    const present = transitionAfterDays === undefined ? "transitionStorageClass" : "transitionAfterDays";
    const missing = transitionAfterDays === undefined ? "transitionAfterDays" : "transitionStorageClass";
    issues.push({ path: at(present), message: `${where}.${present} needs ${missing} too` });
  }
  if (transitionAfterDays !== undefined && expireAfterDays !== undefined && expireAfterDays <= transitionAfterDays) {
    issues.push({
      path: at("expireAfterDays"),
      message:
        `${where}.expireAfterDays (${expireAfterDays}) ` +
        `must be later than transitionAfterDays (${transitionAfterDays})`,
    });
  }
  if (
    transitionAfterDays !== undefined &&
    (transitionStorageClass === "STANDARD_IA" || transitionStorageClass === "ONEZONE_IA") &&
    transitionAfterDays < IA_MINIMUM_DAYS
  ) {
    issues.push({
      path: at("transitionAfterDays"),
      message:
        `${where}.transitionAfterDays: S3 refuses transitions to ${transitionStorageClass} ` +
        `before ${IA_MINIMUM_DAYS} days`,
    });
  }
}

/** Checks defaults.bucket once; false when per-account names made from it would only repeat its problem. */
function checkTemplate(issues: Issue[], template: string): boolean {
  const path = ["defaults", "bucket"];
  const unknown = unknownPlaceholders(template);
  for (const name of unknown) {
    const suggestion = closest(name, BUCKET_PLACEHOLDERS);
    const hint = suggestion === undefined ? "" : ` (did you mean {${suggestion}}?)`;
    issues.push({
      path,
      message:
        `defaults.bucket: unknown placeholder {${shown(name)}}${hint}; ` +
        `placeholders are {accountId}, {name}, {region}`,
    });
  }
  if (unknown.length > 0) return false;
  if (!template.includes("{accountId}") && !template.includes("{name}")) {
    issues.push({
      path,
      message:
        "defaults.bucket: the template needs {accountId} (or {name}), or every account gets the same bucket name",
    });
    return false;
  }
  const sample = expandBucketTemplate(template, SAMPLE);
  const problem = bucketNameProblem(sample);
  if (problem) {
    issues.push({
      path,
      message: `defaults.bucket: names made from this template are invalid: ${shown(sample)} ${problem}`,
    });
    return false;
  }
  return true;
}

function resolveBucket(
  issues: Issue[],
  account: AccountEntry,
  index: number,
  template: string | undefined,
  templateUsable: boolean,
  region: string | undefined,
): { name: string; path: PathSegment[] } | undefined {
  const where = `accounts[${index}]`;
  if (account.existingBucket !== undefined) {
    if (account.bucket !== undefined) {
      issues.push({
        path: ["accounts", index, "existingBucket"],
        target: "key",
        message: `${where}: give bucket (create one) or existingBucket (adopt one), not both`,
      });
    }
    checkAdoptedKeys(issues, account, index, region);
    return { name: account.existingBucket.name, path: ["accounts", index, "existingBucket", "name"] };
  }
  // A template already reported as unusable would only repeat its problem once per account.
  const source = account.bucket ?? (templateUsable ? template : undefined);
  if (source === undefined || region === undefined) return undefined;
  const own = account.bucket !== undefined;
  const unknown = own ? unknownPlaceholders(source) : [];
  if (unknown.length > 0) {
    issues.push({
      path: ["accounts", index, "bucket"],
      message:
        `${where}.bucket: unknown placeholder {${shown(unknown[0])}}; ` +
        `placeholders are {accountId}, {name}, {region}`,
    });
    return undefined;
  }
  const name = expandBucketTemplate(source, { accountId: account.id, name: account.name, region });
  const path: PathSegment[] = own ? ["accounts", index, "bucket"] : ["accounts", index];
  const problem = bucketNameProblem(name);
  if (problem) {
    const origin = own ? "" : ` (from defaults.bucket ${shown(template ?? "")})`;
    issues.push({ path, message: `${where}: bucket name ${quoted(name)}${origin} ${problem}` });
    return undefined;
  }
  return { name, path };
}

/**
 * S3 encrypts a bucket's objects only with keys of the bucket's own region, so an extra key elsewhere is a
 * typo; a repeated key is harmless but says the list was not read.
 */
function checkAdoptedKeys(issues: Issue[], account: AccountEntry, index: number, region: string | undefined): void {
  const keys = account.existingBucket?.additionalKmsKeyArns ?? [];
  const seen = new Map<string, number>();
  keys.forEach((arn, position) => {
    const at: PathSegment[] = ["accounts", index, "existingBucket", "additionalKmsKeyArns", position];
    const where = describePath(at);
    const previous = seen.get(arn);
    if (previous !== undefined) {
      issues.push({ path: at, message: `${where}: the same key as additionalKmsKeyArns[${previous}]` });
      return;
    }
    seen.set(arn, position);
    const [, partition, , keyRegion] = arn.split(":");
    if (region === undefined) return;
    if (keyRegion !== region) {
      issues.push({
        path: at,
        message:
          `${where}: the key is in ${keyRegion} but the bucket is in ${region}; ` +
          `S3 encrypts a bucket's objects only with keys of the bucket's region`,
      });
    } else if (partition !== partitionOf(region)) {
      issues.push({
        path: at,
        message: `${where}: partition ${partition} does not match region ${region} (partition ${partitionOf(region)})`,
      });
    }
  });
}

/** `accounts[i].existingBucket` written as a bare bucket name (the form before the key layout was required). */
export function bareExistingBucketMessage(where: string, bucket: string, accountId: string | undefined): string {
  const prefix = `${accountId ?? "<accountId>"}/`;
  return (
    `${where}: a bare bucket name is no longer accepted — adopting a bucket must state where its data lives; write ` +
    `existingBucket: { name: ${bucket}, keys: under-account-prefix } if every object is under ${prefix}, or ` +
    `existingBucket: { name: ${bucket}, keys: partial } if objects outside ${prefix} exist (they are NOT backed up). ` +
    "Only versioning and the replication rule are then managed; see docs/inventory.md, Adopting an existing bucket"
  );
}

function roleArnFor(
  accountId: string,
  region: string,
  entry: { roleName?: string; roleArn?: string },
  defaultRoleName: string,
): string {
  return entry.roleArn ?? `arn:${partitionOf(region)}:iam::${accountId}:role/${entry.roleName ?? defaultRoleName}`;
}

function normalize(
  organizationId: string,
  central: InventoryFile["central"],
  defaults: InventoryFile["defaults"],
  accounts: readonly AccountEntry[],
  sourcePath: string,
): Inventory {
  const centralRegion = central.region ?? defaults.region;
  const centralAccount: CentralAccount = {
    accountId: central.id,
    name: central.name,
    region: centralRegion,
    roleArn: roleArnFor(central.id, centralRegion, central, defaults.roleName),
    bucketName: central.bucket,
    kmsAlias: central.kmsAlias,
    ...(central.objectLock && { objectLock: central.objectLock }),
    ...(central.noncurrentVersions && { noncurrentVersions: central.noncurrentVersions }),
    ...(central.alarmTopicArn && { alarmTopicArn: central.alarmTopicArn }),
    tags: { ...defaults.tags, ...central.tags },
  };
  const sources = accounts.map<SourceAccount>((account) => {
    const region = account.region ?? defaults.region;
    const replication: ReplicationOptions = { ...defaults.replication, ...account.replication };
    const alarmTopicArn = account.monitoring?.alarmTopicArn;
    return {
      accountId: account.id,
      name: account.name,
      region,
      roleArn: roleArnFor(account.id, region, account, defaults.roleName),
      bucket:
        account.existingBucket !== undefined
          ? { name: account.existingBucket.name, existing: true }
          : {
              name: expandBucketTemplate(account.bucket ?? defaults.bucket, {
                accountId: account.id,
                name: account.name,
                region,
              }),
              existing: false,
            },
      ...(account.existingBucket && { existingBucket: adoptedBucket(account.existingBucket) }),
      kmsAlias: account.kmsAlias ?? defaults.kmsAlias,
      replication,
      monitoring: {
        enabled: account.monitoring?.enabled ?? defaults.monitoring.enabled,
        ...(alarmTopicArn && { alarmTopicArn }),
      },
      backfill: { enabled: account.backfill?.enabled ?? defaults.backfill.enabled },
      enabled: account.enabled ?? true,
      tags: { ...defaults.tags, ...account.tags },
    };
  });
  return { sourcePath, organizationId, central: centralAccount, sources };
}

function adoptedBucket(entry: NonNullable<AccountEntry["existingBucket"]>): AdoptedBucket {
  return {
    name: entry.name,
    keys: entry.keys,
    manage: { ...entry.manage },
    existingReplication: entry.existingReplication,
    additionalKmsKeyArns: [...entry.additionalKmsKeyArns],
  };
}
