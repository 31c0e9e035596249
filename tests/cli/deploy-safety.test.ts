import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Writable } from "node:stream";
import { expect } from "chai";
import type { Io } from "../../automation/cli/command";
import {
  isCi,
  parseSafety,
  rerunArgs,
  secondInterrupt,
  survivingIo,
  unwritableDirectories,
} from "../../automation/cli/deploy-safety";

describe("deploy safety", () => {
  it("keeps writing after stdout fails, asynchronously (EPIPE) or synchronously (a full disk)", async () => {
    const asyncFailing = new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error("write EPIPE"), { code: "EPIPE" }));
      },
    });
    const syncFailing = new Writable({ write: (_c, _e, callback) => callback() });
    syncFailing.write = () => {
      throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    };
    const io: Io = { stdout: asyncFailing, stderr: syncFailing, env: {}, cwd: "/" };
    const safe = survivingIo(io);
    safe.stdout.write("summary\n");
    safe.stderr.write("progress\n");
    await new Promise((resolve) => setImmediate(resolve));
    safe.stdout.write("more\n");
    safe.stderr.write("more\n");
    expect(survivingIo(safe).stdout).to.equal(safe.stdout);
  });

  it("finds directories that cannot be written, at their nearest existing parent, creating nothing", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "safety-"));
    try {
      const file = path.join(root, "file");
      fs.writeFileSync(file, "");
      expect(unwritableDirectories([{ dir: path.join(root, "logs", "deep"), what: "log directory" }])).to.deep.equal(
        [],
      );
      expect(fs.readdirSync(root)).to.deep.equal(["file"]);
      expect(unwritableDirectories([{ dir: path.join(file, "logs"), what: "log directory" }])).to.deep.equal([
        `cannot write the log directory ${path.join(file, "logs")} (ENOTDIR: not a directory)`,
      ]);
      if (fs.existsSync("/proc/self")) {
        const [problem] = unwritableDirectories([{ dir: "/proc/self/org-s3-backup", what: "state directory" }]);
        expect(problem).to.match(/^cannot write the state directory \/proc\/self\/org-s3-backup \(E[A-Z]+: /);
      }
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it("reads its options", () => {
    expect(parseSafety({}, "/w")).to.deep.equal({ ok: true, value: { stackTimeoutMs: 3_600_000, yes: false } });
    expect(
      parseSafety({ "stack-timeout": "30m", "log-dir": "out", yes: true, prune: true, "max-prune": "3" }, "/w"),
    ).to.deep.equal({
      ok: true,
      value: { stackTimeoutMs: 1_800_000, logRoot: "/w/out", yes: true, maxPrune: 3 },
    });
    expect(parseSafety({ "max-prune": "3" }, "/w")).to.deep.equal({
      ok: false,
      message: "--max-prune only applies to up --prune",
    });
    expect(parseSafety({ "max-prune": "x", prune: true }, "/w").ok).to.equal(false);
  });

  it("names the running stacks on a second interrupt, with the commands that release them", () => {
    const text = secondInterrupt("SIGTERM", new Map([["account-111111111111", "up"]]));
    expect(text).to.contain("Second SIGTERM: exiting now").and.contain("  account-111111111111  up");
    expect(text).to.contain("pulumi cancel --yes --stack account-111111111111");
    expect(secondInterrupt("Ctrl-C", new Map())).to.equal("Second Ctrl-C: exiting now; no stack was running.\n");
  });

  it("repeats a run's own options in the rerun command, not its selection", () => {
    expect(
      rerunArgs({
        inventory: "inv.yaml",
        accounts: "1",
        json: true,
        "install-cli": true,
        prune: true,
        concurrency: "2",
      }),
    ).to.deep.equal(["--inventory", "inv.yaml", "--install-cli", "--concurrency", "2"]);
  });

  it("knows CI when it sees it", () => {
    expect([{ CI: "true" }, { CI: "1" }, {}, { CI: "false" }, { CI: "" }].map(isCi)).to.deep.equal([
      true,
      true,
      false,
      false,
      false,
    ]);
  });
});
