import type { Operation } from "../driver/run";
import { parseStackGroup, type StackGroup } from "../driver/selection";
import { parseShard, type Shard } from "../driver/shard";
import { parseRemoteEnv, REMOTE_UNSUPPORTED, type RemoteSource } from "../engine/remote-options";

/**
 * The deploy commands' options for running as a team from CI: which part of the stacks a run takes
 * (`--stacks`, `--shard`), changed-only runs (`--all`), and the engine (`--engine remote`: Pulumi
 * Deployments). Parsing only; deploy-common.ts acts on the result.
 */

export const SCOPE_OPTIONS = {
  stacks: { type: "string" },
  shard: { type: "string" },
} as const;

/** preview and up only: they skip unchanged stacks unless told otherwise. */
export const ALL_OPTION = { all: { type: "boolean" } } as const;
export const CHANGED_ONLY_OPERATIONS: ReadonlySet<Operation> = new Set(["preview", "up"]);

export const ENGINE_OPTIONS = {
  engine: { type: "string" },
  "git-url": { type: "string" },
  branch: { type: "string" },
  commit: { type: "string" },
  "pulumi-org": { type: "string" },
  "esc-env": { type: "string" },
  "remote-env": { type: "string", multiple: true },
  "remote-secret-env": { type: "string", multiple: true },
  "pre-run-command": { type: "string", multiple: true },
} as const;

/** The operations Pulumi Deployments runs for us (remote.ts says why not drift and destroy). */
export const REMOTE_OPERATIONS: ReadonlySet<Operation> = new Set(["preview", "up", "outputs"]);

export const SCOPE_HELP = `  --stacks all|central|sources
                            The central stack alone, the source stacks alone (central's outputs
                            are read from the backend), or both (default)
  --shard K/N               Only the K-th of N parts of the selected source accounts (a stable hash
                            of the account id; adding accounts moves no other account). The central
                            stack is in no shard: run it first in its own job with --stacks central`;

export const ALL_HELP = `  --all                     Run every stack. Without it, preview and up skip each stack whose
                            desired-state fingerprint (its rendered resources and policies, config
                            and tool versions) matches the one its last successful up recorded in
                            the backend ("unchanged, skipped"). Changes made outside the tool are
                            not in any fingerprint: \`drift\` finds those`;

export const ENGINE_HELP = `  --engine local|remote     local (default): the Pulumi CLI on this machine. remote: Pulumi
                            Deployments runs each stack's preview or up from git (needs the Pulumi
                            Cloud backend; preview, up and outputs only). With remote:
    --git-url URL           Repository the runners check out (this repository)
    --branch B | --commit SHA
                            What they check out; the inventory must be committed there
    --pulumi-org ORG        Pulumi Cloud organization of the stacks (ORG/org-s3-backup/<stack>)
    --esc-env ENV           Pulumi ESC environment imported into every stack: the AWS credentials
                            (aws-login with OIDC), see docs/ci.md
    --remote-env NAME=VALUE Environment variable of the deployments (repeatable)
    --remote-secret-env NAME
                            Passes this machine's NAME as a secret variable (repeatable)
    --pre-run-command CMD   Command the runner runs first (repeatable)`;

export interface Scope {
  readonly stacks?: StackGroup;
  readonly shard?: Shard;
  /** `--all`: no stack is skipped as unchanged. */
  readonly all: boolean;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

export function parseScope(values: { stacks?: string; shard?: string; all?: boolean }): Parsed<Scope> {
  const stacks = values.stacks === undefined ? undefined : parseStackGroup(values.stacks);
  if (stacks && !stacks.ok) return stacks;
  const shard = values.shard === undefined ? undefined : parseShard(values.shard);
  if (shard && !shard.ok) return shard;
  return {
    ok: true,
    value: {
      ...(stacks ? { stacks: stacks.value } : {}),
      ...(shard ? { shard: shard.value } : {}),
      all: values.all === true,
    },
  };
}

export type EngineChoice =
  | { readonly kind: "local" }
  | {
      readonly kind: "remote";
      readonly organization: string;
      readonly source: RemoteSource;
      readonly env: Readonly<Record<string, string | { secret: string }>>;
      readonly preRunCommands: readonly string[];
      readonly escEnvironment?: string;
    };

type EngineValues = {
  engine?: string;
  "git-url"?: string;
  branch?: string;
  commit?: string;
  "pulumi-org"?: string;
  "esc-env"?: string;
  "remote-env"?: string[];
  "remote-secret-env"?: string[];
  "pre-run-command"?: string[];
};

/** `--engine` and its settings; `env` supplies the values of `--remote-secret-env`. */
export function parseEngine(
  values: EngineValues,
  operation: Operation,
  options: { prune: boolean; env: NodeJS.ProcessEnv },
): Parsed<EngineChoice> {
  const engine = values.engine ?? "local";
  if (engine !== "local" && engine !== "remote") {
    return { ok: false, message: `--engine must be local or remote, got '${engine}'` };
  }
  const remoteOnly = (Object.keys(ENGINE_OPTIONS) as (keyof EngineValues)[]).filter(
    (name) => name !== "engine" && values[name] !== undefined,
  );
  if (engine === "local") {
    return remoteOnly.length === 0
      ? { ok: true, value: { kind: "local" } }
      : { ok: false, message: `--${remoteOnly[0]} is for --engine remote` };
  }
  if (!REMOTE_OPERATIONS.has(operation)) {
    const why = operation === "drift" ? REMOTE_UNSUPPORTED.drift : REMOTE_UNSUPPORTED.destroy;
    return { ok: false, message: `--engine remote: ${why}` };
  }
  if (options.prune) return { ok: false, message: `--engine remote with --prune: ${REMOTE_UNSUPPORTED.destroy}` };
  const gitUrl = values["git-url"];
  if (gitUrl === undefined) return { ok: false, message: "--engine remote needs --git-url (the repository to run)" };
  if ((values.branch === undefined) === (values.commit === undefined)) {
    return { ok: false, message: "--engine remote needs exactly one of --branch and --commit" };
  }
  const organization = values["pulumi-org"];
  if (organization === undefined || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(organization)) {
    return {
      ok: false,
      message:
        "--engine remote needs --pulumi-org ORG (the Pulumi Cloud organization of the stacks)" +
        (organization === undefined ? "" : `, got '${organization}'`),
    };
  }
  const env: Record<string, string | { secret: string }> = {};
  for (const text of values["remote-env"] ?? []) {
    const parsed = parseRemoteEnv(text);
    if (!parsed.ok) return parsed;
    env[parsed.name] = parsed.value;
  }
  for (const name of values["remote-secret-env"] ?? []) {
    const value = options.env[name];
    if (value === undefined) return { ok: false, message: `--remote-secret-env ${name}: ${name} is not set here` };
    env[name] = { secret: value };
  }
  return {
    ok: true,
    value: {
      kind: "remote",
      organization,
      source: { gitUrl, ...(values.branch ? { branch: values.branch } : { commit: values.commit }) },
      env,
      preRunCommands: values["pre-run-command"] ?? [],
      ...(values["esc-env"] ? { escEnvironment: values["esc-env"] } : {}),
    },
  };
}
