/**
 * verifySlotLive against a local HTTP server on 127.0.0.1 (no router): the router's reading must
 * name the slot, then N consecutive answers must; a stale answer resets the count; an entry
 * without `slot` in its JSON cannot verify; every request uses a new connection.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Site } from '../../../electron/core/config/workspace-schema.ts';
import { getEntrySlot, verifySlotLive } from '../../../electron/core/traffic/verify-slot.ts';

let server: Server;
let url: string;
let answers: (() => { status: number; body: string })[] = [];
const sockets = new Set<unknown>();

before(async () => {
  server = createServer((req, res) => {
    sockets.add(req.socket);
    const next = answers.shift() ?? (() => ({ status: 200, body: '{"slot":"green"}' }));
    const a = next();
    res.writeHead(a.status, { 'content-type': 'application/json' }).end(a.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

const site = (): Site =>
  ({
    name: 'primary',
    router: { kind: 'nginx', entryUrl: url, upstreamFile: '/x', nginxCommand: 'nginx' },
    slots: [],
  }) as unknown as Site;
const reading = (liveSlot: string | null) => ({
  command: 'cat -- /x',
  target: 'lab@127.0.0.2:22',
  readLiveSlot: async () => ({ liveSlot, evidence: `upstream app: server ${liveSlot}` }),
});

test('verified after N consecutive answers naming the slot, each on a new connection', async () => {
  sockets.clear();
  answers = [() => ({ status: 200, body: '{"slot":"blue"}' })];
  const v = await verifySlotLive(site(), reading('green'), 'green', { consecutive: 3, timeoutMs: 3000 });
  assert.equal(v.verified, true, v.reason);
  assert.deepEqual(
    v.answers.map((a) => a.slot),
    ['blue', 'green', 'green', 'green'],
  );
  assert.equal(sockets.size, 4, 'a new connection per request');
  assert.match(v.evidence, /3 consecutive answers/);
  assert.deepEqual(
    v.commands.map((c) => [c.kind, c.target, c.text.split(' ')[0]]),
    [
      ['shell', 'lab@127.0.0.2:22', 'cat'],
      ['http', new URL(url).origin, 'GET'],
    ],
  );
});

test('the router naming another slot fails at once, without traffic', async () => {
  const v = await verifySlotLive(site(), reading('blue'), 'green');
  assert.equal(v.verified, false);
  assert.match(v.reason ?? '', /names blue, not green/);
  assert.equal(v.answers.length, 0);
});

test('errors and stale answers never verify within the bound; a body without "slot" is named as the reason', async () => {
  answers = Array.from({ length: 100 }, () => () => ({ status: 200, body: '{"status":"ok"}' }));
  const v = await verifySlotLive(site(), reading('green'), 'green', { consecutive: 2, timeoutMs: 300 });
  assert.equal(v.verified, false);
  assert.match(v.reason ?? '', /without a "slot"/);
  answers = Array.from({ length: 100 }, () => () => ({ status: 503, body: '{"slot":"green"}' }));
  const w = await verifySlotLive(site(), reading('green'), 'green', { consecutive: 2, timeoutMs: 300 });
  assert.equal(w.verified, false);
  assert.match(w.reason ?? '', /did not answer 2 times in a row/);
  answers = [];
});

test('getEntrySlot resolves (never rejects) on a refused port', async () => {
  const a = await getEntrySlot('http://127.0.0.1:9/health', { timeoutMs: 500 });
  assert.equal(a.status, null);
  assert.match(a.error ?? '', /ECONNREFUSED/);
});
