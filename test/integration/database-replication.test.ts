/**
 * Replication monitoring against the real lab: PostgreSQL 15 primary on 127.0.0.2 and its
 * streaming replica on 127.0.0.3, both reached through SSH tunnels of their sites.
 *
 * Scenarios: roles and zero lag when idle; lagBytes shows under a bounded insert load on the
 * primary and converges to 0 after; with replay paused on the replica and writes on the primary,
 * replayPaused is true and lagSeconds grows; after resume everything is caught up again.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { labAvailable, startLab } from '../lab/lab.ts';
import type { Lab } from '../lab/lab.ts';
import { loadWorkspace, formatIssues } from '../../electron/core/config/load-workspace.ts';
import type { Environment } from '../../electron/core/config/workspace-schema.ts';
import { resolveSecret } from '../../electron/core/secrets/resolve-secret.ts';
import { SshPool } from '../../electron/core/ssh/ssh-pool.ts';
import { ReplicationService } from '../../electron/core/database/replication-service.ts';
import { createEnvironmentServices } from '../../electron/core/environment/create-environment-services.ts';
import { requireNamed, type EnvironmentServices } from '../../electron/core/environment/environment-services.ts';
import type { DbNodeStatus } from '../../shared/status.ts';

const PORT_BASE = 28400;
const available = labAvailable();
if (!available.ok) console.log(`# skipping database-replication: ${available.reason}`);
const skip = available.ok ? false : `lab not available: ${available.reason}`;
let lab: Lab | undefined;
let env: Environment;
let pool: SshPool | undefined;
let svc: ReplicationService | undefined;
let services: EnvironmentServices | undefined;
const samples: { node: string; t: number; lagBytes: number | null; lagSeconds: number | null }[] = [];

before(async () => {
  if (skip) return;
  lab = await startLab({ portBase: PORT_BASE });
  const loaded = await loadWorkspace(lab.workspacePath);
  if (!loaded.ok) throw new Error(`lab workspace invalid:\n${formatIssues(loaded.issues)}`);
  env = loaded.workspace.environments[0]!;
  pool = new SshPool({ resolveSecret });
  const built = createEnvironmentServices(env, pool, resolveSecret);
  services = built;
  svc = new ReplicationService({
    env,
    createAdapter: (db) => requireNamed(built.replication, db.name).adapter,
    onSample: (node, t, lagBytes, lagSeconds) => samples.push({ node, t, lagBytes, lagSeconds }),
  });
});

after(async () => {
  // resume replay even if a test failed half-way, so lab-down's fast shutdown is quick
  await lab?.psql('replica', 'select pg_wal_replay_resume()').catch(() => {});
  await services?.close();
  await pool?.close();
  await lab?.stop();
});

const byName = (name: string): DbNodeStatus => {
  const s = svc!.statuses().find((x) => x.name === name);
  assert.ok(s, `status of ${name}`);
  return s;
};
const show = (s: DbNodeStatus): string => JSON.stringify(s);

/** Polls (every ~100 ms, bounded) until `pred` holds for the replica; returns its status. */
async function pollUntil(
  what: string,
  limitMs: number,
  pred: (replica: DbNodeStatus) => boolean,
): Promise<DbNodeStatus> {
  const t0 = performance.now();
  for (let i = 0; i < 1000 && performance.now() - t0 < limitMs; i++) {
    await svc!.pollOnce();
    const r = byName('pg-replica');
    if (pred(r)) return r;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(
    `${what}: not reached within ${limitMs} ms; replica: ${show(byName('pg-replica'))}; primary: ${show(byName('pg-primary'))}`,
  );
}

test('roles of both nodes, tunnelled, caught up when idle', { skip }, async () => {
  const r = await pollUntil('idle replica caught up', 15_000, (s) => s.state === 'ok' && s.lagBytes === 0);
  const p = byName('pg-primary');
  assert.equal(p.state, 'ok', show(p));
  assert.equal(p.role, 'primary');
  assert.equal(p.viaSsh, true);
  assert.equal(p.lagBytes, null);
  assert.equal(r.role, 'replica');
  assert.equal(r.walReceiver, 'streaming');
  assert.equal(r.replayPaused, false);
  assert.equal(r.lagSeconds, 0);
  assert.equal(r.viaSsh, true);
  assert.ok(r.observedAt !== null && r.lastGoodAt === r.observedAt);
  const last = samples.filter((s) => s.node === 'pg-replica').at(-1);
  assert.deepEqual([last?.lagBytes, last?.lagSeconds], [0, 0]);
  assert.equal(samples.filter((s) => s.node === 'pg-primary').length, 0, 'no lag samples for the primary');
});

test('lagBytes shows under a bounded insert load and converges to 0 after', { skip }, async () => {
  await lab!.psql('primary', 'create table if not exists load(i int, pad text)');
  let loading = true;
  // ~300k rows of 200 bytes (≈ 90 MB of WAL) in 6 statements, then stop: bounded in size and time.
  const load = (async () => {
    try {
      for (let i = 0; i < 6; i++)
        await lab!.psql('primary', "insert into load select g, repeat('x', 200) from generate_series(1, 50000) g");
    } finally {
      loading = false;
    }
  })();
  let maxLag = 0;
  const t0 = performance.now();
  for (let i = 0; i < 600 && loading && performance.now() - t0 < 60_000; i++) {
    await svc!.pollOnce();
    const r = byName('pg-replica');
    if (r.lagBytes !== null) maxLag = Math.max(maxLag, r.lagBytes);
  }
  await load;
  assert.ok(maxLag > 0, `lagBytes was never > 0 under load (max ${maxLag})`);
  const r = await pollUntil('caught up after the load', 30_000, (s) => s.lagBytes === 0);
  assert.equal(r.lagSeconds, 0);
  console.log(`# max lag under load: ${maxLag} bytes`);
});

test('paused replay: replayPaused, lagBytes > 0 and lagSeconds grows; resume catches up', { skip }, async () => {
  await pollUntil('caught up before pausing', 15_000, (s) => s.lagBytes === 0);
  await lab!.psql('replica', 'select pg_wal_replay_pause()');
  await lab!.psql('primary', "insert into items(name) select 'paused-' || g from generate_series(1, 100) g");
  const first = await pollUntil(
    'pause seen with lag',
    15_000,
    (s) => s.replayPaused === true && (s.lagBytes ?? 0) > 0 && s.lagSeconds !== null,
  );
  assert.match(first.reason ?? '', /WAL replay (paused|pause requested)/);
  await new Promise((res) => setTimeout(res, 1500));
  await lab!.psql('primary', "insert into items(name) values ('paused-more')");
  const later = await pollUntil('lag seconds grew', 10_000, (s) => (s.lagSeconds ?? 0) >= (first.lagSeconds ?? 0) + 1);
  assert.equal(later.replayPaused, true);
  assert.ok((later.lagBytes ?? 0) >= (first.lagBytes ?? 0), 'lag bytes do not shrink while paused');
  console.log(
    `# paused: lagSeconds ${first.lagSeconds} → ${later.lagSeconds}, lagBytes ${first.lagBytes} → ${later.lagBytes}`,
  );

  await lab!.psql('replica', 'select pg_wal_replay_resume()');
  const resumed = await pollUntil(
    'caught up after resume',
    15_000,
    (s) => s.lagBytes === 0 && s.replayPaused === false,
  );
  assert.equal(resumed.lagSeconds, 0);
  assert.equal(resumed.reason, undefined);
});

test(
  'replica server stopped: that node goes unknown with the reason, the primary stays observed; restart recovers',
  { skip },
  async () => {
    await pollUntil('healthy before the stop', 15_000, (s) => s.state === 'ok');
    const goodAt = byName('pg-replica').lastGoodAt;
    await lab!.stopProcess('pg-replica');
    try {
      const down = await pollUntil('replica unknown', 15_000, (s) => s.state === 'unknown');
      assert.equal(down.role, 'unknown');
      assert.equal(down.lagBytes, null);
      assert.equal(down.lastGoodAt, goodAt);
      assert.match(down.reason ?? '', /refused|terminated|not accepting|shutting down/i);
      console.log(`# replica down: "${down.reason}"`);
      const p = byName('pg-primary');
      assert.equal(p.state, 'ok');
      assert.equal(p.role, 'primary');
    } finally {
      await lab!.startProcess('pg-replica');
    }
    const back = await pollUntil(
      'replica back and streaming',
      20_000,
      (s) => s.state === 'ok' && s.walReceiver === 'streaming' && s.lagBytes === 0,
    );
    assert.equal(back.role, 'replica');
  },
);
