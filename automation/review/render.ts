import * as pulumi from "@pulumi/pulumi";
import { type AdoptionSummary, adoptionSummary } from "../../config/adoption";
import type { Inventory } from "../../config/types";
import { CONFIG_NAMESPACE } from "../../infra/contract";
import type { StackPlan } from "../driver/plan";
import { withoutStackTraces } from "./stack-traces";

/**
 * Renders what a stack would create by running the Pulumi program under Pulumi's mock runtime: no CLI,
 * no plugin, no credentials. Every resource registration is recorded with its inputs, options and
 * provider; values AWS only assigns at deploy time come back as placeholders (see `placeholder`).
 */

/** One resource the program registered (providers are listed apart, in `RenderedStack.providers`). */
export interface RenderedResource {
  readonly type: string;
  readonly name: string;
  /** false for component resources (they have no cloud counterpart). */
  readonly custom: boolean;
  /** `type name` of the parent; absent when the parent is the stack itself. */
  readonly parent?: string;
  /** Logical name of the provider the resource uses; `default` = ambient credentials (a program bug). */
  readonly provider?: string;
  readonly protect?: boolean;
  readonly retainOnDelete?: boolean;
  /** Id of an existing cloud resource this one adopts (`import` resource option). */
  readonly importId?: string;
  /** Inputs as the provider would receive them, JSON strings (policies) parsed into objects. */
  readonly inputs: Record<string, unknown>;
}

export interface RenderedProvider {
  readonly type: string;
  /** Inputs of the provider: `assumeRoles`, `allowedAccountIds`, `region`... (JSON strings parsed). */
  readonly inputs: Record<string, unknown>;
}

export interface RenderedStack {
  readonly stack: string;
  readonly kind: StackPlan["kind"];
  readonly accountId: string;
  readonly accountName: string;
  readonly region: string;
  readonly roleArn: string;
  /** The source stack adopts this bucket: its key layout and what the stack manages on it. */
  readonly adoptedBucket?: AdoptionSummary;
  readonly providers: Record<string, RenderedProvider>;
  readonly resources: RenderedResource[];
  readonly outputs: Record<string, unknown>;
}

/**
 * The program as render runs it: builds one stack's resources and returns its outputs. `central` is the
 * central stack's rendered outputs (undefined when rendering the central stack itself).
 */
export type StackProgram = (
  inventory: Inventory,
  plan: StackPlan,
  central: Record<string, unknown> | undefined,
) => unknown;

/** Name under which resources without an explicit provider are listed: they would use ambient credentials. */
export const DEFAULT_PROVIDER = "default";

const PLACEHOLDER = /<unknown: (\S+) (\S+) \.(\w+) @(\S+)>/g;

/**
 * A value only known after deploy. One shape everywhere, so it stands out in a diff and can be matched:
 * `<unknown: aws:kms/key:Key central-key .arn @central>` (type, logical name, property, stack).
 */
export function placeholder(type: string, name: string, property: string, stack: string): string {
  return `<unknown: ${type} ${name} .${property} @${stack}>`;
}

export interface PlaceholderRef {
  readonly text: string;
  readonly type: string;
  readonly name: string;
  readonly property: string;
  readonly stack: string;
}

/** Every placeholder inside a string, in order of appearance. */
export function placeholdersIn(text: string): PlaceholderRef[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => ({
    text: m[0],
    type: m[1],
    name: m[2],
    property: m[3],
    stack: m[4],
  }));
}

/**
 * Properties the mock fills with a placeholder when the program did not set them: the computed
 * attributes a program reads from AWS resources (an ARN, a key id, a generated name).
 */
const COMPUTED_PROPERTIES = [
  "arn",
  "keyId",
  "name",
  "bucket",
  "bucketDomainName",
  "bucketRegionalDomainName",
  "uniqueId",
];

interface Registration {
  type: string;
  name: string;
  custom: boolean;
  providerRef: string;
  importId?: string;
  inputs: Record<string, unknown>;
}

interface Options {
  parent?: string;
  protect?: boolean;
  retainOnDelete?: boolean;
}

/**
 * Renders every stack of the plan in order, one at a time in this process; sources get central's outputs.
 * `onRendered` is told after each stack (for progress: 300 stacks take tens of seconds).
 */
