/**
 * SSH against the real lab (test/lab): two sshd on 127.0.0.2 and 127.0.0.3 (key-only, host keys
 * pinned in the lab's known_hosts, tunnels limited by PermitOpen to the two PostgreSQL ports).
 *
 * Scenarios: exec judged against declared success exit codes, with the whole result carried by
 * SshCommandError; stdin; timeout; a host key that does not match the pin is refused; a local
 * forward reaches each PostgreSQL node and sees its role; a forward outside PermitOpen is refused
 * with the reason on the tunnel.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { labAvailable, startLab } from '../lab/lab.ts';
import type { Lab } from '../lab/lab.ts';
import { loadWorkspace, formatIssues } from '../../electron/core/config/load-workspace.ts';
import type { Environment, Site } from '../../electron/core/config/workspace-schema.ts';
import { resolveSecret } from '../../electron/core/secrets/resolve-secret.ts';
import { SshPool } from '../../electron/core/ssh/ssh-pool.ts';
import { SshCommandError, exec } from '../../electron/core/ssh/ssh-exec.ts';
import { SshError } from '../../electron/core/ssh/ssh-error.ts';
import { openTunnel } from '../../electron/core/ssh/ssh-tunnel.ts';

const PORT_BASE = 28300;
const available = labAvailable();
if (!available.ok) console.log(`# skipping ssh-exec-tunnel: ${available.reason}`);
const skip = available.ok ? false : `lab not available: ${available.reason}`;
let lab: Lab | undefined;
let env: Environment;
let primary: Site;
let failover: Site;
let pool: SshPool | undefined;
let scratch = '';

before(async () => {
  if (skip) return;
  lab = await startLab({ portBase: PORT_BASE });
  const loaded = await loadWorkspace(lab.workspacePath);
  if (!loaded.ok) throw new Error(`lab workspace invalid:\n${formatIssues(loaded.issues)}`);
  env = loaded.workspace.environments[0]!;
  primary = env.sites.find((s) => s.name === 'primary')!;
  failover = env.sites.find((s) => s.name === 'failover')!;
  pool = new SshPool({ resolveSecret });
  scratch = mkdtempSync('/tmp/sb-ssh-');
});

after(async () => {
  await pool?.close();
  await lab?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test('exec: exit 0 by default, stdout/stderr/duration reported', { skip }, async () => {
  const r = await exec(pool!, primary.ssh, 'id -un; echo warn >&2');
  assert.equal(r.exitCode, 0);
  assert.equal(r.stdout, `${primary.ssh.user}\n`);
  assert.equal(r.stderr, 'warn\n');
  assert.ok(r.durationMs >= 0 && r.durationMs < 5000);
});

test(
  'exec: a declared exit code is success; any other throws SshCommandError with the whole result',
  { skip },
  async () => {
    const ok = await exec(pool!, primary.ssh, 'grep -q nothing-here /dev/null', { successExitCodes: [0, 1] });
    assert.equal(ok.exitCode, 1);

    const command = "echo partial; echo 'upstream file missing' >&2; exit 3";
    const err = await exec(pool!, primary.ssh, command).then(
      () => assert.fail('expected SshCommandError'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof SshCommandError);
    assert.equal(err.host, `${primary.ssh.user}@${primary.ssh.host}:${primary.ssh.port}`);
    assert.equal(err.command, command);
    assert.equal(err.exitCode, 3);
    assert.equal(err.signal, null);
    assert.equal(err.stdout, 'partial\n');
    assert.equal(err.stderr, 'upstream file missing\n');
    assert.deepEqual(err.successExitCodes, [0]);
    assert.equal(err.error.kind, 'internal');
    assert.equal(err.error.where, err.host);
    assert.match(err.error.message, /exited with 3 \(expected 0\): upstream file missing/);

    const notFound = await exec(pool!, failover.ssh, 'no-such-command-standby').catch((e: unknown) => e);
    assert.ok(notFound instanceof SshCommandError);
    assert.equal(notFound.exitCode, 127);
    assert.equal(notFound.error.kind, 'not-found');
  },
);

test('exec: stdin is written then closed', { skip }, async () => {
  const r = await exec(pool!, failover.ssh, 'wc -c', { stdin: 'twelve bytes' });
  assert.equal(r.stdout.trim(), '12');
});

test('exec: timeout rejects with kind timeout and the connection stays usable', { skip }, async () => {
  const t0 = performance.now();
  const err = await exec(pool!, primary.ssh, 'sleep 5', { timeoutMs: 300 }).catch((e: unknown) => e);
  assert.ok(err instanceof SshError);
  assert.equal(err.error.kind, 'timeout');
  assert.ok(performance.now() - t0 < 2000);
  assert.equal((await exec(pool!, primary.ssh, 'echo again')).stdout, 'again\n');
});

test('host key pinning: a known_hosts that pins another key for this host is refused', { skip }, async () => {
  // Pin the failover host's key under the primary's name: the primary presents a different key.
  const lines = readFileSync(primary.ssh.knownHosts, 'utf8').trim().split('\n');
  const failoverKey = lines
    .find((l) => l.startsWith(`[${failover.ssh.host}]:`))!
    .split(' ')
    .slice(1)
    .join(' ');
  const forged = join(scratch, 'known_hosts');
  writeFileSync(forged, `[${primary.ssh.host}]:${primary.ssh.port} ${failoverKey}\n`);
  const p2 = new SshPool({ resolveSecret });
  try {
    const err = await exec(p2, { ...primary.ssh, knownHosts: forged }, 'true').catch((e: unknown) => e);
    assert.ok(err instanceof SshError, String(err));
    assert.equal(err.error.kind, 'auth');
    assert.match(err.error.message, /HOST KEY MISMATCH/);
    assert.match(err.error.hint ?? '', /ssh-keyscan/);

    writeFileSync(forged, '# empty\n');
    const unknown = await exec(p2, { ...primary.ssh, knownHosts: forged }, 'true').catch((e: unknown) => e);
    assert.ok(unknown instanceof SshError);
    assert.match(unknown.error.message, /is not in .*known_hosts; it presented ssh-ed25519 SHA256:/);
  } finally {
    await p2.close();
  }
});

test('exec: a closed port is unreachable with a clear message', { skip }, async () => {
  const err = await exec(pool!, { ...primary.ssh, port: PORT_BASE + 99 }, 'true').catch((e: unknown) => e);
  assert.ok(err instanceof SshError);
  assert.equal(err.error.kind, 'unreachable');
  assert.match(err.error.message, /refused/);
});

test('tunnel: a local forward through each site reaches its PostgreSQL node and its role', { skip }, async () => {
  const password = readFileSync(lab!.ports.PG_PASSWORD_FILE!, 'utf8');
  for (const [site, expectRecovery] of [
    [primary, false],
    [failover, true],
  ] as const) {
    const db = env.databases.find((d) => d.site === site.name)!;
    const tunnel = await openTunnel(pool!, site.ssh, db.host, db.port);
    try {
      assert.equal(tunnel.host, '127.0.0.1');
      const c = new pg.Client({
        host: tunnel.host,
        port: tunnel.port,
        user: db.user,
        password,
        database: db.database,
        connectionTimeoutMillis: 5000,
      });
      await c.connect();
      try {
        const { rows } = await c.query<{ port: number; addr: string; rec: boolean }>(
          'select inet_server_port() as port, host(inet_server_addr()) as addr, pg_is_in_recovery() as rec',
        );
        assert.deepEqual(rows[0], { port: db.port, addr: db.host, rec: expectRecovery });
      } finally {
        await c.end();
      }
      assert.equal(tunnel.lastError, null);
    } finally {
      await tunnel.close();
    }
  }
});

test('tunnel: a target outside PermitOpen is refused, and the tunnel says why', { skip }, async () => {
  const tunnel = await openTunnel(pool!, primary.ssh, primary.ssh.host, Number(lab!.ports.ROUTER_PORT));
  try {
    const c = new pg.Client({
      host: tunnel.host,
      port: tunnel.port,
      user: 'x',
      password: 'x',
      connectionTimeoutMillis: 3000,
    });
    await assert.rejects(c.connect());
    const e = tunnel.lastError;
    assert.ok(e instanceof SshError);
    assert.equal(e.error.kind, 'auth');
    assert.match(e.error.message, /administratively prohibited/);
  } finally {
    await tunnel.close();
  }
});
