import type { DeleteMarkerEntry, ObjectVersion } from "@aws-sdk/client-s3";

/**
 * `restore`, the pure part: which version of every key to restore as of a point in time, where it goes,
 * what stands in the way at the target, and the plan a person reads before anything is written.
 *
 * Everything here streams over ListObjectVersions pages and is linear in the number of versions: S3 lists
 * keys in ascending (UTF-8 binary) order and the versions of one key newest first, so one pass with the
 * state of the current key is enough; nothing is sorted globally. The versions of one key may be split
 * over pages, which is why the state is carried from page to page. No I/O in this file.
 */

/** S3 storage classes a CopyObject cannot read until RestoreObject has made a temporary copy (hours). */
export const ARCHIVE_STORAGE_CLASSES: ReadonlySet<string> = new Set(["GLACIER", "DEEP_ARCHIVE"]);
/** Archive classes read like any other (milliseconds): no RestoreObject. */
export const IMMEDIATE_ARCHIVE_STORAGE_CLASSES: ReadonlySet<string> = new Set(["GLACIER_IR"]);
/** S3's limit on a key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/** One ListObjectVersions page, as the SDK returns it (only the fields used here). */
export interface VersionPage {
  readonly Versions?: readonly ObjectVersion[];
  readonly DeleteMarkers?: readonly DeleteMarkerEntry[];
}

/** What is restored from where to where. */
export interface RestoreScope {
  readonly accountId: string;
  /** `--prefix`, relative to `<accountId>/` ("" = the whole account). */
  readonly prefix: string;
  /** Keep `<accountId>/` in the target keys (`--keep-prefix`); otherwise it is stripped. */
  readonly keepPrefix: boolean;
  /** Target key prefix: "" (bucket root) or ending in "/". */
  readonly targetPrefix: string;
  /** The point in time, epoch milliseconds: the version current then is restored. */
  readonly asOf: number;
}

/** One object to restore: a version of the central bucket and the key it gets at the target. */
export interface RestoreEntry {
  /** Key in the central bucket (`<accountId>/...`). */
  readonly key: string;
  readonly versionId: string;
  readonly targetKey: string;
  readonly size: number;
  /** LastModified of the version, epoch milliseconds (S3 keeps the source's time on replicas). */
  readonly lastModified: number;
  readonly storageClass: string;
  readonly etag?: string;
  /** The checksum algorithm S3 stores with the version, when the listing names one. */
  readonly checksumAlgorithm?: string;
  /** GLACIER / DEEP_ARCHIVE without a restored copy: CopyObject would fail until RestoreObject. */
  readonly archived: boolean;
}

export interface SelectionStats {
  readonly versionsListed: number;
  readonly deleteMarkersListed: number;
  readonly keysSeen: number;
  /** Keys whose every version is newer than the as-of time: they did not exist yet. */
  readonly notYetCreated: number;
  /** Keys whose newest entry at the as-of time is a delete marker in the central bucket. */
  readonly deletedAtAsOf: number;
  /** Keys that cannot be written at the target (empty, or longer than 1,024 bytes with the prefix). */
  readonly unmappable: readonly string[];
}

export interface Selection {
  /** In key order (which is also target-key order: the mapping only replaces a common prefix). */
  readonly entries: readonly RestoreEntry[];
  readonly stats: SelectionStats;
}

/** `<accountId>/` + `--prefix`: what ListObjectVersions is asked for. */
export function listingPrefix(scope: Pick<RestoreScope, "accountId" | "prefix">): string {
  return `${scope.accountId}/${scope.prefix}`;
}

/** Where a central key goes at the target. */
export function targetKeyOf(
  scope: Pick<RestoreScope, "accountId" | "keepPrefix" | "targetPrefix">,
  key: string,
): string {
  const accountPrefix = `${scope.accountId}/`;
  return scope.targetPrefix + (scope.keepPrefix ? key : key.slice(accountPrefix.length));
}

/** The target prefix under which every restored key falls (listed for conflicts and `--exact`). */
export function targetScopePrefix(scope: RestoreScope): string {
  return scope.targetPrefix + (scope.keepPrefix ? listingPrefix(scope) : scope.prefix);
}

