import { CreateKeyCommand, CreateAliasCommand } from "@aws-sdk/client-kms";
import {
  CreateBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { expect } from "chai";
import { type CoverageDeps, coverageCommand } from "../../automation/cli/commands/coverage";
import { main } from "../../automation/cli/main";
import { AwsClients } from "../../automation/day-two/aws-clients";
import {
  checkAccount,
  checkCoverage,
  type CoverageOptions,
  type CoverageResult,
  type CoverageStore,
  type CoverageTarget,
  coverageTargets,
  type Encryption,
  type KeyDescription,
  type ListPage,
  type ListRequest,
} from "../../automation/day-two/coverage";
import { awsCoverageStore } from "../../automation/day-two/coverage-aws";
import { coverageExitCode, coverageJson, formatCoverageTable } from "../../automation/day-two/coverage-format";
import type { AdoptedBucket, SourceAccount } from "../../config/types";
import { capturedMainIo } from "../support/captured-io";
import { inventory, sourceAccount } from "../support/inventory-fixture";
import { type Moto, skipWithoutMoto, startMoto } from "../support/moto";
import { joinedRegExp } from "../support/regexp";

const ACCOUNT_KEY = "arn:aws:kms:eu-west-1:333333333333:key/0000aaaa-0000-aaaa-0000-aaaa0000aaaa";
const LEGACY_KEY = "arn:aws:kms:eu-west-1:333333333333:key/1111bbbb-1111-bbbb-1111-bbbb1111bbbb";
const STRANGER_KEY = "arn:aws:kms:eu-west-1:333333333333:key/2222cccc-2222-cccc-2222-cccc2222cccc";
const AWS_MANAGED_KEY = "arn:aws:kms:eu-west-1:333333333333:key/3333dddd-3333-dddd-3333-dddd3333dddd";

function adopted(keys: AdoptedBucket["keys"], extra: Partial<AdoptedBucket> = {}): Partial<SourceAccount> {
  return {
    bucket: { name: "legacy-web-assets", existing: true },
    existingBucket: {
      name: "legacy-web-assets",
      keys,
      manage: { encryption: false, publicAccessBlock: false, bucketPolicy: false },
      existingReplication: "refuse",
      additionalKmsKeyArns: [],
      ...extra,
    },
  };
}

const legacy = coverageTargets([
  sourceAccount("333333333333", { name: "legacy-web", ...adopted("partial", { additionalKmsKeyArns: [LEGACY_KEY] }) }),
])[0];

interface MemoryObject {
  size: number;
  encryption?: Encryption;
}

/**
 * An in-memory bucket answering as S3 does: ListObjectsV2 in key order with Prefix, Delimiter, MaxKeys
 * (default 1,000) and an opaque continuation token; HeadObject; GetBucketEncryption; KMS DescribeKey.
 */
function memoryStore(
  objects: Record<string, MemoryObject>,
  options: {
    defaultEncryption?: Encryption;
    keys?: Record<string, KeyDescription>;
    listError?: Error;
  } = {},
) {
  const keys = Object.keys(objects).sort();
  const calls: string[] = [];
  const store: CoverageStore = {
    async list(_t, request: ListRequest): Promise<ListPage> {
      calls.push(
        `list ${request.prefix ?? ""}${request.delimiter ? " /" : ""}${request.continuationToken ? " +" : ""}`,
      );
      if (options.listError) throw options.listError;
      const max = request.maxKeys ?? 1000;
      const matching = keys.filter((key) => key.startsWith(request.prefix ?? ""));
      // Each entry is an object or a common prefix; a common prefix counts once, as in S3.
      const entries: { key?: string; prefix?: string }[] = [];
      for (const key of matching) {
        const rest = key.slice((request.prefix ?? "").length);
        const cut = request.delimiter ? rest.indexOf(request.delimiter) : -1;
        if (cut === -1) entries.push({ key });
        else {
          const prefix = (request.prefix ?? "") + rest.slice(0, cut + 1);
          if (entries.at(-1)?.prefix !== prefix) entries.push({ prefix });
        }
      }
      const start = Number(request.continuationToken ?? 0);
      const page = entries.slice(start, start + max);
      return {
        objects: page.flatMap((e) => (e.key ? [{ key: e.key, size: objects[e.key].size }] : [])),
        prefixes: page.flatMap((e) => (e.prefix ? [e.prefix] : [])),
        ...(start + max < entries.length ? { nextToken: String(start + max) } : {}),
      };
    },
    async head(_t, key) {
      calls.push(`head ${key}`);
      return objects[key].encryption ?? { algorithm: "AES256" };
    },
    async defaultEncryption() {
      calls.push("encryption");
      return options.defaultEncryption;
    },
    async describeKey(_t, keyId) {
      calls.push(`describe ${keyId}`);
      const table: Record<string, KeyDescription> = {
        "alias/org-s3-backup-source": { arn: ACCOUNT_KEY, manager: "CUSTOMER" },
        ...options.keys,
      };
      return table[keyId];
    },
  };
  return { store, calls };
}

const options = (overrides: Partial<CoverageOptions> = {}): CoverageOptions => ({
  deep: false,
  sample: 5,
  concurrency: 4,
  ...overrides,
});

/** `count` objects of `size` bytes under `prefix`. */
function many(prefix: string, count: number, size = 10, encryption?: Encryption): Record<string, MemoryObject> {
  return Object.fromEntries(
    Array.from({ length: count }, (_, i) => [
      `${prefix}${String(i).padStart(5, "0")}`,
      { size, ...(encryption ? { encryption } : {}) },
    ]),
  );
}

const kms = (keyId: string): Encryption => ({ algorithm: "aws:kms", kmsKeyId: keyId });

describe("coverage: counting what is outside the replicated prefix", () => {
  it("reports covered when every object is under <accountId>/, without counting inside it", async () => {
    const { store, calls } = memoryStore(many("333333333333/", 3));
    const result = await checkAccount(legacy, store, options({ sample: 0 }));
    expect(result.status).to.equal("covered");
    expect(result.detail).to.equal("covered: every object is under 333333333333/");
    expect(result.outside).to.deep.equal({ objects: 0, bytes: 0, complete: true, parts: [] });
    expect(result.topLevelPrefixes).to.deep.equal(["333333333333/"]);
    expect(calls).to.deep.equal(["list  /"]);
  });

  it("counts the objects and bytes at the root and under every other prefix, keys that merely start with the id included", async () => {
    const { store } = memoryStore({
      ...many("333333333333/", 4),
      "index.html": { size: 100 },
      "favicon.ico": { size: 50 },
      ...many("assets/", 3, 1000),
      ...many("333333333333-old/", 2, 7),
      "333333333333": { size: 1 },
    });
    const result = await checkAccount(legacy, store, options({ sample: 0 }));
    expect(result.status).to.equal("not-protected");
    expect(result.detail).to.equal("NOT PROTECTED: 8 objects (3,165 bytes) outside 333333333333/");
    expect(result.outside?.parts).to.deep.equal([
      { prefix: "", objects: 3, bytes: 151, complete: true },
      { prefix: "333333333333-old/", objects: 2, bytes: 14, complete: true },
      { prefix: "assets/", objects: 3, bytes: 3000, complete: true },
    ]);
    expect(result.topLevelPrefixes).to.deep.equal(["333333333333-old/", "333333333333/", "assets/"]);
  });

  it("is bounded without --deep: one page per prefix, the first 20 prefixes, lower bounds marked; --deep counts all", async () => {
    const objects = {
      ...many("big/", 2500, 2),
      ...Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`p${String(i).padStart(2, "0")}/x`, { size: 5 }])),
    };
    const shallow = await checkAccount(legacy, memoryStore(objects).store, options({ sample: 0 }));
    // 1 top-level page + 20 prefixes one page each.
    expect(shallow.calls).to.equal(21);
    expect(shallow.outside?.complete).to.equal(false);
    expect(shallow.outside?.parts[0]).to.deep.equal({ prefix: "big/", objects: 1000, bytes: 2000, complete: false });
    // 19 small prefixes counted, 11 not counted (each at least one object).
    expect(shallow.outside?.objects).to.equal(1000 + 19 + 11);
    expect(shallow.detail).to.equal(
      "NOT PROTECTED: at least 1,030 objects (at least 2,095 bytes) outside 333333333333/ (--deep counts them all)",
    );
    const deep = await checkAccount(legacy, memoryStore(objects).store, options({ sample: 0, deep: true }));
    // 1 top-level page + 3 pages of big/ + 30 other prefixes.
    expect(deep.calls).to.equal(34);
    expect(deep.outside).to.deep.include({ objects: 2530, bytes: 5150, complete: true });
    expect(deep.detail).to.equal("NOT PROTECTED: 2,530 objects (5,150 bytes) outside 333333333333/");
  });

  it("stops the top-level listing after 10 pages without --deep and says the listing is incomplete", async () => {
    const objects = Object.fromEntries(Array.from({ length: 10_500 }, (_, i) => [`root-${i}`, { size: 1 }]));
    const shallow = await checkAccount(legacy, memoryStore(objects).store, options({ sample: 0 }));
    expect(shallow.calls).to.equal(10);
    expect(shallow.topLevelComplete).to.equal(false);
    expect(shallow.outside).to.deep.include({ objects: 10_000, complete: false });
    const deep = await checkAccount(legacy, memoryStore(objects).store, options({ sample: 0, deep: true }));
    expect(deep.calls).to.equal(11);
    expect(deep.outside).to.deep.include({ objects: 10_500, complete: true });
  });

  it("measures calls per account: 1 + min(P, 20) listings, + 1 inside listing, the heads and 2 key reads", async () => {
    const measured: Record<number, number> = {};
    for (const prefixes of [0, 1, 5, 20, 100, 1000]) {
      const objects = {
        ...many("333333333333/", 10),
        ...Object.fromEntries(Array.from({ length: prefixes }, (_, i) => [`p${i}/a`, { size: 1 }])),
      };
      const result = await checkAccount(legacy, memoryStore(objects).store, options());
      measured[prefixes] = result.calls;
      const outsideSampled = Math.min(prefixes, 5);
      expect(result.calls, `${prefixes} prefixes`).to.equal(
        Math.ceil((prefixes + 1) / 1000) + Math.min(prefixes, 20) + 1 + 5 + outsideSampled + 2,
      );
    }
    expect(measured).to.deep.equal({ 0: 9, 1: 11, 5: 19, 20: 34, 100: 34, 1000: 35 });
  });
});

