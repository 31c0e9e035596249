import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { localStateDir } from "../../automation/engine/backend";
import { parseLockHolders, readStackLocks, releaseCommand } from "../../automation/engine/locks";

describe("locks", () => {
  it("reads the lock files of a file backend for the stacks asked about", () => {
    const state = fs.mkdtempSync(path.join(os.tmpdir(), "locks-"));
    try {
      const dir = (stack: string) => path.join(state, ".pulumi", "locks", "organization", "org-s3-backup", stack);
      fs.mkdirSync(dir("account-111111111111"), { recursive: true });
      fs.mkdirSync(dir("central"), { recursive: true });
      fs.writeFileSync(
        path.join(dir("account-111111111111"), "a.json"),
        JSON.stringify({ pid: 42, username: "ci", hostname: "runner", timestamp: "2026-11-25T07:00:00.123456789Z" }),
      );
      fs.writeFileSync(path.join(dir("central"), "b.json"), "not json");
      expect(readStackLocks(state, "org-s3-backup", ["account-111111111111", "central", "account-2"])).to.deep.equal([
        {
          stack: "account-111111111111",
          file: path.join(dir("account-111111111111"), "a.json"),
          user: "ci",
          host: "runner",
          pid: 42,
          since: "2026-11-25T07:00:00.123Z",
        },
        { stack: "central", file: path.join(dir("central"), "b.json") },
      ]);
      expect(readStackLocks(path.join(state, "none"), "org-s3-backup", ["central"])).to.deep.equal([]);
    } finally {
      fs.rmSync(state, { recursive: true, force: true });
    }
  });

  it("reads who holds the lock from Pulumi's 'currently locked' error", () => {
    const raw = [
      "code: 255",
      " stdout: ",
      " stderr: error: the stack is currently locked by 1 lock(s). " +
        "Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.",
      "  s3://state/.pulumi/locks/organization/org-s3-backup/central/x.json: " +
        "created by ci@runner-7 (pid 4242) at 2026-11-25T07:00:00+02:00",
    ].join("\n");
    expect(parseLockHolders(raw)).to.deep.equal([
      {
        file: "s3://state/.pulumi/locks/organization/org-s3-backup/central/x.json",
        user: "ci",
        host: "runner-7",
        pid: 4242,
        since: "2026-11-25T05:00:00.000Z",
      },
    ]);
    expect(releaseCommand("central")).to.equal("pulumi cancel --yes --stack central");
  });

  it("knows where a file backend keeps its state", () => {
    expect(localStateDir({ url: "file:///srv/state", secretsProvider: "passphrase" })).to.equal("/srv/state");
    expect(localStateDir({ url: "file:///srv/my%20state?no_tmp_dir=true", secretsProvider: "passphrase" })).to.equal(
      "/srv/my state",
    );
    expect(localStateDir({ url: "file://~", secretsProvider: "passphrase" })).to.equal(os.homedir());
    expect(localStateDir({ url: "s3://bucket", secretsProvider: "passphrase" })).to.equal(undefined);
  });
});
