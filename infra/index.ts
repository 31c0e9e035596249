import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { formatProblem, loadInventory } from "../config/load";
import {
  CENTRAL_NOT_DEPLOYED,
  CENTRAL_STACK,
  CONFIG_NAMESPACE,
  ConfigKey,
  DEFAULT_INVENTORY_PATH,
  ProgramEnv,
} from "./contract";
import {
  buildStackFromEnvironment,
  type CentralKeySource,
  inputError,
  ProgramInputError,
  withSdkFramesNamed,
} from "./program";

/**
 * The Pulumi program (Pulumi.yaml `main`): the inventory and the stack name decide everything, so
 * `pulumi preview --stack account-111111111111` works without the driver, and sees the deployed central
 * key through a StackReference.
 */

// Before the SDK's own handlers (registered earlier, so prepended): see withSdkFramesNamed.
const nameSdkFrames = (error: unknown) => {
  if (error instanceof Error && typeof error.stack === "string") error.stack = withSdkFramesNamed(error.stack);
};
process.prependListener("uncaughtException", nameSdkFrames);
process.prependListener("unhandledRejection", nameSdkFrames);

/** The directory of Pulumi.yaml; relative inventory paths are taken from here, not from the cwd. */
const PROJECT_ROOT = path.resolve(__dirname, "..");

async function main(): Promise<Record<string, pulumi.Output<unknown>>> {
  const config = new pulumi.Config(CONFIG_NAMESPACE);
  const inventoryPath = path.resolve(
    PROJECT_ROOT,
    config.get(ConfigKey.inventory) ?? process.env[ProgramEnv.inventory] ?? DEFAULT_INVENTORY_PATH,
  );
  const loaded = await loadInventory(inventoryPath);
  if (!loaded.ok) throw inputError(`invalid inventory:\n${loaded.problems.map(formatProblem).join("\n")}`);
  try {
    return buildStackFromEnvironment(
      loaded.inventory,
      pulumi.getStack(),
      centralKeySource(config),
      pulumi.runtime.isDryRun(),
    );
  } catch (error) {
    if (error instanceof ProgramInputError) throw inputError(error.message);
    throw error;
  }
}

function centralKeySource(config: pulumi.Config): CentralKeySource {
  const kmsKeyArn = config.get(ConfigKey.centralKmsKeyArn);
  if (kmsKeyArn !== undefined) {
    const bucketArn = config.get(ConfigKey.centralBucketArn);
    return { kind: "config", kmsKeyArn, ...(bucketArn === undefined ? {} : { bucketArn }) };
  }
  if (process.env[ProgramEnv.central] === CENTRAL_NOT_DEPLOYED) return { kind: "not-deployed" };
  // `organization/<project>/<stack>` on the self-managed backends, `<org>/<project>/<stack>` on Pulumi Cloud.
  return { kind: "reference", stack: `${pulumi.getOrganization()}/${pulumi.getProject()}/${CENTRAL_STACK}` };
}

export = main;
