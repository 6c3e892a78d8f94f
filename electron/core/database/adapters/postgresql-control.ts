/**
 * PostgreSQL mutations behind the runbook steps db.fence, db.promote and db.rejoin, and their
 * read-backs. Written against {@link PgControlHost} (one node: fresh SQL sessions and commands
 * on its SSH host) so the flows can be tested with fakes; `PostgresAdapter` is the real host.
 *
 * Every function records what it runs in a {@link CommandLog}; failures reject with a
 * {@link ReplicationError} that carries those commands. Sources for the procedure: the lab
 * recipe §3 and gotcha 10, PostgreSQL 15 docs for pg_ctl, pg_promote, pg_rewind,
 * pg_stat_wal_receiver, pg_replication_slots.
 */
import type { OpErrorKind } from '../../../../shared/result.ts';
import type { DatabaseConfig } from '../../config/workspace-schema.ts';
import type { ExecResult } from '../../ssh/ssh-exec.ts';
import { CommandLog } from '../../platform/command-log.ts';
import {
  PG_CTL_NO_DATA_DIR,
  PG_CTL_NOT_RUNNING,
  PG_CTL_RUNNING,
  PROMOTE_CHECK_SQL,
  SOFT_FENCE_SQL,
  baseBackupCommand,
  conninfo,
  pgCtlStatusCommand,
  pgCtlStopCommand,
  promoteSql,
  replicationSlotName,
  rewindCommand,
  rewindImpossible,
  saveConfigCommand,
  standbyConfigCommand,
  startCommandFor,
} from '../pg-commands.ts';
import type {
  FenceCheck,
  FenceMode,
  FenceResult,
  OpCommand,
  OpProgress,
  PromoteCheck,
  PromoteResult,
  RewindResult,
  StreamingCheck,
} from '../replication-adapter.ts';
import { ReplicationError } from '../replication-error.ts';

/** One SQL session; every statement is recorded in the log it was opened with. */
export interface SqlSession {
  /** Runs one statement; rejects with the driver's error (SQLSTATE in `code`). */
  query<R extends object>(text: string, params?: readonly unknown[]): Promise<R[]>;
}

/** Options of {@link PgControlHost.shell}. */
export interface ShellOptions {
  /** Written to stdin (e.g. a password); the recorded text notes that stdin was used, never its content. */
  stdin?: string;
  /** Default 30000 ms. */
  timeoutMs?: number;
  /** Default [0]. */
  successExitCodes?: readonly number[];
  signal?: AbortSignal;
}

/** What the control flows need from one node. */
export interface PgControlHost {
  readonly db: DatabaseConfig;
  /** Label for OpError.where and recorded SQL (`database pg-primary`). */
  readonly where: string;
  /** SSH target label of the node's site, null when no SSH is configured. */
  readonly sshTarget: string | null;
  /** A fresh session for `fn`, closed after. Rejects with the driver's or SSH error, unmapped. */
  withSession<T>(
    log: CommandLog<OpCommand>,
    fn: (s: SqlSession) => Promise<T>,
    options?: { statementTimeoutMs?: number; signal?: AbortSignal },
  ): Promise<T>;
  /** Runs a command on the node's SSH host, recorded. Rejects with SshError / SshCommandError. */
  shell(log: CommandLog<OpCommand>, command: string, options?: ShellOptions): Promise<ExecResult>;
  /** The node's password (resolved secret). */
  password(): Promise<string>;
  /** True when `e` (from withSession) means nothing listens on the node's port (connection refused there). */
  refusedOnPort(e: unknown): boolean;
  /** Maps any error to a ReplicationError carrying `log`'s commands. */
  toError(e: unknown, log: CommandLog<OpCommand>): ReplicationError;
}

const sqlState = (e: unknown): string | undefined =>
  (e && typeof e === 'object' ? (e as { code?: unknown }).code : undefined) as string | undefined;
const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e)).trim().split('\n')[0] ?? '';
const firstLine = (s: string): string => s.trim().split('\n')[0] ?? '';
const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

function fail(
  host: PgControlHost,
  log: CommandLog<OpCommand>,
  kind: OpErrorKind,
  message: string,
  hint?: string,
): ReplicationError {
  return new ReplicationError(
    { kind, message, ...(hint !== undefined ? { hint } : {}), where: host.where },
    { commands: log.commands },
  );
}

