/**
 * The local SQLite database (node:sqlite, built into Node ≥ 22.5 and Electron ≥ 40's main
 * process — no native module). One file per workspace; schema changes are numbered migrations
 * applied in order inside a transaction, recorded in `schema_migrations`.
 */
import { chmodSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/**
 * Ordered migrations. Append only: never edit one that has shipped. Exported so a test can
 * build a store as an older version left it and check the upgrade.
 */
export const storeMigrations: readonly { readonly id: number; readonly sql: string }[] = [
  {
    id: 1,
    sql: `
      CREATE TABLE samples (
        env    TEXT    NOT NULL,
        metric TEXT    NOT NULL,
        key    TEXT    NOT NULL,
        t      INTEGER NOT NULL,  -- epoch ms
        v      REAL               -- NULL = no data (unknown) at that time
      );
      CREATE INDEX samples_series ON samples (env, metric, key, t);
      CREATE INDEX samples_t ON samples (t);
    `,
  },
  {
    // Runbook runs (electron/core/runbooks/): the durable journal, the per-environment lock and
    // the anchor of the hash-chained audit file. Times are epoch ms, durations ms.
    id: 2,
    sql: `
      CREATE TABLE runs (
        id              TEXT    PRIMARY KEY,
        env             TEXT    NOT NULL,
        runbook_name    TEXT    NOT NULL,
        runbook_kind    TEXT    NOT NULL,
        runbook_json    TEXT    NOT NULL,  -- the validated runbook the run executes
        plan_json       TEXT    NOT NULL,  -- the plan the operator confirmed
        status          TEXT    NOT NULL,  -- running|paused|succeeded|failed|aborted|rolling-back|rolled-back|rollback-failed
        pause_reason    TEXT,              -- approval|safety|step-failed (when paused)
        detail          TEXT,              -- why it paused / failed, in words
        actor           TEXT    NOT NULL,
        overrides_json  TEXT    NOT NULL DEFAULT '[]',
        abort_requested INTEGER NOT NULL DEFAULT 0,
        created_at      INTEGER NOT NULL,
        finished_at     INTEGER,
        duration_ms     INTEGER,
        recovery_ms     INTEGER            -- measured recovery time, set by the RTO measurement
      );
      CREATE INDEX runs_env ON runs (env, created_at);
      CREATE TABLE run_steps (
        run_id        TEXT    NOT NULL REFERENCES runs (id),
        phase         TEXT    NOT NULL,   -- run | rollback
        idx           INTEGER NOT NULL,
        step_id       TEXT    NOT NULL,
        kind          TEXT    NOT NULL,
        state         TEXT    NOT NULL,   -- pending|awaiting-approval|acting|verifying|verified|failed|skipped
        attempts      INTEGER NOT NULL DEFAULT 0,
        acted         INTEGER NOT NULL DEFAULT 0,
        started_at    INTEGER,
        finished_at   INTEGER,
        duration_ms   INTEGER,
        evidence      TEXT,
        error_json    TEXT,
        plan_json     TEXT,
        verdicts_json TEXT,
        approved_by   TEXT,
        approved_at   INTEGER,
        PRIMARY KEY (run_id, phase, step_id)
      );
      CREATE TABLE step_logs (
        run_id  TEXT    NOT NULL,
        phase   TEXT    NOT NULL,
        step_id TEXT    NOT NULL,
        t       INTEGER NOT NULL,
        level   TEXT    NOT NULL,
        message TEXT    NOT NULL
      );
      CREATE INDEX step_logs_step ON step_logs (run_id, phase, step_id, t);
      CREATE TABLE env_locks (
        env          TEXT    PRIMARY KEY,
        run_id       TEXT    NOT NULL,
        holder_pid   INTEGER,             -- NULL while the run is paused (no process acts)
        holder_host  TEXT    NOT NULL,
        state        TEXT    NOT NULL,    -- active | paused
        started_at   INTEGER NOT NULL,
        heartbeat_at INTEGER NOT NULL
      );
      CREATE TABLE audit_head (
        file TEXT    PRIMARY KEY,         -- absolute path of the audit JSON-lines file (a name since migration 5)
        seq  INTEGER NOT NULL,
        hash TEXT    NOT NULL
      );
    `,
  },
  {
    // Where a run's measured recovery starts (run-journal.ts, run-service.ts): the run's start,
    // or the first failed probe of the site traffic left when a failure triggered the run.
    // Every recovery measured before this migration was counted from the run's start.
    id: 3,
    sql: `
      ALTER TABLE runs ADD COLUMN recovery_from TEXT;          -- run-start | first-failed-probe
      ALTER TABLE runs ADD COLUMN recovery_started_at INTEGER;  -- epoch ms the recovery is counted from
      UPDATE runs SET recovery_from = 'run-start', recovery_started_at = created_at WHERE recovery_ms IS NOT NULL;
    `,
  },
  {
    // Durable per-step state of the step kinds (StepContext.state, run-journal.ts): what a step
    // must still know after the process died mid-step, e.g. the deadline of a TTL drain.
    id: 4,
    sql: `
      CREATE TABLE step_state (
        run_id     TEXT    NOT NULL,
        phase      TEXT    NOT NULL,   -- run | rollback
        step_id    TEXT    NOT NULL,
        key        TEXT    NOT NULL,
        value_json TEXT    NOT NULL,
        updated_at INTEGER NOT NULL,   -- epoch ms
        PRIMARY KEY (run_id, phase, step_id, key)
      );
    `,
  },
  {
    // Audit head (audit-log.ts): keyed by the audit file's NAME, not its absolute path, so a moved
    // workspace still verifies; signed_from = seq of the first Ed25519-signed entry (NULL: none yet).
    id: 5,
    sql: `
      UPDATE audit_head SET file = substr(file, length(rtrim(file, replace(file, '/', ''))) + 1);
      UPDATE audit_head SET file = substr(file, length(rtrim(file, replace(file, '\\', ''))) + 1);
      ALTER TABLE audit_head ADD COLUMN signed_from INTEGER;
    `,
  },
];

/**
 * Opens (creating if needed) the store at `path` and applies pending migrations. The file (and
 * its `-wal`/`-shm` companions) is mode 0600; a directory it creates is 0700 (see
 * {@link prepareStoreFiles}).
 * @throws Error with a readable message when the file cannot be opened or is not a database, or
 *         when its directory is writable by other users.
 */
export function openStore(path: string): DatabaseSync {
  if (path !== ':memory:') prepareStoreFiles(path);
  const db = new DatabaseSync(path);
  // WAL: readers (chart queries) never block the poller's writes; NORMAL sync is durable
  // across process crashes (only an OS crash can lose the last transactions).
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 2000;');
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const applied = new Set((db.prepare('SELECT id FROM schema_migrations').all() as { id: number }[]).map((r) => r.id));
  for (const m of storeMigrations) {
    if (applied.has(m.id)) continue;
    // IMMEDIATE + a second look: two processes opening an old store at once (the console and a
    // CLI run) apply each migration once — a second ALTER TABLE ADD COLUMN would fail.
    db.exec('BEGIN IMMEDIATE');
    try {
      if (db.prepare('SELECT 1 FROM schema_migrations WHERE id = ?').get(m.id)) {
        db.exec('COMMIT');
        continue;
      }
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)').run(m.id, Date.now());
      db.exec('COMMIT');
    } catch (e) {
      db.exec('ROLLBACK');
      throw new Error(`store migration ${m.id} failed on ${path}: ${(e as Error).message}`, { cause: e });
    }
  }
  return db;
}

