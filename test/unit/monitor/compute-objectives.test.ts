import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeRpo, computeRto } from '../../../electron/core/monitor/compute-objectives.ts';
import { parseWorkspace } from '../../../electron/core/config/load-workspace.ts';
import { validWorkspaceYaml } from '../config/valid-workspace.ts';
import type { DbNodeStatus, DnsRecordStatus } from '../../../shared/status.ts';

const loaded = parseWorkspace(validWorkspaceYaml, 'ws.yaml');
if (!loaded.ok) throw new Error('fixture workspace must be valid');
const env = loaded.workspace.environments[0]!;

const node = (over: Partial<DbNodeStatus>): DbNodeStatus => ({
  name: 'pg-replica',
  site: 'failover',
  engine: 'postgresql',
  state: 'ok',
  role: 'replica',
  walReceiver: 'streaming',
  lagBytes: 0,
  lagSeconds: 0,
  replayPaused: false,
  viaSsh: true,
  observedAt: 1,
  lastGoodAt: 1,
  ...over,
});
const primary = node({
  name: 'pg-primary',
  site: 'primary',
  role: 'primary',
  walReceiver: null,
  lagBytes: null,
  lagSeconds: null,
});

test('RPO is ok within objective and breached past it, with the numbers in the explanation', () => {
  const okR = computeRpo(env, [primary, node({ lagSeconds: 1.5, lagBytes: 2048 })]);
  assert.equal(okR.verdict, 'ok');
  assert.equal(okR.nowSeconds, 1.5);
  assert.match(okR.explanation, /1\.5 s \(2\.0 KiB\)/);
  const bad = computeRpo(env, [primary, node({ lagSeconds: 12, lagBytes: 5_000_000, replayPaused: true })]);
  assert.equal(bad.verdict, 'breach');
  assert.match(bad.explanation, /PAUSED/);
});

test('RPO is unknown (never ok) when a node cannot be read', () => {
  const r = computeRpo(env, [
    primary,
    node({ state: 'unknown', role: 'unknown', reason: 'ssh: connect ECONNREFUSED', lagSeconds: null }),
  ]);
  assert.equal(r.verdict, 'unknown');
  assert.match(r.explanation, /ECONNREFUSED/);
});

const rec = (ttl: number | null): DnsRecordStatus => ({
  name: 'app.lab.test',
  type: 'A',
  normalTtlSeconds: 30,
  failoverTtlSeconds: 5,
  providers: [],
  flags: [],
  pointsTo: 'primary',
  maxServedTtlSeconds: ttl,
});

test('RTO estimate = detection + runbook + longest served TTL', () => {
  const r = computeRto(env, [rec(30)]);
  // detection (worst case): 1000 ms interval + 800 ms timeout + (250 ms confirm + 800 ms timeout) = 2.85 s; runbook 10 s; TTL 30 s
  assert.equal(r.estimateSeconds, 42.85);
  assert.equal(r.verdict, 'ok');
  assert.deepEqual(r.parts, { detectionSeconds: 2.85, runbookSeconds: 10, dnsTtlSeconds: 30 });
  assert.equal(computeRto(env, [rec(3600)]).verdict, 'breach');
});

test('RTO is unknown when a served TTL is unknown', () => {
  const r = computeRto(env, [rec(null)]);
  assert.equal(r.verdict, 'unknown');
  assert.equal(r.estimateSeconds, null);
});