/** A hard fence and a rejoin run pg_ctl & co. on the node's host: they need dataDir and SSH. */
function requireNodeControl(host: PgControlHost, what: string, log: CommandLog<OpCommand>): void {
  if (!host.db.dataDir)
    throw fail(
      host,
      log,
      'invalid-input',
      `${what} of ${host.db.name} needs its data directory`,
      `set databases[].dataDir (and pgBin) for ${host.db.name}`,
    );
  if (!host.sshTarget)
    throw fail(
      host,
      log,
      'invalid-input',
      `${what} of ${host.db.name} runs commands on its site's SSH host, and none is configured`,
      `define the SSH settings of site ${host.db.site}`,
    );
}

// ------------------------------------------------------------------------------------ fence

/**
 * Read-back of a fence: `down` (refused on its port; with dataDir, `pg_ctl status` confirms),
 * `in-recovery`, `read-only` (a write — `CREATE TEMP TABLE` in a rolled-back transaction — is
 * refused with SQLSTATE 25006), `writable`, or `unknown` (running but refusing, or starting up /
 * shutting down). Rejects (ReplicationError) only when the node cannot be asked (SSH down, auth).
 */
export async function verifyFencedPg(
  host: PgControlHost,
  signal?: AbortSignal,
  log: CommandLog<OpCommand> = new CommandLog<OpCommand>(),
): Promise<FenceCheck> {
  const start = log.commands.length;
  // commands are attached once everything ran (the probe's ROLLBACK comes after its verdict)
  type Verdict = Omit<FenceCheck, 'commands'>;
  const verdict = (fenced: boolean, state: FenceCheck['state'], evidence: string): Verdict => ({
    fenced,
    state,
    evidence,
  });
  const withCommands = (v: Verdict): FenceCheck => ({ ...v, commands: log.commands.slice(start) });
  const target = `${host.db.host}:${host.db.port}${host.db.viaSsh ? ' (from the SSH host)' : ''}`;
  try {
    const v = await host.withSession(
      log,
      async (s) => {
        const [row] = await s.query<{ in_recovery: boolean; default_ro: string }>(
          `SELECT pg_is_in_recovery() AS in_recovery, current_setting('default_transaction_read_only') AS default_ro`,
        );
        if (row?.in_recovery)
          return verdict(true, 'in-recovery', 'pg_is_in_recovery() = true: a replica refuses writes');
        await s.query('BEGIN');
        try {
          await s.query('CREATE TEMP TABLE standby_fence_probe (x int)');
        } catch (e) {
          if (sqlState(e) === '25006') {
            return verdict(
              true,
              'read-only',
              `a write was refused (${messageOf(e)}); default_transaction_read_only = ${row?.default_ro} — a soft fence: a client can still SET it off`,
            );
          }
          throw e;
        } finally {
          await s.query('ROLLBACK').catch(() => {});
        }
        return verdict(
          false,
          'writable',
          `a write was accepted (rolled back): the node is a writable primary (default_transaction_read_only = ${row?.default_ro})`,
        );
      },
      signal ? { signal } : {},
    );
    return withCommands(v);
  } catch (e) {
    if (host.refusedOnPort(e)) {
      if (host.db.dataDir && host.sshTarget) {
        const r = await host
          .shell(log, pgCtlStatusCommand(host.db), {
            successExitCodes: [PG_CTL_RUNNING, PG_CTL_NOT_RUNNING, PG_CTL_NO_DATA_DIR],
            timeoutMs: 15_000,
            ...(signal ? { signal } : {}),
          })
          .catch((err: unknown) => {
            throw host.toError(err, log);
          });
        const said = firstLine(r.stdout) || firstLine(r.stderr);
        if (r.exitCode === PG_CTL_RUNNING)
          return withCommands(
            verdict(
              false,
              'unknown',
              `connection to ${target} refused, yet pg_ctl status says the server runs (${said})`,
            ),
          );
        return withCommands(
          verdict(true, 'down', `connection to ${target} refused; pg_ctl status: ${said} (exit ${r.exitCode})`),
        );
      }
      return withCommands(verdict(true, 'down', `connection to ${target} refused: nothing listens on the node's port`));
    }
    if (sqlState(e) === '57P03')
      return withCommands(verdict(false, 'unknown', `the server is starting up or shutting down: ${messageOf(e)}`));
    throw host.toError(e, log);
  }
}

