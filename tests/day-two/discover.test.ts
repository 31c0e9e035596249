import {
  CloseAccountCommand,
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreateOrganizationCommand,
  ListRootsCommand,
  MoveAccountCommand,
  type OrganizationsClient,
} from "@aws-sdk/client-organizations";
import { expect } from "chai";
import { main } from "../../automation/cli/main";
import { PassThrough } from "node:stream";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { formatProblem, parseInventory } from "../../config/load";
import { AwsClients } from "../../automation/day-two/aws-clients";
import type { Io } from "../../automation/cli/command";
import { type DiscoverDeps, defaultDiscoverDeps, discoverCommand } from "../../automation/cli/commands/discover";
import {
  addAccountsToYaml,
  compareWithOrganization,
  discoverExitCode,
  formatDrift,
  isParentId,
  listAccountsBelow,
  listOrganizationAccounts,
  type OrgAccount,
} from "../../automation/day-two/discover";
import { capturedMainIo } from "../support/captured-io";
import { inventory, sourceAccount } from "../support/inventory-fixture";
import { freePort, type Moto, skipWithoutMoto, startMoto } from "../support/moto";

const EXAMPLE_INVENTORY = path.resolve(__dirname, "..", "..", "config", "accounts.yaml");
const active = (accountId: string, name = `acct-${accountId.slice(0, 3)}`): OrgAccount => ({
  accountId,
  name,
  state: "ACTIVE",
});

describe("discover: comparing the organization with the inventory", () => {
  const inv = inventory({
    sources: [
      sourceAccount("111111111111"),
      sourceAccount("222222222222"),
      sourceAccount("333333333333", { enabled: false }),
    ],
  });

  it("finds ACTIVE accounts the inventory lacks, never the central account", () => {
    const organization = [
      active("999999999999", "backup-central"),
      active("111111111111"),
      active("222222222222"),
      active("333333333333"),
      active("444444444444", "new-app"),
      { ...active("555555555555"), state: "PENDING_ACTIVATION" },
    ];
    const drift = compareWithOrganization(inv, organization);
    expect(drift.missing).to.deep.equal([active("444444444444", "new-app")]);
    expect(drift.gone).to.deep.equal([]);
    expect(discoverExitCode(drift, false)).to.equal(1);
    expect(discoverExitCode(drift, true)).to.equal(0);
  });

  it("finds inventory accounts that left, are suspended, closing or closed, disabled ones included", () => {
    const organization = [
      active("999999999999"),
      { ...active("111111111111"), state: "SUSPENDED" },
      { ...active("333333333333"), state: "CLOSED" },
    ];
    const drift = compareWithOrganization(inv, organization);
    expect(drift.gone).to.deep.equal([
      { accountId: "111111111111", name: "app-111", enabled: true, reason: "suspended" },
      { accountId: "222222222222", name: "app-222", enabled: true, reason: "not in the organization" },
      { accountId: "333333333333", name: "app-333", enabled: false, reason: "closed" },
    ]);
    expect(discoverExitCode(drift, true)).to.equal(1);
    expect(
      compareWithOrganization(inv, [{ ...active("111111111111"), state: "PENDING_CLOSURE" }]).gone[0].reason,
    ).to.equal("pending closure");
  });

  it("looks for missing accounts only in scope, but judges gone ones against the whole organization", () => {
    const organization = [
      active("111111111111"),
      active("222222222222"),
      active("333333333333"),
      active("444444444444"),
      active("666666666666"),
    ];
    const drift = compareWithOrganization(inv, organization, [active("444444444444"), active("444444444444")]);
    expect(drift.missing.map((a) => a.accountId)).to.deep.equal(["444444444444"]);
    expect(drift.gone).to.deep.equal([]);
  });

  it("prints what to do", () => {
    const text = formatDrift(
      {
        missing: [active("444444444444", "new-app")],
        ignored: [],
        gone: [{ accountId: "222222222222", name: "old", enabled: true, reason: "suspended" }],
      },
      false,
      "/x/accounts.yaml",
    );
    expect(text).to.equal(
      [
        "Missing from /x/accounts.yaml (ACTIVE in the organization):",
        "  444444444444  new-app",
        "In /x/accounts.yaml but no longer usable (remove them or set enabled: false, then run up --prune):",
        "  222222222222  old  suspended",
        "Run with --write to add the missing accounts, or list the ones to leave out under ignore: in the inventory.",
        "",
      ].join("\n"),
    );
    expect(formatDrift({ missing: [], ignored: [], gone: [] }, false, "/x/a.yaml")).to.equal(
      "/x/a.yaml is in step with the organization.\n",
    );
  });

  it("accepts OU and root ids only", () => {
    expect(isParentId("ou-ab12-cdefgh34")).to.equal(true);
    expect(isParentId("r-ab12")).to.equal(true);
    for (const bad of ["ou-AB12-x", "111111111111", "root", ""]) expect(isParentId(bad), bad).to.equal(false);
  });
});

