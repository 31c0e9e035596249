import { expect } from "chai";
import { accepted, checkPruneLimit, confirmation, pruneLimit } from "../../automation/driver/brakes";
import { parseStackTimeout, processLimits } from "../../automation/driver/timeouts";

const stacks = (n: number) => Array.from({ length: n }, (_, i) => `account-${String(100000000000 + i)}`);

describe("brakes", () => {
  it("bounds a prune to 10% of the account stacks in the backend (at least 1), or --max-prune", () => {
    expect(pruneLimit(0)).to.equal(1);
    expect(pruneLimit(9)).to.equal(1);
    expect(pruneLimit(300)).to.equal(30);
    expect(pruneLimit(300, 0)).to.equal(0);
    expect(checkPruneLimit(stacks(30), ["central", ...stacks(300)], undefined)).to.deep.equal({ ok: true });
    const emptied = checkPruneLimit(stacks(300), ["central", ...stacks(300)], undefined);
    expect(emptied.ok).to.equal(false);
    expect(!emptied.ok && emptied.message).to.contain(
      "--prune would destroy 300 orphan stack(s), " +
        "more than the limit of 30 (10% of the 300 account stacks in the backend): account-100000000000",
    );
    expect(!emptied.ok && emptied.message)
      .to.contain("and 290 more")
      .and.contain("--max-prune 300");
    expect(checkPruneLimit(stacks(300), stacks(300), 300)).to.deep.equal({ ok: true });
    const over = checkPruneLimit(stacks(5), stacks(300), 4);
    expect(!over.ok && over.message).to.contain("more than --max-prune 4");
  });

  const base = { interactive: false, yes: false, stacks: ["central"], prune: [], backendUrl: "s3://state" } as const;

  it("without a terminal: up goes on, destroy and prune need --yes", () => {
    expect(confirmation({ ...base, operation: "up" })).to.deep.equal({ kind: "proceed" });
    expect(confirmation({ ...base, operation: "preview" })).to.deep.equal({ kind: "proceed" });
    const destroy = confirmation({ ...base, operation: "destroy", stacks: stacks(2) });
    expect(destroy.kind).to.equal("refuse");
    const prune = confirmation({ ...base, operation: "up", prune: stacks(1) });
    expect(prune.kind === "refuse" && prune.message).to.contain("up --prune destroys 1 orphan stack(s)");
    expect(confirmation({ ...base, operation: "destroy", stacks: stacks(2), yes: true })).to.deep.equal({
      kind: "proceed",
    });
    expect(confirmation({ ...base, operation: "destroy", stacks: [] })).to.deep.equal({ kind: "proceed" });
  });

  it("on a terminal: asks, listing what will change, unless --yes", () => {
    const up = confirmation({ ...base, interactive: true, operation: "up", stacks: stacks(300), prune: stacks(2) });
    expect(up.kind).to.equal("ask");
    const question = up.kind === "ask" ? up.question : "";
    expect(question).to.contain("up deploys 300 stack(s) on s3://state:");
    expect(question.replace(/\n {2}/g, " ")).to.contain("account-100000000019 and 280 more");
    expect(question).to.contain("and destroys 2 orphan stack(s)").and.contain("account-100000000001");
    expect(question.split("\n").every((line) => line.length <= 100)).to.equal(true);
    expect(confirmation({ ...base, interactive: true, yes: true, operation: "up" }).kind).to.equal("proceed");
    expect(["y", "YES", " yes "].map(accepted)).to.deep.equal([true, true, true]);
    expect(["", "n", "no", "yess", undefined].map(accepted)).to.deep.equal([false, false, false, false, false]);
  });

  it("reads --stack-timeout and derives the cancel grace and the command bound from it", () => {
    expect(parseStackTimeout("90s")).to.deep.equal({ ok: true, value: 90_000 });
    expect(parseStackTimeout("45")).to.deep.equal({ ok: true, value: 2_700_000 });
    expect(parseStackTimeout("2h")).to.deep.equal({ ok: true, value: 7_200_000 });
    expect(parseStackTimeout("0s").ok).to.equal(false);
    expect(parseStackTimeout("soon").ok).to.equal(false);
    expect(processLimits(3_600_000)).to.deep.equal({ cancelGraceMs: 120_000, commandTimeoutMs: 3_600_000 });
    expect(processLimits(2_000)).to.deep.equal({ cancelGraceMs: 1000, commandTimeoutMs: 600_000 });
  });
});
