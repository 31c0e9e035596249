/**
 * What the command line says about a remote run (`--engine remote`), apart from remote.ts: parsing these
 * must not load the Automation API (about a second of start-up), which only a remote run needs.
 */

export interface RemoteSource {
  readonly gitUrl: string;
  /** Exactly one of branch and commit. */
  readonly branch?: string;
  readonly commit?: string;
}

export const REMOTE_UNSUPPORTED = {
  drift:
    "drift is not run remotely: Pulumi Deployments has no preview-only refresh " +
    "(`refresh --preview-only --remote` would refresh, and so change, the state); run drift with the local engine",
  destroy:
    "destroy is not run remotely: a remote destroy cannot keep protected resources " +
    "(--exclude-protected is not sent to Pulumi Deployments); run destroy and up --prune with the local engine",
} as const;

/** Parses `NAME=VALUE` (a `--remote-env`). */
export function parseRemoteEnv(
  text: string,
): { ok: true; name: string; value: string } | { ok: false; message: string } {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(text);
  return match
    ? { ok: true, name: match[1], value: match[2] }
    : { ok: false, message: `--remote-env must be NAME=VALUE, got '${text}'` };
}