export async function renderStacks(
  inventory: Inventory,
  plans: readonly StackPlan[],
  program: StackProgram,
  onRendered?: (done: number, total: number, stack: RenderedStack) => void,
): Promise<RenderedStack[]> {
  const rendered: RenderedStack[] = [];
  let central: Record<string, unknown> | undefined;
  for (const plan of plans) {
    const render = () => renderStack(inventory, plan, plan.kind === "central" ? undefined : central, program);
    // A failure is rendered again with stack traces on: the error that reaches the user keeps its stack.
    const stack = await withoutStackTraces(render).catch(render);
    if (plan.kind === "central") central = stack.outputs;
    rendered.push(stack);
    onRendered?.(rendered.length, plans.length, stack);
  }
  return rendered;
}

async function renderStack(
  inventory: Inventory,
  plan: StackPlan,
  central: Record<string, unknown> | undefined,
  program: StackProgram,
): Promise<RenderedStack> {
  const registrations: Registration[] = [];
  const options = new Map<string, Options>();
  // The runtime keeps the last root stack (and its transformations) after we return; later resources of
  // another program would still pass through this transformation, which must then do nothing.
  let recording = true;
  // The runtime reports a failed call with an empty message: keep the token to say what was refused.
  const refusedCalls: string[] = [];
  // setMocks installs a fresh mock monitor: nothing recorded for the previous stack survives.
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        registrations.push({
          type: args.type,
          name: args.name,
          custom: args.custom ?? true,
          providerRef: args.provider ?? "",
          importId: args.id || undefined,
          inputs: args.inputs,
        });
        const unknown = (property: string) => placeholder(args.type, args.name, property, plan.name);
        const state: Record<string, unknown> = { ...args.inputs };
        for (const property of COMPUTED_PROPERTIES) state[property] ??= unknown(property);
        return { id: args.id || unknown("id"), state };
      },
      call(args) {
        const answer = answerCall(args.token, plan, inventory);
        if (!answer) refusedCalls.push(args.token);
        return answer ?? Promise.reject(new Error(`render cannot answer ${args.token}`));
      },
    },
    CONFIG_NAMESPACE,
    plan.name,
    false,
  );
  let outputs: unknown;
  try {
    outputs = await pulumi.runtime.runInPulumiStack(async () => {
      // Resource options (parent, protect, retainOnDelete) never reach the mock monitor: a stack
      // transformation sees them as the program wrote them.
      pulumi.runtime.registerStackTransformation(({ type, name, opts }) => {
        if (!recording) return undefined;
        const parent = opts.parent as unknown as { __pulumiType?: string; __name?: string } | undefined;
        const key = resourceKey(type, name);
        if (options.has(key)) throw new Error(`render: two resources named ${key} in stack ${plan.name}`);
        options.set(key, {
          parent:
            parent?.__pulumiType === undefined || parent.__pulumiType === ROOT_STACK_TYPE
              ? undefined
              : resourceKey(parent.__pulumiType, parent.__name ?? ""),
          protect: opts.protect,
          retainOnDelete: opts.retainOnDelete,
        });
        return undefined;
      });
      return program(inventory, plan, central) as Record<string, unknown> | undefined;
    });
    // Resources created inside apply() register after the outputs resolve: wait for every pending RPC.
    await pulumi.runtime.disconnect();
  } catch (error) {
    if (refusedCalls.length === 0) throw error;
  } finally {
    recording = false;
  }
  if (refusedCalls.length > 0) {
    throw new Error(
      `render: the program of stack ${plan.name} calls ${refusedCalls.join(", ")}, ` +
        "which render cannot answer without AWS",
    );
  }
  const source = plan.kind === "source" ? inventory.sources.find((s) => s.accountId === plan.accountId) : undefined;
  const adopted = source && adoptionSummary(source);
  const stack = assemble(plan, registrations, options, (outputs ?? {}) as Record<string, unknown>);
  return adopted ? { ...stack, adoptedBucket: adopted } : stack;
}

const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";
const PROVIDER_TYPE_PREFIX = "pulumi:providers:";

function resourceKey(type: string, name: string): string {
  return `${type} ${name}`;
}

