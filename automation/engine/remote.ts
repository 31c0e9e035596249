import * as path from "node:path";
import {
  LocalWorkspace,
  type LocalWorkspaceOptions,
  type OutputMap,
  type PulumiCommand,
  Stack,
} from "@pulumi/pulumi/automation";
import type { RemoteGitProgramArgs, RemoteWorkspaceOptions } from "@pulumi/pulumi/automation";
import { CONFIG_NAMESPACE, ProgramEnv } from "../../infra/contract";
import { countsFromOpMap, plainOutputs, timed, wrap } from "./automation";
import { type Backend, backendEnv } from "./backend";
import type {
  ChangeCounts,
  DestroyResult,
  Engine,
  EngineStack,
  OperationOptions,
  OperationResult,
  StackOutputs,
  UpResult,
} from "./engine";
import { StackError } from "./errors";
import { REMOTE_UNSUPPORTED, type RemoteSource } from "./remote-options";

/**
 * The Engine over Pulumi Deployments: each stack's preview and up run on Pulumi's runners from a git
 * repository (the Automation API's RemoteWorkspace), while the driver fans out with its usual
 * concurrency, tolerance and summary. Listing stacks, outputs and tags are read locally from Pulumi
 * Cloud (a remote deployment needs the Pulumi Cloud backend and fully qualified stack names).
 *
 * What RemoteWorkspace cannot do, and how it is handled:
 * - It has no `pulumiCommand` option (it looks for `pulumi` on PATH; the CLI `--install-cli` installs is
 *   not there). So the workspace is made the way RemoteWorkspace makes it, LocalWorkspace with its
 *   remote options, plus our CLI; `isRemote` is checked so that an SDK change can never turn this into
 *   a local run.
 * - The program's environment (Engine.setProgramEnv) goes to the runner as deployment env vars, the
 *   inventory path made relative to the repository; no stack config is written.
 * - `refresh --preview-only --remote` starts a real refresh (the CLI drops --preview-only for remote
 *   operations), and a remote destroy cannot keep protected resources (--exclude-protected is not sent):
 *   drift and destroy are refused; run them with the local engine.
 * - Stopping the local CLI does not stop a deployment: an abort also runs `pulumi cancel`.
 */

export interface RemoteEngineOptions {
  /** Pulumi Cloud organization the stacks live in. */
  readonly organization: string;
  readonly source: RemoteSource;
  /** Environment variables of the deployment (plain, or `{ secret }`: stored encrypted, masked in logs). */
  readonly env: Readonly<Record<string, string | { secret: string }>>;
  /** Commands the runner runs before the operation (after the driver's own config command). */
  readonly preRunCommands: readonly string[];
  /** Pulumi ESC environment to import into every stack (`pulumi config env add`): the OIDC credentials. */
  readonly escEnvironment?: string;
  /**
   * The local checkout (Pulumi.yaml): listing, outputs and tags are read from here; config paths are made
   * relative to it.
   */
  readonly workDir: string;
  readonly backend: Backend;
  readonly localEnv: NodeJS.ProcessEnv;
  readonly pulumiCommand: PulumiCommand;
}

/** The project name (Pulumi.yaml `name`), the middle of a fully qualified stack name. */
export const PROJECT = CONFIG_NAMESPACE;

export async function createRemoteEngine(options: RemoteEngineOptions): Promise<Engine> {
  const { source } = options;
  if (!options.backend.url.startsWith("https://") && !options.backend.url.startsWith("http://")) {
    throw new Error(
      `Pulumi Deployments needs the Pulumi Cloud backend (https://api.pulumi.com), not ${options.backend.url}`,
    );
  }
  if ((source.branch === undefined) === (source.commit === undefined)) {
    throw new Error("the remote engine needs exactly one of a branch and a commit");
  }
  const control = await LocalWorkspace.create({
    workDir: options.workDir,
    pulumiCommand: options.pulumiCommand,
    envVars: backendEnv(options.backend, options.localEnv),
  });
  return new RemoteEngine(options, control);
}

class RemoteEngine implements Engine {
  constructor(
    readonly options: RemoteEngineOptions,
    readonly control: LocalWorkspace,
  ) {}

  qualified(name: string): string {
    return `${this.options.organization}/${PROJECT}/${name}`;
  }

  async listStacks(): Promise<string[]> {
    const stacks = await this.control.listStacks();
    return stacks.map((summary) => summary.name.split("/").pop() ?? summary.name);
  }

  /** The program's environment on every runner (Engine.setProgramEnv). */
  private readonly programEnv: Record<string, string> = {};

  setProgramEnv(env: Readonly<Record<string, string>>): void {
    Object.assign(this.programEnv, env);
  }

  /** Each deployment's runner installs the program's dependencies and plugins itself. */
  async installPlugins(): Promise<void> {}

  async openStack(name: string, options: { create: boolean }): Promise<EngineStack> {
    const workspace = await wrap(name, "remote workspace", () => this.workspace(name));
    // A remote workspace checks the stack with `pulumi stack --stack` (no select): no workspace file is
    // written, so opening needs no serialising.
    const qualified = this.qualified(name);
    await wrap(name, "select", () =>
      options.create ? Stack.createOrSelect(qualified, workspace) : Stack.select(qualified, workspace),
    );
    return new RemoteStack(name, this);
  }

  async stackTags(name: string): Promise<Readonly<Record<string, string>>> {
    return (await wrap(name, "stack tag ls", () => this.control.listTags(this.qualified(name)))) ?? {};
  }

  setStackTag(name: string, tag: string, value: string): Promise<void> {
    return wrap(name, "stack tag set", () => this.control.setTag(this.qualified(name), tag, value));
  }

