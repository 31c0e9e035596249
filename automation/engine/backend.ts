import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/**
 * Where stack state lives and how secrets are encrypted. The default needs no account: a file backend
 * in the repository (git-ignored) and the passphrase secrets provider.
 */

export const LOCAL_STATE_DIR = ".pulumi-state";

export interface Backend {
  readonly url: string;
  /** `passphrase` for self-managed backends; undefined for Pulumi Cloud, which manages secrets itself. */
  readonly secretsProvider: "passphrase" | undefined;
  /** Set for the default local backend, whose directory must exist before Pulumi uses it. */
  readonly localDir?: string;
}

const SCHEMES = ["file://", "s3://", "gs://", "azblob://", "https://", "http://"];

/** Precedence: `--backend`, then PULUMI_BACKEND_URL, then `file://<repo>/.pulumi-state`. */
export function resolveBackend(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  repoRoot: string,
): { ok: true; backend: Backend } | { ok: false; message: string } {
  const chosen = flag ?? (env.PULUMI_BACKEND_URL || undefined);
  if (chosen === undefined) {
    const localDir = path.join(repoRoot, LOCAL_STATE_DIR);
    return { ok: true, backend: { url: `file://${localDir}`, secretsProvider: "passphrase", localDir } };
  }
  if (!SCHEMES.some((scheme) => chosen.startsWith(scheme))) {
    const source = flag === undefined ? "PULUMI_BACKEND_URL" : "--backend";
    return {
      ok: false,
      message: `${source}: '${chosen}' is not a backend URL (${SCHEMES.map((s) => `${s}...`).join(", ")})`,
    };
  }
  const cloud = chosen.startsWith("https://") || chosen.startsWith("http://");
  return { ok: true, backend: { url: chosen, secretsProvider: cloud ? undefined : "passphrase" } };
}

/**
 * The passphrase provider would otherwise prompt (or, non-interactive, fail deep inside the first
 * operation): say it up front. Undefined when nothing is missing.
 */
export function missingPassphrase(backend: Backend, env: NodeJS.ProcessEnv): string | undefined {
  if (backend.secretsProvider !== "passphrase") return undefined;
  if (env.PULUMI_CONFIG_PASSPHRASE !== undefined || env.PULUMI_CONFIG_PASSPHRASE_FILE) return undefined;
  return [
    "PULUMI_CONFIG_PASSPHRASE is not set (nor PULUMI_CONFIG_PASSPHRASE_FILE).",
    `  The ${backend.url} backend encrypts stack secrets with a passphrase; set it, for example:`,
    "    export PULUMI_CONFIG_PASSPHRASE='<a long secret kept in your CI secret store>'",
    "  Use the same passphrase for every run: it cannot be changed without re-encrypting the stacks.",
  ].join("\n");
}

/** The directory of a file backend (the default one or a `file://` URL); undefined for other backends. */
export function localStateDir(backend: Backend): string | undefined {
  if (backend.localDir !== undefined) return backend.localDir;
  if (!backend.url.startsWith("file://")) return undefined;
  const location = decodeURIComponent(backend.url.slice("file://".length).split("?")[0]);
  if (location === "~" || location.startsWith("~/")) return path.join(os.homedir(), location.slice(1));
  return path.resolve(location);
}

export function ensureLocalBackend(backend: Backend): void {
  if (backend.localDir !== undefined) fs.mkdirSync(backend.localDir, { recursive: true });
}

/** Environment every Pulumi CLI invocation gets. */
export function backendEnv(backend: Backend, env: NodeJS.ProcessEnv): Record<string, string> {
  const passthrough = ["PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE", "PULUMI_ACCESS_TOKEN"] as const;
  const vars: Record<string, string> = { PULUMI_BACKEND_URL: backend.url, PULUMI_SKIP_UPDATE_CHECK: "true" };
  for (const name of passthrough) {
    const value = env[name];
    if (value !== undefined) vars[name] = value;
  }
  return vars;
}
