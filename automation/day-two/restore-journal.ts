import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { journalKey, type RestoreEntry, timeStamp } from "./restore-plan";

/**
 * The restore journal: a local, append-only file of JSON lines that records each object as it is done,
 * so that the same command, rerun after Ctrl-C, a network failure or a killed process, continues where
 * it stopped and copies nothing twice.
 *
 * Durability, reasoned:
 * - Every line is written with one write(2) as soon as its copy succeeded (no buffer in this process),
 *   so a killed process (SIGKILL, OOM, a closed terminal) loses no line: the kernel has it.
 * - fsync runs at most once a second while lines arrive, and at the end. A machine crash (power, kernel)
 *   can lose the last second of lines. That is safe because a lost line is never trusted blindly: on
 *   resume, an object found at the target that was written after this journal began, with the planned
 *   size, is recognised as restored by the earlier run and journaled, not copied again. (fsync per line
 *   would cost a disk flush per object — ~1,000 objects/s of throughput — to protect against an event
 *   the resume check covers anyway.)
 * - A line torn by a crash mid-write (only the last one can be) does not parse and is ignored; the next
 *   run starts on a fresh line.
 * - The header is written to a temporary file, fsynced and renamed, so a journal either exists whole or
 *   not at all.
 *
 * Line kinds: the header (`kind`), `done` (key, version, target key), `upload` / `upload-end` (a
 * multipart upload begun / completed or aborted: a resumed run aborts the ones left open, which would
 * otherwise cost storage forever), `marker` (`--exact` delete marker placed), `complete`.
 */

export const JOURNAL_KIND = "org-s3-backup restore journal";

export interface JournalHeader {
  readonly kind: typeof JOURNAL_KIND;
  readonly version: 1;
  readonly accountId: string;
  /** `s3://central/<accountId>/<prefix>` */
  readonly source: string;
  /** `s3://bucket/prefix/` */
  readonly target: string;
  readonly keepPrefix: boolean;
  /** ISO time. */
  readonly asOf: string;
  /** ISO time this journal was created. */
  readonly startedAt: string;
}

/** What a journal says happened. */
export interface JournalState {
  readonly header: JournalHeader;
  /** `journalKey(entry)` of every object done. */
  readonly done: Set<string>;
  /** Target keys that got their `--exact` delete marker. */
  readonly markers: Set<string>;
  /** Multipart uploads begun and never completed or aborted: upload id -> target key. */
  readonly openUploads: Map<string, string>;
  readonly complete: boolean;
  /** Lines that did not parse (a torn last line after a crash). */
  readonly unreadableLines: number;
}

/** The identity of a restore, without its as-of time: journals of one restore share this. */
export function restoreIdentity(h: Pick<JournalHeader, "accountId" | "source" | "target" | "keepPrefix">): string {
  return createHash("sha256")
    .update(JSON.stringify([h.accountId, h.source, h.target, h.keepPrefix]))
    .digest("hex")
    .slice(0, 12);
}

/** `<dir>/<accountId>-<identity>-<asOf>.journal` */
export function journalPath(
  dir: string,
  h: Pick<JournalHeader, "accountId" | "source" | "target" | "keepPrefix">,
  asOf: number,
): string {
  return path.join(dir, `${h.accountId}-${restoreIdentity(h)}-${timeStamp(asOf)}.journal`);
}

/** The default directory: `logs/restore` under the working directory (git ignores `logs/`). */
export function defaultJournalDir(cwd: string): string {
  return path.join(cwd, "logs", "restore");
}

/**
 * The unfinished journals of this restore (any as-of), newest as-of first: when `--as-of` is not given,
 * a rerun continues the newest of them rather than start a new restore "as of now".
 */
export function unfinishedJournals(
  dir: string,
  h: Pick<JournalHeader, "accountId" | "source" | "target" | "keepPrefix">,
): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const stem = `${h.accountId}-${restoreIdentity(h)}-`;
  return names
    .filter((name) => name.startsWith(stem) && name.endsWith(".journal"))
    .sort()
    .reverse()
    .map((name) => path.join(dir, name))
    .filter((file) => {
      const state = readJournal(file);
      return state !== undefined && !state.complete;
    });
}

