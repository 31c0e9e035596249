import { runSimulation } from "@cloud-copilot/iam-simulate";
import { replicationRole, rolePolicies } from "../../automation/review/explain";
import { placeholdersIn, type RenderedResource, type RenderedStack } from "../../automation/review/render";
import { isPolicyDocument, type PolicyDocument } from "../../infra/policies/document";

/**
 * Runs rendered policies through @cloud-copilot/iam-simulate, an IAM evaluator we did not write, so that
 * the proof does not share our own reading of the policy language.
 *
 * Two things we must supply ourselves, because this evaluator (0.1.173) does not:
 * - request context keys derived from the principal (`aws:PrincipalAccount`, `aws:PrincipalArn`,
 *   `aws:PrincipalOrgID`): `requestContext` builds them from the principal ARN and the organization it
 *   claims to belong to; without them `${aws:PrincipalAccount}` and org conditions never match;
 * - `kms:EncryptionContext:<key>` request keys: the evaluator only knows variable keys of the form
 *   `prefix/<name>` and silently drops these, so every statement conditioned on them would deny.
 *   `encryptionContextAlias` renames such keys, in the policies and in the request alike, to the
 *   `aws:RequestTag/<name>` form it does evaluate; the condition operator and value stay as written.
 */

export type Decision = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

export interface ProofRequest {
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  /** Account that owns the resource (S3 ARNs carry none). */
  readonly resourceAccount: string;
  readonly identityPolicies: readonly PolicyDocument[];
  readonly resourcePolicy?: PolicyDocument;
  readonly context: Record<string, string | string[]>;
}

/** The evaluator's verdict. Invalid input (a policy or context it rejects) throws: it is not a denial. */
export async function decide(request: ProofRequest): Promise<Decision> {
  const result = await runSimulation(
    {
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: request.resourceAccount },
        contextVariables: aliasContext(request.context),
      },
      identityPolicies: request.identityPolicies.map((policy, i) => ({
        name: `identity-${i}`,
        policy: aliasPolicy(policy),
      })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: request.resourcePolicy ? aliasPolicy(request.resourcePolicy) : undefined,
    },
    {},
  );
  if (result.resultType === "error")
    throw new Error(`iam-simulate rejected the request: ${JSON.stringify(result.errors)}`);
  if (result.resultType !== "single")
    throw new Error(`expected one resource to be simulated, got ${result.resultType}`);
  const ignored = result.result.ignoredContextKeys ?? [];
  if (ignored.length > 0)
    throw new Error(`iam-simulate ignored context keys ${ignored.join(", ")}: the proof would be hollow`);
  return result.overallResult as Decision;
}

const ENCRYPTION_CONTEXT = /^kms:EncryptionContext:(.+)$/i;

/** `kms:EncryptionContext:aws:s3:arn` -> `aws:RequestTag/kms-encryption-context-aws-s3-arn`; other keys unchanged. */
export function encryptionContextAlias(key: string): string {
  const match = ENCRYPTION_CONTEXT.exec(key);
  return match ? `aws:RequestTag/kms-encryption-context-${match[1].replace(/:/g, "-")}` : key;
}

function aliasContext(context: Record<string, string | string[]>): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(context).map(([key, value]) => [encryptionContextAlias(key), value]));
}

function aliasPolicy(policy: PolicyDocument): PolicyDocument {
  return {
    ...policy,
    Statement: policy.Statement.map((statement) =>
      statement.Condition
        ? {
            ...statement,
            Condition: Object.fromEntries(
              Object.entries(statement.Condition).map(([operator, entries]) => [
                operator,
                Object.fromEntries(Object.entries(entries).map(([key, value]) => [encryptionContextAlias(key), value])),
              ]),
            ),
          }
        : statement,
    ),
  };
}

/** Context AWS would attach to a TLS request by `principal`, a member of `organizationId` (or not). */
export function requestContext(
  principal: string,
  organizationId: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  const account = /^arn:aws[\w-]*:(?:iam|sts)::(\d{12}):/.exec(principal)?.[1];
  if (!account) throw new Error(`not an IAM principal ARN: ${principal}`);
  return {
    "aws:PrincipalArn": principal,
    "aws:PrincipalAccount": account,
    "aws:PrincipalOrgID": organizationId,
    "aws:SecureTransport": "true",
    ...extra,
  };
}

/**
 * Rendered stacks with every placeholder replaced by a value shaped like the one AWS would assign, so
 * the evaluator sees real ARNs: a key ARN in the stack's account and region, a role ARN from the
 * role's name, a bucket ARN from the bucket's name.
 */
export function concretize(stacks: readonly RenderedStack[]): RenderedStack[] {
  const byStack = new Map(stacks.map((stack) => [stack.stack, stack]));
  const resolve = (text: string): string =>
    placeholdersIn(text).reduce((result, ref) => {
      const stack = byStack.get(ref.stack);
      const resource = stack?.resources.find((r) => r.type === ref.type && r.name === ref.name);
      const value = stack && resource ? concreteValue(stack, resource, ref.property) : undefined;
      return value === undefined ? result : result.split(ref.text).join(value);
    }, text);
  const walk = (value: unknown): unknown => {
    if (typeof value === "string") return resolve(value);
    if (Array.isArray(value)) return value.map(walk);
    if (value !== null && typeof value === "object")
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
    return value;
  };
  return stacks.map((stack) => walk(stack) as RenderedStack);
}

