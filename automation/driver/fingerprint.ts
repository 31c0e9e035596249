import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Inventory } from "../../config/types";
import { CentralOutput, CONFIG_NAMESPACE, ConfigKey } from "../../infra/contract";
import type { Engine, StackConfig } from "../engine/engine";
import { describeFailure } from "../engine/errors";
import { sortKeys } from "../review/canonical-json";
import type { RenderedStack } from "../review/render";
import type { StackPlan } from "./plan";

/**
 * Changed-only runs. A stack's desired-state fingerprint is a hash of what `render` produces for it
 * (every resource with its inputs and options, every policy document), of the configuration the driver
 * gives it, and of the versions of this tool, @pulumi/pulumi and @pulumi/aws. A successful `up` records
 * it on the stack as a stack tag, in the backend, so that every run (a teammate's, CI's) sees it; `up`
 * and `preview` then skip the stacks whose desired state is unchanged. Changes made outside the tool are
 * in no fingerprint: `drift` (a refresh) is the way to find those.
 *
 * Rendering costs ~50 ms per stack (and loading the program a second or more), so the tag also records
 * two keys of what the render is a function of, and a run renders only when they cannot decide:
 * - `inputs`: the stack's part of the inventory, its config and the versions. Different: the stack runs
 *   (its own inputs changed; its fingerprint is computed while its operation runs).
 * - `program`: the program's source files. Same inputs and program: unchanged, nothing rendered.
 *   Same inputs, other program (a refactor, a dependency bump): render, and compare fingerprints; a
 *   change of code that changes no resource skips every stack after one render each.
 */

/** Stack tag holding `v1.<fingerprint>.<inputs>.<program>` after a successful up, `pending` while a change runs. */
export const FINGERPRINT_TAG = "org-s3-backup:desired-state";
export const PENDING = "pending";
const FORMAT = "v1";

/** The repository this tool runs from (its package.json, lockfile and program sources). */
const TOOL_ROOT = path.resolve(__dirname, "..", "..");

export interface Versions {
  readonly tool: string;
  readonly pulumi: string;
  readonly aws: string;
}

/** The tool's version (package.json) and the SDK and provider versions package-lock.json pins. */
export function readVersions(root = TOOL_ROOT): Versions {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as {
    version: string;
    dependencies?: Record<string, string>;
  };
  let lock: { packages?: Record<string, { version?: string }> } = {};
  try {
    lock = JSON.parse(fs.readFileSync(path.join(root, "package-lock.json"), "utf8"));
  } catch {
    // No lockfile: package.json's pinned versions.
  }
  const version = (name: string) =>
    lock.packages?.[`node_modules/${name}`]?.version ?? pkg.dependencies?.[name] ?? "unknown";
  return { tool: pkg.version, pulumi: version("@pulumi/pulumi"), aws: version("@pulumi/aws") };
}

/**
 * What the program's output is a function of besides its inputs: its source files, the project file (its
 * `main`, its `config`) and the lockfile.
 */
export const PROGRAM_SOURCES = [
  "Pulumi.yaml",
  "infra",
  "config",
  "automation/review/render.ts",
  "automation/review/render-program.ts",
  "package-lock.json",
];

/** Hash of the program's sources (the code under infra/ and config/, the renderer, Pulumi.yaml, the lockfile). */
export function programSourceHash(root = TOOL_ROOT): string {
  const files: string[] = [];
  const walk = (relative: string) => {
    const absolute = path.join(root, relative);
    if (!fs.existsSync(absolute)) return;
    if (fs.statSync(absolute).isDirectory()) {
      for (const entry of fs.readdirSync(absolute).sort()) walk(path.join(relative, entry));
    } else if (/\.(?:ts|cjs|json|yaml)$/.test(relative)) {
      // config/*.json is the inventory's schema and config/*.yaml an inventory, not the program.
      if (relative.startsWith(`config${path.sep}`) && !relative.endsWith(".ts")) return;
      files.push(relative);
    }
  };
  for (const source of PROGRAM_SOURCES) walk(source);
  const hash = createHash("sha256");
  for (const file of files) {
    hash.update(`${file.split(path.sep).join("/")}\u0000`);
    hash.update(fs.readFileSync(path.join(root, file)));
    hash.update("\u0000");
  }
  return hash.digest("hex");
}

