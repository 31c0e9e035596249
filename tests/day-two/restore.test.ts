import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { expect } from "chai";
import type { Interrupts } from "../../automation/cli/interrupts";
import { main } from "../../automation/cli/main";
import { type RestoreDeps, restoreCommand } from "../../automation/cli/commands/restore";
import { AwsClients } from "../../automation/day-two/aws-clients";
import { type RestoreAws, restoreAws } from "../../automation/day-two/restore-aws";
import { readJournal } from "../../automation/day-two/restore-journal";
import { capturedMainIo } from "../support/captured-io";
import { inventory, sourceAccount } from "../support/inventory-fixture";
import { inProcessRestoreCommand } from "../support/restore-command";
import {
  freePort,
  type LocalServer,
  type Moto,
  type RecordedRequest,
  skipWithoutMoto,
  startMoto,
  startRecordingServer,
} from "../support/moto";

/**
 * `restore` end to end on the emulator (moto_server on 127.0.0.1): the central bucket holds versions
 * written at known times (moto stamps LastModified from its own clock, to the second, so the history is
 * written in three seconds with pauses of 1.1 s, once for the whole suite); each test restores into its
 * own prefix of a versioned target bucket, so a second copy of any object would show as a second version.
 * The selection's edge cases (ties, pages, markers, archive states) are unit-tested on listing pages in
 * restore-plan.test.ts; here the real calls are proven.
 */

const PAYMENTS = sourceAccount("111111111111", { name: "payments" });
const inv = inventory({ sources: [PAYMENTS, sourceAccount("222222222222", { name: "ledger" })] });
const CENTRAL = inv.central.bucketName;
const TARGET = "acme-restore-target";
const A = PAYMENTS.accountId;

/** What a test can do to the S3 calls of the command: count them, fail some, press Ctrl-C. */
interface Tap {
  /** Commands sent (by name) and, for copies, the target keys that succeeded. */
  calls: string[];
  copied: string[];
  /** Throw this instead of sending the n-th CopyObject (1-based), when it returns an error. */
  failCopy?: (n: number) => Error | undefined;
  /** Called after each successful CopyObject with their count. */
  afterCopy?: (n: number) => void;
}

function tapped(aws: RestoreAws, tap: Tap): RestoreAws {
  const seen = new WeakSet<S3Client>();
  let copies = 0;
  return {
    s3(region) {
      const client = aws.s3(region);
      if (!seen.has(client)) {
        seen.add(client);
        client.middlewareStack.add(
          (next, context) => async (args) => {
            const name = String(context.commandName);
            tap.calls.push(name);
            if (name !== "CopyObjectCommand") return next(args);
            const n = ++copies;
            const injected = tap.failCopy?.(n);
            if (injected) throw injected;
            const result = await next(args);
            tap.copied.push(String((args.input as { Key?: string }).Key));
            tap.afterCopy?.(tap.copied.length);
            return result;
          },
          { step: "initialize", name: "restoreTestTap" },
        );
      }
      return client;
    },
    s3Control: (region) => aws.s3Control(region),
  };
}

/** Interrupts the test presses itself: `press()` calls every handler registered now, as one Ctrl-C would. */
function ctrlC(): { handlers: Set<() => void>; interrupts: Interrupts; press: () => void } {
  const handlers = new Set<() => void>();
  const interrupts: Interrupts = {
    onInterrupt(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
  };
  return {
    handlers,
    interrupts,
    press: () => {
      for (const handler of handlers) handler();
    },
  };
}

function accessDenied(): Error {
  return Object.assign(new Error("Access Denied"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } });
}