/** Reads a journal; undefined when the file does not exist. Throws when it is not a restore journal. */
export function readJournal(file: string): JournalState | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const lines = text.split("\n");
  let header: JournalHeader | undefined;
  const state = {
    done: new Set<string>(),
    markers: new Set<string>(),
    openUploads: new Map<string, string>(),
    complete: false,
    unreadableLines: 0,
  };
  for (const line of lines) {
    if (line === "") continue;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line);
    } catch {
      state.unreadableLines++;
      continue;
    }
    if (!header) {
      if (record.kind !== JOURNAL_KIND) throw new Error(`${file} is not a restore journal`);
      header = record as unknown as JournalHeader;
      continue;
    }
    if (typeof record.done === "string" && typeof record.version === "string")
      state.done.add(journalKey({ key: record.done, versionId: record.version }));
    else if (typeof record.upload === "string" && typeof record.target === "string")
      state.openUploads.set(record.upload, record.target);
    else if (typeof record["upload-end"] === "string") state.openUploads.delete(record["upload-end"]);
    else if (typeof record.marker === "string") state.markers.add(record.marker);
    else if (record.complete === true) state.complete = true;
  }
  if (!header) throw new Error(`${file} has no journal header`);
  return { header, ...state };
}

export interface JournalOptions {
  /** Longest time between fsyncs while lines arrive (default 1,000 ms). */
  readonly syncIntervalMs?: number;
}

/** An open journal: appends lines, fsyncs on a timer and on close. */
export class RestoreJournal {
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private lines = 0;

  private constructor(
    readonly file: string,
    private readonly fd: number,
    private readonly syncIntervalMs: number,
  ) {}

  /** Creates a new journal with its header (atomically), or opens an existing one to append. */
  static open(file: string, header: JournalHeader, options: JournalOptions = {}): RestoreJournal {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (!fs.existsSync(file)) {
      const temporary = `${file}.${process.pid}.tmp`;
      const fd = fs.openSync(temporary, "w");
      try {
        fs.writeSync(fd, `${JSON.stringify(header)}\n`);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(temporary, file);
      syncDirectory(path.dirname(file));
    }
    const fd = fs.openSync(file, "a");
    // A torn last line (a crash mid-write) must not swallow the next record.
    const size = fs.fstatSync(fd).size;
    if (size > 0 && lastByte(file, size) !== 0x0a) fs.writeSync(fd, "\n");
    return new RestoreJournal(file, fd, options.syncIntervalMs ?? 1000);
  }

  done(entry: Pick<RestoreEntry, "key" | "versionId" | "targetKey">): void {
    this.append({ done: entry.key, version: entry.versionId, target: entry.targetKey });
  }

  uploadStarted(uploadId: string, targetKey: string): void {
    this.append({ upload: uploadId, target: targetKey });
  }

  uploadEnded(uploadId: string): void {
    this.append({ "upload-end": uploadId });
  }

  marker(targetKey: string): void {
    this.append({ marker: targetKey });
  }

  complete(counts: object): void {
    this.append({ complete: true, at: new Date().toISOString(), ...counts });
  }

  /** Lines appended by this process. */
  get written(): number {
    return this.lines;
  }

  /** Flushes to disk now (also called on Ctrl-C before leaving). */
  sync(): void {
    if (this.closed || !this.dirty) return;
    fs.fsyncSync(this.fd);
    this.dirty = false;
  }

  close(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.sync();
    fs.closeSync(this.fd);
    this.closed = true;
  }

  private append(record: object): void {
    if (this.closed) throw new Error(`journal ${this.file} is closed`);
    // One write per line: O_APPEND makes it land whole at the end, even with another writer.
    fs.writeSync(this.fd, `${JSON.stringify(record)}\n`);
    this.lines++;
    this.dirty = true;
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (!this.closed) this.sync();
      }, this.syncIntervalMs);
      this.timer.unref();
    }
  }
}

function lastByte(file: string, size: number): number {
  const fd = fs.openSync(file, "r");
  try {
    const buffer = Buffer.alloc(1);
    fs.readSync(fd, buffer, 0, 1, size - 1);
    return buffer[0];
  } finally {
    fs.closeSync(fd);
  }
}

/** Makes a rename durable (POSIX); a no-op where directories cannot be opened (Windows). */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, "r");
    fs.fsyncSync(fd);
  } catch {
    // Not supported on this platform: the rename is still atomic, only not yet durable.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
