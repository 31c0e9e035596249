import { expect } from "chai";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { PassThrough } from "node:stream";
import { parseArgumentsOnly } from "../../automation/cli/args";
import { command as upCommand } from "../../automation/cli/commands/up";
import { commandNames, main } from "../../automation/cli/main";

/**
 * The docs agree with the code: every `org-s3-backup ...` command line in README.md and docs/*.md parses
 * with the CLI's own argument parser (the commands come from the registry in automation/cli/main.ts, so a
 * command counts as soon as it is registered, and an unregistered one fails), and every relative link
 * (file and #anchor) resolves.
 */

const REPO = path.resolve(__dirname, "..", "..");
const DOCS = [
  "README.md",
  ...readdirSync(path.join(REPO, "docs"))
    .filter((file) => file.endsWith(".md"))
    .sort()
    .map((file) => `docs/${file}`),
];

interface CommandLine {
  readonly file: string;
  readonly line: number;
  readonly text: string;
}

/** Lines of shell code blocks, and inline code spans, that run org-s3-backup. */
function commandLines(file: string, markdown: string): CommandLine[] {
  const found: CommandLine[] = [];
  let fence: string | undefined;
  markdown.split("\n").forEach((raw, index) => {
    const line = index + 1;
    const opening = /^\s*(```+|~~~+)\s*([\w-]*)/.exec(raw);
    if (opening && fence === undefined) {
      fence = ["", "sh", "bash", "shell", "console", "text"].includes(opening[2]) ? opening[1] : "other";
      return;
    }
    if (fence !== undefined && raw.trim().startsWith(fence === "other" ? "```" : fence)) {
      fence = undefined;
      return;
    }
    if (fence !== undefined) {
      if (fence === "other") return;
      const text = raw.trim().replace(/^\$\s+/, "");
      if (isCommandText(text)) found.push({ file, line, text });
      return;
    }
    for (const span of raw.matchAll(/`([^`]+)`/g)) {
      if (isCommandText(span[1]) && /\s/.test(span[1])) found.push({ file, line, text: span[1] });
    }
  });
  return found;
}

/** `org-s3-backup verify ...`, but not output quoted in the docs (`org-s3-backup up: nothing was changed`). */
function isCommandText(text: string): boolean {
  return /^(npx\s+)?org-s3-backup(\s|$)/.test(text) && !/^(npx\s+)?org-s3-backup\s+\S+:(\s|$)/.test(text);
}

/** Shell words of a line, quotes removed; `#` comments dropped; operators (`|`, `&&`, `>`...) as words. */
function shellWords(text: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else word = (word ?? "") + c;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= "";
    } else if (c === "#" && word === undefined) {
      break;
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if ((c === "|" || c === "&" || c === ";") && word === undefined) {
      const operator = text.slice(i, i + 2) === `${c}${c}` ? `${c}${c}` : c;
      words.push(operator);
      i += operator.length - 1;
    } else word = (word ?? "") + c;
  }
  if (word !== undefined) words.push(word);
  return words;
}

/**
 * The argument vectors a documented line stands for: a synopsis's optional parts (`[--json]`) are all
 * included, `...` dropped, alternatives of commands (`preview | up`) each checked; a shell pipe, `&&` and
 * redirections end the command. undefined: a line about the CLI in general (`org-s3-backup …`).
 */
function argvOf(text: string, commands: readonly string[]): string[][] | undefined {
  const words = shellWords(text);
  if (words[0] === "npx") words.shift();
  words.shift(); // org-s3-backup
  const end = words.findIndex((w) => w === "&&" || w === "||" || w === ";");
  const command = end === -1 ? words : words.slice(0, end);
  // Split at `|` outside brackets: command alternatives, or a pipe into another program.
  const segments: string[][] = [[]];
  let depth = 0;
  for (const word of command) {
    depth += (word.match(/\[/g) ?? []).length;
    if (word === "|" && depth === 0) segments.push([]);
    else if (word !== "|") segments[segments.length - 1].push(word);
    depth -= (word.match(/\]/g) ?? []).length;
  }
  const clean = (segment: string[]) => {
    const argv: string[] = [];
    for (let i = 0; i < segment.length; i++) {
      const word = segment[i];
      if (/^\d*>{1,2}&?\d*$|^<$/.test(word)) {
        if (!/&\d$/.test(word)) i++; // `> file`: skip the target too
        continue;
      }
      if (/^\d*>/.test(word)) continue; // `>file`, `2>&1`
      const bare = word.replace(/^\[+/, "").replace(/\]+$/, "");
      if (bare === "" || bare === "..." || bare === "…") continue;
      argv.push(bare);
    }
    return argv;
  };
  const [first, ...rest] = segments.map(clean);
  if (first.length === 0 || /^(<.*>|…|\.\.\.)$/.test(first[0])) return undefined;
  const alternatives = rest.every((segment) => segment.length === 1 && commands.includes(segment[0])) ? rest : [];
  return [first, ...alternatives];
}

function silentIo() {
  let err = "";
  const stderr = new PassThrough().on("data", (chunk: Buffer) => (err += chunk.toString()));
  return { io: { stdout: new PassThrough(), stderr, env: {}, cwd: REPO }, err: () => err };
}

/** Why a documented command line does not parse, or undefined when it does. */
async function parseProblem(argv: string[]): Promise<string | undefined> {
  const { io, err } = silentIo();
  const outcome = await parseArgumentsOnly(() => main(argv, io));
  if (outcome.parsed) return undefined;
  // --help and --version answer without parsing the rest: exit 0 is fine.
  if (outcome.exitCode === 0 && (argv.includes("--help") || argv.includes("-h") || argv[0] === "--version"))
    return undefined;
  return `exit ${outcome.exitCode}: ${err().trim().split("\n")[0] || "(the command ran without parsing its arguments)"}`;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, "")
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");
}

function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const counts = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = !fenced && /^#{1,6}\s+(.*?)\s*#*$/.exec(line);
    if (!heading) continue;
    const base = headingAnchor(heading[1]);
    const seen = counts.get(base) ?? 0;
    anchors.add(seen === 0 ? base : `${base}-${seen}`);
    counts.set(base, seen + 1);
  }
  return anchors;
}

