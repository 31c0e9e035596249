import { adoptedBucketOf, replicatedPrefix } from "../../config/adoption";
import type { AdoptedKeyLayout, Inventory, SourceAccount } from "../../config/types";
import { awsErrorText, isEnvironmentError } from "./aws-clients";
import { mapBounded } from "../driver/concurrency";

/**
 * `coverage`: what part of each source bucket is backed up. S3 replication keeps key names and our rule
 * copies only `<accountId>/`, so every object outside that prefix is NOT backed up, whatever `verify`
 * says (its canary is under the prefix). Per account: the bucket's top-level prefixes (ListObjectsV2 with
 * a `/` delimiter), the objects and bytes outside the prefix, and a sample of objects' KMS keys checked
 * against the keys the replication role may decrypt (the account key and the entry's
 * additionalKmsKeyArns). Bounded in calls unless `deep`; written against CoverageStore so that the
 * counting and the bounds are tested without AWS (the AWS adapter is coverage-aws.ts).
 */

/** Where an account's bucket is and what the inventory says about it. */
export interface CoverageTarget {
  readonly accountId: string;
  readonly accountName: string;
  readonly region: string;
  /** The account's role (the deployment's): it lists and heads the bucket, describes the keys. */
  readonly roleArn: string;
  readonly bucket: string;
  /** The only prefix replicated: `<accountId>/`. */
  readonly prefix: string;
  /** `created` by the stack, or the adopted bucket's declared key layout. */
  readonly layout: "created" | AdoptedKeyLayout;
  /** Alias of the account's key (the replication role's `DecryptSourceObjects`). */
  readonly kmsAlias: string;
  /** Further keys the role may decrypt (an adopted bucket's additionalKmsKeyArns). */
  readonly additionalKmsKeyArns: readonly string[];
}

export interface ListRequest {
  readonly prefix?: string;
  readonly delimiter?: string;
  readonly continuationToken?: string;
  readonly maxKeys?: number;
}

export interface ListedObject {
  readonly key: string;
  readonly size: number;
}

/** One ListObjectsV2 page. */
export interface ListPage {
  readonly objects: readonly ListedObject[];
  /** CommonPrefixes (with a delimiter). */
  readonly prefixes: readonly string[];
  /** Set when the listing continues. */
  readonly nextToken?: string;
}

/** How an object (HeadObject) or the bucket's default (GetBucketEncryption) is encrypted. */
export interface Encryption {
  /** `AES256`, `aws:kms`, `aws:kms:dsse`; undefined when S3 says nothing. */
  readonly algorithm?: string;
  /** As S3 gives it: a key ARN for objects; for the default also a key id or an alias. */
  readonly kmsKeyId?: string;
}

export interface KeyDescription {
  readonly arn: string;
  /** `AWS` for an AWS managed key (aws/s3), `CUSTOMER` otherwise. */
  readonly manager?: string;
}

/** The AWS calls coverage makes, each as the account's role in the account's region. */
export interface CoverageStore {
  list(target: CoverageTarget, request: ListRequest): Promise<ListPage>;
  head(target: CoverageTarget, key: string): Promise<Encryption>;
  /** The bucket's default encryption; undefined when it has none configured. */
  defaultEncryption(target: CoverageTarget): Promise<Encryption | undefined>;
  /** A key by id, ARN or alias; undefined when it does not exist. */
  describeKey(target: CoverageTarget, keyId: string): Promise<KeyDescription | undefined>;
}

export interface CoverageOptions {
  /** List every page of every prefix outside the replicated one (a full count; unbounded in calls). */
  readonly deep: boolean;
  /** Objects whose key is checked by HeadObject, under the prefix and outside it each (0: no KMS check). */
  readonly sample: number;
  /** Accounts checked at once. */
  readonly concurrency: number;
  /** Without `deep`: top-level listing pages read (1,000 entries each). */
  readonly topLevelPages?: number;
  /** Without `deep`: prefixes outside the replicated one counted, one page (1,000 objects) each. */
  readonly prefixesCounted?: number;
}

