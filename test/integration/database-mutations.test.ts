/**
 * PostgreSQL mutations against the real lab (primary 127.0.0.2, streaming replica 127.0.0.3,
 * both reached through their sites' SSH tunnels; commands on the sites' SSH hosts as the lab
 * user), as the runbook steps db.await-lag, db.fence, db.promote and db.rejoin will call them.
 *
 * One full cycle, in order (each test builds on the previous one):
 * 1. awaitLag under a bounded writer reaches its bound; with replay paused it times out;
 * 2. a soft fence makes a plain INSERT fail (and is shown to be soft);
 * 3. a hard fence stops the primary over SSH, verified down; again → no-op;
 * 4. the replica is promoted and accepts a write; the old primary is still fenced (never two
 *    writable primaries); again → no-op;
 * 5. the old primary comes back by itself and takes a write (split brain): rejoin refuses it;
 *    after a hard fence, pg_rewind rebuilds it as a replica of the new primary, the split-brain
 *    write is gone, it streams; again → no-op;
 * 6. switch back: fence the new primary, promote the original, rejoin the other with a fresh
 *    base backup → the original topology (primary on 127.0.0.2, replica streaming via replica1).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { labAvailable, startLab } from '../lab/lab.ts';
import type { Lab } from '../lab/lab.ts';
import { loadWorkspace, formatIssues } from '../../electron/core/config/load-workspace.ts';
import type { Environment } from '../../electron/core/config/workspace-schema.ts';
import { resolveSecret } from '../../electron/core/secrets/resolve-secret.ts';
import { SshPool } from '../../electron/core/ssh/ssh-pool.ts';
import { PostgresAdapter, ReplicationError } from '../../electron/core/database/adapters/postgresql.ts';
import { awaitLag } from '../../electron/core/database/await-lag.ts';
import type { LagProgress } from '../../electron/core/database/await-lag.ts';
import type { OpProgress } from '../../electron/core/database/replication-adapter.ts';

const PORT_BASE = 23300; // below the ephemeral port range (32768+), so outgoing connections never take a lab port
const available = labAvailable();
if (!available.ok) console.log(`# skipping database-mutations: ${available.reason}`);
const skip = available.ok ? false : `lab not available: ${available.reason}`;
let lab: Lab | undefined;
let env: Environment;
let pool: SshPool | undefined;
let P: PostgresAdapter; // the node at 127.0.0.2 ("pg-primary"), whatever its role
let R: PostgresAdapter; // the node at 127.0.0.3 ("pg-replica")
const kept: string[] = [];
const timings: Record<string, number> = {};

before(async () => {
  if (skip) return;
  lab = await startLab({ portBase: PORT_BASE });
  const loaded = await loadWorkspace(lab.workspacePath);
  if (!loaded.ok) throw new Error(`lab workspace invalid:\n${formatIssues(loaded.issues)}`);
  env = loaded.workspace.environments[0]!;
  pool = new SshPool({ resolveSecret });
  const mk = (name: string): PostgresAdapter => {
    const db = env.databases.find((d) => d.name === name)!;
    const site = env.sites.find((s) => s.name === db.site)!;
    return new PostgresAdapter({ db, ssh: site.ssh, pool: pool!, resolveSecret });
  };
  P = mk('pg-primary');
  R = mk('pg-replica');
});

after(async () => {
  await lab?.psql('replica', 'select pg_wal_replay_resume()').catch(() => {});
  await P?.close();
  await R?.close();
  await pool?.close();
  await lab?.stop();
  // a base backup keeps the replaced data directory; outside the lab dir it would outlive it
  for (const d of kept)
    if (/^\/tmp\/standby-replaced\.[A-Za-z0-9]+$/.test(d)) await rm(d, { recursive: true, force: true });
  if (Object.keys(timings).length) console.log(`# timings (ms): ${JSON.stringify(timings)}`);
});

/** Rejects with the ReplicationError of `p`, asserting its kind. */
async function rejectsWith(p: Promise<unknown>, kind: string, re?: RegExp): Promise<ReplicationError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ReplicationError, `expected a ReplicationError, got ${String(e)}`);
    assert.equal(e.error.kind, kind, e.message);
    if (re) assert.match(e.message, re);
    return e;
  }
  assert.fail(`expected a ReplicationError (${kind})`);
}

