// The suite's settings are in .mocharc.json (also read by .mocharc.mutation.cjs); this file only orders the
// test files. Mocha's parallel mode hands files to its workers in the order given, so a long file that
// comes last runs alone while the other workers idle: the longest files go first (longest processing time
// first), then every other file in name order. Durations: each file alone, 2026-11-26.
const fs = require("node:fs");
const path = require("node:path");
const base = require("./.mocharc.json");

const LONGEST_FIRST = [
  "tests/day-two/restore.test.ts", // 10 s: the emulator, a throttling proxy, killed and rerun processes
  "tests/infra/harness.test.ts", // 10 s: eight runs of the Pulumi language host's program harness
  "tests/cli/deploy-faults.test.ts", // 6 s: the stand-in Pulumi CLI failing, hanging, dying
  "tests/day-two/verify.test.ts", // 5 s
  "tests/cli/deploy-process.test.ts", // 5 s: the CLI as a child process under signals
  "tests/review/render-output.test.ts",
  "tests/driver/fingerprint.test.ts",
  "tests/engine/pulumi-process.test.ts",
  "tests/infra/deployer-policy.test.ts",
];

const missing = LONGEST_FIRST.filter((file) => !fs.existsSync(path.join(__dirname, file)));
if (missing.length > 0) throw new Error(`.mocharc.cjs lists test files that do not exist: ${missing.join(", ")}`);

const rest = fs
  .readdirSync(path.join(__dirname, "tests"), { recursive: true })
  .map((file) => path.posix.join("tests", file.split(path.sep).join("/")))
  .filter((file) => file.endsWith(".test.ts") && !LONGEST_FIRST.includes(file))
  .sort();

module.exports = { ...base, spec: [...LONGEST_FIRST, ...rest] };