/** Without --deep: at most 10 top-level pages (10,000 prefixes and root objects). */
export const DEFAULT_TOP_LEVEL_PAGES = 10;
/** Without --deep: the first 20 prefixes outside `<accountId>/` are counted, one page each. */
export const DEFAULT_PREFIXES_COUNTED = 20;
export const DEFAULT_SAMPLE = 5;
/** Prefixes counted at once within one account. */
const PREFIX_CONCURRENCY = 4;

/** What is outside the replicated prefix under one top-level prefix (or at the root: prefix ""). */
export interface OutsidePart {
  readonly prefix: string;
  readonly objects: number;
  readonly bytes: number;
  /** false: more objects exist than counted (or, for an uncounted prefix, the count is a floor of 1). */
  readonly complete: boolean;
}

export interface Outside {
  readonly objects: number;
  readonly bytes: number;
  /** Whether objects and bytes are exact (else lower bounds: run with --deep). */
  readonly complete: boolean;
  readonly parts: readonly OutsidePart[];
}

/** A KMS key seen on objects (or as the default) that the replication role is not granted. */
export interface UnreadableKey {
  readonly keyId: string;
  /** `inside`: under the replicated prefix (their replication FAILS); `outside`; `default`: new objects. */
  readonly where: "inside" | "outside" | "default";
  /** Sampled objects with the key (0 for `default`). */
  readonly objects: number;
  readonly example?: string;
}

export type KmsCheck =
  | {
      readonly status: "checked";
      /** The keys the role may decrypt: the account key (resolved from its alias) and the extra ones. */
      readonly readableKeys: readonly string[];
      readonly sampled: { readonly inside: number; readonly outside: number };
      readonly unreadable: readonly UnreadableKey[];
    }
  | { readonly status: "skipped" | "unreadable"; readonly reason: string };

export type CoverageStatus = "covered" | "not-protected" | "error";

export interface CoverageResult {
  readonly accountId: string;
  readonly accountName: string;
  readonly bucket: string;
  readonly region: string;
  readonly prefix: string;
  readonly layout: CoverageTarget["layout"];
  readonly status: CoverageStatus;
  /** `covered`, `NOT PROTECTED: 3 objects (1,536 bytes) outside 333333333333/`, or the error. */
  readonly detail: string;
  /** Every top-level prefix seen (the bucket's "folders"), in S3's order. */
  readonly topLevelPrefixes: readonly string[];
  /** Whether the top-level listing was read to its end. */
  readonly topLevelComplete: boolean;
  readonly outside?: Outside;
  readonly kms: KmsCheck;
  /** AWS calls made for the account. */
  readonly calls: number;
  /** The check could not run for lack of environment (no credentials, endpoint unreachable). */
  readonly environment: boolean;
  readonly notes: readonly string[];
}

export function coverageTargets(sources: readonly SourceAccount[]): CoverageTarget[] {
  return sources.map((source) => {
    const adopted = adoptedBucketOf(source);
    return {
      accountId: source.accountId,
      accountName: source.name,
      region: source.region,
      roleArn: source.roleArn,
      bucket: source.bucket.name,
      prefix: replicatedPrefix(source.accountId),
      layout: adopted ? adopted.keys : "created",
      kmsAlias: source.kmsAlias,
      additionalKmsKeyArns: adopted?.additionalKmsKeyArns ?? [],
    };
  });
}

/** The enabled sources of an inventory (what `coverage` checks without --accounts). */
export function enabledSources(inventory: Inventory): SourceAccount[] {
  return inventory.sources.filter((source) => source.enabled);
}

/** Checks every account, at most `concurrency` at once. Never throws; results in target order. */
export function checkCoverage(
  targets: readonly CoverageTarget[],
  store: CoverageStore,
  options: CoverageOptions,
): Promise<CoverageResult[]> {
  return mapBounded(targets, options.concurrency, (target) => checkAccount(target, store, options));
}

/** The store with every call counted. */
function counting(store: CoverageStore): { store: CoverageStore; calls: () => number } {
  let calls = 0;
  const count = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => {
    return (...args: A): Promise<R> => {
      calls++;
      return fn(...args);
    };
  };
  return {
    store: {
      list: count((t, r) => store.list(t, r)),
      head: count((t, k) => store.head(t, k)),
      defaultEncryption: count((t) => store.defaultEncryption(t)),
      describeKey: count((t, k) => store.describeKey(t, k)),
    },
    calls: () => calls,
  };
}

