import type { DeleteMarkerEntry, ObjectVersion } from "@aws-sdk/client-s3";
import { expect } from "chai";
import fc from "fast-check";
import {
  compareKeys,
  defaultTargetPrefix,
  formatPlan,
  journalKey,
  parseAsOf,
  parsePrefix,
  parseS3Url,
  planJson,
  reconcile,
  type RestorePlan,
  selectVersions,
  summarize,
  targetKeyOf,
  targetScopePrefix,
  type VersionPage,
  VersionSelector,
} from "../../automation/day-two/restore-plan";
import {
  ACCOUNT,
  at,
  cls,
  entry,
  version as listedVersion,
  marker,
  object,
  planOrigin,
  scope,
  T0,
} from "../support/restore-listing";

/** Sizes here are ten times the version id's length, so that the byte totals below tell versions apart. */
const version = (key: string, id: string, minutes: number, extra: Partial<ObjectVersion> = {}): ObjectVersion =>
  listedVersion(key, id, minutes, { Size: id.length * 10, ...extra });

/**
 * The central bucket as ListObjectVersions would page it: keys ascending, versions newest first, markers
 * in their own array. Times are minutes after T0.
 */
const history: VersionPage = {
  Versions: [
    // a: three versions; as of minute 30 the one of minute 20 was current.
    version("a.txt", "a3", 40, { IsLatest: true }),
    version("a.txt", "a2", 20),
    version("a.txt", "a1", 10),
    // b: created after the as-of time.
    version("b.txt", "b1", 35, { IsLatest: true }),
    // c: deleted in the source at minute 25; the central bucket never learned (no marker replicated).
    version("c.txt", "c1", 5, { IsLatest: true }),
    // d: deleted in the central bucket at minute 25 (delete marker replication on): gone at minute 30.
    version("d.txt", "d1", 5),
    // e: deleted at minute 15, written again at minute 28: restorable.
    version("e.txt", "e2", 28, { IsLatest: true }),
    version("e.txt", "e1", 1),
    // f: deleted only after the as-of time: the version before the marker is restored.
    version("f.txt", "f1", 2),
  ],
  DeleteMarkers: [marker("d.txt", "dm", 25, true), marker("e.txt", "em", 15), marker("f.txt", "fm", 45, true)],
};

