import { expect } from "chai";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { PassThrough } from "node:stream";
import { loadInventoryOrReport } from "../../automation/cli/inventory-arg";
import { compareProblems, formatProblems, parseInventory, type Problem, SHOWN_PROBLEMS } from "../../config/load";
import { quoted, shown } from "../../config/locate";
import { closest } from "../../config/suggest";
import type { Inventory } from "../../config/types";
import { afterLine, VALID_YAML, withLine } from "../support/inventory-yaml";

/**
 * Values AWS would refuse, characters that break a table or reorder text, YAML's odd corners, and files
 * that are not inventories at all (issue 14, "Inventory edge cases"). Each problem is located as usual.
 */

/** `LINE:COL: message` of every problem, or the inventory when valid. */
function problemsOf(text: string): string[] {
  const result = parseInventory(text, "inv.yaml");
  return result.ok ? [] : result.problems.map((p) => `${p.line}:${p.column}: ${p.message}`);
}

function valid(text: string): Inventory {
  const result = parseInventory(text, "inv.yaml");
  if (!result.ok) throw new Error(result.problems.map((p) => `${p.line}:${p.column}: ${p.message}`).join("\n"));
  return result.inventory;
}

/** Central (lines 2-6) with `extra` lines after line 6. */
const central = (extra: string) => afterLine(6, extra);

describe("inventory edge cases: AWS's limits", () => {
  it("Object Lock: days up to 36,500, or years up to 100, exactly one of them", () => {
    expect(valid(central("  objectLock:\n    mode: COMPLIANCE\n    days: 36500")).central.objectLock).to.deep.equal({
      mode: "COMPLIANCE",
      days: 36500,
    });
    expect(valid(central("  objectLock:\n    mode: GOVERNANCE\n    years: 100")).central.objectLock).to.deep.equal({
      mode: "GOVERNANCE",
      years: 100,
    });
    expect(problemsOf(central("  objectLock:\n    mode: GOVERNANCE\n    days: 36501"))).to.deep.equal([
      "9:11: central.objectLock.days: Object Lock retention is at most 36,500 days (100 years)",
    ]);
    expect(problemsOf(central("  objectLock:\n    mode: GOVERNANCE\n    years: 101"))).to.deep.equal([
      "9:12: central.objectLock.years: Object Lock retention is at most 100 years",
    ]);
    expect(problemsOf(central("  objectLock:\n    mode: GOVERNANCE\n    days: 30\n    years: 1"))).to.deep.equal([
      "10:5: central.objectLock: give days or years, not both (S3 takes one retention period)",
    ]);
    expect(problemsOf(central("  objectLock:\n    mode: GOVERNANCE"))).to.deep.equal([
      "8:5: central.objectLock: missing required key `days` (or `years`): the default retention period",
    ]);
  });

  it("lifecycle day counts: whole numbers from 1 to S3's 32-bit limit, one message per value", () => {
    expect(problemsOf(central("  noncurrentVersions:\n    expireAfterDays: 9000000000000000"))).to.deep.equal([
      "8:22: central.noncurrentVersions.expireAfterDays: must be at most 2,147,483,647 days (S3 takes a 32-bit number)",
    ]);
    expect(problemsOf(central("  noncurrentVersions:\n    expireAfterDays: 1e400"))).to.deep.equal([
      "8:22: central.noncurrentVersions.expireAfterDays: 1e400 is too large a number to use",
    ]);
    expect(problemsOf(central("  noncurrentVersions:\n    expireAfterDays: 2.5"))).to.deep.equal([
      "8:22: central.noncurrentVersions.expireAfterDays: must be a whole number of days",
    ]);
    expect(
      valid(central("  noncurrentVersions:\n    expireAfterDays: 2147483647")).central.noncurrentVersions,
    ).to.deep.equal({ expireAfterDays: 2147483647 });
  });
});