describe("restore: against the emulator", function () {
  this.timeout(60_000);
  let moto: Moto;
  let clients: AwsClients;
  let asOf: string;
  const bodies = { a1: "alpha-1", a2: "alpha-two", a3: "alpha-three!!", c1: "charlie", d1: "delta", b1: "bravo" };
  let cwd: string;

  const asRole = (roleArn: string): S3Client =>
    clients.s3("eu-west-1", clients.assumeRole(roleArn, "eu-west-1", "test"));
  const central = () => asRole(inv.central.roleArn);

  before(async function () {
    await skipWithoutMoto(this);
    moto = await startMoto();
    clients = new AwsClients(moto.env);
    await createBucket(central(), CENTRAL, true);
    await createBucket(asRole(PAYMENTS.roleArn), PAYMENTS.bucket.name, true);
    await createBucket(asRole(inv.central.roleArn), TARGET, true);
    await createBucket(asRole(inv.central.roleArn), "acme-restore-unversioned", false);

    // Second 1: a.txt v1, c.txt (deleted in the source later: the central bucket never hears of it),
    // d.txt and its delete marker in the central bucket, an archived object, another account's object.
    const put = (key: string, body: string | Buffer, extra: object = {}) =>
      central().send(new PutObjectCommand({ Bucket: CENTRAL, Key: key, Body: body, ...extra }));
    const withMeta = {
      ContentType: "text/plain",
      Metadata: { owner: "ann" },
      Tagging: "team=blue",
      ChecksumAlgorithm: "CRC32" as const,
    };
    await put(`${A}/docs/a.txt`, bodies.a1, withMeta);
    await put(`${A}/docs/c.txt`, bodies.c1, withMeta);
    await put(`${A}/docs/d.txt`, bodies.d1);
    await central().send(new DeleteObjectCommand({ Bucket: CENTRAL, Key: `${A}/docs/d.txt` }));
    await put(`${A}/archive/g.bin`, "frozen", { StorageClass: "GLACIER" });
    await put(`${A}/archive/ir.bin`, "instant", { StorageClass: "GLACIER_IR" });
    await put("222222222222/docs/x.txt", "not this account's");
    await pause(1100);
    // Second 2: a.txt v2 — the version current at the as-of time.
    const v2 = await put(`${A}/docs/a.txt`, bodies.a2, withMeta);
    await pause(1100);
    // Second 3: a.txt v3 and b.txt, both after the as-of time.
    await put(`${A}/docs/a.txt`, bodies.a3, withMeta);
    await put(`${A}/docs/b.txt`, bodies.b1);
    const head = await central().send(
      new HeadObjectCommand({ Bucket: CENTRAL, Key: `${A}/docs/a.txt`, VersionId: v2.VersionId }),
    );
    asOf = new Date((head.LastModified as Date).getTime() + 500).toISOString();

    // Many small objects for the resume tests, and one object big enough for three 5 MiB parts.
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => put(`${A}/many/${String(i).padStart(3, "0")}.txt`, `object ${i}`)),
    );
    await put(`${A}/big/blob.bin`, bigBody(), {
      ContentType: "application/x-test",
      Metadata: { kind: "big" },
      Tagging: "size=large",
    });
  });

  after(async () => {
    await moto?.stop();
  });

  beforeEach(() => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), "restore-test-"));
  });
  afterEach(() => fs.rmSync(cwd, { recursive: true, force: true }));

  const capture = (env: NodeJS.ProcessEnv = moto.env) => capturedMainIo(cwd, env);

  /** argv restoring payments' docs/ as of `asOf` (after a.txt v2, before v3 and b.txt) to `to`, then `rest`. */
  const docsAsOf = (to: string, ...rest: string[]) => [
    "--account",
    A,
    "--prefix",
    "docs/",
    "--as-of",
    asOf,
    "--to",
    to,
    ...rest,
  ];

  function deps(tap: Tap, overrides: Partial<RestoreDeps> = {}): RestoreDeps {
    return {
      loadInventory: async () => inv,
      aws: (env, roleArn, runId, concurrency) => tapped(restoreAws(env, roleArn, runId, concurrency), tap),
      interrupts: { onInterrupt: () => () => {} },
      exit: (code) => expect.fail(`exit(${code}) without a second Ctrl-C`),
      now: () => new Date(),
      checksums: "always",
      ...overrides,
    };
  }

  async function run(
    argv: string[],
    options: { tap?: Tap; env?: NodeJS.ProcessEnv; deps?: Partial<RestoreDeps> } = {},
  ) {
    const tap = options.tap ?? { calls: [], copied: [] };
    const io = capture(options.env);
    const code = await restoreCommand(deps(tap, options.deps)).run(argv, io);
    return { code, out: io.out(), err: io.err(), tap };
  }

  /** Versions (and delete markers) under a prefix of a bucket, by key. */
  async function versionsAt(
    bucket: string,
    prefix: string,
  ): Promise<Map<string, { versions: number; markers: number }>> {
    const listed = await central().send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix }));
    const byKey = new Map<string, { versions: number; markers: number }>();
    for (const v of listed.Versions ?? [])
      byKey.set(v.Key ?? "", {
        versions: (byKey.get(v.Key ?? "")?.versions ?? 0) + 1,
        markers: byKey.get(v.Key ?? "")?.markers ?? 0,
      });
    for (const m of listed.DeleteMarkers ?? [])
      byKey.set(m.Key ?? "", {
        versions: byKey.get(m.Key ?? "")?.versions ?? 0,
        markers: (byKey.get(m.Key ?? "")?.markers ?? 0) + 1,
      });
    return byKey;
  }

  async function currentKeys(bucket: string, prefix: string): Promise<string[]> {
    const listed = await central().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    return (listed.Contents ?? []).map((o) => o.Key ?? "");
  }

  async function text(bucket: string, key: string): Promise<string> {
    const got = await central().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await got.Body?.transformToString()) ?? "";
  }

  it("--dry-run prints the plan and, with --json, the manifest: the version current at --as-of per key; writes nothing", async () => {
    const { code, out, err } = await run([
      "--account",
      A,
      "--as-of",
      asOf,
      "--to",
      `s3://${TARGET}/dry`,
      "--dry-run",
      "--json",
    ]);
    expect(code, err).to.equal(0);
    const plan = JSON.parse(out);
    const chosen = Object.fromEntries(plan.toCopy.map((e: { key: string; targetKey: string }) => [e.key, e.targetKey]));
    expect(chosen[`${A}/docs/a.txt`]).to.equal("dry/docs/a.txt");
    expect(chosen).to.have.property(`${A}/docs/c.txt`); // deleted in the source: still restorable
    expect(chosen).to.not.have.property(`${A}/docs/b.txt`); // created after the as-of time
    expect(chosen).to.not.have.property(`${A}/docs/d.txt`); // delete marker in the central bucket
    expect(chosen).to.have.property(`${A}/archive/ir.bin`); // GLACIER_IR: immediate
    expect(plan.archived.map((e: { key: string }) => e.key)).to.deep.equal([`${A}/archive/g.bin`]);
    expect(Object.keys(chosen).some((key) => key.startsWith("222222222222/"))).to.equal(false);
    // b.txt, and the 41 objects the suite wrote after the history (many/, big/).
    expect(plan.stats).to.deep.include({ notYetCreated: 42, deletedAtAsOf: 1 });
    expect(plan.summary.needArchiveRestore).to.deep.equal({ objects: 1, bytes: 6 });
    expect(err).to.match(/^restore plan: account 111111111111 \(payments\)/m);
    expect(await currentKeys(TARGET, "dry/")).to.deep.equal([]);
    expect(fs.existsSync(path.join(cwd, "logs"))).to.equal(false);
  });

  it("restores the version current at --as-of with metadata, content headers and tags, checksums compared; a rerun copies nothing", async () => {
    const first = await run(docsAsOf(`s3://${TARGET}/happy`));
    expect(first.code, first.err + first.out).to.equal(0);
    expect(first.out).to.match(/^ {2}select {4}2 objects/m);
    expect(first.out).to.contain("restore: copied 2 object(s)");
    expect(first.out).to.contain("2 checksum(s) compared, all equal");
    expect(first.err).to.match(/restore: journal logs\/restore\/111111111111-[0-9a-f]{12}-\d{8}T\d{6}Z\.journal/);
    expect((await currentKeys(TARGET, "happy/")).sort()).to.deep.equal(["happy/docs/a.txt", "happy/docs/c.txt"]);
    expect(await text(TARGET, "happy/docs/a.txt")).to.equal(bodies.a2);
    expect(await text(TARGET, "happy/docs/c.txt")).to.equal(bodies.c1);
    const head = await central().send(new HeadObjectCommand({ Bucket: TARGET, Key: "happy/docs/a.txt" }));
    expect(head.ContentType).to.equal("text/plain");
    expect(head.Metadata).to.deep.equal({ owner: "ann" });
    const tags = await central().send(new GetObjectTaggingCommand({ Bucket: TARGET, Key: "happy/docs/a.txt" }));
    expect(tags.TagSet).to.deep.equal([{ Key: "team", Value: "blue" }]);

    const again = await run(docsAsOf(`s3://${TARGET}/happy`));
    expect(again.code, again.err).to.equal(0);
    expect(again.out).to.contain("2 already restored (journal)");
    expect(again.err).to.contain("nothing left to do");
    expect(again.tap.calls.filter((c) => c === "CopyObjectCommand")).to.deep.equal([]);
    for (const [key, count] of await versionsAt(TARGET, "happy/"))
      expect(count, key).to.deep.equal({ versions: 1, markers: 0 });
  });

  it("refuses to overwrite what exists at the target (exit 2, nothing written); --overwrite replaces it and versioning keeps the old", async () => {
    const setup = await run(docsAsOf(`s3://${TARGET}/over`));
    expect(setup.code, setup.err).to.equal(0);
    // A later point in time: a.txt is v3 now, which differs from what the target holds.
    const refused = await run(["--account", A, "--prefix", "docs/", "--to", `s3://${TARGET}/over`]);
    expect(refused.code).to.equal(2);
    expect(refused.err).to.contain(
      "1 object(s) exist at s3://acme-restore-target/over/ and differ (first: over/docs/a.txt); nothing was written",
    );
    expect(refused.out).to.contain("1 exist at the target and differ (refused without --overwrite)");
    expect(refused.tap.calls.filter((c) => c === "CopyObjectCommand")).to.deep.equal([]);
    expect(await text(TARGET, "over/docs/a.txt")).to.equal(bodies.a2);

    const replaced = await run(["--account", A, "--prefix", "docs/", "--to", `s3://${TARGET}/over`, "--overwrite"]);
    expect(replaced.code, replaced.err).to.equal(0);
    expect(await text(TARGET, "over/docs/a.txt")).to.equal(bodies.a3);
    expect((await versionsAt(TARGET, "over/docs/a.txt")).get("over/docs/a.txt")).to.deep.equal({
      versions: 2,
      markers: 0,
    });
    // c.txt is the same version both times: identical at the target, not copied again.
    expect(replaced.out).to.match(/identical at the target already/);
    expect((await versionsAt(TARGET, "over/docs/c.txt")).get("over/docs/c.txt")).to.deep.equal({
      versions: 1,
      markers: 0,
    });
  });

  it("reports archived objects (GLACIER) without copying them: exit 1, with the RestoreObject to request", async () => {
    const { code, out } = await run([
      "--account",
      A,
      "--prefix",
      "archive/",
      "--as-of",
      asOf,
      "--to",
      `s3://${TARGET}/arch`,
    ]);
    expect(code).to.equal(1);
    expect(out).to.match(/classes {3}.*GLACIER 1 \(6 B, archive: RestoreObject first\)/);
    expect(out).to.match(/GLACIER_IR 1 \(7 B, immediate\)/);
    expect(out).to.contain("archived  1 object(s), 6 B, are in GLACIER / DEEP_ARCHIVE: NOT copied");
    expect(out).to.contain(`aws s3api restore-object --bucket ${CENTRAL} --key '${A}/archive/g.bin'`);
    expect(out).to.contain("restore: 1 archived object(s) NOT copied");
    expect(await currentKeys(TARGET, "arch/")).to.deep.equal(["arch/archive/ir.bin"]);
  });

  it("copies above the multipart threshold in parts (UploadPartCopy), keeping metadata and tags", async () => {
    const { code, out, err, tap } = await run([
      "--account",
      A,
      "--prefix",
      "big/",
      "--to",
      `s3://${TARGET}/mp`,
      "--multipart-threshold",
      "5MiB",
      "--part-size",
      "5MiB",
    ]);
    expect(code, err + out).to.equal(0);
    expect(out).to.contain("1 in parts");
    expect(tap.calls.filter((c) => c === "UploadPartCopyCommand")).to.have.length(3);
    expect(tap.calls.filter((c) => c === "CopyObjectCommand")).to.have.length(0);
    const got = await central().send(new GetObjectCommand({ Bucket: TARGET, Key: "mp/big/blob.bin" }));
    expect(
      Buffer.from(await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()).equals(
        bigBody(),
      ),
    ).to.equal(true);
    expect(got.ContentType).to.equal("application/x-test");
    expect(got.Metadata).to.deep.equal({ kind: "big" });
    const tags = await central().send(new GetObjectTaggingCommand({ Bucket: TARGET, Key: "mp/big/blob.bin" }));
    expect(tags.TagSet).to.deep.equal([{ Key: "size", Value: "large" }]);
  });

  it("after failures mid-run, the rerun (without --as-of: the unfinished restore's time) copies each object exactly once", async () => {
    const tap: Tap = { calls: [], copied: [], failCopy: (n) => (n > 10 && n <= 20 ? accessDenied() : undefined) };
    const first = await run(
      ["--account", A, "--prefix", "many/", "--to", `s3://${TARGET}/resume`, "--concurrency", "4", "--json"],
      { tap },
    );
    expect(first.code).to.equal(1);
    const report = JSON.parse(first.out);
    expect(report.outcome.copied).to.equal(30);
    expect(report.outcome.failures).to.have.length(10);
    expect(report.outcome.failures[0]).to.deep.include({
      kind: "access-denied",
      message: "AccessDenied: Access Denied",
    });
    const journal = readJournal(report.journal);
    expect(journal?.done.size).to.equal(30);
    expect(journal?.complete).to.equal(false);

    const second = await run([
      "--account",
      A,
      "--prefix",
      "many/",
      "--to",
      `s3://${TARGET}/resume`,
      "--concurrency",
      "4",
    ]);
    expect(second.code, second.err + second.out).to.equal(0);
    expect(second.err).to.contain(`continuing the unfinished restore as of ${report.asOf}`);
    expect(second.out).to.contain("10 to copy");
    expect(second.out).to.contain("30 already restored (journal)");
    const copiedKeys = [...tap.copied, ...second.tap.copied].sort();
    expect(copiedKeys).to.have.length(40);
    expect(new Set(copiedKeys).size).to.equal(40);
    const versions = await versionsAt(TARGET, "resume/");
    expect(versions.size).to.equal(40);
    for (const [key, count] of versions) expect(count, key).to.deep.equal({ versions: 1, markers: 0 });
    expect(readJournal(report.journal)?.complete).to.equal(true);
  });

  it("Ctrl-C finishes the copies in flight, exits 130, and the rerun goes on without copying anything twice", async () => {
    const { handlers, interrupts, press } = ctrlC();
    const tap: Tap = {
      calls: [],
      copied: [],
      afterCopy: (n) => {
        if (n === 7) press();
      },
    };
    const first = await run(
      ["--account", A, "--prefix", "many/", "--to", `s3://${TARGET}/ctrlc`, "--concurrency", "2"],
      { tap, deps: { interrupts } },
    );
    expect(first.code).to.equal(130);
    expect(first.err).to.contain("Ctrl-C: finishing the copies in flight");
    expect(first.out).to.match(/restore: interrupted; \d+ object\(s\) not copied yet/);
    expect(handlers.size).to.equal(0);
    const second = await run(["--account", A, "--prefix", "many/", "--to", `s3://${TARGET}/ctrlc`]);
    expect(second.code, second.err).to.equal(0);
    expect(tap.copied.length + second.tap.copied.length).to.equal(40);
    for (const [key, count] of await versionsAt(TARGET, "ctrlc/"))
      expect(count, key).to.deep.equal({ versions: 1, markers: 0 });
  });

  it("a second Ctrl-C syncs the journal and exits at once", async () => {
    const { interrupts, press } = ctrlC();
    const exits: number[] = [];
    const tap: Tap = {
      calls: [],
      copied: [],
      afterCopy: (n) => {
        if (n === 3) for (let presses = 0; presses < 2; presses++) press();
      },
    };
    const { err } = await run(
      ["--account", A, "--prefix", "many/", "--to", `s3://${TARGET}/ctrlc2`, "--concurrency", "1"],
      {
        tap,
        deps: { interrupts, exit: (code) => exits.push(code) },
      },
    );
    expect(exits).to.deep.equal([130]);
    expect(err).to.match(
      /Second Ctrl-C: exiting now; rerun the same command to continue \(journal logs\/restore\/.*\.journal\)/,
    );
  });

  // One SlowDown: the adaptive limiter waits longer after each (three took 4.9 s of this suite's time).
  // That the clients may retry up to 10 times, adaptively, is checked on their configuration below.
  it("retries throttling (503 SlowDown) and completes", async () => {
    let throttled = 0;
    const proxy = await startThrottlingProxy(moto.endpoint, () => throttled++ < 1);
    try {
      const { code, err, out } = await run(docsAsOf(`s3://${TARGET}/throttled`), {
        env: { ...moto.env, AWS_ENDPOINT_URL_S3: proxy.endpoint },
      });
      expect(code, err + out).to.equal(0);
      expect(throttled, "the throttled CopyObject was sent again").to.be.greaterThan(1);
      expect((await currentKeys(TARGET, "throttled/")).sort()).to.deep.equal([
        "throttled/docs/a.txt",
        "throttled/docs/c.txt",
      ]);
    } finally {
      await proxy.close();
    }
  });

  it("survives a killed process (SIGKILL mid-run): the rerun finishes and no object has a second version", async () => {
    const file = path.join(cwd, "accounts.yaml");
    fs.writeFileSync(
      file,
      [
        "organization: o-a1b2c3d4e5",
        "central:",
        '  id: "999999999999"',
        "  name: backup-central",
        "  region: eu-west-1",
        `  bucket: ${CENTRAL}`,
        "defaults:",
        "  region: eu-west-1",
        "  bucket: acme-data-{accountId}",
        "accounts:",
        `  - id: "${A}"`,
        "    name: payments",
        "",
      ].join("\n"),
    );
    const argv = [
      "restore",
      "--inventory",
      file,
      "--account",
      A,
      "--prefix",
      "many/",
      "--to",
      `s3://${TARGET}/killed`,
      "--concurrency",
      "1",
    ];
    const journalDir = path.join(cwd, "logs", "restore");
    const child = spawnCli(argv, cwd, moto.env);
    // Kill it once some objects are journaled and more are on their way.
    await waitFor(() => journalLines(journalDir) >= 8, 30_000, child);
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    const before = journalLines(journalDir);
    expect(before).to.be.within(8, 40);

    const rerun = spawnCli(argv, cwd, moto.env);
    let out = "";
    rerun.stdout?.on("data", (c: Buffer) => (out += c.toString()));
    const code = await new Promise((resolve) => rerun.once("exit", resolve));
    expect(code, out).to.equal(0);
    const versions = await versionsAt(TARGET, "killed/");
    expect(versions.size).to.equal(40);
    for (const [key, count] of versions) expect(count, key).to.deep.equal({ versions: 1, markers: 0 });
  });

  it("a copy that finished but whose journal line was lost (machine crash) is recognised at the target, not copied again", async () => {
    const first = await run(["--account", A, "--prefix", "many/", "--to", `s3://${TARGET}/lost`, "--json"]);
    expect(first.code, first.err).to.equal(0);
    const file = JSON.parse(first.out).journal as string;
    // Keep the header and 25 of the 40 done lines; drop the rest and the completion.
    const lines = fs.readFileSync(file, "utf8").split("\n");
    fs.writeFileSync(file, `${lines.slice(0, 26).join("\n")}\n`);
    expect(readJournal(file)?.done.size).to.equal(25);

    const rerun = await run(["--account", A, "--prefix", "many/", "--to", `s3://${TARGET}/lost`]);
    expect(rerun.code, rerun.err + rerun.out).to.equal(0);
    // moto keeps the ETag on a copy, so the 15 are caught as identical; on S3 with SSE-KMS the copy's ETag
    // differs and the rule "written since the journal began, same size" catches them (restore-plan.test.ts).
    expect(rerun.out).to.match(
      /25 already restored \(journal\), 15 (identical at the target already|restored by the interrupted run)/,
    );
    expect(rerun.tap.calls.filter((c) => c === "CopyObjectCommand")).to.deep.equal([]);
    expect(readJournal(file)?.complete).to.equal(true);
    for (const [key, count] of await versionsAt(TARGET, "lost/"))
      expect(count, key).to.deep.equal({ versions: 1, markers: 0 });
  });

  it("--exact puts a delete marker on target keys that did not exist at --as-of (versioned target), deleting nothing", async () => {
    await central().send(
      new PutObjectCommand({ Bucket: TARGET, Key: "exact/docs/zzz.txt", Body: "written after the incident" }),
    );
    await central().send(new PutObjectCommand({ Bucket: TARGET, Key: "exact/docs/b.txt", Body: "also later" }));
    const unversioned = await run(docsAsOf("s3://acme-restore-unversioned/exact", "--exact"));
    expect(unversioned.code).to.equal(2);
    expect(unversioned.err).to.contain("--exact needs a versioned target");

    const { code, out, err } = await run(docsAsOf(`s3://${TARGET}/exact`, "--exact"));
    expect(code, err + out).to.equal(0);
    const lines = out.split("\n");
    expect(lines[2]).to.match(/^ {2}exact {5}2 key\(s\) at the target did not exist at/);
    expect(out).to.contain("restore: 2 delete marker(s) placed (--exact)");
    expect((await currentKeys(TARGET, "exact/")).sort()).to.deep.equal(["exact/docs/a.txt", "exact/docs/c.txt"]);
    const versions = await versionsAt(TARGET, "exact/");
    expect(versions.get("exact/docs/zzz.txt")).to.deep.equal({ versions: 1, markers: 1 });
    expect(versions.get("exact/docs/b.txt")).to.deep.equal({ versions: 1, markers: 1 });
  });

  it("restores into the account's own source bucket only when --to names it, and says so", async () => {
    const { code, out, err } = await run(docsAsOf(`s3://${PAYMENTS.bucket.name}/`, "--keep-prefix"));
    expect(code, err).to.equal(0);
    expect(out).to.contain("the target is the account's own source bucket");
    expect((await currentKeys(PAYMENTS.bucket.name, `${A}/docs/`)).sort()).to.deep.equal([
      `${A}/docs/a.txt`,
      `${A}/docs/c.txt`,
    ]);
  });

  it("writes to a fresh prefix when --to names only a bucket", async () => {
    const { code, out, err } = await run(docsAsOf(`s3://${TARGET}`));
    expect(code, err).to.equal(0);
    const stamp = asOf.replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
    expect(out).to.contain(`to        s3://${TARGET}/restored-${A}-${stamp}/`);
    expect(await currentKeys(TARGET, `restored-${A}-${stamp}/docs/`)).to.have.length(2);
  });

  describe("bad input: a one-line reason, exit 2 or 3, nothing written", () => {
    const cases: [string, string[], number, RegExp][] = [
      [
        "an unknown account",
        ["--account", "333333333333", "--to", `s3://${TARGET}/bad`],
        2,
        /--account: 333333333333 is not in \/fixture\/accounts\.yaml/,
      ],
      [
        "the central account",
        ["--account", "999999999999", "--to", `s3://${TARGET}/bad`],
        2,
        /the central account has no backup of its own/,
      ],
      [
        "an unparsable --as-of",
        ["--account", A, "--as-of", "last tuesday", "--to", `s3://${TARGET}/bad`],
        2,
        /--as-of must be an ISO 8601 time with a zone/,
      ],
      [
        "a future --as-of",
        ["--account", A, "--as-of", "2999-01-01T00:00:00Z", "--to", `s3://${TARGET}/bad`],
        2,
        /--as-of 2999-01-01T00:00:00\.000Z is in the future/,
      ],
      [
        "the central bucket as target",
        ["--account", A, "--to", `s3://${CENTRAL}/restore`],
        2,
        /is the central backup bucket; restoring into the backup itself is refused/,
      ],
      ["no --to", ["--account", A], 2, /name the target with --to/],
      [
        "--batch without --keep-prefix",
        ["--account", A, "--to", `s3://${TARGET}/b`, "--batch"],
        2,
        /--batch needs --keep-prefix/,
      ],
    ];
    for (const [what, argv, exit, message] of cases) {
      it(`refuses ${what} before any AWS call`, async () => {
        const { code, err } = await run(argv, { deps: { aws: () => expect.fail("no AWS call expected") } });
        expect(code).to.equal(exit);
        expect(err.split("\n")[0]).to.match(message);
        expect(fs.existsSync(path.join(cwd, "logs"))).to.equal(false);
      });
    }

    it("refuses a target bucket that does not exist (exit 2)", async () => {
      const { code, err, tap } = await run(["--account", A, "--to", "s3://no-such-restore-bucket/x"]);
      expect(code).to.equal(2);
      expect(err.split("\n")[0]).to.equal("org-s3-backup restore: --to: bucket no-such-restore-bucket does not exist");
      expect(tap.calls).to.deep.equal(["HeadBucketCommand"]);
      expect(fs.existsSync(path.join(cwd, "logs"))).to.equal(false);
    });

    it("exits 3 when the endpoint does not answer", async () => {
      const env = { ...moto.env, AWS_ENDPOINT_URL: `http://127.0.0.1:${await freePort()}` };
      const { code, err } = await run(["--account", A, "--to", `s3://${TARGET}/x`], { env });
      expect(code).to.equal(3);
      expect(err.split("\n")[0]).to.match(
        /^org-s3-backup restore: --to: cannot reach bucket acme-restore-target: .*ECONNREFUSED/,
      );
      expect(err).to.contain("nothing was written");
    });

    it("exits 3 without credentials", async () => {
      const env = { AWS_ENDPOINT_URL: moto.endpoint, AWS_EC2_METADATA_DISABLED: "true" };
      const saved = { ...process.env };
      // The SDK's default chain reads the process environment, not the command's: make sure it finds nothing.
      for (const name of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"])
        delete process.env[name];
      process.env.AWS_EC2_METADATA_DISABLED = "true";
      process.env.AWS_CONFIG_FILE = path.join(cwd, "none");
      process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(cwd, "none");
      try {
        const { code, err } = await run(["--account", A, "--to", `s3://${TARGET}/x`], { env });
        expect(code).to.equal(3);
        expect(err.split("\n")[0]).to.match(
          /^org-s3-backup restore: --to: cannot reach bucket acme-restore-target: .*(credentials|Credential)/i,
        );
      } finally {
        process.env = saved;
      }
    });
  });
});

