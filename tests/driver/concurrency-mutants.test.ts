import { expect } from "chai";
import { parseFailureTolerance, toleratedFailures } from "../../automation/driver/concurrency";

// Boundaries of the flags that the mutation run (docs/mutation.md) showed untested.
describe("concurrency: flag boundaries found by mutation testing", () => {
  it("takes a percentage with more than one decimal digit", () => {
    expect(parseFailureTolerance("12.25%")).to.deep.equal({ ok: true, value: { kind: "percent", percent: 12.25 } });
    const parsed = parseFailureTolerance("33.333%");
    if (!parsed.ok) throw new Error(parsed.message);
    expect(toleratedFailures(parsed.value, 300)).to.equal(99);
  });
});
