import {
  CopyObjectCommand,
  CreateBucketCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { expect } from "chai";
import { main } from "../automation/cli";
import * as path from "node:path";
import { PassThrough } from "node:stream";
import { AwsClients } from "../automation/aws-clients";
import type { Io } from "../automation/command";
import { command, verifyCommand } from "../automation/commands/verify";
import {
  type CanaryStore,
  type CanaryTarget,
  canaryKey,
  canaryTargets,
  type Clock,
  formatVerifyTable,
  mapBounded,
  newRunId,
  parseTimeout,
  pollDelayMs,
  s3CanaryStore,
  SUSPECTS,
  verifyAll,
  verifyExitCode,
  type VerifyOptions,
  type VerifyResult,
} from "../automation/verify";
import { inventory, sourceAccount } from "./support/inventory-fixture";
import { freePort, type LocalServer, type Moto, skipWithoutMoto, startHeaderProxy, startMoto } from "./support/moto";

/** Virtual time: `sleep` advances it at once and lets a hook act as S3 during the wait. */
function fakeClock(onSleep: (ms: number, now: number) => Promise<void> | void = () => {}): Clock & { sleeps: number[] } {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    async sleep(ms) {
      sleeps.push(ms);
      now += ms;
      await onSleep(ms, now);
    },
  };
}

const target: CanaryTarget = canaryTargets(inventory({ count: 1 }), [sourceAccount("111111111111")], "RUN")[0];

interface Behaviour {
  replicateAfterMs?: number;
  status?: string;
  putError?: Error;
  removeError?: Error;
}

/** An in-memory CanaryStore: per account, the replica appears `replicateAfterMs` of virtual time after the PUT. */
function memoryStore(clock: Clock, behaviour: Behaviour | Record<string, Behaviour>) {
  const of = (t: CanaryTarget): Behaviour => (behaviour as Record<string, Behaviour>)[t.accountId] ?? (behaviour as Behaviour);
  const calls: string[] = [];
  const putAt = new Map<string, number>();
  let inFlight = 0;
  let peak = 0;
  const call = async <T>(text: string, fn: () => T): Promise<T> => {
    calls.push(text);
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    inFlight--;
    return fn();
  };
  const store: CanaryStore = {
    put: (t) =>
      call(`put ${t.sourceBucket}/${t.key}`, () => {
        if (of(t).putError) throw of(t).putError;
        putAt.set(t.accountId, clock.now());
        return "v1";
      }),
    sourceStatus: (t, versionId) => call(`status ${versionId}`, () => of(t).status),
    replicaExists: (t) =>
      call("head replica", () => {
        const after = of(t).replicateAfterMs;
        return after !== undefined && clock.now() - (putAt.get(t.accountId) ?? 0) >= after;
      }),
    removeSource: (t, versionId) =>
      call(`remove source ${versionId}`, () => {
        if (of(t).removeError) throw of(t).removeError;
      }),
    removeReplica: () => call("remove replica", () => undefined),
  };
  return { store, calls, peak: () => peak };
}

const options = (clock: Clock, overrides: Partial<VerifyOptions> = {}): VerifyOptions => ({
  timeoutMs: 60_000,
  cleanup: false,
  concurrency: 4,
  clock,
  runId: "RUN",
  ...overrides,
});