/**
 * Compares keys as S3 orders them: by UTF-8 bytes, which is code point order. JavaScript's `<` compares
 * UTF-16 code units, which differs when a surrogate pair (U+10000 and up) meets U+E000–U+FFFF; the
 * first differing unit is remapped so that surrogates sort above that range.
 */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codeUnitRank(x) - codeUnitRank(y);
  }
  return a.length - b.length;
}

function codeUnitRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

interface Item {
  readonly key: string;
  readonly lastModified: number;
  readonly version?: ObjectVersion;
}

function timeOf(value: Date | string | undefined): number {
  if (value === undefined) return Number.NaN;
  return value instanceof Date ? value.getTime() : Date.parse(value);
}

/**
 * One page's versions and delete markers in S3's combined order: key ascending, then newest first.
 * Both arrays are already in that order, so this is a linear merge. At equal times the entry S3 marks
 * IsLatest comes first, then a version before a delete marker: S3 keeps LastModified to the second, and
 * when a key was deleted and written again within one second without either being the latest, the
 * order is not in the SDK's answer — taking the version restores data rather than losing it.
 */
function* mergedItems(page: VersionPage): Generator<Item> {
  const versions = page.Versions ?? [];
  const markers = page.DeleteMarkers ?? [];
  let v = 0;
  let m = 0;
  while (v < versions.length || m < markers.length) {
    const version = versions[v];
    const marker = markers[m];
    let takeVersion: boolean;
    if (!marker) takeVersion = true;
    else if (!version) takeVersion = false;
    else {
      const byKey = compareKeys(version.Key ?? "", marker.Key ?? "");
      if (byKey !== 0) takeVersion = byKey < 0;
      else {
        const vt = timeOf(version.LastModified);
        const mt = timeOf(marker.LastModified);
        if (vt !== mt) takeVersion = vt > mt;
        else takeVersion = version.IsLatest === true || marker.IsLatest !== true;
      }
    }
    if (takeVersion) {
      v++;
      yield { key: version.Key ?? "", lastModified: timeOf(version.LastModified), version };
    } else {
      m++;
      yield { key: marker.Key ?? "", lastModified: timeOf(marker.LastModified) };
    }
  }
}

/**
 * Chooses, page by page, the version of every key that was current at `scope.asOf`: the newest entry with
 * LastModified <= as-of. If that entry is a delete marker the key did not exist then (skipped, counted);
 * if every entry is newer the key did not exist yet (skipped, counted). Ties keep the entry S3 listed
 * first, which is the newer one. Linear in versions; memory: the chosen entries only.
 */
export class VersionSelector {
  private readonly entries: RestoreEntry[] = [];
  private readonly unmappable: string[] = [];
  private readonly accountPrefix: string;
  private readonly listPrefix: string;
  private versionsListed = 0;
  private deleteMarkersListed = 0;
  private keysSeen = 0;
  private notYetCreated = 0;
  private deletedAtAsOf = 0;
  private currentKey: string | undefined;
  /** The newest entry of the current key at or before as-of; null = a delete marker. */
  private best: { item: Item } | undefined;

  constructor(
    private readonly scope: RestoreScope,
    private readonly now: number = Date.now(),
  ) {
    this.accountPrefix = `${scope.accountId}/`;
    this.listPrefix = listingPrefix(scope);
  }

  addPage(page: VersionPage): void {
    this.versionsListed += page.Versions?.length ?? 0;
    this.deleteMarkersListed += page.DeleteMarkers?.length ?? 0;
    for (const item of mergedItems(page)) {
      // Defensive: S3 only lists keys under the prefix asked for.
      if (!item.key.startsWith(this.listPrefix)) continue;
      if (item.key !== this.currentKey) {
        if (this.currentKey !== undefined && compareKeys(this.currentKey, item.key) > 0) {
          throw new Error(
            `ListObjectVersions returned '${item.key}' after '${this.currentKey}': ` +
              "keys out of order, the selection would be wrong",
          );
        }
        this.endKey();
        this.currentKey = item.key;
        this.keysSeen++;
      }
      if (!(item.lastModified <= this.scope.asOf)) continue;
      if (!this.best || item.lastModified > this.best.item.lastModified) this.best = { item };
    }
  }

