import { performance } from "node:perf_hooks";
import { parseInventory } from "../config/load";

/**
 * Parse + validate time of generated inventories (`npx tsx bench/validate.ts`). Target: 10,000 source
 * accounts under 1 s. Also times the same sizes with one problem per account, the worst case of
 * locating problems in the YAML.
 */
const SIZES = [100, 1_000, 10_000];
const RUNS = 5;

function inventoryText(accounts: number, broken: boolean): string {
  const lines = [
    "# yaml-language-server: $schema=./accounts.schema.json",
    "organization: o-a1b2c3d4e5",
    "central:",
    '  id: "999999999999"',
    "  name: backup-central",
    "  region: eu-west-1",
    "  bucket: acme-org-backup-999999999999",
    "defaults:",
    "  region: eu-west-1",
    "  bucket: acme-data-{accountId}",
    "  tags:",
    "    managed-by: org-s3-backup",
    "accounts:",
  ];
  for (let i = 0; i < accounts; i++) {
    const id = String(100000000000 + i);
    lines.push(broken ? `  - id: ${id}` : `  - id: "${id}"`, `    name: app-${i}`);
    // Every tenth account overrides something, as a real inventory would.
    if (i % 10 === 0)
      lines.push(
        "    region: us-east-1",
        "    replication:",
        "      storageClass: GLACIER_IR",
        "    tags:",
        `      team: team-${i % 7}`,
      );
    if (i % 50 === 0) lines.push("    enabled: false");
  }
  return `${lines.join("\n")}\n`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

for (const broken of [false, true]) {
  for (const size of SIZES) {
    const text = inventoryText(size, broken);
    const times: number[] = [];
    let outcome = "";
    for (let run = 0; run < RUNS; run++) {
      const start = performance.now();
      const result = parseInventory(text, "bench.yaml");
      times.push(performance.now() - start);
      outcome = result.ok ? `valid, ${result.inventory.sources.length} sources` : `${result.problems.length} problems`;
    }
    const label = `${size.toLocaleString("en-US")} accounts${broken ? " (every id unquoted)" : ""}`;
    process.stdout.write(
      `${label.padEnd(36)} ${(text.length / 1024).toFixed(0).padStart(6)} KiB  median ${median(times).toFixed(1).padStart(7)} ms  (min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)}; ${RUNS} runs)  ${outcome}\n`,
    );
  }
}
