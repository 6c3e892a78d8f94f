/**
 * The exact commands of the PostgreSQL mutations: quoting (paths with spaces and quotes, libpq
 * and postgresql.conf strings), defaults, and — run with the local /bin/sh on a temp directory —
 * what the config save/restore and standby-settings scripts really do to a data directory.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  baseBackupCommand,
  confString,
  conninfo,
  pgCtlStatusCommand,
  planFence,
  planPromote,
  planRewind,
  pgCtlStopCommand,
  promoteSql,
  replicationSlotName,
  rewindCommand,
  rewindImpossible,
  saveConfigCommand,
  standbyConfigCommand,
  startCommandFor,
} from '../../../electron/core/database/pg-commands.ts';

const db = { name: 'pg-primary', dataDir: '/srv/pg data/main', pgBin: '/usr/lib/postgresql/15/bin/' };

test('pg_ctl commands quote the data directory and use pgBin (trailing slash tolerated)', () => {
  assert.equal(pgCtlStatusCommand(db), `/usr/lib/postgresql/15/bin/pg_ctl -D '/srv/pg data/main' status`);
  assert.equal(pgCtlStopCommand(db), `/usr/lib/postgresql/15/bin/pg_ctl -D '/srv/pg data/main' -m fast -w -t 60 stop`);
  assert.equal(pgCtlStopCommand({ name: 'x', dataDir: '/d' }, 5), 'pg_ctl -D /d -m fast -w -t 5 stop');
  assert.throws(() => pgCtlStopCommand({ name: 'x' }), /has no dataDir/);
});

test('start command: the configured one verbatim, else pg_ctl start with a log file (so the SSH channel can close)', () => {
  assert.equal(
    startCommandFor({ ...db, startCommand: 'systemctl start postgresql@15-main' }),
    'systemctl start postgresql@15-main',
  );
  assert.equal(
    startCommandFor(db),
    `/usr/lib/postgresql/15/bin/pg_ctl -D '/srv/pg data/main' -l '/srv/pg data/main/standby-start.log' -w -t 60 start`,
  );
});

test('promote SQL bounds wait_seconds', () => {
  assert.equal(promoteSql(60), 'SELECT pg_promote(wait => true, wait_seconds => 60) AS promoted');
  assert.throws(() => promoteSql(0), RangeError);
  assert.throws(() => promoteSql(1.5), RangeError);
  assert.throws(() => promoteSql(3601), RangeError);
});

test('slot names: configured, else standby_<name> made slot-safe and ≤ 63 chars', () => {
  assert.equal(replicationSlotName({ name: 'pg-replica', replicationSlot: 'replica1' }), 'replica1');
  assert.equal(replicationSlotName({ name: 'PG-Primary.1' }), 'standby_pg_primary_1');
  assert.equal(replicationSlotName({ name: 'x'.repeat(64) }).length, 63);
});

test('libpq conninfo and postgresql.conf strings escape quotes and backslashes', () => {
  assert.equal(
    conninfo({ host: '127.0.0.3', port: 5432, user: 'replicator', passfile: '/tmp/pgpass' }),
    'host=127.0.0.3 port=5432 user=replicator passfile=/tmp/pgpass',
  );
  assert.equal(
    conninfo({ host: 'h', port: 1, user: "o'b", dbname: 'a b', passfile: 'C:\\x' }),
    `host=h port=1 user='o\\'b' dbname='a b' passfile='C:\\\\x'`,
  );
  assert.equal(confString(`host=h passfile='/a b'`), `'host=h passfile=''/a b'''`);
  assert.equal(confString('a\\b'), `'a\\\\b'`);
});

test('pg_rewind: password on stdin, never in the command; no -R', () => {
  const c = rewindCommand(db, conninfo({ host: '127.0.0.3', port: 5432, user: 'postgres', dbname: 'app' }));
  assert.equal(
    c,
    `IFS= read -r PGPASSWORD || true; export PGPASSWORD; /usr/lib/postgresql/15/bin/pg_rewind --target-pgdata='/srv/pg data/main' --source-server='host=127.0.0.3 port=5432 user=postgres dbname=app'`,
  );
  assert.doesNotMatch(c, / -R\b/);
});

test('base backup streams through the slot and keeps the old data', () => {
  const c = baseBackupCommand(db, 'host=127.0.0.3 port=5432 user=replicator', 'replica1');
  assert.match(
    c,
    /pg_basebackup -D '\/srv\/pg data\/main' -d 'host=127\.0\.0\.3 port=5432 user=replicator' -X stream -c fast -S replica1 -w$/,
  );
  assert.match(c, /standby-replaced/);
  assert.doesNotMatch(c, /rm -rf/);
});

test('rewind failures: connection/auth problems are not a reason for a base backup', () => {
  assert.equal(rewindImpossible('pg_rewind: error: could not find previous WAL record at 0/3000028'), true);
  assert.equal(
    rewindImpossible('pg_rewind: error: target server needs to use either data checksums or "wal_log_hints = on"'),
    true,
  );
  assert.equal(
    rewindImpossible(
      'pg_rewind: error: could not connect to server: connection to server at "127.0.0.3", port 5432 failed: FATAL:  password authentication failed for user "postgres"',
    ),
    false,
  );
});

/** Runs a command with the local POSIX shell; returns stdout. */
function sh(command: string, stdin = ''): string {
  return execFileSync('/bin/sh', ['-c', command], {
    input: stdin,
    encoding: 'utf8',
    env: { ...process.env, TMPDIR: scratch },
  });
}
const scratch = mkdtempSync(join(tmpdir(), 'standby-pgcmd-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

test('save → (rewind copies the source config) → standby settings: own config back, soft fence and old standby settings gone', () => {
  const data = join(scratch, "data dir's");
  mkdirSync(data, { mode: 0o700 });
  const node = { name: 'pg-primary', dataDir: data };
  writeFileSync(join(data, 'postgresql.conf'), 'port = 15432\n');
  writeFileSync(join(data, 'pg_hba.conf'), 'local all all trust\n');
  writeFileSync(
    join(data, 'postgresql.auto.conf'),
    "# Do not edit this file manually!\ndefault_transaction_read_only = 'on'\nwork_mem = '8MB'\n  primary_conninfo = 'host=old'\nprimary_slot_name = 'old'\n",
  );
  writeFileSync(join(data, 'recovery.signal'), '');
  const saved = sh(saveConfigCommand(node)).trim();
  assert.ok(
    existsSync(join(saved, 'postgresql.conf')) &&
      existsSync(join(saved, 'postgresql.auto.conf')) &&
      !existsSync(join(saved, 'pg_ident.conf')),
  );
  // what pg_rewind does: the source's config files replace ours
  writeFileSync(join(data, 'postgresql.conf'), 'port = 25432\n');
  writeFileSync(join(data, 'postgresql.auto.conf'), "primary_conninfo = 'host=source'\n");
  const info = conninfo({ host: '127.0.0.3', port: 5432, user: 'replicator', passfile: "/p q/it's" });
  sh(standbyConfigCommand(node, saved, info, 'standby_pg_primary'));
  assert.equal(readFileSync(join(data, 'postgresql.conf'), 'utf8'), 'port = 15432\n', 'own port back');
  const auto = readFileSync(join(data, 'postgresql.auto.conf'), 'utf8');
  assert.equal(
    auto,
    "# Do not edit this file manually!\nwork_mem = '8MB'\n# standby settings written by Standby (rejoin)\n" +
      `primary_conninfo = 'host=127.0.0.3 port=5432 user=replicator passfile=''/p q/it\\\\''s'''\n` +
      "primary_slot_name = 'standby_pg_primary'\n",
  );
  assert.ok(existsSync(join(data, 'standby.signal')));
  assert.ok(!existsSync(join(data, 'recovery.signal')));
  assert.ok(!existsSync(saved), 'the saved copy is removed');
});

test('standby settings without a saved copy (fresh base backup into an empty directory) still write the settings', () => {
  const data = join(scratch, 'fresh');
  mkdirSync(data, { mode: 0o700 });
  sh(standbyConfigCommand({ name: 'n', dataDir: data }, null, 'host=a', 's1'));
  assert.match(
    readFileSync(join(data, 'postgresql.auto.conf'), 'utf8'),
    /^# standby settings written by Standby \(rejoin\)\nprimary_conninfo = 'host=a'\nprimary_slot_name = 's1'\n$/,
  );
});

test('plans list the commands the operations run, in order, with their conditions', () => {
  const dbc = (name: string, host: string, extra = {}) => ({
    name,
    site: name,
    engine: 'postgresql' as const,
    host,
    port: 5432,
    database: 'app',
    user: 'postgres',
    password: { env: 'X' },
    viaSsh: true,
    dataDir: `/d/${name}`,
    ...extra,
  });
  const t = {
    db: dbc('old', '10.0.0.1', { replicationUser: 'replicator', replicationPassfile: '/p' }),
    where: 'database old',
    ssh: 'lab@10.0.0.1:22',
  };
  const s = { db: dbc('new', '10.0.0.2'), where: 'database new', ssh: 'lab@10.0.0.2:22' };
  assert.deepEqual(
    planFence(t, 'hard').map((c) => c.kind),
    ['shell', 'shell', 'sql', 'shell'],
  );
  assert.equal(planFence(t, 'soft')[1]?.text, 'ALTER SYSTEM SET default_transaction_read_only = on');
  assert.throws(() => planFence({ ...t, db: { ...t.db, dataDir: undefined } }, 'hard'), /has no dataDir/);
  assert.equal(planPromote(s, 10)[1]?.text, 'SELECT pg_promote(wait => true, wait_seconds => 10) AS promoted');
  const r = planRewind(t, s);
  assert.deepEqual(
    r.map((c) => c.target),
    [
      'database old',
      'database new',
      'lab@10.0.0.1:22',
      'database new',
      'database new',
      'lab@10.0.0.1:22',
      'lab@10.0.0.1:22',
      'lab@10.0.0.1:22',
      'lab@10.0.0.1:22',
      'lab@10.0.0.1:22',
      'database old',
      'database old',
    ],
  );
  assert.ok(
    r.some(
      (c) =>
        c.text.includes("primary_conninfo = ''host=10.0.0.2 port=5432 user=replicator passfile=/p''") ||
        c.text.includes('host=10.0.0.2 port=5432 user=replicator passfile=/p'),
    ),
  );
  assert.ok(!planRewind(t, s, 'base-backup').some((c) => c.text.includes('pg_rewind')));
});