  finish(): Selection {
    this.endKey();
    this.currentKey = undefined;
    return {
      entries: this.entries,
      stats: {
        versionsListed: this.versionsListed,
        deleteMarkersListed: this.deleteMarkersListed,
        keysSeen: this.keysSeen,
        notYetCreated: this.notYetCreated,
        deletedAtAsOf: this.deletedAtAsOf,
        unmappable: this.unmappable,
      },
    };
  }

  private endKey(): void {
    const key = this.currentKey;
    const best = this.best;
    this.best = undefined;
    if (key === undefined) return;
    if (!best) {
      this.notYetCreated++;
      return;
    }
    const version = best.item.version;
    if (!version) {
      this.deletedAtAsOf++;
      return;
    }
    const targetKey = targetKeyOf(this.scope, key);
    // The account's own folder object (`<accountId>/`) with the account stripped is the only key that maps to ""
    // (or, under a target prefix, to that prefix itself): refused with the keys too long for S3.
    if (Buffer.byteLength(targetKey) > MAX_KEY_BYTES || (!this.scope.keepPrefix && key === this.accountPrefix)) {
      this.unmappable.push(key);
      return;
    }
    const storageClass = version.StorageClass ?? "STANDARD";
    this.entries.push({
      key,
      versionId: version.VersionId ?? "null",
      targetKey,
      size: version.Size ?? 0,
      lastModified: best.item.lastModified,
      storageClass,
      ...(version.ETag ? { etag: version.ETag } : {}),
      ...(version.ChecksumAlgorithm?.[0] ? { checksumAlgorithm: version.ChecksumAlgorithm[0] } : {}),
      archived: ARCHIVE_STORAGE_CLASSES.has(storageClass) && !hasRestoredCopy(version, this.now),
    });
  }
}

/** An archived version with a finished RestoreObject whose temporary copy has not expired yet. */
function hasRestoredCopy(version: ObjectVersion, now: number): boolean {
  const status = version.RestoreStatus;
  if (!status || status.IsRestoreInProgress) return false;
  const expiry = timeOf(status.RestoreExpiryDate);
  return Number.isFinite(expiry) && expiry > now;
}

/** Convenience for tests and the bench: every page at once. */
export function selectVersions(scope: RestoreScope, pages: Iterable<VersionPage>, now?: number): Selection {
  const selector = new VersionSelector(scope, now);
  for (const page of pages) selector.addPage(page);
  return selector.finish();
}

// ---------------------------------------------------------------------------------------------------
// The target: what is there already, what the journal says is done, what `--exact` marks deleted.
// ---------------------------------------------------------------------------------------------------

/** A current object at the target (ListObjectsV2). */
export interface TargetObject {
  readonly key: string;
  readonly size: number;
  readonly etag?: string;
  /** Epoch milliseconds. */
  readonly lastModified: number;
}

export interface ReconcileOptions {
  /** `key\0versionId` of every entry a journal records as done. */
  readonly done: ReadonlySet<string>;
  /**
   * When resuming: objects at the target modified at or after this time (epoch ms) with the planned size
   * were written by an earlier run of the same restore whose journal line was lost (a copy that finished
   * as the process was killed): they count as done and are not copied again.
   */
  readonly ourWritesSince?: number;
  readonly overwrite: boolean;
  readonly exact: boolean;
}

export interface Conflict {
  readonly entry: RestoreEntry;
  readonly existing: TargetObject;
}

export interface Reconciled {
  /** To copy now, in key order. */
  readonly toCopy: readonly RestoreEntry[];
  /** Archived (GLACIER / DEEP_ARCHIVE) and not done: needs RestoreObject first; not copied. */
  readonly archived: readonly RestoreEntry[];
  readonly alreadyDone: number;
  readonly alreadyDoneBytes: number;
  /** The target already holds this very object (same size and ETag): nothing to copy. */
  readonly identical: number;
  /** Written by an earlier run of this restore but not journaled (see ourWritesSince): to journal as done. */
  readonly ours: readonly RestoreEntry[];
  /** Exist at the target and differ: refused without --overwrite (with it they are in toCopy too). */
  readonly conflicts: readonly Conflict[];
  /** `--exact`: target keys in scope that did not exist at the as-of time, to get a delete marker. */
  readonly deleteMarkers: readonly string[];
}

