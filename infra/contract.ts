/**
 * What the driver and the Pulumi program agree on: configuration keys the driver sets on a stack and the
 * outputs the central stack exports, and the stack names. Both sides import these names; nobody types them by hand.
 */

/** The central account's stack. Stack names are derived, never typed by hand. */
export const CENTRAL_STACK = "central";

export function sourceStackName(accountId: string): string {
  return `account-${accountId}`;
}

/**
 * Id of a source account's one replication rule (also the `RuleId` dimension of its metrics). The `up`
 * preflight reads adopted buckets' rules and knows this one as ours.
 */
export function replicationRuleId(accountId: string): string {
  return `org-s3-backup-${accountId}`;
}

/** Inverse of the naming rule; undefined for names that are not ours. */
export function accountIdOfStack(stackName: string): string | undefined {
  const match = /^account-(\d{12})$/.exec(stackName);
  return match?.[1];
}

/** Every stack an inventory defines, central first, then each enabled source account in file order. */
export function stackNames(inventory: {
  readonly sources: readonly { readonly accountId: string; readonly enabled: boolean }[];
}): string[] {
  return [
    CENTRAL_STACK,
    ...inventory.sources.filter((source) => source.enabled).map((source) => sourceStackName(source.accountId)),
  ];
}

/** Pulumi config namespace (the project name in Pulumi.yaml). */
export const CONFIG_NAMESPACE = "org-s3-backup";

export const ConfigKey = {
  /** Path of the inventory YAML, absolute or relative to the project root. Default: config/accounts.yaml. */
  inventory: "inventory",
  /**
   * Optional overrides of what a source stack reads from the central stack (StackReference by default);
   * the driver never sets them.
   */
  centralBucketArn: "centralBucketArn",
  centralKmsKeyArn: "centralKmsKeyArn",
} as const;

/** Output names of the central stack. */
export const CentralOutput = {
  bucketName: "bucketName",
  bucketArn: "bucketArn",
  kmsKeyArn: "kmsKeyArn",
  /** The topic the alarms of sources in the central region notify (the inventory's, or the one created). */
  alarmTopicArn: "alarmTopicArn",
  /** Region -> topic ARN of every alarm topic the central stack created (one per region with sources). */
  alarmTopicArns: "alarmTopicArns",
} as const;

/** Output names of a source stack. */
export const SourceOutput = {
  bucketName: "bucketName",
  bucketArn: "bucketArn",
  kmsKeyArn: "kmsKeyArn",
  replicationRoleArn: "replicationRoleArn",
  /** ARNs of the replication alarms (absent with monitoring off). */
  alarmArns: "alarmArns",
  /** Role of S3 Batch Replication jobs (absent with backfill off). */
  backfillRoleArn: "backfillRoleArn",
} as const;

export const DEFAULT_INVENTORY_PATH = "config/accounts.yaml";

/**
 * What the driver tells the program through the environment of the whole workspace (the same for every
 * stack of a run), so that it writes no per-stack config file: `Pulumi.<stack>.yaml` stays unwritten.
 */
export const ProgramEnv = {
  /** Path of the inventory (absolute, or relative to the project root). Stack config `inventory` wins. */
  inventory: "ORG_S3_BACKUP_INVENTORY",
  /** `not-deployed` while the central stack does not exist: a source preview then needs no StackReference. */
  central: "ORG_S3_BACKUP_CENTRAL",
} as const;

export const CENTRAL_NOT_DEPLOYED = "not-deployed";
