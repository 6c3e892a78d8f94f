/**
 * A store written by the previous version (migrations 1–2) upgrades in place to migration 3
 * (the recovery basis of runs): its runs, steps and samples are kept, recoveries measured before
 * the upgrade read as counted from the run's start (they were), and the new columns work.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openStore, storeMigrations } from '../../../electron/core/store/open-store.ts';
import { RunJournal } from '../../../electron/core/runbooks/run-journal.ts';

/** A store file as the version before migration 3 left it, with two finished runs in it. */
function oldStore(path: string): void {
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  for (const m of storeMigrations.filter((x) => x.id <= 2)) {
    db.exec(m.sql);
    db.prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)').run(m.id, 1);
  }
  const insert = db.prepare(
    'INSERT INTO runs (id, env, runbook_name, runbook_kind, runbook_json, plan_json, status, actor, created_at, finished_at, duration_ms, recovery_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const runbook = JSON.stringify({
    version: 1,
    name: 'failover',
    kind: 'failover',
    description: '',
    steps: [{ id: 'dns', kind: 'dns.set-records', params: {} }],
  });
  const plan = JSON.stringify({ planId: 'p', env: 'lab', runbook: { name: 'failover', kind: 'failover' }, steps: [] });
  insert.run(
    'measured',
    'lab',
    'failover',
    'failover',
    runbook,
    plan,
    'succeeded',
    'alice@ops',
    10_000,
    14_000,
    4_000,
    4_300,
  );
  insert.run(
    'unmeasured',
    'lab',
    'failover',
    'failover',
    runbook,
    plan,
    'aborted',
    'bob@ops',
    20_000,
    21_000,
    1_000,
    null,
  );
  db.prepare(
    "INSERT INTO run_steps (run_id, phase, idx, step_id, kind, state, attempts, acted) VALUES ('measured', 'run', 0, 'dns', 'dns.set-records', 'verified', 1, 1)",
  ).run();
  db.prepare(
    "INSERT INTO samples (env, metric, key, t, v) VALUES ('lab', 'replication-lag-bytes', 'pg-replica', 5, 42)",
  ).run();
  db.close();
}

test('a store from migrations 1–2 upgrades to 3, keeping runs, steps and samples', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-migrate-'));
  try {
    const path = join(dir, 'standby.sqlite');
    oldStore(path);
    const db = openStore(path);
    try {
      const ids = (db.prepare('SELECT id FROM schema_migrations ORDER BY id').all() as { id: number }[]).map(
        (r) => r.id,
      );
      assert.deepEqual(
        ids,
        storeMigrations.map((m) => m.id),
      );
      assert.ok(ids.includes(3));
      const j = new RunJournal(db);
      const runs = j.listRuns({ env: 'lab' });
      assert.deepEqual(
        runs.map((r) => r.id),
        ['unmeasured', 'measured'],
        'both runs kept, newest first',
      );
      const measured = j.getRun('measured')!;
      assert.equal(measured.recoveryMs, 4_300);
      assert.equal(
        measured.recoveryFrom,
        'run-start',
        'a recovery measured before the upgrade was counted from the run start',
      );
      assert.equal(measured.recoveryStartedAt, 10_000);
      assert.equal(measured.status, 'succeeded');
      assert.equal(measured.actor, 'alice@ops');
      const unmeasured = j.getRun('unmeasured')!;
      assert.equal(unmeasured.recoveryMs, null);
      assert.equal(unmeasured.recoveryFrom, null);
      assert.equal(unmeasured.recoveryStartedAt, null);
      assert.equal(j.steps('measured')[0]?.state, 'verified', 'steps kept');
      assert.equal((db.prepare('SELECT count(*) AS n FROM samples').get() as { n: number }).n, 1, 'samples kept');

      // the new columns are written and read back
      j.setRecoveryBasis('unmeasured', 'first-failed-probe', 18_500.4);
      j.setRecoveryMs('unmeasured', 3_250.6);
      const after = j.getRun('unmeasured')!;
      assert.deepEqual(
        [after.recoveryFrom, after.recoveryStartedAt, after.recoveryMs],
        ['first-failed-probe', 18_500, 3_251],
      );
    } finally {
      db.close();
    }
    // reopening applies nothing twice
    const again = openStore(path);
    try {
      assert.equal(
        (again.prepare('SELECT count(*) AS n FROM schema_migrations WHERE id = 3').get() as { n: number }).n,
        1,
      );
      assert.equal(new RunJournal(again).getRun('unmeasured')?.recoveryFrom, 'first-failed-probe');
    } finally {
      again.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a store from migrations 1–3 upgrades to 4 (step state): runs kept, state written, read back after reopening, deleted by undefined', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-migrate-'));
  try {
    const path = join(dir, 'standby.sqlite');
    oldStore(path);
    openStore(path).close(); // applies 3 and 4 — then pretend 4 was not there yet
    const v3 = new DatabaseSync(path);
    v3.exec('DROP TABLE step_state; DELETE FROM schema_migrations WHERE id = 4');
    v3.close();
    const db = openStore(path);
    try {
      assert.deepEqual(
        (db.prepare('SELECT id FROM schema_migrations ORDER BY id').all() as { id: number }[]).map((r) => r.id),
        storeMigrations.map((m) => m.id),
      );
      const j = new RunJournal(db);
      assert.equal(j.getRun('measured')?.status, 'succeeded', 'runs kept');
      const state = j.stepState('measured', 'run', 'dns', () => 1_000);
      assert.equal(state.get('deadline'), undefined);
      state.set('deadline', 31_000);
      state.set('last', { exitCode: 0, lines: ['a'] });
      j.stepState('measured', 'rollback', 'dns').set('deadline', 1);
      assert.equal(state.get<number>('deadline'), 31_000);
      state.set('deadline', 32_000);
      assert.equal(j.stepStateValue('measured', 'run', 'dns', 'deadline'), 32_000, 'set replaces');
      assert.equal(j.stepStateValue('measured', 'rollback', 'dns', 'deadline'), 1, 'per phase');
    } finally {
      db.close();
    }
    const reopened = openStore(path);
    try {
      const state = new RunJournal(reopened).stepState('measured', 'run', 'dns');
      assert.equal(state.get('deadline'), 32_000, 'durable across a reopen');
      assert.deepEqual(state.get('last'), { exitCode: 0, lines: ['a'] });
      state.set('last', undefined);
      assert.equal(state.get('last'), undefined);
    } finally {
      reopened.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
