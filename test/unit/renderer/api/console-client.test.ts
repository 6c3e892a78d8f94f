/**
 * The renderer's client with fakes in place of the browser's WebSocket and fetch: contract
 * derivation, event validation, reconnect with backoff, and the "auth refused" state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { consoleMethodNames } from '../../../../shared/contract/index.ts';
import { createWsClient, deriveApi, type ConnectionStatus } from '../../../../renderer/src/api/console-client.ts';

class FakeWs {
  static readonly OPEN = 1;
  static instances: FakeWs[] = [];
  url: string;
  readyState = 0;
  sent: string[] = [];
  onopen: ((e: unknown) => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: ((e: { code: number; reason: string }) => void) | null = null;
  constructor(url: string) {
    this.url = url;
    FakeWs.instances.push(this);
  }
  send(data: string): void {
    this.sent.push(data);
  }
  close(code = 1000, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(msg: unknown): void {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
}

const tick = (ms = 15) => new Promise((r) => setTimeout(r, ms));
const fastBackoff = { baseMs: 1, maxMs: 5, factor: 2, jitter: 0 };

function client(fetchStatus = 200) {
  FakeWs.instances = [];
  const states: ConnectionStatus[] = [];
  const c = createWsClient({
    url: 'ws://127.0.0.1:7420/ws?token=t',
    backoff: fastBackoff,
    callTimeoutMs: 200,
    WebSocketImpl: FakeWs as unknown as typeof WebSocket,
    fetchImpl: (async () => ({ status: fetchStatus })) as unknown as typeof fetch,
  });
  c.onConnection((s) => states.push(s));
  return { c, states, ws: () => FakeWs.instances[FakeWs.instances.length - 1]! };
}

test('deriveApi has exactly the contract methods and checks arguments before the transport', async () => {
  const calls: [string, unknown][] = [];
  const api = deriveApi(async (m, a) => {
    calls.push([m, a]);
    return { ok: true, value: null };
  });
  assert.deepEqual(Object.keys(api).sort(), [...consoleMethodNames].sort());
  const bad = await api.getSnapshot({ env: 'no spaces allowed' });
  assert.equal(bad.ok, false);
  assert.equal(!bad.ok && bad.error.kind, 'invalid-input');
  assert.equal(calls.length, 0, 'invalid arguments never leave');
  await api.getSeries({ env: 'lab', metric: 'replication-lag-bytes', key: 'pg-replica', sinceMs: 0 });
  assert.deepEqual(
    calls[0],
    ['getSeries', { env: 'lab', metric: 'replication-lag-bytes', key: 'pg-replica', sinceMs: 0, maxPoints: 600 }],
    'defaults applied',
  );
});

test('a call is answered by the result with its id; events are validated before listeners see them', async () => {
  const { c, ws } = client();
  ws().open();
  const got: unknown[] = [];
  c.on('samples', (p) => got.push(p));
  const pending = c.api.getWorkspace({});
  const sent = JSON.parse(ws().sent[0]!);
  assert.equal(sent.method, 'getWorkspace');
  ws().receive({ type: 'result', id: sent.id, result: { ok: true, value: { path: '/w.yaml', environments: [] } } });
  const r = await pending;
  assert.ok(r.ok && r.value.path === '/w.yaml');

  const warn = console.warn;
  console.warn = () => {};
  try {
    ws().receive({ type: 'event', name: 'samples', payload: { env: 'lab', metric: 'nope', key: 'k', points: [] } });
  } finally {
    console.warn = warn;
  }
  ws().receive({
    type: 'event',
    name: 'samples',
    payload: { env: 'lab', metric: 'replication-lag-bytes', key: 'k', points: [{ t: 1, v: null }] },
  });
  assert.equal(got.length, 1, 'the invalid payload was dropped');
  c.close();
});

test('run, lock and snapshot events are checked against their schemas before any listener sees them', async () => {
  const { c, ws } = client();
  ws().open();
  const got: string[] = [];
  c.on('run', (e) => got.push(`run ${e.type}`));
  c.on('lock-changed', (e) => got.push(`lock ${e.env} ${e.lock.held}`));
  c.on('run-recovery-measured', (e) => got.push(`recovery ${e.recovery.ms}`));
  c.on('snapshot', (e) => got.push(`snapshot ${e.env}`));
  const warn = console.warn;
  let warned = 0;
  console.warn = () => void warned++;
  try {
    ws().receive({ type: 'event', name: 'run', payload: { type: 'run-finished', runId: 'r' } });
    ws().receive({ type: 'event', name: 'lock-changed', payload: { env: 'lab', lock: { held: 'yes' } } });
    ws().receive({ type: 'event', name: 'snapshot', payload: { env: 'lab', snapshot: { environment: 'lab' } } });
    ws().receive({
      type: 'event',
      name: 'run-recovery-measured',
      payload: {
        runId: 'r',
        env: 'lab',
        recovery: { ms: -1, from: 'run-start', startedAt: 1, rtoObjectiveSeconds: 60 },
      },
    });
  } finally {
    console.warn = warn;
  }
  assert.deepEqual(got, [], 'every malformed payload was dropped');
  assert.equal(warned, 4, 'and said so');
  ws().receive({
    type: 'event',
    name: 'run',
    payload: {
      type: 'run-finished',
      runId: 'r',
      at: 5,
      status: 'succeeded',
      durationMs: 4,
      detail: null,
      rollbacksOffered: [],
    },
  });
  ws().receive({
    type: 'event',
    name: 'lock-changed',
    payload: {
      env: 'lab',
      lock: { env: 'lab', held: false, runId: null, holder: null, since: null, stale: false, staleReason: null },
    },
  });
  ws().receive({
    type: 'event',
    name: 'run-recovery-measured',
    payload: {
      runId: 'r',
      env: 'lab',
      recovery: { ms: 4200, from: 'run-start', startedAt: 1, rtoObjectiveSeconds: 60 },
    },
  });
  assert.deepEqual(got, ['run run-finished', 'lock lab false', 'recovery 4200']);
  c.close();
});

test('a run call gets the same bound as any call: it answers once the run is under way', async () => {
  const { c, ws } = client();
  ws().open();
  const r = await c.api.executeRun({ planId: 'p', confirmation: 'lab' });
  assert.equal(!r.ok && r.error.kind, 'timeout', 'no answer within the 200 ms bound of this client');
  assert.match(JSON.parse(ws().sent[0]!).method, /^executeRun$/);
  c.close();
});

test('a dropped connection fails pending calls, then reconnects with backoff', async () => {
  const { c, states, ws } = client();
  ws().open();
  const pending = c.api.getWorkspace({});
  ws().close(1006, '');
  const r = await pending;
  assert.equal(!r.ok && r.error.kind, 'unreachable');
  assert.equal(states[states.length - 1]!.state, 'reconnecting');
  assert.equal(states[states.length - 1]!.attempt, 1);
  await tick();
  assert.equal(FakeWs.instances.length, 2, 'a new socket after the delay');
  ws().open();
  assert.deepEqual(
    { state: states[states.length - 1]!.state, attempt: states[states.length - 1]!.attempt },
    { state: 'connected', attempt: 0 },
  );
  c.close();
});

test('an upgrade refused with HTTP 401 (seen as 1006 before open) becomes "auth refused" and stops retrying', async () => {
  const { c, states, ws } = client(401);
  ws().close(1006, '');
  await tick();
  assert.equal(states[states.length - 1]!.state, 'auth-refused');
  assert.match(states[states.length - 1]!.detail ?? '', /standby serve/);
  await tick(30);
  assert.equal(FakeWs.instances.length, 1, 'no retry after a refusal');
  c.retryNow();
  assert.equal(FakeWs.instances.length, 2, 'retry now tries again');
  c.close();
});

test('an unreachable host (no HTTP answer) keeps retrying, each attempt counted', async () => {
  const { c, states, ws } = client(200);
  ws().close(1006, '');
  await tick(5);
  for (let i = 0; i < 3 && FakeWs.instances.length < 4; i++) {
    ws().close(1006, '');
    await tick(20);
  }
  const last = states[states.length - 1]!;
  assert.equal(last.state, 'reconnecting');
  assert.ok(last.attempt >= 3, `attempt ${last.attempt}`);
  c.close();
});

test('close codes 4401/4403/1008 mean the token was refused', async () => {
  for (const code of [4401, 4403, 1008]) {
    const { c, states, ws } = client();
    ws().open();
    ws().close(code, 'bad token');
    assert.equal(states[states.length - 1]!.state, 'auth-refused', String(code));
    c.close();
  }
});

test('close() stops reconnecting', async () => {
  const { c, ws } = client();
  ws().open();
  c.close();
  await tick(20);
  assert.equal(FakeWs.instances.length, 1);
});
