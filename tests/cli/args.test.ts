import { expect } from "chai";
import * as path from "node:path";
import { main } from "../../automation/cli/main";
import { parseArgsOrReport, selectSourceAccounts } from "../../automation/cli/args";
import { ExitCode } from "../../automation/cli/exit-codes";
import { DEFAULT_INVENTORY_PATH } from "../../infra/contract";
import { inventory, sourceAccount } from "../support/inventory-fixture";
import { capturedIo } from "../support/captured-io";

const CWD = path.resolve("/srv/backups");
const REPO = path.resolve(__dirname, "..", "..");

const capture = (cwd = CWD) => capturedIo({}, cwd);

const usageText = (command: string, message: string) =>
  `org-s3-backup ${command}: ${message}\nRun \`org-s3-backup ${command} --help\` for the options.\n`;

describe("command arguments (parseArgsOrReport)", () => {
  it("parses the command's own options and --inventory", () => {
    const { io, stderr } = capture();
    const args = parseArgsOrReport(
      "demo",
      ["--json", "--ou", "r-ab12", "--ou", "ou-ab12-cdef3456", "--inventory", "inv.yaml"],
      io,
      {
        json: { type: "boolean" },
        ou: { type: "string", multiple: true },
      },
    );
    expect(args?.values).to.deep.equal({ json: true, ou: ["r-ab12", "ou-ab12-cdef3456"], inventory: "inv.yaml" });
    expect(stderr()).to.equal("");
  });

  describe("--inventory", () => {
    const resolved = (argv: string[]) => parseArgsOrReport("demo", argv, capture().io, {})?.inventoryPath;

    it("defaults to DEFAULT_INVENTORY_PATH below io.cwd", () => {
      expect(resolved([])).to.equal(path.join(CWD, DEFAULT_INVENTORY_PATH));
    });

    it("resolves a relative path against io.cwd, not the process's directory", () => {
      expect(resolved(["--inventory", "sub/accounts.yaml"])).to.equal(path.join(CWD, "sub", "accounts.yaml"));
      expect(resolved(["--inventory=../other.yaml"])).to.equal(path.resolve(CWD, "..", "other.yaml"));
    });

    it("keeps an absolute path", () => {
      const absolute = path.resolve("/etc/org/accounts.yaml");
      expect(resolved(["--inventory", absolute])).to.equal(absolute);
    });
  });

  describe("usage errors", () => {
    const cases: [string[], string][] = [
      [["--bogus"], "Unknown option '--bogus'"],
      [["extra"], "Unexpected argument 'extra'. This command does not take positional arguments"],
      [["--inventory"], "Option '--inventory <value>' argument missing"],
      [["--json=yes"], "Option '--json' does not take an argument"],
    ];
    for (const [argv, message] of cases) {
      it(`${argv.join(" ")}: prints the usage error and returns undefined`, () => {
        const { io, stdout, stderr } = capture();
        expect(parseArgsOrReport("demo", argv, io, { json: { type: "boolean" } })).to.equal(undefined);
        expect(stderr()).to.equal(usageText("demo", message));
        expect(stdout()).to.equal("");
      });
    }

    it("usage() prints the command's own message the same way and returns ExitCode.BadInput", () => {
      const { io, stderr } = capture();
      const args = parseArgsOrReport("demo", [], io, {});
      expect(args?.usage("--account ID is required")).to.equal(ExitCode.BadInput);
      expect(stderr()).to.equal(usageText("demo", "--account ID is required"));
    });

    for (const command of [
      "validate",
      "plan",
      "render",
      "explain",
      "verify",
      "discover",
      "backfill",
      "preview",
      "up",
      "destroy",
      "drift",
      "outputs",
    ]) {
      it(`${command} --bogus exits 2 with the usage text and nothing on stdout`, async () => {
        const { io, stdout, stderr } = capture(REPO);
        expect(await main([command, "--bogus"], io)).to.equal(2);
        expect(stderr()).to.equal(usageText(command, "Unknown option '--bogus'"));
        expect(stdout()).to.equal("");
      });
    }

    it("--prune is an option of up only", async () => {
      const { io, stderr } = capture(REPO);
      expect(await main(["preview", "--prune"], io)).to.equal(2);
      expect(stderr()).to.equal(usageText("preview", "Unknown option '--prune'"));
    });
  });
});

describe("selectSourceAccounts", () => {
  const fixture = inventory({
    sources: [
      sourceAccount("111111111111"),
      sourceAccount("222222222222", { enabled: false }),
      sourceAccount("333333333333"),
    ],
  });
  const ids = (result: ReturnType<typeof selectSourceAccounts>) =>
    result.ok ? result.sources.map((source) => source.accountId) : result;

  it("without --accounts: every enabled source account, in inventory order", () => {
    expect(ids(selectSourceAccounts(fixture, undefined, "no central"))).to.deep.equal(["111111111111", "333333333333"]);
  });

  it("with --accounts: only those", () => {
    expect(ids(selectSourceAccounts(fixture, "333333333333", "no central"))).to.deep.equal(["333333333333"]);
  });

  it("refuses the central account, by name or id, with the caller's message", () => {
    expect(selectSourceAccounts(fixture, "central", "no central")).to.deep.equal({ ok: false, message: "no central" });
    expect(selectSourceAccounts(fixture, "111111111111,999999999999", "no central")).to.deep.equal({
      ok: false,
      message: "no central",
    });
  });

  it("passes on selectStacks' refusals (unknown, malformed or disabled ids)", () => {
    expect(selectSourceAccounts(fixture, "444444444444", "no central")).to.deep.equal({
      ok: false,
      message: "--accounts: account 444444444444 is not in the inventory /fixture/accounts.yaml",
    });
    expect(selectSourceAccounts(fixture, "12", "no central")).to.deep.equal({
      ok: false,
      message: "--accounts: '12' is not a 12-digit account id or 'central'",
    });
    expect(selectSourceAccounts(fixture, "222222222222", "no central")).to.deep.equal({
      ok: false,
      message: "--accounts: 222222222222 is disabled (enabled: false) in /fixture/accounts.yaml",
    });
  });
});