describe("discover: editing the inventory YAML", () => {
  const original = [
    "# Organization backup inventory: reviewed by the platform team.",
    "organizationId: o-a1b2c3d4e5",
    "",
    "central:",
    '  id: "999999999999"   # the backup account',
    "  name: backup-central",
    "",
    "accounts:",
    "  # payments team",
    '  - id: "111111111111"',
    "    name: payments",
    "",
    "# trailing comment",
    "",
  ].join("\n");

  it("appends the accounts with quoted ids and keeps every comment and blank line as it was", () => {
    const updated = addAccountsToYaml(
      original,
      [active("012345678901", "new-app"), active("444444444444", "data")],
      "added by org-s3-backup discover on 2026-11-25",
    );
    const insertion =
      "  # added by org-s3-backup discover on 2026-11-25\n" +
      '  - id: "012345678901"\n    name: new-app\n' +
      '  - id: "444444444444"\n    name: data\n';
    // Byte for byte the original, with the new entries right after the last one.
    expect(updated).to.equal(original.replace("    name: payments\n", `    name: payments\n${insertion}`));
    const accounts = parseDocument(updated).toJS().accounts;
    // Quoted: the leading zero survives.
    expect(accounts).to.deep.equal([
      { id: "111111111111", name: "payments" },
      { id: "012345678901", name: "new-app" },
      { id: "444444444444", name: "data" },
    ]);
  });

  it("keeps the example inventory valid and byte-for-byte the same, in its blank-line style", () => {
    const example = readFileSync(EXAMPLE_INVENTORY, "utf8");
    const updated = addAccountsToYaml(
      example,
      [active("012345678901", "new-app"), active("555555555555", "data")],
      "added by org-s3-backup discover on 2026-11-25",
    );
    expect(updated).to.equal(
      `${example}\n  # added by org-s3-backup discover on 2026-11-25\n` +
        '  - id: "012345678901"\n    name: new-app\n\n' +
        '  - id: "555555555555"\n    name: data\n',
    );
    const loaded = parseInventory(updated, EXAMPLE_INVENTORY);
    expect(loaded.ok, loaded.ok ? "" : loaded.problems.map(formatProblem).join("\n")).to.equal(true);
    if (loaded.ok) {
      const added = loaded.inventory.sources.slice(-2);
      expect(added.map((a) => [a.accountId, a.name, a.bucket.name, a.enabled])).to.deep.equal([
        ["012345678901", "new-app", "acme-data-012345678901", true],
        ["555555555555", "data", "acme-data-555555555555", true],
      ]);
    }
  });

  it("quotes names YAML would misread, and handles a file without a final newline", () => {
    const updated = addAccountsToYaml(
      'accounts:\n  - id: "111111111111"\n    name: a',
      [active("444444444444", "yes: really # no")],
      "n",
    );
    expect(updated).to.equal(
      'accounts:\n  - id: "111111111111"\n    name: a\n  # n\n  - id: "444444444444"\n    name: "yes: really # no"\n',
    );
    expect(parseDocument(updated).toJS().accounts[1]).to.deep.equal({ id: "444444444444", name: "yes: really # no" });
  });

  it("turns an empty flow list into a block list", () => {
    const updated = addAccountsToYaml(
      "organizationId: o-a1b2c3d4e5\naccounts: []\n# keep\n",
      [active("444444444444", "data")],
      "added",
    );
    expect(updated).to.equal(
      'organizationId: o-a1b2c3d4e5\naccounts:\n  # added\n  - id: "444444444444"\n    name: data\n\n# keep\n',
    );
  });

  it("creates the accounts list when the file has none, and refuses what is not an inventory", () => {
    const updated = addAccountsToYaml("organizationId: o-a1b2c3d4e5\n", [active("444444444444", "data")], "added");
    expect(parseDocument(updated).toJS()).to.deep.equal({
      organizationId: "o-a1b2c3d4e5",
      accounts: [{ id: "444444444444", name: "data" }],
    });
    expect(() => addAccountsToYaml("- a\n- b\n", [active("444444444444")], "n")).to.throw("top level is not a mapping");
    expect(() => addAccountsToYaml("accounts: 3\n", [active("444444444444")], "n")).to.throw(
      "`accounts` is not a list",
    );
    expect(() => addAccountsToYaml("a: [\n", [active("444444444444")], "n")).to.throw("not valid YAML");
  });
});