describe("verify: pure parts", () => {
  it("puts the canary under the account's prefix, so the account's replication rule covers it", () => {
    expect(canaryKey("111111111111", "20261125T070102Z-00ff")).to.equal("111111111111/org-s3-backup-canary/20261125T070102Z-00ff.txt");
    expect(target).to.deep.include({
      sourceBucket: "acme-data-111111111111",
      centralBucket: "acme-org-backup-999999999999",
      sourceRoleArn: "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole",
      centralRoleArn: "arn:aws:iam::999999999999:role/OrganizationAccountAccessRole",
      key: "111111111111/org-s3-backup-canary/RUN.txt",
    });
  });

  it("derives a sortable run id from the time", () => {
    expect(newRunId(new Date("2026-11-25T07:01:02.345Z"), () => 0.5)).to.equal("20261125T070102Z-8000");
  });

  it("backs off from 1 s doubling to a 10 s ceiling", () => {
    expect([0, 1, 2, 3, 4, 9].map(pollDelayMs)).to.deep.equal([1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it("parses durations and refuses nonsense", () => {
    expect(parseTimeout("15m")).to.deep.equal({ ok: true, ms: 900_000 });
    expect(parseTimeout("90s")).to.deep.equal({ ok: true, ms: 90_000 });
    expect(parseTimeout("1h")).to.deep.equal({ ok: true, ms: 3_600_000 });
    expect(parseTimeout("250ms")).to.deep.equal({ ok: true, ms: 250 });
    expect(parseTimeout("30")).to.deep.equal({ ok: true, ms: 30_000 });
    for (const bad of ["0", "-5m", "soon", "5 minutes"]) expect(parseTimeout(bad).ok, bad).to.equal(false);
  });

  it("exits 0 only when every account replicated, 3 when a check could not run", () => {
    const r = (status: VerifyResult["status"], environment = false): VerifyResult => ({
      accountId: "1",
      accountName: "a",
      key: "k",
      status,
      detail: "",
      suspects: [],
      environment,
      notes: [],
    });
    expect(verifyExitCode([r("replicated"), r("replicated")])).to.equal(0);
    expect(verifyExitCode([r("replicated"), r("timed-out")])).to.equal(1);
    expect(verifyExitCode([r("failed")])).to.equal(1);
    expect(verifyExitCode([r("error")])).to.equal(1);
    expect(verifyExitCode([r("failed"), r("error", true)])).to.equal(3);
  });

  it("runs at most `limit` calls at once and keeps the order", async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapBounded([5, 1, 4, 2, 3, 0], 2, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, n));
      inFlight--;
      return n * 10;
    });
    expect(out).to.deep.equal([50, 10, 40, 20, 30, 0]);
    expect(peak).to.equal(2);
  });
});

