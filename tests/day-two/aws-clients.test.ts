import { ListBucketsCommand } from "@aws-sdk/client-s3";
import { expect } from "chai";
import {
  AwsClients,
  awsErrorText,
  endpointOverride,
  environmentCredentials,
  isEnvironmentError,
  sessionName,
} from "../../automation/day-two/aws-clients";
import { RESTORE_MAX_ATTEMPTS, restoreAws } from "../../automation/day-two/restore-aws";
import { type LocalServer, type Moto, skipWithoutMoto, startHeaderProxy, startMoto } from "../support/moto";

describe("aws-clients", () => {
  it("restore's S3 clients retry throttling adaptively, up to RESTORE_MAX_ATTEMPTS (10) attempts", async () => {
    const env = { AWS_ACCESS_KEY_ID: "a", AWS_SECRET_ACCESS_KEY: "b", AWS_REGION: "eu-west-1" };
    const s3 = restoreAws(env, "arn:aws:iam::999999999999:role/restore", "run", 8).s3("eu-west-1");
    expect(RESTORE_MAX_ATTEMPTS).to.equal(10);
    expect(await s3.config.maxAttempts()).to.equal(RESTORE_MAX_ATTEMPTS);
    const { retryMode } = s3.config;
    expect(typeof retryMode === "string" ? retryMode : await retryMode()).to.equal("adaptive");
  });

  it("takes the service's own endpoint variable over AWS_ENDPOINT_URL", () => {
    const env = { AWS_ENDPOINT_URL: "http://127.0.0.1:5000", AWS_ENDPOINT_URL_S3_CONTROL: "http://127.0.0.1:6000" };
    expect(endpointOverride("s3-control", env)).to.equal("http://127.0.0.1:6000");
    expect(endpointOverride("s3", env)).to.equal("http://127.0.0.1:5000");
    expect(endpointOverride("sts", {})).to.equal(undefined);
    expect(endpointOverride("s3", { AWS_ENDPOINT_URL: "" })).to.equal(undefined);
  });

  it("uses static credentials only when the environment names both keys", () => {
    expect(
      environmentCredentials({ AWS_ACCESS_KEY_ID: "a", AWS_SECRET_ACCESS_KEY: "b", AWS_SESSION_TOKEN: "t" }),
    ).to.deep.equal({
      accessKeyId: "a",
      secretAccessKey: "b",
      sessionToken: "t",
    });
    expect(environmentCredentials({ AWS_ACCESS_KEY_ID: "a" })).to.equal(undefined);
  });

  it("makes valid role session names", () => {
    expect(sessionName("verify", "20261125T070102Z-00ff")).to.equal("org-s3-backup-verify-20261125T070102Z-00ff");
    const long = sessionName("discover", "x".repeat(100));
    expect(long).to.have.length(64);
    expect(sessionName("a b", "c/d")).to.equal("org-s3-backup-a-b-c-d");
  });

  it("tells environment problems (exit 3) from AWS refusals", () => {
    expect(
      isEnvironmentError(
        Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" }),
      ),
    ).to.equal(true);
    expect(
      isEnvironmentError(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" })),
    ).to.equal(true);
    expect(isEnvironmentError(new AggregateError([Object.assign(new Error("x"), { code: "ENOTFOUND" })]))).to.equal(
      true,
    );
    expect(isEnvironmentError(Object.assign(new Error("wrapped"), { cause: { code: "ETIMEDOUT" } }))).to.equal(true);
    const denied = Object.assign(new Error("User is not authorized"), {
      name: "AccessDenied",
      $metadata: { httpStatusCode: 403 },
    });
    expect(isEnvironmentError(denied)).to.equal(false);
    expect(awsErrorText(denied)).to.equal("AccessDenied: User is not authorized");
  });
});

describe("aws-clients against the emulator", () => {
  let moto: Moto;
  let proxy: LocalServer;
  before(async function () {
    await skipWithoutMoto(this);
    this.timeout(30_000);
    moto = await startMoto();
    proxy = await startHeaderProxy(moto.endpoint, () => ({}));
  });
  after(async () => {
    await proxy?.close();
    await moto?.stop();
  });

  it("assumes a role once and signs with the assumed credentials, not the caller's", async () => {
    const clients = new AwsClients({ ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint });
    const role = clients.assumeRole(
      "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole",
      "eu-west-1",
      "test",
    );
    expect(
      clients.assumeRole("arn:aws:iam::111111111111:role/OrganizationAccountAccessRole", "eu-west-1", "test"),
    ).to.equal(role);
    const s3 = clients.s3("eu-west-1", role);
    await s3.send(new ListBucketsCommand({}));
    await s3.send(new ListBucketsCommand({}));
    const assumeCalls = proxy.requests.filter((r) => r.body.includes("Action=AssumeRole"));
    expect(assumeCalls).to.have.length(1);
    expect(assumeCalls[0].body).to.contain(
      "RoleArn=arn%3Aaws%3Aiam%3A%3A111111111111%3Arole%2FOrganizationAccountAccessRole",
    );
    const s3Calls = proxy.requests.filter((r) => r.method === "GET" && r.url === "/?x-id=ListBuckets");
    expect(s3Calls).to.have.length(2);
    for (const call of s3Calls) {
      expect(String(call.headers.authorization)).to.not.contain("Credential=testing/");
      expect(call.headers["x-amz-security-token"]).to.be.a("string");
    }
    const credentials = await role();
    expect(credentials.expiration?.getTime()).to.be.greaterThan(Date.now());
  });
});
