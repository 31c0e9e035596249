/**
 * Restore figures: `npm run bench:restore` (or `npx tsx bench/restore.ts [objects] [--planning-only | --copy-only]`,
 * default 2,000 objects).
 * 1. Copy throughput: the whole `restore` command (list, plan, journal, server-side CopyObject) against
 *    the local emulator, for `objects` small objects at concurrency 1, 8 and 32; objects/s, the ratios,
 *    and the projected time for 1,000,000 objects at the best concurrency.
 * 2. Planning: ListObjectVersions pages (1,000 versions each, 4 versions per key) served by a stub HTTP
 *    server in a child process, parsed by the SDK and fed to the selection: 25k, 50k, 100k versions, to
 *    show it is linear; and the selection alone (no HTTP) up to 1,000,000 versions, with its memory.
 * Needs moto_server on PATH for (1); never talks to AWS.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { PassThrough } from "node:stream";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import { CreateBucketCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { AwsClients } from "../automation/day-two/aws-clients";
import { listVersions } from "../automation/day-two/restore-aws";
import {
  type RestoreScope,
  selectVersions,
  type VersionPage,
  VersionSelector,
} from "../automation/day-two/restore-plan";
import { inventory, sourceAccount } from "../tests/support/inventory-fixture";
import { inProcessRestoreCommand } from "../tests/support/restore-command";
import { motoUnavailableReason, startMoto } from "../tests/support/moto";

const ACCOUNT = "111111111111";
const VERSIONS_PER_KEY = 4;
const PAGE = 1000;
const T0 = Date.parse("2026-11-01T00:00:00Z");

// A collector to call before measuring memory, without needing node --expose-gc.
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

const keyOf = (i: number) => `${ACCOUNT}/data/${String(i).padStart(9, "0")}.bin`;

/** The versions of key `k`, newest first: the newest at T0 + k seconds, the others 1, 2, 3 days before T0. */
function versionsOf(k: number): { key: string; id: string; at: number; latest: boolean }[] {
  return Array.from({ length: VERSIONS_PER_KEY }, (_, v) => ({
    key: keyOf(k),
    id: `3sL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY-${k}-${v}`,
    at: v === 0 ? T0 + k * 1000 : T0 - v * 86_400_000,
    latest: v === 0,
  }));
}

function pageAt(startKey: number): VersionPage {
  const versions = [];
  for (let j = startKey; j < startKey + PAGE / VERSIONS_PER_KEY; j++) {
    for (const v of versionsOf(j)) {
      versions.push({
        Key: v.key,
        VersionId: v.id,
        IsLatest: v.latest,
        LastModified: new Date(v.at),
        ETag: `"e${v.id}"`,
        Size: 1024,
      });
    }
  }
  return { Versions: versions };
}

// ---------------------------------------------------------------------------------------------------
// The stub: `tsx bench/restore.ts --serve-versions N` answers ListObjectVersions for N versions.
// ---------------------------------------------------------------------------------------------------

function serveVersions(total: number): void {
  const keys = total / VERSIONS_PER_KEY;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://stub");
    const marker = url.searchParams.get("key-marker");
    const start = marker ? Number(/(\d+)\.bin$/.exec(marker)?.[1]) + 1 : 0;
    const end = Math.min(keys, start + PAGE / VERSIONS_PER_KEY);
    let body =
      '<?xml version="1.0" encoding="UTF-8"?>' +
      '<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>central</Name>';
    body += `<Prefix>${ACCOUNT}/</Prefix><MaxKeys>${PAGE}</MaxKeys><IsTruncated>${end < keys}</IsTruncated>`;
    if (end < keys)
      body +=
        `<NextKeyMarker>${keyOf(end - 1)}</NextKeyMarker>` +
        `<NextVersionIdMarker>${versionsOf(end - 1)[VERSIONS_PER_KEY - 1].id}</NextVersionIdMarker>`;
    for (let k = start; k < end; k++) {
      for (const v of versionsOf(k)) {
        body +=
          `<Version><Key>${v.key}</Key><VersionId>${v.id}</VersionId><IsLatest>${v.latest}</IsLatest>` +
          `<LastModified>${new Date(v.at).toISOString()}</LastModified><ETag>"e${v.id}"</ETag><Size>1024</Size>` +
          "<StorageClass>STANDARD</StorageClass></Version>";
      }
    }
    body += "</ListVersionsResult>";
    res.writeHead(200, { "content-type": "application/xml" });
    res.end(body);
  });
  server.listen(0, "127.0.0.1", () => process.stdout.write(`${(server.address() as { port: number }).port}\n`));
}

async function startStub(total: number): Promise<{ endpoint: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [...process.execArgv, __filename, "--serve-versions", String(total)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout?.once("data", (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once("exit", (code) => reject(new Error(`stub exited ${code}`)));
  });
  return { endpoint: `http://127.0.0.1:${port}`, child };
}

function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}