export function journalKey(entry: Pick<RestoreEntry, "key" | "versionId">): string {
  return `${entry.key}\u0000${entry.versionId}`;
}

/**
 * Joins the selection with the target's current objects under the target scope prefix. Both are in key
 * order, so this is a merge: linear, and the target listing is consumed page by page
 * (`add`), never held. Objects must arrive in S3 key order; a listing out of order throws.
 */
export class TargetReconciler {
  private index = 0;
  private previous: string | undefined;
  private readonly toCopy: RestoreEntry[] = [];
  private readonly archived: RestoreEntry[] = [];
  private readonly ours: RestoreEntry[] = [];
  private readonly conflicts: Conflict[] = [];
  private readonly deleteMarkers: string[] = [];
  private alreadyDone = 0;
  private alreadyDoneBytes = 0;
  private identical = 0;

  constructor(
    private readonly entries: readonly RestoreEntry[],
    private readonly options: ReconcileOptions,
  ) {}

  add(objects: Iterable<TargetObject>): void {
    for (const object of objects) {
      if (this.previous !== undefined && compareKeys(this.previous, object.key) >= 0) {
        throw new Error(`the target listing returned '${object.key}' after '${this.previous}': keys out of order`);
      }
      this.previous = object.key;
      // Entries before this key have nothing at the target.
      while (this.index < this.entries.length && compareKeys(this.entries[this.index].targetKey, object.key) < 0)
        this.decide(this.entries[this.index++]);
      const entry = this.entries[this.index];
      if (entry && entry.targetKey === object.key) {
        this.index++;
        this.decide(entry, object);
      } else if (this.options.exact) {
        this.deleteMarkers.push(object.key);
      }
    }
  }

  finish(): Reconciled {
    while (this.index < this.entries.length) this.decide(this.entries[this.index++]);
    return {
      toCopy: this.toCopy,
      archived: this.archived,
      alreadyDone: this.alreadyDone,
      alreadyDoneBytes: this.alreadyDoneBytes,
      identical: this.identical,
      ours: this.ours,
      conflicts: this.conflicts,
      deleteMarkers: this.deleteMarkers,
    };
  }

  private decide(entry: RestoreEntry, existing?: TargetObject): void {
    if (this.options.done.has(journalKey(entry))) {
      this.alreadyDone++;
      this.alreadyDoneBytes += entry.size;
      return;
    }
    if (existing) {
      if (existing.size === entry.size && existing.etag !== undefined && existing.etag === entry.etag) {
        this.identical++;
        return;
      }
      if (
        this.options.ourWritesSince !== undefined &&
        existing.lastModified >= this.options.ourWritesSince &&
        existing.size === entry.size
      ) {
        this.ours.push(entry);
        return;
      }
    }
    if (entry.archived) {
      this.archived.push(entry);
      return;
    }
    if (existing) {
      this.conflicts.push({ entry, existing });
      if (!this.options.overwrite) return;
    }
    this.toCopy.push(entry);
  }
}

export function reconcile(
  entries: readonly RestoreEntry[],
  target: Iterable<TargetObject>,
  options: ReconcileOptions,
): Reconciled {
  const reconciler = new TargetReconciler(entries, options);
  reconciler.add(target);
  return reconciler.finish();
}

// ---------------------------------------------------------------------------------------------------
// The plan a person reads.
// ---------------------------------------------------------------------------------------------------

export interface ClassTotal {
  readonly storageClass: string;
  readonly objects: number;
  readonly bytes: number;
}

export interface PlanSummary {
  readonly objects: number;
  readonly bytes: number;
  /** The oldest and newest version chosen. */
  readonly oldest?: { readonly key: string; readonly lastModified: string };
  readonly newest?: { readonly key: string; readonly lastModified: string };
  /** Largest first. */
  readonly storageClasses: readonly ClassTotal[];
  /** Chosen versions in GLACIER / DEEP_ARCHIVE without a restored copy: RestoreObject first (hours). */
  readonly needArchiveRestore: { readonly objects: number; readonly bytes: number };
  /** GLACIER_IR: archive pricing, read immediately. */
  readonly immediateArchive: { readonly objects: number; readonly bytes: number };
  readonly largest?: { readonly key: string; readonly size: number };
}

