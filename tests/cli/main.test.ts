import { expect } from "chai";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import type { PassThrough } from "node:stream";
import { explainCommand } from "../../automation/cli/commands/explain";
import { ExitCode } from "../../automation/cli/exit-codes";
import { jsonError, withJsonErrors } from "../../automation/cli/json-errors";
import { main } from "../../automation/cli/main";
import { stackProgram } from "../../automation/review/render-program";
import { inventory } from "../support/inventory-fixture";
import { VALID_YAML, withLine } from "../support/inventory-yaml";
import { capturedMainIo } from "../support/captured-io";

/** The dispatcher: --version, "did you mean", and --json answering in JSON when a command fails (2, 3). */

const REPO = path.resolve(__dirname, "..", "..");

const capture = (cwd = REPO) => capturedMainIo(cwd);

describe("org-s3-backup --version", () => {
  it("prints the package's version and exits 0", async () => {
    const { version } = JSON.parse(await fs.readFile(path.join(REPO, "package.json"), "utf8"));
    for (const flag of ["--version", "-V", "version"]) {
      const io = capture();
      expect(await main([flag], io)).to.equal(ExitCode.Ok);
      expect(io.out()).to.equal(`org-s3-backup ${version}\n`);
    }
  });
});

describe("did you mean", () => {
  it("suggests the option meant by a mistyped flag, from the command's own options", async () => {
    const io = capture();
    expect(await main(["verify", "--acounts", "111111111111"], io)).to.equal(ExitCode.BadInput);
    expect(io.err()).to.equal(
      "org-s3-backup verify: Unknown option '--acounts'; did you mean --accounts?\nRun `org-s3-backup verify --help` for the options.\n",
    );
    const render = capture();
    expect(await main(["render", "--detial"], render)).to.equal(ExitCode.BadInput);
    expect(render.err()).to.contain("Unknown option '--detial'; did you mean --detail?");
    const equals = capture();
    expect(await main(["plan", "--jsno=1"], equals)).to.equal(ExitCode.BadInput);
    expect(equals.err()).to.contain("did you mean --json?");
  });

  it("says nothing more when no option is close", async () => {
    const io = capture();
    expect(await main(["validate", "--frobnicate"], io)).to.equal(ExitCode.BadInput);
    expect(io.err()).to.match(/^org-s3-backup validate: Unknown option '--frobnicate'\n/);
  });

  it("suggests the command meant by a mistyped command", async () => {
    const io = capture();
    expect(await main(["verfiy"], io)).to.equal(ExitCode.BadInput);
    expect(io.err()).to.match(/^org-s3-backup: unknown command 'verfiy'; did you mean 'verify'\? Commands: validate, /);
    const none = capture();
    expect(await main(["constructor"], none)).to.equal(ExitCode.BadInput);
    expect(none.err()).to.match(/^org-s3-backup: unknown command 'constructor'\. Commands: /);
  });
});

