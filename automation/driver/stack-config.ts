import { partitionOf } from "../../config/regions";
import type { Inventory } from "../../config/types";
import { CentralOutput, CONFIG_NAMESPACE, ConfigKey } from "../../infra/contract";
import type { StackConfig, StackOutputs } from "../engine/engine";

/**
 * What a stack's program takes from outside the inventory, as config keys: the inventory path, and for a
 * source the central outputs it reads through its StackReference. The driver records these in the
 * desired-state fingerprint; it never writes them as stack config (the program gets them from the
 * environment and the StackReference). The same keys are the program's explicit config overrides.
 */

export interface CentralOutputs {
  readonly bucketArn: string;
  readonly kmsKeyArn: string;
}

const key = (name: string) => `${CONFIG_NAMESPACE}:${name}`;

export function centralStackConfig(inventoryPath: string): StackConfig {
  return { [key(ConfigKey.inventory)]: inventoryPath };
}

export function sourceStackConfig(inventoryPath: string, central: CentralOutputs): StackConfig {
  return {
    [key(ConfigKey.inventory)]: inventoryPath,
    [key(ConfigKey.centralBucketArn)]: central.bucketArn,
    [key(ConfigKey.centralKmsKeyArn)]: central.kmsKeyArn,
  };
}

/** The central outputs sources need, or the names of those missing. */
export function readCentralOutputs(
  outputs: StackOutputs,
): { ok: true; value: CentralOutputs } | { ok: false; missing: string[] } {
  const text = (name: string) => {
    const value = outputs[name]?.value;
    return typeof value === "string" && value.length > 0 ? value : undefined;
  };
  const bucketArn = text(CentralOutput.bucketArn);
  const kmsKeyArn = text(CentralOutput.kmsKeyArn);
  if (bucketArn === undefined || kmsKeyArn === undefined) {
    return {
      ok: false,
      missing: [
        ...(bucketArn === undefined ? [CentralOutput.bucketArn] : []),
        ...(kmsKeyArn === undefined ? [CentralOutput.kmsKeyArn] : []),
      ],
    };
  }
  return { ok: true, value: { bucketArn, kmsKeyArn } };
}

/**
 * What a source preview can use before the central stack exists (a preview must not need a deployed
 * central stack): the bucket ARN is known from its name; the key by its alias ARN, a stand-in for the
 * fingerprint only (the program previews with the key unknown). `note` says so, for the summary.
 */
export function provisionalCentralOutputs(inventory: Inventory): { outputs: CentralOutputs; note: string } {
  const { central } = inventory;
  const partition = partitionOf(central.region);
  const outputs: CentralOutputs = {
    bucketArn: `arn:${partition}:s3:::${central.bucketName}`,
    kmsKeyArn: `arn:${partition}:kms:${central.region}:${central.accountId}:${central.kmsAlias}`,
  };
  return {
    outputs,
    note: "central stack not deployed: sources previewed with the central KMS key ARN unknown",
  };
}