describe("restore plan: selection as of a time", () => {
  it("picks per key the newest version at or before the as-of time, and skips keys that did not exist then", () => {
    const { entries, stats } = selectVersions(scope(), [history]);
    expect(entries.map((e) => [e.key, e.versionId, e.targetKey])).to.deep.equal([
      [`${ACCOUNT}/a.txt`, "a2", "restored/a.txt"],
      [`${ACCOUNT}/c.txt`, "c1", "restored/c.txt"],
      [`${ACCOUNT}/e.txt`, "e2", "restored/e.txt"],
      [`${ACCOUNT}/f.txt`, "f1", "restored/f.txt"],
    ]);
    expect(stats).to.deep.include({
      versionsListed: 9,
      deleteMarkersListed: 3,
      keysSeen: 6,
      notYetCreated: 1,
      deletedAtAsOf: 1,
    });
  });

  it("moves with the as-of time: before anything, between versions, after everything", () => {
    const pick = (minutes: number) =>
      selectVersions(scope({ asOf: at(minutes).getTime() }), [history]).entries.map((e) => e.versionId);
    expect(pick(0)).to.deep.equal([]);
    expect(pick(10)).to.deep.equal(["a1", "c1", "d1", "e1", "f1"]); // LastModified == as-of counts (<=)
    expect(pick(16)).to.deep.equal(["a1", "c1", "d1", "f1"]);
    expect(pick(60)).to.deep.equal(["a3", "b1", "c1", "e2"]);
  });

  it("gives the same selection however the listing is cut into pages, a key's versions split included", () => {
    type Item = { v?: ObjectVersion; m?: DeleteMarkerEntry };
    const items: Item[] = [
      ...(history.Versions ?? []).map((v) => ({ v })),
      ...(history.DeleteMarkers ?? []).map((m) => ({ m })),
    ];
    const order = (x: Item) => (x.v ?? x.m) as ObjectVersion | DeleteMarkerEntry;
    items.sort(
      (x, y) =>
        compareKeys(order(x).Key!, order(y).Key!) ||
        order(y).LastModified!.getTime() - order(x).LastModified!.getTime(),
    );
    const whole = selectVersions(scope(), [history]);
    for (let size = 1; size <= items.length; size++) {
      const pages: VersionPage[] = [];
      for (let i = 0; i < items.length; i += size) {
        const slice = items.slice(i, i + size);
        pages.push({
          Versions: slice.flatMap((x) => (x.v ? [x.v] : [])),
          DeleteMarkers: slice.flatMap((x) => (x.m ? [x.m] : [])),
        });
      }
      expect(selectVersions(scope(), pages), `pages of ${size}`).to.deep.equal(whole);
    }
  });

  it("at equal times (S3 keeps seconds) trusts IsLatest, then prefers the version to the delete marker", () => {
    const sameSecond = (markerLatest: boolean, versionLatest: boolean): string[] =>
      selectVersions(scope(), [
        {
          Versions: [version("k", "v", 10, { IsLatest: versionLatest })],
          DeleteMarkers: [marker("k", "m", 10, markerLatest)],
        },
      ]).entries.map((e) => e.versionId);
    expect(sameSecond(true, false)).to.deep.equal([]);
    expect(sameSecond(false, true)).to.deep.equal(["v"]);
    expect(sameSecond(false, false)).to.deep.equal(["v"]);
  });

  it("strips the account prefix, or keeps it, under the target prefix; --prefix narrows the listing and the target scope", () => {
    expect(targetKeyOf(scope(), `${ACCOUNT}/x/y.txt`)).to.equal("restored/x/y.txt");
    expect(targetKeyOf(scope({ keepPrefix: true, targetPrefix: "" }), `${ACCOUNT}/x/y.txt`)).to.equal(
      `${ACCOUNT}/x/y.txt`,
    );
    expect(targetScopePrefix(scope({ prefix: "x/" }))).to.equal("restored/x/");
    expect(targetScopePrefix(scope({ prefix: "x/", keepPrefix: true }))).to.equal(`restored/${ACCOUNT}/x/`);
    const onlyX = selectVersions(scope({ prefix: "c" }), [
      { Versions: [version("c.txt", "c1", 1), version("cc/d", "d", 1)] },
    ]);
    expect(onlyX.entries.map((e) => e.targetKey)).to.deep.equal(["restored/c.txt", "restored/cc/d"]);
  });

  it("refuses keys that cannot be written at the target rather than write a wrong one", () => {
    const { entries, stats } = selectVersions(scope({ targetPrefix: "" }), [
      { Versions: [{ ...version("", "dir", 1), Key: `${ACCOUNT}/` }, version("x".repeat(1020), "long", 1)] },
    ]);
    expect(entries.map((e) => e.versionId)).to.deep.equal(["long"]);
    const tooLong = selectVersions(scope({ targetPrefix: "p/".repeat(10) }), [
      { Versions: [version("x".repeat(1010), "long", 1)] },
    ]);
    expect(tooLong.entries).to.deep.equal([]);
    expect(tooLong.stats.unmappable).to.have.length(1);
    expect(stats.unmappable).to.deep.equal([`${ACCOUNT}/`]);
  });

  it("marks GLACIER and DEEP_ARCHIVE versions as needing RestoreObject unless a restored copy is available; GLACIER_IR is immediate", () => {
    const now = at(100).getTime();
    const { entries } = selectVersions(
      scope({ asOf: now }),
      [
        {
          Versions: [
            version("g1", "g", 1, { StorageClass: cls("GLACIER") }),
            version("g2", "g", 1, { StorageClass: cls("DEEP_ARCHIVE"), RestoreStatus: { IsRestoreInProgress: true } }),
            version("g3", "g", 1, {
              StorageClass: cls("GLACIER"),
              RestoreStatus: { IsRestoreInProgress: false, RestoreExpiryDate: at(200) },
            }),
            version("g4", "g", 1, {
              StorageClass: cls("GLACIER"),
              RestoreStatus: { IsRestoreInProgress: false, RestoreExpiryDate: at(50) },
            }),
            version("ir", "ir", 1, { StorageClass: cls("GLACIER_IR") }),
          ],
        },
      ],
      now,
    );
    expect(entries.map((e) => [e.key.slice(13), e.archived])).to.deep.equal([
      ["g1", true],
      ["g2", true],
      ["g3", false],
      ["g4", true],
      ["ir", false],
    ]);
    const summary = summarize(entries);
    expect(summary.needArchiveRestore).to.deep.equal({ objects: 3, bytes: 30 });
    expect(summary.immediateArchive).to.deep.equal({ objects: 1, bytes: 20 });
    expect(summary.storageClasses.map((c) => [c.storageClass, c.objects])).to.deep.equal([
      ["GLACIER", 3],
      ["GLACIER_IR", 1],
      ["DEEP_ARCHIVE", 1],
    ]);
  });

  it("summarizes counts, bytes and the oldest and newest version chosen", () => {
    const summary = summarize(selectVersions(scope(), [history]).entries);
    expect(summary).to.deep.include({ objects: 4, bytes: 80 });
    expect(summary.oldest).to.deep.equal({ key: `${ACCOUNT}/f.txt`, lastModified: at(2).toISOString() });
    expect(summary.newest).to.deep.equal({ key: `${ACCOUNT}/e.txt`, lastModified: at(28).toISOString() });
  });

  it("refuses a listing whose keys are out of order (the one-pass selection would be wrong)", () => {
    const selector = new VersionSelector(scope());
    selector.addPage({ Versions: [version("b", "1", 1)] });
    expect(() => selector.addPage({ Versions: [version("a", "1", 1)] })).to.throw(/out of order/);
  });

  it("orders keys as S3 does (UTF-8 bytes), not as JavaScript compares UTF-16", () => {
    // U+FF5E (3 UTF-8 bytes) sorts before U+1F600 (4 bytes), though its UTF-16 unit is larger than a surrogate.
    expect(compareKeys("\uff5e", "\u{1f600}")).to.be.lessThan(0);
    expect("\uff5e" < "\u{1f600}").to.equal(false);
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), fc.string({ unit: "grapheme" }), (a, b) => {
        expect(Math.sign(compareKeys(a, b))).to.equal(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
      }),
      { numRuns: 2000 },
    );
  });
});

