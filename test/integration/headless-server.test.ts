/**
 * `standby serve` as a user runs it (a child process): Host/Origin allowlist, one-time URL token
 * exchanged for a cookie, Bearer for scripts, on every request and on the WebSocket; bad
 * messages get a clear error; loopback only. The workspace points at loopback ports where
 * nothing listens, so everything it shows must be "unknown".
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import WebSocket from 'ws';
import { consoleEvents } from '../../shared/contract/index.ts';
import { startServe, type ServeProcess } from '../support/serve-process.ts';
import { validWorkspaceYaml } from '../unit/config/valid-workspace.ts';

let dir = '';
let serve: ServeProcess | null = null;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-serve-'));
  // nothing listens on 127.0.0.9: every probe, provider and database is unreachable
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

test('requests without the token are refused with 401 and a hint', async () => {
  const r = await fetch(`${serve!.url}/`);
  assert.equal(r.status, 401);
  assert.match(await r.text(), /session is required/);
  const wrong = await fetch(`${serve!.url}/?token=${'0'.repeat(64)}`);
  assert.equal(wrong.status, 401);
});

const bearer = (): Record<string, string> => ({ Authorization: `Bearer ${serve!.token}` });
/** The session cookie from the one-time exchange (set by the first test below that opens the URL). */
let cookie = '';

test('the printed URL is exchanged once for an HttpOnly SameSite=Strict cookie named after the port, then refused', async () => {
  const port = new URL(serve!.url).port;
  const r = await fetch(`${serve!.openUrl}&view=runs`, { redirect: 'manual' });
  assert.equal(r.status, 303, await r.text());
  assert.equal(r.headers.get('location'), '/?view=runs', 'redirect to the same URL without the token');
  const setCookie = r.headers.get('set-cookie') ?? '';
  assert.match(setCookie, new RegExp(`^standby_${port}=[0-9a-f]{64}; HttpOnly; SameSite=Strict; Path=/$`));
  assert.ok(!setCookie.includes(serve!.token), 'the cookie does not carry the Bearer token');
  cookie = setCookie.split(';')[0]!;
  const page = await fetch(`${serve!.url}/`, { headers: { cookie } });
  assert.notEqual(page.status, 401, 'the cookie opens the page');
  assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
  const again = await fetch(serve!.openUrl, { redirect: 'manual' });
  assert.equal(again.status, 401, 'the one-time link works once');
  assert.match(await again.text(), /already used/);
  assert.equal(again.headers.get('set-cookie'), null);
  const wrongCookie = await fetch(`${serve!.url}/`, { headers: { cookie: `standby_${port}=${'0'.repeat(64)}` } });
  assert.equal(wrongCookie.status, 401);
});

test('scripts keep working with Authorization: Bearer; a wrong Bearer is refused', async () => {
  const ok = await fetch(`${serve!.url}/healthz`, { headers: bearer() });
  assert.equal(ok.status, 200);
  assert.equal(await ok.text(), 'ok\n');
  const wrong = await fetch(`${serve!.url}/healthz`, { headers: { Authorization: `Bearer ${'x'.repeat(64)}` } });
  assert.equal(wrong.status, 401);
});

/** Raw HTTP/1.1 request so the Host header is exactly what a rebinding browser would send. */
const rawStatus = (path: string, headers: Record<string, string>) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const u = new URL(serve!.url);
    const req = httpRequest({ host: u.hostname, port: u.port, path, headers, setHost: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });

