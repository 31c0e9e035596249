import { expect } from "chai";
import fc from "fast-check";
import {
  defaultConcurrency,
  formatTolerance,
  MAX_DEFAULT_CONCURRENCY,
  mapBounded,
  MEMORY_PER_STACK_BYTES,
  parseConcurrency,
  parseFailureTolerance,
  runBounded,
  toleratedFailures,
} from "../../automation/driver/concurrency";

const GB = 1024 ** 3;

describe("concurrency", () => {
  it("defaults to what free memory and CPUs allow, capped", () => {
    expect(defaultConcurrency(6 * GB, 2)).to.equal(4); // 2-core, 8 GB CI runner
    expect(defaultConcurrency(1.2 * GB, 8)).to.equal(2); // memory-bound
    expect(defaultConcurrency(64 * GB, 32)).to.equal(MAX_DEFAULT_CONCURRENCY);
    expect(defaultConcurrency(100 * 1024 ** 2, 4)).to.equal(1); // never 0
  });

  it("never promises more memory than is free (beyond the floor of 1)", () => {
    fc.assert(
      fc.property(fc.nat({ max: 256 * GB }), fc.integer({ min: 1, max: 128 }), (free, cpus) => {
        const n = defaultConcurrency(free, cpus);
        return (
          n >= 1 && n <= MAX_DEFAULT_CONCURRENCY && n <= cpus * 2 && (n === 1 || n * MEMORY_PER_STACK_BYTES <= free)
        );
      }),
    );
  });

  it("parses --concurrency", () => {
    expect(parseConcurrency("6")).to.deep.equal({ ok: true, value: 6 });
    for (const bad of ["0", "-1", "2.5", "four", ""]) expect(parseConcurrency(bad).ok, bad).to.equal(false);
  });

  it("parses --failure-tolerance as a count or a percentage", () => {
    expect(parseFailureTolerance("3")).to.deep.equal({ ok: true, value: { kind: "count", count: 3 } });
    expect(parseFailureTolerance("12.5%")).to.deep.equal({ ok: true, value: { kind: "percent", percent: 12.5 } });
    for (const bad of ["101%", "-1", "%", "ten", "5 %"]) expect(parseFailureTolerance(bad).ok, bad).to.equal(false);
  });

  it("accepts the boundaries and multi-digit values of both flags", () => {
    // Each line pins one boundary a plausible slip would move: `<= 100` vs `< 100`, an optional decimal
    // made mandatory, `\d+` shortened to one digit.
    expect(parseFailureTolerance("100%")).to.deep.equal({ ok: true, value: { kind: "percent", percent: 100 } });
    expect(parseFailureTolerance("100.5%").ok).to.equal(false);
    expect(parseFailureTolerance("10%")).to.deep.equal({ ok: true, value: { kind: "percent", percent: 10 } });
    expect(parseFailureTolerance("0%")).to.deep.equal({ ok: true, value: { kind: "percent", percent: 0 } });
    expect(parseFailureTolerance("12")).to.deep.equal({ ok: true, value: { kind: "count", count: 12 } });
    expect(parseFailureTolerance("0")).to.deep.equal({ ok: true, value: { kind: "count", count: 0 } });
    expect(parseFailureTolerance("1.5").ok, "a fractional count").to.equal(false);
    expect(parseFailureTolerance("x10%").ok, "anchored at the start").to.equal(false);
    expect(parseFailureTolerance("10%x").ok, "anchored at the end").to.equal(false);
    expect(parseFailureTolerance("3x").ok, "count anchored at the end").to.equal(false);
    expect(parseFailureTolerance("x3").ok, "count anchored at the start").to.equal(false);
    expect(parseConcurrency("10")).to.deep.equal({ ok: true, value: 10 });
    expect(parseConcurrency("1")).to.deep.equal({ ok: true, value: 1 });
    expect(parseConcurrency("x2").ok).to.equal(false);
    expect(parseConcurrency("2x").ok).to.equal(false);
  });

  it("names the flag and the value in every refusal", () => {
    expect(parseFailureTolerance("101%")).to.deep.equal({
      ok: false,
      message: "--failure-tolerance percentage must be at most 100%, got '101%'",
    });
    expect(parseFailureTolerance("ten")).to.deep.equal({
      ok: false,
      message: "--failure-tolerance must be a count (3) or a percentage (10%), got 'ten'",
    });
    expect(parseConcurrency("0")).to.deep.equal({
      ok: false,
      message: "--concurrency must be a whole number >= 1, got '0'",
    });
  });

  it("runs at most `limit` at once, keeps the order, and starts nothing once told to stop", async () => {
    let running = 0;
    let peak = 0;
    const seen: number[] = [];
    const { results, started } = await runBounded(
      [1, 2, 3, 4, 5, 6],
      2,
      async (n) => {
        running += 1;
        peak = Math.max(peak, running);
        seen.push(n);
        await new Promise((resolve) => setTimeout(resolve, 2));
        running -= 1;
        return n * 10;
      },
      () => seen.length >= 3,
    );
    expect(peak).to.equal(2);
    expect(started).to.equal(3);
    expect(results).to.deep.equal([10, 20, 30]);
    expect(await mapBounded([3, 1, 2], 8, async (n) => n + 1)).to.deep.equal([4, 2, 3]);
    expect(await mapBounded([], 4, async (n: number) => n)).to.deep.equal([]);
  });

  it("formats a tolerance as the flag takes it", () => {
    expect(formatTolerance({ kind: "count", count: 3 })).to.equal("3");
    expect(formatTolerance({ kind: "percent", percent: 12.5 })).to.equal("12.5%");
  });

  it("turns a tolerance into a number of failures for a run", () => {
    expect(toleratedFailures({ kind: "count", count: 3 }, 500)).to.equal(3);
    expect(toleratedFailures({ kind: "percent", percent: 10 }, 500)).to.equal(50);
    expect(toleratedFailures({ kind: "percent", percent: 10 }, 9)).to.equal(0);
    expect(toleratedFailures({ kind: "percent", percent: 100 }, 7)).to.equal(7);
    expect(toleratedFailures({ kind: "percent", percent: 10 }, 15), "rounded down, never up").to.equal(1);
    expect(toleratedFailures({ kind: "percent", percent: 12.5 }, 8)).to.equal(1);
    expect(toleratedFailures({ kind: "count", count: 0 }, 500)).to.equal(0);
  });
});
