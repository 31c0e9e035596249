import { expect } from "chai";
import { NO_CHANGES } from "../../automation/engine/engine";
import type { RunReport, StackResult } from "../../automation/driver/run";
import {
  describeHolders,
  exitCodeOf,
  formatDuration,
  formatLockNotice,
  formatSummaryTable,
  lockAdvice,
  printable,
  rerunCommands,
  summaryJson,
  useColor,
  wrapText,
} from "../../automation/driver/summary";

const ok: StackResult = {
  stack: "central",
  accountId: "999999999999",
  accountName: "backup-central",
  role: "central",
  action: "up",
  status: "succeeded",
  counts: { create: 7, update: 1, delete: 0, same: 2 },
  durationMs: 61_500,
  notes: [],
  outputs: { bucketArn: { value: "arn:aws:s3:::b", secret: false }, token: { value: "s3cr3t", secret: true } },
};
const failed: StackResult = {
  stack: "account-111111111111",
  accountId: "111111111111",
  accountName: "app-111",
  role: "source",
  action: "up",
  status: "failed",
  counts: NO_CHANGES,
  durationMs: 4_200,
  notes: [],
  failure: {
    category: "assume-role",
    excerpt: ["error: unable to validate AWS credentials.", "Details: Cannot assume IAM Role."],
    raw: "error: unable to validate AWS credentials.\nDetails: Cannot assume IAM Role.",
  },
};
const skipped: StackResult = {
  ...failed,
  stack: "account-222222222222",
  accountId: "222222222222",
  status: "skipped",
  failure: undefined,
  reason: "central stack failed",
  durationMs: 0,
};
const report = (results: StackResult[], extra: Partial<RunReport> = {}): RunReport => ({
  operation: "up",
  results,
  interrupted: false,
  mayHoldLock: [],
  durationMs: 65_000,
  ...extra,
});

