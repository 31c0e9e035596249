import { createRequire } from "node:module";
import type { PulumiCommand } from "@pulumi/pulumi/automation";

/**
 * A recording stand-in for the Pulumi CLI, given to LocalWorkspace as its `pulumiCommand`: every
 * invocation is recorded, answered the way the real CLI 3.270 answers (JSON shapes included), and
 * engine events are streamed to the Automation API's events server like the real CLI does. Failures
 * are scripted with the real error texts.
 */

// Pulumi's own copies, so that the objects are the ones the Automation API expects.
const pulumiRequire = createRequire(require.resolve("@pulumi/pulumi/package.json"));
const { SemVer } = pulumiRequire("semver") as typeof import("semver");
const grpc = pulumiRequire("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
const { EventsClient } = pulumiRequire("./proto/events_grpc_pb");
const { EventRequest } = pulumiRequire("./proto/events_pb");
const { CommandResult } = pulumiRequire("./automation/cmd");
const { createCommandError } = pulumiRequire("./automation/errors");

export interface FakeCall {
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly start: number;
  end?: number;
}

export interface FakeStack {
  outputs: Record<string, { value: unknown; secret?: boolean }>;
  /** Resource changes the next operation reports (summary event, stack history). */
  changes: Record<string, number>;
  protectedUrns: string[];
  /** Stack tags (`stack tag ls/set`). */
  tags: Record<string, string>;
}

/** A scripted failure: when `match` accepts the args, the command fails with this output. */
export interface FakeFailure {
  readonly match: (args: readonly string[]) => boolean;
  readonly stdout?: string;
  readonly stderr: string;
}

export class FakePulumiCommand {
  readonly command = "pulumi";
  readonly version = new SemVer("3.270.0");
  readonly calls: FakeCall[] = [];
  readonly stacks = new Map<string, FakeStack>();
  readonly failures: FakeFailure[] = [];
  /** Calls that were running at the same time as another workspace-mutating call. */
  overlappingWorkspaceWrites = 0;
  private workspaceWritesInFlight = 0;

  /** Each command takes `delayMs`; preview/up/destroy/refresh take `operationDelayMs`. */
  constructor(
    private readonly delayMs = 5,
    private readonly operationDelayMs = delayMs,
  ) {}

  addStack(name: string, stack: Partial<FakeStack> = {}): FakeStack {
    const value: FakeStack = { outputs: {}, changes: { same: 1 }, protectedUrns: [], tags: {}, ...stack };
    this.stacks.set(name, value);
    return value;
  }

  /** The recorded argument lists, without the event-log address (it changes every run). */
  invocations(): string[][] {
    return this.calls.map((call) => stripEventLog(call.args));
  }

  asPulumiCommand(): PulumiCommand {
    return this as unknown as PulumiCommand;
  }

  async run(
    args: string[],
    cwd: string,
    additionalEnv: Record<string, string>,
    onOutput?: (data: string) => void,
    onError?: (data: string) => void,
    signal?: AbortSignal,
  ): Promise<{ stdout: string; stderr: string; code: number }> {
    const call: FakeCall = { args: [...args], cwd, env: { ...additionalEnv }, start: Date.now() };
    this.calls.push(call);
    const writesWorkspace = isWorkspaceWrite(args);
    if (writesWorkspace) {
      if (this.workspaceWritesInFlight > 0) this.overlappingWorkspaceWrites += 1;
      this.workspaceWritesInFlight += 1;
    }
    try {
      await abortableDelay(OPERATIONS.has(args[0]) ? this.operationDelayMs : this.delayMs, signal);
      const failure = this.failures.find((f) => f.match(args));
      if (failure) {
        onOutput?.(failure.stdout ?? "");
        onError?.(failure.stderr);
        throw createCommandError(new CommandResult(failure.stdout ?? "", failure.stderr, 255));
      }
      const stdout = await this.answer(args, signal);
      onOutput?.(stdout);
      return new CommandResult(stdout, "", 0);
    } finally {
      call.end = Date.now();
      if (writesWorkspace) this.workspaceWritesInFlight -= 1;
    }
  }

  private async answer(args: readonly string[], signal?: AbortSignal): Promise<string> {
    const stackName = flag(args, "--stack");
    const [verb, sub] = args;
    if (verb === "version") return "v3.270.0\n";
    if (verb === "whoami") return JSON.stringify({ user: "ci", organizations: [], url: "file://~" });
    if (verb === "plugin" && sub === "ls") return "[]";
    if (verb === "plugin" && sub === "install") return `[resource plugin ${args[3]}-${args[4]}] installing\n`;
    if (verb === "stack" && sub === "ls") {
      return JSON.stringify(
        [...this.stacks.keys()].map((name) => ({
          name,
          current: false,
          updateInProgress: false,
          url: `file://${name}`,
        })),
      );
    }
    if (verb === "stack" && sub === "select") return this.existing(stackName, "") && "";
    // A remote workspace checks that a stack exists without selecting it.
    if (verb === "stack" && sub === "--stack") return this.existing(stackName, `Current stack is ${stackName}:\n`);
    if (verb === "stack" && sub === "tag" && args[2] === "ls") {
      return this.existing(stackName, "") + JSON.stringify(this.stacks.get(stackName!)!.tags);
    }
    if (verb === "stack" && sub === "tag" && args[2] === "set") {
      this.existing(stackName, "");
      this.stacks.get(stackName!)!.tags[args[3]] = args[4];
      return "";
    }
    // LocalWorkspace checks that the CLI supports remote operations before a remote workspace is used.
    if (verb === "preview" && sub === "--help")
      return "Usage:\n  pulumi preview [url] [flags]\n      --remote   Run the operation remotely\n";
    if (verb === "cancel") return `The currently running update for '${stackName}' has been canceled!\n`;
    if (verb === "stack" && sub === "init") {
      const name = args[2];
      if (this.stacks.has(name))
        throw createCommandError(new CommandResult("", `error: stack '${name}' already exists`, 255));
      this.addStack(name);
      return `Created stack '${name}'\n`;
    }
    if (verb === "stack" && sub === "rm") {
      const name = args[args.length - 1];
      this.stacks.delete(name);
      return `Stack '${name}' has been removed!\n`;
    }
    if (verb === "config" && sub === "set-all") return this.existing(stackName, "");
    if (verb === "stack" && sub === "output") {
      const stack = this.stacks.get(stackName!)!;
      const show = args.includes("--show-secrets");
      return JSON.stringify(
        Object.fromEntries(
          Object.entries(stack.outputs).map(([k, o]) => [k, o.secret && !show ? "[secret]" : o.value]),
        ),
      );
    }
    if (verb === "stack" && sub === "history") {
      const stack = this.stacks.get(stackName!)!;
      const now = new Date().toISOString();
      return JSON.stringify([
        {
          version: 1,
          kind: "update",
          result: "succeeded",
          message: "",
          environment: {},
          config: {},
          startTime: now,
          endTime: now,
          resourceChanges: stack.changes,
        },
      ]);
    }
    if (verb === "stack" && sub === "export") {
      const stack = this.stacks.get(stackName!)!;
      return JSON.stringify({
        version: 3,
        deployment: {
          manifest: {},
          resources: stack.protectedUrns.map((urn) => ({ urn, protect: true, type: urn.split("::")[2] ?? "" })),
        },
      });
    }
    if (OPERATIONS.has(verb)) {
      const stack = this.stacks.get(stackName!)!;
      await this.streamEvents(args, stack, signal);
      return `Updating (${stackName}):\n\nResources:\n    ${Object.entries(stack.changes)
        .map(([op, n]) => `${n} ${op}`)
        .join(", ")}\n`;
    }
    throw new Error(`fake pulumi: no answer for ${args.join(" ")}`);
  }

  private existing(name: string | undefined, answer: string): string {
    if (name === undefined || !this.stacks.has(name)) {
      throw createCommandError(new CommandResult("", `error: no stack named '${name}' found`, 255));
    }
    return answer;
  }

  /** Like the CLI: resource outputs per step, then the summary, over the events server (--event-log tcp://). */
  private async streamEvents(args: readonly string[], stack: FakeStack, signal?: AbortSignal): Promise<void> {
    const target = flag(args, "--event-log");
    if (target === undefined) return;
    if (!target.startsWith("tcp://")) throw new Error(`fake pulumi: expected the 3.206+ events server, got ${target}`);
    const client = new EventsClient(target.slice("tcp://".length), grpc.credentials.createInsecure());
    await new Promise<void>((resolve, reject) => {
      const call = client.streamEvents((error: Error | null) => (error ? reject(error) : resolve()));
      let sequence = 0;
      const send = (event: object) =>
        call.write(new EventRequest().setEvent(JSON.stringify({ sequence: sequence++, timestamp: 0, ...event })));
      for (const [op, count] of Object.entries(stack.changes)) {
        for (let i = 0; i < count; i++) {
          send({
            resOutputsEvent: {
              metadata: {
                op,
                urn: `urn:pulumi:s::org-s3-backup::aws:s3/bucket:Bucket::r${op}${i}`,
                type: "aws:s3/bucket:Bucket",
                provider: "",
              },
            },
          });
        }
      }
      send({
        summaryEvent: { maybeCorrupt: false, durationSeconds: 1, resourceChanges: stack.changes, policyPacks: {} },
      });
      call.end();
    });
    client.close();
    if (signal?.aborted)
      throw createCommandError(
        new CommandResult(
          "^C received; cancelling. If you would like to terminate immediately, press ^C again.\n",
          "error: update canceled",
          255,
        ),
      );
  }
}

const OPERATIONS: ReadonlySet<string> = new Set(["preview", "up", "destroy", "refresh"]);

function flag(args: readonly string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

function stripEventLog(args: readonly string[]): string[] {
  const at = args.indexOf("--event-log");
  return at >= 0 ? [...args.slice(0, at), "--event-log", "<events>", ...args.slice(at + 2)] : [...args];
}

function isWorkspaceWrite(args: readonly string[]): boolean {
  return (
    (args[0] === "stack" && ["select", "init", "rm"].includes(args[1])) ||
    (args[0] === "config" && args[1] === "set-all")
  );
}

function abortableDelay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
