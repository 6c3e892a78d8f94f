import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attentionOf, continueActionFor, historyRow } from '../../../renderer/src/lib/run-history.ts';
import type { LockInfo, RunSummary } from '../../../shared/runs/run-summary.ts';

const lock = (extra: Partial<LockInfo> = {}): LockInfo => ({ env: 'lab', held: true, runId: 'r1', holder: '42@ops', since: 1, stale: false, staleReason: null, ...extra });
const free: LockInfo = { env: 'lab', held: false, runId: null, holder: null, since: null, stale: false, staleReason: null };

test('a running run whose lock is held live by it is not interrupted', () => {
  assert.equal(attentionOf({ runId: 'r1', status: 'running' }, lock(), false), null);
});

test('a running run without a live lock is interrupted (crash), unless this page drives it', () => {
  assert.equal(attentionOf({ runId: 'r1', status: 'running' }, free, false), 'interrupted');
  assert.equal(attentionOf({ runId: 'r1', status: 'running' }, lock({ stale: true, staleReason: 'pid gone' }), false), 'interrupted');
  assert.equal(attentionOf({ runId: 'r1', status: 'running' }, lock({ runId: 'r2' }), false), 'interrupted');
  assert.equal(attentionOf({ runId: 'r1', status: 'rolling-back' }, free, false), 'interrupted');
  assert.equal(attentionOf({ runId: 'r1', status: 'running' }, free, true), null);
  assert.equal(attentionOf({ runId: 'r1', status: 'running' }, null, false), null, 'lock not read yet');
});

test('paused runs need a person; finished ones do not', () => {
  assert.equal(attentionOf({ runId: 'r1', status: 'paused' }, lock(), false), 'paused');
  for (const status of ['succeeded', 'failed', 'aborted', 'rolled-back', 'rollback-failed'] as const) assert.equal(attentionOf({ runId: 'r1', status }, free, false), null);
  assert.equal(continueActionFor('running'), 'resume');
  assert.equal(continueActionFor('rolling-back'), 'rollback');
});

test('history rows: duration, measured recovery vs RTO', () => {
  const now = Date.now();
  const r: RunSummary = { runId: 'r1', env: 'lab', runbook: 'failover', kind: 'failover', status: 'succeeded', pauseReason: null, detail: null, actor: 'alice@ops', createdAt: now - 10_000, finishedAt: now - 5_800, durationMs: 4_200, recoveryMs: 3_900, rtoObjectiveSeconds: 60 };
  const row = historyRow(r, now);
  assert.equal(row.duration, '4.2 s');
  assert.equal(row.recovery.text, '3.9 s of 60 s RTO');
  assert.equal(row.recovery.state, 'ok');
  assert.equal(historyRow({ ...r, recoveryMs: 90_000 }, now).recovery.state, 'breach');
  assert.equal(historyRow({ ...r, kind: 'blue-green', recoveryMs: null }, now).recovery.state, 'not-applicable');
  assert.equal(historyRow({ ...r, status: 'paused', finishedAt: null, durationMs: null }, now).duration, 'paused');
});