  /** A remote workspace for one stack: the program's environment and the pre-run commands on the runner. */
  async workspace(name: string): Promise<LocalWorkspace> {
    const { options } = this;
    const qualified = this.qualified(name);
    const git: RemoteGitProgramArgs = {
      stackName: qualified,
      url: options.source.gitUrl,
      ...(options.source.branch ? { branch: options.source.branch } : {}),
      ...(options.source.commit ? { commitHash: options.source.commit } : {}),
    };
    const remote: RemoteWorkspaceOptions = {
      envVars: { ...options.env, ...this.runnerEnv() },
      preRunCommands: remotePreRunCommands(qualified, options),
    };
    // What RemoteWorkspace.createOrSelectStack passes to LocalWorkspace, plus our CLI (see the top).
    const settings: LocalWorkspaceOptions & Record<string, unknown> = {
      workDir: options.workDir,
      pulumiCommand: options.pulumiCommand,
      envVars: backendEnv(options.backend, options.localEnv),
      remote: true,
      remoteGitProgramArgs: git,
      remoteEnvVars: remote.envVars,
      remotePreRunCommands: remote.preRunCommands,
    };
    const workspace = await LocalWorkspace.create(settings);
    if ((workspace as unknown as { isRemote?: boolean }).isRemote !== true) {
      throw new StackError(
        name,
        "remote workspace",
        "this @pulumi/pulumi no longer makes a remote workspace from LocalWorkspace's remote options: " +
          "refusing to run remotely-meant operations locally",
      );
    }
    return workspace;
  }

  /** The program's environment as the runner must see it: the inventory path relative to the repository. */
  runnerEnv(): Record<string, string> {
    const inventory = this.programEnv[ProgramEnv.inventory];
    if (inventory === undefined || !path.isAbsolute(inventory)) return { ...this.programEnv };
    return { ...this.programEnv, [ProgramEnv.inventory]: repositoryPath(this.options.workDir, inventory) };
  }
}

class RemoteStack implements EngineStack {
  constructor(
    readonly name: string,
    private readonly engine: RemoteEngine,
  ) {}

  preview(options?: OperationOptions): Promise<OperationResult> {
    return this.remotely("preview --remote", options, async (stack, callbacks) =>
      countsFromOpMap((await stack.preview(callbacks)).changeSummary),
    );
  }

  async up(options?: OperationOptions): Promise<UpResult> {
    let outputs: OutputMap = {};
    const result = await this.remotely("up --remote", options, async (stack, callbacks) => {
      const up = await stack.up(callbacks);
      outputs = up.outputs;
      return countsFromOpMap(up.summary?.resourceChanges);
    });
    return { ...result, outputs: plainOutputs(outputs) };
  }

  async destroy(): Promise<DestroyResult> {
    throw new StackError(this.name, "destroy --remote", REMOTE_UNSUPPORTED.destroy);
  }

  async drift(): Promise<OperationResult> {
    throw new StackError(this.name, "refresh --remote", REMOTE_UNSUPPORTED.drift);
  }

  async outputs(): Promise<StackOutputs> {
    const qualified = this.engine.qualified(this.name);
    return plainOutputs(await wrap(this.name, "stack output", () => this.engine.control.stackOutputs(qualified)));
  }

  remove(): Promise<void> {
    const qualified = this.engine.qualified(this.name);
    return wrap(this.name, "stack rm", () => this.engine.control.removeStack(qualified, { force: true }));
  }

  /**
   * One remote operation with the local engine's output capture, progress and error wrapping. An abort
   * stops the local CLI (which only streams the deployment's log) and cancels the deployment itself.
   */
  private async remotely(
    operation: string,
    options: OperationOptions | undefined,
    work: (stack: Stack, callbacks: Callbacks) => Promise<ChangeCounts>,
  ): Promise<OperationResult> {
    const workspace = await wrap(this.name, "remote workspace", () => this.engine.workspace(this.name));
    const stack = await wrap(this.name, "select", () => Stack.select(this.engine.qualified(this.name), workspace));
    let cancelling: Promise<void> | undefined;
    const cancel = () => {
      cancelling = stack.cancel().catch(() => undefined);
    };
    if (options?.signal?.aborted) cancel();
    else options?.signal?.addEventListener("abort", cancel, { once: true });
    try {
      return await timed(this.name, operation, options, (callbacks) => work(stack, callbacks));
    } finally {
      options?.signal?.removeEventListener("abort", cancel);
      await cancelling;
    }
  }
}

/** What `timed` gives an operation: abort signal, output and event callbacks. */
type Callbacks = Parameters<Parameters<typeof timed>[3]>[0];

/** `'text'` for a POSIX shell (pre-run commands run in the runner's shell). */
export function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The runner's pre-run commands: the ESC environment with the credentials, then the user's own commands.
 * (The program's inputs travel in the deployment's environment, not as stack config.)
 */
export function remotePreRunCommands(
  qualified: string,
  options: Pick<RemoteEngineOptions, "escEnvironment" | "preRunCommands">,
): string[] {
  const commands: string[] = [];
  if (options.escEnvironment !== undefined) {
    commands.push(`pulumi config env add ${shellQuote(options.escEnvironment)} --yes --stack ${shellQuote(qualified)}`);
  }
  return [...commands, ...options.preRunCommands];
}

/** An inventory file as the runner finds it: relative to the repository, which it must be inside. */
export function repositoryPath(repoRoot: string, file: string): string {
  const relative = path.relative(repoRoot, file);
  if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative)) {
    throw new Error(
      `the inventory ${file} is outside the repository ${repoRoot}: ` +
        "Pulumi Deployments runs from a checkout of --git-url, so the inventory must be a file of that repository",
    );
  }
  return relative.split(path.sep).join("/");
}
