import type { LineIndex, PathSegment, Position, ProblemLocator, Target } from "./locate";
import type { PlainPositions, Span } from "./plain-yaml";

/**
 * Locates problems in a plain document (config/plain-yaml.ts) as `Locator` does in the yaml library's
 * document, from the positions the plain reader recorded: a path that stops early points at the deepest
 * node that exists, `key:` with nothing after it at its key. tests/config/plain-locate.test.ts compares
 * the two on generated documents.
 */
export class PlainLocator implements ProblemLocator {
  constructor(
    private readonly document: PlainPositions,
    private readonly lines: LineIndex,
    private readonly text: string,
  ) {}

  position(path: readonly PathSegment[], target: Target = "value"): Position {
    return this.lines.position(this.node(path, target).span.start);
  }

  sourceText(path: readonly PathSegment[]): string | undefined {
    const { span, scalar } = this.node(path, "value");
    return scalar ? this.text.slice(span.start, span.end) : undefined;
  }

  private node(path: readonly PathSegment[], target: Target): { span: Span; scalar: boolean } {
    let value = this.document.value;
    let span: Span = { start: this.document.start, end: this.document.start };
    for (let i = 0; i < path.length; i++) {
      if (value === null || typeof value !== "object") return { span, scalar: true };
      const segment = path[i];
      // `[]` and `{}` are collections the reader keeps no entries for.
      const entries = this.document.collections.get(value)?.entries;
      if (Array.isArray(value)) {
        const entry = typeof segment === "number" && Array.isArray(entries) ? entries[segment] : undefined;
        if (entry?.value === undefined) return { span, scalar: false };
        span = entry.value;
        value = value[segment as number];
      } else {
        const entry = entries instanceof Map ? entries.get(String(segment)) : undefined;
        if (entry?.key === undefined) return { span, scalar: false };
        if ((i === path.length - 1 && target === "key") || entry.value === undefined)
          return { span: entry.key, scalar: true };
        span = entry.value;
        value = (value as Record<string, unknown>)[String(segment)];
      }
    }
    return { span, scalar: value === null || typeof value !== "object" };
  }
}