/** Polls {@link verifyFencedPg} (bounded: `timeoutMs`, ≤ 50 tries) until fenced; appends the last check's commands to `log`. */
async function awaitFenced(
  host: PgControlHost,
  log: CommandLog<OpCommand>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<FenceCheck> {
  const t0 = performance.now();
  let check: FenceCheck | null = null;
  for (let i = 0; i < 50; i++) {
    check = await verifyFencedPg(host, signal, new CommandLog<OpCommand>());
    if (check.fenced || performance.now() - t0 >= timeoutMs) break;
    await sleep(100, signal);
  }
  log.commands.push(...check!.commands);
  return check!;
}

/**
 * Fences a primary. `hard`: `pg_ctl status`, then (if running) `pg_ctl -D <dataDir> -m fast -w
 * stop` on the node's SSH host; verified when the port refuses and pg_ctl says not running.
 * `soft`: ALTER SYSTEM default_transaction_read_only, reload, terminate client backends; verified
 * when a write is refused. Already fenced (stopped / read-only / a replica) → `changed: false`.
 * Rejects with ReplicationError: `invalid-input` (hard without dataDir/SSH), `unreachable`,
 * `internal` (the effect could not be verified).
 */
export async function fencePg(host: PgControlHost, mode: FenceMode, signal?: AbortSignal): Promise<FenceResult> {
  const log = new CommandLog<OpCommand>();
  try {
    return mode === 'hard' ? await hardFence(host, log, signal) : await softFence(host, log, signal);
  } catch (e) {
    throw e instanceof ReplicationError ? e : host.toError(e, log);
  }
}

async function hardFence(host: PgControlHost, log: CommandLog<OpCommand>, signal?: AbortSignal): Promise<FenceResult> {
  requireNodeControl(host, 'a hard fence', log);
  const sig = signal ? { signal } : {};
  const st = await host.shell(log, pgCtlStatusCommand(host.db), {
    successExitCodes: [PG_CTL_RUNNING, PG_CTL_NOT_RUNNING, PG_CTL_NO_DATA_DIR],
    timeoutMs: 15_000,
    ...sig,
  });
  if (st.exitCode === PG_CTL_NO_DATA_DIR) {
    throw fail(
      host,
      log,
      'invalid-input',
      `pg_ctl finds no data directory at ${host.db.dataDir}: ${firstLine(st.stderr) || firstLine(st.stdout)}`,
      'fix databases[].dataDir',
    );
  }
  const changed = st.exitCode === PG_CTL_RUNNING;
  let stopMs = 0;
  if (changed) stopMs = (await host.shell(log, pgCtlStopCommand(host.db), { timeoutMs: 90_000, ...sig })).durationMs;
  const check = await awaitFenced(host, log, 3000, signal);
  if (!check.fenced)
    throw fail(
      host,
      log,
      'internal',
      `${host.db.name} was stopped but still ${check.state === 'writable' ? 'accepts writes' : 'is not verifiably down'}: ${check.evidence}`,
      'check the node by hand before promoting anything',
    );
  return {
    mode: 'hard',
    changed,
    verified: true,
    summary: changed
      ? `stopped ${host.db.name} (pg_ctl fast shutdown, ${stopMs} ms)`
      : `${host.db.name} was already stopped: nothing to do`,
    evidence: check.evidence,
    commands: log.commands,
    durationMs: log.elapsedMs(),
  };
}

async function softFence(host: PgControlHost, log: CommandLog<OpCommand>, signal?: AbortSignal): Promise<FenceResult> {
  const sig = signal ? { signal } : {};
  const state = await host.withSession(
    log,
    async (s) => {
      const [row] = await s.query<{ in_recovery: boolean; default_ro: string }>(
        `SELECT pg_is_in_recovery() AS in_recovery, current_setting('default_transaction_read_only') AS default_ro`,
      );
      if (!row) throw new Error('no row');
      if (row.in_recovery || row.default_ro === 'on') return row;
      for (const sql of SOFT_FENCE_SQL) await s.query(sql);
      return null;
    },
    sig,
  );
  const changed = state === null;
  const check = await awaitFenced(host, log, 3000, signal);
  if (!check.fenced)
    throw fail(
      host,
      log,
      'internal',
      `${host.db.name} still accepts writes after the soft fence: ${check.evidence}`,
      'fence it hard (stop the server)',
    );
  return {
    mode: 'soft',
    changed,
    verified: true,
    summary: changed
      ? `${host.db.name} made read-only by default and its client sessions ended (soft: a client can still SET default_transaction_read_only = off)`
      : state?.in_recovery
        ? `${host.db.name} is a replica (in recovery): it already refuses writes`
        : `${host.db.name} was already read-only by default: nothing to do`,
    evidence: check.evidence,
    commands: log.commands,
    durationMs: log.elapsedMs(),
  };
}

// ---------------------------------------------------------------------------------- promote

/**
 * Read-back of a promotion: `pg_is_in_recovery()` is false AND a write commits (an upsert of
 * this node's row in `standby_fence_check`, created when missing). A refused write (read-only)
 * gives `promoted: false`. Rejects when the node cannot be asked.
 */
export async function verifyPromotedPg(
  host: PgControlHost,
  signal?: AbortSignal,
  log: CommandLog<OpCommand> = new CommandLog<OpCommand>(),
): Promise<PromoteCheck> {
  const start = log.commands.length;
  const out = (c: Omit<PromoteCheck, 'commands'>): Omit<PromoteCheck, 'commands'> => c;
  try {
    const v = await host.withSession(
      log,
      async (s) => {
        const [r] = await s.query<{ in_recovery: boolean }>('SELECT pg_is_in_recovery() AS in_recovery');
        if (r?.in_recovery !== false)
          return out({
            promoted: false,
            inRecovery: r?.in_recovery ?? null,
            writeCommitted: false,
            evidence: 'pg_is_in_recovery() = true: still a replica',
          });
        try {
          await s.query(PROMOTE_CHECK_SQL.create);
          const [w] = await s.query<{ txid: string; checked_at: string }>(PROMOTE_CHECK_SQL.write, [host.db.name]);
          return out({
            promoted: true,
            inRecovery: false,
            writeCommitted: true,
            evidence: `pg_is_in_recovery() = false; a write committed (standby_fence_check, txid ${w?.txid} at ${w?.checked_at})`,
          });
        } catch (e) {
          if (sqlState(e) === '25006')
            return out({
              promoted: false,
              inRecovery: false,
              writeCommitted: false,
              evidence: `out of recovery but a write was refused: ${messageOf(e)}`,
            });
          throw e;
        }
      },
      signal ? { signal } : {},
    );
    return { ...v, commands: log.commands.slice(start) };
  } catch (e) {
    throw host.toError(e, log);
  }
}

/**
 * Promotes a replica: `SELECT pg_promote(wait => true, wait_seconds => N)`, then
 * {@link verifyPromotedPg}. Not in recovery already → `changed: false` (with the read-back).
 * Rejects with ReplicationError: `invalid-input` (waitSeconds), `timeout` (still in recovery after
 * N s), `internal` (promoted but the read-back failed), or the session's error.
 * Fencing the old primary first is the caller's rule (invariant 4), not checked here.
 */
export async function promotePg(
  host: PgControlHost,
  waitSeconds: number,
  signal?: AbortSignal,
): Promise<PromoteResult> {
  const log = new CommandLog<OpCommand>();
  const sig = signal ? { signal } : {};
  try {
    let sql: string;
    try {
      sql = promoteSql(waitSeconds);
    } catch (e) {
      throw fail(host, log, 'invalid-input', messageOf(e));
    }
    const [row] = await host.withSession(
      log,
      (s) => s.query<{ in_recovery: boolean }>('SELECT pg_is_in_recovery() AS in_recovery'),
      sig,
    );
    if (row?.in_recovery === false) {
      const check = await verifyPromotedPg(host, signal, log);
      return {
        changed: false,
        summary: `${host.db.name} is already a primary (not in recovery): nothing to promote`,
        promoteMs: 0,
        verified: check.promoted,
        evidence: check.evidence,
        commands: log.commands,
        durationMs: log.elapsedMs(),
      };
    }
    const [p] = await host.withSession(log, (s) => s.query<{ promoted: boolean }>(sql), {
      statementTimeoutMs: waitSeconds * 1000 + 5000,
      ...sig,
    });
    const promoteMs = log.commands.at(-1)?.durationMs ?? 0;
    if (p?.promoted !== true)
      throw fail(
        host,
        log,
        'timeout',
        `${host.db.name} was still in recovery ${waitSeconds} s after pg_promote()`,
        'read the server log; raise waitSeconds if recovery is slow',
      );
    const check = await verifyPromotedPg(host, signal, log);
    if (!check.promoted)
      throw fail(host, log, 'internal', `pg_promote() returned true but the read-back failed: ${check.evidence}`);
    return {
      changed: true,
      summary: `promoted ${host.db.name} (pg_promote ${promoteMs} ms)`,
      promoteMs,
      verified: true,
      evidence: check.evidence,
      commands: log.commands,
      durationMs: log.elapsedMs(),
    };
  } catch (e) {
    throw e instanceof ReplicationError ? e : host.toError(e, log);
  }
}

// ------------------------------------------------------------------------- streaming / rejoin

interface ReceiverRow {
  in_recovery: boolean;
  status: string | null;
  sender_host: string | null;
  sender_port: number | null;
  slot_name: string | null;
}

async function readReceiver(
  host: PgControlHost,
  log: CommandLog<OpCommand>,
  signal?: AbortSignal,
): Promise<ReceiverRow> {
  const rows = await host.withSession(
    log,
    (s) =>
      s.query<ReceiverRow>(
        `SELECT pg_is_in_recovery() AS in_recovery, r.status, r.sender_host, r.sender_port, r.slot_name FROM (SELECT 1) one LEFT JOIN pg_stat_wal_receiver r ON true`,
      ),
    signal ? { signal } : {},
  );
  const r = rows[0];
  if (!r) throw new Error('pg_stat_wal_receiver query returned no row');
  return r;
}

/**
 * Read-back of replication: this node is in recovery and its WAL receiver is `streaming`; with
 * `source`, also connected to `source`'s host:port, and `source` reports a streaming peer (and the
 * receiver's slot active). Rejects when a node cannot be asked.
 */
export async function verifyStreamingPg(
  target: PgControlHost,
  source?: PgControlHost,
  signal?: AbortSignal,
  log: CommandLog<OpCommand> = new CommandLog<OpCommand>(),
): Promise<StreamingCheck> {
  const start = log.commands.length;
  try {
    const r = await readReceiver(target, log, signal);
    const sender = r.sender_host !== null ? `${r.sender_host}:${r.sender_port}` : null;
    const base = { receiverStatus: r.status, sender, slot: r.slot_name };
    const done = (streaming: boolean, evidence: string): StreamingCheck => ({
      streaming,
      ...base,
      evidence,
      commands: log.commands.slice(start),
    });
    if (!r.in_recovery) return done(false, `${target.db.name} is not in recovery (a primary)`);
    if (r.status !== 'streaming') return done(false, `${target.db.name}: WAL receiver ${r.status ?? 'not running'}`);
    const own = `${target.db.name} streams from ${sender}${r.slot_name ? ` through slot ${r.slot_name}` : ''}`;
    if (!source) return done(true, own);
    if (r.sender_host !== source.db.host || r.sender_port !== source.db.port)
      return done(false, `${own}, not from ${source.db.name} (${source.db.host}:${source.db.port})`);
    const peers = await source.withSession(
      log,
      async (s) => {
        const p = await s.query<{ application_name: string; state: string }>(
          `SELECT application_name, state FROM pg_stat_replication ORDER BY application_name`,
        );
        const slot = r.slot_name
          ? (
              await s.query<{ active: boolean }>('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [
                r.slot_name,
              ])
            )[0]
          : undefined;
        return { p, slot };
      },
      signal ? { signal } : {},
    );
    const streamingPeers = peers.p.filter((x) => x.state === 'streaming').map((x) => x.application_name);
    if (streamingPeers.length === 0) return done(false, `${own}, but ${source.db.name} reports no streaming peer`);
    if (r.slot_name && peers.slot?.active !== true)
      return done(false, `${own}, but slot ${r.slot_name} is not active on ${source.db.name}`);
    return done(true, `${own}; ${source.db.name} reports streaming peer(s) ${streamingPeers.join(', ')}`);
  } catch (e) {
    throw e instanceof ReplicationError ? e : target.toError(e, log);
  }
}

