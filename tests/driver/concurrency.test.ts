import { expect } from "chai";
import fc from "fast-check";
import {
  defaultConcurrency,
  MAX_DEFAULT_CONCURRENCY,
  MEMORY_PER_STACK_BYTES,
  parseConcurrency,
  parseFailureTolerance,
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

  it("turns a tolerance into a number of failures for a run", () => {
    expect(toleratedFailures({ kind: "count", count: 3 }, 500)).to.equal(3);
    expect(toleratedFailures({ kind: "percent", percent: 10 }, 500)).to.equal(50);
    expect(toleratedFailures({ kind: "percent", percent: 10 }, 9)).to.equal(0);
    expect(toleratedFailures({ kind: "percent", percent: 100 }, 7)).to.equal(7);
  });
});
