import { expect } from "chai";
import { PassThrough } from "node:stream";
import { verifyCommand } from "../../automation/cli/commands/verify";
import { AwsClients } from "../../automation/day-two/aws-clients";
import type { Clock } from "../../automation/day-two/verify";
import { awsPreflightCalls, type PreflightCalls, preflight } from "../../automation/day-two/verify-preflight";
import { inventory } from "../support/inventory-fixture";
import { emulatorEnv, freePort, type Moto, skipWithoutMoto, startMoto } from "../support/moto";

/**
 * verify's up-front check (issue 14): a cause every account shares is said once, in one line, before any
 * canary, instead of one ERROR row per account naming the account's role.
 */

const CENTRAL = { region: "eu-west-1", roleArn: "arn:aws:iam::999999999999:role/OrganizationAccountAccessRole" };

function fail(error: Error): Promise<never> {
  return Promise.reject(error);
}

function named(name: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { name, ...extra });
}

const calls = (overrides: Partial<PreflightCalls>): PreflightCalls => ({
  whoAmI: async () => "arn:aws:sts::123456789012:assumed-role/Admin/me",
  assume: async () => {},
  ...overrides,
});

describe("verify pre-flight: the causes every account shares", () => {
  it("passes and names the caller when the credentials work and the central role can be assumed", async () => {
    const assumed: string[] = [];
    const result = await preflight(
      calls({ assume: async (role, region) => void assumed.push(`${role} ${region}`) }),
      CENTRAL,
    );
    expect(result).to.deep.equal({ ok: true, caller: "arn:aws:sts::123456789012:assumed-role/Admin/me" });
    expect(assumed).to.deep.equal([`${CENTRAL.roleArn} eu-west-1`]);
  });

  it("no credentials: exit 3, one line saying how to provide them", async () => {
    const result = await preflight(
      calls({ whoAmI: () => fail(named("CredentialsProviderError", "Could not load credentials from any providers")) }),
      CENTRAL,
    );
    expect(result).to.deep.equal({
      ok: false,
      exitCode: 3,
      message:
        "no AWS credentials: set AWS_PROFILE (aws sso login), AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, " +
        "or run where a role is attached; nothing was checked",
    });
  });

  it("an endpoint that does not answer, or answers too late: exit 3, naming the region", async () => {
    const refused = await preflight(
      calls({ whoAmI: () => fail(named("Error", "connect ECONNREFUSED 127.0.0.1:9", { code: "ECONNREFUSED" })) }),
      CENTRAL,
    );
    expect(refused).to.deep.include({ ok: false, exitCode: 3 });
    expect(!refused.ok && refused.message).to.match(/^cannot reach AWS STS in eu-west-1 \(connect ECONNREFUSED/);
    const hanging = await preflight(calls({ whoAmI: () => new Promise<string>(() => {}) }), CENTRAL, 20);
    expect(hanging).to.deep.include({ ok: false, exitCode: 3 });
    expect(!hanging.ok && hanging.message).to.contain("STS in eu-west-1 did not answer within 0 s");
  });

  it("credentials STS refuses (expired, wrong, region not enabled): exit 3", async () => {
    const result = await preflight(
      calls({ whoAmI: () => fail(named("ExpiredToken", "The security token included in the request is expired")) }),
      CENTRAL,
    );
    expect(result).to.deep.include({ ok: false, exitCode: 3 });
    expect(!result.ok && result.message).to.match(
      /^your AWS credentials were refused by STS in eu-west-1 \(ExpiredToken: /,
    );
  });

  it("a central role the caller cannot assume: exit 1, naming the role and the caller", async () => {
    const result = await preflight(
      calls({ assume: () => fail(named("AccessDenied", "User: me is not authorized to perform: sts:AssumeRole")) }),
      CENTRAL,
    );
    expect(result).to.deep.equal({
      ok: false,
      exitCode: 1,
      message:
        `cannot assume the central role ${CENTRAL.roleArn} as arn:aws:sts::123456789012:assumed-role/Admin/me: ` +
        "AccessDenied: User: me is not authorized to perform: sts:AssumeRole — " +
        "every account's check reads the central bucket as this role; nothing was checked",
    });
  });
});

describe("verify command with the pre-flight", () => {
  const clock: Clock = { now: () => 0, sleep: async () => {} };
  const run = async (argv: string[], message: string, exitCode: 1 | 3) => {
    let out = "";
    let err = "";
    const stdout = new PassThrough().on("data", (c: Buffer) => (out += c.toString()));
    const stderr = new PassThrough().on("data", (c: Buffer) => (err += c.toString()));
    const command = verifyCommand({
      loadInventory: async () => inventory({ count: 300 }),
      aws: () => {
        throw new Error("no canary may be put when the pre-flight fails");
      },
      clock,
      interrupts: { onInterrupt: () => () => {} },
      exit: () => {},
      now: () => new Date("2026-11-25T07:00:00Z"),
      preflight: async () => ({ ok: false, exitCode, message }),
    });
    const code = await command.run(argv, { stdout, stderr, env: {}, cwd: "/work" });
    return { code, out, err };
  };

  it("300 accounts without credentials: one line on stderr, no canary, exit 3", async () => {
    const { code, out, err } = await run([], "no AWS credentials: ...; nothing was checked", 3);
    expect(code).to.equal(3);
    expect(err).to.equal("org-s3-backup verify: no AWS credentials: ...; nothing was checked\n");
    expect(out).to.equal("");
  });

  it("--json: the same as one JSON document with no account rows", async () => {
    const { code, out } = await run(["--json"], "cannot assume the central role ...", 1);
    expect(code).to.equal(1);
    expect(JSON.parse(out)).to.deep.include({
      operation: "verify",
      exitCode: 1,
      error: "cannot assume the central role ...",
      accounts: [],
    });
  });
});

describe("verify pre-flight against real endpoints", () => {
  it("a closed port: exit 3, cannot reach STS", async () => {
    const port = await freePort();
    const env = { ...emulatorEnv(`http://127.0.0.1:${port}`) };
    const result = await preflight(awsPreflightCalls(new AwsClients(env), "RUN"), CENTRAL);
    expect(result).to.deep.include({ ok: false, exitCode: 3 });
    expect(!result.ok && result.message).to.match(/^cannot reach AWS STS in eu-west-1 \(.*ECONNREFUSED/);
  });

  describe("on the emulator", () => {
    let moto: Moto;
    before(async function () {
      await skipWithoutMoto(this);
      moto = await startMoto();
    });
    after(async () => {
      await moto?.stop();
    });

    it("passes, naming the caller", async () => {
      const result = await preflight(awsPreflightCalls(new AwsClients(moto.env), "RUN"), CENTRAL);
      expect(result.ok, JSON.stringify(result)).to.equal(true);
      expect(result.ok && result.caller).to.match(/^arn:aws:(iam|sts)::\d{12}:/);
    });
  });
});
