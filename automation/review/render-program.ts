import { buildStack } from "../../infra/program";
import { CentralOutput } from "../../infra/contract";
import type { StackProgram } from "./render";

/**
 * The real Pulumi program (infra/program.ts) as render runs it: a source stack gets the central key ARN
 * from the central stack's rendered outputs, the placeholder it would be before the central deploy.
 */
export const stackProgram: StackProgram = (inventory, plan, central) =>
  buildStack(
    inventory,
    plan.name,
    central === undefined ? undefined : { kmsKeyArn: String(central[CentralOutput.kmsKeyArn]) },
  );