describe("summary", () => {
  it("maps results to exit codes", () => {
    expect(exitCodeOf(report([ok]))).to.equal(0);
    expect(exitCodeOf(report([ok, { ...ok, stack: "x", status: "absent" }]))).to.equal(0);
    expect(exitCodeOf(report([ok, failed]))).to.equal(1);
    expect(exitCodeOf(report([ok, { ...ok, status: "drifted" }]))).to.equal(1);
    expect(exitCodeOf(report([ok, skipped]))).to.equal(1);
    expect(exitCodeOf(report([ok], { interrupted: true }))).to.equal(130);
  });

  it("prints a table with changes and durations, then the failures collected with their reasons", () => {
    const table = formatSummaryTable(report([ok, failed, skipped]));
    const lines = table.split("\n");
    expect(lines[0]).to.match(/^STACK\s+ACCOUNT\s+RESULT\s+CHANGES\s+DURATION$/);
    expect(lines[1]).to.match(/^central\s+999999999999 backup-central\s+up ok\s+\+7 ~1 -0\s+1m02s$/);
    expect(lines[2]).to.match(/^account-111111111111\s+111111111111 app-111\s+up FAILED\s+\+0 ~0 -0\s+4\.2s$/);
    expect(lines[3]).to.match(/^account-222222222222\s+.*up skipped/);
    expect(table).to.contain("up: 1 ok, 1 FAILED, 1 skipped in 1m05s");
    expect(table).to.contain(
      [
        "Failed (1):",
        "  account-111111111111 (app-111): assume-role failed",
        "      error: unable to validate AWS credentials.",
        "      Details: Cannot assume IAM Role.",
        "",
        "Skipped (1):",
        "  central stack failed: account-222222222222",
      ].join("\n"),
    );
    expect(table.split("\n").every((line) => line.length <= 100)).to.equal(true);
  });

  it("gives the same summary as JSON, secrets masked", () => {
    const json = summaryJson(report([ok, failed]), {
      exitCode: 1,
      orphans: ["account-444444444444"],
      logDir: "/repo/logs/x",
      // biome-ignore lint/suspicious/noExplicitAny: the test walks the JSON the user sees, shape unchecked on purpose
    }) as Record<string, any>;
    expect(JSON.parse(JSON.stringify(json))).to.deep.include({
      operation: "up",
      exitCode: 1,
      orphans: ["account-444444444444"],
      logDir: "/repo/logs/x",
    });
    expect(json.stacks[0].outputs).to.deep.equal({ bucketArn: "arn:aws:s3:::b", token: "[secret]" });
    expect(json.stacks[1].failure).to.deep.equal({
      category: "assume-role",
      label: "assume-role failed",
      excerpt: failed.failure!.excerpt,
    });
    expect(json.totals).to.deep.equal({ succeeded: 1, failed: 1 });
  });

  it("tells how to clear the locks an interrupted run may leave", () => {
    expect(lockAdvice(report([ok]))).to.equal("");
    const cancelled: StackResult = { ...failed, status: "cancelled" };
    const advice = lockAdvice(report([cancelled], { mayHoldLock: ["account-111111111111"], interrupted: true }));
    expect(advice).to.contain("account-111111111111  up cancelled");
    expect(advice).to.contain("pulumi cancel --yes --stack account-111111111111");
    expect(advice).to.contain("pulumi refresh --yes --clear-pending-creates --stack account-111111111111");
  });

  it("formats durations", () => {
    expect(formatDuration(950)).to.equal("0.9s");
    expect(formatDuration(600_000)).to.equal("10m00s");
    expect(formatDuration(3 * 3_600_000 + 5 * 60_000)).to.equal("3h05m");
  });

  describe("at 300 accounts", () => {
    const many = (n: number, status: StackResult["status"] = "succeeded"): StackResult[] =>
      Array.from({ length: n }, (_, i) => {
        const id = String(100000000000 + i);
        return {
          ...ok,
          role: "source" as const,
          stack: `account-${id}`,
          accountId: id,
          accountName: `app-${i}`,
          status,
        };
      });

    it("paints FAILED and TIMED OUT in colour only when asked (a terminal without NO_COLOR)", () => {
      const timedOut: StackResult = {
        ...failed,
        stack: "account-333333333333",
        accountId: "333333333333",
        status: "timed-out",
      };
      const plain = formatSummaryTable(report([ok, failed, timedOut]));
      const painted = formatSummaryTable(report([ok, failed, timedOut]), { color: true });
      expect(plain).to.not.contain("\x1b[");
      expect(painted).to.contain("\x1b[1;31mFAILED\x1b[0m").and.contain("\x1b[1;31mTIMED OUT\x1b[0m");
      expect(printable(painted)).to.equal(plain);
      expect(useColor({ isTTY: true }, {})).to.equal(true);
      expect(useColor({ isTTY: true }, { NO_COLOR: "1" })).to.equal(false);
      expect(useColor({ isTTY: true }, { TERM: "dumb" })).to.equal(false);
      expect(useColor({ isTTY: false }, {})).to.equal(false);
    });

    it("keeps every line within 100 columns: a table that would be wider becomes a list", () => {
      const long: StackResult = {
        ...failed,
        accountName: "a-very-long-account-name-that-somebody-typed-into-the-inventory-file",
        failure: {
          category: "access-denied",
          excerpt: [
            "error: creating S3 Bucket (acme-data-111111111111): operation error S3: CreateBucket, " +
              "https response error StatusCode: 403, RequestID: 4Q, HostID: x, api error AccessDenied: Access Denied",
          ],
          raw: "",
        },
      };
      const text = formatSummaryTable(report([ok, long, ...many(300)]));
      const lines = text.split("\n");
      expect(lines.every((line) => line.length <= 100)).to.equal(true);
      expect(lines[0]).to.equal("central up ok");
      expect(lines[1]).to.equal("    999999999999 backup-central, changes +7 ~1 -0, 1m02s");
      expect(text.replace(/\n +/g, " ")).to.contain("api error AccessDenied: Access Denied");
      const narrow = formatSummaryTable(report([ok, failed]));
      expect(narrow.split("\n")[0]).to.match(/^STACK/);
    });

    it("collects the failures at the end with a ready command to rerun exactly them", () => {
      const results = [
        { ...ok },
        ...many(3),
        ...many(2, "failed").map((r, i) => ({
          ...r,
          stack: `account-20000000000${i}`,
          accountId: `20000000000${i}`,
          failure: failed.failure,
        })),
        { ...many(1, "timed-out")[0], stack: "account-300000000000", accountId: "300000000000" },
        ...many(4, "skipped").map((r, i) => ({
          ...r,
          stack: `account-40000000000${i}`,
          accountId: `40000000000${i}`,
          reason: "failure tolerance exceeded (3 failed, 2 tolerated)",
        })),
      ];
      const commands = rerunCommands(report(results), { args: ["--inventory", "my accounts.yaml"] });
      expect(commands.failed).to.equal(
        "org-s3-backup up --inventory 'my accounts.yaml' --accounts 200000000000,200000000001,300000000000",
      );
      expect(commands.unfinished).to.equal(
        "org-s3-backup up --inventory 'my accounts.yaml' --accounts 200000000000,200000000001,300000000000," +
          "400000000000,400000000001,400000000002,400000000003",
      );
      const text = formatSummaryTable(report(results), { rerun: { args: [] } });
      expect(text).to.contain(
        "Rerun the 3 failed account(s):\n  org-s3-backup up --accounts 200000000000,200000000001,300000000000",
      );
      expect(text).to.contain(
        "Skipped (4):\n" +
          "  failure tolerance exceeded (3 failed, 2 tolerated): account-400000000000, account-400000000001,",
      );
      const central = rerunCommands(report([{ ...ok, status: "failed", failure: failed.failure }]), { args: [] });
      expect(central.failed).to.equal("org-s3-backup up --accounts central");
      expect(rerunCommands(report([ok]), { args: [] })).to.deep.equal({});
      const orphan: StackResult = { ...failed, role: "orphan", action: "prune", stack: "account-444444444444" };
      expect(rerunCommands(report([ok, orphan]), { args: [] })).to.deep.equal({ prune: "org-s3-backup up --prune" });
    });

    it("prints what the CLI printed without its escape sequences, control or bidi characters", () => {
      expect(printable("a\x1b[2Jb\x1b]0;title\x07c\u202ed\re")).to.equal("ab0;title\ufffdc\ufffdd\ufffde");
      expect(wrapText("x".repeat(250), 100, "  ", "    ").every((line) => line.length <= 100)).to.equal(true);
    });
  });

  describe("locks", () => {
    const now = new Date("2026-11-25T10:00:00Z");
    const lockedRaw =
      "error: the stack is currently locked by 1 lock(s). " +
      "Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.\n" +
      "  file:///state/.pulumi/locks/organization/org-s3-backup/account-111111111111/4b1c.json: " +
      "created by ci@runner-7 (pid 4242) at 2026-11-25T07:00:00Z";

    it("names a locked stack with since when, by whom, and the command that releases it", () => {
      const locked: StackResult = {
        ...failed,
        failure: { category: "locked", excerpt: [], raw: lockedRaw },
      };
      const advice = lockAdvice(report([locked]), now);
      expect(advice).to.contain(
        "account-111111111111 locked since 2026-11-25T07:00:00.000Z (3h00m ago) by ci@runner-7 (pid 4242)",
      );
      expect(advice).to.contain("pulumi cancel --yes --stack account-111111111111");
    });

    it("lists a stack whose CLI died with the same advice as a cancelled one", () => {
      const died: StackResult = {
        ...failed,
        failure: {
          category: "cli-died",
          excerpt: [
            "error: pulumi up was ended by SIGKILL from outside the driver (out of memory?); " +
              "it may not have released the stack's lock",
          ],
          raw: "",
        },
      };
      const advice = lockAdvice(report([died], { mayHoldLock: [died.stack] }), now);
      expect(advice).to.contain(
        "account-111111111111  up FAILED (pulumi up was ended by SIGKILL from outside the driver (out of memory?))",
      );
      expect(advice).to.contain("pulumi cancel --yes --stack account-111111111111");
      expect(advice).to.contain("pulumi refresh --yes --clear-pending-creates --stack account-111111111111");
    });

    it("before a run, says which stacks are locked in the backend, since when, and how to release them", () => {
      expect(formatLockNotice([], now)).to.equal("");
      const notice = formatLockNotice(
        [
          {
            stack: "account-111111111111",
            file: "/s/x.json",
            user: "ci",
            host: "runner-7",
            pid: 42,
            since: "2026-11-25T09:30:00.000Z",
          },
        ],
        now,
      );
      expect(notice).to.contain(
        "account-111111111111 locked since 2026-11-25T09:30:00.000Z (30m00s ago) by ci@runner-7 (pid 42)",
      );
      expect(notice).to.contain("pulumi cancel --yes --stack account-111111111111");
      expect(describeHolders("central", [], now)).to.equal("central is locked");
    });
  });

  it("counts a timed-out stack as a failure", () => {
    expect(exitCodeOf(report([ok, { ...failed, status: "timed-out" }]))).to.equal(1);
  });
});
