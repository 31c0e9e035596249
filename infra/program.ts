import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { adoptedBucketOf } from "../config/adoption";
import type { AdoptedBucketManagement, Inventory, SourceAccount } from "../config/types";
import { CentralBackupBucket } from "./components/central-backup-bucket";
import { accountIdOfStack, CENTRAL_STACK, CentralOutput, SourceOutput, sourceStackName, stackNames } from "./contract";
import { AlarmTopic } from "./components/alarm-topic";
import { alarmTopicFor, alarmTopicRegions, alarmTopicSourceAccounts } from "./policies/monitoring";
import { bucketArn } from "./policies/document";
import { accountProvider } from "./provider";
import { SourceReplicatedBucket } from "./components/source-replicated-bucket";

/**
 * The Pulumi program as a function of the inventory and the stack name, shared by infra/index.ts and
 * by `render` (which runs it for every stack in one process): no global state, no file or config reads.
 */

/** What a source stack needs from the central stack. The bucket ARN is derived from the inventory. */
export interface CentralRefs {
  /** Full ARN of the central key; an unknown Output in a preview made before the central stack exists. */
  readonly kmsKeyArn: pulumi.Input<string>;
}

/** The inventory, the stack name or the stack's config cannot make a stack: the user's to fix. */
export class ProgramInputError extends Error {}

/**
 * What infra/index.ts throws for an input error: a RunError is reported without a stack trace and the
 * process exits 32. Its stack is set to the message: the SDK formats the error with util.inspect before
 * deciding not to print it, and on the SDK's source-mapped stack lines Node 22's formatter loops for ~20 s
 * and ~3 GB before giving up (found by tests/infra/harness.test.ts; bench/program.ts prints the time).
 * The user sees the same message either way.
 */
export function inputError(message: string): pulumi.RunError {
  const error = new pulumi.RunError(message);
  error.stack = `RunError: ${message}`;
  return error;
}

/**
 * The same Node 22 formatter loop hits any uncaught error whose stack names an SDK frame the way the
 * SDK's source maps write it, `/node_modules/@pulumi/resource.ts:1687:22` (a scope without a package):
 * a failed StackReference read took ~25 s and ~3 GB before the engine's message. The file really lives
 * under `@pulumi/pulumi/`; naming it so keeps the stack trace and ends the loop.
 */
export function withSdkFramesNamed(stack: string): string {
  return stack.replace(
    /\/node_modules\/@pulumi\/(?!pulumi\/)(?=[^/\s:()]+\.[jt]s\b)/g,
    "/node_modules/@pulumi/pulumi/",
  );
}

/** A stack name the inventory does not define. */
export class UnknownStackError extends ProgramInputError {}

export function buildStack(
  inventory: Inventory,
  stackName: string,
  central?: CentralRefs,
): Record<string, pulumi.Output<unknown>> {
  if (stackName === CENTRAL_STACK) return buildCentral(inventory);
  const source = sourceOfStack(inventory, stackName);
  if (!central)
    throw new ProgramInputError(
      `stack ${stackName}: the central KMS key ARN is required (the central stack's ${CentralOutput.kmsKeyArn} output)`,
    );
  return buildSource(inventory, source, central);
}

function sourceOfStack(inventory: Inventory, stackName: string): SourceAccount {
  const accountId = accountIdOfStack(stackName);
  const source = inventory.sources.find((s) => s.accountId === accountId);
  if (source?.enabled) return source;
  const valid = stackNames(inventory);
  const why = source
    ? `account ${source.accountId} (${source.name}) is disabled in ${inventory.sourcePath}`
    : `no such stack in ${inventory.sourcePath}`;
  throw new UnknownStackError(`stack '${stackName}': ${why}; valid stacks: ${valid.join(", ")}`);
}

/** The inventory's loader refuses a topic in the wrong region; this guards inventories built in code. */
function sourceAlarmTopic(inventory: Inventory, source: SourceAccount): string {
  const choice = alarmTopicFor(source, inventory.central);
  if (!choice.ok) throw new ProgramInputError(choice.message);
  return choice.topicArn;
}

