import { readFile } from "node:fs/promises";
import * as path from "node:path";
import { isAlias, parseDocument, visit, type Document } from "yaml";
import type { z } from "zod";
import { describePath, LineIndex, Locator, type PathSegment, type ProblemLocator, quoted, shown } from "./locate";
import { PlainLocator } from "./plain-locate";
import { readPlainYaml } from "./plain-yaml";
import { inventoryFileSchema } from "./schema";
import { bareExistingBucketMessage, checkSections, type Issue, type Sections } from "./semantics";
import { didYouMean } from "./suggest";
import type { Inventory } from "./types";
import {
  aliasProblem,
  normalizeLineBreaks,
  plainStructureProblems,
  structureProblems,
  textProblems,
} from "./yaml-checks";

/** One thing wrong with the inventory, at the YAML node it is about. line/column 0: the whole file. */
export interface Problem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

export type LoadResult = { ok: true; inventory: Inventory } | { ok: false; problems: Problem[] };

/** `FILE:LINE:COL: message`, the form editors and terminals turn into links. */
export function formatProblem(problem: Problem): string {
  return problem.line > 0
    ? `${problem.file}:${problem.line}:${problem.column}: ${problem.message}`
    : `${problem.file}: ${problem.message}`;
}

/** How many problems are printed: the first ones in file order, then how many more there are. */
export const SHOWN_PROBLEMS = 50;

/** The problems as `FILE:LINE:COL: message` lines: the first `limit`, then one line counting the rest. */
export function formatProblems(problems: readonly Problem[], limit = SHOWN_PROBLEMS): string[] {
  const lines = problems.slice(0, limit).map(formatProblem);
  const rest = problems.length - lines.length;
  if (rest > 0)
    lines.push(`... and ${rest} more problem${rest === 1 ? "" : "s"}, not shown: fix these first and run again`);
  return lines;
}

/** File order: line, column, then message, so that two runs print the same lines in the same order. */
export function compareProblems(a: Problem, b: Problem): number {
  return a.line - b.line || a.column - b.column || (a.message < b.message ? -1 : a.message > b.message ? 1 : 0);
}

/** Reads and validates an inventory file. Never throws for bad input: every problem is in the result. */
export async function loadInventory(file: string): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    return {
      ok: false,
      problems: [{ file, line: 0, column: 0, message: `cannot read the inventory: ${readError(error)}` }],
    };
  }
  return parseInventory(text, file);
}

function readError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file (pass --inventory PATH, or run from the repository root)";
  if (code === "EISDIR") return "it is a directory, not a YAML file";
  if (code === "EACCES") return "permission denied";
  return error instanceof Error ? error.message : String(error);
}

/**
 * Parses and validates inventory text; `file` is only used in messages and as the inventory's sourcePath.
 * `plainReader: false` reads every file with the yaml library (tests compare the two ways).
 */
export function parseInventory(input: string, file: string, { plainReader = true } = {}): LoadResult {
  // Lone CRs (old Mac line endings) become LFs at the same offsets: lines are counted as YAML counts them.
  const text = normalizeLineBreaks(input);
  const lines = new LineIndex(text);
  const at = (offset: number, message: string): Problem => ({ file, ...lines.position(offset), message });
  const notText = textProblems(text);
  if (notText.length > 0) return failed(notText.map((problem) => at(problem.offset, problem.message)));
  const read = (plainReader ? readPlain(text, lines, at) : undefined) ?? readWithLibrary(text, lines, at);
  return "problems" in read ? failed(read.problems) : validate(read, file);
}

function failed(problems: Problem[]): LoadResult {
  return { ok: false, problems: problems.sort(compareProblems) };
}

/** The document's value, and where to find a path in the file (built on first use: a valid file needs none). */
interface ReadDocument {
  readonly raw: unknown;
  readonly locator: () => ProblemLocator;
}

/**
 * Plain YAML (config/plain-yaml.ts), the form nearly every inventory has, is read without the yaml
 * library's document of positioned nodes: a 4.8 MB inventory of 95,000 accounts took 4 s with it. The
 * plain reader records where each part is as it reads (cheaper than a second read for a problem).
 */