/** Relative link targets of a Markdown file (inline links and images), outside code. */
function relativeLinks(markdown: string): { line: number; target: string }[] {
  const links: { line: number; target: string }[] = [];
  let fenced = false;
  markdown.split("\n").forEach((raw, index) => {
    if (/^\s*(```|~~~)/.test(raw)) fenced = !fenced;
    if (fenced) return;
    const text = raw.replace(/`[^`]*`/g, "");
    for (const match of text.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = match[1];
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
      links.push({ line: index + 1, target });
    }
  });
  return links;
}

describe("docs: command lines and links", () => {
  const commands = commandNames();
  const texts = new Map(DOCS.map((file) => [file, readFileSync(path.join(REPO, file), "utf8")]));

  it("finds the documented command lines (the check below is not vacuous)", () => {
    const lines = DOCS.flatMap((file) => commandLines(file, texts.get(file) ?? ""));
    expect(lines.length).to.be.greaterThan(20);
    expect(lines.some((l) => l.file === "README.md")).to.equal(true);
  });

  it("every org-s3-backup command line in README.md and docs/*.md parses with the CLI's own parser", async () => {
    const failures: string[] = [];
    for (const file of DOCS) {
      for (const { line, text } of commandLines(file, texts.get(file) ?? "")) {
        for (const argv of argvOf(text, commands) ?? []) {
          const problem = await parseProblem(argv);
          if (problem) failures.push(`${file}:${line}: \`${text}\` -> ${problem}`);
        }
      }
    }
    expect(failures, failures.join("\n")).to.deep.equal([]);
  });

  it("every relative link (file and #anchor) resolves", () => {
    const failures: string[] = [];
    for (const file of DOCS) {
      for (const { line, target } of relativeLinks(texts.get(file) ?? "")) {
        const [pathPart, anchor] = target.split("#", 2);
        const resolved =
          pathPart === "" ? path.join(REPO, file) : path.resolve(path.dirname(path.join(REPO, file)), pathPart);
        if (!existsSync(resolved)) {
          failures.push(`${file}:${line}: ${target} -> no such file`);
          continue;
        }
        if (anchor && resolved.endsWith(".md") && !anchorsOf(readFileSync(resolved, "utf8")).has(anchor))
          failures.push(`${file}:${line}: ${target} -> no heading with that anchor`);
      }
    }
    expect(failures, failures.join("\n")).to.deep.equal([]);
  });

  it("every Markdown file a doc names in its text (docs/driver.md, design.md) exists", () => {
    const failures: string[] = [];
    for (const file of DOCS) {
      (texts.get(file) ?? "").split("\n").forEach((raw, index) => {
        const text = raw.replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, "");
        for (const match of text.matchAll(/(?<![\w./:-])((?:[\w-]+\/)*[\w-]+\.md)\b/g)) {
          const name = match[1];
          const here = path.resolve(path.dirname(path.join(REPO, file)), name);
          if (!existsSync(here) && !existsSync(path.join(REPO, name)))
            failures.push(`${file}:${index + 1}: ${name} does not exist`);
        }
      });
    }
    expect(failures, failures.join("\n")).to.deep.equal([]);
  });
});

describe("docs: what the README promises every command", () => {
  it("every registered command takes --json (README: every command takes --json and the exit codes)", async () => {
    const refusing: string[] = [];
    for (const name of commandNames()) {
      // A command with a subcommand (`iam deployer`) shows it in its usage line.
      let help = "";
      const stdout = new PassThrough().on("data", (c: Buffer) => (help += c.toString()));
      await main([name, "--help"], { ...silentIo().io, stdout });
      const sub = /^Usage: org-s3-backup \S+ ([a-z][\w-]*)/m.exec(help)?.[1];
      const argv = sub === undefined ? [name, "--json"] : [name, sub, "--json"];
      const problem = await parseProblem(argv);
      if (problem) refusing.push(`${argv.join(" ")}: ${problem}`);
    }
    expect(refusing, refusing.join("\n")).to.deep.equal([]);
  });

  it("up --help says how a source stack gets the central key (a StackReference, no stack config), no alarm topic", () => {
    const help = upCommand.help.replace(/\s+/g, " ");
    expect(help).to.contain(
      "Each source stack reads the central KMS key ARN from the central stack itself (a StackReference",
    );
    expect(help).to.contain("No stack config is written.");
    expect(help).to.not.match(/alarm topic ARN\)? become/);
  });
});

