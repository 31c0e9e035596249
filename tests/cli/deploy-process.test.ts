import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { INVENTORY_HEADER } from "../support/inventory-yaml";
import { type StandIn, type StandInOptions, writeStandIn } from "../support/stand-in-pulumi";

/**
 * The `org-s3-backup` process itself under signals and a closed pipe, driving a stand-in Pulumi CLI put
 * first on PATH (tests/support/stand-in-pulumi.ts): what CI cancellation, `timeout`, `docker stop`, a
 * closed terminal and `up 2>&1 | head` do to a deployment.
 */

const BIN = path.join(__dirname, "..", "..", "bin", "org-s3-backup.js");

function inventoryYaml(count: number): string {
  const accounts = Array.from({ length: count }, (_, i) => {
    const id = String(111111111111 * (i + 1)).slice(0, 12);
    return `  - id: "${id}"\n    name: app-${i + 1}`;
  });
  return [...INVENTORY_HEADER, "accounts:", ...accounts, ""].join("\n");
}

interface Running {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

describe("the org-s3-backup process under signals and a closed pipe (stand-in Pulumi CLI)", function () {
  this.timeout(60_000);
  let root: string;
  let children: ChildProcess[];
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "deploy-process-"));
    children = [];
  });
  afterEach(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    fs.rmSync(root, { recursive: true, force: true });
  });

  function start(options: StandInOptions, accounts: number, extra: string[] = []): { run: Running; standIn: StandIn } {
    const standIn = writeStandIn(path.join(root, "cli"), options);
    const inventory = path.join(root, "accounts.yaml");
    fs.writeFileSync(inventory, inventoryYaml(accounts));
    const child = spawn(
      process.execPath,
      [BIN, "up", "--inventory", inventory, "--backend", `file://${standIn.stateDir}`, "--log-dir", root, ...extra],
      { cwd: root, env: { ...process.env, PATH: standIn.path, PULUMI_CONFIG_PASSPHRASE: "x", CI: "true" } },
    );
    children.push(child);
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk) => (stdout += chunk));
    child.stderr?.on("data", (chunk) => (stderr += chunk));
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on("close", (code, signal) => resolve({ code, signal })),
    );
    return { run: { child, stdout: () => stdout, stderr: () => stderr, exit }, standIn };
  }

  // SIGHUP is heard by the same listener (tests/cli/interrupts.test.ts sends all three signals to it) and
  // takes this path with its own name: a second process for it would only retest the delivery of a signal.
  it("item 2: SIGTERM is handled like Ctrl-C: running stacks cancelled, summary printed, locks named, exit 130", async () => {
    const signal = "SIGTERM";
    const { run, standIn } = start({ rules: { "up account-111111111111": "hang" } }, 2, ["--concurrency", "2"]);
    // The other account finishes first, so that exactly one stack is running when the signal comes
    // (were it still setting up or running, it would be skipped or cancelled too, depending on timing).
    await until(
      () =>
        standIn.operationsOf("up").includes("account-111111111111") &&
        standIn.locks().length > 0 &&
        /account-222222222222 up succeeded/.test(run.stderr()),
    );
    run.child.kill(signal);
    const { code } = await run.exit;
    expect(code).to.equal(130);
    expect(run.stderr()).to.contain(`${signal}: cancelling running stacks and starting no new ones`);
    expect(run.stdout()).to.match(/account-111111111111\s.*up cancelled/);
    expect(run.stdout(), run.stdout()).to.contain("Cancelled (1):");
    expect(run.stdout()).to.match(/account-222222222222\s.*up ok/);
    expect(run.stderr()).to.contain("pulumi cancel --yes --stack account-111111111111");
    // The stand-in cancelled cleanly on the driver's SIGINT: it released its lock.
    expect(standIn.locks()).to.deep.equal([]);
  });

  it("item 6: a second signal exits at once, naming the running stacks and how to release their locks", async () => {
    const { run, standIn } = start({ rules: { "up account-*": "hang-ignore-int" } }, 2, ["--concurrency", "2"]);
    await until(() => standIn.locks().length === 2);
    run.child.kill("SIGINT");
    await until(() => run.stderr().includes("Ctrl-C: cancelling"));
    run.child.kill("SIGINT");
    const { code } = await run.exit;
    expect(code).to.equal(130);
    expect(run.stderr()).to.contain(
      "Second Ctrl-C: exiting now; their CLIs are killed. These stacks were running and may stay locked:",
    );
    for (const stack of ["account-111111111111", "account-222222222222"]) {
      expect(run.stderr()).to.contain(`  ${stack}  up`);
      expect(run.stderr()).to.contain(`  pulumi cancel --yes --stack ${stack}`);
    }
    expect(standIn.locks()).to.have.length(2);
  });

  it("item 3: a closed stdout/stderr pipe (`up 2>&1 | head -1`) does not end the deployment", async () => {
    const { run, standIn } = start({ rules: { "up account-*": "delay:300" } }, 3);
    await new Promise((resolve) => run.child.stderr?.once("data", resolve));
    run.child.stdout?.destroy();
    run.child.stderr?.destroy();
    const { code } = await run.exit;
    expect(code).to.equal(0);
    expect(standIn.operationsOf("up")).to.have.length(4);
    expect(standIn.locks()).to.deep.equal([]);
    const logs = path.join(root, "logs");
    const [runDir] = fs.readdirSync(logs);
    expect(fs.readFileSync(path.join(logs, runDir, "summary.txt"), "utf8")).to.contain("up: 4 ok");
  });
});

async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
