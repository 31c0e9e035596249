/**
 * How balanced `--shard K/N` is: the size of the smallest and largest shard for a few organisation sizes
 * and runner counts (account ids 100000000000 + i, like the fixtures), and what partitioning costs.
 *
 *   npx tsx bench/shards.ts
 */
import { partition } from "../automation/driver/shard";

function main(): void {
  console.log(
    [
      "accounts".padStart(8),
      "N".padStart(3),
      "mean".padStart(7),
      "min".padStart(5),
      "max".padStart(5),
      "max/min".padStart(8),
      "max/mean".padStart(9),
      "ms".padStart(6),
    ].join(" "),
  );
  for (const accounts of [100, 500, 1000, 5000]) {
    const ids = Array.from({ length: accounts }, (_, i) => String(100000000000 + i));
    for (const n of [2, 4, 8, 16]) {
      const started = performance.now();
      const sizes = partition(ids, n).map((shard) => shard.length);
      const ms = performance.now() - started;
      const [min, max, mean] = [Math.min(...sizes), Math.max(...sizes), accounts / n];
      console.log(
        [
          String(accounts).padStart(8),
          String(n).padStart(3),
          mean.toFixed(1).padStart(7),
          String(min).padStart(5),
          String(max).padStart(5),
          (max / min).toFixed(2).padStart(8),
          (max / mean).toFixed(2).padStart(9),
          ms.toFixed(0).padStart(6),
        ].join(" "),
      );
    }
  }
  console.log(
    "A shard's share is statistical (rendezvous hashing of the account id): no state, and adding accounts moves none.",
  );
}

main();
