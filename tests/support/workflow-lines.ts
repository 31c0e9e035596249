import * as path from "node:path";
import { parseDocument } from "yaml";

/**
 * The `org-s3-backup` command lines of a GitHub Actions workflow, as the runner would execute them: run
 * scripts split into shell commands (quotes, `&&`, `|`, `;`, subshells, redirections), `cd` and the step's
 * working-directory followed, `${{ matrix.X }}` expanded once per matrix combination. For
 * tests/cli/ci-example.test.ts.
 */

export interface CliLine {
  readonly job: string;
  readonly step: string;
  /** Working directory relative to the checkout (step working-directory, then `cd` in the script). */
  readonly cwd: string;
  /** Arguments after `org-s3-backup`, matrix expressions expanded. */
  readonly args: readonly string[];
  /** Flags named by a `# TODO(pending: ...)` comment right above the line. */
  readonly pending: readonly string[];
  /** The line as written in the workflow. */
  readonly source: string;
}

type Matrix = Record<string, readonly (string | number)[]>;

/** Every org-s3-backup invocation of a workflow, one per matrix combination. */
export function cliLines(text: string): CliLine[] {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new Error(`invalid YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
  const workflow = doc.toJS() as {
    jobs: Record<
      string,
      { strategy?: { matrix?: Matrix }; steps?: { name?: string; run?: string; "working-directory"?: string }[] }
    >;
  };
  const lines: CliLine[] = [];
  for (const [job, spec] of Object.entries(workflow.jobs)) {
    const combos = matrixCombos(spec.strategy?.matrix);
    for (const [i, step] of (spec.steps ?? []).entries()) {
      if (typeof step.run !== "string") continue;
      const name = step.name ?? `step ${i + 1}`;
      const logical = joinContinuations(step.run);
      logical.forEach((line, n) => {
        if (!/\borg-s3-backup\b/.test(line) || /^\s*#/.test(line)) return;
        const marker = /#\s*TODO\(pending:\s*([^)]+)\)/.exec(logical[n - 1] ?? "");
        const pending = marker ? marker[1].split(/[\s,]+/).filter(Boolean) : [];
        for (const combo of combos) {
          const expanded = line.replace(/\$\{\{\s*matrix\.(\w+)\s*\}\}/g, (_, key: string) => {
            if (!(key in combo)) throw new Error(`${job}/${name}: matrix.${key} is not in the job's matrix`);
            return String(combo[key]);
          });
          for (const command of commandsOf(expanded, step["working-directory"] ?? ".")) {
            if (command.words.some((w) => w.includes("${{"))) {
              throw new Error(
                `${job}/${name}: a GitHub expression in an org-s3-backup line cannot be checked: ${line.trim()}`,
              );
            }
            lines.push({ job, step: name, cwd: command.cwd, args: command.words, pending, source: line.trim() });
          }
        }
      });
    }
  }
  return lines;
}

function matrixCombos(matrix: Matrix | undefined): Record<string, string | number>[] {
  let combos: Record<string, string | number>[] = [{}];
  for (const [key, values] of Object.entries(matrix ?? {})) {
    if (!Array.isArray(values)) continue;
    combos = combos.flatMap((combo) => values.map((value) => ({ ...combo, [key]: value })));
  }
  return combos;
}

function joinContinuations(script: string): string[] {
  const out: string[] = [];
  let current = "";
  for (const raw of script.split("\n")) {
    if (raw.endsWith("\\")) current += `${raw.slice(0, -1)} `;
    else {
      out.push(current + raw);
      current = "";
    }
  }
  if (current) out.push(current);
  return out;
}

type Token = { op: string } | { word: string };

/** Shell words and operators of one line (quotes, `&&`, `||`, `|`, `;`, `(`, `)`, redirections). */
function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (/\s/.test(c)) {
      i += 1;
      continue;
    }
    if (c === "#") break;
    const op = /^(&&|\|\||2>&1|&>|>>|2>|[|;()<>])/.exec(line.slice(i));
    if (op) {
      tokens.push({ op: op[1] });
      i += op[1].length;
      continue;
    }
    let word = "";
    while (i < line.length && !/[\s|;()<>&]/.test(line[i])) {
      const q = line[i];
      if (q === "'" || q === '"') {
        const end = line.indexOf(q, i + 1);
        if (end < 0) throw new Error(`unbalanced quote in: ${line}`);
        word += line.slice(i + 1, end);
        i = end + 1;
      } else if (q === "\\") {
        word += line[i + 1] ?? "";
        i += 2;
      } else {
        word += q;
        i += 1;
      }
    }
    tokens.push({ word });
  }
  return tokens;
}

/** The org-s3-backup commands of a line, with the directory each runs in. */
function commandsOf(line: string, workingDirectory: string): { cwd: string; words: string[] }[] {
  const commands: { cwd: string; words: string[] }[] = [];
  const dirs = [workingDirectory];
  let words: string[] = [];
  const flush = () => {
    const start = words[0] === "npx" ? 1 : 0;
    if (words[start] === "org-s3-backup") commands.push({ cwd: dirs[dirs.length - 1], words: words.slice(start + 1) });
    if (words[0] === "cd" && words[1]) dirs[dirs.length - 1] = path.posix.join(dirs[dirs.length - 1], words[1]);
    words = [];
  };
  const tokens = tokenize(line);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if ("word" in token) words.push(token.word);
    else if ([">", ">>", "2>", "&>", "<"].includes(token.op))
      i += 1; // and its target
    else if (token.op === "2>&1") continue;
    else if (token.op === "(") dirs.push(dirs[dirs.length - 1]);
    else if (token.op === ")") {
      flush();
      dirs.pop();
    } else flush();
  }
  flush();
  return commands;
}
