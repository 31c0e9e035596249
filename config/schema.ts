import { z } from "zod";
import { bucketNameProblem } from "./bucket-name";
import { quoted } from "./locate";
import { REGIONS } from "./regions";
import {
  isPlainText,
  plainTextMessage,
  RESERVED_TAG_PREFIX,
  TAG_CHARACTERS,
  TAG_KEY_MAX,
  TAG_VALUE_MAX,
  tagCharacterMessage,
} from "./text-rules";
import { DESTINATION_STORAGE_CLASSES } from "./types";

/**
 * The YAML format people edit (config/accounts.yaml): `defaults` once, overrides per account.
 * Shapes and formats live here (they also become config/accounts.schema.json, for editors);
 * rules that need more than one value (uniqueness, role ARN vs account id, RTC vs metrics, the bucket
 * template) live in config/semantics.ts.
 */

export const DEFAULT_ROLE_NAME = "OrganizationAccountAccessRole";
export const DEFAULT_CENTRAL_KMS_ALIAS = "alias/org-s3-backup-central";
export const DEFAULT_SOURCE_KMS_ALIAS = "alias/org-s3-backup-source";

const accountId = z
  .string({ error: 'must be a 12-digit account id in quotes, such as "111111111111"' })
  .regex(/^\d{12}$/, { error: "must be exactly 12 digits" })
  .describe("12-digit AWS account id. Always quote it: YAML reads 012345678901 as a number and drops the zero.");

const region = z.enum(REGIONS as [string, ...string[]]).describe("AWS region name, such as eu-west-1.");

const roleName = z
  .string()
  .regex(/^[\w+=,.@-]{1,64}$/, { error: "must be an IAM role name: 1 to 64 letters, digits and +=,.@_-" })
  .describe("Name of the IAM role the deployment assumes in the account; the ARN is built from the account id.");

const roleArn = z
  .string()
  .regex(/^arn:(aws|aws-us-gov|aws-cn):iam::\d{12}:role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/, {
    error: "must be an IAM role ARN: arn:aws:iam::<12-digit account>:role/<optional path/>name",
  })
  .describe("Full ARN of the role to assume, when the role name alone is not enough (a path, another partition).");

const kmsAlias = z
  .string()
  .regex(/^alias\/[A-Za-z0-9/_-]{1,250}$/, { error: "must be a KMS alias: alias/ then letters, digits, /, _ or -" })
  .refine((alias) => !alias.startsWith("alias/aws/"), { error: "alias/aws/ is reserved for AWS managed keys" })
  .describe("Alias of the customer managed KMS key created for the bucket.");

const snsTopicArn = z.string().regex(/^arn:(aws|aws-us-gov|aws-cn):sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/, {
  error: "must be an SNS topic ARN: arn:aws:sns:<region>:<12-digit account>:<topic>",
});

const bucketName = z.string().superRefine((name, context) => {
  const problem = bucketNameProblem(name);
  if (problem) context.addIssue({ code: "custom", message: `bucket name ${quoted(name)} ${problem}` });
});

/** Checks stop at the first that fails (`abort`): one message per key or value. */
const tags = z
  .record(
    z
      .string()
      .min(1)
      .max(TAG_KEY_MAX, { error: `tag keys are at most ${TAG_KEY_MAX} characters`, abort: true })
      .regex(TAG_CHARACTERS, { error: (issue) => tagCharacterMessage("tag keys", String(issue.input)), abort: true })
      .refine((key) => !RESERVED_TAG_PREFIX.test(key), {
        error: "tag keys starting with aws: are reserved by AWS",
      }),
    z
      .string()
      .max(TAG_VALUE_MAX, { error: `tag values are at most ${TAG_VALUE_MAX} characters`, abort: true })
      .regex(TAG_CHARACTERS, { error: (issue) => tagCharacterMessage("tag values", String(issue.input)) }),
  )
  .describe("Tags for every resource; an account's tags are merged over the defaults' tags.");

/** A number of days from 1 to `max`; one message per value (the first check that fails). */
const days = (max: number, tooMany: string) =>
  z
    .number()
    .max(max, { error: tooMany, abort: true })
    .int({ error: "must be a whole number of days", abort: true })
    .positive({ error: "must be more than 0 days" });

/** S3's lifecycle API takes day counts as 32-bit integers. */
export const MAX_LIFECYCLE_DAYS = 2_147_483_647;
/** S3 Object Lock default retention: at most 36,500 days, or 100 years. */
export const MAX_OBJECT_LOCK_DAYS = 36_500;
export const MAX_OBJECT_LOCK_YEARS = 100;

