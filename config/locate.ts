import { isMap, isScalar, isSeq, type Document, type Node } from "yaml";

export type PathSegment = string | number;

/** Which part of the YAML to point at: the value itself, or (for an unknown key) the key. */
export type Target = "value" | "key";

export interface Position {
  readonly line: number;
  readonly column: number;
}

/** `accounts[3].replication.metrics`: a path as people read it in messages. */
export function describePath(path: readonly PathSegment[]): string {
  const text = path.reduce<string>(
    (joined, segment) =>
      typeof segment === "number" ? `${joined}[${segment}]` : joined ? `${joined}.${segment}` : segment,
    "",
  );
  return text || "the file";
}

/**
 * Line and column (1-based) of an offset. yaml's own LineCounter only learns the line breaks the parser
 * passes as newline tokens, so after a syntax error (a scalar that swallowed a line break) its lines
 * drift; counting the text's line breaks ourselves is exact, and only done when there are problems.
 */
export class LineIndex {
  private starts: number[] | undefined;

  constructor(private readonly text: string) {}

  position(offset: number): Position {
    this.starts ??= lineStarts(this.text);
    const starts = this.starts;
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (starts[middle] <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: offset - starts[low] + 1 };
  }
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let index = text.indexOf("\n"); index !== -1; index = text.indexOf("\n", index + 1)) starts.push(index + 1);
  return starts;
}

/**
 * Finds the YAML node at a zod/semantic path and returns its position. Walks only the path (a map
 * lookup and a list index per segment), so locating each problem costs O(depth), and nothing is indexed
 * when the inventory is valid. A path that stops early (a missing key) points at the deepest node that
 * exists, which is the parent mapping.
 */
export class Locator {
  constructor(
    private readonly document: Document,
    private readonly lines: LineIndex,
    private readonly text: string,
  ) {}

  position(path: readonly PathSegment[], target: Target = "value"): Position {
    const node = this.node(path, target);
    const offset = node?.range?.[0] ?? 0;
    return this.lines.position(offset);
  }

  /** The text of the node as written (to show `012345678901` rather than the number YAML made of it). */
  sourceText(path: readonly PathSegment[]): string | undefined {
    const node = this.node(path, "value");
    if (!node?.range || !isScalar(node)) return undefined;
    return this.text.slice(node.range[0], node.range[1]);
  }

  private node(path: readonly PathSegment[], target: Target): Node | undefined {
    let current = this.document.contents as Node | null;
    if (!current) return undefined;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i];
      const last = i === path.length - 1;
      if (isMap(current)) {
        const pair = current.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
        if (!pair) return current;
        if (last && target === "key") return pair.key as Node;
        // `key:` with nothing after it: point at the key, the value has no position of its own.
        const value = pair.value as Node | null;
        if (!value || (isScalar(value) && value.value === null && value.range?.[0] === value.range?.[1]))
          return pair.key as Node;
        current = value;
      } else if (isSeq(current) && typeof segment === "number") {
        const item = current.items[segment] as Node | undefined;
        if (!item) return current;
        current = item;
      } else {
        return current;
      }
    }
    return current;
  }
}