function centralBucketArn(inventory: Inventory): string {
  return bucketArn(inventory.central.region, inventory.central.bucketName);
}

function buildCentral(inventory: Inventory): Record<string, pulumi.Output<unknown>> {
  const { central } = inventory;
  const provider = accountProvider(`${CENTRAL_STACK}-aws`, central);
  const backup = new CentralBackupBucket(
    CENTRAL_STACK,
    {
      organizationId: inventory.organizationId,
      accountId: central.accountId,
      region: central.region,
      bucketName: central.bucketName,
      kmsAlias: central.kmsAlias,
      objectLock: central.objectLock,
      noncurrentVersions: central.noncurrentVersions,
    },
    { provider },
  );
  const topicArns = centralAlarmTopics(inventory, provider);
  return {
    [CentralOutput.bucketName]: backup.bucketName,
    [CentralOutput.bucketArn]: backup.bucketArn,
    [CentralOutput.kmsKeyArn]: backup.kmsKeyArn,
    [CentralOutput.alarmTopicArn]: pulumi.output(central.alarmTopicArn ?? topicArns[central.region]),
    [CentralOutput.alarmTopicArns]: pulumi.output(topicArns),
  };
}

/**
 * One alarm topic per region with monitored sources (CloudWatch only notifies topics of its own region),
 * each through a provider of the central account in that region. Region -> topic ARN.
 */
function centralAlarmTopics(
  inventory: Inventory,
  centralProvider: aws.Provider,
): Record<string, pulumi.Output<string>> {
  const { central } = inventory;
  const topicArns: Record<string, pulumi.Output<string>> = {};
  for (const region of alarmTopicRegions(inventory)) {
    const provider =
      region === central.region
        ? centralProvider
        : accountProvider(`${CENTRAL_STACK}-aws-${region}`, { ...central, region });
    const topic = new AlarmTopic(
      `${CENTRAL_STACK}-alarms-${region}`,
      {
        organizationId: inventory.organizationId,
        region,
        sourceAccountIds: alarmTopicSourceAccounts(inventory, region),
      },
      { provider },
    );
    topicArns[region] = topic.topicArn;
  }
  return topicArns;
}

function buildSource(
  inventory: Inventory,
  source: SourceAccount,
  central: CentralRefs,
): Record<string, pulumi.Output<unknown>> {
  const stackName = sourceStackName(source.accountId);
  const provider = accountProvider(`${stackName}-aws`, source);
  const replicated = new SourceReplicatedBucket(
    stackName,
    {
      accountId: source.accountId,
      region: source.region,
      bucketName: source.bucket.name,
      existingBucket: source.bucket.existing,
      ...adoptedBucketArgs(source),
      kmsAlias: source.kmsAlias,
      replication: source.replication,
      centralAccountId: inventory.central.accountId,
      centralRegion: inventory.central.region,
      centralBucketName: inventory.central.bucketName,
      centralBucketArn: centralBucketArn(inventory),
      centralKmsKeyArn: central.kmsKeyArn,
      centralObjectLock: inventory.central.objectLock !== undefined,
      alarmTopicArn: source.monitoring.enabled ? sourceAlarmTopic(inventory, source) : undefined,
      backfill: source.backfill.enabled,
    },
    { provider },
  );
  return {
    [SourceOutput.bucketName]: replicated.bucketName,
    [SourceOutput.bucketArn]: replicated.bucketArn,
    [SourceOutput.kmsKeyArn]: replicated.kmsKeyArn,
    [SourceOutput.replicationRoleArn]: replicated.replicationRoleArn,
    ...(replicated.alarmArns.length > 0 ? { [SourceOutput.alarmArns]: pulumi.all(replicated.alarmArns) } : {}),
    ...(replicated.backfillRoleArn ? { [SourceOutput.backfillRoleArn]: replicated.backfillRoleArn } : {}),
  };
}

