/**
 * One run per environment at a time, persisted in the store (table `env_locks`) so two
 * processes (desktop app and CLI) on the same workspace exclude each other.
 *
 * A lock is held by a run id. While a process executes the run it is `active` with the
 * holder's pid and host and a heartbeat; while the run is paused (approval, safety, failure)
 * it stays held — the environment is mid-change — but `paused`, with no pid.
 *
 * Stale = `active` and either the holder pid is dead on this host, or no heartbeat for
 * `staleAfterMs` (default 5 min; the engine beats every 10 s). Stale and paused locks are
 * reported, never taken silently by another run: `breakLock` with a reason (audited) frees it;
 * the SAME run may take its own lock back on resume.
 */
import { hostname } from 'node:os';
import { readFileSync } from 'node:fs';
import type { DatabaseSync } from 'node:sqlite';
import type { AuditLog } from './audit-log.ts';

/** A lock as observed. Times epoch ms. */
export interface EnvLockInfo {
  env: string;
  runId: string;
  /** null while the run is paused. */
  holderPid: number | null;
  holderHost: string;
  state: 'active' | 'paused';
  startedAt: number;
  heartbeatAt: number;
  /** Since the last heartbeat, ms. */
  heartbeatAgeMs: number;
  stale: boolean;
  /** Why it is stale (`pid 4242 is not running on host x`, `no heartbeat for 612 s`). */
  staleReason: string | null;
}

/** Result of {@link EnvLock.acquire}. */
export type AcquireResult = { ok: true; tookOver: EnvLockInfo | null } | { ok: false; holder: EnvLockInfo };

/** Options of {@link EnvLock}. */
export interface EnvLockOptions {
  /** Audit log for lock breaks (required to break locks). */
  audit?: AuditLog;
  /** This process's pid / host (injectable for tests). */
  pid?: number;
  host?: string;
  now?: () => number;
  /** No heartbeat for this long makes an active lock stale, ms. Default 300,000. */
  staleAfterMs?: number;
  /** Whether `pid` runs on this host. Default: `process.kill(pid, 0)` (EPERM counts as alive). */
  isPidAlive?: (pid: number) => boolean;
  /**
   * Called after this process took, paused, released or broke the lock of `env` (not on
   * heartbeats, not for changes made by other processes: watch {@link inspect} for those).
   */
  onChange?: (env: string) => void;
}

interface LockRow {
  env: string;
  run_id: string;
  holder_pid: number | null;
  holder_host: string;
  state: string;
  started_at: number;
  heartbeat_at: number;
}

/** The per-environment run lock over the store's `env_locks` table. */
export class EnvLock {
  readonly #db: DatabaseSync;
  readonly #audit: AuditLog | undefined;
  readonly #pid: number;
  readonly #host: string;
  readonly #now: () => number;
  readonly #staleAfterMs: number;
  readonly #isPidAlive: (pid: number) => boolean;
  readonly #onChange: (env: string) => void;

  constructor(db: DatabaseSync, options: EnvLockOptions = {}) {
    this.#db = db;
    this.#audit = options.audit;
    this.#pid = options.pid ?? process.pid;
    this.#host = options.host ?? hostname();
    this.#now = options.now ?? Date.now;
    this.#staleAfterMs = options.staleAfterMs ?? 300_000;
    this.#isPidAlive = options.isPidAlive ?? pidAlive;
    this.#onChange = options.onChange ?? (() => {});
  }

