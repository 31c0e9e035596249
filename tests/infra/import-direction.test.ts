import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";

/**
 * The Pulumi program runs under the language host in every `pulumi preview`: it must not pull in the CLI,
 * the driver or the AWS SDK clients. `infra/` may import `config/` and packages; never `automation/`.
 * Read from the source text, so a `require()` or a type-only import counts too.
 */
const ROOT = path.resolve(__dirname, "..", "..");

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(full) : entry.name.endsWith(".ts") ? [full] : [];
  });
}

function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  const specifiers = [...text.matchAll(/(?:\bfrom\s+|\brequire\(\s*|\bimport\(\s*|\bimport\s+)["']([^"']+)["']/g)];
  return specifiers.map((match) => match[1]);
}

/** `@scope/name/sub` -> `@scope/name`, `name/sub` -> `name`. */
function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return parts.slice(0, specifier.startsWith("@") ? 2 : 1).join("/");
}

describe("import direction", () => {
  it("infra/ imports nothing from automation/ (nor tests/ or bench/)", () => {
    const files = sourceFiles(path.join(ROOT, "infra"));
    expect(files.length).to.be.greaterThan(5);
    const offending = files.flatMap((file) =>
      importsOf(file)
        .filter((spec) => spec.startsWith("."))
        .map((spec) => path.relative(ROOT, path.resolve(path.dirname(file), spec)))
        .filter((target) => /^(automation|tests|bench)(\/|$)/.test(target))
        .map((target) => `${path.relative(ROOT, file)} -> ${target}`),
    );
    expect(offending).to.deep.equal([]);
  });

  it("config/ imports nothing from infra/ or automation/", () => {
    const files = sourceFiles(path.join(ROOT, "config"));
    const offending = files.flatMap((file) =>
      importsOf(file)
        .filter((spec) => spec.startsWith("."))
        .map((spec) => path.relative(ROOT, path.resolve(path.dirname(file), spec)))
        .filter((target) => /^(infra|automation|tests|bench)(\/|$)/.test(target))
        .map((target) => `${path.relative(ROOT, file)} -> ${target}`),
    );
    expect(offending).to.deep.equal([]);
  });

  it("infra/entry.cjs loads every package the program imports before tsx registers, then the program", () => {
    const programFiles = [...sourceFiles(path.join(ROOT, "infra")), ...sourceFiles(path.join(ROOT, "config"))];
    const packages = new Set(
      programFiles.flatMap((file) =>
        importsOf(file).filter((spec) => !spec.startsWith(".") && !spec.startsWith("node:")),
      ),
    );
    const loaded = importsOf(path.join(ROOT, "infra", "entry.cjs"));
    const tsx = loaded.indexOf("tsx/cjs");
    expect(loaded.slice(tsx)).to.deep.equal(["tsx/cjs", "./index.ts"]);
    // @pulumi/pulumi is loaded by the SDK's run harness before it requires entry.cjs.
    expect([...loaded.slice(0, tsx), "@pulumi/pulumi"].sort()).to.deep.equal([...packages].map(packageName).sort());
  });

  it("the check sees a violation (it would fail on the import it forbids)", () => {
    const sample =
      'import { planStacks } from "../automation/driver/plan";\nconst x = require("../automation/cli/main");';
    const tmp = path.join(os.tmpdir(), `import-direction-probe-${process.pid}.ts`);
    fs.writeFileSync(tmp, sample);
    try {
      expect(importsOf(tmp)).to.deep.equal(["../automation/driver/plan", "../automation/cli/main"]);
    } finally {
      fs.rmSync(tmp);
    }
  });
});
