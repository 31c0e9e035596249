import type { Inventory } from "../../config/types";
import { CENTRAL_STACK, sourceStackName } from "../../infra/contract";

export type StackKind = "central" | "source";

/** One Pulumi stack to run: everything the driver needs, derived from the inventory alone. */
export interface StackPlan {
  readonly name: string;
  readonly kind: StackKind;
  readonly accountId: string;
  readonly accountName: string;
  readonly region: string;
  /** Role the stack's aws.Provider assumes. */
  readonly roleArn: string;
  /** Names of stacks whose outputs this one needs (sources depend on `central`). */
  readonly dependsOn: readonly string[];
}

/** The ordered stacks for an inventory: central first, then each enabled source account in file order. */
export function planStacks(inventory: Inventory): StackPlan[] {
  const { central } = inventory;
  const centralPlan: StackPlan = {
    name: CENTRAL_STACK,
    kind: "central",
    accountId: central.accountId,
    accountName: central.name,
    region: central.region,
    roleArn: central.roleArn,
    dependsOn: [],
  };
  const sourcePlans = inventory.sources
    .filter((source) => source.enabled)
    .map<StackPlan>((source) => ({
      name: sourceStackName(source.accountId),
      kind: "source",
      accountId: source.accountId,
      accountName: source.name,
      region: source.region,
      roleArn: source.roleArn,
      dependsOn: [CENTRAL_STACK],
    }));
  return [centralPlan, ...sourcePlans];
}