describe("verify: polling (virtual clock)", () => {
  it("measures the latency from the PUT to the first poll that sees the replica", async () => {
    const clock = fakeClock();
    const { store, calls } = memoryStore(clock, { replicateAfterMs: 2500 });
    const result = (await verifyAll([target], store, options(clock)))[0];
    expect(result.status).to.equal("replicated");
    // Polls at 0, 1 s, 3 s: the replica (2.5 s) is first seen at 3 s.
    expect(result.latencyMs).to.equal(3000);
    expect(clock.sleeps).to.deep.equal([1000, 2000]);
    expect(calls[0]).to.equal("put acme-data-111111111111/111111111111/org-s3-backup-canary/RUN.txt");
    expect(calls).to.include("remove source v1");
    expect(calls).to.not.include("remove replica");
  });

  it("removes the replica's version too with cleanup", async () => {
    const clock = fakeClock();
    const { store, calls } = memoryStore(clock, { replicateAfterMs: 0 });
    const result = (await verifyAll([target], store, options(clock, { cleanup: true })))[0];
    expect(result.status).to.equal("replicated");
    expect(calls.slice(-2)).to.deep.equal(["remove source v1", "remove replica"]);
  });

  it("stops at once when S3 marks the canary FAILED and names the permission links first", async () => {
    const clock = fakeClock();
    const { store, calls } = memoryStore(clock, { status: "FAILED" });
    const result = (await verifyAll([target], store, options(clock)))[0];
    expect(result.status).to.equal("failed");
    expect(clock.sleeps).to.deep.equal([]);
    expect(result.detail).to.contain("FAILED");
    expect(result.suspects[0]).to.equal(SUSPECTS.rolePolicy);
    expect(result.suspects).to.include.members([SUSPECTS.roleTrust, SUSPECTS.sourceKey, SUSPECTS.centralBucketPolicy, SUSPECTS.centralKey]);
    expect(calls.at(-1)).to.equal("remove source v1");
  });

  it("times out after the timeout, sleeping no further than the deadline", async () => {
    const clock = fakeClock();
    const { store } = memoryStore(clock, { status: "PENDING" });
    const result = (await verifyAll([target], store, options(clock, { timeoutMs: 20_000 })))[0];
    expect(result.status).to.equal("timed-out");
    expect(clock.sleeps).to.deep.equal([1000, 2000, 4000, 8000, 5000]);
    expect(clock.now()).to.equal(20_000);
    expect(result.detail).to.equal("no replica after 20.0s (source ReplicationStatus: PENDING)");
    expect(result.suspects.at(-1)).to.equal(SUSPECTS.slow);
  });

  it("suspects a missing rule first when S3 never gave the canary a replication status", async () => {
    const clock = fakeClock();
    const { store } = memoryStore(clock, {});
    const result = (await verifyAll([target], store, options(clock, { timeoutMs: 3000 })))[0];
    expect(result.status).to.equal("timed-out");
    expect(result.suspects[0]).to.equal(SUSPECTS.noRule);
  });

  it("reports a refused PUT as an error pointing at the deployer role, and does not poll", async () => {
    const clock = fakeClock();
    const denied = Object.assign(new Error("User is not authorized to perform: s3:PutObject"), { name: "AccessDenied" });
    const { store, calls } = memoryStore(clock, { putError: denied });
    const result = (await verifyAll([target], store, options(clock)))[0];
    expect(result).to.deep.include({ status: "error", environment: false, detail: "could not put the canary: AccessDenied: User is not authorized to perform: s3:PutObject" });
    expect(result.suspects).to.deep.equal([SUSPECTS.deployerRole]);
    expect(calls).to.have.length(1);
  });

  it("flags missing credentials as an environment problem", async () => {
    const clock = fakeClock();
    const noCredentials = Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" });
    const { store } = memoryStore(clock, { putError: noCredentials });
    expect(((await verifyAll([target], store, options(clock)))[0]).environment).to.equal(true);
  });

  it("keeps the result when the canary cannot be removed, with a note", async () => {
    const clock = fakeClock();
    const { store } = memoryStore(clock, { replicateAfterMs: 0, removeError: Object.assign(new Error("denied"), { name: "AccessDenied" }) });
    const result = (await verifyAll([target], store, options(clock)))[0];
    expect(result.status).to.equal("replicated");
    expect(result.notes).to.deep.equal(["canary left in the source bucket: AccessDenied: denied"]);
    expect(formatVerifyTable([result])).to.contain("note: canary left in the source bucket");
  });

  it("prints each suspect with its explain link and the explain command to run", async () => {
    const clock = fakeClock();
    const { store } = memoryStore(clock, { status: "FAILED" });
    const table = formatVerifyTable(await verifyAll([target], store, options(clock)));
    expect(table).to.match(/^111111111111\s+app-111\s+FAILED\s+-\s+S3 marked the canary's replication FAILED/m);
    expect(table).to.match(/^\s+suspects: role-policy: s3:ReplicateObject/m);
    expect(table).to.match(/^\s+role-trust: the replication role must trust s3.amazonaws.com/m);
    expect(table).to.match(/^\s+check:\s+org-s3-backup explain --account 111111111111$/m);
    expect(table.trimEnd().endsWith("verify: 1 FAILED")).to.equal(true);
  });
});

describe("verify: many accounts (virtual clock)", () => {
  it("waits for all accounts together: the run lasts one timeout, not one per account", async () => {
    const inv = inventory({ count: 6 });
    const targets = canaryTargets(inv, inv.sources, "RUN");
    const clock = fakeClock();
    const { store, peak } = memoryStore(clock, {
      "111111111111": { replicateAfterMs: 2500 },
      "222222222222": { status: "FAILED" },
      "333333333333": { status: "PENDING" },
      "100000000003": { replicateAfterMs: 0 },
      "100000000004": { status: "PENDING" },
      "100000000005": { replicateAfterMs: 12_000 },
    });
    const results = await verifyAll(targets, store, options(clock, { timeoutMs: 20_000, concurrency: 2 }));
    expect(results.map((r) => [r.accountId, r.status, r.latencyMs])).to.deep.equal([
      ["111111111111", "replicated", 3000],
      ["222222222222", "failed", undefined],
      ["333333333333", "timed-out", undefined],
      ["100000000003", "replicated", 0],
      ["100000000004", "timed-out", undefined],
      ["100000000005", "replicated", 15_000],
    ]);
    expect(clock.now()).to.equal(20_000);
    expect(peak()).to.equal(2);
  });
});

describe("verify: command against the emulator", function () {
  const accounts = {
    ok: sourceAccount("111111111111", { name: "payments" }),
    failing: sourceAccount("222222222222", { name: "ledger" }),
    silent: sourceAccount("333333333333", { name: "archive" }),
  };
  const inv = inventory({ sources: [accounts.ok, accounts.failing, accounts.silent] });
  let moto: Moto;
  let proxy: LocalServer;
  let clients: AwsClients;

  before(async function () {
    skipWithoutMoto(this);
    this.timeout(30_000);
    moto = await startMoto();
    // S3 never reports the failing account's canary as anything but FAILED: the proxy plays that part.
    proxy = await startHeaderProxy(moto.endpoint, ({ method, url }): Record<string, string> =>
      method === "HEAD" && url.startsWith(`/${accounts.failing.bucket.name}/`) ? { "x-amz-replication-status": "FAILED" } : {},
    );
  });
  after(async () => {
    await proxy?.close();
    await moto?.stop();
  });

  beforeEach(async () => {
    await moto.reset();
    clients = new AwsClients({ ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint });
    await createVersionedBucket(asRole(inv.central.roleArn), inv.central.bucketName);
    for (const source of inv.sources) await createVersionedBucket(asRole(source.roleArn), source.bucket.name);
  });

  function asRole(roleArn: string): S3Client {
    return clients.s3("eu-west-1", clients.assumeRole(roleArn, "eu-west-1", "test"));
  }

  async function createVersionedBucket(s3: S3Client, bucket: string): Promise<void> {
    await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
  }

  /** Plays S3 replication for the healthy account: copies its canaries not yet copied to the central bucket. */
  async function replicateHealthyAccount(): Promise<void> {
    const source = asRole(accounts.ok.roleArn);
    const central = asRole(inv.central.roleArn);
    const prefix = `${accounts.ok.accountId}/`;
    const listed = await source.send(new ListObjectVersionsCommand({ Bucket: accounts.ok.bucket.name, Prefix: prefix }));
    const copied = new Set(await versionsUnder(inv.central.roleArn, inv.central.bucketName, prefix));
    for (const version of (listed.Versions ?? []).filter((v) => !copied.has(v.Key ?? ""))) {
      await central.send(
        new CopyObjectCommand({ Bucket: inv.central.bucketName, Key: version.Key, CopySource: `${accounts.ok.bucket.name}/${version.Key}?versionId=${version.VersionId}` }),
      );
    }
  }

  function capture(env: NodeJS.ProcessEnv): Io & { out: () => string; err: () => string } {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = "";
    let err = "";
    stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    return { stdout, stderr, env, cwd: "/work", out: () => out, err: () => err };
  }

  function run(argv: string[], env: NodeJS.ProcessEnv, clock: Clock) {
    const io = capture(env);
    const command = verifyCommand({
      loadInventory: async () => inv,
      canaryStore: (e, runId) => s3CanaryStore(new AwsClients(e), runId),
      clock,
      now: () => new Date("2026-11-25T07:00:00Z"),
    });
    return command.run(argv, io).then((code) => ({ code, io }));
  }

  async function versionsUnder(roleArn: string, bucket: string, prefix: string): Promise<string[]> {
    const listed = await asRole(roleArn).send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix }));
    return [...(listed.Versions ?? []), ...(listed.DeleteMarkers ?? [])].map((v) => v.Key ?? "");
  }

  it("reports replicated (with latency), FAILED and timed out per account, and exits 1", async () => {
    const clock = fakeClock(async () => replicateHealthyAccount());
    const { code, io } = await run(["--timeout", "30s", "--json"], { ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint }, clock);
    expect(code, io.err()).to.equal(1);
    const report = JSON.parse(io.out());
    const byAccount = Object.fromEntries(report.accounts.map((a: { accountId: string }) => [a.accountId, a]));
    expect(report.exitCode).to.equal(1);
    expect(byAccount["111111111111"]).to.deep.include({ status: "replicated", latencyMs: 1000, key: `111111111111/org-s3-backup-canary/${report.runId}.txt` });
    expect(byAccount["222222222222"].status).to.equal("failed");
    expect(byAccount["222222222222"].suspects.map((s: { link: string }) => s.link)).to.deep.equal(["role-policy", "central-bucket-policy", "central-key", "source-key", "role-trust"]);
    expect(byAccount["333333333333"].status).to.equal("timed-out");
    expect(byAccount["333333333333"].detail).to.equal("no replica after 30.0s (source ReplicationStatus: none)");

    // Canary versions are gone from every source bucket (no delete marker either); the replica stays.
    for (const source of inv.sources) expect(await versionsUnder(source.roleArn, source.bucket.name, `${source.accountId}/`)).to.deep.equal([]);
    expect(await versionsUnder(inv.central.roleArn, inv.central.bucketName, "111111111111/")).to.deep.equal([byAccount["111111111111"].key]);
  });

  it("prints the table, exits 0 when every selected account replicated, and removes the replica with --cleanup", async () => {
    const clock = fakeClock(async () => replicateHealthyAccount());
    const { code, io } = await run(["--accounts", "111111111111", "--cleanup"], moto.env, clock);
    expect(code, io.err()).to.equal(0);
    expect(io.out()).to.match(/^ACCOUNT\s+NAME\s+RESULT\s+LATENCY\s+DETAIL$/m);
    expect(io.out()).to.match(/^111111111111\s+payments\s+replicated\s+1\.0s\s+replica found in acme-org-backup-999999999999$/m);
    expect(io.out()).to.contain("verify: 1 replicated");
    expect(await versionsUnder(inv.central.roleArn, inv.central.bucketName, "111111111111/")).to.deep.equal([]);
  });

  it("runs with the default wiring: the example inventory through the loader, real S3 calls and clock", async () => {
    const io = capture(moto.env);
    const code = await command.run(["--inventory", "config/accounts.yaml", "--accounts", "111111111111", "--timeout", "1s", "--json"], {
      ...io,
      cwd: path.resolve(__dirname, ".."),
    });
    expect(code, io.err()).to.equal(1);
    const [account] = JSON.parse(io.out()).accounts;
    expect(account).to.deep.include({ accountId: "111111111111", accountName: "payments", status: "timed-out" });
    expect(account.suspects[0].link).to.equal("replication-rule");
  });

  it("lets the real S3 store see a replica that exists", async () => {
    const store = s3CanaryStore(clients, "RUN");
    const [t] = canaryTargets(inv, [accounts.ok], "RUN");
    expect(await store.replicaExists(t)).to.equal(false);
    const versionId = await store.put(t, "x");
    await replicateHealthyAccount();
    expect(await store.replicaExists(t)).to.equal(true);
    const head = await asRole(inv.central.roleArn).send(new HeadObjectCommand({ Bucket: inv.central.bucketName, Key: t.key }));
    expect(head.ContentLength).to.equal(1);
    expect(versionId).to.be.a("string");
  });

  it("exits 3 when the endpoint does not answer", async () => {
    const { code, io } = await run(["--accounts", "111111111111"], { ...moto.env, AWS_ENDPOINT_URL: `http://127.0.0.1:${await freePort()}` }, fakeClock());
    expect(code).to.equal(3);
    expect(io.err()).to.contain("no AWS credentials, or the endpoint is unreachable");
  });
});