/** S3 Control answers in REST-XML; the emulator has no Batch Operations, so this stub plays it. */
const XMLNS = 'xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"';
function s3ControlStub(jobs: { id: string; description: string; status: string }[]) {
  return (request: RecordedRequest) => {
    const url = new URL(request.url, "http://stub");
    if (request.method === "POST" && url.pathname === "/v20180820/jobs") {
      return {
        status: 200,
        body:
          `<?xml version="1.0" encoding="UTF-8"?><CreateJobResult ${XMLNS}>` +
          "<JobId>job-restore-1</JobId></CreateJobResult>",
      };
    }
    if (request.method === "GET" && url.pathname === "/v20180820/jobs") {
      const members = jobs
        .map(
          (j) =>
            `<member><JobId>${j.id}</JobId><Description>${j.description}</Description>` +
            `<Operation>S3PutObjectCopy</Operation><Status>${j.status}</Status>` +
            "<CreationTime>2026-11-25T10:00:00Z</CreationTime></member>",
        )
        .join("");
      return {
        status: 200,
        body: `<?xml version="1.0" encoding="UTF-8"?><ListJobsResult ${XMLNS}><Jobs>${members}</Jobs></ListJobsResult>`,
      };
    }
    const describe = /^\/v20180820\/jobs\/([\w-]+)$/.exec(url.pathname);
    if (request.method === "GET" && describe) {
      return {
        status: 200,
        body:
          `<?xml version="1.0" encoding="UTF-8"?><DescribeJobResult ${XMLNS}>` +
          `<Job><JobId>${describe[1]}</JobId><Status>Active</Status>` +
          "<ProgressSummary><TotalNumberOfTasks>40</TotalNumberOfTasks>" +
          "<NumberOfTasksSucceeded>12</NumberOfTasksSucceeded><NumberOfTasksFailed>0</NumberOfTasksFailed>" +
          "</ProgressSummary></Job></DescribeJobResult>",
      };
    }
    return {
      status: 400,
      body: `<Error><Code>InvalidRequest</Code><Message>unexpected ${request.method} ${request.url}</Message></Error>`,
    };
  };
}

