import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { ExitCode } from "../../automation/cli/exit-codes";
import { main } from "../../automation/cli/main";
import { type CliLine, cliLines } from "../support/workflow-lines";
import { capturedMainIo } from "../support/captured-io";

/**
 * The example workflow (examples/github-actions/org-s3-backup.yml) is valid YAML, has the shape docs/ci.md
 * promises, and every `org-s3-backup` / `npx org-s3-backup` line in it is accepted by our own CLI: the line
 * runs through `main` (each command's parseArgsOrReport and its checks of the values) with an inventory
 * path that does not exist, so every command stops at loading the inventory, after its arguments were
 * accepted and before it touches anything. A line is accepted when the command got that far.
 *
 * A line may be marked in the workflow, on the comment line right above it, with
 * `# TODO(pending: --flag)`: a flag another part of issue 13 adds. Such a line is reported as pending
 * (mocha's "pending") while the parser rejects exactly that flag, and fails once the flag is accepted, so
 * the marker cannot outlive the work.
 */

const WORKFLOW = path.resolve(__dirname, "../../examples/github-actions/org-s3-backup.yml");
const MISSING_INVENTORY = "ci-example-inventory-that-does-not-exist.yaml";

interface Step {
  readonly name?: string;
  readonly run?: string;
  readonly uses?: string;
  readonly with?: Record<string, string>;
}

interface Workflow {
  readonly on: Record<string, unknown>;
  readonly jobs: Record<
    string,
    {
      readonly if?: string;
      readonly needs?: string;
      readonly permissions: Record<string, string>;
      readonly env: Record<string, string>;
      readonly strategy: { readonly matrix: Record<string, unknown[]> };
      readonly steps: Step[];
    }
  >;
}

const capture = capturedMainIo;

/**
 * Runs one line through the CLI in a scratch checkout: directories named by --base/--head hold a stub
 * render, the inventory does not exist. Accepted = the command got past its arguments.
 */
async function verdict(line: CliLine, root: string): Promise<{ accepted: boolean; message: string }> {
  const cwd = path.join(root, line.cwd);
  fs.mkdirSync(cwd, { recursive: true });
  line.args.forEach((arg, i) => {
    if ((arg === "--base" || arg === "--head") && line.args[i + 1]) {
      const dir = path.resolve(cwd, line.args[i + 1]);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(
        path.join(dir, "central.json"),
        JSON.stringify({
          stack: "central",
          kind: "central",
          accountId: "999999999999",
          accountName: "c",
          region: "eu-west-1",
          roleArn: "",
          providers: {},
          resources: [],
          outputs: {},
        }),
      );
    }
  });
  // Shown relative to the working directory or absolute: match the file name, which is unusual enough.
  const missing = path.join(root, MISSING_INVENTORY);
  const io = capture(cwd);
  const code = await main([...line.args, "--inventory", missing], io);
  const accepted = code === ExitCode.Ok || (code === ExitCode.BadInput && io.err().includes(MISSING_INVENTORY));
  return { accepted, message: io.err().split("\n")[0] };
}