describe("--json on failure", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "cli-main-"));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("prints the inventory's problems as one JSON object on stdout (exit 2), and still on stderr", async () => {
    await fs.writeFile(path.join(dir, "accounts.yaml"), withLine(8, "  region: eu-west-9"));
    const io = capture(dir);
    expect(await main(["validate", "--inventory", "accounts.yaml", "--json"], io)).to.equal(ExitCode.BadInput);
    expect(JSON.parse(io.out())).to.deep.equal({
      ok: false,
      command: "validate",
      exitCode: 2,
      error: "accounts.yaml: invalid — 1 problem",
      messages: [
        'accounts.yaml:8:11: defaults.region: unknown region "eu-west-9"; did you mean `eu-west-1`?',
        "accounts.yaml: invalid — 1 problem",
      ],
      problems: [
        {
          file: "accounts.yaml",
          line: 8,
          column: 11,
          message: 'defaults.region: unknown region "eu-west-9"; did you mean `eu-west-1`?',
        },
      ],
    });
    expect(io.err()).to.contain("accounts.yaml:8:11: defaults.region");
  });

  it("prints a usage error as JSON too, for any command (here: plan, discover)", async () => {
    for (const argv of [
      ["plan", "--json", "--bogus"],
      ["discover", "--json", "--ou", "workloads"],
    ]) {
      const io = capture(dir);
      expect(await main(argv, io)).to.equal(ExitCode.BadInput);
      const document = JSON.parse(io.out());
      expect(document).to.include({ ok: false, command: argv[0], exitCode: 2 });
      expect(document.error).to.match(new RegExp(`^org-s3-backup ${argv[0]}: `));
    }
  });

  it("answers exit 3 (environment) with JSON, and leaves a command's own JSON alone", async () => {
    const io = capture();
    const code = await withJsonErrors("up", io, async (watched) => {
      watched.stderr.write("org-s3-backup up: the Pulumi CLI is not installed\n");
      return ExitCode.Environment;
    });
    expect(code).to.equal(ExitCode.Environment);
    expect(JSON.parse(io.out())).to.deep.include({
      exitCode: 3,
      error: "org-s3-backup up: the Pulumi CLI is not installed",
    });
    const own = capture();
    await withJsonErrors("verify", own, async (watched) => {
      watched.stdout.write('{"operation":"verify","exitCode":3}\n');
      return ExitCode.Environment;
    });
    expect(own.out()).to.equal('{"operation":"verify","exitCode":3}\n');
    const ok = capture();
    await withJsonErrors("plan", ok, async (watched) => {
      watched.stderr.write("a warning\n");
      return ExitCode.Ok;
    });
    expect(ok.out()).to.equal("");
  });

  it("passes the terminal's properties through to the command", async () => {
    const io = capture();
    (io.stderr as PassThrough & { isTTY?: boolean }).isTTY = true;
    let seen: boolean | undefined;
    await withJsonErrors("render", io, async (watched) => {
      seen = watched.stderr.isTTY;
      return ExitCode.Ok;
    });
    expect(seen).to.equal(true);
  });

  it("takes the headline from the summary line, not the hint", () => {
    expect(jsonError("x", 2, "org-s3-backup x: bad\nRun `org-s3-backup x --help` for the options.\n").error).to.equal(
      "org-s3-backup x: bad",
    );
  });
});

describe("validate --json and explain --json", () => {
  it("validate --json prints the counts and the source accounts", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "cli-main-"));
    try {
      await fs.writeFile(path.join(dir, "accounts.yaml"), VALID_YAML);
      const io = capture(dir);
      expect(await main(["validate", "--inventory", "accounts.yaml", "--json"], io)).to.equal(ExitCode.Ok);
      const document = JSON.parse(io.out());
      expect(document).to.deep.include({
        ok: true,
        inventory: "accounts.yaml",
        organizationId: "o-a1b2c3d4e5",
        central: { accountId: "999999999999", region: "eu-west-1" },
        enabled: 3,
        disabled: 0,
        ignored: [],
      });
      expect(document.sources[0]).to.deep.equal({
        accountId: "111111111111",
        name: "payments",
        region: "eu-west-1",
        enabled: true,
        bucket: "acme-data-111111111111",
        adopted: false,
      });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it("explain --json prints the links of the chain and the first broken one", async () => {
    const io = capture();
    const command = explainCommand({ loadInventory: async () => inventory({ count: 2 }), program: () => stackProgram });
    expect(await command.run(["--account", "111111111111", "--json"], io)).to.equal(ExitCode.Ok);
    const document = JSON.parse(io.out());
    expect(document.accountId).to.equal("111111111111");
    expect(document.links.map((link: { id: string }) => link.id)).to.deep.equal([
      "role-trust",
      "role-policy",
      "source-key",
      "central-bucket-policy",
      "central-key",
    ]);
    expect(document.firstBroken).to.equal(null);
  });
});
