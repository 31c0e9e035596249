import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { planStacks } from "../../automation/driver/plan";
import { canonicalJson } from "../../automation/review/canonical-json";
import {
  DEFAULT_PROVIDER,
  parseJsonStrings,
  placeholder,
  placeholdersIn,
  renderStacks,
  type StackProgram,
} from "../../automation/review/render";
import { inventory } from "../support/inventory-fixture";

/**
 * The render engine on a small program written here, so that each recorded detail (parent, provider,
 * options, placeholders, resources created late) is asserted against a known shape. The real program is
 * rendered in tests/review/render-program.test.ts.
 */

class Holder extends pulumi.ComponentResource {
  constructor(name: string, opts: pulumi.ComponentResourceOptions) {
    super("test:index:Holder", name, {}, opts);
    const key = new aws.kms.Key(
      `${name}-key`,
      {
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "kms:*", Resource: "*" }],
        }),
      },
      { parent: this },
    );
    // Created once the key's ARN resolves: render must wait for it.
    key.arn.apply(
      (arn) =>
        new aws.kms.Alias(
          `${name}-alias`,
          { name: "alias/x", targetKeyId: arn },
          { parent: this, retainOnDelete: true },
        ),
    );
    this.registerOutputs({});
  }
}

const program: StackProgram = (_inventory, plan, central) => {
  const provider = new aws.Provider(`${plan.name}-aws`, {
    region: plan.region as aws.Region,
    assumeRoles: [{ roleArn: plan.roleArn }],
    allowedAccountIds: [plan.accountId],
  });
  const holder = new Holder(plan.name, { providers: [provider], protect: true });
  const bucket = new aws.s3.Bucket(
    `${plan.name}-bucket`,
    { bucket: `b-${plan.accountId}` },
    { parent: holder, import: `b-${plan.accountId}` },
  );
  const stray = new aws.s3.Bucket(`${plan.name}-stray`, {});
  return {
    bucketArn: bucket.arn,
    strayName: stray.bucket,
    ...(central ? { centralBucketArn: central.bucketArn } : {}),
  };
};

