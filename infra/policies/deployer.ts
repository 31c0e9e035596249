import type { Inventory } from "../../config/types";
import { BACKFILL_ROLE_NAME, BATCH_OPERATIONS_PRINCIPAL } from "./backfill";
import { partitionOf } from "../../config/regions";
import {
  type PolicyDocument,
  policyDocument,
  REPLICATION_ROLE_NAME,
  S3_SERVICE_PRINCIPAL,
  type Statement,
} from "./document";
import { ALARM_NAME_PREFIX, DEFAULT_ALARM_TOPIC_NAME } from "./monitoring";

/**
 * The permissions of the per-account deploy role: the role the Pulumi AWS provider of each stack assumes
 * (`roleName` / `roleArn` in the inventory). One table says, for every resource type the program creates,
 * which IAM actions the provider calls for it (create, read/refresh, update, and delete where the program
 * really deletes), and on what; the policy is built from the table, so a resource type cannot ship
 * without its permissions (tests/infra/deployer-policy.test.ts renders the program and checks).
 *
 * What the policy deliberately leaves out, because the program never does it: deleting a bucket, a key
 * (ScheduleKeyDeletion), a bucket policy, encryption or public-access block (all protected or
 * retainOnDelete), and any object-level data action. Those are also denied explicitly, so an admin
 * policy attached to the same role by mistake cannot bring them back.
 */

export type DeployerAccount = "central" | "source";
export const DEPLOYER_ACCOUNTS: readonly DeployerAccount[] = ["central", "source"];

/** What a grant's actions are allowed on; each scope becomes one statement (see SCOPE_STATEMENTS). */
export type DeployerScope =
  | "buckets"
  | "anyResource"
  | "keys"
  | "keysBehindOurAliases"
  | "aliasesAndKeys"
  | "serviceRoles"
  | "passReplicationRole"
  | "alarms"
  | "topics"
  | "canaryObjects"
  | "canaryEncryption"
  | "batchJobs"
  | "passBatchRole";

export interface DeployerGrant {
  readonly scope: DeployerScope;
  readonly actions: readonly string[];
  /** Only in this account's policy (default: every account the resource type appears in). */
  readonly only?: DeployerAccount;
}

export interface ResourcePermissions {
  /** Pulumi type token, as `render` lists it. */
  readonly type: string;
  /** The stacks (central, source) the program creates this type in. */
  readonly accounts: readonly DeployerAccount[];
  readonly grants: readonly DeployerGrant[];
  /** The provider's API calls behind the actions, for the reviewer of this table. */
  readonly calls: string;
}

