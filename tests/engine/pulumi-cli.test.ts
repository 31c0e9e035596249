import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import {
  findPulumiBinary,
  missingCliMessage,
  PINNED_CLI_VERSION,
  pinnedInstallRoot,
} from "../../automation/engine/pulumi-cli";

describe("pulumi-cli", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-cli-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const executable = (file: string, mode = 0o755) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, "#!/bin/sh\n");
    fs.chmodSync(file, mode);
    return file;
  };

  it("finds an executable pulumi on PATH first, then in the pinned install root", () => {
    const root = path.join(dir, "versions", PINNED_CLI_VERSION);
    const installed = executable(path.join(root, "bin", "pulumi"));
    const onPath = executable(path.join(dir, "path-b", "pulumi"));
    expect(findPulumiBinary([path.join(dir, "path-a"), path.join(dir, "path-b")].join(path.delimiter), root)).to.equal(
      onPath,
    );
    expect(findPulumiBinary(path.join(dir, "path-a"), root)).to.equal(installed);
  });

  it("ignores non-executable files and directories named pulumi", () => {
    executable(path.join(dir, "a", "pulumi"), 0o644);
    fs.mkdirSync(path.join(dir, "b", "pulumi"), { recursive: true });
    expect(
      findPulumiBinary([path.join(dir, "a"), path.join(dir, "b")].join(path.delimiter), path.join(dir, "none")),
    ).to.equal(undefined);
  });

  it("says how to install the pinned version", () => {
    expect(pinnedInstallRoot("/home/ci")).to.equal(`/home/ci/.pulumi/versions/${PINNED_CLI_VERSION}`);
    const message = missingCliMessage(["no `pulumi` on PATH"]);
    expect(message)
      .to.contain(`curl -fsSL https://get.pulumi.com | sh -s -- --version ${PINNED_CLI_VERSION}`)
      .and.contain("--install-cli");
  });
});
