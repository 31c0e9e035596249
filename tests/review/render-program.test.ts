import { expect } from "chai";
import { planStacks } from "../../automation/driver/plan";
import { canonicalJson } from "../../automation/review/canonical-json";
import { DEFAULT_PROVIDER, placeholdersIn, renderStacks, type RenderedStack } from "../../automation/review/render";
import { stackProgram } from "../../automation/review/render-program";
import { policiesOf } from "../../automation/review/render-summary";
import { bundledInventory } from "../support/bundled-inventory";
import { inventory } from "../support/inventory-fixture";

/** The real Pulumi program (infra/program.ts), rendered: what a reviewer reads in render/. */

describe("render of the real program", () => {
  let stacks: RenderedStack[];
  before(async () => {
    const inv = await bundledInventory();
    stacks = await renderStacks(inv, planStacks(inv), stackProgram);
  });

  it("renders every planned stack, central first", async () => {
    const inv = await bundledInventory();
    expect(stacks.map((s) => s.stack)).to.deep.equal(planStacks(inv).map((p) => p.name));
  });

  it("puts every resource of a stack behind a provider that assumes that stack's role and is pinned to its account", () => {
    for (const stack of stacks) {
      const custom = stack.resources.filter((r) => r.custom);
      expect(
        custom.filter((r) => r.provider === DEFAULT_PROVIDER).map((r) => r.name),
        `${stack.stack}: default provider`,
      ).to.deep.equal([]);
      for (const name of new Set(custom.map((r) => r.provider!))) {
        const provider = stack.providers[name];
        expect(provider, `${stack.stack}: provider ${name}`).to.not.equal(undefined);
        const roles = (provider.inputs.assumeRoles as { roleArn: string }[]).map((role) => role.roleArn);
        expect(roles, `${stack.stack}: ${name}.assumeRoles`).to.deep.equal([stack.roleArn]);
        expect(provider.inputs.allowedAccountIds, `${stack.stack}: ${name}.allowedAccountIds`).to.deep.equal([
          stack.accountId,
        ]);
      }
    }
  });

  it("parses every policy into an object", () => {
    for (const stack of stacks) {
      expect(policiesOf(stack).length, `${stack.stack} has policies`).to.be.greaterThan(0);
      const unparsed = stack.resources.flatMap((r) =>
        Object.entries(r.inputs).filter(([key, value]) => /policy$/i.test(key) && typeof value === "string"),
      );
      expect(unparsed, `${stack.stack}: policy strings left`).to.deep.equal([]);
    }
  });

  it("renders a source stack from the central stack's placeholders, as before the central stack exists", () => {
    const source = stacks.find((s) => s.kind === "source")!;
    const refs = placeholdersIn(canonicalJson(source.resources)).filter((p) => p.stack === "central");
    expect(refs.map((p) => `${p.type} .${p.property}`)).to.include.members(["aws:kms/key:Key .arn"]);
  });

  it("keeps the central bucket and key policies the same for 1 or 60 source accounts; only the topic lists them", async () => {
    const centralPolicies = async (count: number) => {
      const inv = inventory({ count });
      const [central] = await renderStacks(inv, planStacks(inv).slice(0, 1), stackProgram);
      return policiesOf(central).map((p) => ({
        type: p.resource.type,
        resource: p.resource.name,
        document: p.document,
      }));
    };
    const [one, sixty] = [await centralPolicies(1), await centralPolicies(60)];
    const dataPolicies = (policies: typeof one) => policies.filter((p) => p.type !== "aws:sns/topicPolicy:TopicPolicy");
    expect(dataPolicies(sixty).length).to.equal(2);
    expect(dataPolicies(sixty)).to.deep.equal(dataPolicies(one));
    // The alarm topic names its monitored accounts (aws:SourceAccount, infra/policies/monitoring.ts): 15 bytes each.
    const topicBytes = (policies: typeof one) =>
      policies
        .filter((p) => p.type === "aws:sns/topicPolicy:TopicPolicy")
        .reduce((sum, p) => sum + JSON.stringify(p.document).length, 0);
    expect(topicBytes(sixty) - topicBytes(one)).to.equal(59 * 15);
  });
});
