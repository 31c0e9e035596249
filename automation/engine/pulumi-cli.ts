import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { PulumiCommand } from "@pulumi/pulumi/automation";
import { version as sdkVersion } from "@pulumi/pulumi/version";

/** Finding (or installing) the Pulumi CLI before anything else happens. */

/** The CLI version `--install-cli` installs: the one matching the Automation API in package.json. */
export const PINNED_CLI_VERSION = sdkVersion;

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

export type CliLookup = { ok: true; command: PulumiCommand } | { ok: false; message: string };

/**
 * The CLI on PATH, else the one `--install-cli` installed. Looks for the file first (under 1 ms), so
 * that a machine without the CLI is told so without loading the Automation API (~1 s).
 */
export async function locatePulumiCli(): Promise<CliLookup> {
  const root = pinnedInstallRoot();
  const binary = findPulumiBinary(process.env.PATH ?? "", root);
  if (binary === undefined)
    return { ok: false, message: missingCliMessage([`no \`${BINARY}\` on PATH nor in ${path.join(root, "bin")}`]) };
  const automation = require("@pulumi/pulumi/automation") as typeof import("@pulumi/pulumi/automation");
  try {
    const command = await automation.PulumiCommand.get(binary.startsWith(root) ? { root } : {});
    return { ok: true, command };
  } catch (error) {
    return { ok: false, message: missingCliMessage([`${binary}: ${firstLine(error)}`]) };
  }
}

export async function installPulumiCli(): Promise<CliLookup> {
  const automation = require("@pulumi/pulumi/automation") as typeof import("@pulumi/pulumi/automation");
  try {
    // Without options: the SDK's own version, into pinnedInstallRoot().
    return { ok: true, command: await automation.PulumiCommand.install() };
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
