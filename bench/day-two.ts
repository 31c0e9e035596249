/**
 * Day-two figures: `npx tsx bench/day-two.ts [accounts]` (default 200).
 * 1. verify's own cost per account against the local emulator (put, head, status, delete, describe
 *    alarms as assumed roles), with replication played instantly: the floor under S3's replication time.
 * 2. discover --write's YAML splice into an inventory of 5,000 accounts.
 * Needs moto_server on PATH for (1); never talks to AWS.
 */
import {
  CopyObjectCommand,
  CreateBucketCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { AwsClients } from "../automation/day-two/aws-clients";
import { addAccountsToYaml } from "../automation/day-two/discover";
import { canaryTargets, type Clock, verifyAll } from "../automation/day-two/verify";
import { awsVerifyCalls } from "../automation/day-two/verify-aws";
import { inventory, sourceAccount } from "../tests/support/inventory-fixture";
import { motoUnavailableReason, startMoto } from "../tests/support/moto";

async function benchVerify(count: number): Promise<void> {
  const reason = await motoUnavailableReason();
  if (reason) {
    console.log(`verify: skipped (${reason})`);
    return;
  }
  const moto = await startMoto();
  try {
    const sources = Array.from({ length: count }, (_, i) => sourceAccount(String(100000000000 + i)));
    const inv = inventory({ sources });
    const clients = new AwsClients(moto.env);
    const asRole = (roleArn: string): S3Client =>
      clients.s3("eu-west-1", clients.assumeRole(roleArn, "eu-west-1", "bench"));
    const create = async (s3: S3Client, bucket: string) => {
      await s3.send(
        new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }),
      );
      await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
    };
    await create(asRole(inv.central.roleArn), inv.central.bucketName);
    for (const source of sources) await create(asRole(source.roleArn), source.bucket.name);

    // Replication played at the first wait: every canary copied, so one poll round finds them all.
    const central = asRole(inv.central.roleArn);
    const clock: Clock = {
      now: () => performance.now(),
      async sleep() {
        for (const source of sources) {
          const listed = await asRole(source.roleArn).send(
            new ListObjectVersionsCommand({ Bucket: source.bucket.name, Prefix: `${source.accountId}/` }),
          );
          for (const v of listed.Versions ?? []) {
            await central.send(
              new CopyObjectCommand({
                Bucket: inv.central.bucketName,
                Key: v.Key,
                CopySource: `${source.bucket.name}/${v.Key}?versionId=${v.VersionId}`,
              }),
            );
          }
        }
      },
    };
    for (const concurrency of [1, 16]) {
      const runId = `bench-${concurrency}`;
      const aws = awsVerifyCalls(new AwsClients(moto.env), runId);
      const started = performance.now();
      let replayMs = 0;
      const timedClock: Clock = {
        now: clock.now,
        async sleep(ms) {
          const at = performance.now();
          await clock.sleep(ms);
          replayMs += performance.now() - at;
        },
      };
      const results = await verifyAll(canaryTargets(inv, sources, runId), aws, {
        timeoutMs: 60_000,
        cleanup: true,
        concurrency,
        clock: timedClock,
        runId,
      });
      const ms = performance.now() - started - replayMs;
      const replicated = results.filter((r) => r.status === "replicated").length;
      console.log(
        `verify: ${count} accounts, concurrency ${concurrency}: ${ms.toFixed(0)} ms of verify's own calls ` +
          `(${(ms / count).toFixed(1)} ms/account), ${replicated}/${count} replicated`,
      );
    }
  } finally {
    await moto.stop();
  }
}

function benchYaml(): void {
  const existing = Array.from(
    { length: 5000 },
    (_, i) => `  # team ${i}\n  - accountId: "${String(200000000000 + i)}"\n    name: app-${i}\n`,
  ).join("");
  const text = `# inventory\norganizationId: o-a1b2c3d4e5\naccounts:\n${existing}`;
  const added = Array.from({ length: 100 }, (_, i) => ({
    accountId: String(300000000000 + i),
    name: `new-${i}`,
    state: "ACTIVE",
  }));
  const rounds = 5;
  const started = performance.now();
  for (let i = 0; i < rounds; i++) addAccountsToYaml(text, added, "added by bench");
  console.log(
    `discover --write splice: 100 accounts into a 5,000-account inventory (${(text.length / 1024).toFixed(0)} KiB): ` +
      `${((performance.now() - started) / rounds).toFixed(0)} ms`,
  );
}

void (async () => {
  benchYaml();
  await benchVerify(Number(process.argv[2] ?? 200));
})();