describe("coverage: KMS keys the replication role cannot read", () => {
  it("accepts the account key, the entry's additional keys, bare key ids of them and the AWS managed key", async () => {
    const { store } = memoryStore(
      {
        "333333333333/a": { size: 1, encryption: kms(ACCOUNT_KEY) },
        "333333333333/b": { size: 1, encryption: kms(LEGACY_KEY) },
        "333333333333/c": { size: 1, encryption: kms(AWS_MANAGED_KEY) },
        "333333333333/d": { size: 1 },
      },
      {
        defaultEncryption: kms("1111bbbb-1111-bbbb-1111-bbbb1111bbbb"),
        keys: { [AWS_MANAGED_KEY]: { arn: AWS_MANAGED_KEY, manager: "AWS" } },
      },
    );
    const result = await checkAccount(legacy, store, options());
    expect(result.status).to.equal("covered");
    expect(result.kms).to.deep.equal({
      status: "checked",
      readableKeys: [ACCOUNT_KEY, LEGACY_KEY],
      sampled: { inside: 4, outside: 0 },
      unreadable: [],
    });
  });

  it("reports objects under the prefix with another key as NOT PROTECTED (their replication fails), outside ones as a finding", async () => {
    const { store } = memoryStore(
      {
        "333333333333/a": { size: 1, encryption: kms(STRANGER_KEY) },
        "333333333333/b": { size: 1, encryption: kms(STRANGER_KEY) },
        "333333333333/c": { size: 1, encryption: kms(ACCOUNT_KEY) },
        "old/x": { size: 1, encryption: kms(STRANGER_KEY) },
      },
      { keys: { [STRANGER_KEY]: { arn: STRANGER_KEY, manager: "CUSTOMER" } } },
    );
    const result = await checkAccount(legacy, store, options());
    expect(result.status).to.equal("not-protected");
    expect(result.kms.status === "checked" && result.kms.unreadable).to.deep.equal([
      { keyId: STRANGER_KEY, where: "inside", objects: 2, example: "333333333333/a" },
      { keyId: STRANGER_KEY, where: "outside", objects: 1, example: "old/x" },
    ]);
    expect(result.detail).to.equal(
      "NOT PROTECTED: 1 object (1 bytes) outside 333333333333/; " +
        `objects under 333333333333/ use KMS key ${STRANGER_KEY}, ` +
        "which the replication role may not decrypt (their replication FAILS)",
    );
  });

  it("reports a default encryption key the role cannot read: every new object would fail", async () => {
    const { store } = memoryStore(many("333333333333/", 2), { defaultEncryption: kms("alias/legacy-assets") });
    const result = await checkAccount(legacy, store, options());
    expect(result.status).to.equal("not-protected");
    expect(result.detail).to.equal(
      "NOT PROTECTED: new objects are encrypted with KMS key alias/legacy-assets, " +
        "which the replication role may not decrypt",
    );
    expect(formatCoverageTable([result])).to.contain("or set existingBucket.manage.encryption: true");
  });

  it("samples at most --sample objects on each side, one of each outside prefix first; --sample 0 skips the check", async () => {
    const { store, calls } = memoryStore({ ...many("333333333333/", 9), ...many("a/", 4), ...many("b/", 4) });
    await checkAccount(legacy, store, options({ sample: 3 }));
    expect(calls.filter((call) => call.startsWith("head "))).to.deep.equal([
      "head 333333333333/00000",
      "head 333333333333/00001",
      "head 333333333333/00002",
      "head a/00000",
      "head b/00000",
      "head a/00001",
    ]);
    const skipped = await checkAccount(legacy, memoryStore(many("a/", 2)).store, options({ sample: 0 }));
    expect(skipped.kms).to.deep.equal({ status: "skipped", reason: "--sample 0" });
  });

  it("notes a missing account key (stack not deployed) and then trusts only the additional keys", async () => {
    const { store } = memoryStore({ "333333333333/a": { size: 1, encryption: kms(ACCOUNT_KEY) } });
    const noAlias: CoverageTarget = { ...legacy, kmsAlias: "alias/not-there" };
    const result = await checkAccount(noAlias, store, options());
    expect(result.notes).to.include("the account key alias/not-there does not exist (is the source stack deployed?)");
    expect(result.status).to.equal("not-protected");
  });
});

