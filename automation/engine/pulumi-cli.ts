import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import type { PulumiCommand } from "@pulumi/pulumi/automation";
import { version as sdkVersion } from "@pulumi/pulumi/version";
import { DEFAULT_PROCESS_LIMITS, ManagedPulumiCommand, type ProcessLimits } from "./pulumi-process";

/** Finding (or installing) the Pulumi CLI and checking its version before anything else happens. */

/** The CLI version `--install-cli` installs: the one matching the Automation API in package.json. */
export const PINNED_CLI_VERSION = sdkVersion;
/** The CLI version the tests and the documentation are checked against: a newer one gets a warning. */
export const TESTED_CLI_VERSION = PINNED_CLI_VERSION;
/**
 * The oldest CLI this tool drives. From 3.206 the CLI streams engine events to the Automation API over
 * its events server (older ones write an event-log file the SDK tails: a path we neither use nor test);
 * `destroy --exclude-protected`, `refresh --preview-only` and `config set-all` are older still. The SDK's
 * own floor (3.2) accepts CLIs this tool has never run against.
 */
export const MIN_CLI_VERSION = "3.206.0";
/** Set, it turns the refusal of an old CLI into a warning (the Automation API's own opt-out variable). */
export const SKIP_VERSION_CHECK_VAR = "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK";
/** `pulumi version` answers in well under a second; one that does not answer is reported, not awaited. */
export const VERSION_TIMEOUT_MS = 15_000;

const pulumiRequire = createRequire(require.resolve("@pulumi/pulumi/package.json"));
const semver = pulumiRequire("semver") as typeof import("semver");

const BINARY = process.platform === "win32" ? "pulumi.exe" : "pulumi";

/** Where `--install-cli` puts the CLI (PulumiCommand.install's default root). */
export function pinnedInstallRoot(home = os.homedir()): string {
  return path.join(home, ".pulumi", "versions", PINNED_CLI_VERSION);
}

/** The `pulumi` executable on PATH, else in the pinned install root; undefined when there is none. */
export function findPulumiBinary(pathVariable: string, root: string): string | undefined {
  const candidates = [
    ...pathVariable
      .split(path.delimiter)
      .filter((dir) => dir.length > 0)
      .map((dir) => path.join(dir, BINARY)),
    path.join(root, "bin", BINARY),
  ];
  return candidates.find((candidate) => {
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return fs.statSync(candidate).isFile();
    } catch {
      return false;
    }
  });
}

export type CliLookup =
  | {
      ok: true;
      /** A ManagedPulumiCommand (pulumi-process.ts), given to LocalWorkspace as its `pulumiCommand`. */
      command: PulumiCommand;
      version: string;
      /** Said once before the run (a CLI newer than the tested one). */
      warning?: string;
    }
  | { ok: false; message: string };

export interface LocateOptions {
  readonly limits?: ProcessLimits;
  readonly versionTimeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly home?: string;
}

/**
 * The CLI on PATH, else the one `--install-cli` installed. Looks for the file first (under 1 ms), then
 * asks it `pulumi version` (bounded by VERSION_TIMEOUT_MS) and checks the answer (checkCliVersion).
 */
export async function locatePulumiCli(options: LocateOptions = {}): Promise<CliLookup> {
  const env = options.env ?? process.env;
  const root = pinnedInstallRoot(options.home);
  const binary = findPulumiBinary(env.PATH ?? "", root);
  if (binary === undefined)
    return { ok: false, message: missingCliMessage([`no \`${BINARY}\` on PATH nor in ${path.join(root, "bin")}`]) };
  return checkedCommand(binary, options);
}

/** Runs `<binary> version` and wraps an accepted CLI in a ManagedPulumiCommand. */
export async function checkedCommand(binary: string, options: LocateOptions = {}): Promise<CliLookup> {
  const env = options.env ?? process.env;
  const printed = await readVersion(binary, options.versionTimeoutMs ?? VERSION_TIMEOUT_MS);
  if (!printed.ok)
    return { ok: false, message: installHint(`The Pulumi CLI at ${binary} does not work: ${printed.message}.`) };
  const check = checkCliVersion(binary, printed.text, Boolean(env[SKIP_VERSION_CHECK_VAR]));
  if (!check.ok) return check;
  const command = new ManagedPulumiCommand(
    binary,
    semver.parse(check.version),
    options.limits ?? DEFAULT_PROCESS_LIMITS,
  ).asPulumiCommand();
  return { ok: true, command, version: check.version, ...(check.warning ? { warning: check.warning } : {}) };
}

export type VersionCheck = { ok: true; version: string; warning?: string } | { ok: false; message: string };

/**
 * What `pulumi version` printed, judged: below MIN_CLI_VERSION (or another major version) refused with
 * the install hint; above TESTED_CLI_VERSION accepted with a warning. `skip` (SKIP_VERSION_CHECK_VAR)
 * turns the refusal of an old 3.x into a warning. Pure.
 */