describe("discover: against the emulator's Organizations", () => {
  let moto: Moto;
  let org: OrganizationsClient;
  let rootId: string;

  before(async function () {
    await skipWithoutMoto(this);
    this.timeout(60_000);
    moto = await startMoto();
    org = new AwsClients(moto.env).organizations(new AwsClients(moto.env).ambient());
  });
  after(async () => moto?.stop());

  beforeEach(async () => {
    await moto.reset();
    await org.send(new CreateOrganizationCommand({ FeatureSet: "ALL" }));
    rootId = (await org.send(new ListRootsCommand({}))).Roots?.[0]?.Id ?? "";
  });

  async function createAccount(name: string, parentId?: string): Promise<string> {
    const created = await org.send(new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }));
    const id = created.CreateAccountStatus?.AccountId ?? "";
    if (parentId)
      await org.send(new MoveAccountCommand({ AccountId: id, SourceParentId: rootId, DestinationParentId: parentId }));
    return id;
  }

  it("lists every account over several pages, and the accounts below nested OUs", async () => {
    const workloads =
      (await org.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: "workloads" }))).OrganizationalUnit
        ?.Id ?? "";
    const prod =
      (await org.send(new CreateOrganizationalUnitCommand({ ParentId: workloads, Name: "prod" }))).OrganizationalUnit
        ?.Id ?? "";
    const inWorkloads = [await createAccount("tools", workloads)];
    // 23 in one OU: ListAccountsForParent answers 20 per page.
    const inProd: string[] = [];
    for (let i = 0; i < 23; i++) inProd.push(await createAccount(`prod-${i}`, prod));
    const outside = await createAccount("sandbox");

    const all = await listOrganizationAccounts(org);
    expect(all.map((a) => a.accountId)).to.include.members([...inWorkloads, ...inProd, outside]);
    expect(all.length).to.equal(1 + 1 + 23 + 1); // the management account too
    const below = await listAccountsBelow(org, [workloads]);
    expect(below.map((a) => a.accountId).sort()).to.deep.equal([...inWorkloads, ...inProd].sort());
    expect(below.find((a) => a.accountId === inWorkloads[0])).to.deep.equal({
      accountId: inWorkloads[0],
      name: "tools",
      state: "ACTIVE",
    });
  });

  function capture(): Io & { out: () => string; err: () => string } {
    let out = "";
    let err = "";
    const stdout = new PassThrough().on("data", (c: Buffer) => (out += c.toString()));
    const stderr = new PassThrough().on("data", (c: Buffer) => (err += c.toString()));
    return { stdout, stderr, env: moto.env, cwd: "/work", out: () => out, err: () => err };
  }

  it("reports missing and suspended accounts as JSON and exits 1", async () => {
    const kept = await createAccount("payments");
    const closed = await createAccount("old");
    const fresh = await createAccount("new-app");
    await org.send(new CloseAccountCommand({ AccountId: closed }));
    const inv = inventory({
      sources: [sourceAccount(kept, { name: "payments" }), sourceAccount(closed, { name: "old" })],
    });
    const io = capture();
    const deps: DiscoverDeps = { ...defaultDiscoverDeps, loadInventory: async () => inv };
    const code = await discoverCommand(deps).run(["--json"], io);
    expect(code, io.err()).to.equal(1);
    const report = JSON.parse(io.out());
    expect(report.written).to.equal(false);
    expect(report.missing.map((a: OrgAccount) => a.accountId)).to.include(fresh);
    expect(report.missing.map((a: OrgAccount) => a.accountId)).to.not.include.members([kept, closed]);
    expect(report.gone).to.deep.equal([{ accountId: closed, name: "old", enabled: true, reason: "suspended" }]);
  });

  it("writes the missing accounts below an OU into the example inventory, validated by the loader", async () => {
    const ou =
      (await org.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: "apps" }))).OrganizationalUnit
        ?.Id ?? "";
    const fresh = await createAccount("new-app", ou);
    await createAccount("elsewhere");
    const example = readFileSync(EXAMPLE_INVENTORY, "utf8");
    const loaded = parseInventory(example, EXAMPLE_INVENTORY);
    if (!loaded.ok) throw new Error(loaded.problems.map(formatProblem).join("\n"));
    let file = example;
    const deps: DiscoverDeps = {
      ...defaultDiscoverDeps,
      loadInventory: async () => loaded.inventory,
      readFile: async () => file,
      writeFile: async (_path, text) => {
        file = text;
      },
      now: () => new Date("2026-11-25T07:00:00Z"),
    };
    const io = capture();
    const code = await discoverCommand(deps).run(["--ou", ou, "--write", "--json"], io);
    const report = JSON.parse(io.out());
    expect(report.written).to.equal(true);
    expect(report.missing).to.deep.equal([{ accountId: fresh, name: "new-app", state: "ACTIVE" }]);
    // The example's accounts are not in the emulator's organization: still reported, so exit 1.
    expect(report.gone.map((g: { accountId: string }) => g.accountId)).to.deep.equal([
      "111111111111",
      "222222222222",
      "333333333333",
      "444444444444",
    ]);
    expect(code).to.equal(1);
    expect(file.startsWith(example)).to.equal(true);
    const reloaded = parseInventory(file, EXAMPLE_INVENTORY);
    expect(reloaded.ok).to.equal(true);
    if (reloaded.ok)
      expect(reloaded.inventory.sources.at(-1)).to.deep.include({ accountId: fresh, name: "new-app", enabled: true });
  });

  it("does not write an inventory that would not validate (exit 2)", async () => {
    await createAccount("new-app");
    let writes = 0;
    const deps: DiscoverDeps = {
      ...defaultDiscoverDeps,
      loadInventory: async () => inventory({ sources: [] }),
      validate: () => ({ ok: false, problems: ["/work/config/accounts.yaml:9:5: accounts[0].region is required"] }),
      readFile: async () => "organizationId: o-a1b2c3d4e5\naccounts: []\n",
      writeFile: async () => {
        writes++;
      },
    };
    const io = capture();
    expect(await discoverCommand(deps).run(["--write"], io)).to.equal(2);
    expect(writes).to.equal(0);
    expect(io.err()).to.contain(
      "not written: the inventory would not validate with the new accounts:\n" +
        "  /work/config/accounts.yaml:9:5: accounts[0].region is required",
    );
  });

  it("exits 3 when Organizations cannot be reached", async () => {
    const deps: DiscoverDeps = { ...defaultDiscoverDeps, loadInventory: async () => inventory() };
    const unreachable = {
      ...capture(),
      env: { ...moto.env, AWS_ENDPOINT_URL: `http://127.0.0.1:${await freePort()}` },
    };
    expect(await discoverCommand(deps).run([], unreachable)).to.equal(3);
    expect(unreachable.err()).to.contain("could not list the organization's accounts");
  });
});

describe("discover: CLI", () => {
  it("refuses a malformed OU or role ARN with exit 2, calling nothing", async () => {
    const deps: DiscoverDeps = {
      ...defaultDiscoverDeps,
      loadInventory: async () => inventory(),
      organizations: () => {
        throw new Error("no AWS call expected");
      },
    };
    for (const [argv, message] of [
      [["--ou", "workloads"], "--ou: 'workloads' is not an organizational unit id"],
      [["--role-arn", "admin"], "--role-arn: 'admin' is not an IAM role ARN"],
      [["--bogus"], "Unknown option '--bogus'"],
    ] as const) {
      const io = capturedMainIo("/work");
      expect(await discoverCommand(deps).run(argv, io), argv.join(" ")).to.equal(2);
      expect(io.err()).to.contain(message);
    }
  });

  it("is a command of org-s3-backup, with its help", async () => {
    const io = capturedMainIo("/work");
    const code = await main(["discover", "--help"], io);
    expect(code).to.equal(0);
    expect(io.out()).to.match(/^Usage: org-s3-backup discover /);
    expect(io.out()).to.contain("docs/day-two.md");
  });
});
