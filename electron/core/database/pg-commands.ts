/**
 * The exact SQL statements and shell commands of the PostgreSQL mutations (fence, promote,
 * rejoin), built as text so a plan can show them before anything runs and a step log can show
 * what ran. Pure: no I/O. Secrets never appear in the text (passwords go on stdin).
 *
 * Sources: PostgreSQL 15 docs — pg_ctl (exit status of `status`: 0 running, 3 not running,
 * 4 no accessible data directory), pg_promote(wait, wait_seconds), pg_rewind, pg_basebackup,
 * §20.1.2 "Parameter interaction via the configuration file" (string quoting: `''`, backslash
 * escapes), libpq §34.1.2 connection strings (single-quoted values, `\'` and `\\`); the lab
 * recipe §3 and gotcha 10 (CHECKPOINT before pg_rewind, rewind copies the source's config files,
 * stale slots pin WAL).
 */
import type { DatabaseConfig } from '../config/workspace-schema.ts';
import { shellQuote } from '../ssh/ssh-exec.ts';
import type { OpCommand } from './replication-adapter.ts';

/** Table the promotion read-back writes one row per node into (created when missing). */
export const FENCE_CHECK_TABLE = 'standby_fence_check';

/** Config files a rejoin keeps from the node itself (pg_rewind would copy the source's). */
export const NODE_CONFIG_FILES = ['postgresql.conf', 'postgresql.auto.conf', 'pg_hba.conf', 'pg_ident.conf'] as const;

/** Settings a rejoin removes from `postgresql.auto.conf` before writing its own standby settings. */
export const REJOIN_STRIPPED_SETTINGS = [
  'primary_conninfo',
  'primary_slot_name',
  'default_transaction_read_only',
] as const;

/** `pg_ctl status` exit codes (pg_ctl docs). */
export const PG_CTL_RUNNING = 0;
export const PG_CTL_NOT_RUNNING = 3;
export const PG_CTL_NO_DATA_DIR = 4;

type NodeDb = Pick<DatabaseConfig, 'name' | 'dataDir' | 'pgBin' | 'startCommand' | 'replicationSlot'>;

/** Path of a PostgreSQL client program: `<pgBin>/<tool>`, or the bare name (found on PATH). */
export function pgTool(pgBin: string | undefined, tool: 'pg_ctl' | 'pg_rewind' | 'pg_basebackup'): string {
  return pgBin ? shellQuote(`${pgBin.replace(/\/+$/, '')}/${tool}`) : tool;
}

function dataDirOf(db: NodeDb): string {
  if (!db.dataDir) throw new Error(`database ${db.name} has no dataDir`);
  return db.dataDir;
}

/** `pg_ctl -D DATA status` (exit 0 running, 3 not running, 4 no data directory). */
export function pgCtlStatusCommand(db: NodeDb): string {
  return `${pgTool(db.pgBin, 'pg_ctl')} -D ${shellQuote(dataDirOf(db))} status`;
}

/** Hard fence: fast shutdown (disconnects clients, aborts their transactions), waiting ≤ `timeoutSeconds`. */
export function pgCtlStopCommand(db: NodeDb, timeoutSeconds = 60): string {
  return `${pgTool(db.pgBin, 'pg_ctl')} -D ${shellQuote(dataDirOf(db))} -m fast -w -t ${timeoutSeconds} stop`;
}

/**
 * How the node is started again: `db.startCommand`, else `pg_ctl … -l DATA/standby-start.log -w
 * start` (with `-l` so the server's output does not hold the SSH channel open).
 */
export function startCommandFor(db: NodeDb): string {
  if (db.startCommand) return db.startCommand;
  const d = dataDirOf(db);
  return `${pgTool(db.pgBin, 'pg_ctl')} -D ${shellQuote(d)} -l ${shellQuote(`${d}/standby-start.log`)} -w -t 60 start`;
}

/** Soft fence, in order: read-only by default for new transactions, reload, end client sessions. */
export const SOFT_FENCE_SQL = [
  'ALTER SYSTEM SET default_transaction_read_only = on',
  'SELECT pg_reload_conf()',
  `SELECT count(*)::int AS terminated FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()) t`,
] as const;