describe("coverage: layout, errors and exit codes", () => {
  it("says when the inventory's key layout disagrees with the bucket", async () => {
    const prefixOnly = coverageTargets([sourceAccount("333333333333", adopted("under-account-prefix"))])[0];
    const wrong = await checkAccount(prefixOnly, memoryStore({ "x/y": { size: 1 } }).store, options({ sample: 0 }));
    expect(wrong.notes).to.deep.equal([
      "the inventory says keys: under-account-prefix, but objects are outside 333333333333/: " +
        "move them under it, or write keys: partial",
    ]);
    const partial = await checkAccount(legacy, memoryStore(many("333333333333/", 1)).store, options({ sample: 0 }));
    expect(partial.notes).to.deep.equal([
      "the inventory says keys: partial, but every object is under 333333333333/: keys: under-account-prefix says so",
    ]);
    const created = coverageTargets([sourceAccount("111111111111")])[0];
    expect(created.layout).to.equal("created");
    const stray = await checkAccount(created, memoryStore({ "tmp/x": { size: 1 } }).store, options({ sample: 0 }));
    expect(stray.status).to.equal("not-protected");
    expect(stray.notes[0]).to.equal(
      "something writes outside 111111111111/ in this bucket; only keys under it are replicated",
    );
  });

  it("reports a bucket it cannot list as an error (exit 1), missing credentials as environment (exit 3)", async () => {
    const noBucket = Object.assign(new Error("The specified bucket does not exist"), { name: "NoSuchBucket" });
    const missing = await checkAccount(legacy, memoryStore({}, { listError: noBucket }).store, options());
    expect(missing).to.deep.include({
      status: "error",
      detail: "could not list the bucket: bucket legacy-web-assets does not exist",
      environment: false,
    });
    const noCredentials = Object.assign(new Error("Could not load credentials from any providers"), {
      name: "CredentialsProviderError",
    });
    const env = await checkAccount(legacy, memoryStore({}, { listError: noCredentials }).store, options());
    expect(env.environment).to.equal(true);
    const covered = await checkAccount(legacy, memoryStore({}).store, options());
    expect(covered.detail).to.equal("covered (the bucket is empty)");
    expect(coverageExitCode([covered])).to.equal(0);
    expect(coverageExitCode([covered, missing])).to.equal(1);
    expect(coverageExitCode([covered, missing, env])).to.equal(3);
  });

  it("checks accounts at most --concurrency at once, results in inventory order", async () => {
    const targets = coverageTargets(inventory({ count: 6 }).sources);
    let inFlight = 0;
    let peak = 0;
    const { store: inner } = memoryStore(many("x/", 1));
    const slow: CoverageStore = {
      ...inner,
      async list(t, r) {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 2));
        inFlight--;
        return inner.list(t, r);
      },
    };
    const results = await checkCoverage(targets, slow, options({ concurrency: 2, sample: 0 }));
    expect(results.map((r) => r.accountId)).to.deep.equal(targets.map((t) => t.accountId));
    expect(peak).to.equal(2);
  });
});

