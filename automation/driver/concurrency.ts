/** How many stacks run at once, and how many failures a run tolerates. Pure functions. */

/**
 * Memory one stack operation may take: the AWS provider process alone costs 170–430 MB, plus the
 * Pulumi CLI and the Node.js language host.
 */
export const MEMORY_PER_STACK_BYTES = 512 * 1024 * 1024;
/** Beyond this, AWS API throttling and the backend's write rate gain nothing from more parallelism. */
export const MAX_DEFAULT_CONCURRENCY = 8;

/**
 * Default concurrency: what free memory allows, at most two per CPU (the processes mostly wait on AWS),
 * at most MAX_DEFAULT_CONCURRENCY, at least 1. A 2-core runner with 6 GB free gets 4.
 */
export function defaultConcurrency(freeMemoryBytes: number, cpuCount: number): number {
  const byMemory = Math.floor(freeMemoryBytes / MEMORY_PER_STACK_BYTES);
  return Math.max(1, Math.min(byMemory, cpuCount * 2, MAX_DEFAULT_CONCURRENCY));
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

export function parseConcurrency(text: string): Parsed<number> {
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    return { ok: false, message: `--concurrency must be a whole number >= 1, got '${text}'` };
  }
  return { ok: true, value: Number(text) };
}

/** Failures tolerated before no new stack starts: a count, or a percentage of the stacks in the run. */
export type FailureTolerance =
  | { readonly kind: "count"; readonly count: number }
  | { readonly kind: "percent"; readonly percent: number };

/**
 * Default 10%: an isolated broken account (a missing role) does not stop the other 499, while a
 * systematic error (a bad policy fails everywhere) stops the run after a few accounts rather than
 * failing all of them. For fewer than 10 stacks this is 0: the first failure stops new work.
 */
export const DEFAULT_FAILURE_TOLERANCE: FailureTolerance = { kind: "percent", percent: 10 };

export function parseFailureTolerance(text: string): Parsed<FailureTolerance> {
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (percent) {
    const value = Number(percent[1]);
    return value <= 100
      ? { ok: true, value: { kind: "percent", percent: value } }
      : { ok: false, message: `--failure-tolerance percentage must be at most 100%, got '${text}'` };
  }
  if (/^\d+$/.test(text)) return { ok: true, value: { kind: "count", count: Number(text) } };
  return { ok: false, message: `--failure-tolerance must be a count (3) or a percentage (10%), got '${text}'` };
}

/** How many failures a run over `total` stacks tolerates; one more stops new work. */
export function toleratedFailures(tolerance: FailureTolerance, total: number): number {
  return tolerance.kind === "count" ? tolerance.count : Math.floor((tolerance.percent * total) / 100);
}

export function formatTolerance(tolerance: FailureTolerance): string {
  return tolerance.kind === "count" ? String(tolerance.count) : `${tolerance.percent}%`;
}

/**
 * Runs `fn` over `items` with at most `limit` calls pending, in the items' order. Once `shouldStop()`
 * says so, no new item starts; the ones running finish. Returns the results of the items that ran
 * (a prefix of `items`, in order) and how many that is.
 */
export async function runBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
  shouldStop: () => boolean = () => false,
): Promise<{ results: R[]; started: number }> {
  const results: R[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length && !shouldStop()) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return { results, started: next };
}

/** `runBounded` over every item: the results keep the items' order. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  return (await runBounded(items, limit, fn)).results;
}