describe("render engine", () => {
  const inv = inventory({ count: 2 });
  const plans = planStacks(inv);

  it("records each resource with its type, parent, provider and options, and waits for late registrations", async () => {
    const [central] = await renderStacks(inv, plans.slice(0, 1), program);
    const byName = new Map(central.resources.map((r) => [r.name, r]));
    expect([...byName.keys()]).to.deep.equal([
      "central",
      "central-alias",
      "central-bucket",
      "central-key",
      "central-stray",
    ]);
    const key = byName.get("central-key")!;
    expect(key.parent).to.equal("test:index:Holder central");
    expect(key.provider).to.equal("central-aws");
    expect(key.protect, "inherited from the component").to.equal(true);
    expect(key.inputs.policy).to.deep.equal({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "kms:*", Resource: "*" }],
    });
    expect(byName.get("central-alias")!.retainOnDelete).to.equal(true);
    expect(byName.get("central-alias")!.inputs.targetKeyId).to.equal(
      placeholder("aws:kms/key:Key", "central-key", "arn", "central"),
    );
    expect(byName.get("central-bucket")!.importId).to.equal("b-999999999999");
    expect(byName.get("central-stray")!.provider).to.equal(DEFAULT_PROVIDER);
    expect(central.providers["central-aws"].inputs).to.include({ region: "eu-west-1" });
    expect(central.providers["central-aws"].inputs.assumeRoles).to.deep.equal([{ roleArn: plans[0].roleArn }]);
    expect(central.providers["central-aws"].inputs.allowedAccountIds).to.deep.equal(["999999999999"]);
  });

  it("gives sources the central stack's rendered outputs and keeps each stack's resources apart", async () => {
    const [central, first, second] = await renderStacks(inv, plans, program);
    expect(first.outputs.centralBucketArn).to.equal(central.outputs.bucketArn);
    expect(central.outputs.bucketArn).to.equal(placeholder("aws:s3/bucket:Bucket", "central-bucket", "arn", "central"));
    expect(first.resources.every((r) => r.name.startsWith("account-111111111111"))).to.equal(true);
    expect(second.resources.every((r) => r.name.startsWith("account-222222222222"))).to.equal(true);
    expect(second.resources).to.have.length(central.resources.length);
  });

  it("writes byte-identical JSON on two runs", async () => {
    const once = canonicalJson(await renderStacks(inv, plans, program));
    const twice = canonicalJson(await renderStacks(inv, plans, program));
    expect(twice).to.equal(once);
    expect(once).to.not.match(/\d{4}-\d{2}-\d{2}T/);
  });

  /** The error rendering the central stack with `failing` rejects with. */
  async function renderError(failing: StackProgram): Promise<Error | undefined> {
    try {
      await renderStacks(inv, plans.slice(0, 1), failing);
      return undefined;
    } catch (caught) {
      return caught as Error;
    }
  }

  it("refuses a data source it cannot answer, naming it", async () => {
    const error = await renderError(() => ({ zones: aws.getAvailabilityZonesOutput().names }));
    expect(error?.message).to.contain("aws:index/getAvailabilityZones:getAvailabilityZones");
  });

  describe("stack traces (off while rendering: the SDK captures one per promise)", () => {
    const limit = Error.stackTraceLimit;
    afterEach(() => {
      Error.stackTraceLimit = limit;
      delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
    });

    /** The test program, noting the stack trace limit it runs with in `seen`. */
    const probing =
      (seen: number[]): StackProgram =>
      (inventoryArg, plan, central) => {
        seen.push(Error.stackTraceLimit);
        return program(inventoryArg, plan, central);
      };

    it("are off while the program runs and back to the caller's limit afterwards", async () => {
      Error.stackTraceLimit = 7;
      const seen: number[] = [];
      await renderStacks(inv, plans, probing(seen));
      expect(seen).to.deep.equal([0, 0, 0]);
      expect(Error.stackTraceLimit).to.equal(7);
    });

    it("a program that throws is rendered again with them on: the error reaches the caller with its stack", async () => {
      const limits: number[] = [];
      const throwing: StackProgram = () => {
        limits.push(Error.stackTraceLimit);
        throw new Error("the program is broken");
      };
      const error = await renderError(throwing);
      expect(error?.message).to.equal("the program is broken");
      expect(limits).to.deep.equal([0, limit]);
      expect(error?.stack).to.match(/\n\s+at throwing \(.*render\.test\.ts:\d+:\d+\)/);
      expect(Error.stackTraceLimit).to.equal(limit);
    });

    it("stay on when the SDK's promise-leak report asks for them (PULUMI_DEBUG_PROMISE_LEAKS)", async () => {
      process.env.PULUMI_DEBUG_PROMISE_LEAKS = "1";
      const seen: number[] = [];
      await renderStacks(inv, plans.slice(0, 1), probing(seen));
      expect(seen).to.deep.equal([limit]);
    });
  });

  it("answers getCallerIdentity with the stack's own account", async () => {
    const identity: StackProgram = () => ({ account: aws.getCallerIdentityOutput().accountId });
    const [, source] = await renderStacks(inv, plans.slice(0, 2), identity);
    expect(source.outputs.account).to.equal("111111111111");
  });
});

describe("placeholders", () => {
  it("are found again inside longer strings", () => {
    const arn = placeholder("aws:s3/bucket:Bucket", "central-bucket", "arn", "central");
    expect(placeholdersIn(`${arn}/111111111111/*`)).to.deep.equal([
      { text: arn, type: "aws:s3/bucket:Bucket", name: "central-bucket", property: "arn", stack: "central" },
    ]);
  });
});

describe("parseJsonStrings", () => {
  it("parses JSON objects and arrays held in strings at any depth, leaves other strings alone", () => {
    expect(parseJsonStrings({ a: '{"b":"[1]"}', c: "{not json", d: "plain" })).to.deep.equal({
      a: { b: [1] },
      c: "{not json",
      d: "plain",
    });
  });
});
