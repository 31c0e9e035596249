import { expect } from "chai";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { main } from "../../automation/cli/main";
import { explainCommand } from "../../automation/cli/commands/explain";
import { renderCommand, type RenderDeps } from "../../automation/cli/commands/render";
import { ExitCode } from "../../automation/cli/exit-codes";
import type { RenderedStack } from "../../automation/review/render";
import { stackProgram } from "../../automation/review/render-program";
import { bundledInventory } from "../support/bundled-inventory";
import { capturedMainIo } from "../support/captured-io";
import { inventory } from "../support/inventory-fixture";

/** The render and explain commands on a fixture inventory with the real program. */

const capture = (cwd: string) => capturedMainIo(cwd);

const deps = (sources = 3): RenderDeps => ({
  loadInventory: async () => inventory({ count: sources }),
  program: () => stackProgram,
});

describe("render command", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "render-command-"));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("writes one JSON file per stack, byte-identical on a second run, and prints the summary", async () => {
    const io = capture(dir);
    expect(await renderCommand(deps()).run([], io)).to.equal(ExitCode.Ok);
    const files = (await fs.readdir(path.join(dir, "render"))).sort();
    expect(files).to.deep.equal([
      "account-111111111111.json",
      "account-222222222222.json",
      "account-333333333333.json",
      "central.json",
    ]);
    const first = await Promise.all(files.map((f) => fs.readFile(path.join(dir, "render", f), "utf8")));
    expect(await renderCommand(deps()).run([], capture(dir))).to.equal(ExitCode.Ok);
    const second = await Promise.all(files.map((f) => fs.readFile(path.join(dir, "render", f), "utf8")));
    expect(second).to.deep.equal(first);
    expect(io.out()).to.match(/^central \(central, account 999999999999/m);
    expect(io.out()).to.match(/^account-111111111111 \(source, account 111111111111/m);
    const detail = capture(dir);
    expect(await renderCommand(deps()).run(["--detail"], detail)).to.equal(ExitCode.Ok);
    expect(detail.out()).to.match(/^\s+policy aws:s3\/bucketPolicy:BucketPolicy /m);
  });

  it("shows an adopted bucket's key layout and what is managed on it, in the summary and the JSON", async () => {
    const io = capture(dir);
    const adopting: RenderDeps = { loadInventory: async () => bundledInventory(), program: () => stackProgram };
    expect(await renderCommand(adopting).run(["--accounts", "333333333333"], io)).to.equal(ExitCode.Ok);
    const lines = io.out().split("\n");
    const header = lines.findIndex((line) => line.startsWith("account-333333333333 (source"));
    expect(lines.slice(header + 1, header + 3)).to.deep.equal([
      "  bucket legacy-web-assets-prod: adopted, keys: partial — data outside 333333333333/ NOT backed up",
      "    manages versioning, replication rule; " +
        "keeps its own default encryption, public-access block, bucket policy; " +
        "up refuses if the bucket already replicates",
    ]);
    const rendered = JSON.parse(await fs.readFile(path.join(dir, "render", "account-333333333333.json"), "utf8"));
    expect(rendered.adoptedBucket).to.deep.include({ bucket: "legacy-web-assets-prod", keys: "partial" });
    // What the summary says is what the stack does: no resource replaces the bucket's own settings.
    const types = (rendered.resources as { type: string }[]).map((r) => r.type);
    expect(types).to.include("aws:s3/bucketVersioning:BucketVersioning");
    expect(types).to.not.include("aws:s3/bucketPolicy:BucketPolicy");
    expect(types).to.not.include("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
    const central = JSON.parse(await fs.readFile(path.join(dir, "render", "central.json"), "utf8"));
    expect(central).to.not.have.property("adoptedBucket");
  });

  it("removes the files of stacks no longer planned on a full render, and keeps them with --accounts", async () => {
    await renderCommand(deps(3)).run(["--out", "out"], capture(dir));
    await renderCommand(deps(2)).run(["--out", "out", "--accounts", "111111111111"], capture(dir));
    expect(await fs.readdir(path.join(dir, "out"))).to.include("account-333333333333.json");
    await renderCommand(deps(2)).run(["--out", "out"], capture(dir));
    expect((await fs.readdir(path.join(dir, "out"))).sort()).to.deep.equal([
      "account-111111111111.json",
      "account-222222222222.json",
      "central.json",
    ]);
  });

  it("renders central and the named accounts with --accounts, and prints JSON with --json", async () => {
    const io = capture(dir);
    expect(await renderCommand(deps()).run(["--accounts", "222222222222", "--json"], io)).to.equal(ExitCode.Ok);
    const stacks = JSON.parse(io.out()) as RenderedStack[];
    expect(stacks.map((s) => s.stack)).to.deep.equal(["central", "account-222222222222"]);
  });

  it("exits 2 on an unknown account or flag, writing nothing", async () => {
    const unknown = capture(dir);
    expect(await renderCommand(deps()).run(["--accounts", "444444444444"], unknown)).to.equal(ExitCode.BadInput);
    expect(unknown.err()).to.contain("account 444444444444 is not in the inventory");
    const flag = capture(dir);
    expect(await renderCommand(deps()).run(["--bogus"], flag)).to.equal(ExitCode.BadInput);
    expect(flag.err()).to.contain("--bogus");
    expect(await fs.readdir(dir)).to.deep.equal([]);
  });

  it("exits 2 when the inventory does not load", async () => {
    const failing: RenderDeps = { loadInventory: async () => undefined, program: () => stackProgram };
    expect(await renderCommand(failing).run([], capture(dir))).to.equal(ExitCode.BadInput);
  });

  it("is a command of org-s3-backup, with its help", async () => {
    const io = capture(dir);
    expect(await main(["render", "--help"], io)).to.equal(ExitCode.Ok);
    expect(io.out()).to.contain("Usage: org-s3-backup render");
    const top = capture(dir);
    await main(["--help"], top);
    expect(top.out()).to.match(/^\s+render\s+/m);
    expect(top.out()).to.match(/^\s+explain\s+/m);
  });
});

describe("explain command", () => {
  it("prints the five links for an account, each with its verdict", async () => {
    const io = capture(os.tmpdir());
    expect(await explainCommand(deps()).run(["--account", "111111111111"], io)).to.equal(ExitCode.Ok);
    const out = io.out();
    for (const title of [
      "1. Role trust",
      "2. Role policy",
      "3. Source key policy",
      "4. Central bucket policy",
      "5. Central key policy",
    ]) {
      expect(out).to.contain(title);
    }
    expect(out).to.contain("Every link grants what replication needs.");
  });

  it("exits 2 for an unknown account, listing the known ones", async () => {
    const io = capture(os.tmpdir());
    expect(await explainCommand(deps()).run(["--account", "444444444444"], io)).to.equal(ExitCode.BadInput);
    expect(io.err()).to.contain("known: 111111111111, 222222222222, 333333333333");
  });

  it("exits 2 without --account", async () => {
    const io = capture(os.tmpdir());
    expect(await explainCommand(deps()).run([], io)).to.equal(ExitCode.BadInput);
    expect(io.err()).to.contain("--account ID is required");
  });
});