describe("inventory edge cases: characters", () => {
  it("refuses line breaks, control characters and bidi overrides in names, saying which and where", () => {
    expect(problemsOf(withLine(12, '    name: "pay\\nments"'))).to.deep.equal([
      "12:11: accounts[0].name: must be plain text on one line; it contains a line break (\\n)",
    ]);
    expect(problemsOf(withLine(12, "    name: pay\u202Ements"))).to.deep.equal([
      "12:11: accounts[0].name: must be plain text on one line; " +
        "it contains a bidirectional control character (U+202E), which changes the order text is displayed in",
    ]);
    expect(problemsOf(withLine(4, '  name: "central\\u0007"'))).to.deep.equal([
      "4:9: central.name: must be plain text on one line; it contains a control character (U+0007)",
    ]);
    expect(problemsOf(withLine(12, '    name: "zero\\u200Bwidth"'))).to.deep.equal([
      "12:11: accounts[0].name: must be plain text on one line; it contains an invisible zero-width character (U+200B)",
    ]);
    // Letters of any script, spaces and punctuation are plain text.
    expect(valid(withLine(12, "    name: Zahlungsverkehr (EU) — équipe 支付")).sources[0].name).to.equal(
      "Zahlungsverkehr (EU) — équipe 支付",
    );
  });

  it("applies AWS's tag rule to keys and values: letters, digits, spaces and _ . : / = + - @", () => {
    const tags = (lines: string) => afterLine(12, `    tags:\n${lines}`);
    expect(
      valid(tags('      cost-center: "4711"\n      owner: team@example.com\n      path: a/b=c+d:e_f.g')).sources[0]
        .tags,
    ).to.include({ "cost-center": "4711", owner: "team@example.com", path: "a/b=c+d:e_f.g" });
    expect(problemsOf(tags('      team: "a\\nb"'))).to.deep.equal([
      "14:13: accounts[0].tags.team: " +
        "tag values may contain only letters, digits, spaces and _ . : / = + - @ (AWS's tag rule); " +
        "this one contains a line break (\\n)",
    ]);
    expect(problemsOf(tags("      team: payments (EU)"))).to.deep.equal([
      "14:13: accounts[0].tags.team: " +
        "tag values may contain only letters, digits, spaces and _ . : / = + - @ (AWS's tag rule); " +
        "this one contains `(`",
    ]);
    expect(problemsOf(tags('      "a\\u202Eb": x'))).to.deep.equal([
      "14:7: accounts[0].tags.a\\u202Eb: " +
        "tag keys may contain only letters, digits, spaces and _ . : / = + - @ (AWS's tag rule); " +
        "this one contains a bidirectional control character (U+202E), " +
        "which changes the order text is displayed in",
    ]);
    expect(problemsOf(tags("      AWS:cost: x"))).to.deep.equal([
      "14:7: accounts[0].tags.AWS:cost: tag keys starting with aws: are reserved by AWS",
    ]);
    expect(problemsOf(tags(`      k: ${"v".repeat(257)}`))).to.deep.equal([
      "14:10: accounts[0].tags.k: tag values are at most 256 characters",
    ]);
  });

  it("refuses a YAML complex key as a tag key, located, with nothing on stderr", () => {
    const warnings: string[] = [];
    const listener = (warning: Error) => warnings.push(warning.message);
    process.on("warning", listener);
    try {
      expect(problemsOf(afterLine(12, "    tags:\n      ? { x: 1 }\n      : v"))).to.deep.equal([
        "14:9: accounts[0].tags: a key must be text; a YAML complex key (`? ` then a mapping or a list) is not allowed",
      ]);
      expect(problemsOf(afterLine(12, "    tags:\n      ? [a, b]\n      : v"))).to.have.length(1);
    } finally {
      process.off("warning", listener);
    }
    expect(warnings).to.deep.equal([]);
  });

  it("quotes at most 80 characters of a value, with invisible characters escaped", () => {
    const long = "x".repeat(5000);
    const [problem] = problemsOf(withLine(8, `  region: ${long}`));
    expect(problem).to.equal(`8:11: defaults.region: unknown region "${"x".repeat(80)}…"`);
    expect(shown("a\u202Eb\nc\u0000")).to.equal("a\\u202Eb\\nc\\u0000");
    expect(quoted('say "hi"\\')).to.equal('"say \\"hi\\"\\\\"');
  });
});

