import { S3ControlClient } from "@aws-sdk/client-s3-control";
import { expect } from "chai";
import { main } from "../../automation/cli/main";
import * as path from "node:path";
import { PassThrough } from "node:stream";
import {
  backfillExitCode,
  backfillRefusals,
  backfillStatus,
  createJobRequest,
  formatBackfillTable,
  isBackfillJobOf,
  jobDescription,
  startBackfill,
} from "../../automation/day-two/backfill";
import type { Io } from "../../automation/cli/command";
import { backfillCommand, command, defaultBackfillDeps } from "../../automation/cli/commands/backfill";
import { BatchReplicationRole } from "../../infra/components/batch-replication-role";
import {
  BACKFILL_ROLE_NAME,
  backfillRoleArn,
  batchOperationsTrustPolicy,
  batchReplicationPolicy,
} from "../../infra/policies/backfill";
import { capturedMainIo } from "../support/captured-io";
import { inventory, sourceAccount } from "../support/inventory-fixture";
import { joinedRegExp } from "../support/regexp";
import {
  type LocalServer,
  type Moto,
  type RecordedRequest,
  skipWithoutMoto,
  startMoto,
  startRecordingServer,
} from "../support/moto";
import { childNames, setPulumiMocks, outputValue } from "../support/pulumi-mocks";

const ACCOUNT = "111111111111";
const enabled = sourceAccount(ACCOUNT, { name: "payments", backfill: { enabled: true } });

describe("backfill: the CreateJob request", () => {
  it("asks S3 to generate a manifest of the account's never-replicated and failed objects and replicate them", () => {
    expect(createJobRequest(enabled, "20261125T070000Z-00ff")).to.deep.equal({
      AccountId: ACCOUNT,
      ConfirmationRequired: false,
      Operation: { S3ReplicateObject: {} },
      ManifestGenerator: {
        S3JobManifestGenerator: {
          ExpectedBucketOwner: ACCOUNT,
          SourceBucket: "arn:aws:s3:::acme-data-111111111111",
          EnableManifestOutput: true,
          ManifestOutputLocation: {
            ExpectedManifestBucketOwner: ACCOUNT,
            Bucket: "arn:aws:s3:::acme-data-111111111111",
            ManifestPrefix: "org-s3-backup-batch-replication/manifests",
            ManifestFormat: "S3InventoryReport_CSV_20211130",
          },
          Filter: {
            EligibleForReplication: true,
            ObjectReplicationStatuses: ["NONE", "FAILED"],
            KeyNameConstraint: { MatchAnyPrefix: ["111111111111/"] },
          },
        },
      },
      Report: {
        Enabled: true,
        Bucket: "arn:aws:s3:::acme-data-111111111111",
        ExpectedBucketOwner: ACCOUNT,
        Prefix: "org-s3-backup-batch-replication/reports",
        Format: "Report_CSV_20180820",
        ReportScope: "AllTasks",
      },
      Priority: 10,
      RoleArn: "arn:aws:iam::111111111111:role/org-s3-backup-batch-replication",
      ClientRequestToken: "20261125T070000Z-00ff-111111111111",
      Description: "org-s3-backup backfill 111111111111/ 20261125T070000Z-00ff",
      Tags: [
        { Key: "managed-by", Value: "org-s3-backup" },
        { Key: "org-s3-backup:operation", Value: "backfill" },
        { Key: "org-s3-backup:run", Value: "20261125T070000Z-00ff" },
      ],
    });
  });

  it("recognises its own jobs by description and operation only", () => {
    expect(
      isBackfillJobOf(ACCOUNT, { Description: jobDescription(ACCOUNT, "R"), Operation: "S3ReplicateObject" }),
    ).to.equal(true);
    expect(
      isBackfillJobOf(ACCOUNT, { Description: jobDescription("222222222222", "R"), Operation: "S3ReplicateObject" }),
    ).to.equal(false);
    expect(
      isBackfillJobOf(ACCOUNT, { Description: jobDescription(ACCOUNT, "R"), Operation: "S3PutObjectTagging" }),
    ).to.equal(false);
    expect(isBackfillJobOf(ACCOUNT, { Description: "someone else's job", Operation: "S3ReplicateObject" })).to.equal(
      false,
    );
  });

  it("refuses accounts without backfill.enabled, naming each", () => {
    expect(backfillRefusals([enabled])).to.equal(undefined);
    const message = backfillRefusals([enabled, sourceAccount("222222222222", { name: "ledger" })]);
    expect(message).to.equal(
      "backfill is not enabled for 222222222222 (ledger): " +
        "set backfill.enabled: true for it in the inventory and deploy (up), which creates the Batch Operations role",
    );
  });

  it("exits 1 for a failed job, failed tasks, no job or an error; 3 for the environment", () => {
    const job = (status: string, failedTasks = 0) => ({
      accountId: ACCOUNT,
      accountName: "p",
      outcome: "found" as const,
      job: { jobId: "j", status, failedTasks, failureReasons: [] },
    });
    expect(backfillExitCode([job("Active"), job("Complete")])).to.equal(0);
    expect(backfillExitCode([job("Complete", 3)])).to.equal(1);
    expect(backfillExitCode([job("Failed")])).to.equal(1);
    expect(backfillExitCode([{ accountId: ACCOUNT, accountName: "p", outcome: "none" }])).to.equal(1);
    expect(
      backfillExitCode([{ accountId: ACCOUNT, accountName: "p", outcome: "error", message: "x", environment: false }]),
    ).to.equal(1);
    expect(
      backfillExitCode([
        job("Failed"),
        { accountId: ACCOUNT, accountName: "p", outcome: "error", message: "x", environment: true },
      ]),
    ).to.equal(3);
  });
});

