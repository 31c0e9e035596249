import { expect } from "chai";
import { planStacks } from "../../automation/driver/plan";
import { parseStackGroup, type SelectionFlags, selectStacks } from "../../automation/driver/selection";
import { inventory as makeInventory, sourceAccount } from "../support/inventory-fixture";

// Behaviours of selectStacks/parseStackGroup that the mutation run (docs/mutation.md) showed untested in-process.
const inventory = makeInventory({
  sources: [
    sourceAccount("111111111111"),
    sourceAccount("222222222222"),
    sourceAccount("333333333333", { enabled: false }),
    sourceAccount("444444444444", { enabled: false }),
  ],
});
const plans = planStacks(inventory);
const select = (flags: SelectionFlags) => selectStacks(inventory, plans, flags);
const selection = (flags: SelectionFlags) => {
  const result = select(flags);
  if (!result.ok) throw new Error(result.message);
  return result.selection;
};
const shard = { index: 1, count: 4 };
const noShard = "the central stack is in no shard: run it in its own job with --stacks central, before the shards";

describe("selection: behaviours found by mutation testing", () => {
  it("finds the central plan wherever it sits in the plan list, and fails loudly without one", () => {
    const central = plans.find((plan) => plan.kind === "central");
    for (const order of [plans, [...plans].reverse()]) {
      const result = selectStacks(inventory, order, {});
      if (!result.ok) throw new Error(result.message);
      expect(result.selection.centralPlan).to.equal(central);
      expect(result.selection.centralPlan.kind).to.equal("central");
    }
    expect(() =>
      selectStacks(
        inventory,
        plans.filter((plan) => plan.kind !== "central"),
        {},
      ),
    ).to.throw("planStacks returned no central stack");
  });

  it("names every disabled account in --accounts, in the plural", () => {
    expect(select({ accounts: ["333333333333", "111111111111", "444444444444"] })).to.deep.equal({
      ok: false,
      message: "--accounts: 333333333333, 444444444444 are disabled (enabled: false) in /fixture/accounts.yaml",
    });
  });

  it("reports a restricted run for --accounts, --stacks and --shard, and an unrestricted one otherwise", () => {
    expect(selection({}).restricted).to.equal(false);
    expect(selection({ stacks: "all" }).restricted).to.equal(false);
    expect(selection({ exclude: ["111111111111"] }).restricted).to.equal(false);
    expect(selection({ accounts: ["111111111111"] }).restricted).to.equal(true);
    expect(selection({ stacks: "sources" }).restricted).to.equal(true);
    expect(selection({ stacks: "central" }).restricted).to.equal(true);
    expect(selection({ shard }).restricted).to.equal(true);
  });

  it("carries the shard into the selection only when one is given", () => {
    expect(selection({ shard }).shard).to.deep.equal(shard);
    expect(selection({})).to.not.have.property("shard");
  });

  it("refuses every contradiction with the central stack with the form to use", () => {
    expect(select({ stacks: "all", shard })).to.deep.equal({
      ok: false,
      message: `--shard 1/4 with --stacks all: ${noShard}`,
    });
    expect(select({ accounts: ["central"], shard })).to.deep.equal({
      ok: false,
      message: `--shard 1/4: --accounts names ${noShard}`,
    });
    expect(select({ stacks: "central", exclude: ["111111111111"] })).to.deep.equal({
      ok: false,
      message: "--stacks central runs the central stack alone: leave out --accounts and --exclude",
    });
    expect(select({ stacks: "sources", accounts: ["central"] })).to.deep.equal({
      ok: false,
      message: "--stacks sources leaves the central stack out, but --accounts names it",
    });
    expect(selection({ stacks: "sources", shard }).central).to.equal(false);
  });

  it("parses --stacks", () => {
    for (const group of ["all", "central", "sources"]) {
      expect(parseStackGroup(group)).to.deep.equal({ ok: true, value: group });
    }
    expect(parseStackGroup("source")).to.deep.equal({
      ok: false,
      message: "--stacks must be one of all, central, sources, got 'source'",
    });
  });
});