test('awaitLag: reaches its bound under a bounded writer, and times out while replay is paused', { skip }, async () => {
  await lab!.psql('primary', 'create table if not exists writer_seq (seq int primary key)');
  let writing = true;
  // 40 batches × 500 rows, then stop: bounded in count (and in time by psql's own limit)
  const writer = (async () => {
    try {
      for (let b = 0; b < 40; b++)
        await lab!.psql(
          'primary',
          `insert into writer_seq select g from generate_series(${b * 500 + 1}, ${(b + 1) * 500}) g`,
        );
    } finally {
      writing = false;
    }
  })();
  const seen: LagProgress[] = [];
  const under = await awaitLag({
    primary: P,
    replica: R,
    maxBytes: 4 * 1024 * 1024,
    timeoutMs: 15_000,
    intervalMs: 100,
    onProgress: (p) => seen.push(p),
  });
  assert.ok(under.lagBytes <= 4 * 1024 * 1024);
  assert.ok(seen.length >= 1 && seen.every((p) => p.lagBytes !== null), JSON.stringify(seen));
  const wasWriting = writing;
  await writer;
  const done = await awaitLag({ primary: P, replica: R, maxBytes: 0, timeoutMs: 15_000, intervalMs: 100 });
  assert.equal(done.lagBytes, 0);
  assert.equal(done.lagSeconds, 0);
  assert.equal(
    await lab!.psql('replica', 'select count(*) from writer_seq'),
    '20000',
    'every row of the writer is on the replica',
  );
  console.log(
    `# awaitLag ≤4 MiB during the writer (still writing: ${wasWriting}) in ${under.durationMs} ms, lag 0 after it in ${done.durationMs} ms`,
  );

  await lab!.psql('replica', 'select pg_wal_replay_pause()');
  try {
    await lab!.psql('primary', "insert into items(name) select 'paused-' || g from generate_series(1, 200) g");
    const rounds: LagProgress[] = [];
    await rejectsWith(
      awaitLag({
        primary: P,
        replica: R,
        maxBytes: 0,
        timeoutMs: 1200,
        intervalMs: 100,
        onProgress: (p) => rounds.push(p),
      }),
      'timeout',
      /did not come within ≤ 0 bytes/,
    );
    assert.ok(rounds.length >= 3 && rounds.at(-1)!.lagBytes! > 0, JSON.stringify(rounds.at(-1)));
  } finally {
    await lab!.psql('replica', 'select pg_wal_replay_resume()');
  }
  const caught = await awaitLag({ primary: P, replica: R, maxBytes: 0, maxSeconds: 1, timeoutMs: 15_000 });
  assert.equal(caught.lagBytes, 0);
});

test(
  'soft fence: a plain INSERT is refused, verifyFenced says read-only, again → no-op (and it is only soft)',
  { skip },
  async () => {
    const f = await P.fence('soft');
    assert.equal(f.mode, 'soft');
    assert.equal(f.changed, true, f.summary);
    assert.equal(f.verified, true);
    assert.ok(
      f.commands.some((c) => c.text === 'ALTER SYSTEM SET default_transaction_read_only = on'),
      'the exact SQL is reported',
    );
    await assert.rejects(
      lab!.psql('primary', "insert into items(name) values ('after-soft-fence')"),
      /read-only transaction/,
    );
    const check = await P.verifyFenced();
    assert.deepEqual([check.fenced, check.state], [true, 'read-only'], check.evidence);
    const again = await P.fence('soft');
    assert.equal(again.changed, false, again.summary);
    assert.match(again.summary, /already read-only/);
    // why it is soft: a client that turns the default off can still write
    await lab!.psql(
      'primary',
      "set default_transaction_read_only = off;\ninsert into items(name) values ('soft-fence-bypassed');",
    );
    timings.softFence = f.durationMs;
  },
);