const lifecycleDays = days(
  MAX_LIFECYCLE_DAYS,
  `must be at most ${MAX_LIFECYCLE_DAYS.toLocaleString("en-US")} days (S3 takes a 32-bit number)`,
);

/** Object Lock's default retention: `days` or `years` (semantics.ts checks that exactly one is given). */
const objectLock = z.strictObject({
  mode: z.enum(["GOVERNANCE", "COMPLIANCE"]),
  days: days(
    MAX_OBJECT_LOCK_DAYS,
    `Object Lock retention is at most ${MAX_OBJECT_LOCK_DAYS.toLocaleString("en-US")} days ` +
      `(${MAX_OBJECT_LOCK_YEARS} years)`,
  ).optional(),
  years: z
    .number()
    .max(MAX_OBJECT_LOCK_YEARS, {
      error: `Object Lock retention is at most ${MAX_OBJECT_LOCK_YEARS} years`,
      abort: true,
    })
    .int({ error: "must be a whole number of years", abort: true })
    .positive({ error: "must be more than 0 years" })
    .optional(),
});

/** A person's name for an account: shown in tables and messages, so one line of visible characters. */
const displayName = z
  .string()
  .min(1)
  .max(128)
  .refine(isPlainText, { error: (issue) => plainTextMessage(String(issue.input)) });

const storageClass = z
  .enum(DESTINATION_STORAGE_CLASSES)
  .describe("Storage class of the replicas in the central bucket.");

const kmsKeyArn = z.string().regex(/^arn:(aws|aws-us-gov|aws-cn):kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]{1,128}$/, {
  error:
    "must be a KMS key ARN: arn:aws:kms:<region>:<12-digit account>:key/<key id> " +
    "(an alias cannot be granted kms:Decrypt)",
});

/** How the keys of an adopted bucket are laid out; only `<accountId>/` is ever replicated. */
export const ADOPTED_KEY_LAYOUTS = ["under-account-prefix", "partial"] as const;
/** What `up` does when an adopted bucket already has a replication configuration. */
export const EXISTING_REPLICATION_CHOICES = ["refuse", "replace"] as const;

/**
 * An adopted bucket. Versioning and the replication rule are always managed; everything else the bucket
 * has stays as it is unless `manage` opts in. See docs/inventory.md, "Adopting an existing bucket".
 */
const existingBucketSchema = z.strictObject({
  name: bucketName.describe("Name of the existing bucket, in the account and region of the entry."),
  keys: z
    .enum(ADOPTED_KEY_LAYOUTS)
    .describe(
      "Where the bucket's data lives. " +
        "under-account-prefix: every object is under <accountId>/ (all of it is backed up). " +
        "partial: objects outside <accountId>/ are NOT backed up " +
        "(S3 replication cannot rename keys; `coverage` counts them).",
    ),
  manage: z
    .strictObject({
      encryption: z
        .boolean()
        .default(false)
        .describe("true: replace the bucket's default encryption with SSE-KMS under this account's key."),
      publicAccessBlock: z
        .boolean()
        .default(false)
        .describe("true: block every form of public access (a website or public-asset bucket stops serving)."),
      bucketPolicy: z
        .boolean()
        .default(false)
        .describe("true: REPLACE the bucket policy with the TLS-only one (the bucket's own statements are lost)."),
    })
    .prefault({})
    .describe("Settings of the bucket we take over; all false by default: the bucket keeps what it has."),
  existingReplication: z
    .enum(EXISTING_REPLICATION_CHOICES)
    .default("refuse")
    .describe(
      "The bucket already replicates elsewhere: refuse (up stops and names its rules) " +
        "or replace (our rule replaces them all; " +
        "a bucket has one replication configuration with one role, so rules cannot be merged).",
    ),
  additionalKmsKeyArns: z
    .array(kmsKeyArn)
    .default([])
    .describe("KMS keys encrypting objects already in the bucket: the replication role may kms:Decrypt them via S3."),
});

/** Every replication key optional: the form of an account's override. */
const replicationOverride = z.strictObject({
  storageClass: storageClass.optional(),
  replicationTimeControl: z
    .boolean()
    .optional()
    .describe("S3 Replication Time Control (replicas within 15 minutes); implies metrics."),
  metrics: z
    .boolean()
    .optional()
    .describe("Replication metrics in CloudWatch; cannot be false while replicationTimeControl is true."),
  deleteMarkerReplication: z.boolean().optional().describe("Replicate delete markers (a backup usually should not)."),
});

