import { createHash } from "node:crypto";
import type { Parsed } from "./concurrency";

/**
 * `--shard K/N`: which source accounts one of N parallel runs (CI runners) takes. Pure functions.
 *
 * An account's shard depends on its id and N only (rendezvous hashing: the shard whose hash of
 * `<id>/<shard>` is highest), so adding or removing accounts moves no other account, and every runner
 * computes the same partition without talking to the others. Growing N to N + 1 moves only the
 * accounts the new shard wins (about 1 in N + 1). The price of needing no state: shards are balanced
 * statistically, not exactly (bench/shards.ts prints max/min).
 */

export interface Shard {
  /** 1-based: 1..count. */
  readonly index: number;
  readonly count: number;
}

const FORMAT = "K/N (for example 2/8: the second of 8 shards)";

export function parseShard(text: string): Parsed<Shard> {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!match) return { ok: false, message: `--shard must be ${FORMAT}, got '${text}'` };
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1) return { ok: false, message: `--shard: the number of shards N must be at least 1, got '${text}'` };
  if (index < 1 || index > count) {
    return { ok: false, message: `--shard: K must be between 1 and N (${count}), got '${text}'` };
  }
  return { ok: true, value: { index, count } };
}

export function formatShard(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}

/** The shard (1..count) an account id belongs to. */
export function shardOf(accountId: string, count: number): number {
  if (count <= 1) return 1;
  let best = 1;
  let bestScore = -1n;
  for (let index = 1; index <= count; index++) {
    const score = createHash("sha256").update(`${accountId}/${index}`).digest().readBigUInt64BE(0);
    if (score > bestScore) {
      best = index;
      bestScore = score;
    }
  }
  return best;
}

export function inShard(accountId: string, shard: Shard): boolean {
  return shardOf(accountId, shard.count) === shard.index;
}

/** Every shard's account ids, in the order given: index 0 holds shard 1. */
export function partition(accountIds: readonly string[], count: number): string[][] {
  const shards: string[][] = Array.from({ length: Math.max(1, count) }, () => []);
  for (const id of accountIds) shards[shardOf(id, count) - 1].push(id);
  return shards;
}
