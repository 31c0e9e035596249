/**
 * infra/index.ts as `pulumi preview` / `pulumi up` run it (issue 15, part 1): started by the command line
 * the Node.js language host builds from Pulumi.yaml (`node .../@pulumi/pulumi/cmd/run <flags> entry.cjs`,
 * entry.cjs registering tsx for index.ts), its stack config in PULUMI_CONFIG, talking gRPC to an engine served in-process by
 * tests/support/pulumi-harness.ts. What `render` reports (Pulumi's mocks, in-process) and what the harness
 * records must agree: one program, two runtimes.
 *
 * The harness contract comes from pulumi/pulumi (cited in detail in the harness's header):
 *   sdk/nodejs/cmd/pulumi-language-nodejs/main.go  argv, env, PULUMI_CONFIG format, exit code 32 -> bail
 *   sdk/nodejs/cmd/pulumi-language-nodejs/proxy.go the monitor proxy forwards every call to the engine
 *   sdk/nodejs/cmd/run/index.ts                   flags -> PULUMI_NODEJS_*, exit 32 once an error is logged
 *   sdk/nodejs/cmd/run/run.ts                     chdir(--pwd), require(main), RunError logged without stack
 *   sdk/nodejs/runtime/settings.ts                GetDeploymentInfo / SupportsFeature, shutdown
 *   pkg/resource/deploy/source_eval.go            the engine's answers and features
 *   pkg/resource/deploy/default_providers.go      pulumi:disable-default-providers
 *   pkg/engine/project.go                         program directory and entry point of a file `main`
 * checked against the installed @pulumi/pulumi 3.270.0 (node_modules/@pulumi/pulumi/cmd/run/*.js).
 *
 * Each run spawns node, the SDK and tsx (~1.6 s on this machine, one at a time). The harness found that an input error took ~20 s
 * and ~3 GB before exit 32 (a Node/SDK interaction, see infra/index.ts `inputError`); the last input-error
 * test keeps it fixed.
 *
 * Source stacks read the central stack through a StackReference (ReadResource, answered from `stacks`).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { formatProblem, loadInventory } from "../../config/load";
import type { Inventory, SourceAccount } from "../../config/types";
import type { StackOutputs } from "../../automation/engine/engine";
import { planStacks, type StackPlan } from "../../automation/driver/plan";
import { centralStackConfig, readCentralOutputs } from "../../automation/driver/stack-config";
import {
  parseJsonStrings,
  placeholdersIn,
  type PlaceholderRef,
  type RenderedStack,
  renderStacks,
} from "../../automation/review/render";
import { stackProgram } from "../../automation/review/render-program";
import {
  CENTRAL_NOT_DEPLOYED,
  CENTRAL_STACK,
  CentralOutput,
  CONFIG_NAMESPACE,
  ConfigKey,
  DEFAULT_INVENTORY_PATH,
  ProgramEnv,
  SourceOutput,
  sourceStackName,
} from "../../infra/contract";
import { bundledInventory } from "../support/bundled-inventory";
import { withLine } from "../support/inventory-yaml";
import {
  type HarnessOptions,
  type HarnessRun,
  languageHostCommand,
  nameOfUrn,
  plain,
  readProject,
  runUnderHarness,
  typeOfUrn,
  UNKNOWN,
  USER_ACTIONABLE_EXIT,
} from "../support/pulumi-harness";

const ROOT = path.resolve(__dirname, "../..");
const INVENTORY = path.join(ROOT, DEFAULT_INVENTORY_PATH);
const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";
/** The central stack as a source references it on a self-managed backend. */
const CENTRAL_REFERENCE = `organization/${CONFIG_NAMESPACE}/${CENTRAL_STACK}`;
const PROVIDER_PREFIX = "pulumi:providers:";
/** A stack trace line as V8 prints it. */
const STACK_FRAME = /\n\s+at .+[(:]/;

function run(options: Omit<HarnessOptions, "rootDir">): Promise<HarnessRun> {
  return runUnderHarness({ rootDir: ROOT, timeoutMs: 60_000, ...options });
}

/** A harness run's stack outputs as the Automation API returns them (what the driver reads). */
function asStackOutputs(outputs: Record<string, unknown> | undefined): StackOutputs {
  return Object.fromEntries(
    Object.entries(plain(outputs ?? {}) as Record<string, unknown>).map(([k, value]) => [k, { value, secret: false }]),
  );
}

/** A run's outcome in one line, for assertion messages. */
function outcome(r: HarnessRun): string {
  const errors = r.logs.filter((l) => l.severity === "error").map((l) => l.message);
  return (
    `exit ${r.exitCode}; errors ${JSON.stringify(errors)}; refused ${JSON.stringify(r.refused)}; ` +
    `stderr ${JSON.stringify(r.stderr.slice(0, 800))}`
  );
}

// ---------------------------------------------------------------------------------------------------------
// Comparing a harness run with render
// ---------------------------------------------------------------------------------------------------------

interface Row {
  readonly key: string;
  readonly parent?: string;
  readonly provider?: string;
  readonly protect?: boolean;
  readonly retainOnDelete?: boolean;
  readonly importId?: string;
}

const keyOf = (type: string, name: string) => `${type} ${name}`;

function omitUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function harnessResources(r: HarnessRun) {
  return r.resources.filter((x) => x.type !== ROOT_STACK_TYPE && !x.type.startsWith(PROVIDER_PREFIX));
}

function harnessRows(r: HarnessRun): Row[] {
  return harnessResources(r)
    .map((x) =>
      omitUndefined({
        key: keyOf(x.type, x.name),
        parent: typeOfUrn(x.parent) === ROOT_STACK_TYPE ? undefined : keyOf(typeOfUrn(x.parent), nameOfUrn(x.parent)),
        provider: x.custom ? (x.providerName ?? "default") : undefined,
        protect: x.protect,
        retainOnDelete: x.retainOnDelete,
        importId: x.importId || undefined,
      }),
    )
    .sort((a, b) => a.key.localeCompare(b.key));
}

function renderRows(stack: RenderedStack): Row[] {
  return stack.resources
    .map((x) =>
      omitUndefined({
        key: keyOf(x.type, x.name),
        parent: x.parent,
        provider: x.provider,
        protect: x.protect,
        retainOnDelete: x.retainOnDelete,
        importId: x.importId,
      }),
    )
    .sort((a, b) => a.key.localeCompare(b.key));
}

/** Wire inputs as render reports inputs: wrappers dropped, JSON strings (policies, provider config) parsed. */
const comparable = (value: unknown) => parseJsonStrings(plain(value));

/** Render's value with every `<unknown: ...>` placeholder replaced by what the engine answered for it. */
function resolvePlaceholders(value: unknown, resolve: (ref: PlaceholderRef) => unknown): unknown {
  if (typeof value === "string") {
    const refs = placeholdersIn(value);
    if (refs.length === 0) return value;
    if (refs.length === 1 && refs[0].text === value) return resolve(refs[0]);
    return refs.reduce((text, ref) => text.replace(ref.text, String(resolve(ref))), value);
  }
  if (Array.isArray(value)) return value.map((v) => resolvePlaceholders(v, resolve));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolvePlaceholders(v, resolve)]));
  }
  return value;
}