/** Promotion; returns true once out of recovery, false when `waitSeconds` passed first. */
export function promoteSql(waitSeconds: number): string {
  if (!Number.isInteger(waitSeconds) || waitSeconds < 1 || waitSeconds > 3600)
    throw new RangeError(`waitSeconds must be an integer 1..3600 (got ${waitSeconds})`);
  return `SELECT pg_promote(wait => true, wait_seconds => ${waitSeconds}) AS promoted`;
}

/** Statements of the promotion read-back write (one row per node, upserted). */
export const PROMOTE_CHECK_SQL = {
  create: `CREATE TABLE IF NOT EXISTS ${FENCE_CHECK_TABLE} (node text PRIMARY KEY, checked_at timestamptz NOT NULL, txid bigint NOT NULL)`,
  write: `INSERT INTO ${FENCE_CHECK_TABLE} (node, checked_at, txid) VALUES ($1, clock_timestamp(), txid_current()) ON CONFLICT (node) DO UPDATE SET checked_at = excluded.checked_at, txid = excluded.txid RETURNING txid::text AS txid, checked_at::text AS checked_at`,
} as const;

/** Slot this node streams through as a replica: `replicationSlot`, else `standby_<name>` made slot-safe. */
export function replicationSlotName(db: Pick<DatabaseConfig, 'name' | 'replicationSlot'>): string {
  if (db.replicationSlot) return db.replicationSlot;
  return `standby_${db.name.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63);
}

/** One libpq `key=value` pair, quoting the value when it needs it (libpq §34.1.2). */
function kv(key: string, value: string | number): string {
  const v = String(value);
  return /^[A-Za-z0-9_.:/@+-]+$/.test(v) ? `${key}=${v}` : `${key}='${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** libpq connection string from parts (undefined parts left out). */
export function conninfo(parts: {
  host: string;
  port: number;
  user: string;
  dbname?: string;
  passfile?: string;
  applicationName?: string;
}): string {
  const out = [kv('host', parts.host), kv('port', parts.port), kv('user', parts.user)];
  if (parts.dbname !== undefined) out.push(kv('dbname', parts.dbname));
  if (parts.passfile !== undefined) out.push(kv('passfile', parts.passfile));
  if (parts.applicationName !== undefined) out.push(kv('application_name', parts.applicationName));
  return out.join(' ');
}

/** A postgresql.conf string literal: `'…'` with `'` doubled and backslashes escaped (§20.1.2). */
export function confString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** Copies the node's own config files into a fresh temp dir on the host; prints the dir. */
export function saveConfigCommand(db: NodeDb): string {
  const d = shellQuote(dataDirOf(db));
  return [
    'set -eu; umask 077',
    `B=$(mktemp -d "\${TMPDIR:-/tmp}/standby-rejoin.XXXXXX")`,
    `for f in ${NODE_CONFIG_FILES.join(' ')}; do if [ -f ${d}/"$f" ]; then cp -p -- ${d}/"$f" "$B/"; fi; done`,
    `printf '%s\\n' "$B"`,
  ].join('; ');
}

/**
 * pg_rewind of the (stopped) node onto the source. The source password arrives on stdin (first
 * line) so it is in neither argv nor a file. No `-R`: it would write the superuser's password
 * into postgresql.auto.conf and make the replica stream as that user; the standby settings are
 * written by {@link standbyConfigCommand} instead.
 */
export function rewindCommand(db: NodeDb, sourceConninfo: string): string {
  return `IFS= read -r PGPASSWORD || true; export PGPASSWORD; ${pgTool(db.pgBin, 'pg_rewind')} --target-pgdata=${shellQuote(dataDirOf(db))} --source-server=${shellQuote(sourceConninfo)}`;
}

/**
 * Fresh base backup into the node's data directory. Its current content is moved aside first
 * (to `DATA.standby-replaced-<UTC time>`, or a temp dir when the parent is not writable), never
 * deleted; the line `kept <dir>` says where. Streams WAL through the already created `slot`.
 * A password, if any, arrives on stdin (first line).
 */
export function baseBackupCommand(db: NodeDb, replicationConninfo: string, slot: string): string {
  const d = shellQuote(dataDirOf(db));
  return [
    'set -eu; umask 077',
    `K=${d}.standby-replaced-$(date -u +%Y%m%dT%H%M%SZ)`,
    `if ! mkdir -m 700 -- "$K" 2>/dev/null; then K=$(mktemp -d "\${TMPDIR:-/tmp}/standby-replaced.XXXXXX"); fi`,
    `if [ -d ${d} ]; then find ${d} -mindepth 1 -maxdepth 1 -exec mv -- {} "$K"/ \\;; else mkdir -m 700 -- ${d}; fi`,
    `printf 'kept %s\\n' "$K"`,
    'IFS= read -r PGPASSWORD || true; if [ -n "$PGPASSWORD" ]; then export PGPASSWORD; else unset PGPASSWORD; fi',
    `${pgTool(db.pgBin, 'pg_basebackup')} -D ${d} -d ${shellQuote(replicationConninfo)} -X stream -c fast -S ${shellQuote(slot)} -w`,
  ].join('; ');
}

/**
 * After a rewind or base backup: put back the node's own config files (saved in `savedDir`, then
 * removed; null when there was nothing to save), drop {@link REJOIN_STRIPPED_SETTINGS} from
 * postgresql.auto.conf, append this node's `primary_conninfo` and `primary_slot_name`, and create
 * standby.signal.
 */
export function standbyConfigCommand(
  db: NodeDb,
  savedDir: string | null,
  primaryConninfo: string,
  slot: string,
): string {
  const d = shellQuote(dataDirOf(db));
  const auto = shellQuote(`${dataDirOf(db)}/postgresql.auto.conf`);
  const tmp = shellQuote(`${dataDirOf(db)}/postgresql.auto.conf.standby-tmp`);
  const b = savedDir !== null ? shellQuote(savedDir) : null;
  const lines = [
    `# standby settings written by Standby (rejoin)`,
    `primary_conninfo = ${confString(primaryConninfo)}`,
    `primary_slot_name = ${confString(slot)}`,
  ];
  return [
    'set -eu; umask 077',
    ...(b !== null
      ? [`for f in ${NODE_CONFIG_FILES.join(' ')}; do if [ -f ${b}/"$f" ]; then cp -p -- ${b}/"$f" ${d}/"$f"; fi; done`]
      : []),
    `touch -- ${auto}`,
    `{ grep -Ev '^[[:space:]]*(${REJOIN_STRIPPED_SETTINGS.join('|')})[[:space:]]*=' -- ${auto} || true; printf '%s\\n' ${lines.map(shellQuote).join(' ')}; } > ${tmp}`,
    `mv -f -- ${tmp} ${auto}`,
    `rm -f -- ${d}/recovery.signal; : > ${d}/standby.signal`,
    ...(b !== null ? [`rm -rf -- ${b}`] : []),
  ].join('; ');
}

/**
 * Classifies pg_rewind's failure output: true when a base backup is the remedy (the clusters
 * diverged beyond what rewind can fix, or the target lacks wal_log_hints/checksums or data).
 * Connection and authentication failures return false: a base backup would fail the same way.
 */
export function rewindImpossible(stderr: string): boolean {
  if (
    /could not connect|connection to server|password authentication failed|no pg_hba\.conf entry|fe_sendauth/i.test(
      stderr,
    )
  )
    return false;
  return true;
}

// ------------------------------------------------------------------------------------ plans

/** Labels of a node for planned commands: `where` as in its errors, `ssh` its site's SSH target (null when none). */
export interface PlanTarget {
  db: DatabaseConfig;
  where: string;
  ssh: string | null;
}

const sql = (t: PlanTarget, text: string, outcome?: string): OpCommand => ({
  kind: 'sql',
  target: t.where,
  text,
  ...(outcome ? { outcome } : {}),
});
const shell = (t: PlanTarget, text: string, outcome?: string): OpCommand => ({
  kind: 'shell',
  target: t.ssh ?? '(no SSH host configured)',
  text,
  ...(outcome ? { outcome } : {}),
});

/** Read-back statements of a fence (see verifyFencedPg). */
const FENCE_READBACK = [
  `SELECT pg_is_in_recovery() AS in_recovery, current_setting('default_transaction_read_only') AS default_ro`,
  'BEGIN',
  'CREATE TEMP TABLE standby_fence_probe (x int)',
  'ROLLBACK',
];

/**
 * The commands a fence will run, in order, for a plan (conditional ones say so in `outcome`).
 * Throws when a hard fence lacks `dataDir` (the step's plan should show that as a refusal).
 */
export function planFence(t: PlanTarget, mode: 'hard' | 'soft'): OpCommand[] {
  if (mode === 'hard') {
    return [
      shell(t, pgCtlStatusCommand(t.db), 'exit 3 (not running) → nothing to do'),
      shell(t, pgCtlStopCommand(t.db), 'only when running'),
      sql(t, FENCE_READBACK[0]!, 'read-back: must be refused'),
      shell(t, pgCtlStatusCommand(t.db), 'read-back: must say not running'),
    ];
  }
  return [
    sql(t, FENCE_READBACK[0]!, 'in recovery or already read-only → nothing to do'),
    ...SOFT_FENCE_SQL.map((s) => sql(t, s)),
    ...FENCE_READBACK.map((s, i) => sql(t, s, i === 2 ? 'read-back: must fail with SQLSTATE 25006' : undefined)),
  ];
}

/** The commands a promotion will run, in order, for a plan. */
export function planPromote(t: PlanTarget, waitSeconds: number): OpCommand[] {
  return [
    sql(t, 'SELECT pg_is_in_recovery() AS in_recovery', 'false → already a primary, nothing to do'),
    sql(t, promoteSql(waitSeconds)),
    sql(t, 'SELECT pg_is_in_recovery() AS in_recovery', 'read-back: must be false'),
    sql(t, PROMOTE_CHECK_SQL.create),
    sql(t, `${PROMOTE_CHECK_SQL.write} -- $1 = ${JSON.stringify(t.db.name)}`, 'read-back: must commit'),
  ];
}

/**
 * The commands a rejoin of `target` to `source` will run, in order, for a plan: the pg_rewind
 * path, then the base-backup fallback marked as such. Throws when `target` lacks `dataDir`.
 */
export function planRewind(
  target: PlanTarget,
  source: PlanTarget,
  method: 'auto' | 'base-backup' = 'auto',
): OpCommand[] {
  const slot = replicationSlotName(target.db);
  const primaryConninfo = conninfo({
    host: source.db.host,
    port: source.db.port,
    user: target.db.replicationUser ?? target.db.user,
    ...(target.db.replicationPassfile ? { passfile: target.db.replicationPassfile } : {}),
  });
  const srcInfo = conninfo({
    host: source.db.host,
    port: source.db.port,
    user: source.db.user,
    dbname: source.db.database,
  });
  const backup = shell(
    target,
    `${baseBackupCommand(target.db, primaryConninfo, slot)}  # stdin: secret, not shown`,
    method === 'auto' ? 'only if pg_rewind cannot work' : undefined,
  );
  return [
    sql(
      target,
      'SELECT pg_is_in_recovery() AS in_recovery, r.status, r.sender_host, r.sender_port, r.slot_name FROM (SELECT 1) one LEFT JOIN pg_stat_wal_receiver r ON true',
      `already streaming from ${source.db.name} → nothing to do; a running primary → refused`,
    ),
    sql(source, 'SELECT pg_is_in_recovery() AS in_recovery', 'must be false'),
    shell(target, pgCtlStatusCommand(target.db), 'must not run as a primary'),
    sql(source, 'CHECKPOINT'),
    sql(
      source,
      `SELECT slot_name FROM pg_create_physical_replication_slot($1, true) -- $1 = ${JSON.stringify(slot)}`,
      'unless the slot exists and is inactive',
    ),
    shell(target, saveConfigCommand(target.db)),
    ...(method === 'auto'
      ? [shell(target, `${rewindCommand(target.db, srcInfo)}  # stdin: secret, not shown`), backup]
      : [backup]),
    shell(target, standbyConfigCommand(target.db, '$SAVED_CONFIG_DIR', primaryConninfo, slot)),
    shell(target, startCommandFor(target.db)),
    sql(
      target,
      `SELECT slot_name FROM pg_replication_slots WHERE NOT active AND slot_type = 'physical' ORDER BY slot_name`,
      'each one dropped with pg_drop_replication_slot',
    ),
    sql(
      target,
      'SELECT … FROM pg_stat_wal_receiver',
      `read-back: streaming from ${source.db.host}:${source.db.port} through ${slot}`,
    ),
  ];
}
