import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Writable } from "node:stream";
import { main } from "../../automation/cli/main";
import type { Io } from "../../automation/cli/command";
import { loadInventoryOrReport } from "../../automation/cli/inventory-arg";
import { VALID_YAML, withLine } from "../support/inventory-yaml";

const REPO = path.resolve(__dirname, "..", "..");

function capture(cwd: string): { io: Io; stdout: () => string; stderr: () => string } {
  let stdout = "";
  let stderr = "";
  const sink = (append: (text: string) => void) =>
    new Writable({
      write(chunk, _encoding, done) {
        append(String(chunk));
        done();
      },
    });
  return {
    io: { stdout: sink((text) => (stdout += text)), stderr: sink((text) => (stderr += text)), env: {}, cwd },
    stdout: () => stdout,
    stderr: () => stderr,
  };
}

async function run(argv: string[], cwd = REPO) {
  const out = capture(cwd);
  const code = await main(argv, out.io);
  return { code, stdout: out.stdout(), stderr: out.stderr() };
}

describe("validate and plan commands", () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "inventory-"));
    fs.writeFileSync(path.join(dir, "good.yaml"), VALID_YAML);
    fs.writeFileSync(
      path.join(dir, "bad.yaml"),
      withLine(8, "  region: eu-west-9", withLine(11, "  - id: 011111111111")),
    );
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe("validate", () => {
    it("prints a summary line, then each adopted bucket's key layout, for the bundled example (default path, resolved against cwd)", async () => {
      const { code, stdout, stderr } = await run(["validate"]);
      expect({ code, stderr }).to.deep.equal({ code: 0, stderr: "" });
      expect(stdout).to.equal(
        [
          "config/accounts.yaml: valid — organization o-a1b2c3d4e5, central 999999999999 (eu-west-1), 3 source accounts enabled, 1 disabled",
          "  333333333333 (legacy-web) adopts legacy-web-assets-prod: adopted, keys: partial — data outside 333333333333/ NOT backed up",
          "    manages versioning, replication rule; keeps its own default encryption, public-access block, bucket policy; " +
            "up refuses if the bucket already replicates",
          "",
        ].join("\n"),
      );
    });

    it("prints every problem as FILE:LINE:COL on stderr and exits 2", async () => {
      const { code, stdout, stderr } = await run(["validate", "--inventory", "bad.yaml"], dir);
      expect(code).to.equal(2);
      expect(stdout).to.equal("");
      expect(stderr).to.equal(
        [
          'bad.yaml:8:11: defaults.region: unknown region "eu-west-9"; did you mean `eu-west-1`?',
          "bad.yaml:11:9: accounts[0].id: account id 011111111111 must be quoted " +
            '(YAML reads it as the number 11111111111 and drops the leading zero); write id: "011111111111"',
          "bad.yaml: invalid — 2 problems",
          "",
        ].join("\n"),
      );
    });

    it("names a file outside the working directory by its absolute path", async () => {
      const { code, stdout } = await run(["validate", "--inventory", path.join(dir, "good.yaml")], REPO);
      expect(code).to.equal(0);
      expect(stdout).to.equal(
        `${path.join(dir, "good.yaml")}: valid — organization o-a1b2c3d4e5, central 999999999999 (eu-west-1), ` +
          "3 source accounts enabled, 0 disabled\n",
      );
    });

    it("says clearly that the file is missing, exit 2", async () => {
      const { code, stdout, stderr } = await run(["validate", "--inventory", "nope.yaml"], dir);
      expect({ code, stdout }).to.deep.equal({ code: 2, stdout: "" });
      expect(stderr).to.equal(
        "nope.yaml: cannot read the inventory: no such file (pass --inventory PATH, or run from the repository root)\n",
      );
    });

    it("refuses unknown options and positionals with exit 2", async () => {
      const unknown = await run(["validate", "--inventroy", "x"]);
      expect(unknown.code).to.equal(2);
      expect(unknown.stderr).to.match(/^org-s3-backup validate: Unknown option '--inventroy'/);
      expect((await run(["validate", "extra"])).code).to.equal(2);
    });

    it("has --help", async () => {
      const { code, stdout } = await run(["validate", "--help"]);
      expect(code).to.equal(0);
      expect(stdout).to.match(/^Usage: org-s3-backup validate \[--inventory PATH\]/);
      expect(stdout).to.include("--inventory PATH   Inventory file (default: config/accounts.yaml)");
    });
  });

  describe("plan", () => {
    it("prints the stacks in order as a table, then the disabled accounts", async () => {
      const { code, stdout, stderr } = await run(["plan"]);
      expect({ code, stderr }).to.deep.equal({ code: 0, stderr: "" });
      expect(stdout).to.equal(
        [
          "#  STACK                 ACCOUNT       NAME            REGION     ROLE" +
            "                                                          DEPENDS ON  NOTE",
          "1  central               999999999999  backup-central  eu-west-1  arn:aws:iam::999999999999:role/OrganizationAccountAccessRole  -",
          "2  account-111111111111  111111111111  payments        eu-west-1  arn:aws:iam::111111111111:role/OrganizationAccountAccessRole  central",
          "3  account-222222222222  222222222222  analytics       us-east-1  arn:aws:iam::222222222222:role/OrganizationAccountAccessRole  central",
          "4  account-333333333333  333333333333  legacy-web      eu-west-1  arn:aws:iam::333333333333:role/platform/BackupDeployer" +
            "        central     adopted, keys: partial — data outside 333333333333/ NOT backed up",
          "",
          "4 stacks: central and 3 source accounts.",
          "Adopted by account-333333333333: legacy-web-assets-prod — manages versioning, replication rule; " +
            "keeps its own default encryption, public-access block, bucket policy; up refuses if the bucket already replicates.",
          "Disabled (no stack): 444444444444 (sandbox).",
          "",
        ].join("\n"),
      );
    });

    it("prints JSON with --json", async () => {
      const { code, stdout } = await run(["plan", "--json", "--inventory", "good.yaml"], dir);
      expect(code).to.equal(0);
      const document = JSON.parse(stdout);
      expect(document.inventory).to.equal("good.yaml");
      expect(document.organizationId).to.equal("o-a1b2c3d4e5");
      expect(document.disabled).to.deep.equal([]);
      expect(document.adopted).to.deep.equal([]);
      expect(document.stacks.map((stack: { name: string }) => stack.name)).to.deep.equal([
        "central",
        "account-111111111111",
        "account-222222222222",
        "account-333333333333",
      ]);
      expect(document.stacks[1]).to.deep.equal({
        name: "account-111111111111",
        kind: "source",
        accountId: "111111111111",
        accountName: "payments",
        region: "eu-west-1",
        roleArn: "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole",
        dependsOn: ["central"],
      });
    });

    it("lists each adopted bucket's key layout and what is managed on it in --json", async () => {
      const { code, stdout } = await run(["plan", "--json"]);
      expect(code).to.equal(0);
      expect(JSON.parse(stdout).adopted).to.deep.equal([
        {
          stack: "account-333333333333",
          accountId: "333333333333",
          bucket: "legacy-web-assets-prod",
          keys: "partial",
          note: "adopted, keys: partial — data outside 333333333333/ NOT backed up",
          manages: ["versioning", "replication rule"],
          keeps: ["default encryption", "public-access block", "bucket policy"],
          existingReplication: "refuse",
          additionalKmsKeyArns: [],
        },
      ]);
    });

    it("says when an adopted bucket holds all its data under the account's prefix, and what it opted in to", async () => {
      const adopting = withLine(
        16,
        "    name: legacy-web\n    existingBucket:\n      name: legacy-web-data\n      keys: under-account-prefix\n" +
          "      manage: { encryption: true }\n      existingReplication: replace",
      );
      fs.writeFileSync(path.join(dir, "adopting.yaml"), adopting);
      const plan = await run(["plan", "--inventory", "adopting.yaml"], dir);
      expect(plan.code, plan.stderr).to.equal(0);
      expect(plan.stdout).to.match(
        /^4 {2}account-333333333333 .* central {5}adopted, keys: under-account-prefix — all data under 333333333333\/ \(backed up\)$/m,
      );
      expect(plan.stdout).to.contain(
        "Adopted by account-333333333333: legacy-web-data — manages versioning, replication rule, default encryption; " +
          "keeps its own public-access block, bucket policy; existing replication rules are REPLACED.",
      );
      const validate = await run(["validate", "--inventory", "adopting.yaml"], dir);
      expect(validate.stdout.split("\n").slice(1)).to.deep.equal([
        "  333333333333 (legacy-web) adopts legacy-web-data: adopted, keys: under-account-prefix — all data under 333333333333/ (backed up)",
        "    manages versioning, replication rule, default encryption; keeps its own public-access block, bucket policy; " +
          "existing replication rules are REPLACED",
        "",
      ]);
    });

    it("prints the problems as a JSON error object on stdout and exits 2 for an invalid inventory", async () => {
      const { code, stdout, stderr } = await run(["plan", "--json", "--inventory", "bad.yaml"], dir);
      expect(code).to.equal(2);
      expect(JSON.parse(stdout)).to.deep.include({ ok: false, command: "plan", exitCode: 2 });
      expect(JSON.parse(stdout).problems.map((p: { line: number }) => p.line)).to.deep.equal([8, 11]);
      expect(stderr.split("\n")[0]).to.equal(
        'bad.yaml:8:11: defaults.region: unknown region "eu-west-9"; did you mean `eu-west-1`?',
      );
    });

    it("has --help and refuses unknown options", async () => {
      const help = await run(["plan", "-h"]);
      expect(help.code).to.equal(0);
      expect(help.stdout).to.match(/^Usage: org-s3-backup plan \[--inventory PATH\] \[--json\]/);
      expect((await run(["plan", "--yaml"])).code).to.equal(2);
    });
  });

  describe("loadInventoryOrReport", () => {
    it("returns the inventory and prints nothing when valid", async () => {
      const out = capture(dir);
      const inventory = await loadInventoryOrReport("good.yaml", out.io);
      expect(inventory?.sources.map((source) => source.accountId)).to.deep.equal([
        "111111111111",
        "222222222222",
        "333333333333",
      ]);
      expect(inventory?.sourcePath).to.equal(path.join(dir, "good.yaml"));
      expect(out.stderr() + out.stdout()).to.equal("");
    });

    it("returns undefined and reports on stderr when invalid", async () => {
      const out = capture(dir);
      expect(await loadInventoryOrReport(path.join(dir, "bad.yaml"), out.io)).to.equal(undefined);
      expect(out.stderr()).to.include("bad.yaml:11:9: accounts[0].id:");
      expect(out.stdout()).to.equal("");
    });
  });
});
