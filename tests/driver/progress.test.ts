import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PassThrough } from "node:stream";
import { expect } from "chai";
import { createProgress, runLogDir } from "../../automation/driver/progress";
import type { StackResult } from "../../automation/driver/run";

const result = (overrides: Partial<StackResult> = {}): StackResult => ({
  stack: "account-111111111111",
  accountId: "111111111111",
  accountName: "app",
  role: "source",
  action: "up",
  status: "succeeded",
  counts: { create: 2, update: 0, delete: 1, same: 3 },
  durationMs: 1500,
  notes: [],
  ...overrides,
});

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = "";
  stream.on("data", (chunk) => (text += chunk.toString()));
  return { stream, text: () => text };
}

describe("progress", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "progress-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("names run log directories after the run's start, portably", () => {
    expect(runLogDir("/repo", new Date("2026-11-25T07:01:02.345Z"))).to.equal("/repo/logs/2026-11-25T07-01-02-345Z");
  });

  it("prints timestamped lines when not on a TTY and writes each stack's log file", async () => {
    const out = capture();
    const progress = createProgress({
      stream: out.stream,
      live: false,
      logDir: dir,
      now: () => new Date("2026-11-25T07:00:00.000Z"),
    });
    progress.planned?.(2);
    progress.started("account-111111111111", "up");
    progress.output("account-111111111111", "Updating (account-111111111111):\n");
    progress.finished(result());
    progress.started("account-222222222222", "up");
    progress.finished(
      result({
        stack: "account-222222222222",
        status: "failed",
        failure: { category: "locked", excerpt: ["error: the stack is currently locked"], raw: "RAW LOCK TEXT" },
      }),
    );
    await progress.close();
    expect(out.text().split("\n")).to.deep.equal([
      "2026-11-25T07:00:00.000Z account-111111111111 up started",
      "2026-11-25T07:00:00.000Z [1/2] account-111111111111 up succeeded +2 ~0 -1 in 1.5s",
      "2026-11-25T07:00:00.000Z account-222222222222 up started",
      "2026-11-25T07:00:00.000Z [2/2] account-222222222222 up FAILED (stack locked): " +
        "error: the stack is currently locked",
      "",
    ]);
    expect(fs.readFileSync(path.join(dir, "account-111111111111.log"), "utf8")).to.contain(
      "Updating (account-111111111111):",
    );
    expect(fs.readFileSync(path.join(dir, "account-222222222222.log"), "utf8")).to.contain("RAW LOCK TEXT");
  });

  it("on a TTY repaints one line per running stack with its elapsed time and counts", async () => {
    const out = capture();
    let clock = Date.parse("2026-11-25T07:00:00Z");
    const progress = createProgress({
      stream: Object.assign(out.stream, { columns: 120 }),
      live: true,
      logDir: dir,
      now: () => new Date(clock),
    });
    progress.started("central", "up");
    progress.started("account-111111111111", "up");
    clock += 3_000;
    progress.progress("account-111111111111", { create: 4, update: 1, delete: 0, same: 2 });
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(out.text()).to.contain("\x1b[2K  … central up 3.0s\n");
    expect(out.text()).to.contain("\x1b[2K  … account-111111111111 up 3.0s  +4 ~1 -0 =2\n");
    progress.finished(result({ stack: "central" }));
    await progress.close();
    const final = out.text().split("\x1b[2F").at(-1)!;
    expect(final).to.contain("central up succeeded");
    expect(final).to.contain("… account-111111111111 up");
  });

  it("never draws a live line wider than the terminal, however narrow, and shows done/total", async () => {
    const out = capture();
    const clock = Date.parse("2026-11-25T07:00:00Z");
    const progress = createProgress({
      stream: Object.assign(out.stream, { columns: 30 }),
      live: true,
      logDir: dir,
      now: () => new Date(clock),
    });
    progress.planned?.(300);
    progress.started("account-111111111111", "destroy");
    progress.progress("account-111111111111", { create: 12, update: 100, delete: 7, same: 2 });
    progress.finished(result({ stack: "account-222222222222" }));
    await new Promise((resolve) => setTimeout(resolve, 80));
    await progress.close();
    const frames = out.text().split("\x1b[2K").slice(1);
    const live = frames.filter((frame) => frame.startsWith("  "));
    expect(live.length).to.be.greaterThan(0);
    for (const frame of live) expect(frame.split("\n")[0].length, JSON.stringify(frame)).to.be.at.most(29);
    expect(out.text()).to.contain("  1/300 done, 1 running");
  });

  it("paints FAILED in red on a terminal when colour is on", async () => {
    const out = capture();
    const progress = createProgress({ stream: out.stream, live: true, logDir: dir, color: true });
    progress.finished(
      result({ status: "failed", failure: { category: "other", excerpt: ["error: boom"], raw: "boom" } }),
    );
    await progress.close();
    expect(out.text()).to.contain("account-111111111111 up \x1b[1;31mFAILED\x1b[0m (other): error: boom");
  });

  it("goes on when a log cannot be written (disk full), saying so once", async function () {
    if (!fs.existsSync("/dev/full")) this.skip();
    const out = capture();
    fs.symlinkSync("/dev/full", path.join(dir, "account-111111111111.log"));
    const progress = createProgress({ stream: out.stream, live: false, logDir: dir });
    progress.started("account-111111111111", "up");
    progress.output("account-111111111111", "x".repeat(70_000));
    await new Promise((resolve) => setTimeout(resolve, 50));
    progress.output("account-111111111111", "more");
    progress.finished(result());
    await progress.close();
    expect(progress.logProblems).to.have.length(1);
    expect(progress.logProblems[0]).to.contain("ENOSPC");
    expect(out.text()).to.contain("warning: cannot write the engine log").and.contain("up succeeded");
  });

  it("goes on when the log directory cannot be created", async () => {
    const out = capture();
    const file = path.join(dir, "a-file");
    fs.writeFileSync(file, "");
    const progress = createProgress({ stream: out.stream, live: false, logDir: path.join(file, "logs") });
    progress.started("central", "up");
    progress.finished(result({ stack: "central" }));
    await progress.close();
    expect(out.text()).to.contain("warning: cannot write the engine log").and.contain("central up succeeded");
  });
});
