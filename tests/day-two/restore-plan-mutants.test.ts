import { expect } from "chai";
import {
  compareKeys,
  formatBytes,
  formatPlan,
  journalKey,
  parseAsOf,
  parsePrefix,
  parseS3Url,
  planJson,
  type Reconciled,
  type RestoreEntry,
  type RestorePlan,
  type RestoreScope,
  reconcile,
  type SelectionStats,
  selectVersions,
  summarize,
  type TargetObject,
  type VersionPage,
} from "../../automation/day-two/restore-plan";
import { ACCOUNT, at, cls, entry, marker, object, planOrigin, scope, T0, version } from "../support/restore-listing";

/**
 * Behaviours of restore planning that the mutation run (docs/mutation.md) showed untested: the merge of
 * versions and delete markers, the keys that cannot be written, the fields of a chosen version, the
 * boundaries of the target reconciliation, the totals, and every line of the plan a person reads.
 */

const chosen = (page: VersionPage, overrides: Partial<RestoreScope> = {}) =>
  selectVersions(scope(overrides), [page]).entries.map((e) => e.versionId);

const noOptions = { done: new Set<string>(), overwrite: false, exact: false };

const noStats: SelectionStats = {
  versionsListed: 0,
  deleteMarkersListed: 0,
  keysSeen: 0,
  notYetCreated: 0,
  deletedAtAsOf: 0,
  unmappable: [],
};
const nothingReconciled: Reconciled = {
  toCopy: [],
  archived: [],
  alreadyDone: 0,
  alreadyDoneBytes: 0,
  identical: 0,
  ours: [],
  conflicts: [],
  deleteMarkers: [],
};

/** A plan of the given entries: all to copy unless `reconciled` says otherwise. */
function plan(entries: readonly RestoreEntry[], overrides: Partial<RestorePlan> = {}): RestorePlan {
  return {
    ...planOrigin(),
    summary: summarize(entries),
    stats: { ...noStats, versionsListed: entries.length, keysSeen: entries.length },
    reconciled: { ...nothingReconciled, toCopy: entries },
    notes: [],
    exact: false,
    overwrite: false,
    ...overrides,
  };
}
const lines = (p: RestorePlan) => formatPlan(p).split("\n");
const lineOf = (p: RestorePlan, label: string) => lines(p).filter((line) => line.startsWith(`  ${label}`));

