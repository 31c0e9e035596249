import * as pulumi from "@pulumi/pulumi";
import { withoutStackTraces } from "../../automation/review/stack-traces";

/**
 * Pulumi mocks (preview = false, so every Output resolves) that record each resource's type, name,
 * inputs and provider, so a test can assert what a component created, with which values and through
 * which provider.
 */

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  // biome-ignore lint/suspicious/noExplicitAny: inputs arrive as the program wrote them; tests read them by path
  readonly inputs: Record<string, any>;
  /** `<provider urn>::<provider id>`; undefined for component resources and providers themselves. */
  readonly provider?: string;
}

/** Resource options as the program wrote them (they never reach the mock monitor). */
export interface RecordedOptions {
  readonly protect?: boolean;
  readonly retainOnDelete?: boolean;
  /** Logical name of the parent resource, undefined for the stack itself. */
  readonly parent?: string;
  /** Logical names of the resources given in `dependsOn`. */
  readonly dependsOn?: string[];
}

export interface PulumiMocks {
  readonly resources: RecordedResource[];
  /** Options of the resources created inside `run`, by `<type> <name>`. */
  readonly options: Map<string, RecordedOptions>;
  /**
   * Runs `program` as a stack (its result = the stack outputs, resolved) and returns once every resource
   * it created registered. After it, call setPulumiMocks again before creating more resources.
   */
  run(program: () => unknown): Promise<Record<string, unknown>>;
  /** The resources of `type` once `count` of them were registered (registration is asynchronous). */
  ofType(type: string, count: number): Promise<RecordedResource[]>;
}

/**
 * `stateByType`: extra state the mock engine returns for resources of a type, e.g. the outputs of a
 * `pulumi:pulumi:StackReference` (a read of another stack).
 */
export async function setPulumiMocks(
  stateByType: Readonly<Record<string, Record<string, unknown>>> = {},
): Promise<PulumiMocks> {
  const resources: RecordedResource[] = [];
  const options = new Map<string, RecordedOptions>();
  // A provider function the program calls unexpectedly must fail the test by name, not be answered
  // with its own inputs (pulumi-awsx's mocks do the same). The runtime reports a rejected call with
  // an empty message, so the tokens are kept and `run` names them.
  const unexpectedCalls: string[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        resources.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs,
          ...(args.provider ? { provider: args.provider } : {}),
        });
        const physicalName = args.inputs.bucket ?? args.inputs.name ?? `${args.name}-physical`;
        const arn = mockArn(args.type, physicalName);
        const keyId = args.type === "aws:kms/key:Key" ? { keyId: physicalName } : {};
        return {
          id: `${args.name}-id`,
          state: { ...args.inputs, ...(arn ? { arn } : {}), ...keyId, ...stateByType[args.type] },
        };
      },
      call: (args) => {
        unexpectedCalls.push(args.token);
        return Promise.reject(new Error(`unexpected provider function call ${args.token}`));
      },
    },
    "org-s3-backup",
    "test",
    false,
  );
  return {
    resources,
    options,
    async run(program) {
      // As render does (see withoutStackTraces): an error the program throws comes without its stack; set
      // PULUMI_DEBUG_PROMISE_LEAKS=1 to have it back.
      const outputs = await withoutStackTraces(async () => {
        const stackOutputs = await pulumi.runtime.runInPulumiStack(async () => {
          pulumi.runtime.registerStackTransformation(({ type, name, opts }) => {
            const parent = opts.parent as unknown as { __name?: string; __pulumiType?: string } | undefined;
            options.set(`${type} ${name}`, {
              protect: opts.protect,
              retainOnDelete: opts.retainOnDelete,
              parent: parent?.__pulumiType === "pulumi:pulumi:Stack" ? undefined : parent?.__name,
              ...(opts.dependsOn
                ? { dependsOn: [opts.dependsOn].flat().map((r) => (r as unknown as { __name?: string }).__name ?? "?") }
                : {}),
            });
            return undefined;
          });
          return program() as Record<string, unknown>;
        });
        // Registrations are asynchronous RPCs: wait for all of them.
        await pulumi.runtime.disconnect();
        return stackOutputs;
      });
      if (unexpectedCalls.length > 0) {
        throw new Error(`the program made unexpected provider function calls: ${unexpectedCalls.join(", ")}`);
      }
      return (outputs ?? {}) as Record<string, unknown>;
    },
    async ofType(type, count) {
      const deadline = Date.now() + 5000;
      for (;;) {
        const found = resources.filter((r) => r.type === type);
        if (found.length >= count || Date.now() > deadline) return found;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
  };
}

/** ARNs shaped like AWS's, in the documentation account 123456789012 and eu-west-1. */
function mockArn(type: string, name: string): string | undefined {
  if (type === "aws:sns/topic:Topic") return `arn:aws:sns:eu-west-1:123456789012:${name}`;
  if (type === "aws:iam/role:Role") return `arn:aws:iam::123456789012:role/${name}`;
  if (type === "aws:cloudwatch/metricAlarm:MetricAlarm")
    return `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${name}`;
  if (type === "aws:s3/bucket:Bucket") return `arn:aws:s3:::${name}`;
  if (type === "aws:kms/key:Key") return `arn:aws:kms:eu-west-1:123456789012:key/${name}`;
  return undefined;
}

export function outputValue<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

/**
 * Whether an Output's value is known: an unknown one (a preview value) never resolves through `outputValue`.
 * `isKnown` is internal to @pulumi/pulumi's Output, so it is read here and nowhere else.
 */
export function isKnown(output: pulumi.Output<unknown>): Promise<boolean> {
  return (output as unknown as { isKnown: Promise<boolean> }).isKnown;
}

/**
 * Names of the resources created with `{ parent: component }`. Pulumi records children on the parent
 * (`__childResources`, internal) and mocks do not receive the parent, so this is the way to see it.
 */
export function childNames(component: pulumi.Resource): string[] {
  const children =
    (component as unknown as { __childResources?: Set<{ __name?: string }> }).__childResources ?? new Set();
  return [...children].map((child) => child.__name ?? "?");
}
