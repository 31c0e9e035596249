import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { outputValue, setPulumiMocks } from "../support/pulumi-mocks";

/**
 * `render` and the test mocks read three internals of @pulumi/pulumi that no public API exposes: a
 * resource's `__name` and `__pulumiType` (to name a child's parent while the options are transformed; the
 * parent's public `urn` is not resolved yet at that moment) and a component's `__childResources`, plus an
 * Output's `isKnown`. The SDK is pinned to one exact version in package.json; this test fails loudly,
 * naming the internal, when an upgrade moves one of them, before `render` silently loses the parents.
 */
const ROOT = path.resolve(__dirname, "..", "..");

describe("@pulumi/pulumi internals that render and the mocks rely on", () => {
  it("the installed SDK is the exact version package.json pins", () => {
    const pinned = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).dependencies["@pulumi/pulumi"];
    const installed = JSON.parse(
      fs.readFileSync(path.join(ROOT, "node_modules", "@pulumi", "pulumi", "package.json"), "utf8"),
    ).version;
    expect(pinned, "pin @pulumi/pulumi to an exact version: render depends on its internals").to.match(
      /^\d+\.\d+\.\d+$/,
    );
    expect(installed).to.equal(pinned);
  });

  it("resources still carry __name, __pulumiType and __childResources; Outputs still carry isKnown", async () => {
    const mocks = await setPulumiMocks();
    let parent: pulumi.ComponentResource | undefined;
    let child: pulumi.ComponentResource | undefined;
    await mocks.run(() => {
      parent = new pulumi.ComponentResource("test:index:Parent", "p");
      child = new pulumi.ComponentResource("test:index:Child", "c", {}, { parent });
      return {};
    });
    const internals = parent as unknown as { __name?: unknown; __pulumiType?: unknown; __childResources?: unknown };
    expect(internals.__name, "Resource.__name").to.equal("p");
    expect(internals.__pulumiType, "Resource.__pulumiType").to.equal("test:index:Parent");
    expect(internals.__childResources, "ComponentResource.__childResources").to.be.instanceOf(Set);
    expect([...(internals.__childResources as Set<unknown>)]).to.deep.equal([child]);
    const output = pulumi.output("x");
    expect((output as unknown as { isKnown?: unknown }).isKnown, "Output.isKnown").to.be.instanceOf(Promise);
    expect(await outputValue(output)).to.equal("x");
  });

  it("the mocks refuse a provider function the program was not expected to call, by its token", async () => {
    const mocks = await setPulumiMocks();
    const run = mocks.run(() => {
      pulumi.runtime.invoke("aws:index/getCallerIdentity:getCallerIdentity", {}).catch(() => undefined);
      return {};
    });
    const error = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String(error)).to.contain(
      "unexpected provider function calls: aws:index/getCallerIdentity:getCallerIdentity",
    );
  });
});
