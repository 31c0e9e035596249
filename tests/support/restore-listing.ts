import type { DeleteMarkerEntry, ObjectVersion } from "@aws-sdk/client-s3";
import type { RestoreEntry, RestorePlan, RestoreScope, TargetObject } from "../../automation/day-two/restore-plan";

/**
 * What restore planning's unit tests feed it, for one account: versions and delete markers as
 * ListObjectVersions pages them, the scope of a restore, the entries it chose and the objects already at
 * the target. Times are minutes after T0.
 */

export const ACCOUNT = "111111111111";
export const T0 = Date.parse("2026-11-20T10:00:00Z");
export const at = (minutes: number) => new Date(T0 + minutes * 60_000);

export function version(key: string, id: string, minutes: number, extra: Partial<ObjectVersion> = {}): ObjectVersion {
  return {
    Key: `${ACCOUNT}/${key}`,
    VersionId: id,
    LastModified: at(minutes),
    Size: 10,
    ETag: `"etag-${id}"`,
    StorageClass: "STANDARD",
    ...extra,
  };
}

export function marker(key: string, id: string, minutes: number, isLatest = false): DeleteMarkerEntry {
  return { Key: `${ACCOUNT}/${key}`, VersionId: id, LastModified: at(minutes), IsLatest: isLatest };
}

/** The SDK types ObjectVersion.StorageClass as "STANDARD" only; S3 answers every class. */
export const cls = (name: string) => name as ObjectVersion["StorageClass"];

/** The whole account into `restored/`, as of minute 30. */
export const scope = (overrides: Partial<RestoreScope> = {}): RestoreScope => ({
  accountId: ACCOUNT,
  prefix: "",
  keepPrefix: false,
  targetPrefix: "restored/",
  asOf: at(30).getTime(),
  ...overrides,
});

/** The fields of a plan that say where from, where to and as of when: those of `scope()`, for "payments". */
export const planOrigin = (): Pick<
  RestorePlan,
  "accountId" | "accountName" | "source" | "target" | "keepPrefix" | "asOf"
> => ({
  accountId: ACCOUNT,
  accountName: "payments",
  source: `s3://central/${ACCOUNT}/`,
  target: "s3://target/restored/",
  keepPrefix: false,
  asOf: at(30).toISOString(),
});

/** A chosen version of `key`, 10 bytes, to be copied to `restored/KEY`. */
export const entry = (key: string, extra: Partial<RestoreEntry> = {}): RestoreEntry => ({
  key: `${ACCOUNT}/${key}`,
  versionId: `v-${key}`,
  targetKey: `restored/${key}`,
  size: 10,
  lastModified: T0,
  storageClass: "STANDARD",
  etag: `"e-${key}"`,
  archived: false,
  ...extra,
});

/** An object already at `restored/KEY`, of the same size as an entry but another ETag. */
export const object = (key: string, extra: Partial<TargetObject> = {}): TargetObject => ({
  key: `restored/${key}`,
  size: 10,
  etag: '"other"',
  lastModified: T0,
  ...extra,
});
