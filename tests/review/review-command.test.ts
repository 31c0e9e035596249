import { expect } from "chai";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { renderCommand, type RenderDeps } from "../../automation/cli/commands/render";
import { reviewCommand } from "../../automation/cli/commands/review";
import { ExitCode } from "../../automation/cli/exit-codes";
import { main } from "../../automation/cli/main";
import { stackProgram } from "../../automation/review/render-program";
import type { Inventory } from "../../config/types";
import { capturedMainIo } from "../support/captured-io";
import { inventory, sourceAccount } from "../support/inventory-fixture";

/** `org-s3-backup review` against a base written by `render --out`, as CI runs it. */

const capture = (cwd: string) => capturedMainIo(cwd);

const deps = (inv: Inventory): RenderDeps => ({ loadInventory: async () => inv, program: () => stackProgram });

function changed(): Inventory {
  const base = inventory({ count: 2 });
  return {
    ...base,
    sources: [
      { ...base.sources[0], replication: { ...base.sources[0].replication, storageClass: "DEEP_ARCHIVE" } },
      sourceAccount("444444444444"),
    ],
  };
}

describe("review command", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "review-command-"));
    expect(await renderCommand(deps(inventory({ count: 2 }))).run(["--out", "base"], capture(dir))).to.equal(
      ExitCode.Ok,
    );
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("compares the current render with the base directory: text by default", async () => {
    const io = capture(dir);
    expect(await reviewCommand(deps(changed())).run(["--base", "base"], io)).to.equal(ExitCode.Ok);
    const out = io.out();
    expect(out.split("\n")[0]).to.equal("org-s3-backup review: base -> render of config/accounts.yaml");
    expect(out).to.match(/^stacks: 1 added, 1 removed, \d+ changed, \d+ unchanged; /m);
    expect(out).to.include('rules.0.destination.storageClass: "STANDARD_IA" -> "DEEP_ARCHIVE"');
    expect(out).to.match(/^\+ account-444444444444 .*: added/m);
    expect(out).to.match(/^- account-222222222222 .*: removed/m);
    expect(io.err()).to.equal("");
  });

  it("--markdown and --json; --head compares two render directories without rendering", async () => {
    await renderCommand(deps(changed())).run(["--out", "head"], capture(dir));
    const md = capture(dir);
    const failing: RenderDeps = {
      loadInventory: async () => {
        throw new Error("--head must not load the inventory");
      },
      program: () => stackProgram,
    };
    expect(await reviewCommand(failing).run(["--base", "base", "--head", "head", "--markdown"], md)).to.equal(
      ExitCode.Ok,
    );
    expect(md.out()).to.match(/^## org-s3-backup review\n/);
    expect(md.out()).to.include("<sub>base: base → head</sub>");
    const json = capture(dir);
    expect(await reviewCommand(failing).run(["--base", "base", "--head", "head", "--json"], json)).to.equal(
      ExitCode.Ok,
    );
    const parsed = JSON.parse(json.out());
    expect(parsed.totals.stacks.added).to.equal(1);
    expect(parsed.stacks.map((s: { stack: string; change: string }) => `${s.stack} ${s.change}`)).to.include.members([
      "account-111111111111 changed",
      "account-222222222222 removed",
      "account-444444444444 added",
    ]);
  });

  it("says nothing changed when nothing did", async () => {
    const io = capture(dir);
    expect(await reviewCommand(deps(inventory({ count: 2 }))).run(["--base", "base"], io)).to.equal(ExitCode.Ok);
    expect(io.out()).to.match(/^stacks: 0 added, 0 removed, 0 changed, 3 unchanged; resources: 0 added/m);
    expect(io.out()).to.include("no security-relevant change");
  });

  it("refuses a missing --base, a directory without a render, conflicting formats, a bad --open", async () => {
    await fs.mkdir(path.join(dir, "empty"));
    for (const [argv, message] of [
      [[], /--base DIR is required/],
      [["--base", "empty"], /holds no render .* render --out/],
      [["--base", "nowhere"], /cannot read render directory/],
      [["--base", "base", "--markdown", "--json"], /exclude each other/],
      [["--base", "base", "--open", "x"], /--open: 'x' is not a whole number/],
      [["--base", "base", "--max-chars", "10"], /--max-chars/],
    ] as const) {
      const io = capture(dir);
      expect(await reviewCommand(deps(changed())).run(argv, io), argv.join(" ")).to.equal(ExitCode.BadInput);
      expect(io.err()).to.match(message);
      expect(io.out()).to.equal("");
    }
  });

  it("is registered: `org-s3-backup review --help` and the command list", async () => {
    const help = capture(dir);
    expect(await main(["review", "--help"], help)).to.equal(ExitCode.Ok);
    expect(help.out()).to.match(/^Usage: org-s3-backup review --base DIR/);
    const list = capture(dir);
    await main(["--help"], list);
    expect(list.out()).to.match(/^ {2}review +Show what a change does/m);
    expect(list.out()).to.match(/^ {2}iam +Print the least-privilege IAM policy/m);
  });
});