/** Options of {@link rewindPg}. */
export interface RewindPgOptions {
  signal?: AbortSignal;
  onProgress?: (p: OpProgress) => void;
  /** Default true. */
  allowBaseBackup?: boolean;
  /** `base-backup` skips pg_rewind (default `auto`: rewind, base backup when rewind is impossible). */
  method?: 'auto' | 'base-backup';
  /** Default 30000 ms. */
  streamTimeoutMs?: number;
}

/**
 * Rebuilds `target` (the fenced old primary) as a streaming replica of `source` (the new
 * primary). Steps, each recorded:
 * 1. idempotence: already streaming from `source` → `method: 'none'`, `changed: false`;
 * 2. refusals: `source` not a primary, or `target` running as a primary → `unsafe-plan`; target
 *    running but not answering → `conflict`; a replica of someone else is stopped first;
 * 3. `CHECKPOINT` on `source` (pg_rewind reads the new timeline from its control file);
 * 4. the target's slot on `source` (created with reserved WAL before the copy; reused when
 *    inactive; `conflict` when another node uses it);
 * 5. target's own config files saved; `pg_rewind` (source password on stdin) — or, when it
 *    fails for any reason but connection/auth (or `method: 'base-backup'`), a fresh
 *    `pg_basebackup` after moving the old data aside;
 * 6. own config files restored (pg_rewind copies the source's: port, listen addresses), soft
 *    fence setting and old standby settings removed, `primary_conninfo` (replication user,
 *    passfile) + `primary_slot_name` written, standby.signal created;
 * 7. `startCommand`; inactive physical slots left on the target (stale, they pin WAL) dropped;
 * 8. wait (≤ `streamTimeoutMs`) until {@link verifyStreamingPg} passes.
 */
