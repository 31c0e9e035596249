import { expect } from "chai";
import fc from "fast-check";
import { closest, didYouMean } from "../../config/suggest";

describe("config/suggest", () => {
  const keys = ["id", "name", "region", "bucket", "existingBucket", "roleName", "roleArn", "kmsAlias"];

  it("finds a typo: a missing, a wrong, an extra letter or two swapped letters", () => {
    expect(closest("regin", keys)).to.equal("region");
    expect(closest("bucker", keys)).to.equal("bucket");
    expect(closest("roleNamee", keys)).to.equal("roleName");
    expect(closest("nmae", keys)).to.equal("name");
  });

  it("prefers a case-insensitive match", () => {
    expect(closest("RoleArn", keys)).to.equal("roleArn");
  });

  it("suggests nothing for a word that is not close", () => {
    expect(closest("colour", keys)).to.equal(undefined);
    expect(didYouMean("colour", keys)).to.equal("");
  });

  it("formats the hint", () => {
    expect(didYouMean("kmsAlais", keys)).to.equal("; did you mean `kmsAlias`?");
  });
});

describe("config/suggest: the shortcuts do not change the answer", () => {
  /** The plain optimal-string-alignment distance, every cell computed (the reference). */
  function reference(a: string, b: string): number {
    const d = Array.from({ length: a.length + 1 }, (_, i) =>
      Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
    );
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++) {
        d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    return d[a.length][b.length];
  }

  function referenceClosest(input: string, candidates: readonly string[]): string | undefined {
    const lower = input.toLowerCase();
    const same = candidates.find((c) => c.toLowerCase() === lower);
    if (same !== undefined) return same;
    const allowed = Math.min(3, Math.max(1, Math.floor(input.length / 3)));
    let best: string | undefined;
    let bestDistance = allowed + 1;
    for (const candidate of candidates) {
      const distance = reference(lower, candidate.toLowerCase());
      if (distance < bestDistance) {
        best = candidate;
        bestDistance = distance;
      }
    }
    return best;
  }

  it("finds what the full computation finds, for any input and candidates", () => {
    const word = fc.string({ unit: fc.constantFrom("a", "b", "c", "d", "e", "-"), maxLength: 14 });
    fc.assert(
      fc.property(word, fc.array(word, { maxLength: 8 }), (input, candidates) => {
        expect(closest(input, candidates)).to.equal(referenceClosest(input, candidates));
      }),
      { numRuns: 3000 },
    );
  });
});
