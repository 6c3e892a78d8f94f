import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectSplitBrain } from '../../../electron/core/monitor/detect-split-brain.ts';
import type { DbNodeStatus } from '../../../shared/status.ts';

const node = (
  name: string,
  site: string,
  role: DbNodeStatus['role'],
  state: DbNodeStatus['state'] = 'ok',
): DbNodeStatus => ({
  name,
  site,
  engine: 'postgresql',
  state,
  role,
  walReceiver: null,
  lagBytes: null,
  lagSeconds: null,
  replayPaused: null,
  viaSsh: true,
  observedAt: 1,
  lastGoodAt: 1,
});

test('one primary and a replica: no split brain', () => {
  assert.equal(
    detectSplitBrain([node('pg-primary', 'primary', 'primary'), node('pg-replica', 'failover', 'replica')]),
    null,
  );
});

test('two writable nodes: split brain, naming both and what to do', () => {
  const sb = detectSplitBrain([node('pg-primary', 'primary', 'primary'), node('pg-replica', 'failover', 'primary')]);
  assert.ok(sb);
  assert.deepEqual(sb.nodes, ['pg-primary', 'pg-replica']);
  assert.match(sb.detail, /pg-primary \(site primary\) and pg-replica \(site failover\) both accept writes/);
  assert.match(sb.detail, /db\.fence/);
});

test('a node whose role is unknown is not counted as writable (it shows unknown, and safety treats it as a possible primary)', () => {
  assert.equal(
    detectSplitBrain([node('pg-primary', 'primary', 'unknown', 'unknown'), node('pg-replica', 'failover', 'primary')]),
    null,
  );
});
