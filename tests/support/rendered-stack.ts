import type { StackPlan } from "../../automation/driver/plan";
import { type RenderedStack, stackIdentity } from "../../automation/review/render";

/**
 * What a stand-in renderer returns for `plan`: the stack's identity copied from the plan, no providers, and
 * only the resources and outputs the test makes its fingerprints from.
 */
export function renderedStack(plan: StackPlan, parts: Pick<RenderedStack, "resources" | "outputs">): RenderedStack {
  return { ...stackIdentity(plan), providers: {}, ...parts };
}
