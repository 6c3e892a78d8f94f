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
 * hashed field.
 *
 * Signing (audit-key.ts): with a signer, each entry also carries `key` (base64 raw Ed25519 public
 * key, covered by `hash`) and `sig` (base64 Ed25519 signature of the `hash` string). The key lives
 * outside the store, so rewriting both the file and the store no longer verifies unless the
 * rewriter also holds the private key. Entries written before signing was enabled stay unsigned
 * (verify reports "unsigned entries before seq N"); after the first signed entry every entry must
 * be signed by the same key. The head is keyed by the file's NAME, so moving the directory still
 * verifies.
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
import { basename, dirname } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { signText, verifyText, type AuditSigner } from './audit-key.ts';

/**
 * What {@link verifyAuditLog} cannot detect, in the words `standby audit verify` prints (tests
 * check each tamper they cannot catch is one of these).
 */
export const auditCannotDetect = {
  keyHolder: 'a rewrite by someone holding the signing key (they can re-sign the chain and update the store)',
  together:
    'deletion of the log, the store and the key together; or restoring older copies of log and store together (including a truncated log with the matching older head)',
  otherKey: 'a whole log re-signed with another key plus a matching store (pass --public-key to pin the key)',
  unsigned:
    'edits of unsigned entries (written before signing), or a wholly unsigned forged log, by someone who also rewrites the store',
} as const;

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
  /** base64 raw Ed25519 public key of the signer (signed entries only; covered by `hash`). */
  key?: string;
  /** base64 Ed25519 signature of `hash` (signed entries only). */
  sig?: string;
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
  /** Seq of the first signed entry (absent when no entry is signed). */
  signedFrom?: number;
  /** The public key (base64 raw) the signed entries were checked against. */
  signedBy?: string;
  /** Things that are not breakage but limit what the check proves (unsigned entries, crash window). */
  warnings: string[];
}

/** The chain head kept in the store. */
export interface AuditHead {
  seq: number;
  hash: string;
  /** Seq of the first signed entry, once one was written (from then on every entry must be signed). */
  signedFrom?: number | null;
}

/** prevHash of the first entry. */
export const genesisHash = '0'.repeat(64);
const entryKeys = ['action', 'actor', 'details', 'hash', 'prevHash', 'seq', 'time'];
const signedEntryKeys = [...entryKeys, 'key', 'sig'].sort();

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
export function hashAuditEntry(entry: Omit<AuditEntry, 'hash' | 'sig'>): string {
  const { seq, time, actor, action, details, prevHash, key } = entry;
  return createHash('sha256').update(canonicalJson({ seq, time, actor, action, details, prevHash, key })).digest('hex');
}

/** The store's key for an audit file: its name, not its path (moving the directory must still verify). */
export function auditHeadKey(file: string): string {
  return basename(file);
}

/** The chain head recorded in the store for `file`, or null. */
export function readAuditHead(db: DatabaseSync, file: string): AuditHead | null {
  const r = db.prepare('SELECT seq, hash, signed_from FROM audit_head WHERE file = ?').get(auditHeadKey(file)) as
    { seq: number; hash: string; signed_from: number | null } | undefined;
  return r ? { seq: r.seq, hash: r.hash, signedFrom: r.signed_from } : null;
}

/** Appends entries to one audit file (see the file comment for format and guarantees). */
export class AuditLog {
  readonly file: string;
  readonly #db: DatabaseSync | null;
  readonly #now: () => number;
  readonly #signer: (() => AuditSigner) | null;
  #loadedSigner: AuditSigner | null = null;

  /**
   * @param file the JSON-lines file (created on first append, mode 0600)
   * @param options `db`: the store (writer lock + head; strongly recommended); `now`: epoch ms clock;
   *        `signer`: the signing key, or a function loading it on first append (audit-key.ts)
   */
  constructor(
    file: string,
    options: { db?: DatabaseSync; now?: () => number; signer?: AuditSigner | (() => AuditSigner) } = {},
  ) {
    this.file = file;
    this.#db = options.db ?? null;
    this.#now = options.now ?? Date.now;
    const s = options.signer;
    this.#signer = s === undefined ? null : typeof s === 'function' ? s : () => s;
  }

