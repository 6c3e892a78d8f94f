/**
 * One bad WebSocket client must not end `standby serve`: an oversize frame or a text frame with
 * invalid UTF-8 closes that client (1009 / 1007), is logged as one line without a stack or the
 * token, and the process and every other client keep going. Run against the real process.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startServe, type ServeProcess } from '../support/serve-process.ts';
import { validWorkspaceYaml } from '../unit/config/valid-workspace.ts';

let dir = '';
let serve: ServeProcess | null = null;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-serve-frames-'));
  // nothing listens on 127.0.0.9: the console watches, nothing it could change is reachable
  const ws = validWorkspaceYaml
    .replaceAll('127.0.0.2', '127.0.0.9')
    .replaceAll('127.0.0.3', '127.0.0.9')
    .replaceAll('127.0.0.1:', '127.0.0.9:');
  writeFileSync(join(dir, 'workspace.yaml'), ws);
  serve = await startServe(['--workspace', join(dir, 'workspace.yaml'), '--port', '0'], 20_000, {
    PDNS_API_KEY: 'x',
    PGPASSWORD: 'x',
  });
});

after(async () => {
  await serve?.stop();
  rmSync(dir, { recursive: true, force: true });
});

type Msg = { type: string; id?: number; name?: string; result?: { ok: boolean } };

/** An authenticated client that records every message it gets and how it was closed. */
const connect = () =>
  new Promise<{ ws: WebSocket; messages: Msg[]; closed: Promise<{ code: number; reason: string }> }>(
    (resolve, reject) => {
      const ws = new WebSocket(`${serve!.url.replace('http', 'ws')}/ws`, {
        headers: { Authorization: `Bearer ${serve!.token}` },
      });
      const messages: Msg[] = [];
      ws.on('message', (d) => messages.push(JSON.parse(d.toString()) as Msg));
      // after open the close code is what counts (a later reject is a no-op)
      ws.on('error', (e) => reject(e));
      const closed = new Promise<{ code: number; reason: string }>((r) =>
        ws.once('close', (code, reason) => r({ code, reason: reason.toString() })),
      );
      ws.once('open', () => resolve({ ws, messages, closed }));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    },
  );

const waitFor = async (messages: Msg[], pred: (m: Msg) => boolean, ms = 8000): Promise<Msg> => {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const m = messages.find(pred);
    if (m) return m;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no matching message in ${ms} ms: ${JSON.stringify(messages).slice(0, 300)}`);
};

/** The serve process is alive and a good client still gets a call's result and pushed events. */
async function assertConsoleLives(good: { ws: WebSocket; messages: Msg[] }, id: number): Promise<void> {
  // a crash after the close frame would show within a moment
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(serve!.alive(), `standby serve exited:\n${serve!.output()}`);
  assert.doesNotThrow(() => process.kill(serve!.pid, 0), 'the serve PID is still there');
  assert.equal(good.ws.readyState, WebSocket.OPEN, 'the good client is still connected');
  good.ws.send(JSON.stringify({ id, method: 'getLock', args: { env: 'lab' } }));
  const r = await waitFor(good.messages, (m) => m.type === 'result' && m.id === id);
  assert.equal(r.result?.ok, true);
  const seen = good.messages.length;
  const deadline = Date.now() + 8000;
  while (Date.now() < deadline && !good.messages.slice(seen).some((m) => m.type === 'event'))
    await new Promise((r) => setTimeout(r, 50));
  assert.ok(
    good.messages.slice(seen).some((m) => m.type === 'event'),
    'the good client still gets pushed events after the bad one was dropped',
  );
}

test(
  'a 70 KiB text frame closes that client with 1009; serve and the other clients keep going',
  { timeout: 30_000 },
  async () => {
    const good = await connect();
    const bad = await connect();
    try {
      bad.ws.send('x'.repeat(70 * 1024));
      const { code } = await bad.closed;
      assert.equal(code, 1009, 'closed as "message too big"');
      await assertConsoleLives(good, 1);
      const out = serve!.output();
      assert.match(out, /dropped WebSocket client .*Max payload size exceeded/);
      assert.doesNotMatch(out, /\n\s+at /, 'no stack trace');
      assert.ok(!out.replace(serve!.openUrl, '').includes(serve!.token), 'the token is printed only in the Open: line');
    } finally {
      good.ws.close();
      bad.ws.terminate();
    }
  },
);

test(
  'a text frame with invalid UTF-8 closes that client with 1007; serve and the other clients keep going',
  { timeout: 30_000 },
  async () => {
    const good = await connect();
    const bad = await connect();
    try {
      // ws sends a Buffer as a text frame with binary: false, without checking its bytes; the
      // server's 1007 and its log line show the bytes arrived as invalid UTF-8
      bad.ws.send(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d]), { binary: false });
      const { code } = await bad.closed;
      assert.equal(code, 1007, 'closed as "invalid frame payload data"');
      await assertConsoleLives(good, 2);
      const out = serve!.output();
      assert.match(out, /dropped WebSocket client .*invalid UTF-8 sequence/i);
      assert.doesNotMatch(out, /\n\s+at /, 'no stack trace');
    } finally {
      good.ws.close();
      bad.ws.terminate();
    }
  },
);
