import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attentionOf, continueActionFor, historyRow } from '../../../../../renderer/src/features/runs/run-history.ts';
import type { LockInfo, RunSummary } from '../../../../../shared/runs/run-summary.ts';

const lock = (extra: Partial<LockInfo> = {}): LockInfo => ({
  env: 'lab',
  held: true,
  runId: 'r1',
  holder: '42@ops',
  since: 1,
  stale: false,
  staleReason: null,
  ...extra,
});
const free: LockInfo = {
  env: 'lab',
  held: false,
  runId: null,
  holder: null,
  since: null,
  stale: false,
  staleReason: null,
};

test('a running run whose lock is held live by it is not interrupted', () => {
  assert.equal(attentionOf({ runId: 'r1', status: 'running' }, lock(), false), null);
});

test('a running run without a live lock is interrupted (crash), unless this page drives it', () => {
  assert.equal(attentionOf({ runId: 'r1', status: 'running' }, free, false), 'interrupted');
  assert.equal(
    attentionOf({ runId: 'r1', status: 'running' }, lock({ stale: true, staleReason: 'pid gone' }), false),
    'interrupted',
  );
  assert.equal(attentionOf({ runId: 'r1', status: 'running' }, lock({ runId: 'r2' }), false), 'interrupted');
  assert.equal(attentionOf({ runId: 'r1', status: 'rolling-back' }, free, false), 'interrupted');
  assert.equal(attentionOf({ runId: 'r1', status: 'running' }, free, true), null);
  assert.equal(attentionOf({ runId: 'r1', status: 'running' }, null, false), null, 'lock not read yet');
});

test('paused runs need a person; finished ones do not', () => {
  assert.equal(attentionOf({ runId: 'r1', status: 'paused' }, lock(), false), 'paused');
  for (const status of ['succeeded', 'failed', 'aborted', 'rolled-back', 'rollback-failed'] as const)
    assert.equal(attentionOf({ runId: 'r1', status }, free, false), null);
  assert.equal(continueActionFor('running'), 'resume');
  assert.equal(continueActionFor('rolling-back'), 'rollback');
});

test('history rows: duration, measured recovery vs RTO', () => {
  const now = Date.now();
  const r: RunSummary = {
    runId: 'r1',
    env: 'lab',
    runbook: 'failover',
    kind: 'failover',
    status: 'succeeded',
    pauseReason: null,
    detail: null,
    actor: 'alice@ops',
    createdAt: now - 10_000,
    finishedAt: now - 5_800,
    durationMs: 4_200,
    recoveryMs: 3_900,
    recoveryFrom: null,
    recoveryStartedAt: null,
    rtoObjectiveSeconds: 60,
  };
  const row = historyRow(r, now);
  assert.equal(row.duration, '4.2 s');
  assert.equal(row.recovery.text, '3.9 s of 60 s RTO');
  assert.equal(row.recovery.state, 'ok');
  assert.equal(row.recovery.fromText, null, 'a run without a stored basis says none');
  assert.equal(historyRow({ ...r, recoveryMs: 90_000 }, now).recovery.state, 'breach');
  assert.equal(historyRow({ ...r, kind: 'blue-green', recoveryMs: null }, now).recovery.state, 'not-applicable');
  assert.equal(historyRow({ ...r, status: 'paused', finishedAt: null, durationMs: null }, now).duration, 'paused');
});

test('history rows say what the recovery counts from: run start, or the first failed probe (with its time)', () => {
  const now = new Date(2026, 2, 4, 12, 5, 0).getTime();
  const base: RunSummary = {
    runId: 'r1',
    env: 'lab',
    runbook: 'failover',
    kind: 'failover',
    status: 'succeeded',
    pauseReason: null,
    detail: null,
    actor: 'alice@ops',
    createdAt: now - 60_000,
    finishedAt: now - 55_000,
    durationMs: 5_000,
    recoveryMs: 6_300,
    recoveryFrom: 'run-start',
    recoveryStartedAt: now - 60_000,
    rtoObjectiveSeconds: 60,
  };
  const fromStart = historyRow(base, now).recovery;
  assert.equal(fromStart.from, 'run-start');
  assert.equal(fromStart.fromText, 'from run start');
  assert.equal(fromStart.text, '6.3 s of 60 s RTO', 'the figure itself is unchanged');
  const failedAt = new Date(2026, 2, 4, 12, 3, 4).getTime();
  const fromProbe = historyRow(
    { ...base, recoveryFrom: 'first-failed-probe', recoveryStartedAt: failedAt, recoveryMs: 9_100 },
    now,
  ).recovery;
  assert.equal(fromProbe.from, 'first-failed-probe');
  assert.equal(fromProbe.fromText, 'from the first failed probe at 12:03:04');
  assert.match(fromProbe.detail, /first failed probe .*12:03:04\.000/);
  const measuring = historyRow(
    {
      ...base,
      status: 'running',
      finishedAt: null,
      durationMs: null,
      recoveryMs: null,
      recoveryFrom: 'first-failed-probe',
      recoveryStartedAt: failedAt,
    },
    now,
  ).recovery;
  assert.equal(measuring.state, 'measuring');
  assert.equal(measuring.from, 'first-failed-probe', 'the basis is known while measuring');
  assert.equal(measuring.fromText, null, 'no basis words without a figure');
});