export function checkCliVersion(binary: string, printed: string, skip = false): VersionCheck {
  const line = printed.split(/\r?\n/).find((text) => text.trim().length > 0) ?? "";
  const version = semver.parse(line.trim());
  if (version === null) {
    return {
      ok: false,
      message: installHint(
        `The Pulumi CLI at ${binary} does not work: \`pulumi version\` printed ${quoteOutput(printed)}, not a version.`,
      ),
    };
  }
  const tested = `it is tested with ${TESTED_CLI_VERSION}`;
  if (version.major !== semver.parse(MIN_CLI_VERSION)?.major) {
    return {
      ok: false,
      message: installHint(
        `The Pulumi CLI at ${binary} is ${version.version}: ` +
          `this tool drives Pulumi 3 (needs ${MIN_CLI_VERSION} or newer 3.x; ${tested}).`,
      ),
    };
  }
  if (semver.lt(version, MIN_CLI_VERSION)) {
    const problem =
      `The Pulumi CLI at ${binary} is ${version.version}, older than ${MIN_CLI_VERSION}, ` +
      `the oldest this tool supports (${tested}).`;
    if (skip)
      return {
        ok: true,
        version: version.version,
        warning: `warning: ${problem} Going on because ${SKIP_VERSION_CHECK_VAR} is set.`,
      };
    return { ok: false, message: installHint(problem) };
  }
  if (semver.gt(version, TESTED_CLI_VERSION)) {
    return {
      ok: true,
      version: version.version,
      warning:
        `warning: the Pulumi CLI at ${binary} is ${version.version}, newer than ${TESTED_CLI_VERSION}, ` +
        "the version this tool is tested with; going on.",
    };
  }
  return { ok: true, version: version.version };
}

function installHint(problem: string): string {
  return [
    problem,
    "  Install the tested version with one of:",
    `    curl -fsSL https://get.pulumi.com | sh -s -- --version ${PINNED_CLI_VERSION}`,
    "    org-s3-backup <command> --install-cli     " +
      `(installs ${PINNED_CLI_VERSION} into ~/.pulumi/versions/ and uses it)`,
  ].join("\n");
}

/** At most 60 printable characters of what a program printed, quoted. */
function quoteOutput(text: string): string {
  const printable = text.replace(/[^\x20-\x7e]+/g, " ").trim();
  if (printable.length === 0) return "nothing readable";
  return JSON.stringify(printable.length > 60 ? `${printable.slice(0, 60)}…` : printable);
}

async function readVersion(
  binary: string,
  timeoutMs: number,
): Promise<{ ok: true; text: string } | { ok: false; message: string }> {
  return new Promise((resolve) => {
    let out = "";
    let err = "";
    let settled = false;
    const done = (result: { ok: true; text: string } | { ok: false; message: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const child = spawn(binary, ["version"], {
      env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: process.platform !== "win32",
    });
    const timer = setTimeout(() => {
      // With whatever it started: nothing may outlive the check holding its pipes.
      try {
        if (child.pid !== undefined && process.platform !== "win32") process.kill(-child.pid, "SIGKILL");
        else child.kill("SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
      child.stdout?.destroy();
      child.stderr?.destroy();
      done({ ok: false, message: `\`pulumi version\` did not answer within ${timeoutMs / 1000}s` });
    }, timeoutMs);
    child.stdout?.on("data", (chunk: Buffer) => {
      if (out.length < 65_536) out += chunk.toString("utf8");
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      if (err.length < 65_536) err += chunk.toString("utf8");
    });
    child.on("error", (error) => done({ ok: false, message: error.message }));
    child.on("close", (code, signal) => {
      if (code === 0) done({ ok: true, text: out });
      else
        done({
          ok: false,
          message:
            `\`pulumi version\` ${signal ? `was ended by ${signal}` : `failed with exit code ${code}`} ` +
            `(${quoteOutput(err || out)})`,
        });
    });
  });
}

export async function installPulumiCli(options: LocateOptions = {}): Promise<CliLookup> {
  const automation = require("@pulumi/pulumi/automation") as typeof import("@pulumi/pulumi/automation");
  try {
    // Without options: the SDK's own version, into pinnedInstallRoot().
    const installed = await automation.PulumiCommand.install();
    return checkedCommand(installed.command, options);
  } catch (error) {
    return {
      ok: false,
      message: [
        `Installing the Pulumi CLI ${PINNED_CLI_VERSION} into ${pinnedInstallRoot()} failed: ${firstLine(error)}`,
        "  It downloads https://get.pulumi.com/install.sh: check the network, or install it yourself:",
        `    curl -fsSL https://get.pulumi.com | sh -s -- --version ${PINNED_CLI_VERSION}`,
      ].join("\n"),
    };
  }
}

export function missingCliMessage(details: readonly string[]): string {
  return [
    "The Pulumi CLI is missing: this command drives the `pulumi` binary.",
    "  Install it with one of:",
    `    curl -fsSL https://get.pulumi.com | sh -s -- --version ${PINNED_CLI_VERSION}`,
    `    org-s3-backup <command> --install-cli     (installs ${PINNED_CLI_VERSION} into ~/.pulumi/versions/)`,
    ...details.map((detail) => `  (${detail})`),
  ].join("\n");
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (
    text
      .split("\n")
      .map((line) => line.trim())
      .find((line) => line.length > 0 && !/^code: /.test(line) && !/^stdout:\s*$/.test(line))
      ?.replace(/^stderr: /, "") ?? text
  );
}
