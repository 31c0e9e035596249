import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Stack locks of a self-managed backend. The file and cloud-storage backends lock a stack during an
 * update by writing `.pulumi/locks/<org>/<project>/<stack>/<id>.json` ({pid, username, hostname,
 * timestamp}); `pulumi cancel` deletes it. A CLI that died (OOM kill, SIGKILL) leaves it behind, and
 * every later update of that stack fails with "the stack is currently locked by 1 lock(s)" and one line
 * per lock: `  <url>: created by <user>@<host> (pid <n>) at <RFC 3339 time>`.
 */

export interface LockHolder {
  /** The lock file (a path, or the URL the CLI printed). */
  readonly file: string;
  readonly user?: string;
  readonly host?: string;
  readonly pid?: number;
  /** ISO time the lock was taken. */
  readonly since?: string;
}

export interface StackLock extends LockHolder {
  readonly stack: string;
}

/** The command that deletes a stack's lock (and, on Pulumi Cloud, cancels its update). */
export function releaseCommand(stack: string): string {
  return `pulumi cancel --yes --stack ${stack}`;
}

const HOLDER_LINE = /^\s*(\S+): created by (.*?)@(\S*) \(pid (-?\d+)\) at (\S+)\s*$/;

/** The lock holders a CLI's "currently locked" error names. Pure. */
export function parseLockHolders(raw: string): LockHolder[] {
  return raw.split(/\r?\n/).flatMap((line) => {
    const match = HOLDER_LINE.exec(line.replace(/^(stdout|stderr): /, ""));
    if (!match) return [];
    const [, file, user, host, pid, at] = match;
    const since = isoTime(at);
    return [{ file, user, host, pid: Number(pid), ...(since ? { since } : {}) }];
  });
}

function isoTime(text: unknown): string | undefined {
  if (typeof text !== "string") return undefined;
  const time = Date.parse(text);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

/**
 * The lock files of `stacks` in a file backend's directory (any organization directory; the project's).
 * Unreadable or malformed files still count as locks: the CLI refuses the update all the same.
 */
export function readStackLocks(stateDir: string, project: string, stacks: readonly string[]): StackLock[] {
  const root = path.join(stateDir, ".pulumi", "locks");
  const wanted = new Set(stacks);
  const locks: StackLock[] = [];
  for (const org of listDir(root)) {
    const projectDir = path.join(root, org, project);
    for (const stack of listDir(projectDir)) {
      if (!wanted.has(stack)) continue;
      for (const name of listDir(path.join(projectDir, stack))) {
        if (!name.endsWith(".json")) continue;
        const file = path.join(projectDir, stack, name);
        locks.push({ stack, ...readHolder(file) });
      }
    }
  }
  return locks.sort((a, b) => a.stack.localeCompare(b.stack));
}

function readHolder(file: string): LockHolder {
  try {
    const content = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
    const since = isoTime(content.timestamp);
    return {
      file,
      ...(typeof content.username === "string" ? { user: content.username } : {}),
      ...(typeof content.hostname === "string" ? { host: content.hostname } : {}),
      ...(typeof content.pid === "number" ? { pid: content.pid } : {}),
      ...(since ? { since } : {}),
    };
  } catch {
    return { file };
  }
}

function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
