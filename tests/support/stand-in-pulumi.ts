import * as fs from "node:fs";
import * as path from "node:path";

/**
 * A stand-in for the Pulumi CLI, written by a test into a temp directory and put first on PATH: a POSIX
 * shell script, run as a real child process by the real driver (locatePulumiCli → ManagedPulumiCommand →
 * LocalWorkspace). It answers what the Automation API asks (version, stack ls/select/init, config
 * set-all, up/preview/destroy/refresh, stack output/history/export, plugin install, stack tags) like CLI
 * 3.270 does, keeps stacks as files and, like the file backend, takes a lock file per stack
 * (`.pulumi/locks/organization/org-s3-backup/<stack>/<id>.json` under the PULUMI_BACKEND_URL directory)
 * for the duration of up, destroy and refresh, refusing to run while one is there with Pulumi's text.
 *
 * Faults are scripted per command and stack: fails, hangs (cancels on SIGINT, or ignores it), dies by a
 * signal (its lock stays), prints garbage, exits without an error line, or is slow.
 */

export type Behaviour =
  | "ok"
  /** Sleeps this many ms, then answers normally. */
  | `delay:${number}`
  /** Prints the text on stderr, exits 255 (Pulumi's failure code). */
  | `fail:${string}`
  /** Runs until SIGINT, then says "error: update canceled", releases its lock, exits 255 (Pulumi's cancel). */
  | "hang"
  /** Runs forever; ignores SIGINT. */
  | "hang-ignore-int"
  /** Kills itself with this signal (an OOM kill is KILL): its lock stays behind. */
  | `die:${string}`
  /** Random bytes on stdout and stderr, exit 1. */
  | "garbage"
  /** Exits with this code, printing nothing. */
  | `silent-exit:${number}`;

export interface StandInOptions {
  /** What `pulumi version` prints (default v3.270.0). */
  readonly version?: string;
  /**
   * Behaviour by `"<command> <stack>"`; `*` in `<stack>` matches anything (`account-*`). Commands: `up`, `preview`,
   * `destroy`, `refresh`, `stack select`, `stack init`, `config set-all`, `stack output`, `stack ls`, `version`...
   */
  readonly rules?: Readonly<Record<string, Behaviour>>;
}

export interface StandIn {
  /** Put first on PATH. */
  readonly binDir: string;
  /** The file backend's directory (pass `--backend file://<stateDir>`). */
  readonly stateDir: string;
  /** Each invocation's arguments, in order of start. */
  calls(): string[][];
  /** The stacks an operation was started on (`up`, `destroy`...). */
  operationsOf(command: string): string[];
  /** The lock files left in the backend. */
  locks(): string[];
  /** PATH with the stand-in first. */
  readonly path: string;
}

export const CENTRAL_OUTPUTS_JSON =
  '{"bucketName":"acme-org-backup-999999999999","bucketArn":"arn:aws:s3:::acme-org-backup-999999999999",' +
  '"kmsKeyArn":"arn:aws:kms:eu-west-1:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab"}';

const HISTORY_JSON =
  '[{"version":1,"kind":"update","result":"succeeded","message":"","environment":{},"config":{},' +
  '"startTime":"2026-11-25T07:00:00Z","endTime":"2026-11-25T07:00:01Z","resourceChanges":{"create":2,"same":1}}]';

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

