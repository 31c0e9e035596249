import { DeleteAlarmsCommand, PutMetricAlarmCommand, SetAlarmStateCommand } from "@aws-sdk/client-cloudwatch";
import {
  CopyObjectCommand,
  CreateBucketCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { expect } from "chai";
import { main } from "../../automation/cli/main";
import * as path from "node:path";
import { PassThrough } from "node:stream";
import { AwsClients } from "../../automation/day-two/aws-clients";
import type { Interrupts } from "../../automation/cli/interrupts";
import { command, type VerifyDeps, verifyCommand } from "../../automation/cli/commands/verify";
import {
  type AlarmReader,
  type AlarmState,
  CANARY_FOLDER,
  CANARY_PATHS,
  type CanaryPath,
  type CanaryStore,
  type CanaryTarget,
  canariesOf,
  canaryKey,
  canaryTargets,
  type Clock,
  expectedAlarms,
  newRunId,
  pollDelayMs,
  realClock,
  SUSPECTS,
  suspectsFor,
  verifyAll,
  type VerifyOptions,
  type VerifyResult,
} from "../../automation/day-two/verify";
import { awsVerifyCalls, s3CanaryStore } from "../../automation/day-two/verify-aws";
import {
  formatAlarms,
  formatVerifyTable,
  parseTimeout,
  verifyExitCode,
  verifyJson,
} from "../../automation/day-two/verify-format";
import { mapBounded } from "../../automation/driver/concurrency";
import type { SourceAccount } from "../../config/types";
import { type AlarmKind, alarmName } from "../../infra/policies/monitoring";
import { capturedMainIo } from "../support/captured-io";
import { inventory, sourceAccount } from "../support/inventory-fixture";
import { freePort, type LocalServer, type Moto, skipWithoutMoto, startHeaderProxy, startMoto } from "../support/moto";
import { joinedRegExp } from "../support/regexp";

/** Virtual time: `sleep` advances it at once and lets a hook act as S3 during the wait. */
function fakeClock(
  onSleep: (ms: number, now: number) => Promise<void> | void = () => {},
): Clock & { sleeps: number[] } {
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
  /** Overrides for one canary of the account: the path S3 treats otherwise. */
  paths?: Partial<Record<CanaryPath, Omit<Behaviour, "paths">>>;
}

/**
 * An in-memory CanaryStore: per canary, the replica appears `replicateAfterMs` of virtual time after the
 * PUT. Behaviour per account (or one for all), with per-path overrides.
 */
function memoryStore(clock: Clock, behaviour: Behaviour | Record<string, Behaviour>) {
  const ofAccount = (t: CanaryTarget): Behaviour =>
    (behaviour as Record<string, Behaviour>)[t.accountId] ?? (behaviour as Behaviour);
  const of = (t: CanaryTarget): Behaviour => ({ ...ofAccount(t), ...ofAccount(t).paths?.[t.path] });
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
        putAt.set(t.key, clock.now());
        return "v1";
      }),
    sourceStatus: (t, versionId) => call(`status ${versionId}`, () => of(t).status),
    replicaExists: (t) =>
      call("head replica", () => {
        const after = of(t).replicateAfterMs;
        return after !== undefined && clock.now() - (putAt.get(t.key) ?? 0) >= after;
      }),
    removeSource: (t, versionId) =>
      call(`remove source ${versionId}`, () => {
        if (of(t).removeError) throw of(t).removeError;
      }),
    removeReplica: () => call("remove replica", () => undefined),
  };
  return { store, calls, peak: () => peak };
}

/**
 * An in-memory AlarmReader: the alarms that exist, by name (absent = not deployed), or `error` for every
 * read. Reads go to `calls` (shared with memoryStore to see the phases' order).
 */
function memoryAlarms(states: Record<string, AlarmState>, options: { error?: Error; calls?: string[] } = {}) {
  const calls = options.calls ?? [];
  let inFlight = 0;
  let peak = 0;
  const alarms: AlarmReader = {
    async states(t, names) {
      calls.push(`alarms ${t.accountId} ${t.sourceRegion}: ${names.join(" ")}`);
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      if (options.error) throw options.error;
      return new Map(names.flatMap((name) => (states[name] ? [[name, states[name]] as const] : [])));
    },
  };
  return { alarms, calls, peak: () => peak };
}

/** Every alarm asked for exists and is OK: monitoring deployed and quiet. */
const alarmsInPlace: AlarmReader = { states: async (_t, names) => new Map(names.map((name) => [name, "OK"] as const)) };

const options = (clock: Clock, overrides: Partial<VerifyOptions> = {}): VerifyOptions => ({
  timeoutMs: 60_000,
  cleanup: false,
  concurrency: 4,
  clock,
  runId: "RUN",
  ...overrides,
});

const inPlace = (store: CanaryStore) => ({ canaries: store, alarms: alarmsInPlace });