function assemble(
  plan: StackPlan,
  registrations: Registration[],
  options: Map<string, Options>,
  outputs: Record<string, unknown>,
): RenderedStack {
  const providers: Record<string, RenderedProvider> = {};
  const resources: RenderedResource[] = [];
  for (const registration of registrations) {
    if (registration.type === ROOT_STACK_TYPE) continue;
    if (registration.type.startsWith(PROVIDER_TYPE_PREFIX)) {
      providers[registration.name] = {
        type: registration.type,
        inputs: parseJsonStrings(registration.inputs) as Record<string, unknown>,
      };
      continue;
    }
    const opts = options.get(resourceKey(registration.type, registration.name)) ?? {};
    resources.push(
      omitUndefined({
        type: registration.type,
        name: registration.name,
        custom: registration.custom,
        parent: opts.parent,
        provider: registration.custom ? providerName(registration.providerRef) : undefined,
        protect: effectiveProtect(opts, options),
        retainOnDelete: opts.retainOnDelete,
        importId: registration.importId,
        inputs: parseJsonStrings(registration.inputs) as Record<string, unknown>,
      }),
    );
  }
  return {
    ...stackIdentity(plan),
    providers,
    resources: sortByTree(resources),
    outputs: parseJsonStrings(outputs) as Record<string, unknown>,
  };
}

/** The fields of a rendered stack that say which stack it is: the plan's, as they are. */
export function stackIdentity(
  plan: StackPlan,
): Pick<RenderedStack, "stack" | "kind" | "accountId" | "accountName" | "region" | "roleArn"> {
  return {
    stack: plan.name,
    kind: plan.kind,
    accountId: plan.accountId,
    accountName: plan.accountName,
    region: plan.region,
    roleArn: plan.roleArn,
  };
}

/** `protect` is inherited from the parent when a resource does not set it. */
function effectiveProtect(opts: Options, options: Map<string, Options>): boolean | undefined {
  let current: Options | undefined = opts;
  while (current) {
    if (current.protect !== undefined) return current.protect;
    current = current.parent ? options.get(current.parent) : undefined;
  }
  return undefined;
}

/** A provider reference is `<provider urn>::<provider id>`; the urn ends with the provider's name. */
function providerName(ref: string): string {
  const parts = ref.split("::");
  if (parts.length < 5 || parts[3].startsWith("default")) return DEFAULT_PROVIDER;
  return parts[3];
}

/** Registration order can vary with apply() timing: order by position in the parent tree instead. */
function sortByTree(resources: RenderedResource[]): RenderedResource[] {
  const byKey = new Map(resources.map((r) => [resourceKey(r.type, r.name), r]));
  const path = (r: RenderedResource): string[] => {
    const parent = r.parent ? byKey.get(r.parent) : undefined;
    return [...(parent ? path(parent) : []), `${r.name}\u0000${r.type}`];
  };
  const keyed = resources.map((r) => ({ r, path: path(r) }));
  keyed.sort((a, b) => comparePaths(a.path, b.path));
  return keyed.map((k) => k.r);
}

function comparePaths(a: string[], b: string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return a.length - b.length;
}

/** Strings holding a JSON object or array (policies, provider `assumeRoles`) become that value. */
export function parseJsonStrings(value: unknown): unknown {
  if (typeof value === "string") {
    const trimmed = value.trim();
    if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
      try {
        return parseJsonStrings(JSON.parse(trimmed));
      } catch {
        return value;
      }
    }
    return value;
  }
  if (Array.isArray(value)) return value.map(parseJsonStrings);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, parseJsonStrings(v)]));
  }
  return value;
}

function omitUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * The data sources a program may call, answered from the plan: the account is the one the stack's
 * provider assumes a role in. Anything else is refused by name rather than answered with a guess.
 */
function answerCall(token: string, plan: StackPlan, inventory: Inventory): Record<string, unknown> | undefined {
  switch (token) {
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return {
        accountId: plan.accountId,
        arn: `arn:aws:sts::${plan.accountId}:assumed-role/${plan.roleArn.split("/").pop()}/org-s3-backup`,
        userId: "RENDER:org-s3-backup",
        id: plan.accountId,
      };
    case "aws:index/getPartition:getPartition":
      return { partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws", id: "aws" };
    case "aws:index/getRegion:getRegion":
      return { name: plan.region, region: plan.region, id: plan.region, endpoint: `ec2.${plan.region}.amazonaws.com` };
    case "aws:organizations/getOrganization:getOrganization":
      return { id: inventory.organizationId };
    default:
      return undefined;
  }
}
