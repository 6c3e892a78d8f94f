/**
 * The headless server's limits, in process on a free loopback port with a stub core: a short
 * user token is refused, open WebSockets are capped, and a client over the message rate is
 * dropped with 1008 and a reason while the others keep their answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import {
  startHeadlessServer,
  MIN_TOKEN_LENGTH,
  type HeadlessServer,
} from '../../../electron/headless/headless-server.ts';
import type { Core } from '../../../electron/core/create-core.ts';

/** Every API method answers `{ ok: true, value: null }`; no environments, no events. */
const stubCore = {
  workspace: { environments: [] },
  on: () => () => {},
  api: new Proxy({}, { get: () => async () => ({ ok: true, value: null }) }),
} as unknown as Core;

const start = (opts: Partial<Parameters<typeof startHeadlessServer>[0]> = {}) =>
  startHeadlessServer({ core: stubCore, port: 0, staticDir: '/nonexistent', log: () => {}, ...opts });

type Client = { ws: WebSocket; messages: { id?: number }[]; closed: Promise<{ code: number; reason: string }> };

const connect = (s: HeadlessServer) =>
  new Promise<Client>((resolve, reject) => {
    const ws = new WebSocket(`${s.url.replace('http', 'ws')}/ws`, { headers: { Authorization: `Bearer ${s.token}` } });
    const messages: { id?: number }[] = [];
    ws.on('message', (d) => messages.push(JSON.parse(d.toString()) as { id?: number }));
    ws.on('error', (e) => reject(e));
    const closed = new Promise<{ code: number; reason: string }>((r) =>
      ws.once('close', (code, reason) => r({ code, reason: reason.toString() })),
    );
    ws.once('open', () => resolve({ ws, messages, closed }));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });

const waitFor = async (pred: () => boolean, ms = 3000) => {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

test('a user-given token shorter than 32 characters, or with URL/cookie-breaking characters, is refused', async () => {
  assert.equal(MIN_TOKEN_LENGTH, 32);
  await assert.rejects(start({ token: 'a'.repeat(31) }), /at least 32 characters.*got 31/);
  await assert.rejects(start({ token: 'hunter2' }), /STANDBY_TOKEN/);
  await assert.rejects(start({ token: `${'a'.repeat(32)};x=1` }), /at least 32 characters/);
  const s = await start({ token: 'a'.repeat(32) });
  try {
    assert.equal(s.token, 'a'.repeat(32));
  } finally {
    await s.close();
  }
  const generated = await start();
  try {
    assert.ok(generated.token.length >= 32, 'the generated token meets its own rule');
  } finally {
    await generated.close();
  }
});

test('open WebSockets are capped: one over the cap gets HTTP 503, a freed slot is usable again', async () => {
  const s = await start({ maxClients: 2 });
  try {
    const a = await connect(s);
    const b = await connect(s);
    await assert.rejects(connect(s), /HTTP 503/);
    a.ws.close();
    await a.closed;
    const c = await connect(s);
    c.ws.send(JSON.stringify({ id: 1, method: 'getLock', args: { env: 'lab' } }));
    await waitFor(() => c.messages.some((m) => m.id === 1));
    b.ws.close();
    c.ws.close();
  } finally {
    await s.close();
  }
});

test('a client over the message rate is closed with 1008 and a reason; another client keeps its answers', async () => {
  const s = await start({ messageRate: { burst: 5, perSecond: 1 } });
  try {
    const good = await connect(s);
    const flood = await connect(s);
    for (let i = 0; i < 20; i++) flood.ws.send(JSON.stringify({ id: i, method: 'getLock', args: { env: 'lab' } }));
    const { code, reason } = await flood.closed;
    assert.equal(code, 1008);
    assert.match(reason, /message rate over 1\/s/);
    assert.ok(flood.messages.length <= 5, `answered only within the burst: ${flood.messages.length}`);
    good.ws.send(JSON.stringify({ id: 100, method: 'getLock', args: { env: 'lab' } }));
    await waitFor(() => good.messages.some((m) => m.id === 100));
    good.ws.close();
  } finally {
    await s.close();
  }
});

test('an oversize frame and invalid UTF-8 close only that client (1009, 1007) with one log line each', async () => {
  const lines: string[] = [];
  const s = await start({ log: (l) => lines.push(l) });
  try {
    const good = await connect(s);
    const big = await connect(s);
    big.ws.send('x'.repeat(64 * 1024 + 1));
    assert.equal((await big.closed).code, 1009);
    const bad = await connect(s);
    bad.ws.send(Buffer.from([0x22, 0xff, 0xfe, 0x22]), { binary: false });
    assert.equal((await bad.closed).code, 1007);
    good.ws.send(JSON.stringify({ id: 7, method: 'getLock', args: { env: 'lab' } }));
    await waitFor(() => good.messages.some((m) => m.id === 7));
    assert.equal(lines.length, 2, lines.join('\n'));
    assert.match(lines[0]!, /^standby serve: dropped WebSocket client 127\.0\.0\.1:\d+: Max payload size exceeded/);
    assert.match(lines[1]!, /invalid UTF-8 sequence/i);
    for (const l of lines) {
      assert.ok(!l.includes('\n') && !l.includes(s.token), `one line, no token: ${l}`);
    }
    good.ws.close();
  } finally {
    await s.close();
  }
});