/** Every Pulumi resource type the program creates, and the actions the AWS provider needs for it. */
export const DEPLOYER_PERMISSIONS: readonly ResourcePermissions[] = [
  {
    type: "aws:s3/bucket:Bucket",
    accounts: ["central", "source"],
    grants: [
      {
        scope: "buckets",
        actions: [
          "s3:CreateBucket",
          "s3:ListBucket",
          "s3:GetBucketLocation",
          "s3:GetBucketPolicy",
          "s3:GetBucketAcl",
          "s3:GetBucketCORS",
          "s3:GetBucketWebsite",
          "s3:GetBucketVersioning",
          "s3:GetAccelerateConfiguration",
          "s3:GetBucketRequestPayment",
          "s3:GetBucketLogging",
          "s3:GetLifecycleConfiguration",
          "s3:GetReplicationConfiguration",
          "s3:GetEncryptionConfiguration",
          "s3:GetBucketObjectLockConfiguration",
          "s3:GetBucketTagging",
          "s3:PutBucketTagging",
        ],
      },
      // CreateBucket with ObjectLockEnabledForBucket needs both (S3 API reference, CreateBucket).
      {
        scope: "buckets",
        actions: ["s3:PutBucketObjectLockConfiguration", "s3:PutBucketVersioning"],
        only: "central",
      },
    ],
    calls:
      "CreateBucket, PutBucketTagging (default tags); refresh: HeadBucket, " +
      "GetBucketPolicy/Acl/Cors/Website/Versioning/Accelerate/RequestPayment/Logging/Lifecycle/" +
      "Replication/Encryption, " +
      "GetObjectLockConfiguration, GetBucketTagging. Never DeleteBucket: protected and retainOnDelete",
  },
  {
    type: "aws:s3/bucketVersioning:BucketVersioning",
    accounts: ["central", "source"],
    grants: [{ scope: "buckets", actions: ["s3:PutBucketVersioning", "s3:GetBucketVersioning"] }],
    calls: "PutBucketVersioning, GetBucketVersioning (retainOnDelete: never suspended by a destroy)",
  },
  {
    type: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    accounts: ["central", "source"],
    grants: [{ scope: "buckets", actions: ["s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration"] }],
    calls: "PutBucketEncryption, GetBucketEncryption (retainOnDelete)",
  },
  {
    type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    accounts: ["central", "source"],
    grants: [{ scope: "buckets", actions: ["s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock"] }],
    calls: "PutPublicAccessBlock, GetPublicAccessBlock (retainOnDelete)",
  },
  {
    type: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    accounts: ["central"],
    grants: [{ scope: "buckets", actions: ["s3:PutBucketOwnershipControls", "s3:GetBucketOwnershipControls"] }],
    calls: "PutBucketOwnershipControls, GetBucketOwnershipControls (retainOnDelete)",
  },
  {
    type: "aws:s3/bucketPolicy:BucketPolicy",
    accounts: ["central", "source"],
    grants: [{ scope: "buckets", actions: ["s3:PutBucketPolicy", "s3:GetBucketPolicy"] }],
    calls: "PutBucketPolicy, GetBucketPolicy (retainOnDelete: never DeleteBucketPolicy)",
  },
  {
    type: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    accounts: ["central"],
    grants: [{ scope: "buckets", actions: ["s3:PutLifecycleConfiguration", "s3:GetLifecycleConfiguration"] }],
    calls: "PutBucketLifecycleConfiguration, GetBucketLifecycleConfiguration (retainOnDelete)",
  },
  {
    type: "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    accounts: ["central"],
    grants: [
      {
        scope: "buckets",
        actions: ["s3:PutBucketObjectLockConfiguration", "s3:GetBucketObjectLockConfiguration"],
      },
    ],
    calls: "PutObjectLockConfiguration, GetObjectLockConfiguration (retainOnDelete)",
  },
  {
    type: "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
    accounts: ["source"],
    grants: [
      // DeleteBucketReplication (destroy, --prune) is authorized by s3:PutReplicationConfiguration.
      { scope: "buckets", actions: ["s3:PutReplicationConfiguration", "s3:GetReplicationConfiguration"] },
      { scope: "passReplicationRole", actions: ["iam:PassRole"] },
    ],
    calls: "PutBucketReplication (passes the replication role), GetBucketReplication, DeleteBucketReplication",
  },
  {
    type: "aws:kms/key:Key",
    accounts: ["central", "source"],
    grants: [
      // CreateKey has no resource; tagging at creation needs kms:TagResource not restricted to keys (KMS guide).
      { scope: "anyResource", actions: ["kms:CreateKey", "kms:TagResource"] },
      {
        scope: "keys",
        actions: [
          "kms:DescribeKey",
          "kms:GetKeyPolicy",
          "kms:GetKeyRotationStatus",
          "kms:ListResourceTags",
          "kms:EnableKeyRotation",
        ],
      },
      { scope: "keysBehindOurAliases", actions: ["kms:PutKeyPolicy", "kms:UpdateKeyDescription", "kms:UntagResource"] },
    ],
    calls:
      "CreateKey (policy and tags in the call), EnableKeyRotation, DescribeKey, GetKeyPolicy, GetKeyRotationStatus, " +
      "ListResourceTags; updates: PutKeyPolicy, UpdateKeyDescription, TagResource/UntagResource. " +
      "Never ScheduleKeyDeletion: protected and retainOnDelete",
  },
  {
    type: "aws:kms/alias:Alias",
    accounts: ["central", "source"],
    grants: [
      { scope: "anyResource", actions: ["kms:ListAliases"] },
      { scope: "aliasesAndKeys", actions: ["kms:CreateAlias", "kms:UpdateAlias"] },
    ],
    calls: "CreateAlias, UpdateAlias (on the alias and the key), ListAliases (retainOnDelete: never DeleteAlias)",
  },
  {
    type: "aws:iam/role:Role",
    accounts: ["source"],
    grants: [
      {
        scope: "serviceRoles",
        actions: [
          "iam:CreateRole",
          "iam:GetRole",
          "iam:UpdateRole",
          "iam:UpdateRoleDescription",
          "iam:UpdateAssumeRolePolicy",
          "iam:TagRole",
          "iam:UntagRole",
          "iam:ListRolePolicies",
          "iam:ListAttachedRolePolicies",
          "iam:ListInstanceProfilesForRole",
          "iam:DeleteRole",
        ],
      },
    ],
    calls:
      "CreateRole, GetRole, UpdateRole(Description), UpdateAssumeRolePolicy, Tag/UntagRole, " +
      "List(Attached)RolePolicies; " +
      "DeleteRole and ListInstanceProfilesForRole on destroy (the roles are really deleted)",
  },
  {
    type: "aws:iam/rolePolicy:RolePolicy",
    accounts: ["source"],
    grants: [{ scope: "serviceRoles", actions: ["iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"] }],
    calls: "PutRolePolicy, GetRolePolicy, DeleteRolePolicy",
  },
  {
    type: "aws:cloudwatch/metricAlarm:MetricAlarm",
    accounts: ["source"],
    grants: [
      {
        scope: "alarms",
        actions: [
          "cloudwatch:PutMetricAlarm",
          "cloudwatch:DescribeAlarms",
          "cloudwatch:ListTagsForResource",
          "cloudwatch:TagResource",
          "cloudwatch:UntagResource",
          "cloudwatch:DeleteAlarms",
        ],
      },
    ],
    calls: "PutMetricAlarm, DescribeAlarms, ListTagsForResource, Tag/UntagResource, DeleteAlarms",
  },
  {
    type: "aws:sns/topic:Topic",
    accounts: ["central"],
    grants: [
      {
        scope: "topics",
        actions: [
          "sns:CreateTopic",
          "sns:GetTopicAttributes",
          "sns:SetTopicAttributes",
          "sns:ListTagsForResource",
          "sns:TagResource",
          "sns:UntagResource",
          "sns:DeleteTopic",
        ],
      },
    ],
    calls: "CreateTopic, GetTopicAttributes, SetTopicAttributes, ListTagsForResource, Tag/UntagResource, DeleteTopic",
  },
  {
    type: "aws:sns/topicPolicy:TopicPolicy",
    accounts: ["central"],
    grants: [{ scope: "topics", actions: ["sns:SetTopicAttributes", "sns:GetTopicAttributes"] }],
    calls: "SetTopicAttributes (Policy), GetTopicAttributes",
  },
];