export async function rewindPg(
  target: PgControlHost,
  source: PgControlHost,
  options: RewindPgOptions = {},
): Promise<RewindResult> {
  const log = new CommandLog<OpCommand>();
  const { signal } = options;
  const sig = signal ? { signal } : {};
  const phaseMs: Record<string, number> = {};
  const progress = (phase: string, message: string): void =>
    options.onProgress?.({ phase, message, elapsedMs: log.elapsedMs() });
  const timed = async <T>(phase: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      phaseMs[phase] = Math.round(performance.now() - t0);
    }
  };
  const slot = replicationSlotName(target.db);
  try {
    requireNodeControl(target, 'a rejoin', log);
    if (target.db.name === source.db.name || (target.db.host === source.db.host && target.db.port === source.db.port)) {
      throw fail(target, log, 'invalid-input', `cannot rejoin ${target.db.name} to itself`);
    }

    // 1. idempotence, and what the target is now
    progress('check', `reading ${target.db.name} and ${source.db.name}`);
    let targetRole: 'primary' | 'replica' | 'down' | 'unknown';
    try {
      const r = await readReceiver(target, log, signal);
      targetRole = r.in_recovery ? 'replica' : 'primary';
    } catch (e) {
      if (target.refusedOnPort(e)) targetRole = 'down';
      else if (sqlState(e) === '57P03') targetRole = 'unknown';
      else throw e;
    }
    if (targetRole === 'replica') {
      const s = await verifyStreamingPg(target, source, signal, log);
      if (s.streaming) {
        return {
          method: 'none',
          changed: false,
          summary: `${target.db.name} already streams from ${source.db.name}: nothing to do`,
          droppedSlots: [],
          slot: s.slot ?? slot,
          phaseMs,
          streaming: s,
          commands: log.commands,
          durationMs: log.elapsedMs(),
        };
      }
    }

    // 2. refusals
    const [src] = await source.withSession(
      log,
      (s) => s.query<{ in_recovery: boolean }>('SELECT pg_is_in_recovery() AS in_recovery'),
      sig,
    );
    if (src?.in_recovery !== false)
      throw fail(
        target,
        log,
        'unsafe-plan',
        `${source.db.name} is not a primary (pg_is_in_recovery() = true): nothing to rejoin ${target.db.name} to`,
        `promote ${source.db.name} first`,
      );
    if (targetRole === 'primary') {
      throw fail(
        target,
        log,
        'unsafe-plan',
        `${target.db.name} is running as a primary: rewinding it now would discard writes it is still accepting`,
        `fence ${target.db.name} (hard) first`,
      );
    }
    const st = await target.shell(log, pgCtlStatusCommand(target.db), {
      successExitCodes: [PG_CTL_RUNNING, PG_CTL_NOT_RUNNING, PG_CTL_NO_DATA_DIR],
      timeoutMs: 15_000,
      ...sig,
    });
    if (st.exitCode === PG_CTL_RUNNING) {
      if (targetRole !== 'replica')
        throw fail(
          target,
          log,
          'conflict',
          `${target.db.name} runs (pg_ctl status) but does not answer on ${target.db.host}:${target.db.port}`,
          'check the node by hand',
        );
      progress('stop', `stopping ${target.db.name} (a replica of another primary)`);
      await timed('stop', () => target.shell(log, pgCtlStopCommand(target.db), { timeoutMs: 90_000, ...sig }));
    }
    const noDataDir = st.exitCode === PG_CTL_NO_DATA_DIR;

    // 3. checkpoint on the new primary
    progress('checkpoint', `CHECKPOINT on ${source.db.name}`);
    await timed('checkpoint', () =>
      source.withSession(log, (s) => s.query('CHECKPOINT'), { statementTimeoutMs: 300_000, ...sig }),
    );

    // 4. the slot the target will stream through, on the new primary
    await source.withSession(
      log,
      async (s) => {
        const [existing] = await s.query<{ active: boolean; slot_type: string }>(
          'SELECT active, slot_type FROM pg_replication_slots WHERE slot_name = $1',
          [slot],
        );
        if (existing?.active)
          throw fail(
            target,
            log,
            'conflict',
            `slot ${slot} on ${source.db.name} is in use by another connection`,
            `set databases[].replicationSlot of ${target.db.name} to a free name`,
          );
        if (existing && existing.slot_type !== 'physical')
          throw fail(
            target,
            log,
            'conflict',
            `slot ${slot} on ${source.db.name} is a ${existing.slot_type} slot`,
            'drop it or pick another replicationSlot',
          );
        if (!existing) await s.query('SELECT slot_name FROM pg_create_physical_replication_slot($1, true)', [slot]);
      },
      sig,
    );

    // 5. save own config, then rewind (or base backup)
    const saved = noDataDir
      ? null
      : firstLine((await target.shell(log, saveConfigCommand(target.db), { timeoutMs: 30_000, ...sig })).stdout);
    const password = await source.password();
    const replUser = target.db.replicationUser ?? target.db.user;
    const primaryConninfo = conninfo({
      host: source.db.host,
      port: source.db.port,
      user: replUser,
      ...(target.db.replicationPassfile ? { passfile: target.db.replicationPassfile } : {}),
    });
    let method: 'rewind' | 'base-backup' = 'rewind';
    let fallbackReason: string | undefined;
    let keptDataDir: string | undefined;
    if (options.method === 'base-backup') {
      method = 'base-backup';
      fallbackReason = 'a base backup was asked for';
    } else if (noDataDir) {
      method = 'base-backup';
      fallbackReason = `no data directory at ${target.db.dataDir}`;
    } else {
      progress('rewind', `pg_rewind ${target.db.name} from ${source.db.name}`);
      const srcInfo = conninfo({
        host: source.db.host,
        port: source.db.port,
        user: source.db.user,
        dbname: source.db.database,
      });
      try {
        await timed('rewind', () =>
          target.shell(log, rewindCommand(target.db, srcInfo), { stdin: `${password}\n`, timeoutMs: 600_000, ...sig }),
        );
      } catch (e) {
        const stderr = (e as { stderr?: unknown }).stderr;
        if (typeof stderr !== 'string') throw e; // SSH failure, timeout: not pg_rewind's verdict
        const reason =
          stderr
            .trim()
            .split('\n')
            .filter((l) => /error|fatal|could not|must/i.test(l))
            .join(' ') ||
          firstLine(stderr) ||
          messageOf(e);
        if (!rewindImpossible(stderr))
          throw fail(
            target,
            log,
            'unreachable',
            `pg_rewind could not reach ${source.db.name}: ${reason}`,
            'check that the node can connect to the new primary (pg_hba, password)',
          );
        if (options.allowBaseBackup === false)
          throw fail(
            target,
            log,
            'conflict',
            `pg_rewind failed: ${reason}`,
            'allow a base backup (allowBaseBackup) or repair the node by hand',
          );
        method = 'base-backup';
        fallbackReason = `pg_rewind failed: ${reason}`;
      }
    }
    if (method === 'base-backup') {
      progress('base-backup', `pg_basebackup ${target.db.name} from ${source.db.name} (${fallbackReason})`);
      const r = await timed('base-backup', () =>
        target.shell(log, baseBackupCommand(target.db, primaryConninfo, slot), {
          stdin: target.db.replicationPassfile ? '\n' : `${password}\n`,
          timeoutMs: 3_600_000,
          ...sig,
        }),
      );
      keptDataDir = /^kept (.+)$/m.exec(r.stdout)?.[1];
    }

    // 6. standby settings
    progress('configure', `writing standby settings of ${target.db.name}`);
    await target.shell(log, standbyConfigCommand(target.db, saved, primaryConninfo, slot), {
      timeoutMs: 30_000,
      ...sig,
    });

    // 7. start, drop stale slots
    progress('start', `starting ${target.db.name}`);
    await timed('start', () => target.shell(log, startCommandFor(target.db), { timeoutMs: 120_000, ...sig }));
    const droppedSlots: string[] = [];
    const notes: string[] = [];
    await target
      .withSession(
        log,
        async (s) => {
          const stale = await s.query<{ slot_name: string }>(
            `SELECT slot_name FROM pg_replication_slots WHERE NOT active AND slot_type = 'physical' ORDER BY slot_name`,
          );
          for (const { slot_name } of stale) {
            try {
              await s.query('SELECT pg_drop_replication_slot($1)', [slot_name]);
              droppedSlots.push(slot_name);
            } catch (e) {
              notes.push(`stale slot ${slot_name} could not be dropped: ${messageOf(e)}`);
            }
          }
        },
        sig,
      )
      .catch((e: unknown) => notes.push(`stale slots not checked: ${messageOf(e)}`));

    // 8. streaming
    progress('streaming', `waiting until ${target.db.name} streams from ${source.db.name}`);
    const streaming = await timed('streaming', () =>
      awaitStreaming(target, source, log, options.streamTimeoutMs ?? 30_000, signal),
    );
    const how = method === 'rewind' ? 'pg_rewind' : `a fresh base backup (${fallbackReason})`;
    return {
      method,
      changed: true,
      summary: `rebuilt ${target.db.name} as a replica of ${source.db.name} with ${how}${droppedSlots.length ? `; dropped stale slot(s) ${droppedSlots.join(', ')}` : ''}${notes.length ? `; ${notes.join('; ')}` : ''}`,
      ...(fallbackReason !== undefined && method === 'base-backup' ? { fallbackReason } : {}),
      ...(keptDataDir !== undefined ? { keptDataDir } : {}),
      droppedSlots,
      slot,
      phaseMs,
      streaming,
      commands: log.commands,
      durationMs: log.elapsedMs(),
    };
  } catch (e) {
    throw e instanceof ReplicationError ? e : target.toError(e, log);
  }
}

/** Polls {@link verifyStreamingPg} every 200 ms (≤ `timeoutMs`, ≤ 600 tries); appends the last check's commands. */
async function awaitStreaming(
  target: PgControlHost,
  source: PgControlHost,
  log: CommandLog<OpCommand>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<StreamingCheck> {
  const t0 = performance.now();
  let last: StreamingCheck | null = null;
  let lastError: unknown = null;
  for (let i = 0; i < 600; i++) {
    try {
      last = await verifyStreamingPg(target, source, signal, new CommandLog<OpCommand>());
      lastError = null;
      if (last.streaming) break;
    } catch (e) {
      if (signal?.aborted) throw e;
      lastError = e;
    }
    if (performance.now() - t0 >= timeoutMs) break;
    await sleep(200, signal);
  }
  if (last) log.commands.push(...last.commands);
  if (last?.streaming) return last;
  throw fail(
    target,
    log,
    'timeout',
    `${target.db.name} did not stream from ${source.db.name} within ${timeoutMs} ms: ${last?.evidence ?? messageOf(lastError)}`,
    `read ${target.db.name}'s server log`,
  );
}