export function writeStandIn(root: string, options: StandInOptions = {}): StandIn {
  const binDir = path.join(root, "bin");
  const stateDir = path.join(root, "state");
  const callsFile = path.join(root, "calls.log");
  fs.mkdirSync(binDir, { recursive: true });
  fs.mkdirSync(stateDir, { recursive: true });
  const rules = Object.entries(options.rules ?? {})
    .map(([key, behaviour]) => {
      const at = key.lastIndexOf(" ");
      const command = key.slice(0, at);
      const stack = key.slice(at + 1);
      const pattern = stack
        .split("*")
        .map((part) => (part === "" ? "" : quote(part)))
        .join("*");
      return `  ${quote(`${command}|`)}${pattern}) behaviour=${quote(behaviour)} ;;`;
    })
    .join("\n");
  const script = `#!/bin/sh
# Stand-in for the Pulumi CLI (tests/support/stand-in-pulumi.ts).
printf '%s\\n' "$*" >> ${quote(callsFile)}
verb="$1"
case "$1" in stack|config|plugin) verb="$1 $2" ;; esac
if [ "$verb" = "stack tag" ]; then verb="stack tag $3"; fi
stack=""
previous=""
for arg in "$@"; do
  if [ "$previous" = "--stack" ]; then stack="$arg"; fi
  previous="$arg"
done
if [ "$verb" = "stack init" ]; then stack="$3"; fi
if [ "$verb" = "stack rm" ]; then for arg in "$@"; do stack="$arg"; done; fi
state="\${PULUMI_BACKEND_URL#file://}"
stacks="$state/.pulumi/stacks/org-s3-backup"
lockdir="$state/.pulumi/locks/organization/org-s3-backup/$stack"
lockfile="$lockdir/standin-$$.json"
mkdir -p "$stacks"

behaviour=ok
case "$verb|$stack" in
${rules}
esac

release() { rm -f "$lockfile"; }
take_lock() {
  for existing in "$lockdir"/*.json; do
    if [ -f "$existing" ]; then
      echo "error: the stack is currently locked by 1 lock(s)." \\
        "Either wait for the other process(es) to end or delete the lock file with \\\`pulumi cancel\\\`." >&2
      echo "  file://$existing: created by ci@standin-host (pid 4242) at 2026-11-25T07:00:00Z" >&2
      exit 255
    fi
  done
  mkdir -p "$lockdir"
  printf '{"pid":%s,"username":"ci","hostname":"standin-host","timestamp":"%s"}\\n' \\
    "$$" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$lockfile"
}

case "$verb" in
  up|destroy) take_lock ;;
  refresh) case " $* " in *" --preview-only "*) ;; *) take_lock ;; esac ;;
esac

case "$behaviour" in
  ok) ;;
  delay:*) sleep "$(awk "BEGIN { print \${behaviour#delay:} / 1000 }")" ;;
  fail:*) printf '%s\\n' "\${behaviour#fail:}" >&2; release; exit 255 ;;
  hang)
    sleep 1000 &
    sleeper=$!
    on_int() {
      kill $sleeper 2>/dev/null
      echo "^C received; cancelling. If you would like to terminate immediately, press ^C again."
      echo "error: update canceled" >&2
      release
      exit 255
    }
    trap on_int INT
    wait $sleeper
    ;;
  hang-ignore-int)
    trap '' INT
    while :; do sleep 1000; done
    ;;
  die:*) kill -"\${behaviour#die:}" $$; sleep 5 ;;
  garbage) head -c 400 /dev/urandom; head -c 400 /dev/urandom >&2; release; exit 1 ;;
  silent-exit:*) release; exit "\${behaviour#silent-exit:}" ;;
esac

case "$verb" in
  version) echo ${quote(options.version ?? "v3.270.0")} ;;
  "plugin install"|"plugin ls") echo "[]" ;;
  "stack ls")
    printf '['
    first=1
    for file in "$stacks"/*.json; do
      [ -f "$file" ] || continue
      name=$(basename "$file" .json)
      if [ $first = 1 ]; then first=0; else printf ','; fi
      printf '{"name":"%s","current":false,"updateInProgress":false}' "$name"
    done
    printf ']\\n'
    ;;
  "stack select")
    if [ ! -f "$stacks/$stack.json" ]; then echo "error: no stack named '$stack' found" >&2; exit 255; fi ;;
  "stack init")
    if [ -f "$stacks/$stack.json" ]; then echo "error: stack '$stack' already exists" >&2; exit 255; fi
    echo '{}' > "$stacks/$stack.json"; echo "Created stack '$stack'" ;;
  "stack rm") rm -f "$stacks/$stack.json"; echo "Stack '$stack' has been removed!" ;;
  "stack output") echo ${quote(CENTRAL_OUTPUTS_JSON)} ;;
  "stack history") echo ${quote(HISTORY_JSON)} ;;
  "stack export") echo '{"version":3,"deployment":{"manifest":{},"resources":[]}}' ;;
  "stack tag ls") echo '{}' ;;
  up|destroy|preview|refresh)
    echo "Updating ($stack):"; echo "Resources:"; echo "    2 created"; echo "    1 unchanged" ;;
esac
release
exit 0
`;
  const binary = path.join(binDir, "pulumi");
  fs.writeFileSync(binary, script, { mode: 0o755 });
  const calls = () =>
    fs.existsSync(callsFile)
      ? fs
          .readFileSync(callsFile, "utf8")
          .split("\n")
          .filter((line) => line.length > 0)
          .map((line) => line.split(" "))
      : [];
  return {
    binDir,
    stateDir,
    path: `${binDir}${path.delimiter}${process.env.PATH ?? ""}`,
    calls,
    operationsOf: (command) =>
      calls()
        .filter((args) => args[0] === command)
        .map((args) => args[args.indexOf("--stack") + 1]),
    locks: () => {
      const root = path.join(stateDir, ".pulumi", "locks");
      if (!fs.existsSync(root)) return [];
      return (fs.readdirSync(root, { recursive: true }) as string[]).filter((file) => file.endsWith(".json"));
    },
  };
}