describe("restore plan: behaviours found by mutation testing", () => {
  describe("key order", () => {
    // Code points on each side of the UTF-16 surrogate range, where UTF-16 and UTF-8 orders part.
    const keys = ["a", "\ud55c", "\ud7ff", "\ue000", "\uf900", "\uffff", "\u{10000}", "\u{1f600}", "\u{10ffff}"];

    it("compares keys as S3 does at both edges of the surrogate range", () => {
      for (const a of keys)
        for (const b of keys)
          expect(Math.sign(compareKeys(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).to.equal(
            Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))),
          );
    });

    it("names both keys when a listing is out of order", () => {
      expect(() =>
        selectVersions(scope(), [{ Versions: [version("b", "1", 1)] }, { Versions: [version("a", "1", 1)] }]),
      ).to.throw(
        `ListObjectVersions returned '${ACCOUNT}/a' after '${ACCOUNT}/b': ` +
          "keys out of order, the selection would be wrong",
      );
    });

    it("accepts a listing in S3's order with such keys, and restores each of them", () => {
      const inS3Order = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      const { entries } = selectVersions(scope(), [{ Versions: inS3Order.map((k, i) => version(k, `v${i}`, 1)) }]);
      expect(entries.map((e) => e.targetKey)).to.deep.equal(inS3Order.map((k) => `restored/${k}`));
    });
  });

  describe("versions and delete markers of one page", () => {
    it("takes a delete marker of an earlier key before a version of a later key", () => {
      const { entries, stats } = selectVersions(scope(), [
        { Versions: [version("b", "b1", 5, { IsLatest: true })], DeleteMarkers: [marker("a", "am", 5, true)] },
      ]);
      expect(entries.map((e) => e.versionId)).to.deep.equal(["b1"]);
      expect(stats).to.deep.include({ keysSeen: 2, deletedAtAsOf: 1, notYetCreated: 0 });
    });

    it("orders a version and a delete marker of the same second by the rule even after a newer version", () => {
      // Written at minute 20, deleted in the same second (neither latest), written again at minute 25.
      const page = {
        Versions: [version("k", "v25", 25, { IsLatest: true }), version("k", "v20", 20)],
        DeleteMarkers: [marker("k", "m20", 20)],
      };
      expect(chosen(page, { asOf: at(22).getTime() })).to.deep.equal(["v20"]);
      expect(chosen(page, { asOf: at(26).getTime() })).to.deep.equal(["v25"]);
    });

    it("chooses by LastModified, not by the position in the listing", () => {
      const page = { Versions: [version("k", "older", 10), version("k", "newer", 20)] };
      expect(chosen(page)).to.deep.equal(["newer"]);
      expect(chosen(page, { asOf: at(15).getTime() })).to.deep.equal(["older"]);
    });

    it("reads a page without versions (S3 leaves the element out): its delete markers still count", () => {
      const selector = selectVersions(scope(), [
        { Versions: [version("a", "a1", 5)] },
        { DeleteMarkers: [marker("a", "am", 10, true), marker("b", "bm", 10, true)] },
      ]);
      expect(selector.entries).to.deep.equal([]);
      expect(selector.stats).to.deep.include({
        versionsListed: 1,
        deleteMarkersListed: 2,
        keysSeen: 2,
        deletedAtAsOf: 2,
      });
    });

    it("ignores entries without a Key (the SDK's types allow them): the rest is selected as without them", () => {
      const keyless = { ...version("x", "no-key", 20), Key: undefined };
      const keylessMarker = { ...marker("x", "no-key-marker", 20), Key: undefined };
      // A version and a delete marker of the same second: the version wins unless the marker is the latest.
      const cases: VersionPage[] = [
        { Versions: [version("k", "v", 20)], DeleteMarkers: [marker("k", "m", 20)] },
        { Versions: [version("k", "v", 20)], DeleteMarkers: [marker("k", "m", 20, true)] },
      ];
      for (const page of cases) {
        const without = selectVersions(scope(), [page]);
        for (const withKeyless of [
          { ...page, Versions: [keyless, ...(page.Versions ?? [])] },
          { ...page, DeleteMarkers: [keylessMarker, ...(page.DeleteMarkers ?? [])] },
        ]) {
          const selected = selectVersions(scope(), [withKeyless]);
          expect(selected.entries).to.deep.equal(without.entries);
          expect(selected.stats).to.deep.include({
            keysSeen: without.stats.keysSeen,
            deletedAtAsOf: without.stats.deletedAtAsOf,
          });
        }
      }
    });

    it("never restores a key outside the account and --prefix, even if the listing returns one", () => {
      const { entries, stats } = selectVersions(scope({ prefix: "docs/" }), [
        {
          Versions: [version("docs/a", "a", 1), version("photos/b", "b", 1), { ...version("c", "c", 1), Key: "222/c" }],
        },
      ]);
      expect(entries.map((e) => e.targetKey)).to.deep.equal(["restored/docs/a"]);
      expect(stats.keysSeen).to.equal(1);
    });
  });

  describe("keys that cannot be written at the target", () => {
    const folder = { ...version("", "folder", 1), Key: `${ACCOUNT}/` };

    it("does not restore the account's own folder object as the target prefix when stripping the account", () => {
      const { entries, stats } = selectVersions(scope(), [{ Versions: [folder, version("a", "a", 1)] }]);
      expect(entries.map((e) => e.targetKey)).to.deep.equal(["restored/a"]);
      expect(stats.unmappable).to.deep.equal([`${ACCOUNT}/`]);
    });

    it("restores it under the target prefix when the keys keep the account prefix", () => {
      const { entries, stats } = selectVersions(scope({ keepPrefix: true }), [{ Versions: [folder] }]);
      expect(entries.map((e) => e.targetKey)).to.deep.equal([`restored/${ACCOUNT}/`]);
      expect(stats.unmappable).to.deep.equal([]);
    });

    it("takes a target key of exactly 1,024 UTF-8 bytes and refuses one byte more (bytes, not characters)", () => {
      const keyOfBytes = (rest: string) => selectVersions(scope(), [{ Versions: [version(rest, "v", 1)] }]);
      // "restored/" is 9 bytes.
      expect(keyOfBytes("x".repeat(1015)).entries).to.have.length(1);
      expect(keyOfBytes("x".repeat(1016)).stats.unmappable).to.have.length(1);
      expect(keyOfBytes(`${"\u00e9".repeat(507)}x`).entries).to.have.length(1); // 1,014 + 1 + 9 bytes
      expect(keyOfBytes("\u00e9".repeat(508)).stats.unmappable).to.deep.equal([`${ACCOUNT}/${"\u00e9".repeat(508)}`]);
    });
  });

  describe("what a chosen version carries", () => {
    it("fills what the listing leaves out: class STANDARD, version id 'null' (written before versioning)", () => {
      const [e] = selectVersions(scope(), [
        { Versions: [{ ...version("a", "x", 1), StorageClass: undefined, VersionId: undefined }] },
      ]).entries;
      expect(e).to.deep.include({ storageClass: "STANDARD", versionId: "null" });
      expect(formatPlan(plan([e]))).to.contain("  classes   STANDARD 1 (10 B)");
    });

    it("keeps the checksum algorithm S3 stores with the version, and none when the listing names none", () => {
      const { entries } = selectVersions(scope(), [
        { Versions: [version("a", "a", 1, { ChecksumAlgorithm: ["SHA256"] }), version("b", "b", 1)] },
      ]);
      expect(entries[0].checksumAlgorithm).to.equal("SHA256");
      expect(entries[1]).to.not.have.property("checksumAlgorithm");
    });

    it("treats a restored copy that expires right now as gone", () => {
      const now = at(100).getTime();
      const archivedWith = (expiry: Date) =>
        selectVersions(
          scope({ asOf: now }),
          [
            {
              Versions: [
                version("g", "g", 1, {
                  StorageClass: cls("GLACIER"),
                  RestoreStatus: { IsRestoreInProgress: false, RestoreExpiryDate: expiry },
                }),
              ],
            },
          ],
          now,
        ).entries[0].archived;
      expect(archivedWith(new Date(now))).to.equal(true);
      expect(archivedWith(new Date(now + 1))).to.equal(false);
    });
  });

  describe("the target", () => {
    it("refuses a target listing that repeats a key", () => {
      expect(() => reconcile([entry("a")], [object("a"), object("a")], noOptions)).to.throw(
        "the target listing returned 'restored/a' after 'restored/a': keys out of order",
      );
    });

    it("counts the bytes the journal already restored", () => {
      const entries = [entry("a", { size: 7 }), entry("b", { size: 5 }), entry("c", { size: 100 })];
      const r = reconcile(entries, [], {
        ...noOptions,
        done: new Set([journalKey(entries[0]), journalKey(entries[1])]),
      });
      expect(r).to.deep.include({ alreadyDone: 2, alreadyDoneBytes: 12 });
    });

    it("calls an object identical only with the same size and the same ETag, never without an ETag", () => {
      const decide = (e: RestoreEntry, existing: TargetObject) => {
        const r = reconcile([e], [existing], noOptions);
        return { identical: r.identical, conflicts: r.conflicts.length };
      };
      const noEtag = entry("a", { etag: undefined });
      expect(decide(entry("a"), object("a", { etag: '"e-a"' }))).to.deep.equal({ identical: 1, conflicts: 0 });
      expect(decide(entry("a"), object("a", { etag: '"e-a"', size: 11 }))).to.deep.equal({
        identical: 0,
        conflicts: 1,
      });
      expect(decide(noEtag, object("a", { etag: undefined }))).to.deep.equal({ identical: 0, conflicts: 1 });
      expect(decide(noEtag, object("a", { etag: undefined, size: 11 }))).to.deep.equal({ identical: 0, conflicts: 1 });
    });

    it("on resume, counts an object written at the very time the journal began as written by the killed run", () => {
      const r = reconcile(
        [entry("a"), entry("b")],
        [object("a", { lastModified: T0 }), object("b", { lastModified: T0 - 1 })],
        {
          ...noOptions,
          ourWritesSince: T0,
        },
      );
      expect(r.ours.map((e) => e.targetKey)).to.deep.equal(["restored/a"]);
      expect(r.conflicts.map((c) => c.entry.targetKey)).to.deep.equal(["restored/b"]);
    });
  });

  describe("totals", () => {
    it("finds the oldest, newest and largest version wherever they are, the first one on a tie", () => {
      const entries = [
        entry("a", { lastModified: T0 + 5, size: 1 }),
        entry("b", { lastModified: T0 + 1, size: 9 }),
        entry("c", { lastModified: T0 + 1, size: 3 }),
        entry("d", { lastModified: T0 + 9, size: 9 }),
        entry("e", { lastModified: T0 + 9, size: 2 }),
        entry("f", { lastModified: T0 + 4, size: 1 }),
      ];
      const s = summarize(entries);
      expect(s.oldest).to.deep.equal({ key: `${ACCOUNT}/b`, lastModified: new Date(T0 + 1).toISOString() });
      expect(s.newest).to.deep.equal({ key: `${ACCOUNT}/d`, lastModified: new Date(T0 + 9).toISOString() });
      expect(s.largest).to.deep.equal({ key: `${ACCOUNT}/b`, size: 9 });
      const json = planJson(plan(entries)) as { summary: { largest?: unknown } };
      expect(json.summary.largest).to.deep.equal({ key: `${ACCOUNT}/b`, size: 9 });
    });

    it("has no oldest, newest or largest for an empty selection", () => {
      const s = summarize([]);
      expect(s).to.deep.equal({
        objects: 0,
        bytes: 0,
        storageClasses: [],
        needArchiveRestore: { objects: 0, bytes: 0 },
        immediateArchive: { objects: 0, bytes: 0 },
      });
    });

    it("prints bytes in the unit that keeps the number under 1,024, with 3 significant digits", () => {
      expect(formatBytes(1023)).to.equal("1023 B");
      expect(formatBytes(1024)).to.equal("1.00 KiB");
      expect(formatBytes(10 * 1024)).to.equal("10.0 KiB");
      expect(formatBytes(100 * 1024)).to.equal("100 KiB");
      expect(formatBytes(1024 ** 5)).to.equal("1.00 PiB");
      // Past the last unit the number grows instead.
      expect(formatBytes(1024 ** 6)).to.equal("1024 PiB");
    });
  });

  describe("the text plan", () => {
    const a = entry("a", { size: 10 });
    const b = entry("b", { size: 20 });

    it("says the keys keep the account prefix with --keep-prefix", () => {
      expect(lines(plan([a], { keepPrefix: true, target: "s3://target/" }))[1]).to.equal(
        `  to        s3://target/ (keys keep ${ACCOUNT}/)`,
      );
    });

    it("prints the listing's counts", () => {
      const stats = { ...noStats, versionsListed: 12345, deleteMarkersListed: 2, keysSeen: 1000 };
      expect(lineOf(plan([a], { stats }), "versions")).to.deep.equal([
        "  versions  12,345 versions and 2 delete markers of 1,000 keys listed",
      ]);
    });

    it("prints an empty selection as such: no time span, no classes, nothing skipped, nothing at the target", () => {
      expect(formatPlan(plan([], { stats: noStats }))).to.equal(
        [
          `restore plan: account ${ACCOUNT} (payments), s3://central/${ACCOUNT}/ as of ${at(30).toISOString()}`,
          `  to        s3://target/restored/ (${ACCOUNT}/ stripped from the keys)`,
          "  versions  0 versions and 0 delete markers of 0 keys listed",
          "  select    0 objects, 0 B",
          "  target    0 to copy (0 B)",
          "",
        ].join("\n"),
      );
    });

    it("prints no --exact section when no key gets a delete marker", () => {
      expect(lineOf(plan([a], { exact: true }), "exact")).to.deep.equal([]);
    });

    it("lists ten --exact delete markers, and says how many more there are past ten", () => {
      const markers = (n: number) => Array.from({ length: n }, (_, i) => `restored/z${String(i).padStart(2, "0")}`);
      const exactLines = (n: number) =>
        lines(plan([a], { exact: true, reconciled: { ...nothingReconciled, toCopy: [a], deleteMarkers: markers(n) } }))
          .slice(2)
          .filter((line) => line.startsWith("              "));
      expect(exactLines(10)).to.deep.equal(markers(10).map((key) => `              ${key}`));
      expect(exactLines(11)).to.deep.equal([
        ...markers(10).map((key) => `              ${key}`),
        "              … and 1 more (--json lists all)",
      ]);
    });

    it("separates the storage classes", () => {
      const g = entry("g", { size: 30, storageClass: "GLACIER_IR" });
      expect(lineOf(plan([a, g]), "classes")).to.deep.equal([
        "  classes   GLACIER_IR 1 (30 B, immediate), STANDARD 1 (10 B)",
      ]);
    });

    it("names only the kinds of skipped keys there are", () => {
      const skipped = (stats: Partial<SelectionStats>) =>
        lineOf(plan([a], { stats: { ...noStats, ...stats } }), "skipped");
      expect(skipped({})).to.deep.equal([]);
      expect(skipped({ notYetCreated: 2 })).to.deep.equal(["  skipped   2 key(s) created after the as-of time"]);
      expect(skipped({ deletedAtAsOf: 3 })).to.deep.equal([
        "  skipped   3 key(s) deleted at that time (a delete marker in the central bucket)",
      ]);
      expect(skipped({ unmappable: [`${ACCOUNT}/`] })).to.deep.equal([
        "  skipped   1 key(s) that cannot be written at the target (empty or over 1,024 bytes)",
      ]);
    });

    it("names only the kinds of target objects there are", () => {
      const target = (r: Partial<Reconciled>, overwrite = false) =>
        lineOf(plan([a, b], { reconciled: { ...nothingReconciled, ...r }, overwrite }), "target");
      expect(target({ toCopy: [a, b] })).to.deep.equal(["  target    2 to copy (30 B)"]);
      expect(target({ toCopy: [b], ours: [a] })).to.deep.equal([
        "  target    1 to copy (20 B), 1 restored by the interrupted run (found at the target)",
      ]);
      expect(target({ alreadyDone: 1, alreadyDoneBytes: 10, identical: 1 })).to.deep.equal([
        "  target    0 to copy (0 B), 1 already restored (journal), 1 identical at the target already",
      ]);
      expect(target({ toCopy: [a], conflicts: [{ entry: a, existing: object("a") }] }, true)).to.deep.equal([
        "  target    1 to copy (10 B), 1 exist at the target and differ (overwritten: --overwrite)",
      ]);
    });

    it("lists five conflicting keys when they are refused, none when --overwrite replaces them", () => {
      const keys = ["a", "b", "c", "d", "e", "f"];
      const conflicts = (n: number) => keys.slice(0, n).map((k) => ({ entry: entry(k), existing: object(k) }));
      const listed = (n: number, overwrite: boolean) =>
        lines(plan([], { reconciled: { ...nothingReconciled, conflicts: conflicts(n) }, overwrite })).filter((line) =>
          line.startsWith("              "),
        );
      expect(listed(5, false)).to.deep.equal(keys.slice(0, 5).map((k) => `              exists: restored/${k}`));
      expect(listed(6, false)).to.deep.equal([
        ...keys.slice(0, 5).map((k) => `              exists: restored/${k}`),
        "              exists: … and 1 more (--json lists all)",
      ]);
      expect(listed(1, true)).to.deep.equal([]);
    });

    it("gives a RestoreObject command for three archived objects, and a Batch Operations hint past three", () => {
      const archived = (n: number) =>
        Array.from({ length: n }, (_, i) => entry(`g${i}`, { storageClass: "GLACIER", archived: true }));
      const archivedLines = (n: number) =>
        lines(plan([], { reconciled: { ...nothingReconciled, archived: archived(n) } })).filter(
          (line) => line.startsWith("  archived") || line.startsWith("              "),
        );
      const command = (i: number) =>
        `              aws s3api restore-object --bucket central --key '${ACCOUNT}/g${i}' --version-id v-g${i} ` +
        "--restore-request 'Days=7,GlacierJobParameters={Tier=Bulk}'";
      const notCopied =
        "are in GLACIER / DEEP_ARCHIVE: NOT copied until a RestoreObject makes them readable (hours); then rerun:";
      expect(archivedLines(0)).to.deep.equal([]);
      expect(archivedLines(3)).to.deep.equal([
        `  archived  3 object(s), 30 B, ${notCopied}`,
        command(0),
        command(1),
        command(2),
      ]);
      expect(archivedLines(4)).to.deep.equal([
        `  archived  4 object(s), 40 B, ${notCopied}`,
        command(0),
        command(1),
        command(2),
        "              (for many objects: an S3 Batch Operations job with the operation S3InitiateRestoreObject " +
          "over the --json manifest)",
      ]);
    });
  });

  describe("the JSON manifest", () => {
    it("marks the versions that need RestoreObject, and gives each conflict the object it would replace", () => {
      const g = entry("g", { storageClass: "GLACIER", archived: true });
      const a = entry("a");
      const json = planJson(
        plan([a, g], {
          reconciled: {
            ...nothingReconciled,
            archived: [g],
            conflicts: [{ entry: a, existing: object("a", { size: 99, lastModified: T0 + 1000 }) }],
          },
        }),
      ) as { archived: object[]; conflicts: object[]; toCopy: object[] };
      expect(json.archived).to.deep.equal([
        {
          key: `${ACCOUNT}/g`,
          versionId: "v-g",
          targetKey: "restored/g",
          size: 10,
          lastModified: new Date(T0).toISOString(),
          storageClass: "GLACIER",
          needsArchiveRestore: true,
        },
      ]);
      expect(json.conflicts).to.deep.equal([
        {
          key: `${ACCOUNT}/a`,
          versionId: "v-a",
          targetKey: "restored/a",
          size: 10,
          lastModified: new Date(T0).toISOString(),
          storageClass: "STANDARD",
          existing: { size: 99, lastModified: new Date(T0 + 1000).toISOString() },
        },
      ]);
    });
  });

  describe("input", () => {
    const now = Date.parse("2026-11-25T12:00:00Z");

    it("reads --as-of with surrounding spaces, and 'now' itself is not the future", () => {
      expect(parseAsOf(" 3h ago\n", now)).to.deep.equal({ ok: true, value: now - 3 * 3_600_000 });
      expect(parseAsOf("\t2026-11-25T07:00:00Z ", now)).to.deep.equal({
        ok: true,
        value: Date.parse("2026-11-25T07:00:00Z"),
      });
      expect(parseAsOf("0s ago", now)).to.deep.equal({ ok: true, value: now });
      expect(parseAsOf("2026-11-25T12:00:00Z", now)).to.deep.equal({ ok: true, value: now });
    });

    it("says a well-formed --as-of that is no date is not a valid time", () => {
      expect(parseAsOf("2026-13-45T07:00:00Z", now)).to.deep.equal({
        ok: false,
        message: "--as-of '2026-13-45T07:00:00Z' is not a valid time",
      });
    });

    it("refuses --to that only contains an s3:// URL, or whose prefix spans lines, with the expected form", () => {
      expect(parseS3Url("see s3://my-bucket")).to.deep.equal({
        ok: false,
        message: "--to must be s3://BUCKET[/PREFIX], got 'see s3://my-bucket'",
      });
      expect(parseS3Url("s3://my-bucket/a\nb")).to.deep.equal({
        ok: false,
        message: "--to must be s3://BUCKET[/PREFIX], got 's3://my-bucket/a\nb'",
      });
    });

    it("names the invalid bucket, and the rule a --prefix breaks", () => {
      expect(parseS3Url("s3://My_Bucket/x")).to.deep.equal({
        ok: false,
        message: "--to: 'My_Bucket' is not a valid S3 bucket name",
      });
      expect(parsePrefix("/x")).to.deep.equal({
        ok: false,
        message: "--prefix is relative to <accountId>/ and must not start with '/', got '/x'",
      });
    });
  });
});
