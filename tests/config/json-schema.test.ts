import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { JSON_SCHEMA_FILE, renderJsonSchema } from "../../config/json-schema";

const COMMITTED = path.resolve(__dirname, "..", "..", "config", JSON_SCHEMA_FILE);

describe("config/json-schema", () => {
  it("accounts.schema.json is up to date with config/schema.ts (regenerate: npx tsx config/generate-schema.ts)", () => {
    expect(fs.readFileSync(COMMITTED, "utf8")).to.equal(renderJsonSchema());
  });

  it("refuses unknown keys and requires the four sections, as validate does", () => {
    const schema = JSON.parse(renderJsonSchema());
    expect(schema.additionalProperties).to.equal(false);
    expect(schema.required).to.have.members(["organization", "central", "defaults", "accounts"]);
    const account = schema.properties.accounts.items;
    expect(account.additionalProperties).to.equal(false);
    expect(account.required).to.have.members(["id", "name"]);
    expect(account.properties.id.pattern).to.equal("^\\d{12}$");
  });

  it("shows the defaults an editor can offer", () => {
    const defaults = JSON.parse(renderJsonSchema()).properties.defaults;
    expect(defaults.properties.roleName.default).to.equal("OrganizationAccountAccessRole");
    expect(defaults.properties.replication.properties.storageClass.default).to.equal("STANDARD_IA");
    expect(defaults.required).to.have.members(["region", "bucket"]);
  });

  it("is the schema the example's first line points at", () => {
    const example = fs.readFileSync(path.resolve(__dirname, "..", "..", "config", "accounts.yaml"), "utf8");
    expect(example.split("\n")[0]).to.equal(`# yaml-language-server: $schema=./${JSON_SCHEMA_FILE}`);
  });
});