test('hard fence: pg_ctl fast stop over SSH, verified down; again → no-op', { skip }, async () => {
  await awaitLag({ primary: P, replica: R, maxBytes: 0, timeoutMs: 15_000 });
  const planned = P.plan({ kind: 'fence', mode: 'hard' }).map((c) => c.text);
  const f = await P.fence('hard');
  assert.ok(
    f.commands.every((c) => planned.includes(c.text)),
    'what ran is what the plan showed',
  );
  assert.equal(f.changed, true, f.summary);
  assert.equal(f.verified, true);
  assert.match(f.evidence, /refused; pg_ctl status: .*no server running/);
  const stop = f.commands.find((c) => /pg_ctl .* -m fast -w -t 60 stop$/.test(c.text));
  assert.ok(stop?.durationMs !== undefined, JSON.stringify(f.commands));
  const check = await P.verifyFenced();
  assert.deepEqual([check.fenced, check.state], [true, 'down']);
  const again = await P.fence('hard');
  assert.equal(again.changed, false);
  assert.match(again.summary, /already stopped/);
  timings.hardFenceStop = stop.durationMs;
  timings.hardFence = f.durationMs;
  console.log(`# hard fence: pg_ctl stop ${stop.durationMs} ms, whole call ${f.durationMs} ms`);
});

test(
  'promote: out of recovery and a write commits; the old primary stays fenced (one writable primary); again → no-op',
  { skip },
  async () => {
    const planned = R.plan({ kind: 'promote', waitSeconds: 30 }).map((c) => c.text.replace(/ -- \$1 = .*/, ''));
    const p = await R.promote({ waitSeconds: 30 });
    assert.equal(p.changed, true, p.summary);
    assert.ok(
      p.commands.every((c) => planned.includes(c.text.replace(/ -- \$1 = .*/, ''))),
      'what ran is what the plan showed',
    );
    assert.equal(p.verified, true, p.evidence);
    assert.ok(p.promoteMs > 0 && p.promoteMs < 10_000);
    assert.ok(p.commands.some((c) => c.text === 'SELECT pg_promote(wait => true, wait_seconds => 30) AS promoted'));
    const v = await R.verifyPromoted();
    assert.deepEqual([v.promoted, v.inRecovery, v.writeCommitted], [true, false, true], v.evidence);
    const writable = [];
    for (const [name, a] of [
      ['pg-primary', P],
      ['pg-replica', R],
    ] as const)
      if (!(await a.verifyFenced()).fenced) writable.push(name);
    assert.deepEqual(writable, ['pg-replica'], 'exactly one writable primary');
    const again = await R.promote({ waitSeconds: 30 });
    assert.equal(again.changed, false);
    assert.equal(again.verified, true);
    timings.promote = p.promoteMs;
    console.log(`# promote: pg_promote ${p.promoteMs} ms, with read-back ${p.durationMs} ms`);
  },
);