test('a foreign Host header is refused with 403 even with a valid credential (DNS rebinding)', async () => {
  const port = new URL(serve!.url).port;
  const evil = await rawStatus('/healthz', { Host: `evil.example:${port}`, ...bearer() });
  assert.equal(evil.status, 403);
  assert.match(evil.body, /Host "evil\.example:\d+" is not allowed/);
  const noPort = await rawStatus('/healthz', { Host: 'localhost', ...bearer() });
  assert.equal(noPort.status, 403, 'the port is part of the allowed host');
  for (const h of [`localhost:${port}`, `127.0.0.1:${port}`, `LOCALHOST:${port}`]) {
    const r = await rawStatus('/healthz', { Host: h, ...bearer() });
    assert.equal(r.status, 200, `Host ${h}: ${r.body}`);
  }
  const badOrigin = await rawStatus('/healthz', {
    Host: `127.0.0.1:${port}`,
    Origin: 'http://evil.example',
    ...bearer(),
  });
  assert.equal(badOrigin.status, 403);
  assert.match(badOrigin.body, /Origin "http:\/\/evil\.example" is not allowed/);
  const goodOrigin = await rawStatus('/healthz', {
    Host: `127.0.0.1:${port}`,
    Origin: `http://localhost:${port}`,
    ...bearer(),
  });
  assert.equal(goodOrigin.status, 200);
});