describe("docs test: its own parsing", () => {
  const commands = ["preview", "up", "destroy", "verify"];

  it("reads synopses, alternatives, pipes and comments", () => {
    expect(argvOf("org-s3-backup verify [--accounts ID,ID] [--timeout 15m] [--json]", commands)).to.deep.equal([
      ["verify", "--accounts", "ID,ID", "--timeout", "15m", "--json"],
    ]);
    expect(argvOf("org-s3-backup preview | up | destroy", commands)).to.deep.equal([["preview"], ["up"], ["destroy"]]);
    expect(argvOf("org-s3-backup up 2>&1 | head -20   # a pipe", commands)).to.deep.equal([["up"]]);
    expect(argvOf('npx org-s3-backup up --accounts "1 2" > out.txt && echo done', commands)).to.deep.equal([
      ["up", "--accounts", "1 2"],
    ]);
    expect(argvOf("org-s3-backup …", commands)).to.equal(undefined);
  });

  it("fails a line with an unknown command or option, and one with a stray positional", async () => {
    expect(await parseProblem(["verfiy"])).to.match(/unknown command 'verfiy'; did you mean 'verify'\?/);
    expect(await parseProblem(["verify", "--acounts", "1"])).to.match(/did you mean --accounts\?/);
    expect(await parseProblem(["backfill", "<accountId>/"])).to.match(/^exit 2: /);
    expect(await parseProblem(["verify", "--accounts", "111111111111", "--json"])).to.equal(undefined);
  });

  it("finds code-block lines and inline spans, and GitHub's heading anchors", () => {
    const markdown = [
      "Run `org-s3-backup up --prune` then: (it says `org-s3-backup up: nothing was changed`)",
      "```sh",
      "$ org-s3-backup verify   # prove it",
      "```",
      "```yaml",
      "org-s3-backup up: not a command line",
      "```",
    ].join("\n");
    expect(commandLines("x.md", markdown).map((l) => `${l.line} ${l.text}`)).to.deep.equal([
      "1 org-s3-backup up --prune",
      "3 org-s3-backup verify   # prove it",
    ]);
    expect(headingAnchor("The restore drill (verify -> restore)")).to.equal("the-restore-drill-verify---restore");
    expect(headingAnchor("`render --out` and CI")).to.equal("render---out-and-ci");
  });
});
