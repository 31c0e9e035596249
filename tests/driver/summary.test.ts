import { expect } from "chai";
import { NO_CHANGES } from "../../automation/engine/engine";
import type { RunReport, StackResult } from "../../automation/driver/run";
import {
  exitCodeOf,
  formatDuration,
  formatSummaryTable,
  lockAdvice,
  summaryJson,
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

  it("prints a table with changes, durations and classified reasons with the first error lines", () => {
    const table = formatSummaryTable(report([ok, failed, skipped]));
    const lines = table.split("\n");
    expect(lines[0]).to.match(/^STACK\s+ACCOUNT\s+RESULT\s+CHANGES\s+DURATION\s+REASON$/);
    expect(lines[1]).to.match(/^central\s+999999999999 backup-central\s+up ok\s+\+7 ~1 -0\s+1m02s$/);
    expect(lines[2]).to.match(
      /^account-111111111111\s+111111111111 app-111\s+up FAILED\s+\+0 ~0 -0\s+4\.2s\s+assume-role failed$/,
    );
    expect(lines[3]).to.match(/^\s{20,}error: unable to validate AWS credentials\.$/);
    expect(lines[4]).to.match(/Details: Cannot assume IAM Role\.$/);
    expect(lines[5]).to.match(/up skipped .*central stack failed$/);
    expect(table).to.contain("up: 1 ok, 1 FAILED, 1 skipped in 1m05s");
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
    const advice = lockAdvice(report([], { mayHoldLock: ["account-111111111111"], interrupted: true }));
    expect(advice).to.contain("pulumi cancel --yes --stack account-111111111111");
    expect(advice).to.contain("pulumi refresh --yes --clear-pending-creates --stack account-111111111111");
  });

  it("formats durations", () => {
    expect(formatDuration(950)).to.equal("0.9s");
    expect(formatDuration(600_000)).to.equal("10m00s");
  });
});