/** Totals of a selection, in one pass. */
export function summarize(entries: readonly RestoreEntry[]): PlanSummary {
  let bytes = 0;
  let oldest: RestoreEntry | undefined;
  let newest: RestoreEntry | undefined;
  let largest: RestoreEntry | undefined;
  const classes = new Map<string, { objects: number; bytes: number }>();
  const archive = { objects: 0, bytes: 0 };
  const immediate = { objects: 0, bytes: 0 };
  for (const entry of entries) {
    bytes += entry.size;
    if (!oldest || entry.lastModified < oldest.lastModified) oldest = entry;
    if (!newest || entry.lastModified > newest.lastModified) newest = entry;
    if (!largest || entry.size > largest.size) largest = entry;
    const total = classes.get(entry.storageClass) ?? { objects: 0, bytes: 0 };
    total.objects++;
    total.bytes += entry.size;
    classes.set(entry.storageClass, total);
    if (entry.archived) {
      archive.objects++;
      archive.bytes += entry.size;
    }
    if (IMMEDIATE_ARCHIVE_STORAGE_CLASSES.has(entry.storageClass)) {
      immediate.objects++;
      immediate.bytes += entry.size;
    }
  }
  const iso = (entry: RestoreEntry) => ({ key: entry.key, lastModified: new Date(entry.lastModified).toISOString() });
  return {
    objects: entries.length,
    bytes,
    ...(oldest ? { oldest: iso(oldest) } : {}),
    ...(newest ? { newest: iso(newest) } : {}),
    storageClasses: [...classes]
      .map(([storageClass, total]) => ({ storageClass, ...total }))
      .sort((a, b) => b.bytes - a.bytes || a.storageClass.localeCompare(b.storageClass)),
    needArchiveRestore: archive,
    immediateArchive: immediate,
    ...(largest ? { largest: { key: largest.key, size: largest.size } } : {}),
  };
}

