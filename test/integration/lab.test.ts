/**
 * The lab itself: starts a real lab on a non-default port base (env LAB_TEST_PORT_BASE, default
 * 25300, so a developer's lab on 15300 is untouched), checks every promise test/lab makes, and
 * proves that lab-down leaves no recorded process running.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { readFileSync, statSync } from 'node:fs';
import { parse } from 'yaml';
import { WorkspaceSchema } from '../../electron/core/config/workspace-schema.ts';
import { loadWorkspace } from '../../electron/core/config/load-workspace.ts';
import { labAvailable, pidRunning, startLab, type Lab } from '../lab/lab.ts';

const BASE = Number(process.env.LAB_TEST_PORT_BASE ?? 25300);
const avail = labAvailable();
if (!avail.ok) console.log(`# lab tests skipped: ${avail.reason}`);

const REQUEST_TIMEOUT_MS = 3000;

async function getJson(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const text = await res.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  return { status: res.status, body };
}

/** Polls `check` every 100 ms, at most `tries` times; returns the last value. */
async function poll<T>(tries: number, check: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  let v = await check();
  for (let i = 1; i < tries && !done(v); i++) {
    await new Promise((r) => setTimeout(r, 100));
    v = await check();
  }
  return v;
}

describe('lab (real servers on loopback)', { skip: avail.ok ? false : avail.reason }, () => {
  let lab: Lab | undefined;
  let p: Record<string, string> = {};
  const url = (site: 'primary' | 'failover', path: string) =>
    `http://${site === 'primary' ? p.PRIMARY_ADDR : p.FAILOVER_ADDR}:${p.ROUTER_PORT}${path}`;

  before(async () => {
    lab = await startLab({ portBase: BASE });
    p = lab.ports;
    console.log(`# lab up in ${Math.round(lab.upMs)} ms at ${lab.dir} (base ${BASE})`);
  });

  after(async () => {
    if (!lab) return;
    const pids = lab.pids();
    assert.ok(Object.keys(pids).length >= 12, `expected ≥ 12 recorded PIDs, got ${JSON.stringify(pids)}`);
    const t0 = performance.now();
    await lab.stop();
    console.log(`# lab down in ${Math.round(performance.now() - t0)} ms`);
    const running = Object.entries(pids).filter(([, pid]) => pidRunning(pid));
    assert.deepEqual(running, [], 'recorded PIDs still running after lab-down');
  });

  test('ports follow the base', () => {
    assert.equal(p.LAB_PORT_BASE, String(BASE));
    assert.equal(p.ROUTER_PORT, String(BASE + 80));
    assert.equal(p.PG_PORT, String(BASE + 32));
    assert.equal(p.PDNS_DNS_PORT, String(BASE + 53));
    assert.equal(p.BIND_DNS_PORT, String(BASE + 54));
  });

  test('both sites answer /health through their routers', async () => {
    const prim = await getJson(url('primary', '/health'));
    assert.equal(prim.status, 200);
    assert.deepEqual(prim.body, { status: 'ok', site: 'primary', slot: 'blue', version: '1.0.0', dbRole: 'primary' });
    const fo = await getJson(url('failover', '/health'));
    assert.equal(fo.status, 200);
    assert.deepEqual(fo.body, { status: 'ok', site: 'failover', slot: 'blue', version: '1.0.0', dbRole: 'replica' });
    // The green slots run too (not routed): reachable directly.
    const green = await getJson(`http://${p.PRIMARY_ADDR}:${p.APP_GREEN_PORT}/health`);
    assert.equal(green.body.slot, 'green');
  });

  test('PowerDNS and BIND both answer app.lab.test A 127.0.0.2 TTL 30', async () => {
    for (const port of [p.PDNS_DNS_PORT, p.BIND_DNS_PORT]) {
      const r = new Resolver({ timeout: 1000, tries: 2 });
      r.setServers([`127.0.0.1:${port}`]);
      const answers = await r.resolve4('app.lab.test', { ttl: true });
      assert.deepEqual(answers, [{ address: '127.0.0.2', ttl: 30 }], `DNS server on port ${port}`);
    }
  });

  test('the replica streams from the primary through slot replica1', async () => {
    const repl = await lab!.psql('primary', "select application_name || '|' || state from pg_stat_replication");
    assert.match(repl, /\|streaming$/);
    assert.equal(
      await lab!.psql('primary', "select active from pg_replication_slots where slot_name = 'replica1'"),
      't',
    );
    assert.equal(await lab!.psql('replica', 'select pg_is_in_recovery()'), 't');
    assert.equal(await lab!.psql('primary', 'select pg_is_in_recovery()'), 'f');
  });

  test('POST /items: a real write has 1 side effect, a shadow write (X-Standby-Shadow: 1) has none', async () => {
    const count = async () => (await getJson(url('primary', '/side-effects'))).body.count as number;
    const c0 = await count();
    const real = await getJson(url('primary', '/items'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'real order' }),
    });
    assert.equal(real.status, 201);
    assert.equal(real.body.sideEffect, 'email-sent');
    assert.equal(await count(), c0 + 1);

    const shadow = await getJson(url('primary', '/items'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Standby-Shadow': '1' },
      body: JSON.stringify({ name: 'shadow order' }),
    });
    assert.equal(shadow.status, 201);
    assert.equal(shadow.body.sideEffect, 'suppressed');
    assert.equal(shadow.body.shadow, true);
    assert.equal(await count(), c0 + 1);

    // The write replicates: the failover site reads it from its replica (bounded: 50 × 100 ms).
    const id = (shadow.body.item as { id: number }).id;
    const seen = await poll(
      50,
      () => getJson(url('failover', `/items/${id}`)),
      (r) => r.status === 200,
    );
    assert.equal(seen.status, 200);
    assert.equal(seen.body.name, 'shadow order');
  });

  test('writes on the replica site are refused with 503 and the PostgreSQL error', async () => {
    const r = await getJson(url('failover', '/items'), { method: 'POST', body: JSON.stringify({ name: 'x' }) });
    assert.equal(r.status, 503);
    assert.equal(r.body.pgCode, '25006');
    assert.match(String(r.body.error), /read-only/);
  });

  test('workspace.yaml matches the schema and describes this lab', async () => {
    const ws = WorkspaceSchema.parse(parse(readFileSync(lab!.workspacePath, 'utf8')));
    const env = ws.environments[0]!;
    assert.equal(env.name, 'lab');
    assert.deepEqual(
      env.sites.map((s) => [s.name, s.role, s.router.kind]),
      [
        ['primary', 'production', 'nginx'],
        ['failover', 'failover', 'haproxy'],
      ],
    );
    assert.equal(env.sites[0]!.router.entryUrl, url('primary', '/health'));
    assert.deepEqual(
      env.dnsProviders.map((d) => d.nameservers[0]),
      [`127.0.0.1:${p.PDNS_DNS_PORT}`, `127.0.0.1:${p.BIND_DNS_PORT}`],
    );
    assert.deepEqual(
      env.databases.map((d) => [d.name, d.host, d.port, d.viaSsh]),
      [
        ['pg-primary', '127.0.0.2', BASE + 32, true],
        ['pg-replica', '127.0.0.3', BASE + 32, true],
      ],
    );
    const loaded = await loadWorkspace(lab!.workspacePath);
    assert.ok(loaded.ok, loaded.ok ? '' : JSON.stringify(loaded.issues));
  });

  test('secrets are files readable by their owner only', () => {
    const mode = (f: string) => (statSync(f).mode & 0o777).toString(8);
    assert.equal(mode(p.PDNS_API_KEY_FILE!), '600');
    assert.equal(mode(p.PG_PASSWORD_FILE!), '600');
    assert.equal(mode(p.SSH_KEY!), '600');
    assert.equal(mode(p.TSIG_KEY_FILE!), '640');
    assert.match(readFileSync(p.PDNS_API_KEY_FILE!, 'utf8'), /^[0-9a-f]{32}$/);
    const knownHosts = readFileSync(p.SSH_KNOWN_HOSTS!, 'utf8');
    assert.match(knownHosts, new RegExp(`^\\[127\\.0\\.0\\.2\\]:${p.SSH_PORT} ssh-ed25519 `, 'm'));
    assert.match(knownHosts, new RegExp(`^\\[127\\.0\\.0\\.3\\]:${p.SSH_PORT} ssh-ed25519 `, 'm'));
  });

  test('stopProcess / startProcess restart one server', async () => {
    const before = lab!.pids()['primary-blue'];
    await lab!.stopProcess('primary-blue');
    assert.equal(pidRunning(before!), false);
    assert.equal((await getJson(url('primary', '/health'))).status, 502);
    await lab!.startProcess('primary-blue');
    assert.notEqual(lab!.pids()['primary-blue'], before);
    const r = await poll(
      30,
      () => getJson(url('primary', '/health')),
      (x) => x.status === 200,
    );
    assert.equal(r.body.dbRole, 'primary');
  });
});
