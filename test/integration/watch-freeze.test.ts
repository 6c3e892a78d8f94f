/**
 * A watch that never sticks: the failover site's SSH host and its PostgreSQL node are frozen
 * (SIGSTOP, by PID: sshd with its session processes, the postmaster with its backends) for
 * 10 s while Standby polls the database nodes. The replica (tunnelled over that SSH host) must
 * go unknown while frozen, and be observed again (role and lag) within 3 poll intervals of the
 * thaw — no "previous observation is still running" hanging on from a socket the freeze left
 * half-open. Run twice: on a quiet machine, and with a CPU hog spinning on every core.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { readFileSync, readdirSync } from 'node:fs';
import { labAvailable, startLab } from '../lab/lab.ts';
import type { Lab } from '../lab/lab.ts';
import { loadWorkspace, formatIssues } from '../../electron/core/config/load-workspace.ts';
import type { Environment } from '../../electron/core/config/workspace-schema.ts';
import { resolveSecret } from '../../electron/core/secrets/resolve-secret.ts';
import { SshPool } from '../../electron/core/ssh/ssh-pool.ts';
import { ReplicationService } from '../../electron/core/database/replication-service.ts';
import { createEnvironmentServices } from '../../electron/core/environment/create-environment-services.ts';
import { requireNamed, type EnvironmentServices } from '../../electron/core/environment/environment-services.ts';

const PORT_BASE = 20300;
/** Poll interval of the watch, ms, and the per-node bound inside it. */
const POLL_MS = 2000;
const NODE_TIMEOUT_MS = 1500;
const FREEZE_MS = 10_000;
const available = labAvailable();
if (!available.ok) console.log(`# skipping watch-freeze: ${available.reason}`);
const skip = available.ok ? false : `lab not available: ${available.reason}`;
let lab: Lab | undefined;
let env: Environment;
let pool: SshPool | undefined;
let dbs: ReplicationService | undefined;
let services: EnvironmentServices | undefined;
/** Every PID currently SIGSTOPped by this file: always continued in finally/after. */
const frozen = new Set<number>();

before(async () => {
  if (skip) return;
  lab = await startLab({ portBase: PORT_BASE });
  const loaded = await loadWorkspace(lab.workspacePath);
  if (!loaded.ok) throw new Error(`lab workspace invalid:\n${formatIssues(loaded.issues)}`);
  env = loaded.workspace.environments[0]!;
  pool = new SshPool({ resolveSecret });
  const built = createEnvironmentServices(env, pool, resolveSecret);
  services = built;
  dbs = new ReplicationService({
    env,
    createAdapter: (db) => requireNamed(built.replication, db.name).adapter,
    nodeTimeoutMs: NODE_TIMEOUT_MS,
    breaker: { consecutiveFailures: 3, halfOpenAfterMs: POLL_MS / 2 },
  });
});

after(async () => {
  thawAll();
  await services?.close();
  await pool?.close();
  await lab?.stop();
});

function thawAll(): void {
  for (const pid of frozen) {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      /* exited meanwhile */
    }
  }
  frozen.clear();
}

/** `pid` and all its descendants (from /proc), parents first. */
function tree(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parentOf.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* exited meanwhile */
    }
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) for (const [c, p] of parentOf) if (p === out[i]) out.push(c);
  return out;
}

function freeze(names: string[]): number[] {
  const pids = lab!.pids();
  const all: number[] = [];
  for (const name of names) {
    const pid = pids[name];
    assert.ok(pid, `${name} pid recorded`);
    for (const p of tree(pid)) {
      frozen.add(p);
      process.kill(p, 'SIGSTOP');
      all.push(p);
    }
  }
  return all;
}

/** One busy-loop child per core, each ending on its own after `seconds` (and killed by PID in finally). */
function cpuHog(seconds: number): ChildProcess[] {
  const code = `const end = Date.now() + ${seconds * 1000}; let x = 0; while (Date.now() < end) x++;`;
  return Array.from({ length: availableParallelism() }, () =>
    spawn(process.execPath, ['-e', code], { stdio: 'ignore' }),
  );
}

const db = (name: string) => dbs!.statuses().find((s) => s.name === name)!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls like the monitor (one round every POLL_MS) until `until` holds or `maxRounds` ran; returns rounds run. */
async function pollUntil(until: () => boolean, maxRounds: number, log: string): Promise<number> {
  for (let i = 1; i <= maxRounds; i++) {
    const t0 = performance.now();
    await dbs!.pollOnce();
    const took = performance.now() - t0;
    const r = db('pg-replica');
    console.log(`# ${log} round ${i} (${Math.round(took)} ms): ${r.state} ${r.role} ${r.reason ?? ''}`);
    assert.ok(took < NODE_TIMEOUT_MS + 1000, `a round took ${Math.round(took)} ms`);
    if (until()) return i;
    await sleep(Math.max(0, POLL_MS - took));
  }
  return maxRounds + 1;
}

const replicaOk = () => {
  const r = db('pg-replica');
  return r.state === 'ok' && r.role === 'replica' && r.lagBytes !== null;
};

async function freezeAndThaw(label: string): Promise<void> {
  assert.ok((await pollUntil(replicaOk, 20, `${label} warm-up`)) <= 20, JSON.stringify(db('pg-replica')));
  const pids = freeze(['failover-sshd', 'pg-replica']);
  console.log(`# ${label}: froze ${pids.length} processes for ${FREEZE_MS} ms`);
  const frozenUntil = performance.now() + FREEZE_MS;
  let sawUnknown = false;
  try {
    while (performance.now() < frozenUntil) {
      const t0 = performance.now();
      await dbs!.pollOnce();
      const took = performance.now() - t0;
      assert.ok(took < NODE_TIMEOUT_MS + 1000, `a round while frozen took ${Math.round(took)} ms`);
      const r = db('pg-replica');
      if (r.state === 'unknown') {
        sawUnknown = true;
        assert.equal(r.role, 'unknown', JSON.stringify(r));
      }
      await sleep(Math.min(Math.max(0, POLL_MS - took), Math.max(0, frozenUntil - performance.now())));
    }
    assert.ok(sawUnknown, 'the frozen replica was shown unknown');
    console.log(`# ${label}: while frozen: "${db('pg-replica').reason}"`);
  } finally {
    thawAll();
  }
  const t0 = performance.now();
  const rounds = await pollUntil(replicaOk, 3, `${label} after thaw`);
  const r = db('pg-replica');
  assert.ok(rounds <= 3, `not observed again within 3 poll intervals of the thaw: ${JSON.stringify(r)}`);
  assert.doesNotMatch(r.reason ?? '', /still running/);
  console.log(`# ${label}: observed again after ${rounds} round(s), ${Math.round(performance.now() - t0)} ms`);
}

test(
  'failover sshd + PostgreSQL frozen 10 s: the replica goes unknown, then role and lag again within 3 polls',
  { skip },
  async () => {
    await freezeAndThaw('quiet');
  },
);

test('same with a CPU hog on every core', { skip }, async () => {
  const hogs = cpuHog(40);
  try {
    await freezeAndThaw('cpu hog');
  } finally {
    for (const h of hogs) if (h.pid && h.exitCode === null) process.kill(h.pid, 'SIGKILL');
  }
});