test('it listens on loopback only', () => {
  assert.match(serve!.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const port = new URL(serve!.url).port;
  const ss = spawnSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' });
  assert.equal(ss.status, 0, ss.stderr);
  const lines = ss.stdout.trim().split('\n').filter(Boolean);
  assert.ok(lines.length >= 1, 'the port is listening');
  for (const l of lines) assert.match(l, /127\.0\.0\.1:\d+/, `non-loopback listener: ${l}`);
});

test('a non-loopback --host is refused with a clear message and no stack trace', () => {
  const r = spawnSync(
    join(process.cwd(), 'bin/standby'),
    ['serve', '--workspace', join(dir, 'workspace.yaml'), '--host', '0.0.0.0', '--port', '0'],
    {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, PDNS_API_KEY: 'x', PGPASSWORD: 'x' },
    },
  );
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /loopback only/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

test('a STANDBY_TOKEN shorter than 32 characters is refused with a clear message and no stack trace', () => {
  const r = spawnSync(
    join(process.cwd(), 'bin/standby'),
    ['serve', '--workspace', join(dir, 'workspace.yaml'), '--port', '0'],
    {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, PDNS_API_KEY: 'x', PGPASSWORD: 'x', STANDBY_TOKEN: 'hunter2' },
    },
  );
  assert.notEqual(r.status, 0, `serve started with a 7-character token:\n${r.stdout}`);
  assert.doesNotMatch(r.stdout, /Open:/);
  assert.match(r.stderr, /STANDBY_TOKEN.*at least 32 characters/);
  assert.doesNotMatch(r.stderr, /hunter2/, 'the refused token is not echoed');
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

const openWs = (url: string, headers: Record<string, string> = {}) =>
  new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });

test('the WebSocket refuses a missing credential, ?token=, a foreign Origin or Host; takes the cookie and Bearer', async () => {
  const wsUrl = serve!.url.replace('http', 'ws') + '/ws';
  const port = new URL(serve!.url).port;
  await assert.rejects(openWs(wsUrl), /401/);
  await assert.rejects(
    openWs(`${wsUrl}?token=${serve!.token}`),
    /401/,
    'the query token is not a WebSocket credential',
  );
  await assert.rejects(openWs(wsUrl, { ...bearer(), Origin: 'http://evil.example' }), /403/);
  await assert.rejects(openWs(wsUrl, { ...bearer(), Origin: `http://evil.example:${port}` }), /403/);
  await assert.rejects(openWs(wsUrl, { ...bearer(), Host: `evil.example:${port}` }), /403/);
  assert.ok(cookie, 'the exchange test ran first and left a cookie');
  const viaCookie = await openWs(wsUrl, { cookie, Origin: `http://127.0.0.1:${port}` });
  viaCookie.close();
  const viaBearer = await openWs(wsUrl, bearer());
  viaBearer.close();
});

test('over the WebSocket: bad messages get clear errors, snapshots show unknown with reasons', async () => {
  const ws = await openWs(`${serve!.url.replace('http', 'ws')}/ws`, bearer());
  try {
    const messages: {
      type: string;
      id?: number;
      result?: { ok: boolean; value?: unknown; error?: { kind: string; message: string } };
      error?: { message: string };
    }[] = [];
    ws.on('message', (d) => messages.push(JSON.parse(d.toString())));
    const waitFor = async (pred: (m: (typeof messages)[number]) => boolean, ms = 8000) => {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        const m = messages.find(pred);
        if (m) return m;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no matching message in ${ms} ms: ${JSON.stringify(messages).slice(0, 500)}`);
    };
    ws.send('not json');
    const e1 = await waitFor((m) => m.type === 'error');
    assert.match(e1.error!.message, /not JSON/);
    ws.send(JSON.stringify({ id: 1, method: 'getSnapshot', args: { env: 'nope' } }));
    const r1 = await waitFor((m) => m.type === 'result' && m.id === 1);
    assert.equal(r1.result!.ok, false);
    assert.equal(r1.result!.error!.kind, 'not-found');
    ws.send(JSON.stringify({ id: 2, method: 'getSnapshot', args: { env: 'lab' } }));
    // after a few poll rounds, everything must be unknown/unhealthy — never healthy
    await new Promise((r) => setTimeout(r, 3500));
    ws.send(JSON.stringify({ id: 3, method: 'getSnapshot', args: { env: 'lab' } }));
    const r3 = await waitFor((m) => m.type === 'result' && m.id === 3);
    const snap = r3.result!.value as {
      sites: { state: string; reason: string }[];
      dns: { providers: { api: { state: string; reason?: string } }[] }[];
      rpo: { verdict: string };
    };
    for (const s of snap.sites) assert.notEqual(s.state, 'healthy', s.reason);
    for (const p of snap.dns[0]!.providers) {
      assert.equal(p.api.state, 'unknown');
      assert.ok(p.api.reason && p.api.reason.length > 0, 'an unknown view carries its reason');
    }
    assert.equal(snap.rpo.verdict, 'unknown');
  } finally {
    ws.close();
  }
});

test('over the WebSocket: every pushed snapshot fits the contract schema; run calls and lock reads answer at once', async () => {
  const ws = await openWs(`${serve!.url.replace('http', 'ws')}/ws`, bearer());
  try {
    const messages: {
      type: string;
      id?: number;
      name?: string;
      payload?: unknown;
      result?: { ok: boolean; value?: unknown; error?: { kind: string } };
    }[] = [];
    ws.on('message', (d) => messages.push(JSON.parse(d.toString())));
    await new Promise((r) => setTimeout(r, 2500));
    const snapshots = messages.filter((m) => m.type === 'event' && m.name === 'snapshot');
    assert.ok(snapshots.length >= 2, `snapshots pushed: ${snapshots.length}`);
    for (const m of snapshots) {
      const parsed = consoleEvents.snapshot.safeParse(m.payload);
      assert.ok(
        parsed.success,
        `a pushed snapshot the renderer would drop: ${JSON.stringify(parsed.error?.issues.slice(0, 3))}`,
      );
    }
    const t0 = Date.now();
    ws.send(JSON.stringify({ id: 10, method: 'executeRun', args: { planId: 'no-such-plan', confirmation: 'lab' } }));
    ws.send(JSON.stringify({ id: 11, method: 'getLock', args: { env: 'lab' } }));
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && !(messages.some((m) => m.id === 10) && messages.some((m) => m.id === 11)))
      await new Promise((r) => setTimeout(r, 20));
    const exec = messages.find((m) => m.type === 'result' && m.id === 10);
    assert.equal(exec?.result?.ok, false);
    assert.equal(exec?.result?.error?.kind, 'not-found', 'an unknown plan is refused, nothing runs');
    const lock = messages.find((m) => m.type === 'result' && m.id === 11);
    assert.ok(
      lock?.result?.ok && consoleEvents['lock-changed'].shape.lock.safeParse(lock.result.value).success,
      'the lock has the shape lock-changed pushes',
    );
    assert.ok(Date.now() - t0 < 5000);
  } finally {
    ws.close();
  }
});