/** Key prefix of `verify`'s canary objects under `<accountId>/` (automation/day-two/verify.ts CANARY_FOLDER). */
export const CANARY_FOLDER = "org-s3-backup-canary";

/**
 * What the day-two commands do with the same account role (the inventory names one role per account):
 * `verify` writes, reads and removes a canary under `<accountId>/org-s3-backup-canary/` and reads the
 * alarms; `backfill` starts and follows S3 Batch Replication jobs. Added with `iam deployer --day-two`.
 */
export const DAY_TWO_PERMISSIONS: readonly ResourcePermissions[] = [
  {
    type: "org-s3-backup verify",
    accounts: ["central", "source"],
    grants: [
      {
        scope: "canaryObjects",
        actions: ["s3:PutObject", "s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObject", "s3:DeleteObjectVersion"],
        only: "source",
      },
      { scope: "canaryEncryption", actions: ["kms:GenerateDataKey", "kms:Decrypt"], only: "source" },
      { scope: "alarms", actions: ["cloudwatch:DescribeAlarms"], only: "source" },
      // The replica: HeadObject (GetObject), 404 rather than 403 while it is missing (ListBucket), --cleanup.
      { scope: "buckets", actions: ["s3:ListBucket"], only: "central" },
      {
        scope: "canaryObjects",
        actions: ["s3:GetObject", "s3:DeleteObject", "s3:DeleteObjectVersion"],
        only: "central",
      },
    ],
    calls:
      "PutObject, HeadObject, DeleteObject (canary, source); DescribeAlarms; " +
      "HeadObject, DeleteObject (replica, central)",
  },
  {
    type: "org-s3-backup backfill",
    accounts: ["source"],
    grants: [
      { scope: "batchJobs", actions: ["s3:CreateJob", "s3:PutJobTagging", "s3:ListJobs", "s3:DescribeJob"] },
      { scope: "passBatchRole", actions: ["iam:PassRole"] },
    ],
    calls: "CreateJob (tagged, passes the batch role to S3 Batch Operations), ListJobs, DescribeJob",
  },
];