describe("restore plan: the target", () => {
  const entries = [entry("a"), entry("b"), entry("c"), entry("d"), entry("e", { archived: true }), entry("f")];

  it("copies what is missing, skips what the journal did and what is identical, refuses what differs", () => {
    const r = reconcile(entries, [object("b", { etag: '"e-b"' }), object("c"), object("zz")], {
      done: new Set([journalKey(entries[3])]),
      overwrite: false,
      exact: false,
    });
    expect(r.toCopy.map((e) => e.targetKey)).to.deep.equal(["restored/a", "restored/f"]);
    expect(r.identical).to.equal(1);
    expect(r.alreadyDone).to.equal(1);
    expect(r.conflicts.map((c) => c.entry.targetKey)).to.deep.equal(["restored/c"]);
    expect(r.archived.map((e) => e.targetKey)).to.deep.equal(["restored/e"]);
    expect(r.deleteMarkers).to.deep.equal([]);
  });

  it("with --overwrite copies the differing objects too; with --exact marks the keys that did not exist then", () => {
    const r = reconcile(entries, [object("0-new"), object("c"), object("cc"), object("zz")], {
      done: new Set(),
      overwrite: true,
      exact: true,
    });
    expect(r.toCopy.map((e) => e.targetKey)).to.deep.equal([
      "restored/a",
      "restored/b",
      "restored/c",
      "restored/d",
      "restored/f",
    ]);
    expect(r.conflicts).to.have.length(1);
    expect(r.deleteMarkers).to.deep.equal(["restored/0-new", "restored/cc", "restored/zz"]);
  });

  it("on resume, counts objects written since the journal began with the planned size as done by the killed run", () => {
    const r = reconcile(
      entries,
      [
        object("a", { lastModified: T0 + 1000 }),
        object("b", { lastModified: T0 + 1000, size: 11 }),
        object("c", { lastModified: T0 - 1000 }),
      ],
      {
        done: new Set(),
        ourWritesSince: T0,
        overwrite: false,
        exact: false,
      },
    );
    expect(r.ours.map((e) => e.targetKey)).to.deep.equal(["restored/a"]);
    expect(r.conflicts.map((c) => c.entry.targetKey)).to.deep.equal(["restored/b", "restored/c"]);
  });

  it("refuses a target listing out of order", () => {
    expect(() =>
      reconcile(entries, [object("b"), object("a")], { done: new Set(), overwrite: false, exact: false }),
    ).to.throw(/out of order/);
  });
});

