import fc from "fast-check";
import { parseDocument } from "yaml";
import { structureProblems } from "../../config/yaml-checks";

/**
 * Generated YAML documents with the scalars, keys and layouts where config/plain-yaml.ts and the yaml
 * library could part: YAML 1.2's core-schema words and numbers, indicators, comments, quotes, odd
 * indentation, CRLF, tabs. Most are plain, so that the fast reader answers often.
 */

const SCALARS = [
  ...["x", "hello world", "payments-prod", "a:b", "http://x/y", "arn:aws:iam::111111111111:role/a/B"],
  ...["acme-data-{accountId}", "a,b", "(x)", "$x", "a=b", "~x", "x~", "a-", "-x", "x.y", "a/b", "@x", "x@y"],
  ...["a: b", "a:", "::", "a #c", "a#b", "a  # c", "#c", "- x", "-", "?x", "? x", "`x", "%x", "!x", "&a x", "*a"],
  ...["|", ">", "|-\n  a", "[]", "{}", "[ ]", "[a]", "{a: 1}", "x]", "x}", "[]x", "{}  # c"],
  ...["~", "null", "Null", "NULL", "nUll", "true", "True", "TRUE", "tRue", "false", "FALSE", "yes", "no", "on"],
  ...["0", "-0", "+5", "012", "007", "123456789012", "99999999999999999999", "0o17", "0o8", "0x1F", "0xG", "0b1"],
  ...["1.5", "1.", ".5", "-.5", "1e3", "1E-3", "+1.5e+10", ".inf", "-.Inf", "+.INF", ".nan", ".NaN", "inf", "nan"],
  ...["12abc", "2024-01-01", "1_000", "1,000", "1.2.3", "untrue", "trueish", "xFALSE", "falsey", "nullable", "~~"],
  // Unicode spaces are content in YAML, not white space.
  ...["x\u00A0", "\u00A0x", "x\u3000", '"x"\u00A0', "'x'\u2028", "x\u2028y", "\uFEFFx", "x\u0085"],
  ...['"quoted"', '"with # hash"', '"a: b"', '""', '"esc\\n"', '"unterminated', '"x" # c', '"x"#c', '"x" y'],
  ...["'single'", "''", "'it''s'", "'unterminated", "'x' # c"],
  // Escapes YAML knows, and ones it does not.
  ...['"\\u00e9"', '"\\x41\\tB"', '"\\U0001F600"', '"a\\"b"', '"\\\\"', '"\\/"', '"\\q"', '"\\x4"', '"\\UFFFFFFFF"'],
  // Plain scalars over several lines (render() indents each line break), some only the library folds.
  ...["two\nlines", "x\ny\nz", "1\n2", "a\n\nb", "a\n- b", "a\nb: c"],
  // Tags: `!!str` the plain reader reads, the others are the library's.
  ...["!!str 012", "!!str x y # c", '!!str "q\\tz"', "!!str  true", "!!str", "!!str [x]", "!!int 1", "!x"],
  // Block scalars, their lines indented under the key or item (render() indents each line break).
  ...["|\nline one\n\nline two", ">\nfolded\ntext\n\nnext paragraph", "|-\nstripped\n  more indented", ">-\na\n\n\nb"],
  ...["|\n# not a comment\n", "|+\nkept\n\n", "|2\n  explicit", ">\na\n  more indented\nb", "|\n\n\nafter empty lines"],
  // Flow collections on one line, some only the library reads (an empty value, an empty entry).
  ...["[a, b]", "[a,b]", "[ a , b ]", "[arn:aws:kms:x:1:key/k, 'q']", '{"a":1}', "{a: 1, b: [c, d]}", "{a:1}"],
  ...[
    "[a, ]",
    "{a: 1,}",
    "[a,,b]",
    "[,]",
    "{a: }",
    "{a}",
    "[a: 1]",
    "[a b, c]",
    "[[], {}]",
    "{ a: 1 } # c",
    "[a]# c",
    "[a] x",
    "[a, [b, [c]]]",
  ],
];

const KEYS = [
  ...["a", "id", "name", "cost-center", "a.b", "x/y", "_k", "A1", "storageClass"],
  ...["null", "True", "false", "~", "1", "0x1", "1.5", "__proto__", "<<", "-a", "a b", "a#b", "#a", "a:b"],
  ...['"a"', '"a b"', '"#x"', '"x: y"', "'a'", "'q'", '"esc\\t"', '""', "? x", "[a]", "a "],
  ...["\u00A0a", "a\u00A0", "\u2028a", "a\u3000"],
  // YAML's limit for an implicit key is 1,024 characters, quotes included.
  ...[`k${"x".repeat(1023)}`, `k${"x".repeat(1024)}`, `"${"x".repeat(1022)}"`, `"${"x".repeat(1023)}"`],
];

const FRIENDLY_SCALARS = [
  "x",
  "hello world",
  "a:b",
  "acme-{accountId}",
  "~",
  "True",
  "-0",
  "+5",
  "012",
  '"q # r"',
  "'s'",
  "[]",
  "{}",
  "# nothing but a comment",
];
const FRIENDLY_KEYS = ["a", "id", "name", "cost-center", "a.b", "x/y", '"a"', "'q'", '"a b"', "undefined"];
const scalarText = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...FRIENDLY_SCALARS) },
  fc.constantFrom(...SCALARS),
);
const keyText = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...FRIENDLY_KEYS) }, fc.constantFrom(...KEYS));

export type Tree =
  | { kind: "scalar"; text: string }
  | { kind: "map"; entries: [string, Tree][] }
  | { kind: "seq"; items: Tree[] };

