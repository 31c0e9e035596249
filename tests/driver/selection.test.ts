import { expect } from "chai";
import { planStacks } from "../../automation/driver/plan";
import { findOrphans, parseIdList, selectStacks, type SelectionFlags } from "../../automation/driver/selection";
import { inventory as makeInventory, sourceAccount } from "../support/inventory-fixture";

const inventory = makeInventory({
  sources: [
    sourceAccount("111111111111"),
    sourceAccount("222222222222"),
    sourceAccount("333333333333", { enabled: false }),
  ],
});
const select = (flags: SelectionFlags) => selectStacks(inventory, planStacks(inventory), flags);
const names = (flags: SelectionFlags) => {
  const result = select(flags);
  if (!result.ok) throw new Error(result.message);
  return {
    central: result.selection.central,
    named: result.selection.centralNamed,
    sources: result.selection.sources.map((p) => p.accountId),
  };
};

describe("selection", () => {
  it("parses comma lists leniently", () => {
    expect(parseIdList(" 111111111111, 222222222222 ,,")).to.deep.equal(["111111111111", "222222222222"]);
  });

  it("selects every enabled stack by default", () => {
    expect(names({})).to.deep.equal({ central: true, named: false, sources: ["111111111111", "222222222222"] });
  });

  it("restricts to --accounts and drops --exclude; central only when named", () => {
    expect(names({ accounts: ["222222222222"] })).to.deep.equal({
      central: false,
      named: false,
      sources: ["222222222222"],
    });
    expect(names({ accounts: ["central", "111111111111"] })).to.deep.equal({
      central: true,
      named: true,
      sources: ["111111111111"],
    });
    expect(names({ accounts: ["999999999999"] })).to.deep.equal({ central: true, named: true, sources: [] });
    expect(names({ exclude: ["central", "111111111111"] })).to.deep.equal({
      central: false,
      named: false,
      sources: ["222222222222"],
    });
    expect(names({ exclude: ["333333333333"] }).sources).to.deep.equal(["111111111111", "222222222222"]);
  });

  it("takes exactly 12 digits: nothing before, nothing after", () => {
    for (const token of ["1111111111111", "x111111111111", "111111111111x", "11111111111", " 111111111111a"]) {
      const result = select({ accounts: [token] });
      expect(result.ok, token).to.equal(false);
      if (!result.ok) expect(result.message).to.contain("is not a 12-digit account id or 'central'");
    }
  });

  it("refuses unknown, malformed and disabled ids with a precise message", () => {
    expect(select({ accounts: ["444444444444"] })).to.deep.equal({
      ok: false,
      message: "--accounts: account 444444444444 is not in the inventory /fixture/accounts.yaml",
    });
    expect(select({ exclude: ["12345"] })).to.deep.equal({
      ok: false,
      message: "--exclude: '12345' is not a 12-digit account id or 'central'",
    });
    expect(select({ accounts: ["333333333333"] })).to.deep.equal({
      ok: false,
      message: "--accounts: 333333333333 is disabled (enabled: false) in /fixture/accounts.yaml",
    });
  });

  it("finds orphans: our stacks whose account left the inventory or was disabled", () => {
    const existing = [
      "central",
      "account-111111111111",
      "account-333333333333",
      "account-444444444444",
      "dev",
      "account-12",
    ];
    expect(findOrphans(existing, inventory)).to.deep.equal(["account-333333333333", "account-444444444444"]);
  });
});