test(
  'rejoin: refuses a running primary (split brain); after a hard fence pg_rewind makes it a streaming replica and the split-brain write is gone',
  { skip },
  async () => {
    // the old primary comes back by itself (as after an unplanned failover) and takes a write
    await lab!.startProcess('pg-primary');
    await lab!.psql(
      'primary',
      "set default_transaction_read_only = off;\ninsert into items(name) values ('split-brain');",
    );
    await rejectsWith(P.rewind({ source: R }), 'unsafe-plan', /running as a primary/);
    // split brain: the other direction is refused as well
    await rejectsWith(R.rewind({ source: P }), 'unsafe-plan', /running as a primary/);

    await P.fence('hard');
    const plan = P.plan({ kind: 'rewind', source: R });
    assert.ok(
      plan.some((c) => c.text.includes('pg_rewind --target-pgdata=')) &&
        plan.some((c) => c.text.includes('pg_basebackup') && c.outcome === 'only if pg_rewind cannot work'),
    );
    const phases: OpProgress[] = [];
    const r = await P.rewind({ source: R, onProgress: (x) => phases.push(x) });
    assert.equal(r.method, 'rewind', r.summary);
    assert.equal(r.changed, true);
    assert.equal(r.streaming.streaming, true, r.streaming.evidence);
    assert.equal(r.slot, 'standby_pg_primary');
    // the old primary's slot for its replica must not survive to pin WAL (dropped, or gone with the rewind)
    assert.equal(
      await lab!.psql('primary', 'select count(*) from pg_replication_slots where not active'),
      '0',
      `dropped: ${JSON.stringify(r.droppedSlots)}`,
    );
    assert.deepEqual(
      phases.map((x) => x.phase),
      ['check', 'checkpoint', 'rewind', 'configure', 'start', 'streaming'],
    );
    assert.ok(r.commands.some((c) => c.kind === 'shell' && /pg_rewind --target-pgdata=/.test(c.text)));
    const password = await readFile(lab!.ports.PG_PASSWORD_FILE!, 'utf8');
    assert.ok(!JSON.stringify(r.commands).includes(password), 'no password in the reported commands');
    const rewound = r.commands.find((c) => /pg_rewind/.test(c.text));
    console.log(`# rewind: ${r.durationMs} ms (${JSON.stringify(r.phaseMs)}); pg_rewind said: ${rewound?.outcome}`);
    timings.rewind = r.durationMs;

    const s = await P.verifyStreaming(R);
    assert.equal(s.streaming, true, s.evidence);
    assert.equal(s.sender, `${env.databases[1]!.host}:${env.databases[1]!.port}`);
    assert.equal(
      await lab!.psql('primary', "select count(*) from items where name = 'split-brain'"),
      '0',
      'the split-brain write was rewound away',
    );
    assert.equal(await lab!.psql('primary', 'select pg_is_in_recovery()'), 't');
    assert.equal(
      await lab!.psql('primary', 'show default_transaction_read_only'),
      'off',
      'the soft fence setting is not carried into the replica',
    );
    assert.equal(await lab!.psql('primary', 'show port'), String(env.databases[0]!.port), 'own port kept');
    await lab!.psql('replica', "insert into items(name) values ('on-new-primary')");
    await awaitLag({ primary: R, replica: P, maxBytes: 0, timeoutMs: 15_000 });
    assert.equal(await lab!.psql('primary', "select count(*) from items where name = 'on-new-primary'"), '1');

    const again = await P.rewind({ source: R });
    assert.equal(again.method, 'none');
    assert.equal(again.changed, false);
  },
);

test(
  'switch back: fence the new primary, promote the original, rejoin the other with a base backup → original topology',
  { skip },
  async () => {
    await awaitLag({ primary: R, replica: P, maxBytes: 0, timeoutMs: 15_000 });
    const f = await R.fence('hard');
    assert.equal(f.verified, true);
    const p = await P.promote({ waitSeconds: 30 });
    assert.equal(p.verified, true, p.evidence);
    assert.equal((await R.verifyFenced()).fenced, true);
    timings.promoteBack = p.promoteMs;

    const r = await R.rewind({ source: P, method: 'base-backup' });
    if (r.keptDataDir) kept.push(r.keptDataDir);
    assert.equal(r.method, 'base-backup', r.summary);
    assert.match(r.summary, /fresh base backup/);
    assert.ok(r.keptDataDir, 'the replaced data directory is kept, and its place reported');
    assert.equal(r.slot, 'replica1');
    assert.equal(r.streaming.streaming, true, r.streaming.evidence);
    timings.baseBackupRejoin = r.durationMs;
    console.log(`# base-backup rejoin: ${r.durationMs} ms (${JSON.stringify(r.phaseMs)})`);

    assert.equal(await lab!.psql('primary', 'select pg_is_in_recovery()'), 'f');
    assert.equal(await lab!.psql('replica', 'select pg_is_in_recovery()'), 't');
    assert.equal(
      await lab!.psql('primary', "select active from pg_replication_slots where slot_name = 'replica1'"),
      't',
    );
    assert.equal(await lab!.psql('replica', 'show port'), String(env.databases[1]!.port));
    await lab!.psql('primary', "insert into items(name) values ('after-failback')");
    await awaitLag({ primary: P, replica: R, maxBytes: 0, timeoutMs: 15_000 });
    assert.equal(
      await lab!.psql(
        'replica',
        "select count(*) from items where name in ('after-failback', 'on-new-primary', 'soft-fence-bypassed')",
      ),
      '3',
    );
    assert.equal((await R.verifyStreaming(P)).streaming, true);
  },
);
