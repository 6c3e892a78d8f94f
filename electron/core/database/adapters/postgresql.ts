/**
 * PostgreSQL (14+; 10–13 without the "pause requested" state) replication adapter: role and
 * WAL positions of one node, read with a few catalog queries over one long-lived session,
 * directly or through an SSH local forward of the node's site.
 *
 * The monitoring role needs `pg_monitor` (or superuser) to see `pg_stat_replication` LSNs and
 * `pg_stat_wal_receiver`. The mutations (fence, promote, rewind; flows in postgresql-control.ts)
 * need a superuser (`pg_promote`, `ALTER SYSTEM`, `CHECKPOINT`, pg_rewind's source session), and
 * for a hard fence / rejoin an SSH user on the node's host who owns the data directory.
 */
import pg from 'pg';
import type { OpErrorKind } from '../../../../shared/result.ts';
import type { DatabaseConfig, SshConfig } from '../../config/workspace-schema.ts';
import type { SecretResolver } from '../../secrets/resolve-secret.ts';
import { toOpError } from '../../platform/op-error.ts';
import type { SshPool } from '../../ssh/ssh-pool.ts';
import { openTunnel } from '../../ssh/ssh-tunnel.ts';
import type { Tunnel } from '../../ssh/ssh-tunnel.ts';
import { exec } from '../../ssh/ssh-exec.ts';
import type { ExecResult } from '../../ssh/ssh-exec.ts';
import { sshTarget } from '../../ssh/ssh-pool.ts';
import { CommandLog } from '../../platform/command-log.ts';
import { planFence, planPromote, planRewind } from '../pg-commands.ts';
import type { PlanTarget } from '../pg-commands.ts';
import type {
  FenceCheck,
  FenceMode,
  FenceResult,
  NodeObservation,
  OpCommand,
  PromoteCheck,
  PromoteResult,
  ReplicationAdapter,
  ReplicationCapabilities,
  ReplicationPeer,
  RewindOptions,
  RewindResult,
  StreamingCheck,
} from '../replication-adapter.ts';
import {
  fencePg,
  promotePg,
  rewindPg,
  verifyFencedPg,
  verifyPromotedPg,
  verifyStreamingPg,
} from './postgresql-control.ts';
import type { PgControlHost, ShellOptions, SqlSession } from './postgresql-control.ts';

import { ReplicationError } from '../replication-error.ts';
import { raceAbort } from '../../platform/race-abort.ts';

/** Re-exported: the class lives in replication-error.ts since mutations share it. */
export { ReplicationError };

/** Options of {@link PostgresAdapter}. */
export interface PostgresAdapterOptions {
  db: DatabaseConfig;
  /** SSH target of the node's site; required when `db.viaSsh`. */
  ssh?: SshConfig;
  pool: SshPool;
  resolveSecret: SecretResolver;
  /** TCP + startup + auth bound, ms (default 3000). */
  connectTimeoutMs?: number;
  /** Server-side `statement_timeout` and client-side query bound, ms (default 2000). */
  statementTimeoutMs?: number;
  /** Label for `OpError.where` (default `database <name>`). */
  where?: string;
}

interface PgConn {
  client: pg.Client;
  version: number;
  dead: boolean;
}

/**
 * One PostgreSQL node. `observe()` reuses one session (reconnecting after any error); with
 * `viaSsh` the session goes through a local forward opened on first use and kept while the
 * adapter lives. Rejections carry an OpError in `error` ({@link ReplicationError}, `SshError`,
 * `SecretError`).
 */
export class PostgresAdapter implements ReplicationAdapter {
  readonly engine = 'postgresql' as const;
  /** fence (soft always; hard needs `dataDir` + SSH), promote, rewind (needs `dataDir` + SSH). */
  readonly capabilities: ReplicationCapabilities;
  readonly #o: PostgresAdapterOptions & { connectTimeoutMs: number; statementTimeoutMs: number; where: string };
  #conn: PgConn | null = null;
  #tunnel: Promise<Tunnel> | null = null;
  #openTunnel: Tunnel | null = null;
  #closed = false;

  constructor(options: PostgresAdapterOptions) {
    if (options.db.viaSsh && !options.ssh)
      throw new Error(`database ${options.db.name}: viaSsh needs the site's ssh settings`);
    this.#o = { connectTimeoutMs: 3000, statementTimeoutMs: 2000, where: `database ${options.db.name}`, ...options };
    this.capabilities = {
      observe: true,
      fence: true,
      promote: true,
      rewind: options.db.dataDir !== undefined && options.ssh !== undefined,
    };
  }