/**
 * Makes the store's directory and file private before SQLite opens it. The store holds the run
 * journal, the lock and the audit head: another user who can read it learns the topology and
 * every run; one who can write it (or replace it) forges history.
 *
 * Directories: one Standby creates is made 0700. An existing directory is the user's choice
 * (often the project folder holding the workspace) and is never chmod'ed behind their back:
 * readable by others is accepted (the files in it are 0600), but writable by others without the
 * sticky bit is refused, since anyone could then swap the store or the audit log for their own.
 * Files: created 0600; an existing file of ours with a looser mode is tightened to 0600 (SQLite
 * gives new `-wal`/`-shm` files the mode of the database file).
 * @throws Error naming the directory, its mode and the fix; or the fs error (e.g. EPERM on a file
 *         owned by another user).
 */
export function prepareStoreFiles(path: string): void {
  const dir = dirname(path);
  const created = mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (process.platform === 'win32') return; // ACLs, not mode bits, decide who may write
  if (created !== undefined)
    chmodSync(dir, 0o700); // ours: whatever the umask left
  else {
    const mode = statSync(dir).mode;
    if ((mode & 0o022) !== 0 && (mode & 0o1000) === 0)
      throw new Error(
        `the store directory ${dir} is writable by other users (mode ${(mode & 0o7777).toString(8).padStart(4, '0')}): ` +
          `they could replace the store or the audit log. Fix: chmod go-w ${dir}, or set store.path to a private directory`,
      );
  }
  const fd = openSync(path, 'a', 0o600);
  try {
    if ((fstatSync(fd).mode & 0o077) !== 0) chmodSync(path, 0o600);
  } finally {
    closeSync(fd);
  }
  for (const side of [`${path}-wal`, `${path}-shm`])
    if (existsSync(side) && (statSync(side).mode & 0o077) !== 0) chmodSync(side, 0o600);
}