/** The harness's answer for a placeholder of render, from the update run of the placeholder's stack. */
function answerOf(runs: Record<string, HarnessRun>) {
  return (ref: PlaceholderRef): unknown => {
    const source = runs[ref.stack];
    if (!source) throw new Error(`no update run of stack ${ref.stack} to resolve ${ref.text}`);
    const resource = source.resources.find((x) => x.type === ref.type && x.name === ref.name);
    if (!resource) throw new Error(`stack ${ref.stack} registered no ${ref.type} ${ref.name} (${ref.text})`);
    const value = ref.property === "id" ? resource.id : resource.outputs[ref.property];
    if (value === undefined || value === UNKNOWN)
      throw new Error(`the harness answered no ${ref.property} for ${ref.type} ${ref.name}`);
    return value;
  };
}

function hasPlaceholder(value: unknown): boolean {
  if (typeof value === "string") return placeholdersIn(value).length > 0;
  if (Array.isArray(value)) return value.some(hasPlaceholder);
  if (value !== null && typeof value === "object") return Object.values(value).some(hasPlaceholder);
  return false;
}

/**
 * The differences between a run's value and render's, one line each. In a preview, the value must be unknown
 * exactly where render shows a value known only after deploy; in an update, render's placeholders have been
 * resolved first (`resolvePlaceholders`) and everything must be equal.
 */