  /** The configured node (read-only). */
  get db(): DatabaseConfig {
    return this.#o.db;
  }

  /**
   * Fences this node (see `fencePg`): `hard` stops it with `pg_ctl -m fast` over SSH, `soft` makes
   * it read-only by default and ends client sessions. Rejects with {@link ReplicationError}.
   */
  fence(mode: FenceMode, signal?: AbortSignal): Promise<FenceResult> {
    return fencePg(this.controlHost(), mode, signal);
  }

  /** Down, in recovery, or refusing a write → fenced (see `verifyFencedPg`). */
  verifyFenced(signal?: AbortSignal): Promise<FenceCheck> {
    return verifyFencedPg(this.controlHost(), signal);
  }

  /** `pg_promote(wait => true, wait_seconds => waitSeconds)` + read-back (see `promotePg`). */
  promote(options: { waitSeconds: number; signal?: AbortSignal }): Promise<PromoteResult> {
    return promotePg(this.controlHost(), options.waitSeconds, options.signal);
  }

  /**
   * The commands `fence` / `promote` / `rewind` will run, for a runbook plan (pure: nothing is
   * contacted). Throws (Error) when the configuration cannot support the operation (no dataDir).
   */
  plan(
    op:
      | { kind: 'fence'; mode: FenceMode }
      | { kind: 'promote'; waitSeconds: number }
      | { kind: 'rewind'; source: PostgresAdapter; method?: 'auto' | 'base-backup' },
  ): OpCommand[] {
    const me = this.#planTarget();
    if (op.kind === 'fence') return planFence(me, op.mode);
    if (op.kind === 'promote') return planPromote(me, op.waitSeconds);
    return planRewind(me, op.source.#planTarget(), op.method ?? 'auto');
  }

  #planTarget(): PlanTarget {
    return { db: this.#o.db, where: this.#o.where, ssh: this.#o.ssh ? sshTarget(this.#o.ssh) : null };
  }

  /** Out of recovery and a write commits (see `verifyPromotedPg`). */
  verifyPromoted(signal?: AbortSignal): Promise<PromoteCheck> {
    return verifyPromotedPg(this.controlHost(), signal);
  }

  /**
   * Rebuilds this fenced node as a replica of `options.source` (a PostgresAdapter) with pg_rewind,
   * or a base backup when rewind is impossible (see `rewindPg`). `method: 'base-backup'` skips
   * pg_rewind. Rejects with {@link ReplicationError} (`invalid-input` when `source` is not a
   * PostgresAdapter or dataDir/SSH is missing).
   */
  rewind(options: RewindOptions): Promise<RewindResult> {
    const source = options.source;
    if (!(source instanceof PostgresAdapter)) {
      return Promise.reject(
        new ReplicationError({
          kind: 'invalid-input',
          message: `cannot rejoin ${this.#o.db.name} to a ${source.engine} node of another adapter type`,
          where: this.#o.where,
        }),
      );
    }
    return rewindPg(this.controlHost(), source.controlHost(), {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.allowBaseBackup !== undefined ? { allowBaseBackup: options.allowBaseBackup } : {}),
      ...(options.streamTimeoutMs !== undefined ? { streamTimeoutMs: options.streamTimeoutMs } : {}),
      ...(options.method ? { method: options.method } : {}),
    });
  }

  /** In recovery and streaming (from `source` when given, a PostgresAdapter); see `verifyStreamingPg`. */
  verifyStreaming(source?: ReplicationAdapter, signal?: AbortSignal): Promise<StreamingCheck> {
    if (source !== undefined && !(source instanceof PostgresAdapter)) {
      return Promise.reject(
        new ReplicationError({
          kind: 'invalid-input',
          message: `cannot compare with a ${source.engine} node of another adapter type`,
          where: this.#o.where,
        }),
      );
    }
    return verifyStreamingPg(this.controlHost(), source?.controlHost(), signal);
  }

  /**
   * This node as the control flows (postgresql-control.ts) see it: fresh SQL sessions (not the
   * observe session, so a slow `pg_promote` or `CHECKPOINT` never delays monitoring) and
   * commands on the site's SSH host, each recorded in the caller's {@link CommandLog}.
   */
  controlHost(): PgControlHost {
    const o = this.#o;
    return {
      db: o.db,
      where: o.where,
      sshTarget: o.ssh ? sshTarget(o.ssh) : null,
      withSession: (log, fn, opts) => this.#withSession(log, fn, opts),
      shell: (log, command, opts) => this.#shell(log, command, opts),
      password: () => o.resolveSecret(o.db.password, `${o.where} password`),
      refusedOnPort: (e) => this.#refusedOnPort(e),
      toError: (e, log) => {
        if (e instanceof ReplicationError)
          return e.commands.length > 0
            ? e
            : new ReplicationError(e.error, { cause: e.cause ?? e, commands: log.commands });
        const mapped = this.#error(e);
        return new ReplicationError(toOpError(mapped, o.where), { cause: e, commands: log.commands });
      },
    };
  }

