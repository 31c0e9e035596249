/** "did you mean ...?" for mistyped keys and values. */

/**
 * Edit distance where swapping two neighbouring letters (`nmae`) counts as one edit, like a typo. Past
 * `limit` the exact value does not matter: once two consecutive rows are beyond it, no later row can come
 * back under it (a transposition reaches back one row), and `limit + 1` is returned at once.
 */
function editDistance(a: string, b: string, limit = Number.POSITIVE_INFINITY): number {
  // Three rows reused for every letter of `a`: a file with 100,000 unknown keys asks 400,000 times.
  const width = b.length + 1;
  let beforePrevious = new Int32Array(width);
  let previous = new Int32Array(width);
  let current = new Int32Array(width);
  for (let j = 0; j < width; j++) previous[j] = j;
  let previousMin = 0;
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let currentMin = i;
    for (let j = 1; j < width; j++) {
      let cell = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        cell = Math.min(cell, beforePrevious[j - 2] + 1);
      current[j] = cell;
      currentMin = Math.min(currentMin, cell);
    }
    if (currentMin > limit && previousMin >= limit) return limit + 1;
    const reused = beforePrevious;
    beforePrevious = previous;
    previous = current;
    current = reused;
    previousMin = currentMin;
  }
  return previous[b.length];
}

/** The most edits a suggestion may be away from the input. */
const MAX_EDITS = 3;

/**
 * The candidate closest to `input`, if close enough to be a plausible typo: case differences always are,
 * otherwise at most a third of the word (and at least 1, at most 3) may differ.
 */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  const allowed = Math.min(MAX_EDITS, Math.max(1, Math.floor(input.length / 3)));
  // The distance is at least the difference in length: a value much longer than every candidate (a 4 MB
  // string where a region belongs) cannot be a typo of one, and is not looked at letter by letter.
  const longest = candidates.reduce((max, candidate) => Math.max(max, candidate.length), 0);
  if (input.length > longest + allowed) return undefined;
  const lower = input.toLowerCase();
  const sameIgnoringCase = candidates.find((candidate) => candidate.toLowerCase() === lower);
  if (sameIgnoringCase !== undefined) return sameIgnoringCase;
  let best: string | undefined;
  let bestDistance = allowed + 1;
  for (const candidate of candidates) {
    if (Math.abs(candidate.length - input.length) > allowed) continue;
    const distance = editDistance(lower, candidate.toLowerCase(), bestDistance - 1);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** `; did you mean `x`?` or the empty string. */
export function didYouMean(input: string, candidates: readonly string[]): string {
  const match = closest(input, candidates);
  return match === undefined ? "" : `; did you mean \`${match}\`?`;
}