describe("restore plan: what a person reads", () => {
  const selection = selectVersions(scope(), [history]);
  const plan = (overrides: Partial<RestorePlan> = {}): RestorePlan => ({
    ...planOrigin(),
    summary: summarize(selection.entries),
    stats: selection.stats,
    reconciled: reconcile(selection.entries, [{ key: "restored/zzz", size: 1, lastModified: T0 }], {
      done: new Set(),
      overwrite: false,
      exact: true,
    }),
    notes: ["deletions in the source are not replicated"],
    exact: true,
    overwrite: false,
    ...overrides,
  });

  it("prints counts, bytes, the time span, classes and skips, with --exact's delete markers first", () => {
    const text = formatPlan(plan());
    const lines = text.split("\n");
    expect(lines[0]).to.equal(
      `restore plan: account ${ACCOUNT} (payments), s3://central/${ACCOUNT}/ as of 2026-11-20T10:30:00.000Z`,
    );
    expect(lines[1]).to.equal(`  to        s3://target/restored/ (${ACCOUNT}/ stripped from the keys)`);
    expect(lines[2]).to.match(/^ {2}exact {5}1 key\(s\) at the target did not exist at .*: each gets a delete marker/);
    expect(lines[3]).to.equal("              restored/zzz");
    expect(text).to.contain(
      "  select    4 objects, 80 B; versions from 2026-11-20T10:02:00.000Z to 2026-11-20T10:28:00.000Z",
    );
    expect(text).to.contain("  classes   STANDARD 4 (80 B)");
    expect(text).to.contain(
      "  skipped   1 key(s) created after the as-of time; " +
        "1 key(s) deleted at that time (a delete marker in the central bucket)",
    );
    expect(text).to.contain("  target    4 to copy (80 B)");
    expect(text).to.contain("  note      deletions in the source are not replicated");
  });

  it("gives the manifest as JSON: every version chosen and where it goes", () => {
    const manifest = planJson(plan()) as {
      toCopy: { key: string; versionId: string; targetKey: string }[];
      deleteMarkers: string[];
    };
    expect(manifest.toCopy.map((e) => `${e.key}@${e.versionId} -> ${e.targetKey}`)).to.deep.equal([
      `${ACCOUNT}/a.txt@a2 -> restored/a.txt`,
      `${ACCOUNT}/c.txt@c1 -> restored/c.txt`,
      `${ACCOUNT}/e.txt@e2 -> restored/e.txt`,
      `${ACCOUNT}/f.txt@f1 -> restored/f.txt`,
    ]);
    expect(manifest.deleteMarkers).to.deep.equal(["restored/zzz"]);
  });
});

describe("restore plan: input", () => {
  const now = Date.parse("2026-11-25T12:00:00Z");

  it("reads --as-of as ISO 8601 with a zone or '<n>h ago', and refuses the rest and the future", () => {
    expect(parseAsOf("2026-11-25T07:00:00Z", now)).to.deep.equal({
      ok: true,
      value: Date.parse("2026-11-25T07:00:00Z"),
    });
    expect(parseAsOf("2026-11-25T08:00+01:00", now)).to.deep.equal({
      ok: true,
      value: Date.parse("2026-11-25T07:00:00Z"),
    });
    expect(parseAsOf("3h ago", now)).to.deep.equal({ ok: true, value: now - 3 * 3_600_000 });
    expect(parseAsOf("90m ago", now)).to.deep.equal({ ok: true, value: now - 90 * 60_000 });
    for (const bad of ["yesterday", "2026-11-25", "2026-11-25T07:00:00", "2026-13-45T07:00:00Z"]) {
      const parsed = parseAsOf(bad, now);
      expect(parsed.ok, bad).to.equal(false);
    }
    expect(parseAsOf("2026-11-25T07:00:00", now)).to.deep.include({
      message:
        "--as-of must be an ISO 8601 time with a zone (2026-11-25T07:00:00Z) or '<n>h ago', got '2026-11-25T07:00:00'",
    });
    expect(parseAsOf("2026-11-26T00:00:00Z", now)).to.deep.equal({
      ok: false,
      message: "--as-of 2026-11-26T00:00:00.000Z is in the future (now is 2026-11-25T12:00:00.000Z)",
    });
  });

  it("reads --to: a bucket alone (fresh prefix), the root, or a prefix as a folder", () => {
    expect(parseS3Url("s3://my-bucket")).to.deep.equal({ ok: true, value: { bucket: "my-bucket", prefix: undefined } });
    expect(parseS3Url("s3://my-bucket/")).to.deep.equal({ ok: true, value: { bucket: "my-bucket", prefix: "" } });
    expect(parseS3Url("s3://my-bucket/a/b")).to.deep.equal({
      ok: true,
      value: { bucket: "my-bucket", prefix: "a/b/" },
    });
    expect(parseS3Url("s3://my-bucket/a/b/")).to.deep.equal({
      ok: true,
      value: { bucket: "my-bucket", prefix: "a/b/" },
    });
    expect(parseS3Url("my-bucket").ok).to.equal(false);
    expect(parseS3Url("s3://My_Bucket/x").ok).to.equal(false);
    expect(defaultTargetPrefix(ACCOUNT, Date.parse("2026-11-25T07:00:00.123Z"))).to.equal(
      `restored-${ACCOUNT}-20261125T070000Z/`,
    );
    expect(parsePrefix("/x").ok).to.equal(false);
    expect(parsePrefix(undefined)).to.deep.equal({ ok: true, value: "" });
  });
});
