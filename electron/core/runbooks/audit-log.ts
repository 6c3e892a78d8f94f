/**
 * Append-only, hash-chained audit log: every run start, step, approval, override and lock
 * break. Stored as a JSON-lines FILE next to the store (`<store>.audit.jsonl`), one entry per
 * line, fsync'd before `append` returns; the store keeps only the chain's head (`audit_head`).
 *
 * Why a file and not (only) SQLite rows: the file is the evidence, so it must be checkable
 * without our code or schema (`standby audit verify FILE`, or `jq` + `sha256sum`), copyable off
 * the machine, and immune to store maintenance (a restored or migrated store cannot silently
 * rewrite history); appends never rewrite earlier bytes, so `chattr +a` can enforce it. The store
 * adds what a file alone cannot: (1) a cross-process writer lock (`BEGIN IMMEDIATE`), so a CLI
 * run and the desktop app never fork the chain, and (2) the head (last seq + hash), so deleting
 * the LAST entries — invisible to a hash chain — is detected too.
 *
 * Entry: `{ seq, time, actor, action, details, prevHash, hash }`; seq from 1; `time` ISO 8601
 * UTC; `prevHash` of seq 1 is 64 zeros; `hash` = sha256 hex of the canonical JSON (keys sorted,
 * no whitespace) of the entry without `hash`. Each line is exactly the canonical JSON of the
 * whole entry, so ANY changed byte either breaks the JSON, breaks canonical form, or changes a
 * hashed field. Limitation: this detects accidents and naive edits, not an attacker who can
 * rewrite both the file and the store (no signing key).
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fchmodSync,
  fstatSync,
  fsyncSync,
  openSync,
  readFileSync,
  readSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';

/** JSON data. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

/** One audit entry as stored. */
export interface AuditEntry {
  seq: number;
  /** ISO 8601 UTC, ms precision. */
  time: string;
  /** Who: `user@host` of the operator, or the approver. */
  actor: string;
  /** What, dotted: `run.start`, `step.finish`, `safety.override`, `step.approve`, `lock.break`… */
  action: string;
  details: JsonValue;
  prevHash: string;
  hash: string;
}

/** Result of {@link verifyAuditLog}. */
export interface AuditVerifyResult {
  ok: boolean;
  /** Entries read and found good before the first problem (all of them when ok). */
  entries: number;
  /** Seq expected where the first problem is (1-based line number in the file). */
  firstBadSeq?: number;
  /** The first problem in words. */
  problem?: string;
  /** Hash of the last good entry (64 zeros when none). */
  lastHash: string;
}

/** The chain head kept in the store. */
export interface AuditHead {
  seq: number;
  hash: string;
}

/** prevHash of the first entry. */
export const genesisHash = '0'.repeat(64);
const entryKeys = ['action', 'actor', 'details', 'hash', 'prevHash', 'seq', 'time'];

/** The audit file that belongs to a store file: `<store>.audit.jsonl`. */
export function auditLogPathFor(storePath: string): string {
  return `${storePath}.audit.jsonl`;
}

/** JSON with object keys sorted recursively and no whitespace (undefined dropped, like JSON.stringify). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/** sha256 hex of the canonical JSON of an entry without its `hash`. */
export function hashAuditEntry(entry: Omit<AuditEntry, 'hash'>): string {
  const { seq, time, actor, action, details, prevHash } = entry;
  return createHash('sha256').update(canonicalJson({ seq, time, actor, action, details, prevHash })).digest('hex');
}

/** The chain head recorded in the store for `file`, or null. */
export function readAuditHead(db: DatabaseSync, file: string): AuditHead | null {
  const r = db.prepare('SELECT seq, hash FROM audit_head WHERE file = ?').get(file) as
    { seq: number; hash: string } | undefined;
  return r ? { seq: r.seq, hash: r.hash } : null;
}

/** Appends entries to one audit file (see the file comment for format and guarantees). */
export class AuditLog {
  readonly file: string;
  readonly #db: DatabaseSync | null;
  readonly #now: () => number;

