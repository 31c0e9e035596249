// Mocha's spec reporter plus, at the very end, a recap of the skipped suites and the closing line CI
// reads: "tests: N passed, M failed, K skipped" (always the last line, in exactly that form).
const Mocha = require("mocha");
const { EVENT_RUN_END, EVENT_TEST_PENDING } = Mocha.Runner.constants;

/** Why a test was skipped: the `skipReason` its suite (or a suite above it) was given, if any. */
function skipReasonOf(test) {
  for (let suite = test.parent; suite; suite = suite.parent) {
    if (suite.skipReason) return { reason: suite.skipReason, suite: suite.fullTitle() };
  }
  return { reason: "skipped in the code (it.skip / this.skip)", suite: test.parent ? test.parent.fullTitle() : "" };
}

/** One line per reason, then one indented line per suite with its count of skipped tests. */
function skipRecap(pending) {
  if (pending.length === 0) return [];
  const byReason = new Map();
  for (const test of pending) {
    const { reason, suite } = skipReasonOf(test);
    const suites = byReason.get(reason) ?? new Map();
    suites.set(suite, (suites.get(suite) ?? 0) + 1);
    byReason.set(reason, suites);
  }
  const lines = ["", `Skipped: ${pending.length} test${pending.length === 1 ? "" : "s"}`];
  for (const [reason, suites] of byReason) {
    lines.push(`  ${reason}:`);
    for (const [suite, count] of suites) lines.push(`    ${suite || "(root)"} (${count})`);
  }
  return lines;
}

class CountingReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const pending = [];
    runner.on(EVENT_TEST_PENDING, (test) => pending.push(test));
    runner.once(EVENT_RUN_END, () => {
      const { passes, failures } = runner.stats;
      const recap = skipRecap(pending);
      if (recap.length > 0) process.stdout.write(`${recap.join("\n")}\n`);
      process.stdout.write(`\ntests: ${passes} passed, ${failures} failed, ${runner.stats.pending} skipped\n`);
    });
  }
}

module.exports = CountingReporter;
module.exports.skipRecap = skipRecap;
