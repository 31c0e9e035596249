import { PassThrough } from "node:stream";
import {
  CopyObjectCommand,
  CreateBucketCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { expect } from "chai";
import { verifyCommand } from "../../automation/cli/commands/verify";
import { AwsClients } from "../../automation/day-two/aws-clients";
import { DRILL_FOLDER, type RestoreDrill } from "../../automation/day-two/restore-drill";
import {
  type AlarmReader,
  type CanaryStore,
  type Clock,
  canaryTargets,
  verifyAll,
} from "../../automation/day-two/verify";
import { awsVerifyCalls } from "../../automation/day-two/verify-aws";
import { formatVerifyTable, verifyExitCode, verifyJson } from "../../automation/day-two/verify-format";
import { inventory, sourceAccount } from "../support/inventory-fixture";
import { type Moto, skipWithoutMoto, startMoto } from "../support/moto";

/**
 * `verify --restore`: after the canary replicated, it is restored from the central bucket with restore's
 * copy engine into the source bucket's scratch prefix, read back and compared, and removed.
 */

const PAYMENTS = sourceAccount("111111111111", { name: "payments", monitoring: { enabled: false } });
const inv = inventory({ sources: [PAYMENTS] });

/** Virtual time whose waits play S3 replication. */
function replicatingClock(replicate: () => Promise<void>): Clock {
  let now = 0;
  return {
    now: () => now,
    async sleep(ms) {
      now += ms;
      await replicate();
    },
  };
}

describe("verify --restore: the restore drill (in memory)", () => {
  const target = canaryTargets(inv, inv.sources, "RUN")[0];
  const store: CanaryStore = {
    put: async () => "v1",
    sourceStatus: async () => undefined,
    replicaExists: async () => true,
    removeSource: async () => undefined,
    removeReplica: async () => undefined,
  };
  const alarms: AlarmReader = { states: async () => new Map() };
  const options = {
    timeoutMs: 60_000,
    cleanup: false,
    concurrency: 2,
    clock: replicatingClock(async () => {}),
    runId: "RUN",
    restoreDrill: true,
  };

  it("runs only when asked, for replicated accounts, with the canary's body; a failed drill fails the run (exit 1)", async () => {
    const bodies: string[] = [];
    const failing: RestoreDrill = {
      async run(_t, body) {
        bodies.push(body);
        return {
          status: "failed",
          detail: "could not restore the replica to s3://acme-data-111111111111/x: AccessDenied: Access Denied",
          key: "x",
          environment: false,
          notes: [],
        };
      },
    };
    const without = await verifyAll(
      [target],
      { canaries: store, alarms, drill: failing },
      { ...options, restoreDrill: false },
    );
    expect(without[0].restore).to.equal(undefined);
    expect(bodies).to.deep.equal([]);

    const results = await verifyAll([target], { canaries: store, alarms, drill: failing }, options);
    expect(bodies).to.deep.equal(["org-s3-backup replication canary\naccount: 111111111111\nrun: RUN\n"]);
    expect(results[0].status).to.equal("replicated");
    expect(verifyExitCode(results)).to.equal(1);
    const table = formatVerifyTable(results);
    expect(table).to.match(/^\s+restore: {2}FAILED: could not restore the replica/m);
    expect(table).to.contain("the source bucket's policy must let the central role s3:PutObject");
    expect(table).to.contain("restore drill: 0 restored, 1 failed");
    expect(
      (verifyJson(results, "RUN", 1) as { accounts: { restore: { status: string } }[] }).accounts[0].restore.status,
    ).to.equal("failed");
  });

  it("counts a drill that could not reach AWS as environment (exit 3)", async () => {
    const unreachable: RestoreDrill = {
      run: async () => ({ status: "failed", detail: "ECONNREFUSED", key: "x", environment: true, notes: [] }),
    };
    expect(
      verifyExitCode(await verifyAll([target], { canaries: store, alarms, drill: unreachable }, options)),
    ).to.equal(3);
  });
});

describe("verify --restore: the restore drill against the emulator", function () {
  this.timeout(30_000);
  let moto: Moto;
  let clients: AwsClients;
  const asRole = (roleArn: string): S3Client =>
    clients.s3("eu-west-1", clients.assumeRole(roleArn, "eu-west-1", "test"));

  before(async function () {
    await skipWithoutMoto(this);
    moto = await startMoto();
    clients = new AwsClients(moto.env);
    for (const [roleArn, bucket] of [
      [inv.central.roleArn, inv.central.bucketName],
      [PAYMENTS.roleArn, PAYMENTS.bucket.name],
    ]) {
      await asRole(roleArn).send(
        new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }),
      );
      await asRole(roleArn).send(
        new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }),
      );
    }
  });
  after(() => moto?.stop());

  /** Plays S3 replication: the canaries not yet in the central bucket are copied there. */
  async function replicate(): Promise<void> {
    const listed = await asRole(PAYMENTS.roleArn).send(
      new ListObjectVersionsCommand({ Bucket: PAYMENTS.bucket.name, Prefix: `${PAYMENTS.accountId}/` }),
    );
    const there = await asRole(inv.central.roleArn).send(
      new ListObjectVersionsCommand({ Bucket: inv.central.bucketName, Prefix: `${PAYMENTS.accountId}/` }),
    );
    const copied = new Set((there.Versions ?? []).map((v) => v.Key));
    for (const v of (listed.Versions ?? []).filter((v) => !copied.has(v.Key))) {
      await asRole(inv.central.roleArn).send(
        new CopyObjectCommand({
          Bucket: inv.central.bucketName,
          Key: v.Key,
          CopySource: `${PAYMENTS.bucket.name}/${v.Key}?versionId=${v.VersionId}`,
        }),
      );
    }
  }

  it("restores the replica to the source bucket's scratch prefix, compares the bytes, removes the copy, and exits 0", async () => {
    let out = "";
    const stdout = new PassThrough().on("data", (c: Buffer) => (out += c.toString()));
    const command = verifyCommand({
      loadInventory: async () => inv,
      aws: (env, runId) => awsVerifyCalls(new AwsClients(env), runId),
      clock: replicatingClock(replicate),
      interrupts: { onInterrupt: () => () => {} },
      exit: () => expect.fail("no exit"),
      now: () => new Date("2026-11-25T07:00:00Z"),
    });
    const code = await command.run(["--restore", "--json"], {
      stdout,
      stderr: new PassThrough(),
      env: moto.env,
      cwd: "/work",
    });
    const [account] = JSON.parse(out).accounts;
    expect(code, out).to.equal(0);
    expect(account.status).to.equal("replicated");
    expect(account.restore.status, account.restore.detail).to.equal("restored");
    expect(account.restore.detail).to.match(
      new RegExp(
        `^restored from the central bucket to s3://acme-data-111111111111/${DRILL_FOLDER}/.*\\.txt ` +
          "and read back: \\d+ bytes identical$",
      ),
    );
    // Nothing left behind in the source bucket: not the canary, not the drill's copy, no delete marker.
    const left = await asRole(PAYMENTS.roleArn).send(new ListObjectVersionsCommand({ Bucket: PAYMENTS.bucket.name }));
    expect([...(left.Versions ?? []), ...(left.DeleteMarkers ?? [])].map((v) => v.Key)).to.deep.equal([]);
  });
});