  async #withSession<T>(
    log: CommandLog<OpCommand>,
    fn: (s: SqlSession) => Promise<T>,
    opts: { statementTimeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<T> {
    if (this.#closed)
      throw new ReplicationError({ kind: 'internal', message: 'adapter is closed', where: this.#o.where });
    const { signal } = opts;
    signal?.throwIfAborted();
    const { db } = this.#o;
    const { host, port } = await this.#endpoint();
    const password = await this.#o.resolveSecret(db.password, `${this.#o.where} password`);
    signal?.throwIfAborted();
    const statementTimeoutMs = opts.statementTimeoutMs ?? this.#o.statementTimeoutMs;
    const client = new pg.Client({
      host,
      port,
      user: db.user,
      password,
      database: db.database,
      application_name: 'standby-control',
      connectionTimeoutMillis: this.#o.connectTimeoutMs,
      statement_timeout: statementTimeoutMs,
      query_timeout: statementTimeoutMs + 1000,
    });
    client.on('error', () => {});
    const conn: PgConn = { client, version: 0, dead: false };
    const onAbort = (): void => this.#kill(conn);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await client.connect();
      const session: SqlSession = {
        query: <R extends object>(text: string, params?: readonly unknown[]) =>
          log.run(
            {
              kind: 'sql',
              target: this.#o.where,
              text:
                params && params.length
                  ? `${text} -- ${params.map((p, i) => `$${i + 1} = ${JSON.stringify(p)}`).join(', ')}`
                  : text,
            },
            async () => (await client.query(text, params ? [...params] : undefined)).rows as R[],
            (rows) => (rows.length === 1 ? JSON.stringify(rows[0]) : `${rows.length} rows`),
          ),
      };
      return await fn(session);
    } catch (e) {
      if (signal?.aborted) throw signal.reason ?? e;
      throw e;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await Promise.race([client.end().catch(() => {}), new Promise((r) => setTimeout(r, 500))]);
      this.#kill(conn);
    }
  }

  #shell(log: CommandLog<OpCommand>, command: string, opts: ShellOptions = {}): Promise<ExecResult> {
    const ssh = this.#o.ssh;
    if (!ssh)
      return Promise.reject(
        new ReplicationError({
          kind: 'invalid-input',
          message: `${this.#o.db.name} has no SSH host to run commands on`,
          where: this.#o.where,
        }),
      );
    const where = sshTarget(ssh);
    return log.run(
      {
        kind: 'shell',
        target: where,
        text: opts.stdin !== undefined ? `${command}  # stdin: secret, not shown` : command,
      },
      () =>
        exec(this.#o.pool, ssh, command, {
          timeoutMs: opts.timeoutMs ?? 30_000,
          ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
          ...(opts.successExitCodes ? { successExitCodes: opts.successExitCodes } : {}),
          ...(opts.signal ? { signal: opts.signal } : {}),
        }),
      (r) =>
        `exit ${r.exitCode}${r.stdout.trim() || r.stderr.trim() ? `: ${(r.stdout.trim() || r.stderr.trim()).split('\n').slice(-1)[0]}` : ''}`,
    );
  }

  /**
   * True when nothing listens on the node's port: ECONNREFUSED for a direct connection; through
   * the tunnel, the SSH host reporting "Connection refused" (SSH_OPEN_CONNECT_FAILED, reason 2)
   * for the forward while pg saw its socket close.
   */
  #refusedOnPort(e: unknown): boolean {
    const err = e as { code?: unknown; message?: unknown } | null;
    if (!err || typeof err !== 'object') return false;
    if (!this.#o.db.viaSsh) return err.code === 'ECONNREFUSED';
    const te = this.#openTunnel?.lastError;
    if (!te || !/terminated|ECONNRESET|closed/i.test(String(err.message ?? ''))) return false;
    const cause = (te as { cause?: { reason?: unknown; message?: unknown } }).cause;
    return cause?.reason === 2 || /connection refused/i.test(String(cause?.message ?? te.message));
  }

  async observe(signal?: AbortSignal): Promise<NodeObservation> {
    if (this.#closed)
      throw new ReplicationError({ kind: 'internal', message: 'adapter is closed', where: this.#o.where });
    signal?.throwIfAborted();
    let conn: PgConn | null = null;
    const onAbort = (): void => {
      if (conn) this.#kill(conn);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      // An SSH handshake or tunnel open that outlives the signal is left to finish on its own
      // (the connection and tunnel stay pooled for the next observation): the watcher's in-flight
      // slot must be free when its timeout fires, or one slow connect holds the role "unknown"
      // round after round.
      conn = await raceAbort(this.#session(signal), signal);
      signal?.throwIfAborted();
      return await this.#query(conn);
    } catch (e) {
      if (conn) this.#kill(conn);
      if (signal?.aborted) throw this.#error(signal.reason ?? e);
      throw this.#error(e);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const conn = this.#conn;
    this.#conn = null;
    if (conn) {
      conn.dead = true;
      await Promise.race([conn.client.end().catch(() => {}), new Promise((r) => setTimeout(r, 500))]);
      this.#kill(conn);
    }
    const tunnel = this.#tunnel;
    this.#tunnel = null;
    this.#openTunnel = null;
    await (await tunnel?.catch(() => null))?.close();
  }

  /** Where pg connects: the node itself, or (viaSsh) the local end of the site's tunnel. */
  async #endpoint(): Promise<{ host: string; port: number }> {
    const { db } = this.#o;
    if (!db.viaSsh) return { host: db.host, port: db.port };
    // Surface SSH failures (refused, host key, auth) as themselves rather than as the
    // "connection terminated" the tunnel's closed socket would give pg.
    await this.#o.pool.client(this.#o.ssh!);
    this.#tunnel ??= openTunnel(this.#o.pool, this.#o.ssh!, db.host, db.port);
    const tunnel = await this.#tunnel.catch((e: unknown) => {
      this.#tunnel = null;
      throw e;
    });
    this.#openTunnel = tunnel;
    return { host: tunnel.host, port: tunnel.port };
  }

  async #session(signal?: AbortSignal): Promise<PgConn> {
    if (this.#conn && !this.#conn.dead) return this.#conn;
    const { db } = this.#o;
    const { host, port } = await this.#endpoint();
    const password = await this.#o.resolveSecret(db.password, `${this.#o.where} password`);
    signal?.throwIfAborted();
    const client = new pg.Client({
      host,
      port,
      user: db.user,
      password,
      database: db.database,
      application_name: 'standby',
      connectionTimeoutMillis: this.#o.connectTimeoutMs,
      statement_timeout: this.#o.statementTimeoutMs,
      query_timeout: this.#o.statementTimeoutMs + 500,
      keepAlive: true,
    });
    const conn: PgConn = { client, version: 0, dead: false };
    client.on('error', () => {
      conn.dead = true;
    });
    client.on('end', () => {
      conn.dead = true;
    });
    const onAbort = (): void => this.#kill(conn);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await client.connect();
      const r = await client.query<{ v: number }>(`select current_setting('server_version_num')::int as v`);
      conn.version = r.rows[0]?.v ?? 0;
    } catch (e) {
      this.#kill(conn);
      throw e;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    if (this.#closed) {
      this.#kill(conn);
      throw new ReplicationError({
        kind: 'internal',
        message: 'adapter was closed while connecting',
        where: this.#o.where,
      });
    }
    this.#conn = conn;
    return conn;
  }

  async #query(conn: PgConn): Promise<NodeObservation> {
    const pauseExpr =
      conn.version >= 140000
        ? 'pg_get_wal_replay_pause_state()'
        : `case when pg_is_wal_replay_paused() then 'paused' else 'not paused' end`;
    // One statement, so every value comes from the same instant; the CASEs keep functions that
    // raise on the "wrong" role (pg_current_wal_lsn on a replica, the pause state on a primary)
    // from being called.
    const r = await conn.client.query<{
      in_recovery: boolean;
      server_now_ms: number;
      current_lsn: string | null;
      receive_lsn: string | null;
      replay_lsn: string | null;
      last_replay_ms: number | null;
      pause_state: string | null;
      wal_receiver: string | null;
    }>(
      `select r.in_recovery,
              (extract(epoch from clock_timestamp()) * 1000)::float8 as server_now_ms,
              case when not r.in_recovery then pg_current_wal_lsn()::text end as current_lsn,
              case when r.in_recovery then pg_last_wal_receive_lsn()::text end as receive_lsn,
              case when r.in_recovery then pg_last_wal_replay_lsn()::text end as replay_lsn,
              case when r.in_recovery then (extract(epoch from pg_last_xact_replay_timestamp()) * 1000)::float8 end as last_replay_ms,
              case when r.in_recovery then ${pauseExpr} end as pause_state,
              (select status from pg_stat_wal_receiver limit 1) as wal_receiver
         from (select pg_is_in_recovery() as in_recovery) r`,
    );
    const row = r.rows[0];
    if (!row) throw new Error('the status query returned no row');
    let peers: ReplicationPeer[] = [];
    if (!row.in_recovery) {
      const p = await conn.client.query<{
        application_name: string;
        client_addr: string | null;
        state: string | null;
        sync_state: string | null;
        sent_lsn: string | null;
        flush_lsn: string | null;
        replay_lsn: string | null;
        replay_lag_ms: number | null;
      }>(
        `select application_name, client_addr::text, state, sync_state,
                sent_lsn::text, flush_lsn::text, replay_lsn::text,
                (extract(epoch from replay_lag) * 1000)::float8 as replay_lag_ms
           from pg_stat_replication order by application_name`,
      );
      peers = p.rows.map((x) => ({
        applicationName: x.application_name,
        clientAddr: x.client_addr,
        state: x.state,
        syncState: x.sync_state,
        sentLsn: x.sent_lsn,
        flushLsn: x.flush_lsn,
        replayLsn: x.replay_lsn,
        replayLagMs: x.replay_lag_ms,
      }));
    }
    const pause = row.pause_state;
    return {
      role: row.in_recovery ? 'replica' : 'primary',
      serverNow: row.server_now_ms,
      serverVersion: conn.version,
      currentLsn: row.current_lsn,
      peers,
      receiveLsn: row.receive_lsn,
      replayLsn: row.replay_lsn,
      lastReplayAt: row.last_replay_ms,
      replayPauseState: pause === 'not paused' || pause === 'pause requested' || pause === 'paused' ? pause : null,
      walReceiver: row.in_recovery ? row.wal_receiver : null,
    };
  }

  /** Drops a session without waiting: its socket may be stuck behind a dead tunnel. */
  #kill(conn: PgConn): void {
    conn.dead = true;
    if (this.#conn === conn) this.#conn = null;
    const stream = (conn.client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream;
    try {
      stream?.destroy();
    } catch {
      /* already gone */
    }
    conn.client.end().catch(() => {});
  }

  #error(e: unknown): Error {
    const where = this.#o.where;
    if (e && typeof e === 'object' && 'error' in e) {
      const op = toOpError(e, where);
      return e instanceof Error ? e : new ReplicationError(op);
    }
    const err = e instanceof Error ? e : new Error(String(e));
    const code = (err as { code?: string }).code;
    const { db } = this.#o;
    const target = `${db.host}:${db.port}${db.viaSsh ? ' (via SSH)' : ''}`;
    const mk = (kind: OpErrorKind, message: string, hint?: string): ReplicationError =>
      new ReplicationError({ kind, message, ...(hint ? { hint } : {}), where }, { cause: err });
    if (code === '28P01' || code === '28000')
      return mk(
        'auth',
        `PostgreSQL at ${target} rejected user ${db.user}: ${err.message}`,
        'check the password reference and pg_hba.conf',
      );
    if (code === '3D000')
      return mk('not-found', `database "${db.database}" does not exist at ${target}`, 'fix databases[].database');
    if (code === '57014') return mk('timeout', `a status query at ${target} exceeded ${this.#o.statementTimeoutMs} ms`);
    if (code === '57P03' || code === '57P01' || code === '57P02' || code === '53300')
      return mk('unreachable', `PostgreSQL at ${target} is not accepting sessions: ${err.message}`);
    if (err.name === 'AbortError' || err.name === 'TimeoutError' || err.name === 'TaskCancelledError')
      return mk('timeout', `observing ${target} was cancelled: ${err.message}`);
    if (/timeout/i.test(err.message)) return mk('timeout', `PostgreSQL at ${target}: ${err.message}`);
    const tunnelError = this.#openTunnel?.lastError;
    if (tunnelError && /terminated|ECONNRESET|closed/i.test(err.message)) {
      const op = toOpError(tunnelError, where);
      return new ReplicationError(op, { cause: err });
    }
    if (code === 'ECONNREFUSED')
      return mk('unreachable', `PostgreSQL at ${target} refused the connection`, 'is the server running on that port?');
    if (code === 'ECONNRESET' || /terminated/i.test(err.message))
      return mk('unreachable', `PostgreSQL at ${target}: ${err.message}`);
    const op = toOpError(err, where);
    return new ReplicationError({ ...op, message: `PostgreSQL at ${target}: ${op.message}` }, { cause: err });
  }
}