describe("verify: pure parts", () => {
  it("puts the canary under the account's prefix, so the account's replication rule covers it", () => {
    expect(canaryKey("111111111111", "20261125T070102Z-00ff")).to.equal(
      "111111111111/org-s3-backup-canary/20261125T070102Z-00ff.txt",
    );
    expect(target).to.deep.include({
      sourceBucket: "acme-data-111111111111",
      centralBucket: "acme-org-backup-999999999999",
      sourceRoleArn: "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole",
      centralRoleArn: "arn:aws:iam::999999999999:role/OrganizationAccountAccessRole",
      key: "111111111111/org-s3-backup-canary/RUN.txt",
      path: "bucket-key",
      bucketKeyEnabled: true,
      sourceKmsKey: sourceAccount("111111111111").kmsAlias,
    });
  });

  it("gives each account a second canary, without an S3 Bucket Key, under the same prefix", () => {
    const [withKey, without] = canariesOf(target);
    expect(withKey).to.equal(target);
    expect(without).to.deep.equal({
      ...target,
      key: "111111111111/org-s3-backup-canary/RUN-no-bucket-key.txt",
      path: "no-bucket-key",
      bucketKeyEnabled: false,
    });
    expect(without.key).to.equal(canaryKey("111111111111", "RUN", "no-bucket-key"));
    expect(CANARY_PATHS["no-bucket-key"].context).to.equal("the object ARN");
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

  it("exits 0 only when every account replicated, 3 when a check could not run, 130 when interrupted", () => {
    const r = (status: VerifyResult["status"], environment = false): VerifyResult => ({
      accountId: "1",
      accountName: "a",
      key: "k",
      status,
      detail: "",
      suspects: [],
      environment,
      notes: [],
      alarms: { status: "unmonitored" },
      canaries: [],
    });
    expect(verifyExitCode([r("replicated"), r("replicated")])).to.equal(0);
    expect(verifyExitCode([r("replicated"), r("timed-out")])).to.equal(1);
    expect(verifyExitCode([r("failed")])).to.equal(1);
    expect(verifyExitCode([r("error")])).to.equal(1);
    expect(verifyExitCode([r("failed"), r("error", true)])).to.equal(3);
    expect(verifyExitCode([r("replicated"), r("interrupted")])).to.equal(130);
    // Ctrl-C during the clean-up, when every account was already decided.
    expect(verifyExitCode([r("replicated")], true)).to.equal(130);
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
    const result = (await verifyAll([target], inPlace(store), options(clock)))[0];
    expect(result.status).to.equal("replicated");
    // Polls at 0, 1 s, 3 s: the replica (2.5 s) is first seen at 3 s.
    expect(result.latencyMs).to.equal(3000);
    expect(clock.sleeps).to.deep.equal([1000, 2000]);
    expect(calls.slice(0, 2)).to.deep.equal([
      "put acme-data-111111111111/111111111111/org-s3-backup-canary/RUN.txt",
      "put acme-data-111111111111/111111111111/org-s3-backup-canary/RUN-no-bucket-key.txt",
    ]);
    expect(result.canaries.map((c) => [c.path, c.status, c.latencyMs])).to.deep.equal([
      ["bucket-key", "replicated", 3000],
      ["no-bucket-key", "replicated", 3000],
    ]);
    expect(calls.filter((c) => c === "remove source v1")).to.have.length(2);
    expect(calls).to.not.include("remove replica");
  });

  it("removes the replica's version too with cleanup", async () => {
    const clock = fakeClock();
    const { store, calls } = memoryStore(clock, { replicateAfterMs: 0 });
    const result = (await verifyAll([target], inPlace(store), options(clock, { cleanup: true })))[0];
    expect(result.status).to.equal("replicated");
    expect(calls.slice(-4).sort()).to.deep.equal([
      "remove replica",
      "remove replica",
      "remove source v1",
      "remove source v1",
    ]);
  });

  it("stops at once when S3 marks the canary FAILED and names the permission links first", async () => {
    const clock = fakeClock();
    const { store, calls } = memoryStore(clock, { status: "FAILED" });
    const result = (await verifyAll([target], inPlace(store), options(clock)))[0];
    expect(result.status).to.equal("failed");
    expect(clock.sleeps).to.deep.equal([]);
    expect(result.detail).to.contain("FAILED");
    expect(result.suspects[0]).to.equal(SUSPECTS.rolePolicy);
    expect(result.suspects).to.include.members([
      SUSPECTS.roleTrust,
      SUSPECTS.sourceKey,
      SUSPECTS.centralBucketPolicy,
      SUSPECTS.centralKey,
    ]);
    expect(calls.at(-1)).to.equal("remove source v1");
  });

  it("times out after the timeout, sleeping no further than the deadline", async () => {
    const clock = fakeClock();
    const { store } = memoryStore(clock, { status: "PENDING" });
    const result = (await verifyAll([target], inPlace(store), options(clock, { timeoutMs: 20_000 })))[0];
    expect(result.status).to.equal("timed-out");
    expect(clock.sleeps).to.deep.equal([1000, 2000, 4000, 8000, 5000]);
    expect(clock.now()).to.equal(20_000);
    expect(result.detail).to.equal(
      "bucket key: no replica after 20.0s (source ReplicationStatus: PENDING); " +
        "no bucket key: no replica after 20.0s (source ReplicationStatus: PENDING)",
    );
    expect(result.suspects.at(-1)).to.equal(SUSPECTS.slow);
  });

  it("suspects a missing rule first when S3 never gave the canary a replication status", async () => {
    const clock = fakeClock();
    const { store } = memoryStore(clock, {});
    const result = (await verifyAll([target], inPlace(store), options(clock, { timeoutMs: 3000 })))[0];
    expect(result.status).to.equal("timed-out");
    expect(result.suspects[0]).to.equal(SUSPECTS.noRule);
  });

  it("reports a refused PUT as an error pointing at the deployer role, and does not poll", async () => {
    const clock = fakeClock();
    const denied = Object.assign(new Error("User is not authorized to perform: s3:PutObject"), {
      name: "AccessDenied",
    });
    const { store, calls } = memoryStore(clock, { putError: denied });
    const result = (await verifyAll([target], inPlace(store), options(clock)))[0];
    expect(result).to.deep.include({
      status: "error",
      environment: false,
      detail:
        "bucket key: could not put the canary: AccessDenied: User is not authorized to perform: s3:PutObject; " +
        "no bucket key: could not put the canary: AccessDenied: User is not authorized to perform: s3:PutObject",
    });
    expect(result.suspects).to.deep.equal([SUSPECTS.deployerRole]);
    expect(calls).to.have.length(2);
  });

  it("flags missing credentials as an environment problem", async () => {
    const clock = fakeClock();
    const noCredentials = Object.assign(new Error("Could not load credentials from any providers"), {
      name: "CredentialsProviderError",
    });
    const { store } = memoryStore(clock, { putError: noCredentials });
    expect((await verifyAll([target], inPlace(store), options(clock)))[0].environment).to.equal(true);
  });

  it("keeps the result when the canary cannot be removed, with a note", async () => {
    const clock = fakeClock();
    const { store } = memoryStore(clock, {
      replicateAfterMs: 0,
      removeError: Object.assign(new Error("denied"), { name: "AccessDenied" }),
    });
    const result = (await verifyAll([target], inPlace(store), options(clock)))[0];
    expect(result.status).to.equal("replicated");
    expect(result.notes).to.deep.equal([
      "canary left in the source bucket: AccessDenied: denied",
      "canary left in the source bucket: AccessDenied: denied",
    ]);
    expect(formatVerifyTable([result])).to.contain("note: canary left in the source bucket");
  });

  it("prints each suspect with its explain link and the explain command to run", async () => {
    const clock = fakeClock();
    const { store } = memoryStore(clock, { status: "FAILED" });
    const table = formatVerifyTable(await verifyAll([target], inPlace(store), options(clock)));
    expect(table).to.match(
      joinedRegExp(
        [
          /^111111111111\s+app-111\s+FAILED\s+FAILED\s+FAILED\s+ok\s+/,
          /bucket key: S3 marked the canary's replication FAILED/,
        ],
        "m",
      ),
    );
    expect(table).to.match(/^\s+suspects: role-policy: s3:ReplicateObject/m);
    expect(table).to.match(/^\s+role-trust: the replication role must trust s3.amazonaws.com/m);
    expect(table).to.match(/^\s+check:\s+org-s3-backup explain --account 111111111111$/m);
    expect(table.trimEnd().endsWith("verify: 1 FAILED")).to.equal(true);
  });
});

describe("verify: the two encryption paths (virtual clock)", () => {
  /** S3 replicates one path after 1 s and treats the other as `other`. */
  const onePath = (path: CanaryPath, other: Omit<Behaviour, "paths">): Behaviour => ({
    replicateAfterMs: 1000,
    paths: { [path]: { replicateAfterMs: undefined, ...other } },
  });
  const run = async (behaviour: Behaviour, overrides: Partial<VerifyOptions> = {}) => {
    const clock = fakeClock();
    const { store } = memoryStore(clock, behaviour);
    return (await verifyAll([target], inPlace(store), options(clock, overrides)))[0];
  };

  it("reports the object-ARN path alone: only the canary without a bucket key FAILED, and what to check", async () => {
    const result = await run(onePath("no-bucket-key", { status: "FAILED" }));
    expect(result.status).to.equal("failed");
    expect(result.canaries.map((c) => [c.path, c.status, c.latencyMs])).to.deep.equal([
      ["bucket-key", "replicated", 1000],
      ["no-bucket-key", "failed", undefined],
    ]);
    expect(result.detail).to.equal(
      "no bucket key: S3 marked the canary's replication FAILED (source object ReplicationStatus); " +
        "bucket key: replicated",
    );
    // The bucket-key canary proves trust, rule and bucket policy: only the object-ARN context is left.
    expect(result.suspects).to.deep.equal([SUSPECTS.objectArnRolePolicy, SUSPECTS.objectArnCentralKey]);
    expect(verifyExitCode([result])).to.equal(1);
    expect(formatVerifyTable([result])).to.match(
      /^111111111111\s+app-111\s+FAILED\s+replicated 1\.0s\s+FAILED\s+ok\s+no bucket key: S3 marked/m,
    );
    expect(formatVerifyTable([result])).to.match(
      /^\s+suspects: role-policy: only the canary without an S3 Bucket Key/m,
    );
    const [account] = (verifyJson([result], "RUN", 1) as { accounts: { canaries: unknown[] }[] }).accounts;
    expect(account.canaries).to.deep.equal([
      {
        path: "bucket-key",
        key: "111111111111/org-s3-backup-canary/RUN.txt",
        status: "replicated",
        latencyMs: 1000,
        detail: "replica found in acme-org-backup-999999999999",
        suspects: [],
      },
      {
        path: "no-bucket-key",
        key: "111111111111/org-s3-backup-canary/RUN-no-bucket-key.txt",
        status: "failed",
        detail: "S3 marked the canary's replication FAILED (source object ReplicationStatus)",
        suspects: result.canaries[1].suspects,
      },
    ]);
  });

  it("reports the bucket-key path on its own, with the bucket key's KMS needs first", async () => {
    const result = await run(onePath("bucket-key", { status: "FAILED" }));
    expect(result.canaries.map((c) => c.status)).to.deep.equal(["failed", "replicated"]);
    expect(result.suspects).to.deep.equal([SUSPECTS.bucketKeyCentralKey, SUSPECTS.bucketKeyRolePolicy]);
    expect(formatVerifyTable([result])).to.match(/^111111111111\s+app-111\s+FAILED\s+FAILED\s+replicated 1\.0s\s+/m);
  });

  it("suspects slowness last when one path only timed out", async () => {
    const result = await run(onePath("no-bucket-key", { status: "PENDING" }), { timeoutMs: 5000 });
    expect(result.status).to.equal("timed-out");
    expect(result.suspects).to.deep.equal([SUSPECTS.objectArnRolePolicy, SUSPECTS.objectArnCentralKey, SUSPECTS.slow]);
  });

  it("keeps the whole chain as suspects when both paths fail: nothing is proven", async () => {
    const result = await run({ status: "FAILED" });
    expect(result.suspects).to.deep.equal(suspectsFor("failed", "FAILED"));
  });

  it("records how each canary and replica were stored, and says when S3 did not take the path asked for", async () => {
    const clock = fakeClock();
    const { store } = memoryStore(clock, { replicateAfterMs: 0 });
    const stored: string[] = [];
    const withFacts: CanaryStore = {
      ...store,
      async encryption(t, versionId) {
        stored.push(`${t.path} ${versionId}`);
        // S3 kept the bucket key on for the canary that asked for none.
        return {
          source: { sse: "aws:kms", kmsKeyId: "arn:aws:kms:eu-west-1:111111111111:key/k", bucketKeyEnabled: true },
          replica: { sse: "aws:kms", bucketKeyEnabled: t.bucketKeyEnabled, objectLockMode: "COMPLIANCE" },
        };
      },
    };
    const [result] = await verifyAll([target], inPlace(withFacts), options(clock));
    expect(stored).to.deep.equal(["bucket-key v1", "no-bucket-key v1"]);
    expect(result.canaries[1].encryption).to.deep.equal({
      source: { sse: "aws:kms", kmsKeyId: "arn:aws:kms:eu-west-1:111111111111:key/k", bucketKeyEnabled: true },
      replica: { sse: "aws:kms", bucketKeyEnabled: false, objectLockMode: "COMPLIANCE" },
    });
    expect(result.notes).to.deep.equal([
      "the no bucket key canary was stored with the bucket key on: S3 did not take the path it was meant to prove",
    ]);
    const [account] = (verifyJson([result], "RUN", 0) as { accounts: { canaries: { encryption?: unknown }[] }[] })
      .accounts;
    expect(account.canaries[0].encryption).to.deep.include({
      replica: { sse: "aws:kms", bucketKeyEnabled: true, objectLockMode: "COMPLIANCE" },
    });
  });

  it("notes a canary stored without SSE-KMS; a store that cannot say how it stored gives no facts and no note", async () => {
    const clock = fakeClock();
    const { store } = memoryStore(clock, { replicateAfterMs: 0 });
    const plain: CanaryStore = {
      ...store,
      encryption: async (t) => ({ source: { sse: "AES256", bucketKeyEnabled: t.bucketKeyEnabled } }),
    };
    const [result] = await verifyAll([target], inPlace(plain), options(clock));
    expect(result.notes).to.deep.equal([
      "the bucket key canary was stored as AES256, not SSE-KMS: it proves no KMS path",
      "the no bucket key canary was stored as AES256, not SSE-KMS: it proves no KMS path",
    ]);
    const [silent] = await verifyAll(
      [target],
      inPlace(memoryStore(fakeClock(), { replicateAfterMs: 0 }).store),
      options(clock),
    );
    expect(silent.notes).to.deep.equal([]);
    expect(silent.canaries.map((c) => c.encryption)).to.deep.equal([undefined, undefined]);
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
    const results = await verifyAll(targets, inPlace(store), options(clock, { timeoutMs: 20_000, concurrency: 2 }));
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

describe("verify: alarms (virtual clock)", () => {
  const names = {
    failed: "org-s3-backup-111111111111-failed-replication",
    latency: "org-s3-backup-111111111111-replication-latency",
  };
  const denied = Object.assign(new Error("User is not authorized to perform: cloudwatch:DescribeAlarms"), {
    name: "AccessDenied",
  });

  async function verifyWith(
    targets: readonly CanaryTarget[],
    alarms: AlarmReader,
    concurrency = 4,
  ): Promise<VerifyResult[]> {
    const clock = fakeClock();
    const { store } = memoryStore(clock, { replicateAfterMs: 0 });
    return verifyAll(targets, { canaries: store, alarms }, options(clock, { concurrency }));
  }

  it("expects the alarms the source stack creates, and none for an unmonitored account", () => {
    expect(target.alarms).to.deep.equal([
      { kind: "failed-replication", name: names.failed },
      { kind: "replication-latency", name: names.latency },
    ]);
    const withoutRtc = sourceAccount("222222222222", {
      replication: { ...sourceAccount("222222222222").replication, replicationTimeControl: false },
    });
    expect(expectedAlarms(withoutRtc).map((alarm) => alarm.kind)).to.deep.equal(["failed-replication"]);
    const [unmonitored] = canaryTargets(
      inventory(),
      [sourceAccount("333333333333", { monitoring: { enabled: false } })],
      "RUN",
    );
    expect(unmonitored.alarms).to.equal(undefined);
  });

  it("reports a missing alarm as monitoring not deployed, and exits 1 although the canary replicated", async () => {
    const [result] = await verifyWith([target], memoryAlarms({ [names.failed]: "OK" }).alarms);
    expect(result.status).to.equal("replicated");
    expect(result.alarms).to.deep.equal({
      status: "read",
      alarms: [
        { kind: "failed-replication", name: names.failed, state: "OK" },
        { kind: "replication-latency", name: names.latency, state: "missing" },
      ],
    });
    expect(verifyExitCode([result])).to.equal(1);
    const table = formatVerifyTable([result]);
    expect(table).to.match(
      joinedRegExp(
        [
          /^111111111111\s+app-111\s+replicated\s+replicated 0ms\s+replicated 0ms\s+/,
          /missing: replication-latency\s+both replicas found/,
        ],
        "m",
      ),
    );
    expect(table).to.match(
      joinedRegExp(
        [
          /^\s+alarm:\s+org-s3-backup-111111111111-replication-latency does not exist: /,
          /monitoring is not deployed \(org-s3-backup up --accounts 111111111111\)$/,
        ],
        "m",
      ),
    );
    expect(table.trimEnd().endsWith("verify: 1 replicated; 1 account(s) with alarms missing or in ALARM")).to.equal(
      true,
    );
  });

  it("reports an alarm in ALARM (replication failed or fell behind recently), and exits 1", async () => {
    const [result] = await verifyWith(
      [target],
      memoryAlarms({ [names.failed]: "ALARM", [names.latency]: "INSUFFICIENT_DATA" }).alarms,
    );
    expect(formatAlarms(result.alarms)).to.equal("ALARM: failed-replication");
    expect(verifyExitCode([result])).to.equal(1);
    expect(formatVerifyTable([result])).to.match(
      joinedRegExp(
        [
          /^\s+alarm:\s+org-s3-backup-111111111111-failed-replication is in ALARM: /,
          /replication failed or fell behind recently$/,
        ],
        "m",
      ),
    );
    const both = await verifyWith([target], memoryAlarms({ [names.latency]: "ALARM" }).alarms);
    expect(formatAlarms(both[0].alarms)).to.equal("missing: failed-replication; ALARM: replication-latency");
  });

  it("counts OK and INSUFFICIENT_DATA as in place (S3 publishes the metrics only while replicating)", async () => {
    const [result] = await verifyWith(
      [target],
      memoryAlarms({ [names.failed]: "OK", [names.latency]: "INSUFFICIENT_DATA" }).alarms,
    );
    expect(formatAlarms(result.alarms)).to.equal("ok");
    expect(verifyExitCode([result])).to.equal(0);
    expect(formatVerifyTable([result]).trimEnd().endsWith("verify: 1 replicated")).to.equal(true);
  });

  it("does not read the alarms of an unmonitored account and shows '-'", async () => {
    const unmonitored = canaryTargets(
      inventory(),
      [sourceAccount("333333333333", { monitoring: { enabled: false } })],
      "RUN",
    );
    const { alarms, calls } = memoryAlarms({});
    const [result] = await verifyWith(unmonitored, alarms);
    expect(calls).to.deep.equal([]);
    expect(result.alarms).to.deep.equal({ status: "unmonitored" });
    expect(formatVerifyTable([result])).to.match(
      /^333333333333\s+app-333\s+replicated\s+replicated 0ms\s+replicated 0ms\s+-\s+both replicas found/m,
    );
    expect(verifyExitCode([result])).to.equal(0);
  });

  it("makes a refused alarm read a note, not a failure; a missing environment still exits 3", async () => {
    const [result] = await verifyWith([target], memoryAlarms({}, { error: denied }).alarms);
    expect(result).to.deep.include({ status: "replicated", environment: false, alarms: { status: "unreadable" } });
    expect(result.notes).to.deep.equal([
      "could not read the alarms (cloudwatch:DescribeAlarms as the account's role): " +
        "AccessDenied: User is not authorized to perform: cloudwatch:DescribeAlarms",
    ]);
    expect(verifyExitCode([result])).to.equal(0);
    expect(formatVerifyTable([result])).to.match(
      /^111111111111\s+app-111\s+replicated\s+replicated 0ms\s+replicated 0ms\s+unknown\s+both replicas found/m,
    );
    const unreachable = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" });
    const [offline] = await verifyWith([target], memoryAlarms({}, { error: unreachable }).alarms);
    expect(offline.environment).to.equal(true);
    expect(verifyExitCode([offline])).to.equal(3);
  });

  it("reads the alarms after the polling, at most --concurrency at once, in each account's region", async () => {
    const inv = inventory({
      sources: [sourceAccount("111111111111", { region: "us-east-1" }), ...inventory({ count: 5 }).sources.slice(1)],
    });
    const targets = canaryTargets(inv, inv.sources, "RUN");
    const clock = fakeClock();
    const { store, calls } = memoryStore(clock, { replicateAfterMs: 1500 });
    const reader = memoryAlarms({}, { calls });
    await verifyAll(targets, { canaries: store, alarms: reader.alarms }, options(clock, { concurrency: 2 }));
    const firstRead = calls.findIndex((call) => call.startsWith("alarms "));
    expect(firstRead).to.be.greaterThan(calls.lastIndexOf("head replica"));
    expect(calls.filter((call) => call.startsWith("alarms "))).to.have.length(5);
    expect(calls).to.include(`alarms 111111111111 us-east-1: ${names.failed} ${names.latency}`);
    expect(reader.peak()).to.equal(2);
  });

  it("carries the alarms per account in --json", async () => {
    const [result] = await verifyWith([target], memoryAlarms({ [names.failed]: "ALARM" }).alarms);
    const json = verifyJson([result], "RUN", 1) as { accounts: Array<{ alarms: unknown }> };
    expect(json.accounts[0].alarms).to.deep.equal({
      status: "read",
      alarms: [
        { kind: "failed-replication", name: names.failed, state: "ALARM" },
        { kind: "replication-latency", name: names.latency, state: "missing" },
      ],
    });
  });
});

/**
 * Virtual time whose waits end only when the signal aborts, with a Ctrl-C pressed while waiting: a
 * verifyAll that did not hand its signal to the clock would wait forever.
 */
function interruptingClock(press: () => void): Clock & { sleeps: number[] } {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep(ms, signal) {
      sleeps.push(ms);
      now += ms;
      const woken = new Promise<void>((resolve) => signal?.addEventListener("abort", () => resolve(), { once: true }));
      press();
      return woken;
    },
  };
}

describe("verify: Ctrl-C (virtual clock)", () => {
  const inv = inventory({
    sources: [
      sourceAccount("111111111111"),
      sourceAccount("222222222222"),
      sourceAccount("333333333333", { monitoring: { enabled: false } }),
    ],
  });
  const targets = canaryTargets(inv, inv.sources, "RUN");
  const behaviour = {
    "111111111111": { replicateAfterMs: 0 },
    "222222222222": { status: "PENDING" },
    "333333333333": { status: "PENDING" },
  };

  it("stops polling after the round it interrupts, removes every canary placed and reads no alarm", async () => {
    const abort = new AbortController();
    const clock = interruptingClock(() => abort.abort());
    const { store, calls } = memoryStore(clock, behaviour);
    const reader = memoryAlarms({}, { calls });
    const results = await verifyAll(
      targets,
      { canaries: store, alarms: reader.alarms },
      options(clock, { signal: abort.signal }),
    );
    expect(results.map((r) => [r.accountId, r.status, r.alarms.status])).to.deep.equal([
      ["111111111111", "replicated", "not-checked"],
      ["222222222222", "interrupted", "not-checked"],
      ["333333333333", "interrupted", "unmonitored"],
    ]);
    expect(results[1].detail).to.equal(
      "bucket key: interrupted before the replica was seen; no bucket key: interrupted before the replica was seen",
    );
    expect(clock.sleeps).to.deep.equal([1000]);
    expect(calls.filter((call) => call === "remove source v1")).to.have.length(6);
    expect(calls.some((call) => call.startsWith("alarms "))).to.equal(false);
    expect(verifyExitCode(results)).to.equal(130);
    expect(formatVerifyTable(results)).to.match(
      joinedRegExp(
        [
          /^222222222222\s+app-222\s+interrupted\s+interrupted\s+interrupted\s+not checked\s+/,
          /bucket key: interrupted before the replica was seen; /,
          /no bucket key: interrupted before the replica was seen$/,
        ],
        "m",
      ),
    );
  });

  it("puts no canary once interrupted, so there is nothing to remove", async () => {
    const abort = new AbortController();
    abort.abort();
    const clock = fakeClock();
    const { store, calls } = memoryStore(clock, behaviour);
    const results = await verifyAll(targets, inPlace(store), options(clock, { signal: abort.signal }));
    expect(results.map((r) => r.detail)).to.deep.equal(
      Array(3).fill(
        "bucket key: interrupted before the canary was put; no bucket key: interrupted before the canary was put",
      ),
    );
    expect(calls).to.deep.equal([]);
  });

  it("wakes the real clock's sleep on abort", async () => {
    const abort = new AbortController();
    const slept = realClock.sleep(3_600_000, abort.signal);
    abort.abort();
    await slept;
  });

  /** The command with in-memory AWS, a virtual clock that presses Ctrl-C `presses` times while waiting. */
  async function runInterrupted(presses: number) {
    const handlers = new Set<() => void>();
    const interrupts: Interrupts = {
      onInterrupt(handler) {
        handlers.add(handler);
        return () => handlers.delete(handler);
      },
    };
    const exits: number[] = [];
    const clock = interruptingClock(() => {
      for (let i = 0; i < presses; i++) for (const handler of handlers) handler();
    });
    const { store, calls } = memoryStore(clock, behaviour);
    let out = "";
    let err = "";
    const stdout = new PassThrough().on("data", (c: Buffer) => (out += c.toString()));
    const stderr = new PassThrough().on("data", (c: Buffer) => (err += c.toString()));
    const deps: VerifyDeps = {
      loadInventory: async () => inv,
      aws: () => ({ canaries: store, alarms: alarmsInPlace }),
      clock,
      interrupts,
      exit: (code) => exits.push(code),
      now: () => new Date("2026-11-25T07:00:00Z"),
    };
    const code = await verifyCommand(deps).run(["--json"], { stdout, stderr, env: {}, cwd: "/work" });
    return { code, calls, exits, listening: handlers.size, report: JSON.parse(out), err };
  }

  it("exits 130 on Ctrl-C, with the pending accounts interrupted and the canaries removed", async () => {
    const { code, calls, exits, listening, report, err } = await runInterrupted(1);
    expect(code).to.equal(130);
    expect(report.exitCode).to.equal(130);
    expect(report.accounts.map((a: { status: string }) => a.status)).to.deep.equal([
      "replicated",
      "interrupted",
      "interrupted",
    ]);
    expect(calls.filter((call) => call === "remove source v1")).to.have.length(6);
    expect(err).to.contain("Ctrl-C: stopping, removing the canaries placed so far");
    expect(exits).to.deep.equal([]);
    expect(listening).to.equal(0);
  });

  it("exits at once on a second Ctrl-C", async () => {
    const { exits, err } = await runInterrupted(2);
    expect(exits).to.deep.equal([130]);
    expect(err).to.contain(
      "Second Ctrl-C: exiting now; canaries may stay in the source buckets under <accountId>/org-s3-backup-canary/.",
    );
  });
});

describe("verify: command against the emulator", () => {
  const accounts = {
    ok: sourceAccount("111111111111", { name: "payments" }),
    failing: sourceAccount("222222222222", { name: "ledger" }),
    // Not monitored: its alarms are neither deployed nor read.
    silent: sourceAccount("333333333333", { name: "archive", monitoring: { enabled: false } }),
  };
  const inv = inventory({ sources: [accounts.ok, accounts.failing, accounts.silent] });
  let moto: Moto;
  let proxy: LocalServer;
  let clients: AwsClients;
  /** S3 plays a KMS policy that refuses object ARNs: the healthy account's canary without a bucket key FAILS. */
  let objectArnPathFails = false;

  before(async function () {
    await skipWithoutMoto(this);
    this.timeout(30_000);
    moto = await startMoto();
    // S3 never reports the failing account's canary as anything but FAILED: the proxy plays that part.
    proxy = await startHeaderProxy(
      moto.endpoint,
      ({ method, url }): Record<string, string> =>
        method === "HEAD" &&
        (url.startsWith(`/${accounts.failing.bucket.name}/`) ||
          (objectArnPathFails && url.startsWith(`/${accounts.ok.bucket.name}/`) && url.includes("-no-bucket-key.txt")))
          ? { "x-amz-replication-status": "FAILED" }
          : {},
    );
  });
  after(async () => {
    await proxy?.close();
    await moto?.stop();
  });

  beforeEach(async () => {
    objectArnPathFails = false;
    proxy.requests.length = 0;
    await moto.reset();
    clients = new AwsClients({ ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint });
    await createVersionedBucket(asRole(inv.central.roleArn), inv.central.bucketName);
    for (const source of inv.sources) await createVersionedBucket(asRole(source.roleArn), source.bucket.name);
    for (const source of inv.sources.filter((s) => s.monitoring.enabled)) await deployAlarms(source);
  });

  /** Plays the source stack's ReplicationAlarms: the alarms verify expects, in the account, as its role. */
  async function deployAlarms(source: SourceAccount): Promise<void> {
    for (const alarm of expectedAlarms(source)) {
      await cloudwatchAs(source).send(
        new PutMetricAlarmCommand({
          AlarmName: alarm.name,
          Namespace: "AWS/S3",
          MetricName: alarm.kind === "failed-replication" ? "OperationsFailedReplication" : "ReplicationLatency",
          Statistic: alarm.kind === "failed-replication" ? "Sum" : "Maximum",
          Period: 300,
          EvaluationPeriods: 1,
          Threshold: alarm.kind === "failed-replication" ? 0 : 900,
          ComparisonOperator: "GreaterThanThreshold",
        }),
      );
    }
  }

  function alarmNameOf(source: SourceAccount, kind: AlarmKind): string {
    return alarmName(source.accountId, kind);
  }

  function cloudwatchAs(source: SourceAccount) {
    return clients.cloudwatch(source.region, clients.assumeRole(source.roleArn, source.region, "test"));
  }

  function asRole(roleArn: string): S3Client {
    return clients.s3("eu-west-1", clients.assumeRole(roleArn, "eu-west-1", "test"));
  }

  async function createVersionedBucket(s3: S3Client, bucket: string): Promise<void> {
    await s3.send(
      new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }),
    );
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
  }

  /** Plays S3 replication for the healthy account: copies its canaries not yet copied to the central bucket. */
  async function replicateHealthyAccount(): Promise<void> {
    const source = asRole(accounts.ok.roleArn);
    const central = asRole(inv.central.roleArn);
    const prefix = `${accounts.ok.accountId}/`;
    const listed = await source.send(
      new ListObjectVersionsCommand({ Bucket: accounts.ok.bucket.name, Prefix: prefix }),
    );
    const copied = new Set(await versionsUnder(inv.central.roleArn, inv.central.bucketName, prefix));
    const replicable = (key: string) => !copied.has(key) && !(objectArnPathFails && key.endsWith("-no-bucket-key.txt"));
    for (const version of (listed.Versions ?? []).filter((v) => replicable(v.Key ?? ""))) {
      await central.send(
        new CopyObjectCommand({
          Bucket: inv.central.bucketName,
          Key: version.Key,
          CopySource: `${accounts.ok.bucket.name}/${version.Key}?versionId=${version.VersionId}`,
        }),
      );
    }
  }

  const capture = (env: NodeJS.ProcessEnv) => capturedMainIo("/work", env);

  function run(argv: string[], env: NodeJS.ProcessEnv, clock: Clock) {
    const io = capture(env);
    const command = verifyCommand({
      loadInventory: async () => inv,
      aws: (e, runId) => awsVerifyCalls(new AwsClients(e), runId),
      clock,
      interrupts: { onInterrupt: () => () => {} },
      exit: (code) => expect.fail(`exit(${code}) without a second Ctrl-C`),
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
    const { code, io } = await run(
      ["--timeout", "30s", "--json"],
      { ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint },
      clock,
    );
    expect(code, io.err()).to.equal(1);
    const report = JSON.parse(io.out());
    const byAccount = Object.fromEntries(report.accounts.map((a: { accountId: string }) => [a.accountId, a]));
    expect(report.exitCode).to.equal(1);
    expect(byAccount["111111111111"]).to.deep.include({
      status: "replicated",
      latencyMs: 1000,
      key: `111111111111/org-s3-backup-canary/${report.runId}.txt`,
    });
    expect(
      byAccount["111111111111"].canaries.map((c: { path: string; key: string; status: string }) => [
        c.path,
        c.key,
        c.status,
      ]),
    ).to.deep.equal([
      ["bucket-key", `111111111111/org-s3-backup-canary/${report.runId}.txt`, "replicated"],
      ["no-bucket-key", `111111111111/org-s3-backup-canary/${report.runId}-no-bucket-key.txt`, "replicated"],
    ]);
    expect(byAccount["222222222222"].status).to.equal("failed");
    expect(byAccount["222222222222"].suspects.map((s: { link: string }) => s.link)).to.deep.equal([
      "role-policy",
      "central-bucket-policy",
      "central-key",
      "source-key",
      "role-trust",
    ]);
    expect(byAccount["333333333333"].status).to.equal("timed-out");
    expect(byAccount["333333333333"].detail).to.equal(
      "bucket key: no replica after 30.0s (source ReplicationStatus: none); " +
        "no bucket key: no replica after 30.0s (source ReplicationStatus: none)",
    );

    // Canary versions are gone from every source bucket (no delete marker either); the replica stays.
    for (const source of inv.sources)
      expect(await versionsUnder(source.roleArn, source.bucket.name, `${source.accountId}/`)).to.deep.equal([]);
    expect((await versionsUnder(inv.central.roleArn, inv.central.bucketName, "111111111111/")).sort()).to.deep.equal(
      byAccount["111111111111"].canaries.map((c: { key: string }) => c.key).sort(),
    );
  });

  it("prints the table, exits 0 when every selected account replicated, and removes the replica with --cleanup", async () => {
    const clock = fakeClock(async () => replicateHealthyAccount());
    const { code, io } = await run(["--accounts", "111111111111", "--cleanup"], moto.env, clock);
    expect(code, io.err()).to.equal(0);
    expect(io.out()).to.match(/^ACCOUNT\s+NAME\s+RESULT\s+BUCKET KEY\s+NO BUCKET KEY\s+ALARMS\s+DETAIL$/m);
    expect(io.out()).to.match(
      joinedRegExp(
        [
          /^111111111111\s+payments\s+replicated\s+replicated 1\.0s\s+replicated 1\.0s\s+ok\s+/,
          /both replicas found in acme-org-backup-999999999999$/,
        ],
        "m",
      ),
    );
    expect(io.out()).to.contain("verify: 1 replicated");
    expect(await versionsUnder(inv.central.roleArn, inv.central.bucketName, "111111111111/")).to.deep.equal([]);
  });

  it("reports per account an alarm missing, an alarm in ALARM, and '-' unmonitored, read from CloudWatch", async () => {
    // The payments stack lost its latency alarm; the ledger's failures set its failed-replication alarm off.
    await cloudwatchAs(accounts.ok).send(
      new DeleteAlarmsCommand({ AlarmNames: [alarmNameOf(accounts.ok, "replication-latency")] }),
    );
    await cloudwatchAs(accounts.failing).send(
      new SetAlarmStateCommand({
        AlarmName: alarmNameOf(accounts.failing, "failed-replication"),
        StateValue: "ALARM",
        StateReason: "test: replication failed",
      }),
    );
    const clock = fakeClock(async () => replicateHealthyAccount());
    const { code, io } = await run(["--timeout", "30s"], { ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint }, clock);
    expect(code, io.err()).to.equal(1);
    expect(io.out()).to.match(
      joinedRegExp(
        [
          /^111111111111\s+payments\s+replicated\s+replicated 1\.0s\s+replicated 1\.0s\s+/,
          /missing: replication-latency\s+both replicas found/,
        ],
        "m",
      ),
    );
    expect(io.out()).to.match(
      /^\s+alarm:\s+org-s3-backup-111111111111-replication-latency does not exist: monitoring is not deployed/m,
    );
    expect(io.out()).to.match(
      /^222222222222\s+ledger\s+FAILED\s+FAILED\s+FAILED\s+ALARM: failed-replication\s+bucket key: S3 marked/m,
    );
    expect(io.out()).to.match(
      /^333333333333\s+archive\s+TIMED OUT\s+TIMED OUT\s+TIMED OUT\s+-\s+bucket key: no replica after 30\.0s/m,
    );
    expect(io.out()).to.contain("; 2 account(s) with alarms missing or in ALARM");
  });

  it("exits 1 for an alarm in ALARM even when the canary replicated, with the alarms in --json", async () => {
    await cloudwatchAs(accounts.ok).send(
      new SetAlarmStateCommand({
        AlarmName: alarmNameOf(accounts.ok, "replication-latency"),
        StateValue: "ALARM",
        StateReason: "test: replication behind",
      }),
    );
    const clock = fakeClock(async () => replicateHealthyAccount());
    const { code, io } = await run(["--accounts", "111111111111", "--json"], moto.env, clock);
    expect(code, io.err()).to.equal(1);
    const [account] = JSON.parse(io.out()).accounts;
    expect(account.status).to.equal("replicated");
    expect(account.alarms).to.deep.equal({
      status: "read",
      alarms: [
        { kind: "failed-replication", name: "org-s3-backup-111111111111-failed-replication", state: "OK" },
        { kind: "replication-latency", name: "org-s3-backup-111111111111-replication-latency", state: "ALARM" },
      ],
    });
  });

  it("reads the alarms as the account's own role: another account's alarm of the same name is not it", async () => {
    const reader = awsVerifyCalls(clients, "RUN").alarms;
    const [t] = canaryTargets(inv, [accounts.silent], "RUN");
    const name = alarmNameOf(accounts.silent, "failed-replication");
    // Deployed by mistake into the payments account: the archive account still has none.
    await cloudwatchAs(accounts.ok).send(
      new PutMetricAlarmCommand({
        AlarmName: name,
        Namespace: "AWS/S3",
        MetricName: "OperationsFailedReplication",
        Statistic: "Sum",
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 0,
        ComparisonOperator: "GreaterThanThreshold",
      }),
    );
    expect([...(await reader.states(t, [name]))]).to.deep.equal([]);
    const [own] = canaryTargets(inv, [accounts.ok], "RUN");
    expect([...(await reader.states(own, [name]))]).to.deep.equal([[name, "OK"]]);
    // And in the account's own region: the same account in another region has no such alarm.
    expect([...(await reader.states({ ...own, sourceRegion: "us-east-1" }, [name]))]).to.deep.equal([]);
  });

  it("runs with the default wiring: the example inventory through the loader, real S3 calls and clock", async () => {
    const io = capture(moto.env);
    const code = await command.run(
      ["--inventory", "config/accounts.yaml", "--accounts", "111111111111", "--timeout", "1s", "--json"],
      {
        ...io,
        cwd: path.resolve(__dirname, "..", ".."),
      },
    );
    expect(code, io.err()).to.equal(1);
    const [account] = JSON.parse(io.out()).accounts;
    expect(account).to.deep.include({ accountId: "111111111111", accountName: "payments", status: "timed-out" });
    expect(account.suspects[0].link).to.equal("replication-rule");
    // The default wiring reads CloudWatch too: the bundled inventory's payments account is monitored,
    // and beforeEach deployed its alarms (moto creates them in state OK).
    expect(account.alarms).to.deep.equal({
      status: "read",
      alarms: [
        { kind: "failed-replication", name: "org-s3-backup-111111111111-failed-replication", state: "OK" },
        { kind: "replication-latency", name: "org-s3-backup-111111111111-replication-latency", state: "OK" },
      ],
    });
  });

  it("puts both canaries SSE-KMS with the account's key, the second asking for no bucket key", async () => {
    const clock = fakeClock(async () => replicateHealthyAccount());
    const env = { ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint };
    const { code, io } = await run(["--accounts", "111111111111", "--json"], env, clock);
    expect(code, io.err()).to.equal(0);
    const { runId } = JSON.parse(io.out());
    const sourcePrefix = `/${accounts.ok.bucket.name}/`;
    const puts = proxy.requests
      .filter((r) => r.method === "PUT" && r.url.startsWith(`${sourcePrefix}111111111111/${CANARY_FOLDER}/`))
      .map((r) => ({
        key: decodeURIComponent(r.url.split("?")[0].slice(sourcePrefix.length)),
        sse: r.headers["x-amz-server-side-encryption"],
        kmsKey: r.headers["x-amz-server-side-encryption-aws-kms-key-id"],
        bucketKey: r.headers["x-amz-server-side-encryption-bucket-key-enabled"],
      }))
      .sort((x, y) => x.key.localeCompare(y.key));
    expect(puts).to.deep.equal([
      {
        key: `111111111111/org-s3-backup-canary/${runId}-no-bucket-key.txt`,
        sse: "aws:kms",
        kmsKey: "alias/org-s3-backup-source",
        bucketKey: "false",
      },
      {
        key: `111111111111/org-s3-backup-canary/${runId}.txt`,
        sse: "aws:kms",
        kmsKey: "alias/org-s3-backup-source",
        bucketKey: "true",
      },
    ]);
  });

  it("reports the object-ARN path FAILED on its own while the bucket-key path replicates, and exits 1", async () => {
    objectArnPathFails = true;
    const clock = fakeClock(async () => replicateHealthyAccount());
    const env = { ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint };
    const { code, io } = await run(["--accounts", "111111111111", "--json"], env, clock);
    expect(code, io.err()).to.equal(1);
    const [account] = JSON.parse(io.out()).accounts;
    expect(account.status).to.equal("failed");
    expect(account.canaries.map((c: { path: string; status: string }) => [c.path, c.status])).to.deep.equal([
      ["bucket-key", "replicated"],
      ["no-bucket-key", "failed"],
    ]);
    expect(account.suspects).to.deep.equal([SUSPECTS.objectArnRolePolicy, SUSPECTS.objectArnCentralKey]);
    // Both canaries are gone from the source; only the bucket-key replica reached the central bucket.
    expect(await versionsUnder(accounts.ok.roleArn, accounts.ok.bucket.name, "111111111111/")).to.deep.equal([]);
    expect(await versionsUnder(inv.central.roleArn, inv.central.bucketName, "111111111111/")).to.deep.equal([
      account.key,
    ]);
  });

  it("lets the real S3 store say how it stored each canary and its replica", async () => {
    const store = s3CanaryStore(clients, "RUN");
    const [withKey, without] = canariesOf(canaryTargets(inv, [accounts.ok], "RUN")[0]);
    const versions = [await store.put(withKey, "x"), await store.put(without, "x")];
    await replicateHealthyAccount();
    const facts = [await store.encryption?.(withKey, versions[0]), await store.encryption?.(without, versions[1])];
    expect(facts.map((f) => f?.source?.sse)).to.deep.equal(["aws:kms", "aws:kms"]);
    expect(facts.map((f) => f?.source?.bucketKeyEnabled ?? false)).to.deep.equal([true, false]);
    expect(facts.map((f) => f?.replica !== undefined)).to.deep.equal([true, true]);
  });

  it("lets the real S3 store see a replica that exists", async () => {
    const store = s3CanaryStore(clients, "RUN");
    const [t] = canaryTargets(inv, [accounts.ok], "RUN");
    expect(await store.replicaExists(t)).to.equal(false);
    const versionId = await store.put(t, "x");
    await replicateHealthyAccount();
    expect(await store.replicaExists(t)).to.equal(true);
    const head = await asRole(inv.central.roleArn).send(
      new HeadObjectCommand({ Bucket: inv.central.bucketName, Key: t.key }),
    );
    expect(head.ContentLength).to.equal(1);
    expect(versionId).to.be.a("string");
  });

  it("exits 3 when only CloudWatch does not answer (AWS_ENDPOINT_URL_CLOUDWATCH), the replication result kept", async () => {
    const clock = fakeClock(async () => replicateHealthyAccount());
    const env = { ...moto.env, AWS_ENDPOINT_URL_CLOUDWATCH: `http://127.0.0.1:${await freePort()}` };
    const { code, io } = await run(["--accounts", "111111111111", "--json"], env, clock);
    expect(code, io.err()).to.equal(3);
    const [account] = JSON.parse(io.out()).accounts;
    expect(account).to.deep.include({ status: "replicated", alarms: { status: "unreadable" } });
    expect(account.notes[0]).to.match(
      /^could not read the alarms \(cloudwatch:DescribeAlarms as the account's role\): .*ECONNREFUSED/,
    );
  });

  it("exits 3 when the endpoint does not answer", async () => {
    const { code, io } = await run(
      ["--accounts", "111111111111"],
      { ...moto.env, AWS_ENDPOINT_URL: `http://127.0.0.1:${await freePort()}` },
      fakeClock(),
    );
    expect(code).to.equal(3);
    expect(io.err()).to.contain("no AWS credentials, or the endpoint is unreachable");
  });
});

describe("verify: CLI", () => {
  it("refuses bad input with exit 2 before calling AWS", async () => {
    for (const argv of [
      ["--timeout", "soon"],
      ["--accounts", "123"],
      ["--accounts", "central"],
      ["--concurrency", "0"],
      ["--frobnicate"],
    ]) {
      const io = capturedMainIo("/work");
      const command = verifyCommand({
        loadInventory: async () => inventory(),
        aws: () => {
          throw new Error("no AWS call expected");
        },
        clock: fakeClock(),
        interrupts: { onInterrupt: () => () => {} },
        exit: () => {},
        now: () => new Date("2026-11-25T07:00:00Z"),
      });
      const code = await command.run(argv, io);
      expect(code, argv.join(" ")).to.equal(2);
      expect(io.err()).to.contain("org-s3-backup verify:");
    }
  });

  it("is a command of org-s3-backup, with its help", async () => {
    const io = capturedMainIo("/work");
    const code = await main(["verify", "--help"], io);
    expect(code).to.equal(0);
    expect(io.out()).to.match(/^Usage: org-s3-backup verify /);
    expect(io.out()).to.contain("docs/day-two.md");
  });
});