/** As of half way through the keys' newest versions: every key has a version then, half of them a newer one. */
function scopeFor(total: number): RestoreScope {
  return {
    accountId: ACCOUNT,
    prefix: "",
    keepPrefix: false,
    targetPrefix: "restored/",
    asOf: T0 + (total / VERSIONS_PER_KEY / 2) * 1000,
  };
}

async function benchPlanning(): Promise<void> {
  // Through the SDK from a stub in a child process. The sizes are measured in turns, best of 7 each, so
  // that a burst of load on this shared machine does not land on one size only.
  const sizes = [25_000, 50_000, 100_000];
  const stubs = await Promise.all(sizes.map((total) => startStub(total)));
  try {
    const plan = async (i: number) => {
      const s3 = new S3Client({
        region: "eu-west-1",
        endpoint: stubs[i].endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
      });
      const selector = new VersionSelector(scopeFor(sizes[i]));
      const started = performance.now();
      const cpu = process.cpuUsage();
      await listVersions(s3, "central", `${ACCOUNT}/`, "999999999999", (page) => selector.addPage(page));
      const chosen = selector.finish().entries.length;
      return { ms: performance.now() - started, cpuMs: cpuMs(process.cpuUsage(cpu)), chosen };
    };
    await plan(0); // warm-up: loading and compiling the SDK's parser
    const best = sizes.map(() => ({ ms: Number.POSITIVE_INFINITY, cpuMs: Number.POSITIVE_INFINITY, chosen: 0 }));
    for (let round = 0; round < 7; round++) {
      for (let i = 0; i < sizes.length; i++) {
        const run = await plan(i);
        best[i] = { ms: Math.min(best[i].ms, run.ms), cpuMs: Math.min(best[i].cpuMs, run.cpuMs), chosen: run.chosen };
      }
    }
    for (let i = 0; i < sizes.length; i++) {
      console.log(
        `planning: ${sizes[i].toLocaleString("en-US")} versions ` +
          `(${sizes[i] / PAGE} ListObjectVersions pages from the stub, SDK parse + selection): ` +
          `${best[i].ms.toFixed(0)} ms wall, ${best[i].cpuMs.toFixed(0)} ms CPU of this process ` +
          `(${(best[i].cpuMs / (sizes[i] / 1000)).toFixed(1)} ms per 1,000 versions), ` +
          `${best[i].chosen.toLocaleString("en-US")} objects chosen`,
      );
    }
    console.log(
      `planning: CPU 50k/25k = ${(best[1].cpuMs / best[0].cpuMs).toFixed(2)}x, ` +
        `100k/50k = ${(best[2].cpuMs / best[1].cpuMs).toFixed(2)}x; ` +
        `wall ${(best[1].ms / best[0].ms).toFixed(2)}x, ${(best[2].ms / best[1].ms).toFixed(2)}x ` +
        "(2.00x is linear, 4.00x quadratic; CPU time is what a busy machine distorts least)",
    );
  } finally {
    for (const stub of stubs) stub.child.kill();
  }

  // The selection alone, without HTTP and XML: where the algorithm's own cost shows (best of 5).
  const all: VersionPage[] = [];
  for (let k = 0; k < 1_000_000 / VERSIONS_PER_KEY; k += PAGE / VERSIONS_PER_KEY) all.push(pageAt(k));
  const times: number[] = [];
  const selectionSizes = [25_000, 50_000, 100_000, 1_000_000];
  for (const total of selectionSizes) {
    const pages = all.slice(0, total / PAGE);
    let best = Number.POSITIVE_INFINITY;
    for (let round = 0; round < 5; round++) {
      const cpu = process.cpuUsage();
      selectVersions(scopeFor(total), pages);
      best = Math.min(best, cpuMs(process.cpuUsage(cpu)));
    }
    times.push(best);
  }
  const perSize = selectionSizes.map((n, i) => `${n.toLocaleString("en-US")} versions ${times[i].toFixed(1)} ms`);
  console.log(
    `selection only (CPU): ${perSize.join(", ")}; ` +
      `${((1_000_000 / times[3]) * 1000).toLocaleString("en-US", { maximumFractionDigits: 0 })} versions/s at 1M; ` +
      `ratios 50k/25k ${(times[1] / times[0]).toFixed(2)}x, 100k/50k ${(times[2] / times[1]).toFixed(2)}x, ` +
      `1M/100k ${(times[3] / times[2]).toFixed(2)}x (linear: 2, 2, 10)`,
  );
  all.length = 0;

  // Memory: pages built on the fly (as they arrive from S3, then dropped), so what stays is what the plan
  // holds: the chosen entries with their key, version id and ETag strings.
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const selector = new VersionSelector(scopeFor(1_000_000));
  for (let k = 0; k < 1_000_000 / VERSIONS_PER_KEY; k += PAGE / VERSIONS_PER_KEY) selector.addPage(pageAt(k));
  const held = selector.finish();
  gc();
  const heap = process.memoryUsage().heapUsed - heapBefore;
  console.log(
    `selection memory: the plan of ${held.entries.length.toLocaleString("en-US")} objects ` +
      `holds ~${Math.round(heap / held.entries.length)} bytes per object (${(heap / 1024 / 1024).toFixed(0)} MiB)`,
  );
}

