// Mocha config for `npm run mutation` (stryker.config.json mochaOptions.config). StrykerJS's mocha runner
// does not support mocha's parallel mode, so this is .mocharc.json without `parallel`/`jobs` (and without the
// counting reporter: Stryker brings its own). MUTATION_SPEC narrows the test files to those that exercise the
// mutated module (comma-separated globs), which keeps the dry run and each mutant's run short; without it,
// every test file runs. Example: MUTATION_SPEC=tests/driver/concurrency.test.ts npm run mutation -- --mutate ...
const base = require("./.mocharc.json");

const spec = process.env.MUTATION_SPEC
  ? process.env.MUTATION_SPEC.split(",")
      .map((glob) => glob.trim())
      .filter(Boolean)
  : base.spec;

// harness.test.ts pins the Pulumi language host's command line, which differs inside Stryker's sandbox (its initial
// test run fails there); it tests no mutated module.
module.exports = { require: base.require, spec, ignore: ["tests/infra/harness.test.ts"], timeout: base.timeout };