/**
 * Denied whatever else the role is given: what would destroy backups or keys, and assuming a role (the
 * deploy role writes the trust and the policy of the replication and batch roles; without this deny it
 * could make one of them assumable by itself and so grant itself anything it can write in a role policy).
 */
export const DENIED_DATA_ACTIONS = [
  "s3:DeleteBucket",
  "s3:DeleteBucketPolicy",
  "s3:PutBucketAcl",
  "s3:PutObjectAcl",
  "kms:ScheduleKeyDeletion",
  "kms:DisableKey",
  "kms:DeleteImportedKeyMaterial",
  "kms:DeleteAlias",
] as const;
/** Denied on every object but verify's canaries. */
export const DENIED_OBJECT_ACTIONS = ["s3:DeleteObject", "s3:DeleteObjectVersion"] as const;
export const DENIED_ROLE_ACTIONS = ["sts:AssumeRole"] as const;

/** Sid of the statement each scope becomes, in the order statements appear. */
export const SCOPE_STATEMENTS: Readonly<Record<DeployerScope, string>> = {
  buckets: "ManagedBucketSettings",
  anyResource: "ActionsWithoutResourceScope",
  keys: "ReadAndRotateKeysOfThisAccount",
  keysBehindOurAliases: "ChangeOnlyKeysBehindOurAliases",
  aliasesAndKeys: "PointOurAliases",
  serviceRoles: "ReplicationAndBatchRoles",
  passReplicationRole: "PassReplicationRoleToS3Only",
  alarms: "ReplicationAlarms",
  topics: "AlarmTopics",
  canaryObjects: "VerifyCanaryObjects",
  canaryEncryption: "VerifyCanaryEncryptionThroughS3",
  batchJobs: "BackfillBatchJobs",
  passBatchRole: "PassBatchRoleToBatchOperationsOnly",
};
export const DENY_DATA_SID = "DenyDestroyingBackupsAndKeys";
export const DENY_OBJECTS_SID = "DenyDeletingObjectsButCanaries";
export const DENY_ASSUME_SID = "DenyAssumingRoles";

/** The names the policy's resources are built from, read from the inventory by `deployerTarget`. */
export interface DeployerTarget {
  readonly account: DeployerAccount;
  /** `aws`, `aws-cn`, `aws-us-gov`. */
  readonly partition: string;
  /**
   * The account field of IAM, KMS, CloudWatch and SNS ARNs: the central account's id, or `*` in the source
   * policy (one document for every source account; these services never let an identity policy act on
   * another account's roles, alarms or topics, and a key only when that key's own policy trusts the caller).
   */
  readonly accountField: string;
  /** Bucket names; `${aws:PrincipalAccount}` stands for the deploying account's id. `*` = any bucket. */
  readonly bucketNames: readonly string[];
  readonly kmsAliases: readonly string[];
  /** Set when the bucket list was replaced by `*` to keep the policy under IAM's size limits. */
  readonly bucketsWidenedBecause?: string;
}

