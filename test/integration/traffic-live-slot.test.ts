/**
 * Live slot read from the real routers over SSH: nginx on the primary site (upstream include
 * file), HAProxy on the failover site (runtime API via socat on the host).
 *
 * Scenarios: both sites start on blue; the nginx include is rewritten to green and nginx
 * reloaded (outside Standby) → primary reads green; HAProxy's green is made ready (outside,
 * through the admin socket) → "both slots live" with both servers in the evidence; blue put in
 * maintenance → failover reads green; everything switched back → blue.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { labAvailable, startLab } from '../lab/lab.ts';
import type { Lab } from '../lab/lab.ts';
import { loadWorkspace, formatIssues } from '../../electron/core/config/load-workspace.ts';
import type { Environment, Site } from '../../electron/core/config/workspace-schema.ts';
import { resolveSecret } from '../../electron/core/secrets/resolve-secret.ts';
import { SshPool } from '../../electron/core/ssh/ssh-pool.ts';
import { exec, shellQuote } from '../../electron/core/ssh/ssh-exec.ts';
import { LiveSlotService } from '../../electron/core/traffic/live-slot-service.ts';
import { createEnvironmentServices } from '../../electron/core/environment/create-environment-services.ts';
import { requireNamed, type EnvironmentServices } from '../../electron/core/environment/environment-services.ts';
import type { LiveSlotStatus } from '../../shared/status.ts';

const PORT_BASE = 28500;
const available = labAvailable();
if (!available.ok) console.log(`# skipping traffic-live-slot: ${available.reason}`);
const skip = available.ok ? false : `lab not available: ${available.reason}`;
let lab: Lab | undefined;
let env: Environment;
let primary: Site;
let failover: Site;
let pool: SshPool | undefined;
let svc: LiveSlotService | undefined;
let services: EnvironmentServices | undefined;

before(async () => {
  if (skip) return;
  lab = await startLab({ portBase: PORT_BASE });
  const loaded = await loadWorkspace(lab.workspacePath);
  if (!loaded.ok) throw new Error(`lab workspace invalid:\n${formatIssues(loaded.issues)}`);
  env = loaded.workspace.environments[0]!;
  primary = env.sites.find((s) => s.name === 'primary')!;
  failover = env.sites.find((s) => s.name === 'failover')!;
  pool = new SshPool({ resolveSecret });
  const built = createEnvironmentServices(env, pool, resolveSecret);
  services = built;
  svc = new LiveSlotService({ env, createRouter: (site) => requireNamed(built.routers, site.name) });
});

after(async () => {
  await services?.close();
  await pool?.close();
  await lab?.stop();
});

async function read(site: string): Promise<LiveSlotStatus> {
  await svc!.pollOnce();
  const s = svc!.statuses().find((x) => x.site === site);
  assert.ok(s);
  return s;
}

/** One runtime API command on the HAProxy admin socket (node:net; bounded to 3 s). */
function haproxy(command: string): Promise<string> {
  const socket = failover.router.kind === 'haproxy' ? failover.router.adminSocket : '';
  return new Promise((resolve, reject) => {
    let out = '';
    const c = createConnection(socket, () => c.end(`${command}\n`));
    c.setEncoding('utf8').on('data', (d: string) => (out += d));
    c.on('end', () => resolve(out));
    c.on('error', reject);
    c.setTimeout(3000, () => c.destroy(new Error(`haproxy "${command}" timed out`)));
  });
}

/** Waits (bounded) until HAProxy reports `server` UP (op_state 2). */
async function haproxyUp(server: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const line = (await haproxy('show servers state be')).split('\n').find((l) => l.split(' ')[3] === server);
    if (line?.split(' ')[5] === '2') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`HAProxy server ${server} did not come UP within 10 s`);
}

/** The nginx switch as an operator would run it on the host: rewrite include, test, reload. */
async function nginxPointTo(addr: string): Promise<void> {
  if (primary.router.kind !== 'nginx') throw new Error('primary is not nginx');
  const { upstreamFile, nginxCommand } = primary.router;
  const tmp = `${upstreamFile}.new`;
  await exec(
    pool!,
    primary.ssh,
    `set -e; printf '%s\\n' ${shellQuote(`upstream app { server ${addr}; keepalive 8; }`)} > ${shellQuote(tmp)}; ` +
      `mv ${shellQuote(tmp)} ${shellQuote(upstreamFile)}; ${nginxCommand} -t -q; ${nginxCommand} -s reload`,
    { timeoutMs: 10_000 },
  );
}

test('both sites start on blue, read over SSH with the raw evidence', { skip }, async () => {
  const p = await read('primary');
  assert.equal(p.state, 'ok', JSON.stringify(p));
  assert.equal(p.router, 'nginx');
  assert.equal(p.liveSlot, 'blue');
  assert.equal(p.evidence, `upstream app: server ${primary.slots.find((s) => s.name === 'blue')!.routerId}`);
  const f = await read('failover');
  assert.equal(f.state, 'ok', JSON.stringify(f));
  assert.equal(f.router, 'haproxy');
  assert.equal(f.liveSlot, 'blue');
  assert.match(
    f.evidence ?? '',
    /^be\/blue op_state=2 admin_state=0; be\/green op_state=\d admin_state=\d+ \(maint\)$/,
  );
  assert.ok(f.observedAt !== null && f.lastGoodAt === f.observedAt);
});

test('nginx: include rewritten to green and reloaded outside Standby → green; back → blue', { skip }, async () => {
  const green = primary.slots.find((s) => s.name === 'green')!.routerId;
  const blue = primary.slots.find((s) => s.name === 'blue')!.routerId;
  await nginxPointTo(green);
  let p = await read('primary');
  assert.equal(p.liveSlot, 'green', JSON.stringify(p));
  assert.equal(p.evidence, `upstream app: server ${green}`);
  await nginxPointTo('127.0.0.9:9');
  p = await read('primary');
  assert.equal(p.state, 'ok');
  assert.equal(p.liveSlot, null);
  assert.match(p.reason ?? '', /127\.0\.0\.9:9 matches no slot/);
  await nginxPointTo(blue);
  p = await read('primary');
  assert.equal(p.liveSlot, 'blue');
});

test('HAProxy: green ready → both slots live; blue in maint → green; switched back → blue', { skip }, async () => {
  await haproxy('set server be/green state ready');
  await haproxyUp('green');
  let f = await read('failover');
  assert.equal(f.state, 'ok');
  assert.equal(f.liveSlot, null);
  assert.match(f.reason ?? '', /^both slots live/);
  assert.match(f.evidence ?? '', /be\/blue op_state=2 admin_state=0; be\/green op_state=2 admin_state=\d+$/);

  await haproxy('set server be/blue state maint');
  f = await read('failover');
  assert.equal(f.liveSlot, 'green', JSON.stringify(f));
  assert.equal(f.reason, undefined);
  assert.match(f.evidence ?? '', /be\/blue op_state=\d admin_state=1 \(maint\)/);

  await haproxy('set server be/blue state ready');
  await haproxyUp('blue');
  await haproxy('set server be/green state maint');
  f = await read('failover');
  assert.equal(f.liveSlot, 'blue');
});