describe("restore --batch and --status (S3 on the emulator, S3 Control on a stub)", function () {
  this.timeout(30_000);
  let moto: Moto;
  let server: LocalServer;
  const jobs: { id: string; description: string; status: string }[] = [];
  let cwd: string;

  before(async function () {
    await skipWithoutMoto(this);
    moto = await startMoto();
    server = await startRecordingServer(s3ControlStub(jobs));
    const clients = new AwsClients(moto.env);
    const s3 = clients.s3("eu-west-1", clients.assumeRole(inv.central.roleArn, "eu-west-1", "test"));
    await createBucket(s3, CENTRAL, true);
    await createBucket(s3, TARGET, true);
    for (const key of ["docs/a b+c.txt", "docs/plain.txt", "docs/comma,name.txt"])
      await s3.send(new PutObjectCommand({ Bucket: CENTRAL, Key: `${A}/${key}`, Body: key }));
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), "restore-batch-"));
  });
  after(async () => {
    await server?.close();
    await moto?.stop();
    if (cwd) fs.rmSync(cwd, { recursive: true, force: true });
  });

  async function run(argv: string[]) {
    const io = capturedMainIo(cwd, { ...moto.env, AWS_ENDPOINT_URL_S3_CONTROL: server.endpoint });
    const code = await inProcessRestoreCommand(inv).run(argv, io);
    return { code, out: io.out(), err: io.err() };
  }

  it("uploads the CSV manifest (keys URL-encoded), creates an S3PutObjectCopy job in the central account", async () => {
    const { code, out, err } = await run([
      "--account",
      A,
      "--to",
      `s3://${TARGET}/batch`,
      "--keep-prefix",
      "--batch",
      "--batch-role-arn",
      "arn:aws:iam::999999999999:role/restore-batch",
    ]);
    expect(code, err + out).to.equal(0);
    expect(out).to.contain("restore: started S3 Batch Operations job job-restore-1 for 3 object(s)");
    const create = server.requests.find((r) => r.method === "POST");
    expect(create?.headers["x-amz-account-id"]).to.equal("999999999999");
    for (const fragment of [
      "<S3PutObjectCopy><TargetResource>arn:aws:s3:::acme-restore-target</TargetResource>" +
        "<MetadataDirective>COPY</MetadataDirective><TargetKeyPrefix>batch</TargetKeyPrefix></S3PutObjectCopy>",
      "<Format>S3BatchOperations_CSV_20180820</Format>" +
        "<Fields><member>Bucket</member><member>Key</member><member>VersionId</member></Fields>",
      "<RoleArn>arn:aws:iam::999999999999:role/restore-batch</RoleArn>",
      `<Description>org-s3-backup restore ${A}/ `,
    ]) {
      expect(create?.body).to.contain(fragment);
    }
    const manifestArn = /<ObjectArn>arn:aws:s3:::acme-restore-target\/([^<]+)<\/ObjectArn><ETag>([^<]+)<\/ETag>/.exec(
      create?.body ?? "",
    );
    expect(manifestArn, create?.body).to.not.equal(null);
    const clients = new AwsClients(moto.env);
    const s3 = clients.s3("eu-west-1", clients.assumeRole(inv.central.roleArn, "eu-west-1", "test"));
    const manifest = await (
      await s3.send(new GetObjectCommand({ Bucket: TARGET, Key: manifestArn?.[1] }))
    ).Body?.transformToString();
    const lines = (manifest ?? "").trim().split("\n");
    expect(lines.map((line) => line.split(",").slice(0, 2).join(","))).to.deep.equal([
      `${CENTRAL},${A}/docs/a%20b%2Bc.txt`,
      `${CENTRAL},${A}/docs/comma%2Cname.txt`,
      `${CENTRAL},${A}/docs/plain.txt`,
    ]);
    for (const line of lines) expect(line.split(",")).to.have.length(3);
  });

  it("follows the jobs with --status", async () => {
    jobs.push(
      { id: "job-restore-1", description: `org-s3-backup restore ${A}/ RUN`, status: "Active" },
      { id: "job-other", description: "a backfill", status: "Active" },
    );
    const { code, out } = await run(["--status", "--account", A]);
    expect(code).to.equal(0);
    expect(out).to.match(/^111111111111\s+job-restore-1\s+Active\s+12\/40 ok, 0 failed/m);
    expect(out).to.not.contain("job-other");
  });
});