export const tree = fc.letrec<{ node: Tree }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalarText.map((text): Tree => ({ kind: "scalar", text })),
    fc
      .array(fc.tuple(keyText, tie("node")), { minLength: 1, maxLength: 4 })
      .map((entries): Tree => ({ kind: "map", entries })),
    fc.array(tie("node"), { minLength: 1, maxLength: 3 }).map((items): Tree => ({ kind: "seq", items })),
  ),
})).node;

interface Layout {
  readonly step: number;
  /** A list under a key starts at the key's own indentation. */
  readonly flushLists: boolean;
  readonly dashSpaces: number;
  readonly comments: boolean;
  readonly crlf: boolean;
  /** Mappings and lists below the top written as flow collections, on one line or on several. */
  readonly flow: "" | "one line" | "lines";
  readonly oddity:
    | ""
    | "tab"
    | "no-break space"
    | "bom"
    | "marker"
    | "blank lines"
    | "trailing spaces"
    | "comment lines";
}

export const layout: fc.Arbitrary<Layout> = fc.record({
  step: fc.integer({ min: 1, max: 4 }),
  flushLists: fc.boolean(),
  dashSpaces: fc.integer({ min: 1, max: 3 }),
  comments: fc.boolean(),
  crlf: fc.boolean(),
  flow: fc.constantFrom<Layout["flow"]>("", "", "one line", "lines"),
  oddity: fc.constantFrom<Layout["oddity"]>(
    ...(["", "", "", "", "", "", "tab", "no-break space", "bom", "marker"] as const),
    "blank lines",
    "trailing spaces",
    "comment lines",
  ),
});

/** A scalar's text with each line after the first indented by `indent` (a block scalar's lines; empty ones stay empty). */
function indentBreaks(text: string, indent: number): string {
  return text.replace(/\n(?=[^\n])/g, `\n${" ".repeat(indent)}`);
}

/** `node` as a flow collection or scalar; on several lines (indented by `indent`), or on one. */
function flowText(node: Tree, indent: number, lines: boolean): string {
  if (node.kind === "scalar") return node.text;
  const parts =
    node.kind === "seq"
      ? node.items.map((item) => flowText(item, indent + 2, lines))
      : node.entries.map(([key, child]) => `${key}: ${flowText(child, indent + 2, lines)}`);
  const [open, close] = node.kind === "seq" ? ["[", "]"] : ["{", "}"];
  if (!lines) return `${open}${parts.join(", ")}${close}`;
  const pad = " ".repeat(indent + 2);
  return `${open}\n${parts.map((part) => `${pad}${part}`).join(",\n")}\n${" ".repeat(indent)}${close}`;
}

export function render(node: Tree, style: Layout): string {
  const lines: string[] = [];
  const comment = (i: number) => (style.comments && i % 2 === 0 ? "  # note" : "");
  const write = (value: Tree, indent: number, prefix: string): void => {
    const pad = " ".repeat(indent);
    if (value.kind === "scalar") {
      lines.push(`${pad}${prefix}${indentBreaks(value.text, indent + prefix.length + 1)}${comment(lines.length)}`);
      return;
    }
    if (value.kind === "map") {
      value.entries.forEach(([key, child], index) => {
        const head = index === 0 ? `${pad}${prefix}` : " ".repeat(indent + prefix.length);
        const keyIndent = indent + prefix.length;
        if (child.kind === "scalar")
          lines.push(`${head}${key}: ${indentBreaks(child.text, keyIndent + style.step)}${comment(lines.length)}`);
        else if (style.flow !== "")
          lines.push(`${head}${key}: ${flowText(child, keyIndent, style.flow === "lines")}${comment(lines.length)}`);
        else {
          lines.push(`${head}${key}:${comment(lines.length)}`);
          const childIndent = child.kind === "seq" && style.flushLists ? keyIndent : keyIndent + style.step;
          write(child, childIndent, "");
        }
      });
      return;
    }
    const dash = `-${" ".repeat(style.dashSpaces)}`;
    for (const item of value.items) {
      if (prefix !== "") lines.push(`${pad}${prefix.trimEnd()}`);
      const itemPad = prefix !== "" ? indent + style.step : indent;
      if (item.kind === "seq") {
        lines.push(`${" ".repeat(itemPad)}-`);
        write(item, itemPad + style.step, "");
      } else write(item, itemPad, dash);
    }
  };
  write(node, 0, "");
  let text = lines.join("\n");
  if (style.oddity === "tab") text = text.replace(/\n( +)/, "\n\t$1");
  // A no-break space where indentation or a separating space would be: content to YAML.
  if (style.oddity === "no-break space") text = text.replace(/\n( +)/, "\n$1\u00A0").replace(/: /, ":\u00A0");
  if (style.oddity === "bom") text = `\uFEFF${text}`;
  if (style.oddity === "marker") text = `---\n${text}`;
  if (style.oddity === "blank lines") text = text.replace(/\n/g, "\n\n   \n");
  if (style.oddity === "trailing spaces") text = text.replace(/\n/g, "   \n");
  if (style.oddity === "comment lines") text = text.replace(/\n/g, "\n      # a comment line\n#\n");
  return `${style.crlf ? text.replace(/\n/g, "\r\n") : text}\n`;
}

/** The library's reading, when it reads `text` cleanly; undefined when it reports anything. */
export function libraryValue(text: string): { value: unknown } | undefined {
  const document = parseDocument(text, { prettyErrors: false, uniqueKeys: false, merge: true });
  if (document.errors.length > 0 || document.warnings.length > 0) return undefined;
  if (structureProblems(document, () => 0).length > 0) return undefined;
  return { value: document.toJS() };
}

/** A generated document's text: a mapping at the top half of the time, as an inventory is. */
export const yamlDocument: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(
      tree,
      tree.filter((node) => node.kind === "map"),
    ),
    layout,
  )
  .map(([node, style]) => render(node, style));