  /**
   * Appends one entry and fsyncs it. Must not be called inside an open store transaction.
   * @param details JSON data (normalized through JSON so the hash covers exactly what is stored)
   * @throws Error when the file ends with a partial line, disagrees with the head recorded in the
   *         store (entries deleted, last entry rewritten), or is signed by another key than ours
   *         (or the key cannot be loaded): the chain is not continued on a damaged log.
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
      // One entry past the head is the crash window (fsync done, head not yet updated); more is not ours.
      if (head && last && (last.seq > head.seq + 1 || (last.seq === head.seq && last.hash !== head.hash))) {
        throw new Error(
          `audit log ${this.file} ends at seq ${last.seq} (hash ${last.hash.slice(0, 12)}…) but the store recorded seq ${head.seq} (hash ${head.hash.slice(0, 12)}…): the log was rewritten. Run \`standby audit verify\``,
        );
      }
      if (this.#signer && !this.#loadedSigner) this.#loadedSigner = this.#signer();
      const signer = this.#loadedSigner;
      if (signer && last?.key && last.key !== signer.publicKey) {
        throw new Error(
          `audit log ${this.file} is signed with key ${last.key} but the signing key ${signer.path} is ${signer.publicKey}: restore the original key file (a new key would break the chain of signatures)`,
        );
      }
      if (!signer && (last?.sig || head?.signedFrom)) {
        throw new Error(
          `audit log ${this.file} is signed: appending needs the signing key (an unsigned entry would break it)`,
        );
      }
      const base = {
        seq: (last?.seq ?? 0) + 1,
        time: new Date(this.#now()).toISOString(),
        actor: record.actor,
        action: record.action,
        details: (record.details === undefined ? null : JSON.parse(JSON.stringify(record.details))) as JsonValue,
        prevHash: last?.hash ?? genesisHash,
        ...(signer ? { key: signer.publicKey } : {}),
      };
      const hash = hashAuditEntry(base);
      const entry: AuditEntry = { ...base, hash, ...(signer ? { sig: signText(signer, hash) } : {}) };
      appendDurably(this.file, `${canonicalJson(entry)}\n`);
      const signedFrom = head?.signedFrom ?? (signer ? (last?.sig ? null : entry.seq) : null);
      db?.prepare(
        'INSERT INTO audit_head (file, seq, hash, signed_from) VALUES (?, ?, ?, ?) ON CONFLICT (file) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, signed_from = COALESCE(audit_head.signed_from, excluded.signed_from)',
      ).run(auditHeadKey(this.file), entry.seq, entry.hash, signedFrom);
      db?.exec('COMMIT');
      return entry;
    } catch (e) {
      if (db?.isTransaction) db.exec('ROLLBACK');
      throw e;
    }
  }
}

/**
 * Checks a whole audit file: each line is the canonical JSON of an entry with exactly the entry
 * fields (plus `key` and `sig` when signed), seq runs 1, 2, 3…, each prevHash is the previous
 * hash, each hash recomputes, each signature verifies; once one entry is signed every later entry
 * is signed by the same key (by `trustedKey` when given). With `head` (from {@link readAuditHead};
 * pass `null` for "the store has no head") the last seq/hash must match the head: one entry past
 * it is accepted (crash between fsync and head update), a missing head with entries is not.
 * A missing file is `ok: false` (problem says so); an empty file is ok with 0 entries.
 * @param options `head`: the store's head (omit to skip the head checks); `trustedKey`: base64 raw
 *        Ed25519 public key the signed entries must carry (omit to accept the log's own key)
 */
export function verifyAuditLog(
  path: string,
  options: { head?: AuditHead | null; trustedKey?: string } = {},
): AuditVerifyResult {
  const warnings: string[] = [];
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
      warnings,
    };
  }
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let prevHash = genesisHash;
  let entries = 0;
  let start = 0;
  let signedFrom: number | undefined;
  let signedBy: string | undefined = options.trustedKey;
  const hashes: string[] = [];
  const result = (ok: boolean, problem?: string, firstBadSeq?: number): AuditVerifyResult => ({
    ok,
    entries,
    ...(ok ? {} : { firstBadSeq: firstBadSeq ?? entries + 1, problem }),
    lastHash: prevHash,
    ...(signedFrom !== undefined ? { signedFrom } : {}),
    ...(signedBy !== undefined ? { signedBy } : {}),
    warnings,
  });
  const bad = (problem: string): AuditVerifyResult => result(false, problem);
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
    const keys = typeof e === 'object' && e !== null && !Array.isArray(e) ? canonicalJson(Object.keys(e).sort()) : '';
    const signed = keys === canonicalJson(signedEntryKeys);
    if (!signed && keys !== canonicalJson(entryKeys))
      return bad(`line ${seq} does not have exactly the fields ${entryKeys.join(', ')} (plus key, sig when signed)`);
    if (canonicalJson(e) !== text) return bad(`line ${seq} is not in canonical form (edited)`);
    if (e.seq !== seq) return bad(`line ${seq} holds seq ${String(e.seq)} (entries deleted or reordered)`);
    if (e.prevHash !== prevHash)
      return bad(
        `entry ${seq}: prevHash does not match the hash of entry ${seq - 1} (entries deleted, inserted or reordered)`,
      );
    if (hashAuditEntry(e) !== e.hash) return bad(`entry ${seq}: hash does not match its content (edited)`);
    if (signed) {
      if (typeof e.key !== 'string' || typeof e.sig !== 'string' || !verifyText(e.key, e.hash, e.sig))
        return bad(`entry ${seq}: the signature does not verify (edited or forged)`);
      if (signedBy !== undefined && e.key !== signedBy)
        return bad(
          options.trustedKey !== undefined && signedFrom === undefined
            ? `entry ${seq} is signed by key ${e.key}, not the trusted key ${signedBy} (forged or replaced log)`
            : `entry ${seq} is signed by key ${e.key}, entries before by ${signedBy} (re-signed or spliced log)`,
        );
      signedBy = e.key;
      signedFrom ??= seq;
    } else if (signedFrom !== undefined) {
      return bad(`entry ${seq} is unsigned after signed entries from seq ${signedFrom} (edited or forged)`);
    }
    prevHash = e.hash;
    hashes.push(e.hash);
    entries = seq;
  }
  if (signedFrom === undefined && entries > 0)
    warnings.push(`no entry is signed: entries 1..${entries} prove only that they were not edited by accident`);
  else if (signedFrom !== undefined && signedFrom > 1)
    warnings.push(`unsigned entries before seq ${signedFrom} (written before signing was enabled)`);
  if (!('head' in options)) return result(true);
  const head = options.head;
  if (!head) {
    if (entries > 0)
      return result(
        false,
        `the store has no head for this log but the file holds ${entries} entries (store replaced or head row deleted)`,
        1,
      );
    return result(true);
  }
  if (entries < head.seq)
    return result(
      false,
      `the store recorded ${head.seq} entries but the file holds ${entries} (last entries deleted)`,
      entries + 1,
    );
  if (hashes[head.seq - 1] !== head.hash)
    return result(false, `entry ${head.seq} differs from the hash recorded in the store (rewritten)`, head.seq);
  if (entries > head.seq + 1)
    return result(
      false,
      `the file holds ${entries - head.seq} entries past the store's head seq ${head.seq} (appended by someone other than Standby)`,
      head.seq + 2,
    );
  if (entries === head.seq + 1)
    warnings.push(`entry ${entries} is past the store's head (a crash between writing it and updating the store)`);
  if (head.signedFrom != null && (signedFrom === undefined || signedFrom > head.signedFrom))
    return result(
      false,
      `the store recorded signing from seq ${head.signedFrom} but entry ${head.signedFrom} is unsigned (re-written without the key)`,
      head.signedFrom,
    );
  return result(true);
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