const defaultsSchema = z.strictObject({
  region: region.describe("Region of every source account's bucket unless the account says otherwise."),
  roleName: roleName.default(DEFAULT_ROLE_NAME),
  bucket: z
    .string()
    .min(1)
    .describe("Bucket-name template for the source buckets; placeholders {accountId}, {name}, {region}."),
  kmsAlias: kmsAlias.default(DEFAULT_SOURCE_KMS_ALIAS),
  replication: z
    .strictObject({
      storageClass: storageClass.default("STANDARD_IA"),
      replicationTimeControl: z.boolean().default(true),
      metrics: z.boolean().default(true),
      deleteMarkerReplication: z.boolean().default(false),
    })
    .prefault({}),
  monitoring: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
  backfill: z.strictObject({ enabled: z.boolean().default(false) }).prefault({}),
  tags: tags.default({}),
});

const centralSchema = z.strictObject({
  id: accountId,
  name: displayName,
  region: region.optional().describe("Region of the central bucket; defaults.region when absent."),
  bucket: bucketName.describe("Name of the central backup bucket (a literal name, no placeholders)."),
  roleName: roleName.optional(),
  roleArn: roleArn.optional(),
  kmsAlias: kmsAlias.default(DEFAULT_CENTRAL_KMS_ALIAS),
  objectLock: objectLock
    .optional()
    .describe("Default Object Lock retention; can only be turned on when the bucket is created."),
  noncurrentVersions: z
    .strictObject({
      transitionAfterDays: lifecycleDays.optional(),
      transitionStorageClass: z
        .enum(["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER", "GLACIER_IR", "DEEP_ARCHIVE"])
        .optional(),
      expireAfterDays: lifecycleDays.optional(),
      keepNewerVersions: z.number().int().min(1).max(100).optional(),
    })
    .optional()
    .describe("Lifecycle of noncurrent versions; absent = keep every version forever."),
  alarmTopicArn: snsTopicArn
    .optional()
    .describe("SNS topic for replication alarms; absent = one is created centrally."),
  tags: tags.optional(),
});

const accountSchema = z.strictObject({
  id: accountId,
  name: displayName.describe("Human name, used in messages, tags and the {name} placeholder."),
  enabled: z.boolean().optional().describe("false: keep the entry but plan no stack for it (default true)."),
  region: region.optional(),
  bucket: z
    .string()
    .min(1)
    .optional()
    .describe("This account's bucket name (or template), instead of defaults.bucket."),
  existingBucket: existingBucketSchema
    .optional()
    .describe(
      "Adopt this existing bucket instead of creating one (never created nor deleted by us). " +
        "A mapping: name and keys are required.",
    ),
  roleName: roleName.optional(),
  roleArn: roleArn.optional(),
  kmsAlias: kmsAlias.optional(),
  replication: replicationOverride.optional(),
  monitoring: z.strictObject({ enabled: z.boolean().optional(), alarmTopicArn: snsTopicArn.optional() }).optional(),
  backfill: z.strictObject({ enabled: z.boolean().optional() }).optional(),
  tags: tags.optional(),
});

/** An organization account that deliberately gets no stack (the management account, a sandbox). */
const ignoredAccountSchema = z.strictObject({
  id: accountId,
  reason: z
    .string()
    .min(1)
    .max(256)
    .refine(isPlainText, { error: (issue) => plainTextMessage(String(issue.input)) })
    .optional()
    .describe("Why the account is left out, for the next reader."),
});

export const inventoryFileSchema = z.strictObject({
  organization: z
    .string()
    .regex(/^o-[a-z0-9]{10,32}$/, {
      error: "must be an AWS Organizations id: o- then 10 to 32 lowercase letters or digits",
    })
    .describe("AWS Organizations id (o-...)."),
  central: centralSchema,
  defaults: defaultsSchema,
  accounts: z.array(accountSchema).describe("Source accounts, in the order stacks are planned."),
  ignore: z
    .array(ignoredAccountSchema)
    .optional()
    .describe("Organization accounts deliberately left out: `discover` does not propose them."),
});

/** The inventory file after zod: shapes checked, `defaults` filled in. */
export type InventoryFile = z.output<typeof inventoryFileSchema>;
export type AccountEntry = InventoryFile["accounts"][number];
export type IgnoreEntry = NonNullable<InventoryFile["ignore"]>[number];
