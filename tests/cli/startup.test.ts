import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { expect } from "chai";

const ROOT = path.resolve(__dirname, "../..");

/**
 * Runs each argv through the CLI's main in ONE fresh Node process (a mocha worker has loaded the Pulumi
 * SDK for other tests already) and reports, per argv, its exit code and which Pulumi packages it loaded.
 */
function pulumiModulesLoadedBy(argvs: readonly string[][]): { argv: string; code: number; pulumi: string[] }[] {
  const script = `
    require("tsx/cjs");
    const { main } = require("./automation/cli/main");
    const report = process.stdout;
    const quiet = () => new (require("node:stream").Writable)({ write: (_chunk, _encoding, done) => done() });
    Object.defineProperty(process, "stdout", { value: quiet() });
    Object.defineProperty(process, "stderr", { value: quiet() });
    (async () => {
      const results = [];
      for (const argv of JSON.parse(process.argv[1])) {
        const code = await main(argv);
        const pulumi = Object.keys(require.cache)
          .map((file) => /node_modules\\/(@pulumi\\/[^/]+)/.exec(file)?.[1])
          .filter(Boolean);
        results.push({ argv: argv.join(" "), code, pulumi: [...new Set(pulumi)] });
      }
      report.write(JSON.stringify(results));
    })();
  `;
  const output = execFileSync(process.execPath, ["-e", script, JSON.stringify(argvs)], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
  });
  return JSON.parse(output);
}

describe("CLI start-up", function () {
  this.timeout(60_000);

  it("--help and usage errors of the deploy commands do not load the Pulumi SDK (about a second of start-up)", () => {
    const results = pulumiModulesLoadedBy([
      ["up", "--help"],
      ["preview", "--help"],
      ["destroy", "--help"],
      ["drift", "--help"],
      ["outputs", "--help"],
      ["up", "--concurrency", "many"],
      ["up", "--engine", "remote", "--remote-env", "not-a-pair"],
      ["validate"],
      ["plan"],
    ]);
    for (const result of results) expect(result.pulumi, result.argv).to.deep.equal([]);
    expect(results.map((result) => result.code)).to.deep.equal([0, 0, 0, 0, 0, 2, 2, 0, 0]);
  });
});
