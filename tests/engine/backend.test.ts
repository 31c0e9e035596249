import { expect } from "chai";
import { backendEnv, missingPassphrase, resolveBackend } from "../../automation/engine/backend";

describe("backend", () => {
  it("defaults to a file backend in the repository with the passphrase provider", () => {
    expect(resolveBackend(undefined, {}, "/repo")).to.deep.equal({
      ok: true,
      backend: { url: "file:///repo/.pulumi-state", secretsProvider: "passphrase", localDir: "/repo/.pulumi-state" },
    });
  });

  it("prefers --backend, then PULUMI_BACKEND_URL", () => {
    const env = { PULUMI_BACKEND_URL: "s3://from-env" };
    expect(resolveBackend("s3://team-state?region=eu-west-1", env, "/repo")).to.deep.equal({
      ok: true,
      backend: { url: "s3://team-state?region=eu-west-1", secretsProvider: "passphrase" },
    });
    expect(resolveBackend(undefined, env, "/repo")).to.deep.equal({
      ok: true,
      backend: { url: "s3://from-env", secretsProvider: "passphrase" },
    });
    expect(resolveBackend("https://api.pulumi.com", {}, "/repo")).to.deep.equal({
      ok: true,
      backend: { url: "https://api.pulumi.com", secretsProvider: undefined },
    });
  });

  it("refuses what is not a backend URL", () => {
    expect(resolveBackend("my-bucket", {}, "/repo")).to.have.property("ok", false);
    expect(resolveBackend(undefined, { PULUMI_BACKEND_URL: "bucket" }, "/repo")).to.deep.include({ ok: false });
  });

  it("requires a passphrase for self-managed backends only", () => {
    const local = { url: "file:///repo/.pulumi-state", secretsProvider: "passphrase" as const };
    expect(missingPassphrase(local, {})).to.contain("PULUMI_CONFIG_PASSPHRASE is not set");
    expect(missingPassphrase(local, { PULUMI_CONFIG_PASSPHRASE: "" })).to.equal(undefined);
    expect(missingPassphrase(local, { PULUMI_CONFIG_PASSPHRASE_FILE: "/run/secrets/p" })).to.equal(undefined);
    expect(missingPassphrase({ url: "https://api.pulumi.com", secretsProvider: undefined }, {})).to.equal(undefined);
  });

  it("passes the backend and the secrets variables to the CLI, nothing else", () => {
    expect(
      backendEnv({ url: "s3://b", secretsProvider: "passphrase" }, { PULUMI_CONFIG_PASSPHRASE: "p", AWS_PROFILE: "x" }),
    ).to.deep.equal({
      PULUMI_BACKEND_URL: "s3://b",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_CONFIG_PASSPHRASE: "p",
    });
  });
});