// ---------------------------------------------------------------------------------------------------
// Copy throughput on the emulator.
// ---------------------------------------------------------------------------------------------------

async function benchCopy(count: number): Promise<void> {
  const reason = await motoUnavailableReason();
  if (reason) {
    console.log(`copy: skipped (${reason})`);
    return;
  }
  const moto = await startMoto();
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "bench-restore-"));
  try {
    const payments = sourceAccount(ACCOUNT, { name: "payments" });
    const inv = inventory({ sources: [payments] });
    const clients = new AwsClients(moto.env);
    const s3 = clients.s3("eu-west-1", clients.assumeRole(inv.central.roleArn, "eu-west-1", "bench"));
    for (const bucket of [inv.central.bucketName, "bench-restore-target"]) {
      await s3.send(
        new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }),
      );
      await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
    }
    const keys = Array.from({ length: count }, (_, i) => `${ACCOUNT}/small/${String(i).padStart(6, "0")}.txt`);
    for (let i = 0; i < keys.length; i += 64) {
      await Promise.all(
        keys
          .slice(i, i + 64)
          .map((key) =>
            s3.send(new PutObjectCommand({ Bucket: inv.central.bucketName, Key: key, Body: `object ${key}\n` })),
          ),
      );
    }
    const rates = new Map<number, number>();
    for (const concurrency of [1, 8, 32]) {
      let out = "";
      const stdout = new PassThrough().on("data", (c: Buffer) => (out += c.toString()));
      const command = inProcessRestoreCommand(inv);
      const started = performance.now();
      const cpu = process.cpuUsage();
      const code = await command.run(
        [
          "--account",
          ACCOUNT,
          "--to",
          `s3://bench-restore-target/c${concurrency}`,
          "--concurrency",
          String(concurrency),
          "--json",
        ],
        {
          stdout,
          stderr: new PassThrough(),
          env: moto.env,
          cwd,
        },
      );
      const total = performance.now() - started;
      const clientCpu = cpuMs(process.cpuUsage(cpu));
      const report = JSON.parse(out);
      if (code !== 0 || report.outcome.copied !== count)
        throw new Error(`restore exited ${code}: ${out.slice(0, 500)}`);
      const copyMs = report.outcome.durationMs;
      const rate = (count / copyMs) * 1000;
      rates.set(concurrency, rate);
      console.log(
        `copy: ${count.toLocaleString("en-US")} objects, concurrency ${String(concurrency).padStart(2)}: ` +
          `${rate.toFixed(0)} objects/s copying (${copyMs} ms), ` +
          `${(total / 1000).toFixed(1)} s for the whole command (listing, plan, journal); ` +
          `this process used ${(clientCpu / count).toFixed(1)} ms CPU per object`,
      );
    }
    const r1 = rates.get(1) as number;
    const [bestConcurrency, bestRate] = [...rates].sort((a, b) => b[1] - a[1])[0];
    console.log(
      `copy: ratios vs concurrency 1: 8 -> ${((rates.get(8) as number) / r1).toFixed(1)}x, ` +
        `32 -> ${((rates.get(32) as number) / r1).toFixed(1)}x`,
    );
    const seconds = 1_000_000 / bestRate;
    console.log(
      `copy: projected 1,000,000 objects at concurrency ${bestConcurrency} on this emulator: ` +
        `${(seconds / 60).toFixed(0)} min (${bestRate.toFixed(0)} objects/s). ` +
        "The emulator is one Python process on a shared 2-core machine: it, not the client, is the bound here.",
    );
  } finally {
    await moto.stop();
    fs.rmSync(cwd, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--serve-versions") serveVersions(Number(process.argv[3]));
else {
  void (async () => {
    const load = os.loadavg().map((n) => n.toFixed(1));
    console.log(
      `machine: ${os.cpus().length} CPUs, load average ${load.join(" ")} (figures on a loaded machine are pessimistic)`,
    );
    const args = process.argv.slice(2);
    if (!args.includes("--copy-only")) await benchPlanning();
    if (!args.includes("--planning-only")) await benchCopy(Number(args.find((a) => /^\d+$/.test(a)) ?? 2000));
  })();
}
