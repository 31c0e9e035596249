import { expect } from "chai";
import * as fc from "fast-check";
import { planStacks } from "../../automation/driver/plan";
import { findOrphans, selectStacks } from "../../automation/driver/selection";
import { inShard, parseShard, partition, shardOf } from "../../automation/driver/shard";
import { inventory as makeInventory, sourceAccount } from "../support/inventory-fixture";

const ids = (count: number, from = 0) => Array.from({ length: count }, (_, i) => String(100000000000 + from + i));
/** Every shard's ids for N = 1..16 over 5,000 accounts, computed once (each id hashed N times per N). */
const ALL = ids(5000);
const PARTITIONS = new Map(Array.from({ length: 16 }, (_, i) => [i + 1, partition(ALL, i + 1)] as const));

function balance(count: number, n: number): { min: number; max: number } {
  const sizes = partition(ids(count), n).map((shard) => shard.length);
  return { min: Math.min(...sizes), max: Math.max(...sizes) };
}

describe("shards (--shard K/N)", () => {
  it("parses K/N and refuses malformed text, N = 0, K = 0 and K > N with the form to use", () => {
    expect(parseShard("2/8")).to.deep.equal({ ok: true, value: { index: 2, count: 8 } });
    expect(parseShard("1/1")).to.deep.equal({ ok: true, value: { index: 1, count: 1 } });
    expect(parseShard("9/8")).to.deep.equal({
      ok: false,
      message: "--shard: K must be between 1 and N (8), got '9/8'",
    });
    expect(parseShard("0/8")).to.deep.equal({
      ok: false,
      message: "--shard: K must be between 1 and N (8), got '0/8'",
    });
    expect(parseShard("0/0")).to.deep.equal({
      ok: false,
      message: "--shard: the number of shards N must be at least 1, got '0/0'",
    });
    for (const text of ["2", "2/", "/8", "a/b", "2-8", "-1/8", "1.5/8", "2/8/1", ""]) {
      const parsed = parseShard(text);
      expect(parsed.ok, text).to.equal(false);
      if (!parsed.ok) expect(parsed.message).to.contain("--shard must be K/N (for example 2/8");
    }
  });

  it("for N = 1..16 and 1..5,000 accounts, the shards are disjoint and cover every account", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 5000 }), (n, count) => {
        // An account's shard depends on its id and N only, so the shards of the first `count` accounts are
        // the prefix of each shard of all 5,000.
        const shards = PARTITIONS.get(n)!.map((shard) => shard.filter((id) => Number(id) < 100000000000 + count));
        const seen = shards.flat();
        expect(seen).to.have.length(count);
        expect(new Set(seen).size).to.equal(count);
      }),
      { numRuns: 300 },
    );
    for (const [n, shards] of PARTITIONS) {
      expect(shards, `N = ${n}`).to.have.length(n);
      expect(new Set(shards.flat()).size).to.equal(5000);
      expect(shards.flat()).to.have.length(5000);
    }
  });

  it("adding accounts moves none of the existing ones", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 200 }), (n, added) => {
        const before = ids(300);
        const after = [...ids(added, 1_000_000), ...before, ...ids(added, 2_000_000)];
        const shardsAfter = new Map(partition(after, n).flatMap((shard, i) => shard.map((id) => [id, i] as const)));
        partition(before, n).forEach((shard, i) => {
          for (const id of shard) expect(shardsAfter.get(id)).to.equal(i);
        });
      }),
      { numRuns: 25 },
    );
  });

  it("growing N to N + 1 moves only the accounts the new shard takes", () => {
    const shardMap = (n: number) =>
      new Map(PARTITIONS.get(n)!.flatMap((shard, i) => shard.map((id) => [id, i + 1] as const)));
    for (let n = 1; n < 16; n++) {
      const [before, after] = [shardMap(n), shardMap(n + 1)];
      const moved = ALL.filter((id) => before.get(id) !== after.get(id));
      expect(
        moved.every((id) => after.get(id) === n + 1),
        `N ${n} -> ${n + 1}`,
      ).to.equal(true);
      expect(moved.length, `N ${n} -> ${n + 1}`).to.be.within(5000 / (n + 1) / 2, (5000 / (n + 1)) * 1.5);
    }
  });

  const b500 = balance(500, 8);
  const b5000 = balance(5000, 16);
  it(`is balanced statistically: 500 accounts / 8 shards min ${b500.min} max ${b500.max}; 5,000 / 16 min ${b5000.min} max ${b5000.max}`, () => {
    // Means 62.5 and 312.5; the bounds are ~4 standard deviations of a multinomial split.
    expect(b500.min).to.be.at.least(32);
    expect(b500.max).to.be.at.most(93);
    expect(b5000.min).to.be.at.least(244);
    expect(b5000.max).to.be.at.most(381);
  });

  describe("in the selection", () => {
    const inventory = makeInventory({ sources: ids(40).map((id) => sourceAccount(id)) });
    const plans = planStacks(inventory);

    it("takes the shard's part of the selected accounts and leaves the central stack out", () => {
      const parts = [1, 2, 3].map((index) => {
        const selected = selectStacks(inventory, plans, { shard: { index, count: 3 } });
        if (!selected.ok) throw new Error(selected.message);
        expect(selected.selection.central).to.equal(false);
        expect(selected.selection.centralNamed).to.equal(false);
        return selected.selection.sources.map((plan) => plan.accountId);
      });
      expect(parts.flat().sort()).to.deep.equal(ids(40));
      expect(
        parts.map((part) => part.every((id) => inShard(id, { index: parts.indexOf(part) + 1, count: 3 }))),
      ).to.deep.equal([true, true, true]);
    });

    it("shards what --accounts and --exclude selected", () => {
      const accounts = ids(10);
      const selected = selectStacks(inventory, plans, {
        accounts,
        exclude: [accounts[0]],
        shard: { index: 1, count: 2 },
      });
      if (!selected.ok) throw new Error(selected.message);
      expect(selected.selection.sources.map((p) => p.accountId)).to.deep.equal(
        accounts.slice(1).filter((id) => shardOf(id, 2) === 1),
      );
    });

    it("--stacks central runs the central stack alone and names it; --stacks sources leaves it out", () => {
      const central = selectStacks(inventory, plans, { stacks: "central" });
      if (!central.ok) throw new Error(central.message);
      expect(central.selection).to.include({ central: true, centralNamed: true });
      expect(central.selection.sources).to.deep.equal([]);
      const sources = selectStacks(inventory, plans, { stacks: "sources" });
      if (!sources.ok) throw new Error(sources.message);
      expect(sources.selection.central).to.equal(false);
      expect(sources.selection.sources).to.have.length(40);
    });

    it("refuses contradictions: the central stack is in no shard", () => {
      const shard = { index: 1, count: 4 };
      expect(selectStacks(inventory, plans, { stacks: "central", shard })).to.deep.equal({
        ok: false,
        message:
          "--shard 1/4 with --stacks central: the central stack is in no shard: " +
          "run it in its own job with --stacks central, before the shards",
      });
      expect(selectStacks(inventory, plans, { accounts: ["central"], shard }).ok).to.equal(false);
      expect(selectStacks(inventory, plans, { stacks: "central", accounts: [ids(1)[0]] })).to.deep.equal({
        ok: false,
        message: "--stacks central runs the central stack alone: leave out --accounts and --exclude",
      });
      expect(selectStacks(inventory, plans, { stacks: "sources", accounts: ["central"] }).ok).to.equal(false);
    });

    it("gives each shard the orphans of its own accounts", () => {
      const gone = ids(20, 500).map((id) => `account-${id}`);
      const parts = [1, 2].map((index) => findOrphans(gone, inventory, { index, count: 2 }));
      expect([...parts[0], ...parts[1]].sort()).to.deep.equal(gone);
      expect(parts[0].filter((name) => parts[1].includes(name))).to.deep.equal([]);
    });
  });
});