/** What every key and fingerprint of a run shares. */
export interface FingerprintBase {
  readonly versions: Versions;
  /** programSourceHash(): recorded beside the fingerprint (which hashes the render itself). */
  readonly program: string;
}

export function fingerprintBase(root = TOOL_ROOT): FingerprintBase {
  return { versions: readVersions(root), program: programSourceHash(root) };
}

export interface RecordedState {
  readonly fingerprint: string;
  readonly inputs: string;
  readonly program: string;
}

export function encodeTag(state: RecordedState): string {
  return `${FORMAT}.${state.fingerprint}.${state.inputs}.${state.program}`;
}

/** The tag's value: a recorded state, `pending` (a change started and did not succeed), or nothing usable. */
export function decodeTag(value: string | undefined): RecordedState | typeof PENDING | undefined {
  if (value === PENDING) return PENDING;
  const match = /^v1\.([0-9a-f]{64})\.([0-9a-f]{64})\.([0-9a-f]{64})$/.exec(value ?? "");
  return match ? { fingerprint: match[1], inputs: match[2], program: match[3] } : undefined;
}

/**
 * The configuration part of a stack's desired state: what the driver sets, without the inventory's
 * path (it differs between a laptop and a CI runner; the inventory's content is hashed instead).
 */
export function configPart(config: StackConfig | undefined): Record<string, string> {
  const inventoryKey = `${CONFIG_NAMESPACE}:${ConfigKey.inventory}`;
  return Object.fromEntries(
    Object.entries(config ?? {})
      .filter(([key]) => key !== inventoryKey)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

/**
 * The inventory a stack is rendered from: for a source stack the central settings and its own entry
 * only (a source stack's resources do not depend on other accounts: tests/driver/fingerprint.test.ts
 * checks it), for the central stack all of it. The file's path is not part of the desired state.
 */
export function stackInventory(inventory: Inventory, plan: StackPlan): Inventory {
  const sources =
    plan.kind === "central" ? inventory.sources : inventory.sources.filter((s) => s.accountId === plan.accountId);
  return { sourcePath: "inventory", organizationId: inventory.organizationId, central: inventory.central, sources };
}

/**
 * What of the inventory a stack's resources are a function of. A source stack: its own entry and the
 * central settings. The central stack: its settings, and of each account only what its alarm topics
 * depend on (which accounts, in which regions, monitored how: the topic policies name the monitored
 * accounts). Storage classes, buckets, keys and the like of an account do not touch the central stack;
 * tests/driver/fingerprint.test.ts renders it from accounts differing in all of those to keep that true.
 */
export function stackInputs(inventory: Inventory, plan: StackPlan): unknown {
  const reduced = stackInventory(inventory, plan);
  if (plan.kind !== "central") return reduced;
  return {
    organizationId: inventory.organizationId,
    central: inventory.central,
    sources: inventory.sources.map((source) => ({
      accountId: source.accountId,
      region: source.region,
      enabled: source.enabled,
      monitoring: source.monitoring,
    })),
  };
}

/** The inputs key: the stack's inputs, its config (without the inventory's path) and the versions. */
export function inputsKey(
  base: FingerprintBase,
  inventory: Inventory,
  plan: StackPlan,
  config: StackConfig | undefined,
): string {
  return sha256({
    format: FORMAT,
    versions: base.versions,
    stack: plan.name,
    inventory: stackInputs(inventory, plan),
    config: configPart(config),
  });
}

/** Renders one stack of `inventory` (already reduced by stackInventory), its central key ARN given. */
export type Renderer = (
  inventory: Inventory,
  plan: StackPlan,
  centralKmsKeyArn: string | undefined,
) => Promise<RenderedStack>;

export async function fingerprintOf(
  base: FingerprintBase,
  inventory: Inventory,
  plan: StackPlan,
  config: StackConfig | undefined,
  render: Renderer,
): Promise<string> {
  const kmsKeyArn = config?.[`${CONFIG_NAMESPACE}:${ConfigKey.centralKmsKeyArn}`];
  const rendered = await render(stackInventory(inventory, plan), plan, kmsKeyArn);
  return sha256({ format: FORMAT, versions: base.versions, stack: plan.name, config: configPart(config), rendered });
}

/**
 * The real program under `render`'s mock runtime. Loaded on first use: most changed-only runs render
 * nothing, and loading the program (@pulumi/aws) takes a second.
 */
export function programRenderer(): Renderer {
  return async (inventory, plan, centralKmsKeyArn) => {
    const { renderStacks } = require("../review/render") as typeof import("../review/render");
    const { stackProgram } = require("../review/render-program") as typeof import("../review/render-program");
    const central =
      plan.kind === "central" ? undefined : { [CentralOutput.kmsKeyArn]: centralKmsKeyArn ?? "<central kmsKeyArn>" };
    const [stack] = await renderStacks(inventory, [plan], (inv, p) => stackProgram(inv, p, central));
    return stack;
  };
}

/** SHA-256 of canonical JSON (keys sorted at every depth), hex. */
export function sha256(value: unknown): string {
  return createHash("sha256")
    .update(JSON.stringify(sortKeys(value)))
    .digest("hex");
}

/** What run.ts asks of changed-only tracking; only `invalidate` throws. */
export interface StackChanges {
  /**
   * Whether to skip the stack: its desired state matches its last successful up.
   * `notes` say why it runs when that is unusual.
   */
  check(
    engine: Engine,
    stack: string,
    config: StackConfig | undefined,
  ): Promise<{ skip: true; reason: string } | { skip: false; notes: string[] }>;
  /** Before a stack changes (up, destroy): until it succeeds, no recorded fingerprint may call it unchanged. */
  invalidate(engine: Engine, stack: string): Promise<void>;
  /** While the stack's up runs: computes its fingerprint in the background (the up is not held back by it). */
  prepare(stack: string, config: StackConfig | undefined): void;
  /** After a successful up: records the stack's fingerprint; a note for the summary when it could not. */
  record(engine: Engine, stack: string, config: StackConfig | undefined): Promise<string | undefined>;
}

export interface ChangeTrackerOptions {
  readonly inventory: Inventory;
  /** Every stack the run may act on (planStacks). */
  readonly plans: readonly StackPlan[];
  readonly base: FingerprintBase;
  /** false with `--all`: nothing is skipped, fingerprints are still recorded. */
  readonly skipUnchanged: boolean;
  /**
   * `up` only: when a stack's program changed but it renders to its recorded fingerprint, the tag gets
   * the new program key, so that the next run need not render it again. `preview` writes nothing.
   */
  readonly refreshInputs: boolean;
  readonly render?: Renderer;
  /** Called with each render's duration (the benchmark reports them). */
  readonly onRender?: (stack: string, ms: number) => void;
}

export class ChangeTracker implements StackChanges {
  private readonly plans: Map<string, StackPlan>;
  private readonly render: Renderer;
  /** Renders share Pulumi's global mock runtime: one at a time. */
  private renderQueue: Promise<unknown> = Promise.resolve();
  /** Fingerprint per stack and inputs key (a stack's config is the same all run long). */
  private readonly fingerprints = new Map<string, Promise<string>>();
  /** Stacks read without any fingerprint tag: nothing to invalidate. */
  private readonly untagged = new Set<string>();

  constructor(private readonly options: ChangeTrackerOptions) {
    this.plans = new Map(options.plans.map((plan) => [plan.name, plan]));
    this.render = options.render ?? programRenderer();
  }

  async check(
    engine: Engine,
    stack: string,
    config: StackConfig | undefined,
  ): Promise<{ skip: true; reason: string } | { skip: false; notes: string[] }> {
    const plan = this.plans.get(stack);
    if (!this.options.skipUnchanged || plan === undefined) return { skip: false, notes: [] };
    let recorded: ReturnType<typeof decodeTag>;
    try {
      const value = (await engine.stackTags(stack))[FINGERPRINT_TAG];
      if (value === undefined) this.untagged.add(stack);
      recorded = decodeTag(value);
    } catch (error) {
      return { skip: false, notes: [`could not read its recorded fingerprint (${firstLine(error)}): run anyway`] };
    }
    if (recorded === undefined || recorded === PENDING) return { skip: false, notes: [] };
    const inputs = inputsKey(this.options.base, this.options.inventory, plan, config);
    if (recorded.inputs !== inputs) return { skip: false, notes: [] };
    const { program } = this.options.base;
    if (recorded.program === program) {
      return { skip: true, reason: "desired state matches its last successful up (same inputs)" };
    }
    let fingerprint: string;
    try {
      fingerprint = await this.fingerprint(plan, config);
    } catch (error) {
      return { skip: false, notes: [`could not compute its fingerprint (${firstLine(error)}): run anyway`] };
    }
    if (fingerprint !== recorded.fingerprint) return { skip: false, notes: [] };
    if (this.options.refreshInputs) {
      // Best effort: if it fails, the next run renders this stack again.
      await engine
        .setStackTag(stack, FINGERPRINT_TAG, encodeTag({ fingerprint, inputs, program }))
        .catch(() => undefined);
    }
    return { skip: true, reason: "desired state matches its last successful up (program changed, resources did not)" };
  }

  async invalidate(engine: Engine, stack: string): Promise<void> {
    if (this.untagged.has(stack)) return;
    await engine.setStackTag(stack, FINGERPRINT_TAG, PENDING);
  }

  prepare(stack: string, config: StackConfig | undefined): void {
    const plan = this.plans.get(stack);
    if (plan === undefined) return;
    // After the operation has started; a failure is reported by `record`, which tries again.
    setImmediate(() => this.fingerprint(plan, config).catch(() => this.fingerprints.delete(plan.name)));
  }

  async record(engine: Engine, stack: string, config: StackConfig | undefined): Promise<string | undefined> {
    const plan = this.plans.get(stack);
    if (plan === undefined) return undefined;
    try {
      const fingerprint = await this.fingerprint(plan, config);
      const inputs = inputsKey(this.options.base, this.options.inventory, plan, config);
      await engine.setStackTag(
        stack,
        FINGERPRINT_TAG,
        encodeTag({ fingerprint, inputs, program: this.options.base.program }),
      );
      this.untagged.delete(stack);
      return undefined;
    } catch (error) {
      return `fingerprint not recorded (${firstLine(error)}): the next run runs this stack again`;
    }
  }

  private fingerprint(plan: StackPlan, config: StackConfig | undefined): Promise<string> {
    const known = this.fingerprints.get(plan.name);
    if (known) return known;
    const run = this.renderQueue.then(async () => {
      const started = performance.now();
      const fingerprint = await fingerprintOf(this.options.base, this.options.inventory, plan, config, this.render);
      this.options.onRender?.(plan.name, performance.now() - started);
      return fingerprint;
    });
    this.renderQueue = run.catch(() => undefined);
    this.fingerprints.set(plan.name, run);
    return run;
  }
}

function firstLine(error: unknown): string {
  return describeFailure(error).excerpt[0] ?? (error instanceof Error ? error.message : String(error));
}
