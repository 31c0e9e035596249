import type { AdoptedBucket, SourceAccount } from "./types";

/**
 * What an adopted bucket's inventory entry means, in the words `validate`, `plan`, `render`, the `up`
 * preflight and `coverage` all use, so that nobody adopts a bucket believing all of it is protected.
 */

/** The prefix the replication rule copies: the only part of any source bucket that is backed up. */
export function replicatedPrefix(accountId: string): string {
  return `${accountId}/`;
}

/**
 * The adopted bucket of a source account, or undefined when the stack creates the bucket. An inventory
 * built in code may mark a bucket `existing` without the details the loader always fills in: it then gets
 * the most careful reading (layout `partial`, nothing of the bucket taken over, existing replication refused).
 */
export function adoptedBucketOf(source: SourceAccount): AdoptedBucket | undefined {
  if (!source.bucket.existing) return undefined;
  return (
    source.existingBucket ?? {
      name: source.bucket.name,
      keys: "partial",
      manage: { encryption: false, publicAccessBlock: false, bucketPolicy: false },
      existingReplication: "refuse",
      additionalKmsKeyArns: [],
    }
  );
}

export interface AdoptionSummary {
  readonly bucket: string;
  readonly keys: AdoptedBucket["keys"];
  /** `adopted, keys: partial — data outside 333333333333/ NOT backed up` */
  readonly note: string;
  /** What the stack manages on the bucket: always versioning and the replication rule. */
  readonly manages: readonly string[];
  /** What the bucket keeps as it is. */
  readonly keeps: readonly string[];
  readonly existingReplication: AdoptedBucket["existingReplication"];
  readonly additionalKmsKeyArns: readonly string[];
}

const OPTIONAL_PARTS = [
  ["encryption", "default encryption"],
  ["publicAccessBlock", "public-access block"],
  ["bucketPolicy", "bucket policy"],
] as const;

export function keyLayoutNote(accountId: string, keys: AdoptedBucket["keys"]): string {
  const prefix = replicatedPrefix(accountId);
  return keys === "partial"
    ? `adopted, keys: partial — data outside ${prefix} NOT backed up`
    : `adopted, keys: under-account-prefix — all data under ${prefix} (backed up)`;
}

export function adoptionSummary(source: SourceAccount): AdoptionSummary | undefined {
  const adopted = adoptedBucketOf(source);
  if (!adopted) return undefined;
  return {
    bucket: adopted.name,
    keys: adopted.keys,
    note: keyLayoutNote(source.accountId, adopted.keys),
    manages: [
      "versioning",
      "replication rule",
      ...OPTIONAL_PARTS.filter(([flag]) => adopted.manage[flag]).map(([, label]) => label),
    ],
    keeps: OPTIONAL_PARTS.filter(([flag]) => !adopted.manage[flag]).map(([, label]) => label),
    existingReplication: adopted.existingReplication,
    additionalKmsKeyArns: adopted.additionalKmsKeyArns,
  };
}

/**
 * The lines under a plan, a validate summary or a render header:
 * `manages versioning, replication rule; keeps default encryption, ...; existing replication: refuse`.
 */
export function adoptionDetail(summary: AdoptionSummary): string {
  const keeps = summary.keeps.length > 0 ? `; keeps its own ${summary.keeps.join(", ")}` : "";
  const keys =
    summary.additionalKmsKeyArns.length > 0
      ? `; may decrypt ${summary.additionalKmsKeyArns.length} more KMS key(s)`
      : "";
  const replication =
    summary.existingReplication === "replace"
      ? "existing replication rules are REPLACED"
      : "up refuses if the bucket already replicates";
  return `manages ${summary.manages.join(", ")}${keeps}; ${replication}${keys}`;
}
