/** The CLI's recovery line after a run (electron/cli/run-commands.ts formatRecovery). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRecovery } from '../../../electron/cli/run-commands.ts';

test('names the basis: the first failed probe with its time (UTC), or run start', () => {
  const at = Date.UTC(2026, 2, 4, 12, 3, 4, 118);
  assert.equal(
    formatRecovery({
      recoveryMs: 4_230,
      recoveryFrom: 'first-failed-probe',
      recoveryStartedAt: at,
      rtoObjectiveSeconds: 60,
    }),
    'recovery 4.2 s from the first failed probe at 12:03:04.118 (RTO 60 s)',
  );
  assert.equal(
    formatRecovery({ recoveryMs: 1_300, recoveryFrom: 'run-start', recoveryStartedAt: at, rtoObjectiveSeconds: 60 }),
    'recovery 1.3 s from run start (RTO 60 s)',
  );
  assert.equal(
    formatRecovery({ recoveryMs: 75_400, recoveryFrom: 'run-start', recoveryStartedAt: at, rtoObjectiveSeconds: 60 }),
    'recovery 75 s from run start (RTO 60 s) — OVER the objective',
  );
});

test('measuring, or nothing to measure', () => {
  assert.match(
    formatRecovery({ recoveryMs: null, recoveryFrom: 'run-start', recoveryStartedAt: 1, rtoObjectiveSeconds: 60 }) ??
      '',
    /^recovery: still measuring \(from run start\)/,
  );
  assert.equal(
    formatRecovery({ recoveryMs: null, recoveryFrom: null, recoveryStartedAt: null, rtoObjectiveSeconds: 60 }),
    null,
  );
  assert.equal(
    formatRecovery({ recoveryMs: 900, recoveryFrom: null, recoveryStartedAt: null, rtoObjectiveSeconds: null }),
    'recovery 0.9 s',
  );
});
