import type { StackPlan } from "../../automation/driver/plan";
import type { RenderedStack } from "../../automation/review/render";

/**
 * What a stand-in renderer returns for `plan`: the stack's identity copied from the plan, no providers, and
 * only the resources and outputs the test makes its fingerprints from.
 */
export function renderedStack(plan: StackPlan, parts: Pick<RenderedStack, "resources" | "outputs">): RenderedStack {
  return {
    stack: plan.name,
    kind: plan.kind,
    accountId: plan.accountId,
    accountName: plan.accountName,
    region: plan.region,
    roleArn: plan.roleArn,
    providers: {},
    ...parts,
  };
}