export async function checkAccount(
  target: CoverageTarget,
  rawStore: CoverageStore,
  options: CoverageOptions,
): Promise<CoverageResult> {
  const { store, calls } = counting(rawStore);
  const notes: string[] = [];
  const base = {
    accountId: target.accountId,
    accountName: target.accountName,
    bucket: target.bucket,
    region: target.region,
    prefix: target.prefix,
    layout: target.layout,
  };
  let topLevel: TopLevel;
  let outside: Outside & { sampleKeys: string[] };
  try {
    topLevel = await listTopLevel(target, store, options);
    outside = await countOutside(target, store, options, topLevel);
  } catch (error) {
    return {
      ...base,
      status: "error",
      detail: `could not list the bucket: ${listErrorText(error, target)}`,
      topLevelPrefixes: [],
      topLevelComplete: false,
      kms: { status: "skipped", reason: "the bucket could not be listed" },
      calls: calls(),
      environment: isEnvironmentError(error),
      notes,
    };
  }
  const environment = { missing: false };
  const kms = await checkKeys(target, store, options, topLevel, outside, notes, environment);
  notes.push(...layoutNotes(target, outside));
  const unreadableInside =
    kms.status === "checked" ? kms.unreadable.filter((key) => key.where !== "outside") : ([] as UnreadableKey[]);
  const status: CoverageStatus = outside.objects > 0 || unreadableInside.length > 0 ? "not-protected" : "covered";
  return {
    ...base,
    status,
    detail: coverageDetail(target, outside, unreadableInside, topLevel),
    topLevelPrefixes: topLevel.prefixes,
    topLevelComplete: topLevel.complete,
    outside: { objects: outside.objects, bytes: outside.bytes, complete: outside.complete, parts: outside.parts },
    kms,
    calls: calls(),
    environment: environment.missing,
    notes,
  };
}

interface TopLevel {
  readonly prefixes: string[];
  /** Objects at the root of the bucket (no `/` in their key): always outside the replicated prefix. */
  readonly rootObjects: ListedObject[];
  readonly complete: boolean;
}

async function listTopLevel(target: CoverageTarget, store: CoverageStore, options: CoverageOptions): Promise<TopLevel> {
  const maxPages = options.deep ? Number.POSITIVE_INFINITY : (options.topLevelPages ?? DEFAULT_TOP_LEVEL_PAGES);
  const prefixes: string[] = [];
  const rootObjects: ListedObject[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await store.list(target, { delimiter: "/", ...(token ? { continuationToken: token } : {}) });
    pages++;
    prefixes.push(...page.prefixes);
    rootObjects.push(...page.objects);
    token = page.nextToken;
  } while (token !== undefined && pages < maxPages);
  return { prefixes, rootObjects, complete: token === undefined };
}

async function countOutside(
  target: CoverageTarget,
  store: CoverageStore,
  options: CoverageOptions,
  topLevel: TopLevel,
): Promise<Outside & { sampleKeys: string[] }> {
  const others = topLevel.prefixes.filter((prefix) => prefix !== target.prefix);
  const counted = options.deep ? others : others.slice(0, options.prefixesCounted ?? DEFAULT_PREFIXES_COUNTED);
  const countedParts = await mapBounded(counted, PREFIX_CONCURRENCY, (prefix) =>
    countPrefix(target, store, prefix, options.deep),
  );
  // A common prefix exists only while an object has it: each uncounted one holds at least one object.
  const uncounted = others
    .slice(counted.length)
    .map<OutsidePart>((prefix) => ({ prefix, objects: 1, bytes: 0, complete: false }));
  const root: OutsidePart[] =
    topLevel.rootObjects.length > 0
      ? [
          {
            prefix: "",
            objects: topLevel.rootObjects.length,
            bytes: sum(topLevel.rootObjects.map((object) => object.size)),
            complete: topLevel.complete,
          },
        ]
      : [];
  const parts = [...root, ...countedParts.map((part) => part.part), ...uncounted];
  return {
    objects: sum(parts.map((part) => part.objects)),
    bytes: sum(parts.map((part) => part.bytes)),
    // An unfinished top-level listing may hide further prefixes.
    complete: topLevel.complete && parts.every((part) => part.complete),
    parts,
    // One object of each place first, so that a small sample sees as many places as it can.
    sampleKeys: interleave([topLevel.rootObjects.map((o) => o.key), ...countedParts.map((part) => part.keys)]),
  };
}