/** Source buckets are listed by name up to this many distinct (generalized) names; beyond, any bucket. */
export const MAX_LISTED_BUCKETS = 25;

/**
 * The account id inside a source's bucket name becomes `${aws:PrincipalAccount}`:
 * one ARN for `acme-data-{accountId}`.
 */
export const PRINCIPAL_ACCOUNT = "${aws:PrincipalAccount}";

export function deployerTarget(inventory: Inventory, account: DeployerAccount): DeployerTarget {
  const partition = partitionOf(inventory.central.region);
  if (account === "central") {
    return {
      account,
      partition,
      accountField: inventory.central.accountId,
      bucketNames: [inventory.central.bucketName],
      kmsAliases: [inventory.central.kmsAlias],
    };
  }
  // Disabled accounts too: the same policy serves them once they are enabled.
  const names = unique(inventory.sources.map((s) => s.bucket.name.split(s.accountId).join(PRINCIPAL_ACCOUNT)));
  const aliases = unique(inventory.sources.map((s) => s.kmsAlias));
  const widen = names.length > MAX_LISTED_BUCKETS;
  return {
    account,
    partition,
    accountField: "*",
    bucketNames: widen ? ["*"] : names,
    kmsAliases: aliases.length > 0 ? aliases : ["alias/org-s3-backup-source"],
    ...(widen
      ? {
          bucketsWidenedBecause:
            `${names.length} distinct source bucket names (more than ${MAX_LISTED_BUCKETS}) ` +
            "do not follow one template with {accountId}: listing them would not fit IAM's policy size limits",
        }
      : {}),
  };
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

export interface DeployerOptions {
  /** Add what `verify` and `backfill` do with the same role. */
  readonly dayTwo: boolean;
}

/**
 * The entries for `account`'s role, with only the grants that apply there: the program's resource types
 * in that stack, and with `dayTwo` the day-two commands.
 */
export function permissionsFor(
  account: DeployerAccount,
  options: DeployerOptions = { dayTwo: false },
): ResourcePermissions[] {
  const entries = options.dayTwo ? [...DEPLOYER_PERMISSIONS, ...DAY_TWO_PERMISSIONS] : DEPLOYER_PERMISSIONS;
  return entries
    .filter((entry) => entry.accounts.includes(account))
    .map((entry) => ({
      ...entry,
      grants: entry.grants.filter((grant) => grant.only === undefined || grant.only === account),
    }));
}

/** The role's policy for `target.account`: one Allow statement per scope in use, then the Denies. */
export function deployerPolicy(target: DeployerTarget, options: DeployerOptions = { dayTwo: false }): PolicyDocument {
  const actionsByScope = new Map<DeployerScope, Set<string>>();
  for (const entry of permissionsFor(target.account, options)) {
    for (const grant of entry.grants) {
      const actions = actionsByScope.get(grant.scope) ?? new Set<string>();
      for (const action of grant.actions) actions.add(action);
      actionsByScope.set(grant.scope, actions);
    }
  }
  const statements: Statement[] = [];
  for (const scope of Object.keys(SCOPE_STATEMENTS) as DeployerScope[]) {
    const actions = actionsByScope.get(scope);
    if (!actions) continue;
    statements.push({
      Sid: SCOPE_STATEMENTS[scope],
      Effect: "Allow",
      Action: [...actions].sort(),
      ...scopeResource(scope, target),
    });
  }
  statements.push(
    { Sid: DENY_DATA_SID, Effect: "Deny", Action: [...DENIED_DATA_ACTIONS], Resource: "*" },
    {
      Sid: DENY_OBJECTS_SID,
      Effect: "Deny",
      Action: [...DENIED_OBJECT_ACTIONS],
      NotResource: canaryObjects(target),
    },
    { Sid: DENY_ASSUME_SID, Effect: "Deny", Action: [...DENIED_ROLE_ACTIONS], Resource: "*" },
  );
  return policyDocument(...statements);
}

function scopeResource(scope: DeployerScope, target: DeployerTarget): Pick<Statement, "Resource" | "Condition"> {
  const p = target.partition;
  const account = target.accountField;
  const keys = `arn:${p}:kms:*:${account}:key/*`;
  const role = (name: string) => `arn:${p}:iam::${account}:role/${name}`;
  switch (scope) {
    case "buckets":
      return { Resource: one(target.bucketNames.map((name) => `arn:${p}:s3:::${name}`)) };
    case "anyResource":
      return { Resource: "*" };
    case "keys":
      return { Resource: keys };
    case "keysBehindOurAliases":
      // A guard against touching the account's other keys by mistake. Not a boundary against this role
      // itself: it may point our alias at another key (kms:UpdateAlias). KMS applies alias changes to
      // authorization within minutes; the program sets a new key's policy in CreateKey, not here.
      return {
        Resource: keys,
        Condition: { "ForAnyValue:StringEquals": { "kms:ResourceAliases": one([...target.kmsAliases]) } },
      };
    case "aliasesAndKeys":
      return { Resource: [...target.kmsAliases.map((alias) => `arn:${p}:kms:*:${account}:${alias}`), keys] };
    case "serviceRoles":
      return { Resource: [role(REPLICATION_ROLE_NAME), role(BACKFILL_ROLE_NAME)] };
    case "passReplicationRole":
      return {
        Resource: role(REPLICATION_ROLE_NAME),
        Condition: { StringEquals: { "iam:PassedToService": S3_SERVICE_PRINCIPAL } },
      };
    case "alarms":
      return { Resource: `arn:${p}:cloudwatch:*:${account}:alarm:${ALARM_NAME_PREFIX}-*` };
    case "topics":
      return { Resource: `arn:${p}:sns:*:${account}:${DEFAULT_ALARM_TOPIC_NAME}` };
    case "canaryObjects":
      return { Resource: canaryObjects(target) };
    case "canaryEncryption":
      // Adopted buckets may keep their own key: any key of the account, but only as S3 uses it. ViaService
      // names end in `.amazonaws.com` in every partition (see s3ViaService in document.ts).
      return { Resource: keys, Condition: { StringLike: { "kms:ViaService": "s3.*.amazonaws.com" } } };
    case "batchJobs":
      return { Resource: "*" };
    case "passBatchRole":
      return {
        Resource: role(BACKFILL_ROLE_NAME),
        Condition: { StringEquals: { "iam:PassedToService": BATCH_OPERATIONS_PRINCIPAL } },
      };
  }
}

/** Verify's canary objects: `<accountId>/org-s3-backup-canary/*` in each bucket (any account's in central). */
function canaryObjects(target: DeployerTarget): string | readonly string[] {
  const prefix = target.account === "central" ? "*" : PRINCIPAL_ACCOUNT;
  return one(target.bucketNames.map((name) => `arn:${target.partition}:s3:::${name}/${prefix}/${CANARY_FOLDER}/*`));
}

function one(values: readonly string[]): string | readonly string[] {
  return values.length === 1 ? values[0] : values;
}

/** IAM's policy size quotas, in characters; IAM does not count white space. */
export const IAM_POLICY_LIMITS = {
  /** `aws iam put-role-policy`: the sum of every inline policy of one role. */
  inlineRoleAggregate: 10_240,
  /** A customer managed policy (e.g. AWS::IAM::ManagedPolicy in a StackSet template). */
  managed: 6_144,
} as const;

/** Characters IAM counts for a document: its JSON without white space outside strings. */
export function policyCharacters(document: PolicyDocument): number {
  return JSON.stringify(document).length;
}