describe("inventory edge cases: YAML", () => {
  it("says `missing required key` at the parent's location, for enum keys too", () => {
    expect(problemsOf(withLine(8, "  # no region"))).to.deep.equal(["9:3: defaults: missing required key `region`"]);
    expect(problemsOf(central("  objectLock:\n    days: 30"))).to.deep.equal([
      "8:5: central.objectLock: missing required key `mode`",
    ]);
  });

  it("resolves merge keys, and locates a problem in a merged value where it is written, under the anchor", () => {
    const text = afterLine(9, "  replication: &usual\n    storageClass: GLACIER_IR").replace(
      "    name: payments",
      "    name: payments\n    replication:\n      <<: *usual\n      metrics: true",
    );
    expect(valid(text).sources[0].replication.storageClass).to.equal("GLACIER_IR");
    const broken = text.replace("storageClass: GLACIER_IR", "storageClass: GLACIERR");
    expect(problemsOf(broken).map((p) => p.split(": ")[0])).to.deep.equal(["11:19", "11:19"]);
    expect(problemsOf(broken)[0]).to.match(/^11:19: accounts\[0\]\.replication\.storageClass: not allowed: "GLACIERR"/);
    expect(problemsOf(afterLine(12, "    <<: 5"))).to.deep.equal([
      "13:5: accounts[0]: a merge key `<<` takes a mapping, an alias of one (`<<: *name`) or a list of them",
    ]);
  });

  it("refuses a key given twice, naming the first, comparing keys as the text they become", () => {
    expect(problemsOf(afterLine(12, "    name: again"))).to.deep.equal([
      "13:5: accounts[0]: the key `name` is already given at line 12 " +
        "of this mapping (YAML would keep only one of the values); remove one",
    ]);
    expect(problemsOf(afterLine(12, '    tags:\n      1: a\n      "1": b'))).to.deep.equal([
      "15:7: accounts[0].tags: the key `1` is already given at line 14 " +
        "of this mapping (YAML would keep only one of the values); remove one",
    ]);
  });

  it("reads CR-only line endings as line breaks, so problems are located on their line", () => {
    const text = withLine(8, "  region: eu-west-9").replace(/\n/g, "\r");
    expect(problemsOf(text)).to.deep.equal([
      '8:11: defaults.region: unknown region "eu-west-9"; did you mean `eu-west-1`?',
    ]);
    expect(valid(VALID_YAML.replace(/\n/g, "\r")).sources).to.have.length(3);
    expect(valid(VALID_YAML.replace(/\n/g, "\r\n")).sources).to.have.length(3);
  });
});

describe("inventory edge cases: files that are not inventories", () => {
  it("says `not a text YAML file` for binary data, quoting nothing of it", () => {
    const binary = randomBytes(64 * 1024).toString("utf8");
    const problems = problemsOf(binary);
    expect(problems).to.have.length(1);
    expect(problems[0]).to.match(/^\d+:\d+: not a text YAML file: /);
    expect(problems[0].length).to.be.lessThan(160);
    expect(problemsOf(`a: 1\n${"\u0000".repeat(3)}`)).to.deep.equal([
      "2:1: not a text YAML file: it contains NUL bytes (a binary file, or text saved as UTF-16); " +
        "the inventory is UTF-8 text",
    ]);
  });

  it("locates a few stray control characters one by one", () => {
    expect(problemsOf(afterLine(12, "    # a bell \u0007 in a comment"))).to.deep.equal([
      "13:14: the character U+0007 is not allowed in a YAML file; " +
        "remove it (inside double quotes it may be written as \\u0007)",
    ]);
  });

  it("does not look letter by letter at a value far longer than any suggestion (4 MB where a region belongs)", () => {
    const candidates = ["eu-west-1", "us-east-1"];
    expect(closest("eu-west-1x", candidates)).to.equal("eu-west-1");
    // Four letters more than the longest candidate cannot be within the three edits a suggestion allows.
    expect(closest("eu-west-1xxxx", candidates)).to.equal(undefined);
    expect(closest("EU-WEST-1", candidates)).to.equal("eu-west-1");
    const [problem] = problemsOf(withLine(8, `  region: ${"e".repeat(4 * 1024 * 1024)}`));
    expect(problem.length).to.be.lessThan(200);
  });
});

