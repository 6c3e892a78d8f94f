/**
 * Every observation path against a peer that accepts a TCP connection and never answers (what a
 * SIGSTOPped server looks like from outside): the read ends within its timeout or at the abort,
 * and closes the socket it opened (the server sees it go) — no handle left behind to block the
 * next round.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket, type AddressInfo } from 'node:net';
import { exchangeDnsMessage } from '../../../electron/core/dns/dns-exchange.ts';
import { parseHostPort } from '../../../electron/core/dns/parse-host-port.ts';
import { httpProbe, createProbeAgent } from '../../../electron/core/health/http-probe.ts';
import { PostgresAdapter } from '../../../electron/core/database/adapters/postgresql.ts';
import { SshPool } from '../../../electron/core/ssh/ssh-pool.ts';
import { ObservedSource } from '../../../electron/core/platform/observed-source.ts';
import type { DatabaseConfig } from '../../../electron/core/config/workspace-schema.ts';

let server: Server;
let port: number;
const open = new Set<Socket>();
let accepted = 0;

before(async () => {
  server = createServer((sock) => {
    accepted++;
    open.add(sock);
    sock.on('close', () => open.delete(sock));
    sock.on('error', () => {});
    sock.resume(); // reads whatever comes, answers nothing
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  for (const s of open) s.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});

/** Waits (≤ 1 s) until the server has no open connection left. */
async function allClosed(): Promise<boolean> {
  for (let i = 0; i < 50 && open.size > 0; i++) await new Promise((r) => setTimeout(r, 20));
  return open.size === 0;
}

const elapsed = (t0: number) => Math.round(performance.now() - t0);

test('DNS over TCP: timeout within the bound, socket closed', async () => {
  const before = accepted;
  const t0 = performance.now();
  await assert.rejects(
    exchangeDnsMessage(parseHostPort(`127.0.0.1:${port}`), Buffer.alloc(12), {
      timeoutMs: 200,
      transport: 'tcp',
      accept: () => true,
    }),
    /within 200 ms|timed out|timeout/i,
  );
  assert.ok(elapsed(t0) < 1000, `bounded (${elapsed(t0)} ms)`);
  assert.equal(accepted, before + 1, 'the exchange reached the silent server');
  assert.equal(await allClosed(), true, 'the client closed its socket');
});

test('DNS over TCP: an abort stops it at once, socket closed', async () => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Error('round over')), 100);
  const t0 = performance.now();
  await assert.rejects(
    exchangeDnsMessage(parseHostPort(`127.0.0.1:${port}`), Buffer.alloc(12), {
      timeoutMs: 10_000,
      transport: 'tcp',
      signal: ac.signal,
      accept: () => true,
    }),
    /round over/,
  );
  assert.ok(elapsed(t0) < 1000, `ended at the abort (${elapsed(t0)} ms)`);
  assert.equal(await allClosed(), true);
});

test('HTTP probe: "timeout after N ms" within the bound, connection closed', async () => {
  const agent = createProbeAgent();
  try {
    const t0 = performance.now();
    const r = await httpProbe(`http://127.0.0.1:${port}/health`, { timeoutMs: 200, dispatcher: agent });
    assert.equal(r.ok, false);
    assert.equal(r.error, 'timeout after 200 ms');
    assert.ok(elapsed(t0) < 1000, `bounded (${elapsed(t0)} ms)`);
    assert.equal(await allClosed(), true, 'the aborted request closed its connection');
  } finally {
    await agent.close();
  }
});

test('PostgreSQL observe under an ObservedSource: timeout, socket closed, and the next round is a fresh attempt', async () => {
  const db = {
    name: 'pg-silent',
    site: 'primary',
    engine: 'postgresql',
    host: '127.0.0.1',
    port,
    database: 'postgres',
    user: 'standby',
    password: { env: 'UNUSED' },
    viaSsh: false,
  } as DatabaseConfig;
  const pool = new SshPool();
  const adapter = new PostgresAdapter({
    db,
    pool,
    resolveSecret: async () => 'secret',
    connectTimeoutMs: 10_000, // longer than the watch bound: the abort must end it, not pg
  });
  const src = new ObservedSource({
    policy: { timeoutMs: 300, breaker: { consecutiveFailures: 99, halfOpenAfterMs: 1 } },
    read: (s) => adapter.observe(s),
  });
  try {
    for (let round = 1; round <= 2; round++) {
      const before = accepted;
      const t0 = performance.now();
      const o = await src.observe();
      assert.equal(o.ok, false);
      assert.equal(!o.ok && o.skipped, false, `round ${round} started a read, not a skip`);
      assert.equal(!o.ok && o.error.kind, 'timeout');
      assert.ok(elapsed(t0) < 1500, `round ${round} bounded (${elapsed(t0)} ms)`);
      assert.equal(accepted, before + 1, `round ${round} connected afresh`);
      assert.equal(await allClosed(), true, `round ${round}: the pg socket was closed`);
      assert.equal(src.inFlight, false, `round ${round}: the slot is free`);
    }
  } finally {
    await adapter.close();
    await pool.close();
  }
});
