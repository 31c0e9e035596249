import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { planStacks } from "../../automation/driver/plan";
import { runStacks } from "../../automation/driver/run";
import { selectStacks } from "../../automation/driver/selection";
import type { Backend } from "../../automation/engine/backend";
import type { Engine } from "../../automation/engine/engine";
import { StackError } from "../../automation/engine/errors";
import {
  createRemoteEngine,
  type RemoteEngineOptions,
  remotePreRunCommands,
  repositoryPath,
  shellQuote,
} from "../../automation/engine/remote";
import { REMOTE_UNSUPPORTED } from "../../automation/engine/remote-options";
import { FakePulumiCommand } from "../support/fake-pulumi-command";
import { inventory as makeInventory } from "../support/inventory-fixture";

const ORG = "acme";
const fq = (stack: string) => `${ORG}/org-s3-backup/${stack}`;
const KEY_ARN = "arn:aws:kms:eu-west-1:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab";

describe("engine-remote (Pulumi Deployments through LocalWorkspace's remote options, recording fake CLI)", () => {
  let repo: string;
  let fake: FakePulumiCommand;
  let engine: Engine;
  const backend: Backend = { url: "https://api.pulumi.com", secretsProvider: undefined };
  const localEnv = { PULUMI_ACCESS_TOKEN: "pul-token", HOME: "/home/ci" };

  const options = (overrides: Partial<RemoteEngineOptions> = {}): RemoteEngineOptions => ({
    organization: ORG,
    source: { gitUrl: "https://github.com/acme/org-s3-backup.git", branch: "main" },
    env: { AWS_REGION: "eu-west-1", SLACK_WEBHOOK: { secret: "https://hooks.example/x" } },
    preRunCommands: ["echo ready"],
    escEnvironment: "acme/org-s3-backup/deployer",
    workDir: repo,
    backend,
    localEnv,
    pulumiCommand: fake.asPulumiCommand(),
    ...overrides,
  });

  beforeEach(async () => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), "engine-remote-"));
    fake = new FakePulumiCommand();
    engine = await createRemoteEngine(options());
  });
  afterEach(() => fs.rmSync(repo, { recursive: true, force: true }));

  const remoteArgs = (programEnv: string[]) => [
    "--remote",
    "https://github.com/acme/org-s3-backup.git",
    "--remote-git-branch",
    "main",
    "--remote-env",
    "AWS_REGION=eu-west-1",
    "--remote-env-secret",
    "SLACK_WEBHOOK=https://hooks.example/x",
    ...programEnv.flatMap((pair) => ["--remote-env", pair]),
    "--remote-pre-run-command",
    "pulumi config env add acme/org-s3-backup/deployer --yes --stack acme/org-s3-backup/account-111111111111",
    "--remote-pre-run-command",
    "echo ready",
  ];

  it("creates a missing stack with its fully qualified name, without selecting it (no workspace file written)", async () => {
    await engine.openStack("account-111111111111", { create: true });
    expect(fake.invocations()).to.deep.equal([
      ["preview", "--help"],
      ["stack", "--stack", fq("account-111111111111")],
      ["stack", "init", fq("account-111111111111"), "--no-select"],
    ]);
    expect(fake.calls.every((call) => call.env.PULUMI_EXPERIMENTAL === "true")).to.equal(true);
    expect(fake.calls[0].env).to.include({
      PULUMI_BACKEND_URL: "https://api.pulumi.com",
      PULUMI_ACCESS_TOKEN: "pul-token",
    });
    expect(fake.overlappingWorkspaceWrites).to.equal(0);
  });

  it("runs up remotely: git source, env with the program's (no stack config), the ESC environment, then the user's commands", async () => {
    fake.addStack(fq("account-111111111111"), {
      changes: { create: 7 },
      outputs: { bucketArn: { value: "arn:aws:s3:::acme-data-111111111111" } },
    });
    const stack = await engine.openStack("account-111111111111", { create: true });
    engine.setProgramEnv({ ORG_S3_BACKUP_INVENTORY: path.join(repo, "config", "accounts.yaml") });
    fake.calls.length = 0;
    const result = await stack.up();
    // The runner checks out the repository: the inventory path is made relative to it.
    const config = ["ORG_S3_BACKUP_INVENTORY=config/accounts.yaml"];
    expect(fake.invocations()).to.deep.equal([
      ["preview", "--help"],
      ["stack", "--stack", fq("account-111111111111")],
      [
        "up",
        "--yes",
        "--skip-preview",
        ...remoteArgs(config),
        "--exec-kind",
        "auto.local",
        "--event-log",
        "<events>",
        "--stack",
        fq("account-111111111111"),
      ],
      ["stack", "output", "--json", "--stack", fq("account-111111111111")],
      ["stack", "output", "--json", "--show-secrets", "--stack", fq("account-111111111111")],
      ["stack", "history", "--json", "--page-size", "1", "--page", "1", "--stack", fq("account-111111111111")],
    ]);
    expect(result.counts.create).to.equal(7);
    expect(result.outputs.bucketArn).to.deep.equal({ value: "arn:aws:s3:::acme-data-111111111111", secret: false });
  });

  it("previews remotely with the same source and pre-run commands", async () => {
    fake.addStack(fq("account-111111111111"), { changes: { update: 2, same: 5 } });
    const stack = await engine.openStack("account-111111111111", { create: false });
    fake.calls.length = 0;
    const result = await stack.preview();
    expect(fake.invocations().at(-1)).to.deep.equal([
      "preview",
      ...remoteArgs([]),
      "--exec-kind",
      "auto.local",
      "--event-log",
      "<events>",
      "--stack",
      fq("account-111111111111"),
    ]);
    expect(result.counts).to.deep.equal({ create: 0, update: 2, delete: 0, same: 5 });
  });

  it("refuses drift and destroy before calling the CLI: neither can be run safely by Pulumi Deployments", async () => {
    fake.addStack(fq("central"));
    const stack = await engine.openStack("central", { create: false });
    fake.calls.length = 0;
    for (const [operation, text] of [
      [() => stack.drift(), REMOTE_UNSUPPORTED.drift],
      [() => stack.destroy(), REMOTE_UNSUPPORTED.destroy],
    ] as const) {
      const error = await operation().catch((e: unknown) => e);
      expect(error).to.be.instanceOf(StackError);
      expect((error as StackError).raw).to.equal(text);
    }
    expect(fake.invocations()).to.deep.equal([]);
  });

  it("reads the stack list, outputs and tags locally from Pulumi Cloud, qualified", async () => {
    fake.addStack(fq("central"), { outputs: { kmsKeyArn: { value: KEY_ARN, secret: true } } });
    fake.addStack(fq("account-111111111111"));
    expect(await engine.listStacks()).to.deep.equal(["central", "account-111111111111"]);
    await engine.setStackTag("central", "org-s3-backup:desired-state", "pending");
    expect(await engine.stackTags("central")).to.deep.equal({ "org-s3-backup:desired-state": "pending" });
    const stack = await engine.openStack("central", { create: false });
    expect((await stack.outputs()).kmsKeyArn).to.deep.equal({ value: KEY_ARN, secret: true });
    const invocations = fake.invocations();
    expect(invocations).to.deep.include.members([
      ["stack", "ls", "--json"],
      ["stack", "tag", "set", "org-s3-backup:desired-state", "pending", "--stack", fq("central")],
      ["stack", "tag", "ls", "--json", "--stack", fq("central")],
      ["stack", "output", "--json", "--show-secrets", "--stack", fq("central")],
    ]);
    // Only the operations' workspaces are remote: listing and reading go straight to the backend.
    const listing = fake.calls.find((call) => call.args[1] === "ls")!;
    expect(listing.cwd).to.equal(repo);
    expect(listing.env.PULUMI_EXPERIMENTAL).to.equal(undefined);
  });

  it("an abort stops the local CLI and cancels the deployment itself", async () => {
    const slow = new FakePulumiCommand(1, 300);
    slow.addStack(fq("central"));
    const remote = await createRemoteEngine(options({ pulumiCommand: slow.asPulumiCommand() }));
    const stack = await remote.openStack("central", { create: false });
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 50);
    await stack.up({ signal: abort.signal }).catch(() => undefined);
    expect(slow.invocations().map((args) => args.slice(0, 2))).to.deep.include(["cancel", "--yes"]);
    expect(slow.invocations().find((args) => args[0] === "cancel")).to.deep.equal([
      "cancel",
      "--yes",
      "--stack",
      fq("central"),
    ]);
  });

  it("refuses what cannot work remotely: a self-managed backend, branch and commit together, an inventory outside the repository", async () => {
    const error = await createRemoteEngine(
      options({ backend: { url: "s3://bucket", secretsProvider: "passphrase" } }),
    ).catch((e: unknown) => e);
    expect(String(error)).to.contain("Pulumi Deployments needs the Pulumi Cloud backend");
    const both = await createRemoteEngine(
      options({ source: { gitUrl: "https://x", branch: "main", commit: "abc" } }),
    ).catch((e: unknown) => e);
    expect(String(both)).to.contain("exactly one of a branch and a commit");
    fake.addStack(fq("central"));
    const stack = await engine.openStack("central", { create: false });
    engine.setProgramEnv({ ORG_S3_BACKUP_INVENTORY: "/elsewhere/accounts.yaml" });
    const outside = await stack.preview().catch((e: unknown) => e);
    expect((outside as StackError).raw).to.contain("must be a file of that repository");
    expect(() => repositoryPath("/repo", "/repo")).to.throw();
    expect(repositoryPath("/repo", "/repo/config/accounts.yaml")).to.equal("config/accounts.yaml");
  });

  it("quotes what the runner's shell reads", () => {
    expect(shellQuote("org-s3-backup:inventory=config/accounts.yaml")).to.equal(
      "org-s3-backup:inventory=config/accounts.yaml",
    );
    expect(shellQuote("it's here")).to.equal("'it'\\''s here'");
    expect(remotePreRunCommands("o/p/s", { escEnvironment: "acme/x y", preRunCommands: ["echo a"] })).to.deep.equal([
      "pulumi config env add 'acme/x y' --yes --stack o/p/s",
      "echo a",
    ]);
  });

  it("the driver fans out to remote runners with its concurrency: central first, the program's environment on each runner", async () => {
    const inventory = makeInventory({ count: 6 });
    fake = new FakePulumiCommand(1, 40);
    fake.addStack(fq("central"), {
      outputs: {
        bucketArn: { value: "arn:aws:s3:::acme-org-backup-999999999999" },
        kmsKeyArn: { value: KEY_ARN },
      },
    });
    const remote = await createRemoteEngine(
      options({ pulumiCommand: fake.asPulumiCommand(), escEnvironment: undefined }),
    );
    const selected = selectStacks(inventory, planStacks(inventory), {});
    if (!selected.ok) throw new Error(selected.message);
    const report = await runStacks(remote, {
      operation: "up",
      inventory,
      inventoryPath: path.join(repo, "config", "accounts.yaml"),
      selection: selected.selection,
      existingStacks: await remote.listStacks(),
      concurrency: 3,
      tolerance: { kind: "count", count: 0 },
    });
    expect(report.results.map((r) => r.status)).to.deep.equal(Array(7).fill("succeeded"));
    const ups = fake.calls.filter((call) => call.args[0] === "up");
    expect(ups[0].args.at(-1)).to.equal(fq("central"));
    const sourceUps = ups.slice(1);
    expect(sourceUps.every((call) => call.start >= ups[0].end!)).to.equal(true);
    const maxInFlight = Math.max(
      ...sourceUps.map(
        (call) => sourceUps.filter((other) => other.start < call.end! && other.end! > call.start).length,
      ),
    );
    expect(maxInFlight).to.equal(3);
    const env = sourceUps[0].args.flatMap((arg, i, all) => (all[i - 1] === "--remote-env" ? [arg] : []));
    expect(env).to.include("ORG_S3_BACKUP_INVENTORY=config/accounts.yaml");
    expect(sourceUps[0].args.join(" ")).to.not.contain("config set-all");
  });
});
