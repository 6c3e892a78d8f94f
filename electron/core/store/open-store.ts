/**
 * The local SQLite database (node:sqlite, built into Node ≥ 22.5 and Electron ≥ 40's main
 * process — no native module). One file per workspace; schema changes are numbered migrations
 * applied in order inside a transaction, recorded in `schema_migrations`.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/** Ordered migrations. Append only: never edit one that has shipped. */
const migrations: { id: number; sql: string }[] = [
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
];

/**
 * Opens (creating if needed) the store at `path` and applies pending migrations.
 * @throws Error with a readable message when the file cannot be opened or is not a database.
 */
export function openStore(path: string): DatabaseSync {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  // WAL: readers (chart queries) never block the poller's writes; NORMAL sync is durable
  // across process crashes (only an OS crash can lose the last transactions).
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 2000;');
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const applied = new Set(
    (db.prepare('SELECT id FROM schema_migrations').all() as { id: number }[]).map((r) => r.id),
  );
  for (const m of migrations) {
    if (applied.has(m.id)) continue;
    db.exec('BEGIN');
    try {
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