/** Everything the plan shows. */
export interface RestorePlan {
  readonly accountId: string;
  readonly accountName: string;
  /** `s3://central/<accountId>/<prefix>` */
  readonly source: string;
  /** `s3://target/<prefix>` */
  readonly target: string;
  readonly keepPrefix: boolean;
  readonly asOf: string;
  readonly summary: PlanSummary;
  readonly stats: SelectionStats;
  readonly reconciled: Reconciled;
  /** Warnings and facts worth knowing before the copy (replication lag, deletions, versioning...). */
  readonly notes: readonly string[];
  readonly exact: boolean;
  readonly overwrite: boolean;
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ${UNITS[unit]}`;
}

export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

/** How many of a long list the text plan shows (JSON has them all). */
export const LISTED_IN_TEXT = 10;

function listSome(items: readonly string[], limit = LISTED_IN_TEXT): string[] {
  return [
    ...items.slice(0, limit),
    ...(items.length > limit ? [`… and ${formatCount(items.length - limit)} more (--json lists all)`] : []),
  ];
}

export function formatPlan(plan: RestorePlan): string {
  const { summary: s, stats, reconciled: r } = plan;
  const lines: string[] = [];
  lines.push(`restore plan: account ${plan.accountId} (${plan.accountName}), ${plan.source} as of ${plan.asOf}`);
  lines.push(
    `  to        ${plan.target} ` +
      `(${plan.keepPrefix ? `keys keep ${plan.accountId}/` : `${plan.accountId}/ stripped from the keys`})`,
  );
  if (plan.exact && r.deleteMarkers.length > 0) {
    lines.push(
      `  exact     ${formatCount(r.deleteMarkers.length)} key(s) at the target did not exist at ${plan.asOf}: ` +
        "each gets a delete marker (versioning keeps its data):",
    );
    for (const key of listSome(r.deleteMarkers)) lines.push(`              ${key}`);
  }
  lines.push(
    `  versions  ${formatCount(stats.versionsListed)} versions and ` +
      `${formatCount(stats.deleteMarkersListed)} delete markers of ${formatCount(stats.keysSeen)} keys listed`,
  );
  lines.push(
    `  select    ${formatCount(s.objects)} objects, ${formatBytes(s.bytes)}` +
      (s.oldest && s.newest ? `; versions from ${s.oldest.lastModified} to ${s.newest.lastModified}` : ""),
  );
  if (s.storageClasses.length > 0) {
    const classes = s.storageClasses.map((c) => {
      const tag = ARCHIVE_STORAGE_CLASSES.has(c.storageClass)
        ? ", archive: RestoreObject first"
        : IMMEDIATE_ARCHIVE_STORAGE_CLASSES.has(c.storageClass)
          ? ", immediate"
          : "";
      return `${c.storageClass} ${formatCount(c.objects)} (${formatBytes(c.bytes)}${tag})`;
    });
    lines.push(`  classes   ${classes.join(", ")}`);
  }
  const skipped = [
    ...(stats.notYetCreated > 0 ? [`${formatCount(stats.notYetCreated)} key(s) created after the as-of time`] : []),
    ...(stats.deletedAtAsOf > 0
      ? [`${formatCount(stats.deletedAtAsOf)} key(s) deleted at that time (a delete marker in the central bucket)`]
      : []),
    ...(stats.unmappable.length > 0
      ? [
          `${formatCount(stats.unmappable.length)} key(s) ` +
            "that cannot be written at the target (empty or over 1,024 bytes)",
        ]
      : []),
  ];
  if (skipped.length > 0) lines.push(`  skipped   ${skipped.join("; ")}`);
  const atTarget = [
    `${formatCount(r.toCopy.length)} to copy (${formatBytes(r.toCopy.reduce((sum, e) => sum + e.size, 0))})`,
    ...(r.alreadyDone > 0 ? [`${formatCount(r.alreadyDone)} already restored (journal)`] : []),
    ...(r.ours.length > 0
      ? [`${formatCount(r.ours.length)} restored by the interrupted run (found at the target)`]
      : []),
    ...(r.identical > 0 ? [`${formatCount(r.identical)} identical at the target already`] : []),
    ...(r.conflicts.length > 0
      ? [
          `${formatCount(r.conflicts.length)} exist at the target and differ ` +
            `(${plan.overwrite ? "overwritten: --overwrite" : "refused without --overwrite"})`,
        ]
      : []),
  ];
  lines.push(`  target    ${atTarget.join(", ")}`);
  if (r.conflicts.length > 0 && !plan.overwrite) {
    for (const key of listSome(
      r.conflicts.map((c) => c.entry.targetKey),
      5,
    ))
      lines.push(`              exists: ${key}`);
  }
  if (r.archived.length > 0) {
    lines.push(
      `  archived  ${formatCount(r.archived.length)} object(s), ` +
        `${formatBytes(r.archived.reduce((sum, e) => sum + e.size, 0))}, are in GLACIER / DEEP_ARCHIVE: ` +
        "NOT copied until a RestoreObject makes them readable (hours); then rerun:",
    );
    for (const entry of r.archived.slice(0, 3)) {
      lines.push(
        `              aws s3api restore-object --bucket ${bucketOf(plan.source)} --key '${entry.key}' ` +
          `--version-id ${entry.versionId} --restore-request 'Days=7,GlacierJobParameters={Tier=Bulk}'`,
      );
    }
    if (r.archived.length > 3)
      lines.push(
        "              (for many objects: an S3 Batch Operations job " +
          "with the operation S3InitiateRestoreObject over the --json manifest)",
      );
  }
  for (const note of plan.notes) lines.push(`  note      ${note}`);
  return `${lines.join("\n")}\n`;
}

function bucketOf(s3Url: string): string {
  return s3Url.replace(/^s3:\/\//, "").split("/")[0];
}

/** The manifest in `--json`: every chosen version and where it goes, and the keys `--exact` marks. */
export function planJson(plan: RestorePlan): object {
  const entry = (e: RestoreEntry) => ({
    key: e.key,
    versionId: e.versionId,
    targetKey: e.targetKey,
    size: e.size,
    lastModified: new Date(e.lastModified).toISOString(),
    storageClass: e.storageClass,
    ...(e.archived ? { needsArchiveRestore: true } : {}),
  });
  const r = plan.reconciled;
  return {
    accountId: plan.accountId,
    source: plan.source,
    target: plan.target,
    asOf: plan.asOf,
    keepPrefix: plan.keepPrefix,
    summary: plan.summary,
    stats: plan.stats,
    toCopy: r.toCopy.map(entry),
    archived: r.archived.map(entry),
    alreadyDone: r.alreadyDone,
    identical: r.identical,
    restoredByInterruptedRun: r.ours.map(entry),
    conflicts: r.conflicts.map((c) => ({
      ...entry(c.entry),
      existing: { size: c.existing.size, lastModified: new Date(c.existing.lastModified).toISOString() },
    })),
    ...(plan.exact ? { deleteMarkers: r.deleteMarkers } : {}),
    notes: plan.notes,
  };
}

// ---------------------------------------------------------------------------------------------------
// Input.
// ---------------------------------------------------------------------------------------------------

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;
const AGO = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)\s+ago$/i;

/**
 * `--as-of`: an ISO 8601 time with a zone (`2026-11-25T07:00:00Z`, `2026-11-25T08:00+01:00`), or
 * `<n>s|m|h|d ago`. A time without a zone is refused: during an incident "07:00" in whose zone is the
 * one question that must not be guessed. The future is refused too (it would silently mean "now").
 */
export function parseAsOf(text: string, now: number): Parsed<number> {
  const trimmed = text.trim();
  let at: number;
  const ago = AGO.exec(trimmed);
  if (ago) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[ago[2].toLowerCase() as "s" | "m" | "h" | "d"];
    at = now - Number(ago[1]) * unit;
  } else if (ISO_WITH_ZONE.test(trimmed)) {
    at = Date.parse(trimmed);
  } else {
    return {
      ok: false,
      message: `--as-of must be an ISO 8601 time with a zone (2026-11-25T07:00:00Z) or '<n>h ago', got '${text}'`,
    };
  }
  if (!Number.isFinite(at)) return { ok: false, message: `--as-of '${text}' is not a valid time` };
  if (at > now)
    return {
      ok: false,
      message: `--as-of ${new Date(at).toISOString()} is in the future (now is ${new Date(now).toISOString()})`,
    };
  return { ok: true, value: at };
}

export interface S3Location {
  readonly bucket: string;
  /** undefined: no prefix given (`s3://bucket`); "" the bucket root (`s3://bucket/`); else ends in "/". */
  readonly prefix: string | undefined;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** `s3://bucket`, `s3://bucket/` (the root, explicitly), `s3://bucket/some/prefix` (a folder: "/" added). */
export function parseS3Url(text: string): Parsed<S3Location> {
  const match = /^s3:\/\/([^/]+)(\/(.*))?$/.exec(text);
  if (!match) return { ok: false, message: `--to must be s3://BUCKET[/PREFIX], got '${text}'` };
  const [, bucket, slash, rest] = match;
  if (!BUCKET_NAME.test(bucket) || bucket.includes(".."))
    return { ok: false, message: `--to: '${bucket}' is not a valid S3 bucket name` };
  if (slash === undefined) return { ok: true, value: { bucket, prefix: undefined } };
  // `(.*)` takes part whenever the slash does: rest is a string here ("" for `s3://bucket/`).
  const prefix = rest;
  return { ok: true, value: { bucket, prefix: prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/` } };
}

/** `20261125T070000Z`, for default prefixes and file names. */
export function timeStamp(at: number): string {
  return new Date(at)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}

/** The fresh prefix a restore writes to when `--to` names only a bucket. */
export function defaultTargetPrefix(accountId: string, asOf: number): string {
  return `restored-${accountId}-${timeStamp(asOf)}/`;
}

/** `--prefix`: relative to the account, no leading slash, no `..` games. */
export function parsePrefix(text: string | undefined): Parsed<string> {
  if (text === undefined) return { ok: true, value: "" };
  if (text.startsWith("/"))
    return { ok: false, message: `--prefix is relative to <accountId>/ and must not start with '/', got '${text}'` };
  return { ok: true, value: text };
}