function differences(actual: unknown, expected: unknown, at: string, preview: boolean): string[] {
  if (preview && actual === UNKNOWN) {
    return hasPlaceholder(expected) ? [] : [`${at}: unknown in the preview, ${JSON.stringify(expected)} in render`];
  }
  if (preview && typeof expected === "string" && hasPlaceholder(expected)) {
    return [`${at}: ${JSON.stringify(actual)} in the preview, known only after deploy in render (${expected})`];
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length !== actual.length)
      return [`${at}: ${actual.length} items in the run, ${expected.length} in render`];
    return expected.flatMap((item, i) => differences(actual[i], item, `${at}[${i}]`, preview));
  }
  const isRecord = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === "object" && !Array.isArray(v);
  if (isRecord(expected) && isRecord(actual)) {
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    return [...keys].flatMap((k) => differences(actual[k], expected[k], `${at}.${k}`, preview));
  }
  return Object.is(actual, expected)
    ? []
    : [`${at}: ${JSON.stringify(actual)} in the run, ${JSON.stringify(expected)} in render`];
}

// ---------------------------------------------------------------------------------------------------------

describe("infra/index.ts under Pulumi's run harness", function () {
  this.timeout(60_000);

  describe("the language host's command line, from Pulumi.yaml", () => {
    const project = readProject(ROOT);
    const request = {
      rootDir: ROOT,
      project,
      stack: CENTRAL_STACK,
      organization: "organization",
      dryRun: true,
      parallel: 8,
      config: { ...project.config, ...centralStackConfig(INVENTORY) },
      secretKeys: [],
      monitorAddress: "127.0.0.1:1",
      engineAddress: "127.0.0.1:2",
      syncDir: "/tmp/pipes",
    };

    it("is node <SDK>/cmd/run <flags> entry.cjs, in the program's folder, config in the environment", () => {
      const command = languageHostCommand(request);
      expect(command.programDir).to.equal(path.join(ROOT, "infra"));
      // No nodeargs: entry.cjs registers tsx itself, after the SDK has loaded (see its header).
      expect(project.runtime.options).to.not.have.property("nodeargs");
      expect(command.argv).to.deep.equal([
        path.join(ROOT, "node_modules/@pulumi/pulumi/cmd/run/index.js"),
        ...[
          "--monitor",
          "127.0.0.1:1",
          "--engine",
          "127.0.0.1:2",
          "--sync",
          "/tmp/pipes",
          "--organization",
          "organization",
        ],
        ...[
          "--project",
          CONFIG_NAMESPACE,
          "--root-directory",
          ROOT,
          "--stack",
          CENTRAL_STACK,
          "--pwd",
          path.join(ROOT, "infra"),
        ],
        ...["--dry-run", "--parallel", "8", "entry.cjs"],
      ]);
      expect(JSON.parse(command.env.PULUMI_CONFIG)).to.deep.equal({
        [`${CONFIG_NAMESPACE}:config:${ConfigKey.inventory}`]: INVENTORY,
        "pulumi:config:disable-default-providers": '["*"]',
      });
      expect(command.env.PULUMI_CONFIG_SECRET_KEYS).to.equal("[]");
      // typescript: false — the SDK must not look for ts-node; entry.cjs registers tsx.
      expect(command.env).to.not.have.property("PULUMI_NODEJS_TYPESCRIPT");
    });

    it("refuses a nodeargs the language host would refuse: not a string, or not splittable", () => {
      const broken = (nodeargs: unknown) => ({
        ...request,
        project: { ...project, runtime: { ...project.runtime, options: { ...project.runtime.options, nodeargs } } },
      });
      expect(() => languageHostCommand(broken(["--require", "tsx/cjs"]))).to.throw("nodeargs option must be a string");
      expect(() => languageHostCommand(broken("--require 'tsx/cjs"))).to.throw(
        "EOF found when expecting closing quote",
      );
    });

    it("a nodeargs node cannot honour ends the run with a plain non-zero exit (no RPC reaches the engine)", async () => {
      const r = await run({
        stack: CENTRAL_STACK,
        mode: "preview",
        config: centralStackConfig(INVENTORY),
        project: {
          ...project,
          runtime: {
            ...project.runtime,
            options: { ...project.runtime.options, nodeargs: "--require tsx/no-such-entry" },
          },
        },
      });
      expect(r.exitCode, outcome(r)).to.equal(1);
      expect(r.response).to.deep.equal({ error: "Program exited with non-zero exit code: 1", bail: false });
      expect(r.resources).to.deep.equal([]);
      expect(r.stderr).to.include("no-such-entry");
    });
  });

  describe("the bundled inventory: central and one source stack, preview and update", function () {
    this.timeout(120_000);
    let inventory: Inventory;
    let source: SourceAccount;
    let sourceStack: string;
    let rendered: Record<string, RenderedStack>;
    const runs: Record<string, HarnessRun> = {};
    const updates: Record<string, HarnessRun> = {};
    let centralStackOutputs: Record<string, unknown> = {};

    before(async function () {
      this.timeout(180_000);
      inventory = await bundledInventory();
      // A source in another region than the central bucket, if there is one: cross-region is the hard case.
      const enabled = inventory.sources.filter((s) => s.enabled);
      source = enabled.find((s) => s.region !== inventory.central.region) ?? enabled[0];
      sourceStack = sourceStackName(source.accountId);
      const plans = planStacks(inventory);
      const pick = (name: string) => plans.find((p) => p.name === name) as StackPlan;
      const stacks = await renderStacks(inventory, [pick(CENTRAL_STACK), pick(sourceStack)], stackProgram);
      rendered = Object.fromEntries(stacks.map((s) => [s.stack, s]));

      // As the driver runs them: no stack config at all, the inventory path in the workspace's environment.
      const env = { [ProgramEnv.inventory]: INVENTORY };
      // Independent runs go two at a time (each is a node process; the machine has 2 cores or more).
      [runs["central preview"], runs["central update"], runs["source preview"]] = await Promise.all([
        run({ stack: CENTRAL_STACK, mode: "preview", env }),
        run({ stack: CENTRAL_STACK, mode: "update", env }),
        // The driver's preview before the central stack exists: it says so in the environment, and the
        // source previews with the central key unknown.
        run({ stack: sourceStack, mode: "preview", env: { ...env, [ProgramEnv.central]: CENTRAL_NOT_DEPLOYED } }),
      ]);
      // `org-s3-backup up` (or a reviewer's `pulumi preview` once central exists): the source reads the
      // deployed central stack's outputs through a StackReference.
      const central = readCentralOutputs(asStackOutputs(runs["central update"].stackOutputs));
      if (!central.ok)
        throw new Error(
          `the central update exported no ${central.missing.join(", ")}: ${outcome(runs["central update"])}`,
        );
      centralStackOutputs = plain(runs["central update"].stackOutputs) as Record<string, unknown>;
      runs["source update"] = await run({
        stack: sourceStack,
        mode: "update",
        env,
        stacks: { [CENTRAL_REFERENCE]: centralStackOutputs },
      });
      updates[CENTRAL_STACK] = runs["central update"];
      updates[sourceStack] = runs["source update"];
    });

    for (const label of ["central preview", "central update", "source preview", "source update"]) {
      const stackOf = () => (label.startsWith("central") ? CENTRAL_STACK : sourceStack);
      const preview = label.endsWith("preview");

      describe(label, () => {
        it("runs to the end: exit 0, no error logged, nothing refused (no invoke, no default provider, no RPC the harness lacks)", () => {
          const r = runs[label];
          expect(r.exitCode, outcome(r)).to.equal(0);
          expect(r.response).to.deep.equal({ error: "", bail: false });
          expect(r.logs.filter((l) => l.severity === "error" || l.severity === "warning")).to.deep.equal([]);
          expect(r.refused).to.deep.equal([]);
          expect(r.invokes).to.deep.equal([]);
          expect(r.stderr).to.equal("");
          expect(
            r.deploymentInfoRequests + r.supportsFeature.length,
            "the SDK asks the monitor what it supports",
          ).to.be.greaterThan(0);
        });

        it("registers the resources render reports, with the same parents, providers, protect and retainOnDelete", () => {
          expect(harnessRows(runs[label])).to.deep.equal(renderRows(rendered[stackOf()]));
        });

        it("gives every resource an explicit provider, with the inputs render reports for it", () => {
          const r = runs[label];
          const custom = harnessResources(r).filter((x) => x.custom);
          expect(custom.filter((x) => x.provider === "").map((x) => x.urn)).to.deep.equal([]);
          const providers = r.resources.filter((x) => x.type.startsWith(PROVIDER_PREFIX));
          expect(
            Object.fromEntries(providers.map((p) => [p.name, { type: p.type, inputs: comparable(p.inputs) }])),
          ).to.deep.equal(rendered[stackOf()].providers);
        });

        it(
          preview
            ? "sends render's inputs, unknown exactly where render shows a value known only after deploy"
            : "sends render's inputs, its placeholders being the values the engine answered",
          () => {
            const r = runs[label];
            const expected = new Map(rendered[stackOf()].resources.map((x) => [keyOf(x.type, x.name), x.inputs]));
            const found = harnessResources(r).flatMap((resource) => {
              const key = keyOf(resource.type, resource.name);
              const want = preview ? expected.get(key) : resolvePlaceholders(expected.get(key), answerOf(updates));
              return differences(comparable(resource.inputs), want, key, preview);
            });
            expect(found).to.deep.equal([]);
          },
        );

        it(
          preview
            ? "exports render's outputs, unknown where render's are known only after deploy"
            : "exports render's outputs, with the values the engine answered",
          () => {
            const actual = comparable(runs[label].stackOutputs);
            const expected = rendered[stackOf()].outputs;
            const want = preview ? expected : resolvePlaceholders(expected, answerOf(updates));
            expect(differences(actual, want, "outputs", preview)).to.deep.equal([]);
          },
        );
      });
    }

    describe("the central stack, read by a source through a StackReference", () => {
      it("an update reads `organization/<project>/central` once, and replicates with its kmsKeyArn output", () => {
        const r = runs["source update"];
        expect(r.reads).to.deep.equal([
          { type: "pulumi:pulumi:StackReference", name: CENTRAL_REFERENCE, id: CENTRAL_REFERENCE },
        ]);
        const replication = r.resources.find(
          (x) => x.type === "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
        );
        const rules = (plain(replication?.inputs) as { rules: { destination: { encryptionConfiguration: unknown } }[] })
          .rules;
        expect(rules[0].destination.encryptionConfiguration).to.deep.equal({
          replicaKmsKeyId: centralStackOutputs[CentralOutput.kmsKeyArn],
        });
      });

      it("the driver's preview before central exists reads no other stack", () => {
        expect(runs["source preview"].reads).to.deep.equal([]);
      });

      it("a reviewer's preview before central exists stops on the engine's 'unknown stack' for the reference", async () => {
        const r = await run({ stack: sourceStack, mode: "preview" });
        expect(r.reads.map((read) => read.id)).to.deep.equal([CENTRAL_REFERENCE]);
        expect(r.refused).to.deep.equal([
          `ReadResource pulumi:pulumi:StackReference ${CENTRAL_REFERENCE}: unknown stack "${CENTRAL_REFERENCE}"`,
        ]);
        expect(r.exitCode).to.not.equal(0);
      });
    });

    describe("what the driver reads and passes on", () => {
      it("the central update exports the contract's outputs: the bucket, its real key ARN, a topic per monitored region", () => {
        const outputs = plain(runs["central update"].stackOutputs) as Record<string, unknown>;
        const { central } = inventory;
        expect(Object.keys(outputs).sort()).to.deep.equal(Object.values(CentralOutput).sort());
        expect(outputs[CentralOutput.bucketName]).to.equal(central.bucketName);
        expect(outputs[CentralOutput.bucketArn]).to.equal(`arn:aws:s3:::${central.bucketName}`);
        // The check infra/program.ts applies to a source's config before an update.
        expect(outputs[CentralOutput.kmsKeyArn]).to.match(
          new RegExp(`^arn:aws:kms:${central.region}:${central.accountId}:key/[\\w-]+$`),
        );
        const topics = outputs[CentralOutput.alarmTopicArns] as Record<string, string>;
        const monitoredRegions = new Set(
          inventory.sources.filter((s) => s.enabled && s.monitoring.enabled).map((s) => s.region),
        );
        expect(Object.keys(topics).sort()).to.deep.equal([...monitoredRegions].sort());
        for (const [region, arn] of Object.entries(topics))
          expect(arn, region).to.match(new RegExp(`^arn:aws:sns:${region}:${central.accountId}:`));
      });

      it("the central preview knows the bucket name and nothing AWS assigns", () => {
        const outputs = plain(runs["central preview"].stackOutputs) as Record<string, unknown>;
        expect(outputs[CentralOutput.bucketName]).to.equal(inventory.central.bucketName);
        expect(outputs[CentralOutput.kmsKeyArn]).to.equal(UNKNOWN);
      });

      it("the source update exports the contract's outputs for its account", () => {
        const outputs = plain(runs["source update"].stackOutputs) as Record<string, unknown>;
        const expected = Object.values(SourceOutput).filter(
          (name) =>
            (name !== SourceOutput.alarmArns || source.monitoring.enabled) &&
            (name !== SourceOutput.backfillRoleArn || source.backfill.enabled),
        );
        expect(Object.keys(outputs).sort()).to.deep.equal(expected.sort());
        expect(outputs[SourceOutput.kmsKeyArn]).to.match(
          new RegExp(`^arn:aws:kms:${source.region}:${source.accountId}:key/`),
        );
        expect(outputs[SourceOutput.replicationRoleArn]).to.match(
          new RegExp(`^arn:aws:iam::${source.accountId}:role/`),
        );
      });

      it("the source replicates with the key the central update exported, and its alarms notify the topic central created in its region", () => {
        const centralOutputs = plain(runs["central update"].stackOutputs) as Record<string, unknown>;
        const resources = harnessResources(runs["source update"]);
        const replication = resources.find((x) => x.type === "aws:s3/bucketReplicationConfig:BucketReplicationConfig");
        const rules = (
          plain(replication?.inputs) as {
            rules: { destination: { encryptionConfiguration: { replicaKmsKeyId: string } } }[];
          }
        ).rules;
        expect(rules.map((rule) => rule.destination.encryptionConfiguration.replicaKmsKeyId)).to.deep.equal([
          centralOutputs[CentralOutput.kmsKeyArn],
        ]);
        const alarms = resources.filter((x) => x.type === "aws:cloudwatch/metricAlarm:MetricAlarm");
        if (!source.monitoring.enabled) return expect(alarms).to.deep.equal([]);
        expect(alarms.length).to.be.greaterThan(0);
        const topic = (centralOutputs[CentralOutput.alarmTopicArns] as Record<string, string>)[source.region];
        for (const alarm of alarms)
          expect((plain(alarm.inputs) as { alarmActions: string[] }).alarmActions, alarm.name).to.deep.equal([topic]);
      });
    });
  });

  // An unknown stack name takes the same path (ProgramInputError -> inputError) as a central stack that is
  // not deployed; its message is tested in-process (tests/infra/program.test.ts "refuses an unknown stack").
  describe("input errors: exit 32, the located message in the engine log, no stack trace", () => {
    let tmp: string;
    before(() => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), "harness-inventory-"));
    });
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    function runInputError(
      stack: string,
      mode: "preview" | "update",
      config: Record<string, string>,
      env: Record<string, string> = {},
    ): Promise<HarnessRun> {
      return run({ stack, mode, config, env });
    }

    function expectReportedOnce(r: HarnessRun): string {
      expect(r.exitCode, outcome(r)).to.equal(USER_ACTIONABLE_EXIT);
      expect(r.response).to.deep.equal({ error: "", bail: true });
      const errors = r.logs.filter((l) => l.severity === "error");
      expect(errors, outcome(r)).to.have.length(1);
      for (const text of [errors[0].message, r.stderr, r.stdout]) expect(text).to.not.match(STACK_FRAME);
      // Refused before any resource: only the stack itself was registered.
      expect(r.resources.map((x) => x.type)).to.deep.equal([ROOT_STACK_TYPE]);
      return errors[0].message;
    }

    it("an invalid inventory (read from the stack's config) is reported with file, line and column", async () => {
      const file = path.join(tmp, "accounts.yaml");
      fs.writeFileSync(file, withLine(11, '  - id: "11111111111"'));
      const loaded = await loadInventory(file);
      if (loaded.ok) throw new Error("the broken inventory loads");
      const message = expectReportedOnce(await runInputError(CENTRAL_STACK, "preview", centralStackConfig(file)));
      expect(message).to.equal(`invalid inventory:\n${loaded.problems.map(formatProblem).join("\n")}`);
      expect(message).to.include(`${file}:11:`);
    });

    it("a source stack's update while the central stack is not deployed is refused with the message the program promises", async () => {
      const inventory = await bundledInventory();
      const stack = sourceStackName(inventory.sources.find((s) => s.enabled)!.accountId);
      const message = expectReportedOnce(
        await runInputError(stack, "update", {}, { [ProgramEnv.central]: CENTRAL_NOT_DEPLOYED }),
      );
      expect(message).to.equal(
        "the central stack is not deployed: " +
          "run `org-s3-backup up` (it deploys the central stack first), then this stack",
      );
    });
  });
});
