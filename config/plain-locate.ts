import { type LineIndex, Locator, type PathSegment, type Position, type ProblemLocator, type Target } from "./locate";
import type { PlainPositions, Span } from "./plain-yaml";

/**
 * Locates problems in a plain document (config/plain-yaml.ts) as `Locator` does in the yaml library's
 * document, from the positions the plain reader recorded: a path that stops early points at the deepest
 * node that exists, `key:` with nothing after it at its key. Inside what an island gave (yaml-island.ts),
 * the island's own document and Locator take over. tests/config/plain-locate.test.ts compares the two on
 * generated documents.
 */
export class PlainLocator implements ProblemLocator {
  private readonly islandLocators = new WeakMap<object, Locator>();

  constructor(
    private readonly document: PlainPositions,
    private readonly lines: LineIndex,
    private readonly text: string,
  ) {}

  position(path: readonly PathSegment[], target: Target = "value"): Position {
    const found = this.node(path, target);
    return "island" in found ? found.island.position(found.path, target) : this.lines.position(found.span.start);
  }

  sourceText(path: readonly PathSegment[]): string | undefined {
    const found = this.node(path, "value");
    if ("island" in found) return found.island.sourceText(found.path);
    return found.scalar ? this.text.slice(found.span.start, found.span.end) : undefined;
  }

  private node(
    path: readonly PathSegment[],
    target: Target,
  ): { span: Span; scalar: boolean } | { island: Locator; path: PathSegment[] } {
    let value = this.document.value;
    let span: Span = { start: this.document.start, end: this.document.start };
    for (let i = 0; i < path.length; i++) {
      if (value === null || typeof value !== "object") return { span, scalar: true };
      const island = this.islandLocator(value);
      if (island) return { island: island.locator, path: [...island.path, ...path.slice(i)] };
      const segment = path[i];
      // `[]` and `{}` are collections the reader keeps no entries for.
      const entries = this.document.collections.get(value)?.entries;
      if (Array.isArray(value)) {
        const entry = typeof segment === "number" && Array.isArray(entries) ? entries[segment] : undefined;
        if (entry?.value === undefined) return { span, scalar: false };
        if (entry.alias) return { span: entry.value, scalar: false };
        span = entry.value;
        value = value[segment as number];
      } else {
        const entry = entries instanceof Map ? entries.get(String(segment)) : undefined;
        if (entry?.key === undefined) return { span, scalar: false };
        if ((i === path.length - 1 && target === "key") || entry.value === undefined)
          return { span: entry.key, scalar: true };
        // An alias is a node of its own: a path stops at it (Locator does not follow it either).
        if (entry.alias) return { span: entry.value, scalar: false };
        span = entry.value;
        value = (value as Record<string, unknown>)[String(segment)];
      }
    }
    return { span, scalar: value === null || typeof value !== "object" };
  }

  /** The Locator of the island that gave `value`, and the path to `value` in the island's document. */
  private islandLocator(value: object): { locator: Locator; path: readonly PathSegment[] } | undefined {
    const source = this.document.islands.get(value);
    if (source === undefined) return undefined;
    let locator = this.islandLocators.get(source.document);
    if (locator === undefined) {
      locator = new Locator(source.document, this.lines, this.text, source.base);
      this.islandLocators.set(source.document, locator);
    }
    return { locator, path: source.path };
  }
}