  /**
   * Takes the lock of `env` for `runId` (active, this pid/host). Succeeds when the lock is free,
   * or already belongs to `runId` and is paused, stale or held by this very process (resume).
   * @returns `{ ok: false, holder }` when another run holds it (stale or not: see `holder.stale`).
   */
  acquire(env: string, runId: string): AcquireResult {
    const db = this.#db;
    db.exec('BEGIN IMMEDIATE');
    try {
      const cur = this.inspect(env);
      if (cur && (cur.runId !== runId || (cur.state === 'active' && !cur.stale && !this.#isMine(cur)))) {
        db.exec('ROLLBACK');
        return { ok: false, holder: cur };
      }
      const t = this.#now();
      db.prepare(
        "INSERT INTO env_locks (env, run_id, holder_pid, holder_host, state, started_at, heartbeat_at) VALUES (?, ?, ?, ?, 'active', ?, ?) ON CONFLICT (env) DO UPDATE SET holder_pid = excluded.holder_pid, holder_host = excluded.holder_host, state = 'active', heartbeat_at = excluded.heartbeat_at",
      ).run(env, runId, this.#pid, this.#host, t, t);
      db.exec('COMMIT');
      this.#changed(env);
      return { ok: true, tookOver: cur };
    } catch (e) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw e;
    }
  }

  /** Refreshes the heartbeat of a lock this process holds for `runId` (no-op otherwise). */
  heartbeat(env: string, runId: string): void {
    this.#db
      .prepare(
        "UPDATE env_locks SET heartbeat_at = ? WHERE env = ? AND run_id = ? AND holder_pid = ? AND holder_host = ? AND state = 'active'",
      )
      .run(this.#now(), env, runId, this.#pid, this.#host);
  }

  /** Keeps the lock for `runId` but marks it paused (no process acts on the environment). */
  pause(env: string, runId: string): void {
    const r = this.#db
      .prepare(
        "UPDATE env_locks SET state = 'paused', holder_pid = NULL, heartbeat_at = ? WHERE env = ? AND run_id = ?",
      )
      .run(this.#now(), env, runId);
    if (Number(r.changes) > 0) this.#changed(env);
  }

  /** Frees the lock if `runId` holds it. */
  release(env: string, runId: string): void {
    const r = this.#db.prepare('DELETE FROM env_locks WHERE env = ? AND run_id = ?').run(env, runId);
    if (Number(r.changes) > 0) this.#changed(env);
  }

  /** The lock of `env` with its staleness, or null when free. */
  inspect(env: string): EnvLockInfo | null {
    const row = this.#db.prepare('SELECT * FROM env_locks WHERE env = ?').get(env) as LockRow | undefined;
    return row ? this.#info(row) : null;
  }

  /** Every held lock (for the "interrupted runs" view). */
  list(): EnvLockInfo[] {
    return (this.#db.prepare('SELECT * FROM env_locks ORDER BY env').all() as unknown as LockRow[]).map((r) =>
      this.#info(r),
    );
  }

  /**
   * Deliberately frees a stale or paused lock, recording who, why and what was held in the audit
   * log (`lock.break`). The run that held it keeps its journal; resuming it later needs the lock.
   * @returns the broken lock, or why not: no lock, not stale while active, reason < 10 chars, no audit log.
   */
  breakLock(
    env: string,
    by: { actor: string; reason: string },
  ): { ok: true; broken: EnvLockInfo } | { ok: false; message: string } {
    const reason = by.reason.trim();
    if (reason.length < 10)
      return { ok: false, message: 'give a reason of at least 10 characters (it goes into the audit log)' };
    if (!this.#audit) return { ok: false, message: 'no audit log configured: lock breaks must be audited' };
    const cur = this.inspect(env);
    if (!cur) return { ok: false, message: `environment "${env}" is not locked` };
    if (cur.state === 'active' && !cur.stale) {
      return {
        ok: false,
        message: `the lock of "${env}" is live: run ${cur.runId} in pid ${cur.holderPid} on ${cur.holderHost}, heartbeat ${Math.round(cur.heartbeatAgeMs / 1000)} s ago`,
      };
    }
    this.#audit.append({ actor: by.actor, action: 'lock.break', details: { env, reason, lock: { ...cur } } });
    this.#db.prepare('DELETE FROM env_locks WHERE env = ? AND run_id = ?').run(env, cur.runId);
    this.#changed(env);
    return { ok: true, broken: cur };
  }

  #changed(env: string): void {
    // a listener's failure must not undo or stop a lock change already committed
    try {
      this.#onChange(env);
    } catch {}
  }

  #isMine(l: EnvLockInfo): boolean {
    return l.holderPid === this.#pid && l.holderHost === this.#host;
  }

  #info(r: LockRow): EnvLockInfo {
    const age = this.#now() - r.heartbeat_at;
    let staleReason: string | null = null;
    if (r.state === 'active') {
      if (r.holder_host === this.#host && r.holder_pid !== null && !this.#isPidAlive(r.holder_pid))
        staleReason = `pid ${r.holder_pid} is not running on ${r.holder_host}`;
      else if (age > this.#staleAfterMs)
        staleReason = `no heartbeat for ${Math.round(age / 1000)} s (stale after ${Math.round(this.#staleAfterMs / 1000)} s)`;
    }
    return {
      env: r.env,
      runId: r.run_id,
      holderPid: r.holder_pid,
      holderHost: r.holder_host,
      state: r.state as 'active' | 'paused',
      startedAt: r.started_at,
      heartbeatAt: r.heartbeat_at,
      heartbeatAgeMs: age,
      stale: staleReason !== null,
      staleReason,
    };
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // a killed console not yet reaped by its parent is a zombie: it holds nothing, it is gone
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS, Windows): trust kill(0)
  }
}