function readPlain(
  text: string,
  lines: LineIndex,
  at: (offset: number, message: string) => Problem,
): ReadDocument | { problems: Problem[] } | undefined {
  const plain = readPlainYaml(text);
  if (plain === undefined) return undefined;
  if ("syntaxErrors" in plain)
    return { problems: plain.syntaxErrors.map((error) => syntaxProblem(at, error.offset, error.message)) };
  if (plain.repeated.length > 0) {
    const repeated = plainStructureProblems(plain, (offset) => lines.position(offset).line);
    return { problems: repeated.map((problem) => at(problem.offset, problem.message)) };
  }
  const expanded = plain.firstAlias === undefined ? undefined : aliasProblem(plain.value, text.length);
  if (expanded !== undefined) return { problems: [at(plain.firstAlias ?? 0, `YAML: ${expanded}`)] };
  let locator: PlainLocator | undefined;
  return {
    raw: plain.value,
    locator: () => {
      locator ??= new PlainLocator(plain, lines, text);
      return locator;
    },
  };
}

/** Everything else: the yaml library, which also reports syntax errors, keys given twice, aliases gone wrong. */
function readWithLibrary(
  text: string,
  lines: LineIndex,
  at: (offset: number, message: string) => Problem,
): ReadDocument | { problems: Problem[] } {
  // Merge keys (`<<: *anchor`) are resolved. Keys given twice are found by structureProblems, in one pass:
  // yaml's own uniqueKeys compares every pair of keys of a mapping.
  const document = parseDocument(text, { prettyErrors: false, uniqueKeys: false, merge: true });
  if (document.errors.length > 0) {
    return { problems: document.errors.map((error) => syntaxProblem(at, error.pos[0], error.message)) };
  }
  const structure = structureProblems(document, (offset) => lines.position(offset).line);
  if (structure.length > 0) return { problems: structure.map((problem) => at(problem.offset, problem.message)) };
  let raw: unknown;
  const aliasAt = firstAliasOffset(document);
  try {
    // The library's own guard (maxAliasCount: 100) refuses an anchor used more than 100 times, which an
    // inventory may well do (`<<: *common` in each account): aliasProblem bounds what aliases expand to.
    raw = document.toJS({ maxAliasCount: -1 });
  } catch (error) {
    // Aliases are resolved here: an unknown anchor.
    return { problems: [at(aliasAt ?? 0, `YAML: ${shown(firstLine((error as Error).message), 160)}`)] };
  }
  const expanded = aliasAt === undefined ? undefined : aliasProblem(raw, text.length);
  if (expanded !== undefined) return { problems: [at(aliasAt ?? 0, `YAML: ${expanded}`)] };
  if (raw === null || raw === undefined) {
    return {
      problems: [
        at(0, "the inventory is empty; it needs organization, central, defaults and accounts (see docs/inventory.md)"),
      ],
    };
  }
  const locator = new Locator(document, lines, text);
  return { raw, locator: () => locator };
}

/** A syntax error as the yaml library words it, its first line. */
function syntaxProblem(at: (offset: number, message: string) => Problem, offset: number, message: string): Problem {
  return at(offset, `YAML syntax: ${shown(firstLine(message), 160)}`);
}

function validate({ raw, locator }: ReadDocument, file: string): LoadResult {
  const whole = inventoryFileSchema.safeParse(raw);
  const issues: Issue[] = whole.success
    ? []
    : whole.error.issues.flatMap((issue) => describeIssue(issue, raw, locator()));
  const sections: Sections = whole.success
    ? { ...whole.data, accountIds: whole.data.accounts.map((account) => account.id), complete: true }
    : wellFormedSections(raw, failedAccounts(whole.error.issues));
  const checked = checkSections(sections, path.resolve(file), (p) => locator().position(p).line);
  issues.push(...checked.issues);

  if (issues.length === 0 && checked.inventory) return { ok: true, inventory: checked.inventory };
  const problems = issues.map((issue) => ({
    file,
    ...locator().position(issue.path, issue.target),
    message: issue.message,
  }));
  return failed(problems);
}

function firstAliasOffset(document: Document): number | undefined {
  let offset: number | undefined;
  visit(document, (_, node) => {
    if (isAlias(node)) {
      offset = node.range?.[0] ?? 0;
      return visit.BREAK;
    }
    return undefined;
  });
  return offset;
}