async function countPrefix(
  target: CoverageTarget,
  store: CoverageStore,
  prefix: string,
  deep: boolean,
): Promise<{ part: OutsidePart; keys: string[] }> {
  let objects = 0;
  let bytes = 0;
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await store.list(target, { prefix, ...(token ? { continuationToken: token } : {}) });
    objects += page.objects.length;
    bytes += sum(page.objects.map((object) => object.size));
    if (keys.length < 16) keys.push(...page.objects.slice(0, 16 - keys.length).map((object) => object.key));
    token = page.nextToken;
  } while (deep && token !== undefined);
  return { part: { prefix, objects, bytes, complete: token === undefined }, keys };
}

/**
 * Which KMS keys the sampled objects and the default encryption use, against the keys the replication
 * role may decrypt. An object under the prefix with another key FAILS replication; one outside is not
 * replicated anyway, but would fail once moved under the prefix.
 */
async function checkKeys(
  target: CoverageTarget,
  store: CoverageStore,
  options: CoverageOptions,
  topLevel: TopLevel,
  outside: Outside & { sampleKeys: string[] },
  notes: string[],
  environment: { missing: boolean },
): Promise<KmsCheck> {
  const failed = (error: unknown, what: string) => {
    if (isEnvironmentError(error)) environment.missing = true;
    notes.push(`${what}: ${awsErrorText(error)}`);
  };
  if (options.sample <= 0) return { status: "skipped", reason: "--sample 0" };
  let readable: Set<string>;
  let defaultEncryption: Encryption | undefined;
  try {
    const accountKey = await store.describeKey(target, target.kmsAlias);
    if (!accountKey) notes.push(`the account key ${target.kmsAlias} does not exist (is the source stack deployed?)`);
    readable = new Set([...(accountKey ? [accountKey.arn] : []), ...target.additionalKmsKeyArns]);
    defaultEncryption = await store.defaultEncryption(target);
  } catch (error) {
    const what = `could not read the keys (kms:DescribeKey ${target.kmsAlias}, s3:GetEncryptionConfiguration)`;
    failed(error, what);
    return { status: "unreadable", reason: `${what}: ${awsErrorText(error)}` };
  }

  let insideKeys: string[];
  try {
    insideKeys = await sampleInside(target, store, options.sample, topLevel);
  } catch (error) {
    failed(error, `could not list objects under ${target.prefix} to sample their keys`);
    insideKeys = [];
  }
  const outsideKeys = outside.sampleKeys.slice(0, options.sample);
  const seen = new Map<string, UnreadableKey>();
  const described = new Map<string, KeyDescription | undefined>();
  /** Whether the role may decrypt with `keyId` (an ARN, key id or alias): granted, or AWS managed. */
  const usable = async (keyId: string): Promise<boolean> => {
    if (readable.has(keyId) || [...readable].some((arn) => arn.endsWith(`:key/${keyId}`))) return true;
    if (keyId === target.kmsAlias || keyId.endsWith(`:${target.kmsAlias}`)) return readable.size > 0;
    if (!described.has(keyId)) {
      try {
        described.set(keyId, await store.describeKey(target, keyId));
      } catch (error) {
        failed(error, `could not describe KMS key ${keyId}`);
        described.set(keyId, undefined);
      }
    }
    const description = described.get(keyId);
    if (description && readable.has(description.arn)) return true;
    // The AWS managed key aws/s3 lets every principal of the account use it through S3.
    return description?.manager === "AWS";
  };
  const record = (keyId: string, where: UnreadableKey["where"], objectKey?: string) => {
    const id = `${where} ${keyId}`;
    const previous = seen.get(id);
    seen.set(id, {
      keyId,
      where,
      objects: (previous?.objects ?? 0) + (objectKey === undefined ? 0 : 1),
      ...((previous?.example ?? objectKey) !== undefined ? { example: previous?.example ?? objectKey } : {}),
    });
  };

  if (isKms(defaultEncryption) && defaultEncryption?.kmsKeyId && !(await usable(defaultEncryption.kmsKeyId)))
    record(defaultEncryption.kmsKeyId, "default");
  let sampledInside = 0;
  let sampledOutside = 0;
  for (const [where, keys] of [
    ["inside", insideKeys],
    ["outside", outsideKeys],
  ] as const) {
    for (const key of keys) {
      let encryption: Encryption;
      try {
        encryption = await store.head(target, key);
      } catch (error) {
        failed(error, `could not read the encryption of ${key} (HeadObject)`);
        continue;
      }
      if (where === "inside") sampledInside++;
      else sampledOutside++;
      if (isKms(encryption) && encryption.kmsKeyId && !(await usable(encryption.kmsKeyId)))
        record(encryption.kmsKeyId, where, key);
    }
  }
  return {
    status: "checked",
    readableKeys: [...readable],
    sampled: { inside: sampledInside, outside: sampledOutside },
    unreadable: [...seen.values()],
  };
}