function concreteValue(stack: RenderedStack, resource: RenderedResource, property: string): string | undefined {
  const inputs = resource.inputs;
  switch (resource.type) {
    case "aws:kms/key:Key": {
      const keyId = `${stack.stack}-${resource.name}`;
      if (property === "arn") return `arn:aws:kms:${stack.region}:${stack.accountId}:key/${keyId}`;
      return property === "keyId" || property === "id" ? keyId : undefined;
    }
    case "aws:iam/role:Role": {
      const roleName = typeof inputs.name === "string" ? inputs.name : resource.name;
      if (property === "arn") return `arn:aws:iam::${stack.accountId}:role/${roleName}`;
      return property === "name" || property === "id" ? roleName : undefined;
    }
    case "aws:s3/bucket:Bucket": {
      const bucketName = typeof inputs.bucket === "string" ? inputs.bucket : undefined;
      if (!bucketName) return undefined;
      if (property === "arn") return `arn:aws:s3:::${bucketName}`;
      return property === "bucket" || property === "id" ? bucketName : undefined;
    }
    case "aws:sns/topic:Topic": {
      // A topic lives in the region of its provider, which for the central alarm topics is not the stack's.
      const region =
        resource.provider === undefined
          ? stack.region
          : String(stack.providers[resource.provider]?.inputs.region ?? stack.region);
      const topicName = typeof inputs.name === "string" ? inputs.name : resource.name;
      return property === "arn" || property === "id"
        ? `arn:aws:sns:${region}:${stack.accountId}:${topicName}`
        : undefined;
    }
    default:
      return undefined;
  }
}

/** The one resource of `type` in `stack` whose inputs satisfy `where`; throws when there is not exactly one. */
export function onlyResource(
  stack: RenderedStack,
  type: string,
  where: (r: RenderedResource) => boolean = () => true,
): RenderedResource {
  const found = stack.resources.filter((r) => r.type === type && where(r));
  if (found.length !== 1) throw new Error(`expected one ${type} in ${stack.stack}, found ${found.length}`);
  return found[0];
}

export function policyInput(resource: RenderedResource, input: string): PolicyDocument {
  const document = resource.inputs[input];
  if (!isPolicyDocument(document))
    throw new Error(`${resource.type} ${resource.name} has no policy document in .${input}`);
  return document;
}

/** What the proof needs from the rendered central stack and each source stack, concrete ARNs included. */
export interface ProofWorld {
  readonly organizationId: string;
  readonly central: {
    readonly accountId: string;
    readonly region: string;
    readonly bucketName: string;
    readonly bucketArn: string;
    readonly bucketPolicy: PolicyDocument;
    readonly keyArn: string;
    readonly keyPolicy: PolicyDocument;
  };
  readonly sources: readonly ProofSource[];
}

export interface ProofSource {
  readonly accountId: string;
  readonly region: string;
  readonly roleArn: string;
  /** The replication role's trust policy (who may assume it). */
  readonly trustPolicy: PolicyDocument;
  readonly rolePolicies: readonly PolicyDocument[];
  /** The stack adopts an existing bucket (no aws.s3.Bucket in it) instead of creating one. */
  readonly adopted: boolean;
  readonly bucketName: string;
  readonly bucketArn: string;
  /** Absent when the source stack sets no bucket policy. */
  readonly bucketPolicy?: PolicyDocument;
  readonly keyArn: string;
  readonly keyPolicy: PolicyDocument;
}

/** Finds the proof's subjects in concretized renders; throws naming what it could not find. */
export function proofWorld(organizationId: string, concrete: readonly RenderedStack[]): ProofWorld {
  const central = concrete.find((stack) => stack.kind === "central");
  if (!central) throw new Error("no central stack rendered");
  const centralBucketArn = String(central.outputs.bucketArn);
  const centralKeyArn = String(central.outputs.kmsKeyArn);
  const centralBucketName = centralBucketArn.replace("arn:aws:s3:::", "");
  return {
    organizationId,
    central: {
      accountId: central.accountId,
      region: central.region,
      bucketName: centralBucketName,
      bucketArn: centralBucketArn,
      bucketPolicy: policyInput(
        onlyResource(central, "aws:s3/bucketPolicy:BucketPolicy", (r) => r.inputs.bucket === centralBucketName),
        "policy",
      ),
      keyArn: centralKeyArn,
      keyPolicy: policyInput(keyWithArn(central, centralKeyArn), "policy"),
    },
    sources: concrete
      .filter((stack) => stack.kind === "source")
      .map((stack) => {
        const role = replicationRole(stack);
        if (!role) throw new Error(`no replication role in ${stack.stack}`);
        const bucketArn = String(stack.outputs.bucketArn);
        const bucketName = bucketArn.replace("arn:aws:s3:::", "");
        const keyArn = String(stack.outputs.kmsKeyArn);
        const bucketPolicies = stack.resources.filter(
          (r) => r.type === "aws:s3/bucketPolicy:BucketPolicy" && r.inputs.bucket === bucketName,
        );
        return {
          accountId: stack.accountId,
          region: stack.region,
          roleArn: String(stack.outputs.replicationRoleArn),
          trustPolicy: policyInput(role, "assumeRolePolicy"),
          rolePolicies: rolePolicies(stack, role).map((p) => p.document),
          adopted: !stack.resources.some((r) => r.type === "aws:s3/bucket:Bucket"),
          bucketName,
          bucketArn,
          bucketPolicy: bucketPolicies.length === 1 ? policyInput(bucketPolicies[0], "policy") : undefined,
          keyArn,
          keyPolicy: policyInput(keyWithArn(stack, keyArn), "policy"),
        };
      }),
  };
}

function keyWithArn(stack: RenderedStack, arn: string): RenderedResource {
  const keyId = arn.split("/").pop();
  return onlyResource(stack, "aws:kms/key:Key", (r) => `${stack.stack}-${r.name}` === keyId);
}

/** A policy that allows everything: an administrator's identity policy. */
export const ALLOW_ALL: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
};