describe("inventory edge cases: many problems", () => {
  const manyProblems = (count: number) =>
    `${VALID_YAML}` +
    `${Array.from({ length: count }, (_, i) => `  - id: ${100000000000 + i}\n    name: n${i}`).join("\n")}\n`;

  it("orders problems by line, column, then message", () => {
    const problems: Problem[] = [
      { file: "f", line: 2, column: 1, message: "b" },
      { file: "f", line: 1, column: 5, message: "z" },
      { file: "f", line: 2, column: 1, message: "a" },
      { file: "f", line: 1, column: 2, message: "y" },
    ];
    expect([...problems].sort(compareProblems).map((p) => `${p.line}:${p.column}:${p.message}`)).to.deep.equal([
      "1:2:y",
      "1:5:z",
      "2:1:a",
      "2:1:b",
    ]);
  });

  it("prints the first 50 and how many more, the same lines on every run", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "edge-cases-"));
    try {
      const file = path.join(dir, "accounts.yaml");
      await fs.writeFile(file, manyProblems(120));
      const run = async () => {
        let err = "";
        const stderr = new PassThrough().on("data", (c: Buffer) => (err += c.toString()));
        expect(await loadInventoryOrReport(file, { stdout: new PassThrough(), stderr, env: {}, cwd: dir })).to.equal(
          undefined,
        );
        return err.trimEnd().split("\n");
      };
      const lines = await run();
      expect(lines).to.have.length(SHOWN_PROBLEMS + 2);
      expect(lines[0]).to.match(/^accounts\.yaml:17:9: accounts\[3\]\.id: account id 100000000000 must be quoted/);
      expect(lines[SHOWN_PROBLEMS]).to.equal("... and 70 more problems, not shown: fix these first and run again");
      expect(lines[SHOWN_PROBLEMS + 1]).to.equal("accounts.yaml: invalid — 120 problems (the first 50 shown)");
      expect(await run()).to.deep.equal(lines);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it("formats fewer problems than the cap without a count line", () => {
    const problems = [{ file: "f", line: 1, column: 1, message: "m" }];
    expect(formatProblems(problems)).to.deep.equal(["f:1:1: m"]);
  });
});

describe("inventory edge cases: ignore", () => {
  it("reads ignored accounts with their reasons", () => {
    const inventory = valid(
      `${VALID_YAML}ignore:\n  - id: "444444444444"\n    reason: management account\n  - id: "555555555555"\n`,
    );
    expect(inventory.ignored).to.deep.equal([
      { accountId: "444444444444", reason: "management account" },
      { accountId: "555555555555" },
    ]);
    expect(valid(VALID_YAML).ignored).to.equal(undefined);
  });

  it("refuses a source account, the central account, a repeat, a bare id and an unknown key, located", () => {
    const text = `${VALID_YAML}${[
      "ignore:",
      '  - id: "111111111111"',
      '  - id: "999999999999"',
      '  - id: "444444444444"',
      '  - id: "444444444444"',
      '  - "555555555555"',
      '  - id: "666666666666"',
      "    reson: typo",
    ].join("\n")}\n`;
    expect(problemsOf(text)).to.deep.equal([
      "18:9: ignore[0].id: account 111111111111 is also a source account, accounts[0] (line 11); " +
        "an account is either backed up or ignored — " +
        "remove one of the entries (enabled: false keeps an entry without a stack)",
      "19:9: ignore[1].id: 999999999999 is the central account, which discover never proposes; remove it",
      "21:9: ignore[3].id: account 444444444444 is already listed as ignore[2] (line 20)",
      '22:5: ignore[4]: an ignored account is a mapping; write - id: "555555555555" (and optionally reason: ...)',
      "24:5: ignore[5]: unknown key `reson`; did you mean `reason`?",
    ]);
  });
});