describe("restore: CLI", () => {
  it("is a command of org-s3-backup, with its help", async () => {
    const io = capturedMainIo("/work");
    expect(await main(["restore", "--help"], io)).to.equal(0);
    expect(io.out()).to.match(/^Usage: org-s3-backup restore --account ID --to s3:\/\/BUCKET/);
    expect(io.out()).to.contain("docs/day-two.md");
  });
});

async function createBucket(s3: S3Client, bucket: string, versioned: boolean): Promise<void> {
  await s3.send(
    new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }),
  );
  if (versioned)
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

let big: Buffer | undefined;
/** 11 MiB that are not all the same byte, so a part copied to the wrong place would show. */
function bigBody(): Buffer {
  if (!big) {
    big = Buffer.alloc(11 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4) big.writeUInt32LE(i, i);
  }
  return big;
}

/** A proxy in front of the emulator that answers 503 SlowDown to CopyObject while `throttle()` says so. */
async function startThrottlingProxy(
  target: string,
  throttle: () => boolean,
): Promise<{ endpoint: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      if (req.method === "PUT" && req.headers["x-amz-copy-source"] && throttle()) {
        res.writeHead(503, { "content-type": "application/xml" });
        res.end("<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>");
        return;
      }
      const forward = http.request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (response) => {
          res.writeHead(response.statusCode ?? 502, response.headers);
          response.pipe(res);
        },
      );
      forward.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function spawnCli(argv: string[], cwd: string, env: NodeJS.ProcessEnv): ChildProcess {
  const bin = path.resolve(__dirname, "../../bin/org-s3-backup.js");
  return spawn(process.execPath, [bin, ...argv], {
    cwd,
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function journalLines(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith(".journal"))
    .reduce(
      (sum, name) =>
        sum +
        fs
          .readFileSync(path.join(dir, name), "utf8")
          .split("\n")
          .filter((line) => line.includes('"done"')).length,
      0,
    );
}

async function waitFor(condition: () => boolean, timeoutMs: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (child.exitCode !== null) throw new Error(`the child exited (${child.exitCode}) before the condition held`);
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await pause(20);
  }
}
