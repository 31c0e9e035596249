import { expect } from "chai";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { prepareOutputDir, renderCommand, type RenderDeps } from "../../automation/cli/commands/render";
import { ExitCode } from "../../automation/cli/exit-codes";
import { stackProgram } from "../../automation/review/render-program";
import { commonSettings, sourceSettings } from "../../automation/review/render-summary";
import type { Inventory } from "../../config/types";
import { capturedMainIo } from "../support/captured-io";
import { centralAccount, inventory, sourceAccount } from "../support/inventory-fixture";

/** What `render` prints for a person at 300 accounts, and where it may write (issue 14). */

function capture(cwd: string, tty = false) {
  return capturedMainIo(cwd, {}, { stderrIsTTY: tty });
}

/** Three sources alike, one in another region with another storage class; central with Object Lock. */
function mixed(): Inventory {
  const base = inventory({ count: 3 });
  return {
    ...base,
    central: centralAccount({ objectLock: { mode: "GOVERNANCE", years: 1 } }),
    sources: [
      ...base.sources,
      sourceAccount("444444444444", {
        region: "us-east-1",
        replication: { ...base.sources[0].replication, storageClass: "GLACIER_IR" },
      }),
    ],
  };
}

const deps = (inv: Inventory = mixed()): RenderDeps => ({
  loadInventory: async () => inv,
  program: () => stackProgram,
});

describe("render output", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "render-output-"));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("prints one line per stack with its counts and what differs from most accounts, then the closing line", async () => {
    const io = capture(dir);
    expect(await renderCommand(deps()).run([], io)).to.equal(ExitCode.Ok);
    const lines = io.out().trimEnd().split("\n");
    expect(lines[0]).to.equal("5 stacks: central and 4 source accounts.");
    expect(lines[1]).to.equal("Settings most source accounts share (each line below names only what differs):");
    expect(lines.slice(2).join(" ")).to.contain("region eu-west-1,").and.to.contain("storage STANDARD_IA,");
    const stackLines = lines.filter((line) => /^(central|account-\d{12}) \(/.test(line));
    expect(stackLines).to.have.length(5);
    expect(stackLines[0]).to.match(
      /^central \(central, .*\): \d+ resources, \d+ policies; object lock GOVERNANCE 1 year$/,
    );
    expect(stackLines[1]).to.match(/^account-111111111111 \(source, .*\): \d+ resources, \d+ policies$/);
    expect(stackLines[4]).to.match(/: \d+ resources, \d+ policies; region us-east-1, storage GLACIER_IR$/);
    expect(io.out()).to.not.match(/^\s+policy /m);
    expect(lines.at(-1)).to.equal("wrote 5 files to render");
    // Policy lines (hundreds of characters each) only with --detail.
    expect(Math.max(...lines.map((line) => line.length))).to.be.lessThan(160);
  });

  it("--detail prints every resource and each policy statement", async () => {
    const io = capture(dir);
    expect(await renderCommand(deps()).run(["--detail", "--out", "r"], io)).to.equal(ExitCode.Ok);
    expect(io.out()).to.match(/^\s+policy aws:s3\/bucketPolicy:BucketPolicy /m);
    expect(io.out().trimEnd().split("\n").at(-1)).to.equal("wrote 5 files to r");
  });

  it("--json writes no files unless --out is given; with --out the closing line goes to stderr", async () => {
    const io = capture(dir);
    expect(await renderCommand(deps()).run(["--json"], io)).to.equal(ExitCode.Ok);
    expect(JSON.parse(io.out())).to.have.length(5);
    expect(await fs.readdir(dir)).to.deep.equal([]);
    const out = capture(dir);
    expect(await renderCommand(deps()).run(["--json", "--out", "r"], out)).to.equal(ExitCode.Ok);
    expect(JSON.parse(out.out())).to.have.length(5);
    expect(out.err()).to.equal("wrote 5 files to r\n");
    expect(await fs.readdir(path.join(dir, "r"))).to.have.length(5);
  });

  it("says how many files of stacks no longer planned it removed", async () => {
    await renderCommand(deps()).run(["--out", "r"], capture(dir));
    const io = capture(dir);
    expect(await renderCommand(deps(inventory({ count: 2 }))).run(["--out", "r"], io)).to.equal(ExitCode.Ok);
    expect(io.out().trimEnd().split("\n").at(-1)).to.equal(
      "wrote 3 files to r (removed 2 of stacks no longer planned)",
    );
  });

  it("shows progress on stderr on a terminal only, and clears it", async () => {
    const tty = capture(dir, true);
    expect(await renderCommand(deps()).run(["--out", "r"], tty)).to.equal(ExitCode.Ok);
    expect(tty.err()).to.contain("\rrender: 1/5 stacks rendered").and.to.contain("\rrender: 5/5 stacks rendered");
    expect(tty.err().endsWith("\r\u001b[K")).to.equal(true);
    const piped = capture(dir);
    expect(await renderCommand(deps()).run(["--out", "r"], piped)).to.equal(ExitCode.Ok);
    expect(piped.err()).to.equal("");
  });

  it("--out a file, a path under a file, or /proc/x: exit 2 with one line, before anything renders", async () => {
    await fs.writeFile(path.join(dir, "render.json"), "{}");
    let rendered = 0;
    const counting: RenderDeps = {
      loadInventory: async () => mixed(),
      program:
        () =>
        (...args) => {
          rendered++;
          return stackProgram(...args);
        },
    };
    for (const [out, message] of [
      ["render.json", "org-s3-backup render: --out render.json: is a file, not a directory\n"],
      [
        "render.json/sub",
        "org-s3-backup render: --out render.json/sub: a part of the path is a file, not a directory\n",
      ],
      ["/proc/x", "org-s3-backup render: --out /proc/x: cannot create /proc/x: no such file or directory\n"],
    ]) {
      const io = capture(dir);
      const started = Date.now();
      expect(await renderCommand(counting).run(["--out", out], io), out).to.equal(ExitCode.BadInput);
      expect(io.err(), out).to.equal(message);
      expect(Date.now() - started, out).to.be.lessThan(5000);
    }
    expect(rendered).to.equal(0);
  });

  it("prepareOutputDir creates missing parents one level at a time, and finds a directory it cannot write in", async () => {
    const nested = path.join(dir, "a", "b", "c");
    expect(await prepareOutputDir(nested)).to.deep.equal({ ok: true });
    expect((await fs.stat(nested)).isDirectory()).to.equal(true);
    expect(await fs.readdir(nested)).to.deep.equal([]);
    if (process.getuid?.() !== 0) {
      const locked = path.join(dir, "locked");
      await fs.mkdir(locked, { mode: 0o500 });
      expect(await prepareOutputDir(locked)).to.deep.equal({
        ok: false,
        message: "cannot write in it: permission denied",
      });
    }
  });
});

describe("render summary: the settings most accounts share", () => {
  it("takes the most common value of each setting, the first seen on a tie", () => {
    const usual = sourceAccount("111111111111");
    const other = sourceAccount("222222222222", { region: "us-east-1", monitoring: { enabled: false } });
    const common = commonSettings([usual, usual, other].map(sourceSettings));
    expect(common.get("region")).to.equal("eu-west-1");
    expect(common.get("monitoring")).to.equal("on");
    expect(commonSettings([other, usual].map(sourceSettings)).get("region")).to.equal("us-east-1");
  });
});