describe("CI example (examples/github-actions/org-s3-backup.yml)", () => {
  const text = fs.readFileSync(WORKFLOW, "utf8");
  const lines = cliLines(text);
  const workflow = parseDocument(text).toJS() as Workflow;
  let root: string;
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "ci-example-"));
  });
  after(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("is valid YAML with the jobs docs/ci.md describes", () => {
    expect(parseDocument(text).errors).to.deep.equal([]);
    expect(Object.keys(workflow.jobs)).to.deep.equal(["review", "central", "sources"]);
    expect(workflow.jobs.sources.needs).to.equal("central");
    expect(workflow.jobs.review.if).to.match(/pull_request/);
    expect(workflow.on).to.have.keys(["pull_request", "push", "workflow_dispatch"]);
  });

  it("reviews pull requests without credentials and writes the review diff to the job summary", () => {
    const review = workflow.jobs.review;
    expect(JSON.stringify(review)).to.not.match(/secrets\.|id-token|configure-aws-credentials/);
    const runs = review.steps.map((s) => s.run ?? "").join("\n");
    expect(runs).to.match(/org-s3-backup validate/);
    expect(runs).to.match(/org-s3-backup render --out/);
    expect(runs).to.match(/org-s3-backup review --base \S+ .*--markdown >> "\$GITHUB_STEP_SUMMARY"/);
  });

  it("deploys through OIDC with a role to assume, never with stored keys", () => {
    expect(text).to.not.match(/AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|aws-access-key-id|aws-secret-access-key/);
    for (const name of ["central", "sources"]) {
      const job = workflow.jobs[name];
      expect(job.permissions["id-token"], name).to.equal("write");
      const login = job.steps.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
      expect(login?.with?.["role-to-assume"], name).to.match(/\$\{\{ vars\.\w+ \}\}/);
      expect(job.env.PULUMI_BACKEND_URL, name).to.match(/\$\{\{ vars\.PULUMI_BACKEND_URL \}\}/);
      expect(job.env.PULUMI_CONFIG_PASSPHRASE, name).to.equal("${{ secrets.PULUMI_CONFIG_PASSPHRASE }}");
    }
  });

  it("runs up in two phases: central alone, then the sources over a matrix that matches --shard K/N", () => {
    const central = lines.filter((l) => l.job === "central" && l.args[0] === "up");
    expect(central.map((l) => l.args.join(" "))).to.deep.equal(["up --stacks central --install-cli"]);
    const shards = workflow.jobs.sources.strategy.matrix.shard as number[];
    const ups = lines.filter((l) => l.job === "sources" && l.args[0] === "up");
    expect(ups).to.have.length(shards.length);
    const n = new Set(ups.map((l) => l.args[l.args.indexOf("--shard") + 1].split("/")[1]));
    expect([...n]).to.deep.equal([String(shards.length)]);
    expect(ups.map((l) => l.args[l.args.indexOf("--shard") + 1].split("/")[0])).to.deep.equal(shards.map(String));
  });

  it("finds every org-s3-backup line (the extraction itself)", () => {
    const commands = [...new Set(lines.map((l) => `${l.job} ${l.args[0]}`))];
    expect(commands).to.deep.equal([
      "review validate",
      "review render",
      "review review",
      "central up",
      "sources up",
      "sources verify",
    ]);
    const render = lines.filter((l) => l.args[0] === "render");
    expect(render.map((l) => `${l.cwd} ${l.args.join(" ")}`)).to.deep.equal([
      "head render --out ../render/head",
      "base render --out ../render/base",
    ]);
  });

  it("rejects a line the parser does not know (the check can fail)", async () => {
    for (const bad of ["up --shards 1/4", "review --bse ../render/base", "verify --timeout", "up extra-positional"]) {
      const [line] = cliLines(`jobs:\n  x:\n    steps:\n      - run: npx org-s3-backup ${bad}\n`);
      expect((await verdict(line, root)).accepted, bad).to.equal(false);
    }
  });

  it("keeps TODO(pending) markers honest: pending only while exactly that flag is refused", async () => {
    const workflowWith = (body: string) => `jobs:\n  x:\n    steps:\n      - run: |\n${body}`;
    const [pending] = cliLines(
      workflowWith("          # TODO(pending: --not-yet)\n          npx org-s3-backup up --not-yet 1\n"),
    );
    expect(pending.pending).to.deep.equal(["--not-yet"]);
    expect(judge(pending, await verdict(pending, root))).to.equal("pending");
    const [landed] = cliLines(
      workflowWith("          # TODO(pending: --json)\n          npx org-s3-backup up --json\n"),
    );
    expect(judge(landed, await verdict(landed, root))).to.match(/accepts it now; remove the TODO/);
    const [other] = cliLines(
      workflowWith("          # TODO(pending: --not-yet)\n          npx org-s3-backup up --typo\n"),
    );
    expect(judge(other, await verdict(other, root))).to.match(/rejected for another reason/);
  });

  for (const line of lines) {
    const title = `accepts ${line.job}/${line.step}: org-s3-backup ${line.args.join(" ")}`;
    it(title, async function () {
      const outcome = judge(line, await verdict(line, root));
      if (outcome === "pending") this.skip();
      expect(outcome).to.equal("accepted");
    });
  }
});

/** "accepted", "pending" (refused for a flag its TODO names), or what is wrong with the line. */
function judge(line: CliLine, result: { accepted: boolean; message: string }): string {
  if (line.pending.length === 0) return result.accepted ? "accepted" : `${line.source}\n  refused: ${result.message}`;
  if (result.accepted) {
    return `${line.source}: the parser accepts it now; remove the TODO(pending: ${line.pending.join(", ")}) above it`;
  }
  const names = (flag: string) =>
    new RegExp(`(^|[\\s'"])${flag.replace(/[-]/g, "\\-")}($|[\\s'"=.,:;])`).test(result.message);
  return line.pending.some(names)
    ? "pending"
    : `${line.source}: rejected for another reason than the pending ${line.pending.join(", ")}: ${result.message}`;
}