describe("verify: CLI", () => {
  it("refuses bad input with exit 2 before calling AWS", async () => {
    for (const argv of [["--timeout", "soon"], ["--accounts", "123"], ["--accounts", "central"], ["--concurrency", "0"], ["--frobnicate"]]) {
      let err = "";
      const stderr = new PassThrough().on("data", (c: Buffer) => (err += c.toString()));
      const command = verifyCommand({
        loadInventory: async () => inventory(),
        canaryStore: () => {
          throw new Error("no AWS call expected");
        },
        clock: fakeClock(),
        now: () => new Date("2026-11-25T07:00:00Z"),
      });
      const code = await command.run(argv, { stdout: new PassThrough(), stderr, env: {}, cwd: "/work" });
      expect(code, argv.join(" ")).to.equal(2);
      expect(err).to.contain("org-s3-backup verify:");
    }
  });

  it("is a command of org-s3-backup, with its help", async () => {
    let out = "";
    const stdout = new PassThrough().on("data", (c: Buffer) => (out += c.toString()));
    const code = await main(["verify", "--help"], { stdout, stderr: new PassThrough(), env: {}, cwd: "/work" });
    expect(code).to.equal(0);
    expect(out).to.match(/^Usage: org-s3-backup verify /);
    expect(out).to.contain("docs/day-two.md");
  });
});
