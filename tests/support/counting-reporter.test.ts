import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as path from "node:path";

/** The suite's reporter: the recap of skipped suites, then the closing line CI reads, last and unchanged. */
describe("counting reporter", () => {
  const REPO = path.resolve(__dirname, "..", "..");

  it("recaps the skipped suites with their reasons, then ends with the line CI reads", () => {
    const run = spawnSync(
      process.execPath,
      [
        path.join(REPO, "node_modules", "mocha", "bin", "mocha.js"),
        "--no-config",
        "--reporter",
        path.join(REPO, "tests", "support", "counting-reporter.js"),
        path.join(REPO, "tests", "support", "fixtures", "skips.spec.js"),
      ],
      { cwd: REPO, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } },
    );
    expect(run.status, run.stderr).to.equal(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines.at(-1)).to.equal("tests: 1 passed, 0 failed, 3 skipped");
    const recap = lines.slice(lines.lastIndexOf("Skipped: 3 tests"), -2);
    expect(recap).to.deep.equal([
      "Skipped: 3 tests",
      "  no emulator here:",
      "    emulator suite (2)",
      "  skipped in the code (it.skip / this.skip):",
      "    plain suite (1)",
    ]);
  });
});