describe("coverage: output", () => {
  let results: CoverageResult[];
  before(async () => {
    const covered = coverageTargets([sourceAccount("111111111111", { name: "payments" })])[0];
    results = [
      await checkAccount(covered, memoryStore(many("111111111111/", 2)).store, options()),
      await checkAccount(
        legacy,
        memoryStore({ ...many("333333333333/", 1), "index.html": { size: 512 }, ...many("img/", 2, 512) }).store,
        options(),
      ),
    ];
  });

  it("prints one row per account, the prefixes and what is outside under it, and a summary", () => {
    const table = formatCoverageTable(results);
    expect(table).to.match(/^ACCOUNT\s+NAME\s+BUCKET\s+KEYS\s+CALLS\s+COVERAGE$/m);
    expect(table).to.match(
      joinedRegExp(
        [
          /^111111111111\s+payments\s+acme-data-111111111111\s+created\s+\d+\s+/,
          /covered: every object is under 111111111111\/$/,
        ],
        "m",
      ),
    );
    expect(table).to.match(
      joinedRegExp(
        [
          /^333333333333\s+legacy-web\s+legacy-web-assets\s+partial\s+\d+\s+/,
          /NOT PROTECTED: 3 objects \(1,536 bytes\) outside 333333333333\/$/,
        ],
        "m",
      ),
    );
    expect(table).to.match(/^\s+top: {6}333333333333\/ \(replicated\), img\/, objects at the root$/m);
    expect(table).to.match(/^\s+outside: {2}\(root of the bucket\) {2}1 object, 512 bytes$/m);
    expect(table).to.match(/^\s+outside: {2}img\/ {2}2 objects, 1,024 bytes$/m);
    expect(table).to.match(/^coverage: 1 covered, 1 NOT PROTECTED, 0 error\(s\); \d+ AWS calls$/m);
  });

  it("carries every account's counts, prefixes and key check in --json", () => {
    const json = JSON.parse(JSON.stringify(coverageJson(results, 1, false)));
    expect(json).to.deep.include({ operation: "coverage", exitCode: 1, deep: false });
    expect(json.accounts[1]).to.deep.include({
      accountId: "333333333333",
      bucket: "legacy-web-assets",
      replicatedPrefix: "333333333333/",
      keys: "partial",
      status: "not-protected",
      topLevelPrefixes: ["333333333333/", "img/"],
      outside: {
        objects: 3,
        bytes: 1536,
        complete: true,
        parts: [
          { prefix: "", objects: 1, bytes: 512, complete: true },
          { prefix: "img/", objects: 2, bytes: 1024, complete: true },
        ],
      },
    });
  });
});