/** S3 Control answers in REST-XML; the emulator has no Batch Operations, so this stub plays it. */
const XMLNS = 'xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"';
function listJobsXml(jobs: { id: string; description: string; status: string; created: string }[]): string {
  const members = jobs
    .map(
      (j) =>
        `<member><JobId>${j.id}</JobId><Description>${j.description}</Description>` +
        "<Operation>S3ReplicateObject</Operation><Priority>10</Priority>" +
        `<Status>${j.status}</Status><CreationTime>${j.created}</CreationTime></member>`,
    )
    .join("");
  return `<?xml version="1.0" encoding="UTF-8"?><ListJobsResult ${XMLNS}><Jobs>${members}</Jobs></ListJobsResult>`;
}
function describeJobXml(id: string, status: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?><DescribeJobResult ${XMLNS}>` +
    `<Job><JobId>${id}</JobId><Status>${status}</Status>` +
    `<CreationTime>2026-11-20T10:00:00Z</CreationTime>` +
    "<ProgressSummary><TotalNumberOfTasks>120</TotalNumberOfTasks>" +
    "<NumberOfTasksSucceeded>118</NumberOfTasksSucceeded><NumberOfTasksFailed>2</NumberOfTasksFailed>" +
    "</ProgressSummary>" +
    "<FailureReasons><member><FailureCode>TaskFailed</FailureCode>" +
    "<FailureReason>2 objects could not be replicated</FailureReason></member></FailureReasons>" +
    "<Report><Bucket>arn:aws:s3:::acme-data-111111111111</Bucket><Format>Report_CSV_20180820</Format>" +
    "<Enabled>true</Enabled><Prefix>org-s3-backup-batch-replication/reports</Prefix>" +
    "<ReportScope>AllTasks</ReportScope></Report>" +
    `</Job></DescribeJobResult>`
  );
}

interface StubState {
  jobs: { id: string; description: string; status: string; created: string }[];
}
function s3ControlStub(state: StubState) {
  return (request: RecordedRequest) => {
    const url = new URL(request.url, "http://stub");
    if (request.method === "GET" && url.pathname === "/v20180820/jobs") {
      const wanted = url.searchParams.getAll("jobStatuses");
      return {
        status: 200,
        body: listJobsXml(state.jobs.filter((j) => wanted.length === 0 || wanted.includes(j.status))),
      };
    }
    if (request.method === "POST" && url.pathname === "/v20180820/jobs") {
      return {
        status: 200,
        body:
          `<?xml version="1.0" encoding="UTF-8"?><CreateJobResult ${XMLNS}>` +
          "<JobId>job-new-1</JobId></CreateJobResult>",
      };
    }
    const describe = /^\/v20180820\/jobs\/([\w-]+)$/.exec(url.pathname);
    if (request.method === "GET" && describe) {
      const job = state.jobs.find((j) => j.id === describe[1]);
      return { status: 200, body: describeJobXml(describe[1], job?.status ?? "Complete") };
    }
    return {
      status: 400,
      body: `<Error><Code>InvalidRequest</Code><Message>unexpected ${request.method} ${request.url}</Message></Error>`,
    };
  };
}

describe("backfill: S3 Control calls (local stub server)", () => {
  let server: LocalServer;
  const state: StubState = { jobs: [] };
  let client: S3ControlClient;

  before(async () => {
    server = await startRecordingServer(s3ControlStub(state));
    client = new S3ControlClient({
      region: "eu-west-1",
      credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
      endpointProvider: () => ({ url: new URL(server.endpoint) }),
    });
  });
  after(() => server?.close());
  beforeEach(() => {
    state.jobs = [];
    server.requests.length = 0;
  });

  it("starts a job when none is running: ListJobs for unfinished jobs, then CreateJob with the request", async () => {
    const result = await startBackfill(client, enabled, "RUN1");
    expect(result).to.deep.equal({
      accountId: ACCOUNT,
      accountName: "payments",
      outcome: "started",
      job: { jobId: "job-new-1", status: "New", failureReasons: [] },
    });
    const [list, create] = server.requests;
    expect(list.method).to.equal("GET");
    expect(new URL(list.url, "http://stub").searchParams.getAll("jobStatuses")).to.include.members([
      "Active",
      "New",
      "Preparing",
      "Suspended",
    ]);
    expect(list.headers["x-amz-account-id"]).to.equal(ACCOUNT);
    expect(create.method).to.equal("POST");
    expect(create.headers["x-amz-account-id"]).to.equal(ACCOUNT);
    for (const fragment of [
      "<Operation><S3ReplicateObject/></Operation>",
      "<KeyNameConstraint><MatchAnyPrefix><member>111111111111/</member></MatchAnyPrefix></KeyNameConstraint>",
      "<ObjectReplicationStatuses><member>NONE</member><member>FAILED</member></ObjectReplicationStatuses>",
      "<RoleArn>arn:aws:iam::111111111111:role/org-s3-backup-batch-replication</RoleArn>",
      "<ClientRequestToken>RUN1-111111111111</ClientRequestToken>",
      "<Prefix>org-s3-backup-batch-replication/reports</Prefix>",
    ]) {
      expect(create.body).to.contain(fragment);
    }
  });

  it("starts no second job while one is still running", async () => {
    state.jobs = [
      {
        id: "job-running",
        description: jobDescription(ACCOUNT, "OLD"),
        status: "Active",
        created: "2026-11-20T10:00:00Z",
      },
    ];
    const result = await startBackfill(client, enabled, "RUN2");
    expect(result.outcome).to.equal("already-running");
    expect(server.requests.map((r) => `${r.method} ${new URL(r.url, "http://stub").pathname}`)).to.deep.equal([
      "GET /v20180820/jobs",
      "GET /v20180820/jobs/job-running",
    ]);
  });

  it("reports the newest backfill job of the account with its progress, failures and report", async () => {
    state.jobs = [
      { id: "job-old", description: jobDescription(ACCOUNT, "A"), status: "Complete", created: "2026-11-01T10:00:00Z" },
      { id: "job-new", description: jobDescription(ACCOUNT, "B"), status: "Complete", created: "2026-11-20T10:00:00Z" },
      { id: "job-other", description: "not ours", status: "Complete", created: "2026-11-24T10:00:00Z" },
    ];
    const result = await backfillStatus(client, enabled);
    expect(result).to.deep.equal({
      accountId: ACCOUNT,
      accountName: "payments",
      outcome: "found",
      job: {
        jobId: "job-new",
        status: "Complete",
        createdAt: new Date("2026-11-20T10:00:00Z"),
        totalTasks: 120,
        succeededTasks: 118,
        failedTasks: 2,
        failureReasons: ["TaskFailed: 2 objects could not be replicated"],
        reportLocation: "s3://acme-data-111111111111/org-s3-backup-batch-replication/reports",
      },
    });
    expect(formatBackfillTable([result])).to.match(
      joinedRegExp(
        [
          /^111111111111\s+payments\s+job\s+job-new\s+Complete\s+118\/120 ok, 2 failed\s+/,
          /TaskFailed: 2 objects could not be replicated; /,
          /report: s3:\/\/acme-data-111111111111\/org-s3-backup-batch-replication\/reports$/,
        ],
        "m",
      ),
    );
  });

  it("says so when the account has no backfill job", async () => {
    expect(await backfillStatus(client, enabled)).to.deep.equal({
      accountId: ACCOUNT,
      accountName: "payments",
      outcome: "none",
    });
  });
});

describe("backfill: command (STS on the emulator, S3 Control on the stub)", () => {
  let moto: Moto;
  let server: LocalServer;
  const state: StubState = { jobs: [] };
  const inv = inventory({ sources: [enabled, sourceAccount("222222222222", { name: "ledger" })] });

  before(async function () {
    await skipWithoutMoto(this);
    this.timeout(30_000);
    moto = await startMoto();
    server = await startRecordingServer(s3ControlStub(state));
  });
  after(async () => {
    await server?.close();
    await moto?.stop();
  });
  beforeEach(() => {
    state.jobs = [];
    server.requests.length = 0;
  });

  async function run(argv: string[]) {
    let out = "";
    let err = "";
    const stdout = new PassThrough().on("data", (c: Buffer) => (out += c.toString()));
    const stderr = new PassThrough().on("data", (c: Buffer) => (err += c.toString()));
    const io: Io = { stdout, stderr, env: { ...moto.env, AWS_ENDPOINT_URL_S3_CONTROL: server.endpoint }, cwd: "/work" };
    const command = backfillCommand({
      ...defaultBackfillDeps,
      loadInventory: async () => inv,
      now: () => new Date("2026-11-25T07:00:00Z"),
    });
    const code = await command.run(argv, io);
    return { code, out, err };
  }

  it("starts a job as the account's assumed role and prints it", async () => {
    const { code, out, err } = await run(["--accounts", ACCOUNT, "--json"]);
    expect(code, err).to.equal(0);
    const report = JSON.parse(out);
    expect(report.accounts).to.deep.equal([
      {
        accountId: ACCOUNT,
        accountName: "payments",
        outcome: "started",
        job: { jobId: "job-new-1", status: "New", failureReasons: [] },
      },
    ]);
    const create = server.requests.find((r) => r.method === "POST");
    // Signed with the credentials STS (the emulator) issued for the account's role, not the ambient ones.
    expect(String(create?.headers.authorization)).to.not.contain("Credential=testing/");
    expect(create?.headers["x-amz-security-token"]).to.be.a("string");
  });

  it("runs with the default wiring: the example inventory's backfill-enabled account, in its region", async () => {
    let out = "";
    const stdout = new PassThrough().on("data", (c: Buffer) => (out += c.toString()));
    const io: Io = {
      stdout,
      stderr: new PassThrough(),
      env: { ...moto.env, AWS_ENDPOINT_URL_S3_CONTROL: server.endpoint },
      cwd: path.resolve(__dirname, "..", ".."),
    };
    expect(await command.run(["--inventory", "config/accounts.yaml", "--status"], io)).to.equal(1);
    expect(out).to.match(/^222222222222\s+analytics\s+no backfill job/m);
    expect(server.requests.map((r) => r.headers["x-amz-account-id"])).to.deep.equal(["222222222222"]);
    expect(String(server.requests[0].headers.authorization)).to.contain("/us-east-1/s3/aws4_request");
  });

  it("follows jobs with --status and exits 1 when a job had failed tasks", async () => {
    state.jobs = [
      { id: "job-b", description: jobDescription(ACCOUNT, "B"), status: "Complete", created: "2026-11-20T10:00:00Z" },
    ];
    const { code, out } = await run(["--status"]);
    expect(code).to.equal(1);
    expect(out).to.match(/^111111111111\s+payments\s+job\s+job-b\s+Complete\s+118\/120 ok, 2 failed/m);
    expect(out).to.not.contain("222222222222");
  });
});

describe("BatchReplicationRole", () => {
  it("trusts only this account's Batch Operations jobs", () => {
    expect(
      batchOperationsTrustPolicy({ accountId: ACCOUNT, region: "eu-west-1", partition: "aws" }).Statement,
    ).to.deep.equal([
      {
        Sid: "BatchOperationsOfThisAccount",
        Effect: "Allow",
        Principal: { Service: "batchoperations.s3.amazonaws.com" },
        Action: "sts:AssumeRole",
        // Enforced when Batch Operations sends the keys; no AWS page says it does (infra/policies/document.ts).
        Condition: {
          StringEqualsIfExists: { "aws:SourceAccount": ACCOUNT },
          ArnLikeIfExists: { "aws:SourceArn": "arn:aws:s3:eu-west-1:111111111111:job/*" },
        },
      },
    ]);
  });

  it("grants what Batch Replication with a generated manifest needs, scoped to the source bucket", () => {
    const policy = batchReplicationPolicy({
      partition: "aws",
      region: "eu-west-1",
      sourceBucketName: "acme-data-111111111111",
      sourceKmsKeyArn: "arn:aws:kms:eu-west-1:111111111111:key/k",
    });
    const bucket = "arn:aws:s3:::acme-data-111111111111";
    expect(policy.Statement).to.deep.equal([
      { Sid: "InitiateReplication", Effect: "Allow", Action: "s3:InitiateReplication", Resource: `${bucket}/*` },
      {
        Sid: "GenerateManifest",
        Effect: "Allow",
        Action: ["s3:GetReplicationConfiguration", "s3:PutInventoryConfiguration"],
        Resource: bucket,
      },
      {
        Sid: "ReadManifest",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:GetObjectVersion"],
        Resource: `${bucket}/org-s3-backup-batch-replication/manifests/*`,
      },
      {
        Sid: "WriteManifestAndReport",
        Effect: "Allow",
        Action: "s3:PutObject",
        Resource: [
          `${bucket}/org-s3-backup-batch-replication/manifests/*`,
          `${bucket}/org-s3-backup-batch-replication/reports/*`,
        ],
      },
      {
        Sid: "SourceKeyForManifestAndReport",
        Effect: "Allow",
        Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        Resource: "arn:aws:kms:eu-west-1:111111111111:key/k",
        Condition: { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } },
      },
    ]);
  });

  it("the CLI's role ARN is the one the component creates", () => {
    expect(backfillRoleArn(ACCOUNT)).to.equal(`arn:aws:iam::${ACCOUNT}:role/${BACKFILL_ROLE_NAME}`);
    expect(createJobRequest(enabled, "R").RoleArn).to.equal(backfillRoleArn(ACCOUNT));
  });

  it("creates the role and its inline policy as children, with the values above", async () => {
    const mocks = await setPulumiMocks();
    const component = new BatchReplicationRole("acct-backfill", {
      accountId: ACCOUNT,
      region: "eu-west-1",
      sourceBucketName: "acme-data-111111111111",
      sourceKmsKeyArn: "arn:aws:kms:eu-west-1:111111111111:key/k",
      tags: { "managed-by": "org-s3-backup" },
    });
    expect(await outputValue(component.roleArn)).to.equal(
      "arn:aws:iam::123456789012:role/org-s3-backup-batch-replication",
    );
    expect(await outputValue(component.roleName)).to.equal(BACKFILL_ROLE_NAME);
    expect(childNames(component)).to.have.members(["acct-backfill-role", "acct-backfill-policy"]);
    const [role] = await mocks.ofType("aws:iam/role:Role", 1);
    expect(role.name).to.equal("acct-backfill-role");
    expect(role.inputs.name).to.equal(BACKFILL_ROLE_NAME);
    expect(role.inputs.tags).to.deep.equal({ "managed-by": "org-s3-backup" });
    expect(JSON.parse(role.inputs.assumeRolePolicy)).to.deep.equal(
      batchOperationsTrustPolicy({ accountId: ACCOUNT, region: "eu-west-1", partition: "aws" }),
    );
    const [policy] = await mocks.ofType("aws:iam/rolePolicy:RolePolicy", 1);
    expect(policy.name).to.equal("acct-backfill-policy");
    expect(policy.inputs.role).to.equal(BACKFILL_ROLE_NAME);
    expect(JSON.parse(policy.inputs.policy)).to.deep.equal(
      batchReplicationPolicy({
        partition: "aws",
        region: "eu-west-1",
        sourceBucketName: "acme-data-111111111111",
        sourceKmsKeyArn: "arn:aws:kms:eu-west-1:111111111111:key/k",
      }),
    );
  });
});

describe("backfill: CLI", () => {
  it("refuses accounts without backfill.enabled, and jobs without --accounts (exit 2), calling nothing", async () => {
    const inv = inventory({ sources: [enabled, sourceAccount("222222222222", { name: "ledger" })] });
    const command = backfillCommand({
      loadInventory: async () => inv,
      s3Control: () => {
        throw new Error("no AWS call expected");
      },
      now: () => new Date("2026-11-25T07:00:00Z"),
    });
    for (const [argv, message] of [
      [
        ["--accounts", "222222222222"],
        "backfill is not enabled for 222222222222 (ledger): set backfill.enabled: true for it",
      ],
      [[], "name the accounts to backfill with --accounts"],
      [["--accounts", "central"], "the central account has no source bucket"],
      [["--status", "--accounts", "999"], "'999' is not a 12-digit account id"],
    ] as const) {
      const io = capturedMainIo("/work");
      expect(await command.run(argv, io), argv.join(" ")).to.equal(2);
      expect(io.err()).to.contain(message);
    }
  });

  it("is a command of org-s3-backup, with its help", async () => {
    const io = capturedMainIo("/work");
    const code = await main(["backfill", "--help"], io);
    expect(code).to.equal(0);
    expect(io.out()).to.match(/^Usage: org-s3-backup backfill /);
    expect(io.out()).to.contain("docs/day-two.md");
  });
});