async function sampleInside(
  target: CoverageTarget,
  store: CoverageStore,
  sample: number,
  topLevel: TopLevel,
): Promise<string[]> {
  // A complete top-level listing without the prefix says there is nothing under it: no call needed.
  if (topLevel.complete && !topLevel.prefixes.includes(target.prefix)) return [];
  const page = await store.list(target, { prefix: target.prefix, maxKeys: sample });
  return page.objects.slice(0, sample).map((object) => object.key);
}

function isKms(encryption: Encryption | undefined): boolean {
  return encryption?.algorithm === "aws:kms" || encryption?.algorithm === "aws:kms:dsse";
}

/** What the inventory says against what is there. */
function layoutNotes(target: CoverageTarget, outside: Outside): string[] {
  const some = outside.objects > 0;
  if (target.layout === "under-account-prefix" && some)
    return [
      `the inventory says keys: under-account-prefix, but objects are outside ${target.prefix}: ` +
        "move them under it, or write keys: partial",
    ];
  if (target.layout === "partial" && !some && outside.complete)
    return [
      `the inventory says keys: partial, but every object is under ${target.prefix}: ` +
        "keys: under-account-prefix says so",
    ];
  if (target.layout === "created" && some)
    return [`something writes outside ${target.prefix} in this bucket; only keys under it are replicated`];
  return [];
}

function coverageDetail(
  target: CoverageTarget,
  outside: Outside,
  unreadableInside: readonly UnreadableKey[],
  topLevel: TopLevel,
): string {
  const problems: string[] = [];
  if (outside.objects > 0) {
    const floor = outside.complete ? "" : "at least ";
    problems.push(
      `${floor}${formatCount(outside.objects)} object${outside.objects === 1 ? "" : "s"} ` +
        `(${floor}${formatCount(outside.bytes)} bytes) outside ${target.prefix}` +
        (outside.complete ? "" : " (--deep counts them all)"),
    );
  }
  for (const key of unreadableInside) {
    problems.push(
      key.where === "default"
        ? `new objects are encrypted with KMS key ${key.keyId}, which the replication role may not decrypt`
        : `objects under ${target.prefix} use KMS key ${key.keyId}, ` +
            "which the replication role may not decrypt (their replication FAILS)",
    );
  }
  if (problems.length > 0) return `NOT PROTECTED: ${problems.join("; ")}`;
  if (topLevel.prefixes.length === 0 && topLevel.rootObjects.length === 0) return "covered (the bucket is empty)";
  return `covered: every object is under ${target.prefix}`;
}

export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function interleave(lists: readonly (readonly string[])[]): string[] {
  const out: string[] = [];
  for (let i = 0; lists.some((list) => i < list.length); i++) {
    for (const list of lists) if (i < list.length) out.push(list[i]);
  }
  return out;
}

function listErrorText(error: unknown, target: CoverageTarget): string {
  const name = (error as { name?: string; Code?: string })?.Code ?? (error as { name?: string })?.name;
  if (name === "NoSuchBucket") return `bucket ${target.bucket} does not exist`;
  if (name === "PermanentRedirect" || name === "AuthorizationHeaderMalformed")
    return `bucket ${target.bucket} is not in ${target.region} (${awsErrorText(error)})`;
  return awsErrorText(error);
}