function firstLine(message: string): string {
  return message.split("\n")[0];
}

/** Indexes of the `accounts` entries zod already refused: they need not be parsed a second time. */
function failedAccounts(issues: readonly z.core.$ZodIssue[]): ReadonlySet<number> {
  const failed = new Set<number>();
  for (const issue of issues)
    if (issue.path[0] === "accounts" && typeof issue.path[1] === "number") failed.add(issue.path[1]);
  return failed;
}

function wellFormedSections(raw: unknown, failed: ReadonlySet<number>): Sections {
  const parts = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  const accounts: unknown[] = Array.isArray(parts.accounts) ? parts.accounts : [];
  const account = inventoryFileSchema.shape.accounts.element;
  return {
    organization: inventoryFileSchema.shape.organization.safeParse(parts.organization).data,
    central: inventoryFileSchema.shape.central.safeParse(parts.central).data,
    defaults: inventoryFileSchema.shape.defaults.safeParse(parts.defaults).data,
    accounts: accounts.map((entry, index) => (failed.has(index) ? undefined : account.safeParse(entry).data)),
    ignore: Array.isArray(parts.ignore)
      ? parts.ignore.map((entry) => inventoryFileSchema.shape.ignore.unwrap().element.safeParse(entry).data)
      : undefined,
    accountIds: accounts.map(
      (entry) =>
        inventoryFileSchema.shape.accounts.element.shape.id.safeParse((entry as { id?: unknown } | null)?.id).data,
    ),
    complete: false,
  };
}

function valueAt(raw: unknown, segments: readonly PathSegment[]): unknown {
  let value = raw;
  for (const segment of segments) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<PathSegment, unknown>)[segment];
  }
  return value;
}

function describeValue(value: unknown): string {
  if (value === null) return "nothing (null)";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `the string ${quoted(value)}`;
  return `the ${typeof value} ${String(value)}`;
}

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  boolean: "true or false",
  object: "a mapping (key: value lines)",
  record: "a mapping (key: value lines)",
  array: "a list (- item lines)",
};

