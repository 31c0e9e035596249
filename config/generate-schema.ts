import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { JSON_SCHEMA_FILE, renderJsonSchema } from "./json-schema";

// Run with `npx tsx config/generate-schema.ts`; tests/config/json-schema.test.ts fails while the file is stale.
const target = path.join(__dirname, JSON_SCHEMA_FILE);
writeFileSync(target, renderJsonSchema());
process.stdout.write(`wrote ${path.relative(process.cwd(), target)}\n`);
