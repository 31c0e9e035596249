import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { formatProblem, loadInventory } from "../config/load";
import { CONFIG_NAMESPACE, ConfigKey, DEFAULT_INVENTORY_PATH } from "./contract";
import { buildStackFromConfig, ProgramInputError } from "./program";

/**
 * The Pulumi program (Pulumi.yaml `main`): the inventory and the stack name decide everything, so
 * `pulumi preview --stack account-111111111111` works without the driver.
 */

/** The directory of Pulumi.yaml; relative inventory paths are taken from here, not from the cwd. */
const PROJECT_ROOT = path.resolve(__dirname, "..");

async function main(): Promise<Record<string, pulumi.Output<unknown>>> {
  const config = new pulumi.Config(CONFIG_NAMESPACE);
  const inventoryPath = path.resolve(PROJECT_ROOT, config.get(ConfigKey.inventory) ?? DEFAULT_INVENTORY_PATH);
  const loaded = await loadInventory(inventoryPath);
  if (!loaded.ok) throw new pulumi.RunError(`invalid inventory:\n${loaded.problems.map(formatProblem).join("\n")}`);
  const centralConfig = {
    centralBucketArn: config.get(ConfigKey.centralBucketArn),
    centralKmsKeyArn: config.get(ConfigKey.centralKmsKeyArn),
  };
  try {
    return buildStackFromConfig(loaded.inventory, pulumi.getStack(), centralConfig, pulumi.runtime.isDryRun());
  } catch (error) {
    // A RunError is reported without a stack trace: input errors are not program bugs.
    if (error instanceof ProgramInputError) throw new pulumi.RunError(error.message);
    throw error;
  }
}

export = main;