/** The keys zod allows in the object at `segments` (for "did you mean"). */
function allowedKeys(segments: readonly PathSegment[]): string[] {
  let schema = unwrap(inventoryFileSchema);
  for (const segment of segments) {
    const def = schema._zod.def as {
      type: string;
      shape?: Record<string, z.ZodType>;
      element?: z.ZodType;
      valueType?: z.ZodType;
    };
    const next =
      def.type === "object"
        ? def.shape?.[segment]
        : def.type === "array"
          ? def.element
          : def.type === "record"
            ? def.valueType
            : undefined;
    if (!next) return [];
    schema = unwrap(next);
  }
  const def = schema._zod.def as { type: string; shape?: Record<string, unknown> };
  return def.type === "object" && def.shape ? Object.keys(def.shape) : [];
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    const def = current._zod.def as { type: string; innerType?: z.ZodType; in?: z.ZodType };
    if (def.innerType) current = def.innerType;
    else if (def.type === "pipe" && def.in) current = def.in;
    else return current;
  }
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown, locator: ProblemLocator): Issue[] {
  const segments = issue.path.filter((segment): segment is PathSegment => typeof segment !== "symbol");
  const where = describePath(segments);
  const value = valueAt(raw, segments);
  // `key:` with nothing after it: YAML reads null, which every key refuses.
  if (value === null && issue.code !== "unrecognized_keys")
    return [{ path: segments, message: `${where}: no value given` }];
  switch (issue.code) {
    case "unrecognized_keys": {
      const allowed = allowedKeys(segments);
      return issue.keys.map((key) => ({
        path: [...segments, key],
        target: "key" as const,
        message: `${where}: unknown key \`${shown(key)}\`${didYouMean(key, allowed)}`,
      }));
    }
    case "invalid_type": {
      if (value === undefined) return [missingKey(segments, raw)];
      if (issue.expected === "object" && typeof value === "string" && segments.at(-1) === "existingBucket")
        return [
          { path: segments, message: bareExistingBucketMessage(where, shown(value), accountIdAt(raw, segments)) },
        ];
      if (issue.expected === "string" && typeof value === "number")
        return [{ path: segments, message: unquotedNumber(segments, where, value, locator) }];
      // A number zod still refuses: not whole (its own message says what it wants), or 1e400 / .nan.
      if ((issue.expected === "number" || issue.expected === "int") && typeof value === "number") {
        const message = Number.isFinite(value)
          ? issue.message
          : `${shown(locator.sourceText(segments) ?? String(value))} is ` +
            `${Number.isNaN(value) ? "not a number" : "too large a number to use"}`;
        return [{ path: segments, message: `${where}: ${message}` }];
      }
      if (issue.expected === "object" && segments[0] === "ignore" && segments.length === 2)
        return [
          {
            path: segments,
            message:
              `${where}: an ignored account is a mapping; ` +
              `write - id: ${quoted(String(value))} (and optionally reason: ...)`,
          },
        ];
      const unquote =
        issue.expected === "boolean" && (value === "true" || value === "false") ? "; remove the quotes" : "";
      return [
        {
          path: segments,
          message:
            `${where}: expected ${EXPECTED[issue.expected] ?? issue.expected}, ` +
            `got ${describeValue(value)}${unquote}`,
        },
      ];
    }
    case "invalid_value": {
      // A required enum key that is absent (`keys:` of an adopted bucket, `mode:` of objectLock).
      if (value === undefined) return [missingKey(segments, raw)];
      const options = issue.values.map(String);
      const choices = options.length <= 10 ? ` (one of ${options.join(", ")})` : "";
      const hint = typeof value === "string" ? didYouMean(value, options) : "";
      const what = segments[segments.length - 1] === "region" ? "unknown region" : "not allowed:";
      return [
        {
          path: segments,
          message:
            `${where}: ${what} ` +
            `${typeof value === "string" ? quoted(value) : shown(String(JSON.stringify(value)))}${choices}${hint}`,
        },
      ];
    }
    case "invalid_key":
      return [{ path: segments, target: "key", message: `${where}: ${issue.issues[0]?.message ?? issue.message}` }];
    case "too_small":
      if (typeof value === "string" && value.length === 0)
        return [{ path: segments, message: `${where}: must not be empty` }];
      return [{ path: segments, message: `${where}: ${issue.message}` }];
    default:
      return [{ path: segments, message: `${where}: ${issue.message}` }];
  }
}

function missingKey(segments: readonly PathSegment[], raw: unknown): Issue {
  const parent = segments.slice(0, -1);
  const key = String(segments[segments.length - 1]);
  return {
    path: parent,
    message: `${describePath(parent)}: missing required key \`${key}\`${missingKeyHint(parent, key, raw)}`,
  };
}

/** The id of the account a path inside `accounts[i]` belongs to, when it is a string. */
function accountIdAt(raw: unknown, segments: readonly PathSegment[]): string | undefined {
  if (segments[0] !== "accounts" || typeof segments[1] !== "number") return undefined;
  const id = valueAt(raw, ["accounts", segments[1], "id"]);
  return typeof id === "string" ? id : undefined;
}

/** What a required key means, where the bare "missing" would leave people guessing. */
function missingKeyHint(parent: readonly PathSegment[], key: string, raw: unknown): string {
  if (parent.at(-1) !== "existingBucket" || key !== "keys") return "";
  const prefix = `${accountIdAt(raw, parent) ?? "<accountId>"}/`;
  return (
    ` (under-account-prefix: every object is under ${prefix}; ` +
    `partial: objects outside ${prefix} exist and are NOT backed up)`
  );
}

/** YAML reads unquoted digits as a number: an account id loses its leading zeros, a tag becomes a number. */
function unquotedNumber(
  segments: readonly PathSegment[],
  where: string,
  value: number,
  locator: ProblemLocator,
): string {
  const written = shown(locator.sourceText(segments) ?? String(value));
  const key = String(segments[segments.length - 1]);
  if (key === "id") {
    const lost =
      written !== String(value)
        ? ` (YAML reads it as the number ${value}${/^0/.test(written) ? " and drops the leading zero" : ""})`
        : " (YAML reads it as a number)";
    return `${where}: account id ${written} must be quoted${lost}; write id: "${written}"`;
  }
  return `${where}: ${written} is a number to YAML; quote it: ${key}: "${written}"`;
}
