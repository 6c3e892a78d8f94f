/**
 * One site's SSH host goes away while Standby watches both sites through SSH: the failover
 * site's live slot (HAProxy read over SSH) and its tunnelled database node go unknown with the
 * reason and keep their last good time, while the primary site keeps updating; when sshd comes
 * back, both recover on their own.
 *
 * Stopping sshd's listener alone does not end established sessions (OpenSSH keeps one process
 * per connection), so to simulate the host going away the test also ends the per-connection
 * processes of that sshd (by PID, children of the recorded listener).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { labAvailable, pidRunning, startLab } from '../lab/lab.ts';
import type { Lab } from '../lab/lab.ts';
import { loadWorkspace, formatIssues } from '../../electron/core/config/load-workspace.ts';
import type { Environment } from '../../electron/core/config/workspace-schema.ts';
import { resolveSecret } from '../../electron/core/secrets/resolve-secret.ts';
import { SshPool } from '../../electron/core/ssh/ssh-pool.ts';
import { ReplicationService } from '../../electron/core/database/replication-service.ts';
import { LiveSlotService } from '../../electron/core/traffic/live-slot-service.ts';
import { createEnvironmentServices } from '../../electron/core/environment/create-environment-services.ts';
import { requireNamed, type EnvironmentServices } from '../../electron/core/environment/environment-services.ts';

const PORT_BASE = 28600;
const available = labAvailable();
if (!available.ok) console.log(`# skipping ssh-site-outage: ${available.reason}`);
const skip = available.ok ? false : `lab not available: ${available.reason}`;
let lab: Lab | undefined;
let env: Environment;
let pool: SshPool | undefined;
let slots: LiveSlotService | undefined;
let dbs: ReplicationService | undefined;
let services: EnvironmentServices | undefined;
let sshdStopped = false;

before(async () => {
  if (skip) return;
  lab = await startLab({ portBase: PORT_BASE });
  const loaded = await loadWorkspace(lab.workspacePath);
  if (!loaded.ok) throw new Error(`lab workspace invalid:\n${formatIssues(loaded.issues)}`);
  env = loaded.workspace.environments[0]!;
  pool = new SshPool({ resolveSecret });
  const breaker = { consecutiveFailures: 3, halfOpenAfterMs: 500 };
  const built = createEnvironmentServices(env, pool, resolveSecret);
  services = built;
  slots = new LiveSlotService({
    env,
    createRouter: (site) => requireNamed(built.routers, site.name),
    timeoutMs: 3000,
    breaker,
  });
  dbs = new ReplicationService({
    env,
    createAdapter: (db) => requireNamed(built.replication, db.name).adapter,
    nodeTimeoutMs: 3000,
    breaker,
  });
});

after(async () => {
  if (sshdStopped) await lab?.startProcess('failover-sshd').catch(() => {});
  await services?.close();
  await pool?.close();
  await lab?.stop();
});

/** PIDs whose parent is `ppid` (from /proc), with their command name. */
function childrenOf(ppid: number): { pid: number; comm: string }[] {
  const out: { pid: number; comm: string }[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[1]) === ppid) out.push({ pid: Number(d), comm: readFileSync(`/proc/${d}/comm`, 'utf8').trim() });
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

async function round(): Promise<number> {
  const t0 = performance.now();
  await Promise.all([slots!.pollOnce(), dbs!.pollOnce()]);
  return performance.now() - t0;
}
const live = (site: string) => slots!.statuses().find((s) => s.site === site)!;
const db = (name: string) => dbs!.statuses().find((s) => s.name === name)!;

test(
  'failover sshd gone: its live slot and tunnelled DB go unknown with reason; the primary site keeps updating; both recover',
  { skip },
  async () => {
    // all good first (bounded)
    for (let i = 0; i < 50; i++) {
      await round();
      if (
        live('primary').state === 'ok' &&
        live('failover').state === 'ok' &&
        db('pg-primary').state === 'ok' &&
        db('pg-replica').state === 'ok'
      )
        break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(live('failover').liveSlot, 'blue', JSON.stringify(live('failover')));
    assert.equal(db('pg-replica').role, 'replica', JSON.stringify(db('pg-replica')));
    const goodSlotAt = live('failover').lastGoodAt;
    const goodDbAt = db('pg-replica').lastGoodAt;

    const master = lab!.pids()['failover-sshd'];
    assert.ok(master, 'failover-sshd pid recorded');
    const sessions = childrenOf(master).filter((c) => c.comm === 'sshd');
    assert.ok(sessions.length >= 1, 'Standby holds a session on the failover sshd');
    sshdStopped = true;
    await lab!.stopProcess('failover-sshd');
    for (const s of sessions) process.kill(s.pid, 'SIGTERM');
    for (let i = 0; i < 100 && sessions.some((s) => pidRunning(s.pid)); i++)
      await new Promise((r) => setTimeout(r, 50));

    let beforePrimary = live('primary').observedAt ?? 0;
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 200));
      const took = await round();
      assert.ok(took < 4000, `a round took ${took} ms`);
      console.log(
        `# round ${i} (${Math.round(took)} ms): slot "${live('failover').reason}"; db "${db('pg-replica').reason}"`,
      );
      const f = live('failover');
      assert.equal(f.state, 'unknown', JSON.stringify(f));
      assert.equal(f.liveSlot, null);
      assert.match(f.reason ?? '', /refused|closed|circuit open/);
      assert.equal(f.lastGoodAt, goodSlotAt);
      const r = db('pg-replica');
      assert.equal(r.state, 'unknown', JSON.stringify(r));
      assert.equal(r.role, 'unknown');
      assert.match(r.reason ?? '', /SSH|refused|closed|terminated|circuit open/);
      assert.equal(r.lastGoodAt, goodDbAt);
      // the other site is unaffected and keeps updating
      const p = live('primary');
      assert.equal(p.state, 'ok');
      assert.equal(p.liveSlot, 'blue');
      assert.ok((p.observedAt ?? 0) > beforePrimary, 'primary site observed again');
      beforePrimary = p.observedAt ?? 0;
      assert.equal(db('pg-primary').state, 'ok');
      assert.equal(db('pg-primary').role, 'primary');
    }
    console.log(
      `# failover while down: slot reason "${live('failover').reason}"; db reason "${db('pg-replica').reason}"`,
    );

    await lab!.startProcess('failover-sshd');
    sshdStopped = false;
    const t0 = performance.now();
    for (let i = 0; i < 100 && performance.now() - t0 < 20_000; i++) {
      await round();
      if (live('failover').state === 'ok' && db('pg-replica').state === 'ok') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(live('failover').state, 'ok', JSON.stringify(live('failover')));
    assert.equal(live('failover').liveSlot, 'blue');
    assert.equal(db('pg-replica').state, 'ok', JSON.stringify(db('pg-replica')));
    assert.equal(db('pg-replica').role, 'replica');
    console.log(`# recovered ${Math.round(performance.now() - t0)} ms after sshd came back`);
  },
);
