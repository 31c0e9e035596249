import { OrganizationsClient } from "@aws-sdk/client-organizations";
import { expect } from "chai";
import { PassThrough } from "node:stream";
import { type DiscoverDeps, discoverCommand } from "../../automation/cli/commands/discover";
import { compareWithOrganization, discoverExitCode, type OrgAccount } from "../../automation/day-two/discover";
import { parseInventory } from "../../config/load";
import type { Inventory } from "../../config/types";
import { VALID_YAML } from "../support/inventory-yaml";

/**
 * `ignore:` (issue 14): accounts left out on purpose are not proposed by discover, which then stops
 * exiting 1 forever for them.
 */

const INVENTORY_WITH_IGNORE = `${VALID_YAML}ignore:\n  - id: "123456789012"\n    reason: management account\n`;

function loaded(text: string): Inventory {
  const result = parseInventory(text, "/x/accounts.yaml");
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.inventory;
}

const active = (accountId: string, name: string): OrgAccount => ({ accountId, name, state: "ACTIVE" });

const ORGANIZATION = [
  active("999999999999", "backup-central"),
  active("111111111111", "payments"),
  active("222222222222", "analytics"),
  active("333333333333", "legacy-web"),
  active("123456789012", "management"),
];

/** An Organizations client answering ListAccounts with `accounts`, one page. */
function organizations(accounts: readonly OrgAccount[]): OrganizationsClient {
  // A real client (the SDK's paginators insist), answering every request locally.
  const client = new OrganizationsClient({ region: "us-east-1" });
  client.send = (async () => ({
    Accounts: accounts.map((a) => ({ Id: a.accountId, Name: a.name, State: a.state })),
  })) as unknown as OrganizationsClient["send"];
  return client;
}

async function runDiscover(inventory: Inventory, argv: string[] = []) {
  let out = "";
  let err = "";
  const stdout = new PassThrough().on("data", (c: Buffer) => (out += c.toString()));
  const stderr = new PassThrough().on("data", (c: Buffer) => (err += c.toString()));
  const deps: DiscoverDeps = {
    loadInventory: async () => inventory,
    validate: () => ({ ok: true }),
    organizations: () => organizations(ORGANIZATION),
    readFile: async () => {
      throw new Error("nothing to read");
    },
    writeFile: async () => {
      throw new Error("nothing to write");
    },
    now: () => new Date("2026-11-25T07:00:00Z"),
  };
  const code = await discoverCommand(deps).run(argv, { stdout, stderr, env: {}, cwd: "/x" });
  expect(err).to.equal("");
  return { code, out };
}

describe("discover with ignore:", () => {
  it("does not propose an ignored account, and is in step (exit 0) when it is the only one left", async () => {
    const inventory = loaded(INVENTORY_WITH_IGNORE);
    const drift = compareWithOrganization(inventory, ORGANIZATION);
    expect(drift.missing).to.deep.equal([]);
    expect(drift.ignored).to.deep.equal([{ ...active("123456789012", "management"), reason: "management account" }]);
    expect(discoverExitCode(drift, false)).to.equal(0);
    const { code, out } = await runDiscover(inventory);
    expect(code).to.equal(0);
    expect(out).to.equal(
      [
        "/x/config/accounts.yaml is in step with the organization.",
        "Left out on purpose (ignore: in the inventory): 123456789012 management (management account).",
        "",
      ].join("\n"),
    );
  });

  it("without ignore: the same organization proposes the account and exits 1", async () => {
    const { code, out } = await runDiscover(loaded(VALID_YAML));
    expect(code).to.equal(1);
    expect(out).to.contain("123456789012  management");
  });

  it("--json lists the ignored accounts apart from the missing ones", async () => {
    const { code, out } = await runDiscover(loaded(INVENTORY_WITH_IGNORE), ["--json"]);
    expect(code).to.equal(0);
    const document = JSON.parse(out);
    expect(document.missing).to.deep.equal([]);
    expect(document.ignored.map((a: OrgAccount) => a.accountId)).to.deep.equal(["123456789012"]);
  });
});
