import * as fs from "node:fs/promises";
import * as path from "node:path";
import { DEFAULT_INVENTORY_PATH } from "../../../infra/contract";
import { planStacks } from "../../driver/plan";
import { diffRenders } from "../../review/diff";
import { DEFAULT_MARKDOWN_OPTIONS, formatReviewMarkdown, formatReviewText } from "../../review/diff-format";
import { canonicalJson } from "../../review/canonical-json";
import { type RenderedStack, renderStacks } from "../../review/render";
import { type CommandArgs, defineCommand } from "../args";
import type { Command, Io } from "../command";
import { ExitCode } from "../exit-codes";
import { displayPath } from "../inventory-arg";
import { defaultRenderDeps, type RenderDeps } from "./render";

const OPTIONS = {
  base: { type: "string" },
  head: { type: "string" },
  markdown: { type: "boolean" },
  json: { type: "boolean" },
  open: { type: "string" },
  "max-chars": { type: "string" },
} as const;

const SUMMARY = "Show what a change does per stack against a base render (PR review, Markdown)";

const HELP = `Usage: org-s3-backup review --base DIR [options]

Shows what a change does, stack by stack: compares the current render (the program run on the current
inventory, as \`render\` does; no credentials) with a base render directory written by
\`render --out DIR\` on the target branch. Per stack: resources added, removed and changed (with each
changed input), and every policy statement added, removed or changed, before and after side by side.
Security-relevant changes come first and are marked: an Allow that grants new actions, resources or
principals or lost or relaxed a condition, a Deny removed or narrowed, protect/retainOnDelete removed,
a public-access block switched off, a provider assuming another role.

  git worktree add ../base origin/main && (cd ../base && npx org-s3-backup render --out /tmp/base-render)
  org-s3-backup review --base /tmp/base-render
  org-s3-backup review --base /tmp/base-render --markdown >> "$GITHUB_STEP_SUMMARY"

Options:
  --base DIR          Base render directory (central.json, account-<id>.json)
  --head DIR          Compare this render directory instead of rendering the current inventory
  --inventory PATH    Inventory file (default: ${DEFAULT_INVENTORY_PATH})
  --markdown          Markdown for a pull-request comment or $GITHUB_STEP_SUMMARY: totals and the
                      security-relevant changes on top, the first stacks open, the rest collapsed
  --open N            With --markdown: stacks shown open (default ${DEFAULT_MARKDOWN_OPTIONS.open})
  --max-chars N       With --markdown: size limit (default ${DEFAULT_MARKDOWN_OPTIONS.maxChars.toLocaleString("en-US")}; a PR comment takes 65,536)
  --json              The diff as JSON
  -h, --help          This help

Exit codes: 0 compared (read the output: security-relevant changes do not fail the command),
2 bad input (no base render, inventory). Details: docs/review.md.
`;

export function reviewCommand(deps: RenderDeps = defaultRenderDeps): Command {
  return defineCommand({ name: "review", summary: SUMMARY, help: HELP, options: OPTIONS }, runReview, deps);
}

export const command = reviewCommand();

const RENDER_FILE = /^(central|account-\d{12})\.json$/;

async function runReview(args: CommandArgs<typeof OPTIONS>, io: Io, deps: RenderDeps): Promise<number> {
  const { values, usage } = args;
  if (values.base === undefined) return usage("--base DIR is required (a directory written by `render --out DIR`)");
  if (values.markdown && values.json) return usage("--markdown and --json exclude each other");
  const open = values.open === undefined ? DEFAULT_MARKDOWN_OPTIONS.open : wholeNumber(values.open);
  if (open === undefined) return usage(`--open: '${values.open}' is not a whole number`);
  const maxChars =
    values["max-chars"] === undefined ? DEFAULT_MARKDOWN_OPTIONS.maxChars : wholeNumber(values["max-chars"]);
  if (maxChars === undefined || maxChars < 1000)
    return usage(`--max-chars: '${values["max-chars"]}' is not a number of at least 1000`);

  const baseDir = path.resolve(io.cwd, values.base);
  const base = await readRenders(baseDir);
  if (!base.ok) return usage(base.message);

  let head: RenderedStack[];
  let headLabel: string;
  if (values.head !== undefined) {
    const headDir = path.resolve(io.cwd, values.head);
    const read = await readRenders(headDir);
    if (!read.ok) return usage(read.message);
    head = read.stacks;
    headLabel = displayPath(headDir, io.cwd);
  } else {
    const inventory = await deps.loadInventory(args.inventoryPath, io);
    if (!inventory) return ExitCode.BadInput;
    head = await renderStacks(inventory, planStacks(inventory), deps.program());
    headLabel = `render of ${displayPath(args.inventoryPath, io.cwd)}`;
  }

  const diff = diffRenders(base.stacks, head);
  const labels = { base: displayPath(baseDir, io.cwd), head: headLabel };
  if (values.json) io.stdout.write(canonicalJson(diff));
  else if (values.markdown) io.stdout.write(formatReviewMarkdown(diff, labels, { open, maxChars }));
  else io.stdout.write(formatReviewText(diff, labels));
  return ExitCode.Ok;
}

function wholeNumber(text: string): number | undefined {
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

/** Every stack file of a render directory; a directory without one is refused (a typo must not read as "all added"). */
export async function readRenders(
  dir: string,
): Promise<{ ok: true; stacks: RenderedStack[] } | { ok: false; message: string }> {
  let files: string[];
  try {
    files = (await fs.readdir(dir)).filter((file) => RENDER_FILE.test(file)).sort();
  } catch (error) {
    return { ok: false, message: `cannot read render directory ${dir}: ${(error as Error).message}` };
  }
  if (files.length === 0) {
    return {
      ok: false,
      message: `${dir} holds no render (central.json, account-<id>.json): write one with \`org-s3-backup render --out ${dir}\``,
    };
  }
  const stacks: RenderedStack[] = [];
  for (const file of files) {
    const full = path.join(dir, file);
    try {
      const stack = JSON.parse(await fs.readFile(full, "utf8")) as RenderedStack;
      if (typeof stack?.stack !== "string" || !Array.isArray(stack.resources)) {
        return { ok: false, message: `${full} is not a rendered stack (no "stack" and "resources")` };
      }
      stacks.push(stack);
    } catch (error) {
      return { ok: false, message: `${full}: ${(error as Error).message}` };
    }
  }
  return { ok: true, stacks };
}