/** What the inventory lets the stack take over on an adopted bucket, and the extra keys its objects use. */
function adoptedBucketArgs(source: SourceAccount): {
  manage?: AdoptedBucketManagement;
  additionalKmsKeyArns?: string[];
} {
  const adopted = adoptedBucketOf(source);
  return adopted ? { manage: adopted.manage, additionalKmsKeyArns: [...adopted.additionalKmsKeyArns] } : {};
}

/**
 * Where a source stack takes the central key ARN from, as infra/index.ts sees it:
 * - `config`: the stack's config names it (an explicit override, e.g. a hand-run stack);
 * - `not-deployed`: the driver says the central stack does not exist yet (a preview before the first `up`);
 * - `reference`: by default, the deployed central stack's `kmsKeyArn` output, read with a StackReference.
 *   Source stacks then need no per-stack config at all, and a reviewer's `pulumi preview --stack account-…`
 *   sees the real key ARN.
 */
export type CentralKeySource =
  | { readonly kind: "config"; readonly kmsKeyArn: string; readonly bucketArn?: string }
  | { readonly kind: "not-deployed" }
  | { readonly kind: "reference"; readonly stack: string };

/**
 * The program as infra/index.ts runs it. The stack name is checked first, so a mistyped name is
 * reported as such rather than as a missing central value.
 */
export function buildStackFromEnvironment(
  inventory: Inventory,
  stackName: string,
  central: CentralKeySource,
  preview: boolean,
): Record<string, pulumi.Output<unknown>> {
  if (stackName === CENTRAL_STACK) return buildStack(inventory, stackName);
  sourceOfStack(inventory, stackName);
  return buildStack(inventory, stackName, centralRefs(inventory, central, preview));
}

/**
 * The central refs of a source stack. A preview before the central stack exists must still work: the
 * key ARN is then unknown. A deployment needs the real key ARN: S3 accepts any replicaKmsKeyId and
 * replication fails later, so it is checked here, whichever way it arrived.
 */
export function centralRefs(inventory: Inventory, central: CentralKeySource, preview: boolean): CentralRefs {
  switch (central.kind) {
    case "not-deployed":
      if (preview) return { kmsKeyArn: pulumi.output(pulumi.unknown as unknown as string) };
      throw new ProgramInputError(
        "the central stack is not deployed: " +
          "run `org-s3-backup up` (it deploys the central stack first), then this stack",
      );
    case "config": {
      const expectedBucketArn = centralBucketArn(inventory);
      if (central.bucketArn !== undefined && central.bucketArn !== expectedBucketArn) {
        throw new ProgramInputError(
          `config centralBucketArn is ${central.bucketArn} ` +
            `but the inventory's central bucket is ${expectedBucketArn}: remove the override or make it agree`,
        );
      }
      if (!preview) checkCentralKeyArn(inventory, central.kmsKeyArn, "config centralKmsKeyArn");
      return { kmsKeyArn: central.kmsKeyArn };
    }
    case "reference": {
      const reference = new pulumi.StackReference(central.stack);
      const kmsKeyArn = reference.requireOutput(CentralOutput.kmsKeyArn).apply((value) => {
        const arn = String(value);
        if (!preview) checkCentralKeyArn(inventory, arn, `${central.stack} output ${CentralOutput.kmsKeyArn}`);
        return arn;
      });
      return { kmsKeyArn };
    }
  }
}

function checkCentralKeyArn(inventory: Inventory, arn: string, where: string): void {
  const { central } = inventory;
  const keyArn = new RegExp(`^arn:[\\w-]+:kms:${central.region}:${central.accountId}:key/[\\w-]+$`);
  if (!keyArn.test(arn)) {
    throw new ProgramInputError(
      `${where} '${arn}' is not a key ARN of account ${central.accountId} in ${central.region}: ` +
        "replication needs the full key ARN (an alias resolves in the source account)",
    );
  }
}
