/** Which instant a failover's recovery time counts from (electron/core/runbooks/recovery-basis.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recoveryBasis, recoveryBasisOfMoves } from '../../../electron/core/runbooks/recovery-basis.ts';
import type { EnvironmentSnapshot } from '../../../shared/status.ts';
import { labSnapshot, type SnapshotOptions } from './fakes.ts';

const RUN_START = 50_000;

/** The lab snapshot with the primary entry's failure streak starting at `failingSince`. */
function snap(o: SnapshotOptions, failingSince: number | null): EnvironmentSnapshot {
  const s = labSnapshot(o);
  const primary = s.sites.find((x) => x.name === 'primary')!;
  primary.entry = { ...primary.entry, failingSince };
  return s;
}

test('from-site entry unhealthy with a failure streak: first-failed-probe at failingSince', () => {
  const b = recoveryBasis(snap({ primary: { state: 'unhealthy' } }, 41_200), 'app.lab.test', 'failover', RUN_START);
  assert.equal(b.from, 'first-failed-probe');
  assert.equal(b.startedAt, 41_200);
  assert.equal(b.fromSite, 'primary');
  assert.match(b.reason, /primary/);
});

test('from-site healthy: run-start at the run start', () => {
  const b = recoveryBasis(snap({}, null), 'app.lab.test', 'failover', RUN_START);
  assert.deepEqual([b.from, b.startedAt, b.fromSite], ['run-start', RUN_START, 'primary']);
});

test('from-site healthy although one probe just failed (below the threshold): run-start', () => {
  const b = recoveryBasis(snap({}, 49_000), 'app.lab.test', 'failover', RUN_START);
  assert.equal(b.from, 'run-start');
});

test('from-site entry unknown (not observed yet, or no verdict): run-start', () => {
  const b = recoveryBasis(snap({ primary: { state: 'unknown' } }, 45_000), 'app.lab.test', 'failover', RUN_START);
  assert.equal(b.from, 'run-start');
  assert.equal(b.startedAt, RUN_START);
  assert.equal(recoveryBasis(null, 'app.lab.test', 'failover', RUN_START).from, 'run-start', 'no snapshot at all');
});

test('the record already points at the target site: run-start (that site failing did not start this move)', () => {
  const s = snap({ primary: { state: 'unhealthy' } }, 41_200);
  const b = recoveryBasis(s, 'app.lab.test', 'primary', RUN_START);
  assert.equal(b.from, 'run-start');
  assert.equal(b.startedAt, RUN_START);
});

test('DNS not agreed (pointsTo null) or another record: run-start', () => {
  assert.equal(
    recoveryBasis(
      snap({ primary: { state: 'unhealthy' }, dnsPointsTo: null }, 41_200),
      'app.lab.test',
      'failover',
      RUN_START,
    ).from,
    'run-start',
  );
  assert.equal(
    recoveryBasis(snap({ primary: { state: 'unhealthy' } }, 41_200), 'api.lab.test', 'failover', RUN_START).from,
    'run-start',
  );
});

test('unhealthy without failingSince, or failing only since after the run started: run-start', () => {
  assert.equal(
    recoveryBasis(snap({ primary: { state: 'unhealthy' } }, null), 'app.lab.test', 'failover', RUN_START).from,
    'run-start',
  );
  const late = recoveryBasis(
    snap({ primary: { state: 'unhealthy' } }, RUN_START + 1),
    'app.lab.test',
    'failover',
    RUN_START,
  );
  assert.equal(late.from, 'run-start');
  assert.match(late.reason, /after the run started/);
  const same = recoveryBasis(
    snap({ primary: { state: 'unhealthy' } }, RUN_START),
    'app.lab.test',
    'failover',
    RUN_START,
  );
  assert.equal(same.from, 'first-failed-probe', 'a failure at the very instant counts');
});

test('a streak recorded earlier in the store (another console watched longer) moves the start back; a later one does not', () => {
  const s = snap({ primary: { state: 'unhealthy' } }, 41_200);
  const entryId = s.sites.find((x) => x.name === 'primary')!.entry.id;
  const asked: string[] = [];
  const b = recoveryBasis(s, 'app.lab.test', 'failover', RUN_START, (id) => (asked.push(id), 30_000));
  assert.deepEqual(asked, [entryId], 'asks about the from-site entry probe');
  assert.equal(b.from, 'first-failed-probe');
  assert.equal(b.startedAt, 30_000);
  assert.match(b.reason, /recorded by a console that was watching/);
  assert.equal(
    recoveryBasis(s, 'app.lab.test', 'failover', RUN_START, () => 45_000).startedAt,
    41_200,
    'this console saw it first',
  );
  assert.equal(
    recoveryBasis(snap({}, null), 'app.lab.test', 'failover', RUN_START, () => 30_000).from,
    'run-start',
    'a healthy site is never a failure, whatever the store says',
  );
});

test('several records moved: the earliest first failed probe among them, else the last move run-start', () => {
  const moves = [
    { record: 'app.lab.test', toSite: 'failover' },
    { record: 'other.lab.test', toSite: 'failover' },
  ];
  const failing = recoveryBasisOfMoves(snap({ primary: { state: 'unhealthy' } }, 41_200), moves, RUN_START);
  assert.deepEqual(
    [failing.from, failing.startedAt],
    ['first-failed-probe', 41_200],
    'app.lab.test pointed at the failing primary',
  );
  const healthy = recoveryBasisOfMoves(snap({}, null), moves, RUN_START);
  assert.equal(healthy.from, 'run-start');
  assert.match(healthy.reason, /other\.lab\.test/, 'the last move decides when no site was failing');
  assert.throws(() => recoveryBasisOfMoves(null, [], RUN_START), /no record is moved/);
});