describe("coverage: command against the emulator", () => {
  const payments = sourceAccount("111111111111", { name: "payments" });
  const legacyWeb = sourceAccount("333333333333", {
    name: "legacy-web",
    ...adopted("partial"),
  });
  let moto: Moto;
  let clients: AwsClients;

  before(async function () {
    await skipWithoutMoto(this);
    this.timeout(30_000);
    moto = await startMoto();
  });
  after(async () => {
    await moto?.stop();
  });

  function s3As(source: SourceAccount): S3Client {
    return clients.s3(source.region, clients.assumeRole(source.roleArn, source.region, "test"));
  }
  function kmsAs(source: SourceAccount) {
    return clients.kms(source.region, clients.assumeRole(source.roleArn, source.region, "test"));
  }

  async function bucket(source: SourceAccount): Promise<void> {
    const s3 = s3As(source);
    await s3.send(
      new CreateBucketCommand({
        Bucket: source.bucket.name,
        CreateBucketConfiguration: { LocationConstraint: "eu-west-1" },
      }),
    );
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: source.bucket.name, VersioningConfiguration: { Status: "Enabled" } }),
    );
  }

  async function put(source: SourceAccount, key: string, body: string, keyArn?: string): Promise<void> {
    await s3As(source).send(
      new PutObjectCommand({
        Bucket: source.bucket.name,
        Key: key,
        Body: body,
        ...(keyArn ? { ServerSideEncryption: "aws:kms", SSEKMSKeyId: keyArn } : {}),
      }),
    );
  }

  /** A customer managed key in the account, optionally under an alias. */
  async function key(source: SourceAccount, alias?: string): Promise<string> {
    const created = await kmsAs(source).send(new CreateKeyCommand({ Description: "test" }));
    const arn = created.KeyMetadata?.Arn as string;
    if (alias) await kmsAs(source).send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: arn }));
    return arn;
  }

  const capture = (env: NodeJS.ProcessEnv) => capturedMainIo("/work", env);

  async function run(argv: string[], sources: SourceAccount[], env = moto.env) {
    const io = capture(env);
    const deps: CoverageDeps = {
      loadInventory: async () => inventory({ sources }),
      store: (e, runId) => awsCoverageStore(new AwsClients(e), runId),
      now: () => new Date("2026-11-25T07:00:00Z"),
    };
    const code = await coverageCommand(deps).run(argv, io);
    return { code, io };
  }

  beforeEach(async () => {
    await moto.reset();
    clients = new AwsClients(moto.env);
  });

  it("reports a bucket with all under the prefix covered (exit 0), reading it as the account's role", async () => {
    await bucket(payments);
    const accountKey = await key(payments, "alias/org-s3-backup-source");
    await put(payments, "111111111111/ledger/2026.csv", "a,b\n", accountKey);
    await put(payments, "111111111111/ledger/2025.csv", "c,d\n");
    const { code, io } = await run(["--json"], [payments]);
    expect(code, io.err()).to.equal(0);
    const [account] = JSON.parse(io.out()).accounts;
    expect(account).to.deep.include({
      accountId: "111111111111",
      status: "covered",
      detail: "covered: every object is under 111111111111/",
      topLevelPrefixes: ["111111111111/"],
    });
    expect(account.kms).to.deep.equal({
      status: "checked",
      readableKeys: [accountKey],
      sampled: { inside: 2, outside: 0 },
      unreadable: [],
    });
  });

  it("reports an adopted bucket's data outside the prefix and a key the role cannot read, and exits 1", async () => {
    await bucket(payments);
    await key(payments, "alias/org-s3-backup-source");
    await put(payments, "111111111111/a.txt", "a");
    await bucket(legacyWeb);
    await key(legacyWeb, "alias/org-s3-backup-source");
    const siteKey = await key(legacyWeb);
    await s3As(legacyWeb).send(
      new PutBucketEncryptionCommand({
        Bucket: legacyWeb.bucket.name,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: siteKey } }],
        },
      }),
    );
    await put(legacyWeb, "index.html", "<html>12345</html>");
    await put(legacyWeb, "assets/app.js", "console.log(1)");
    await put(legacyWeb, "assets/app.css", "body{}");
    await put(legacyWeb, "333333333333/export.json", "{}", siteKey);

    const { code, io } = await run(["--json"], [payments, legacyWeb]);
    expect(code, io.err()).to.equal(1);
    const report = JSON.parse(io.out());
    expect(report.exitCode).to.equal(1);
    const [ok, legacyReport] = report.accounts;
    expect(ok.status).to.equal("covered");
    expect(legacyReport).to.deep.include({
      status: "not-protected",
      keys: "partial",
      topLevelPrefixes: ["333333333333/", "assets/"],
    });
    expect(legacyReport.outside).to.deep.equal({
      objects: 3,
      bytes: 18 + 14 + 6,
      complete: true,
      parts: [
        { prefix: "", objects: 1, bytes: 18, complete: true },
        { prefix: "assets/", objects: 2, bytes: 20, complete: true },
      ],
    });
    expect(legacyReport.detail).to.match(/^NOT PROTECTED: 3 objects \(38 bytes\) outside 333333333333\/; /);
    const where = legacyReport.kms.unreadable.map((k: { where: string; keyId: string }) => [k.where, k.keyId]);
    expect(where).to.deep.include.members([
      ["default", siteKey],
      ["inside", siteKey],
      ["outside", siteKey],
    ]);

    // Naming the key in the inventory makes it readable: only the data outside the prefix remains.
    const withKey = sourceAccount("333333333333", {
      name: "legacy-web",
      ...adopted("partial", { additionalKmsKeyArns: [siteKey] }),
    });
    const again = await run(["--json", "--accounts", "333333333333"], [withKey]);
    const [fixed] = JSON.parse(again.io.out()).accounts;
    expect(fixed.kms.unreadable).to.deep.equal([]);
    expect(fixed.detail).to.equal("NOT PROTECTED: 3 objects (38 bytes) outside 333333333333/");
    expect(again.code).to.equal(1);
  });

  it("prints the table through the CLI dispatcher, and exits 3 when the endpoint is unreachable", async () => {
    expect((await main(["coverage", "--help"], capture({}))) as number).to.equal(0);
    const { code, io } = await run([], [payments], { ...moto.env, AWS_ENDPOINT_URL: "http://127.0.0.1:1" });
    expect(code).to.equal(3);
    expect(io.out()).to.match(/^111111111111\s+payments\s+acme-data-111111111111\s+created\s+\d+\s+ERROR: /m);
    expect(io.err()).to.contain("coverage: some checks could not run");
  });

  it("refuses bad input with exit 2", async () => {
    expect((await run(["--sample", "-1"], [payments])).code).to.equal(2);
    expect((await run(["--accounts", "999999999999"], [payments])).code).to.equal(2);
    expect((await run(["--bogus"], [payments])).code).to.equal(2);
  });
});
