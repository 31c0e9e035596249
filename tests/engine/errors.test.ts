import { expect } from "chai";
import { classifyFailure, describeFailure, firstErrorLines, StackError } from "../../automation/engine/errors";

// Texts as the Pulumi CLI 3.x and the AWS provider 7.x print them.
const TEXTS = {
  assumeRole: [
    "Updating (account-111111111111):",
    " +  pulumi:pulumi:Stack org-s3-backup-account-111111111111 creating (0s)",
    " +  pulumi:providers:aws account-111111111111 creating (0s) error: " +
      "pulumi:providers:aws resource 'account-111111111111' has a problem: unable to validate AWS credentials.",
    "Details: Cannot assume IAM Role. Error: operation error STS: AssumeRole, " +
      "https response error StatusCode: 403, RequestID: 7a1b, api error AccessDenied: " +
      "User: arn:aws:iam::999999999999:user/ci is not authorized to perform: " +
      "sts:AssumeRole on resource: arn:aws:iam::111111111111:role/OrganizationAccountAccessRole",
    "error: update failed",
  ].join("\n"),
  accessDenied: [
    "Diagnostics:",
    "  aws:s3:BucketReplicationConfig (replication):",
    "    error: creating S3 Bucket (acme-data-222222222222) Replication Configuration: " +
      "operation error S3: PutBucketReplication, https response error StatusCode: 403, RequestID: 8Q, HostID: x, " +
      "api error AccessDenied: Access Denied",
  ].join("\n"),
  locked: [
    "error: the stack is currently locked by 1 lock(s). " +
      "Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.",
    "  s3://acme-pulumi-state/.pulumi/locks/organization/org-s3-backup/central/8e1c.json: " +
      "created by ci@runner-7 (pid 812) at 2026-11-25T05:59:02Z",
  ].join("\n"),
  conflict: "error: [409] Conflict: Another update is currently in progress.",
  plugin:
    "error: could not load plugin for aws provider 'default_7_48_0': " +
    "no resource plugin 'pulumi-resource-aws' found in the workspace at version v7.48.0 or on your $PATH, " +
    "install the plugin using `pulumi plugin install resource aws v7.48.0`",
  cli: "Command failed with ENOENT: pulumi version\nspawn pulumi ENOENT",
  passphrase:
    "error: getting secrets manager: " +
    "passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables",
  notFound: "error: no stack named 'account-333333333333' found",
  other:
    "error: Running program '/repo/infra/index.ts' failed with an unhandled exception:\n" +
    "TypeError: Cannot read properties of undefined",
};

describe("errors", () => {
  it("classifies realistic Pulumi and AWS error texts", () => {
    expect(classifyFailure(TEXTS.assumeRole)).to.equal("assume-role");
    expect(classifyFailure(TEXTS.accessDenied)).to.equal("access-denied");
    expect(classifyFailure(TEXTS.locked)).to.equal("locked");
    expect(classifyFailure(TEXTS.conflict)).to.equal("conflict");
    expect(classifyFailure(TEXTS.plugin)).to.equal("missing-plugin");
    expect(classifyFailure(TEXTS.cli)).to.equal("missing-plugin");
    expect(classifyFailure(TEXTS.passphrase)).to.equal("passphrase");
    // "Not deployed" comes from the SDK's StackNotFoundError (a typed StackError), never from text.
    expect(classifyFailure(TEXTS.notFound)).to.equal("other");
    expect(describeFailure(new StackError("account-3", "select", TEXTS.notFound, "not-deployed")).category).to.equal(
      "not-deployed",
    );
    expect(classifyFailure(TEXTS.other)).to.equal("other");
  });

  it("reads the excerpt out of the SDK's rendering of a CommandResult", () => {
    const message = `code: 255\n stdout: Updating (central):\n stderr: ${TEXTS.passphrase}\n err?: \n`;
    expect(firstErrorLines(message, 1)).to.deep.equal([TEXTS.passphrase]);
    expect(classifyFailure(message)).to.equal("passphrase");
  });

  it("picks the error lines first, else the first lines", () => {
    expect(firstErrorLines(TEXTS.assumeRole, 2)).to.deep.equal([
      "+  pulumi:providers:aws account-111111111111 creating (0s) error: " +
        "pulumi:providers:aws resource 'account-111111111111' has a problem: unable to validate AWS credentials.",
      "Details: Cannot assume IAM Role. Error: operation error STS: AssumeRole, " +
        "https response error StatusCode: 403, RequestID: 7a1b, api error AccessDenied: " +
        "User: arn:aws:iam::999999999999:user/ci is not authorized to perform: " +
        "sts:AssumeRole on resource: arn:aws:iam::111111111111:role/OrganizationAccountAccessRole",
    ]);
    expect(firstErrorLines("line one\n\nline two\nline three\nline four")).to.deep.equal([
      "line one",
      "line two",
      "line three",
    ]);
  });

  it("keeps the stack name and raw text in a StackError and its description", () => {
    const error = new StackError("account-111111111111", "up", TEXTS.locked);
    expect(error.message).to.match(/^account-111111111111: up failed: error: the stack is currently locked/);
    const failure = describeFailure(error);
    expect(failure.category).to.equal("locked");
    expect(failure.raw).to.equal(TEXTS.locked);
    expect(describeFailure(new Error("boom")).category).to.equal("other");
  });

  it("classifies a CLI that ended abnormally first (it may hold the lock) and a backend it could not reach", () => {
    expect(
      classifyFailure(
        "error: AccessDenied\n" +
          "error: pulumi up was ended by SIGKILL from outside the driver (out of memory?); " +
          "it may not have released the stack's lock",
      ),
    ).to.equal("cli-died");
    expect(
      classifyFailure(
        'error: failed to load checkpoint: blob (key ".pulumi/meta.yaml") (code=Unknown): ' +
          "NoCredentialProviders: no valid providers in chain",
      ),
    ).to.equal("backend");
  });
});