  /**
   * @param file the JSON-lines file (created on first append, mode 0600)
   * @param options `db`: the store (writer lock + head; strongly recommended); `now`: epoch ms clock
   */
  constructor(file: string, options: { db?: DatabaseSync; now?: () => number } = {}) {
    this.file = file;
    this.#db = options.db ?? null;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Appends one entry and fsyncs it. Must not be called inside an open store transaction.
   * @param details JSON data (normalized through JSON so the hash covers exactly what is stored)
   * @throws Error when the file ends with a partial line, or is shorter than the head recorded
   *         in the store (entries deleted): the chain is not continued on a damaged log.
   */
  append(record: { actor: string; action: string; details?: unknown }): AuditEntry {
    const db = this.#db;
    if (db) db.exec('BEGIN IMMEDIATE');
    try {
      const last = readLastEntry(this.file);
      const head = db ? readAuditHead(db, this.file) : null;
      if (head && (!last || last.seq < head.seq)) {
        throw new Error(
          `audit log ${this.file} ends at seq ${last?.seq ?? 0} but the store recorded seq ${head.seq}: entries were deleted. Run \`standby audit verify\``,
        );
      }
      const base = {
        seq: (last?.seq ?? 0) + 1,
        time: new Date(this.#now()).toISOString(),
        actor: record.actor,
        action: record.action,
        details: (record.details === undefined ? null : JSON.parse(JSON.stringify(record.details))) as JsonValue,
        prevHash: last?.hash ?? genesisHash,
      };
      const entry: AuditEntry = { ...base, hash: hashAuditEntry(base) };
      appendDurably(this.file, `${canonicalJson(entry)}\n`);
      db?.prepare(
        'INSERT INTO audit_head (file, seq, hash) VALUES (?, ?, ?) ON CONFLICT (file) DO UPDATE SET seq = excluded.seq, hash = excluded.hash',
      ).run(this.file, entry.seq, entry.hash);
      db?.exec('COMMIT');
      return entry;
    } catch (e) {
      if (db?.isTransaction) db.exec('ROLLBACK');
      throw e;
    }
  }
}

/**
 * Checks a whole audit file: each line is the canonical JSON of an entry with exactly the
 * entry fields, seq runs 1, 2, 3…, each prevHash is the previous hash, each hash recomputes.
 * Detects any changed byte, a deleted or reordered entry, a partial last line; with `head`
 * (from {@link readAuditHead}) also deleted LAST entries.
 * A missing file is `ok: false` (problem says so); an empty file is ok with 0 entries.
 */
export function verifyAuditLog(path: string, options: { head?: AuditHead | null } = {}): AuditVerifyResult {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    return {
      ok: false,
      entries: 0,
      firstBadSeq: 1,
      problem: `cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
      lastHash: genesisHash,
    };
  }
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let prevHash = genesisHash;
  let entries = 0;
  let start = 0;
  const bad = (problem: string): AuditVerifyResult => ({
    ok: false,
    entries,
    firstBadSeq: entries + 1,
    problem,
    lastHash: prevHash,
  });
  while (start < buf.length) {
    const nl = buf.indexOf(0x0a, start);
    if (nl < 0) return bad(`line ${entries + 1} has no final newline (partial or edited entry)`);
    const seq = entries + 1;
    let text: string;
    try {
      text = decoder.decode(buf.subarray(start, nl));
    } catch {
      return bad(`line ${seq} is not valid UTF-8`);
    }
    start = nl + 1;
    let e: AuditEntry;
    try {
      e = JSON.parse(text) as AuditEntry;
    } catch {
      return bad(`line ${seq} is not JSON`);
    }
    if (
      typeof e !== 'object' ||
      e === null ||
      Array.isArray(e) ||
      canonicalJson(Object.keys(e).sort()) !== canonicalJson(entryKeys)
    )
      return bad(`line ${seq} does not have exactly the fields ${entryKeys.join(', ')}`);
    if (canonicalJson(e) !== text) return bad(`line ${seq} is not in canonical form (edited)`);
    if (e.seq !== seq) return bad(`line ${seq} holds seq ${String(e.seq)} (entries deleted or reordered)`);
    if (e.prevHash !== prevHash)
      return bad(
        `entry ${seq}: prevHash does not match the hash of entry ${seq - 1} (entries deleted, inserted or reordered)`,
      );
    if (hashAuditEntry(e) !== e.hash) return bad(`entry ${seq}: hash does not match its content (edited)`);
    prevHash = e.hash;
    entries = seq;
  }
  const head = options.head;
  if (head && entries < head.seq)
    return {
      ok: false,
      entries,
      firstBadSeq: entries + 1,
      problem: `the store recorded ${head.seq} entries but the file holds ${entries} (last entries deleted)`,
      lastHash: prevHash,
    };
  if (head && entries === head.seq && prevHash !== head.hash)
    return {
      ok: false,
      entries,
      firstBadSeq: head.seq,
      problem: `entry ${head.seq} differs from the hash recorded in the store (rewritten)`,
      lastHash: prevHash,
    };
  // entries > head.seq: the process died between the fsync and the head update; the chain
  // itself was verified above, so this is not tampering.
  return { ok: true, entries, lastHash: prevHash };
}

/** The last entry of the file (null when missing or empty). Reads the tail only. */
function readLastEntry(path: string): AuditEntry | null {
  if (!existsSync(path)) return null;
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return null;
    let chunk = 4096;
    for (;;) {
      const len = Math.min(size, chunk);
      const buf = Buffer.alloc(len);
      readSync(fd, buf, 0, len, size - len);
      if (buf[len - 1] !== 0x0a)
        throw new Error(`audit log ${path} ends with a partial entry. Run \`standby audit verify\``);
      const prev = buf.lastIndexOf(0x0a, len - 2);
      if (prev >= 0 || len === size) return JSON.parse(buf.subarray(prev + 1, len - 1).toString('utf8')) as AuditEntry;
      chunk *= 4;
    }
  } finally {
    closeSync(fd);
  }
}

/** Appends `line` and fsyncs the file (and its directory when the file is new). */
function appendDurably(path: string, line: string): void {
  const isNew = !existsSync(path);
  const fd = openSync(path, 'a', 0o600);
  try {
    // The mode above only applies to a new file: an older, looser audit file (ours) is tightened.
    if (process.platform !== 'win32' && (fstatSync(fd).mode & 0o077) !== 0) fchmodSync(fd, 0o600);
    writeSync(fd, line);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (isNew) {
    // The new directory entry must be durable too, or a crash could lose the whole file.
    try {
      const dfd = openSync(dirname(path), 'r');
      try {
        fsyncSync(dfd);
      } finally {
        closeSync(dfd);
      }
    } catch {
      // Some platforms (Windows) cannot open a directory; the file's own fsync still holds.
    }
  }
}
