import { z } from "zod";
import { inventoryFileSchema } from "./schema";

export const JSON_SCHEMA_FILE = "accounts.schema.json";

/**
 * config/accounts.schema.json, for editors (the example's first line points yaml-language-server at it).
 * Generated from the zod schema, so the editor and `validate` agree on shapes and formats; the rules
 * across values (uniqueness, RTC and metrics...) only `validate` checks. `io: "input"` because people
 * write the input: keys with defaults are optional there.
 */
export function renderJsonSchema(): string {
  const schema = z.toJSONSchema(inventoryFileSchema, { io: "input", unrepresentable: "any" });
  const document = {
    ...schema,
    title: "org-s3-backup inventory",
    description:
      "Generated from config/schema.ts by `npx tsx config/generate-schema.ts`; " +
      "do not edit. Reference: docs/inventory.md.",
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
