/**
 * The fence / promote / rejoin flows against a fake node (no server): idempotence, refusals,
 * the pg_rewind → base backup fallback, and that every error carries the commands that ran.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DatabaseConfig } from '../../../electron/core/config/workspace-schema.ts';
import type { ExecResult } from '../../../electron/core/ssh/ssh-exec.ts';
import type { CommandLog } from '../../../electron/core/platform/command-log.ts';
import type { OpCommand } from '../../../electron/core/database/replication-adapter.ts';
import { ReplicationError } from '../../../electron/core/database/replication-error.ts';
import {
  fencePg,
  promotePg,
  rewindPg,
  verifyFencedPg,
  verifyPromotedPg,
} from '../../../electron/core/database/adapters/postgresql-control.ts';
import type { PgControlHost, SqlSession } from '../../../electron/core/database/adapters/postgresql-control.ts';

interface Node {
  running: boolean;
  inRecovery: boolean;
  readOnly: boolean;
  /** Streaming from `sender` ("host:port") once running as a replica. */
  sender: string | null;
  slots: { name: string; active: boolean }[];
  /** What the fake pg_rewind does. */
  rewind: 'ok' | 'diverged' | 'auth';
  promoteResult: boolean;
  /** The stop command leaves the server running (a broken pg_ctl). */
  stopIgnored: boolean;
  sshDown: boolean;
}

const refused = (): Error => Object.assign(new Error('Connection terminated unexpectedly'), { refusedHere: true });
const sqlError = (code: string, message: string): Error => Object.assign(new Error(message), { code });
const cmdError = (command: string, exitCode: number, stderr: string): Error =>
  Object.assign(new Error(`\`${command}\` exited with ${exitCode}: ${stderr}`), {
    exitCode,
    stderr,
    stdout: '',
    error: { kind: 'internal', message: stderr },
  });

function db(name: string, host: string, extra: Partial<DatabaseConfig> = {}): DatabaseConfig {
  return {
    name,
    site: name,
    engine: 'postgresql',
    host,
    port: 5432,
    database: 'app',
    user: 'postgres',
    password: { env: 'X' },
    viaSsh: true,
    dataDir: `/data/${name}`,
    pgBin: '/pg/bin',
    ...extra,
  };
}

function fakeHost(config: DatabaseConfig, node: Node, peers: () => Node[] = () => []): PgControlHost & { node: Node } {
  const where = `database ${config.name}`;
  const host: PgControlHost & { node: Node } = {
    node,
    db: config,
    where,
    sshTarget: 'lab@host:22',
    async withSession<T>(log: CommandLog<OpCommand>, fn: (s: SqlSession) => Promise<T>): Promise<T> {
      if (node.sshDown)
        throw Object.assign(new Error('SSH connection refused'), {
          error: { kind: 'unreachable', message: 'SSH connection refused' },
        });
      if (!node.running) throw refused();
      const session: SqlSession = {
        query: <R extends object>(text: string, params?: readonly unknown[]) =>
          log.run({ kind: 'sql', target: where, text }, async () => answer(text, params) as R[]),
      };
      return fn(session);
    },
    async shell(log: CommandLog<OpCommand>, command: string, options = {}): Promise<ExecResult> {
      return log.run({ kind: 'shell', target: 'lab@host:22', text: command }, async () => {
        if (node.sshDown)
          throw Object.assign(new Error('SSH connection refused'), {
            error: { kind: 'unreachable', message: 'SSH connection refused' },
          });
        const ok = (stdout = '', exitCode = 0): ExecResult => {
          if (!(options.successExitCodes ?? [0]).includes(exitCode)) throw cmdError(command, exitCode, stdout);
          return { exitCode, stdout, stderr: '', durationMs: 1, truncated: false };
        };
        if (/pg_ctl .* status$/.test(command))
          return ok(node.running ? 'pg_ctl: server is running' : 'pg_ctl: no server running', node.running ? 0 : 3);
        if (/pg_ctl .* stop$/.test(command)) {
          if (!node.stopIgnored) node.running = false;
          return ok('server stopped');
        }
        if (command.includes('standby-rejoin.XXXXXX')) return ok('/tmp/standby-rejoin.abc\n');
        if (command.includes('pg_rewind')) {
          if (node.rewind === 'diverged')
            throw cmdError(command, 1, 'pg_rewind: error: could not find previous WAL record at 0/3000028');
          if (node.rewind === 'auth')
            throw cmdError(
              command,
              1,
              'pg_rewind: error: connection to server failed: FATAL:  password authentication failed for user "postgres"',
            );
          return ok('pg_rewind: Done!');
        }
        if (command.includes('pg_basebackup')) return ok('kept /data/x.standby-replaced-1\n');
        if (command.includes('standby.signal')) {
          node.inRecovery = true;
          return ok();
        }
        if (command === 'START') {
          node.running = true;
          node.readOnly = false;
          const src = peers().find((p) => !p.inRecovery && p.running);
          node.sender = src ? 'source' : null;
          if (src) src.slots = src.slots.map((s) => ({ ...s, active: s.name === 'standby_old' ? true : s.active }));
          return ok();
        }
        throw new Error(`unexpected command ${command}`);
      });
    },
    password: async () => 'secret',
    refusedOnPort: (e) => (e as { refusedHere?: boolean }).refusedHere === true,
    toError: (e, log) =>
      e instanceof ReplicationError
        ? e
        : new ReplicationError(
            {
              kind: (e as { error?: { kind?: 'internal' } }).error?.kind ?? 'internal',
              message: (e as Error).message,
              where,
            },
            { cause: e, commands: log.commands },
          ),
  };
  function answer(text: string, params?: readonly unknown[]): unknown[] {
    if (text.startsWith('SELECT pg_is_in_recovery() AS in_recovery, current_setting'))
      return [{ in_recovery: node.inRecovery, default_ro: node.readOnly ? 'on' : 'off' }];
    if (text === 'SELECT pg_is_in_recovery() AS in_recovery') return [{ in_recovery: node.inRecovery }];
    if (text === 'BEGIN' || text === 'ROLLBACK' || text === 'CHECKPOINT' || text === 'SELECT pg_reload_conf()')
      return [];
    if (text.startsWith('CREATE TEMP TABLE') || text.startsWith('CREATE TABLE') || text.startsWith('INSERT')) {
      if (node.readOnly || node.inRecovery)
        throw sqlError('25006', 'cannot execute CREATE TABLE in a read-only transaction');
      return text.startsWith('INSERT') ? [{ txid: '7', checked_at: 'now' }] : [];
    }
    if (text.startsWith('ALTER SYSTEM SET default_transaction_read_only')) {
      node.readOnly = true;
      return [];
    }
    if (text.includes('pg_terminate_backend')) return [{ terminated: 2 }];
    if (text.startsWith('SELECT pg_promote')) {
      if (node.promoteResult) node.inRecovery = false;
      return [{ promoted: node.promoteResult }];
    }
    if (text.includes('pg_stat_wal_receiver')) {
      const streaming = node.inRecovery && node.sender !== null;
      return [
        {
          in_recovery: node.inRecovery,
          status: streaming ? 'streaming' : null,
          sender_host: streaming ? '10.0.0.2' : null,
          sender_port: streaming ? 5432 : null,
          slot_name: streaming ? 'standby_old' : null,
        },
      ];
    }
    if (text.startsWith('SELECT application_name, state FROM pg_stat_replication'))
      return node.slots.some((s) => s.active) ? [{ application_name: 'old', state: 'streaming' }] : [];
    if (text.startsWith('SELECT active FROM pg_replication_slots'))
      return node.slots.filter((s) => s.name === params?.[0]).map((s) => ({ active: s.active }));
    if (text.startsWith('SELECT active, slot_type FROM pg_replication_slots'))
      return node.slots.filter((s) => s.name === params?.[0]).map((s) => ({ active: s.active, slot_type: 'physical' }));
    if (text.startsWith('SELECT slot_name FROM pg_create_physical_replication_slot')) {
      node.slots.push({ name: String(params?.[0]), active: false });
      return [{ slot_name: params?.[0] }];
    }
    if (text.startsWith('SELECT slot_name FROM pg_replication_slots WHERE NOT active'))
      return node.slots.filter((s) => !s.active).map((s) => ({ slot_name: s.name }));
    if (text.startsWith('SELECT pg_drop_replication_slot')) {
      node.slots = node.slots.filter((s) => s.name !== params?.[0]);
      return [{}];
    }
    throw new Error(`unexpected SQL ${text}`);
  }
  return host;
}

const primaryNode = (o: Partial<Node> = {}): Node => ({
  running: true,
  inRecovery: false,
  readOnly: false,
  sender: null,
  slots: [],
  rewind: 'ok',
  promoteResult: true,
  stopIgnored: false,
  sshDown: false,
  ...o,
});

async function rejects(p: Promise<unknown>, kind: string, re?: RegExp): Promise<ReplicationError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ReplicationError, String(e));
    assert.equal(e.error.kind, kind, e.message);
    if (re) assert.match(e.message, re);
    return e;
  }
  assert.fail('did not reject');
}

test('verifyFenced: writable, read-only, in recovery, down (refused + pg_ctl), unknown (refused but running), SSH down rejects', async () => {
  const n = primaryNode();
  const h = fakeHost(db('a', '10.0.0.1'), n);
  assert.deepEqual(await verifyFencedPg(h).then((c) => [c.fenced, c.state]), [false, 'writable']);
  n.readOnly = true;
  const ro = await verifyFencedPg(h);
  assert.deepEqual([ro.fenced, ro.state], [true, 'read-only']);
  assert.deepEqual(
    ro.commands.map((c) => c.text.split(' ')[0]),
    ['SELECT', 'BEGIN', 'CREATE', 'ROLLBACK'],
  );
  n.inRecovery = true;
  assert.equal((await verifyFencedPg(h)).state, 'in-recovery');
  n.running = false;
  const down = await verifyFencedPg(h);
  assert.deepEqual([down.fenced, down.state], [true, 'down']);
  assert.match(down.evidence, /refused; pg_ctl status: pg_ctl: no server running \(exit 3\)/);
  // refused on the port but pg_ctl says it runs: not proof of anything
  const odd = fakeHost(db('a', '10.0.0.1'), primaryNode());
  odd.withSession = async () => {
    throw refused();
  };
  assert.deepEqual(await verifyFencedPg(odd).then((c) => [c.fenced, c.state]), [false, 'unknown']);
  n.sshDown = true;
  await rejects(verifyFencedPg(h), 'unreachable');
});

test('hard fence: stops a running node and verifies it down; a stopped node is a no-op; needs dataDir', async () => {
  const n = primaryNode();
  const h = fakeHost(db('a', '10.0.0.1'), n);
  const f = await fencePg(h, 'hard');
  assert.deepEqual([f.changed, f.verified, n.running], [true, true, false]);
  assert.deepEqual(
    f.commands.map((c) => c.text),
    [
      '/pg/bin/pg_ctl -D /data/a status',
      '/pg/bin/pg_ctl -D /data/a -m fast -w -t 60 stop',
      '/pg/bin/pg_ctl -D /data/a status',
    ],
  );
  const again = await fencePg(h, 'hard');
  assert.equal(again.changed, false);
  assert.match(again.summary, /already stopped/);
  await rejects(
    fencePg(fakeHost(db('b', '10.0.0.1', { dataDir: undefined }), primaryNode()), 'hard'),
    'invalid-input',
    /needs its data directory/,
  );
});

test('hard fence that does not take: rejects with the commands that ran', { timeout: 10_000 }, async () => {
  const e = await rejects(
    fencePg(fakeHost(db('a', '10.0.0.1'), primaryNode({ stopIgnored: true })), 'hard'),
    'internal',
    /still accepts writes/,
  );
  assert.ok(e.commands.some((c) => c.text.endsWith(' stop')));
});

test('soft fence: read-only by default + sessions ended; again and on a replica → no-op', async () => {
  const n = primaryNode();
  const h = fakeHost(db('a', '10.0.0.1'), n);
  const f = await fencePg(h, 'soft');
  assert.deepEqual([f.changed, f.verified, n.readOnly], [true, true, true]);
  assert.ok(f.commands.some((c) => c.text.startsWith('SELECT count(*)::int AS terminated')));
  assert.equal((await fencePg(h, 'soft')).changed, false);
  const r = await fencePg(fakeHost(db('r', '10.0.0.2'), primaryNode({ inRecovery: true })), 'soft');
  assert.equal(r.changed, false);
  assert.match(r.summary, /is a replica/);
});

test('promote: promotes and verifies a write; a primary is a no-op; pg_promote false → timeout; bad waitSeconds → invalid-input', async () => {
  const n = primaryNode({ inRecovery: true });
  const h = fakeHost(db('r', '10.0.0.2'), n);
  const p = await promotePg(h, 30);
  assert.deepEqual([p.changed, p.verified, n.inRecovery], [true, true, false]);
  assert.match(p.evidence, /a write committed/);
  assert.equal((await promotePg(h, 30)).changed, false);
  const stuck = await rejects(
    promotePg(fakeHost(db('r', '10.0.0.2'), primaryNode({ inRecovery: true, promoteResult: false })), 5),
    'timeout',
    /still in recovery 5 s after/,
  );
  assert.ok(stuck.commands.some((c) => c.text.startsWith('SELECT pg_promote(wait => true, wait_seconds => 5)')));
  await rejects(promotePg(h, 0), 'invalid-input');
  // out of recovery but read-only: not promoted in the sense that matters
  const ro = await verifyPromotedPg(fakeHost(db('x', '10.0.0.9'), primaryNode({ readOnly: true })));
  assert.deepEqual([ro.promoted, ro.writeCommitted], [false, false]);
});

function pair(
  targetNode: Partial<Node>,
  sourceNode: Partial<Node> = {},
): { t: ReturnType<typeof fakeHost>; s: ReturnType<typeof fakeHost> } {
  const tn = primaryNode({ running: false, ...targetNode });
  const sn = primaryNode(sourceNode);
  const t = fakeHost(
    db('old', '10.0.0.1', {
      startCommand: 'START',
      replicationUser: 'replicator',
      replicationPassfile: '/p',
      replicationSlot: 'standby_old',
    }),
    tn,
    () => [sn],
  );
  const s = fakeHost(db('new', '10.0.0.2'), sn, () => [tn]);
  return { t, s };
}

test('rejoin: pg_rewind path; slot created before the copy; stale slots dropped; streaming; again → none', async () => {
  const { t, s } = pair({ slots: [{ name: 'replica1', active: false }] });
  const phases: string[] = [];
  const r = await rewindPg(t, s, { onProgress: (p) => phases.push(p.phase) });
  assert.equal(r.method, 'rewind', r.summary);
  assert.deepEqual(r.droppedSlots, ['replica1']);
  assert.equal(r.streaming.streaming, true);
  assert.deepEqual(phases, ['check', 'checkpoint', 'rewind', 'configure', 'start', 'streaming']);
  const texts = r.commands.map((c) => c.text);
  const createSlot = texts.findIndex((x) => x.startsWith('SELECT slot_name FROM pg_create_physical_replication_slot'));
  const rewind = texts.findIndex((x) => x.includes('pg_rewind'));
  assert.ok(createSlot >= 0 && createSlot < rewind, 'slot reserved before pg_rewind');
  assert.ok(
    texts.some(
      (x) =>
        x.includes("primary_conninfo = ''host=10.0.0.2 port=5432 user=replicator passfile=/p''") ||
        x.includes('passfile=/p'),
    ),
  );
  const again = await rewindPg(t, s);
  assert.deepEqual([again.method, again.changed], ['none', false]);
});

test('rejoin falls back to a base backup when pg_rewind cannot work, and says why; not on auth failures; not when disallowed', async () => {
  const a = pair({ rewind: 'diverged' });
  const r = await rewindPg(a.t, a.s);
  assert.equal(r.method, 'base-backup');
  assert.match(r.fallbackReason ?? '', /could not find previous WAL record/);
  assert.equal(r.keptDataDir, '/data/x.standby-replaced-1');
  const b = pair({ rewind: 'auth' });
  await rejects(rewindPg(b.t, b.s), 'unreachable', /password authentication failed/);
  const c = pair({ rewind: 'diverged' });
  await rejects(rewindPg(c.t, c.s, { allowBaseBackup: false }), 'conflict', /pg_rewind failed/);
  const d = pair({});
  assert.equal((await rewindPg(d.t, d.s, { method: 'base-backup' })).method, 'base-backup');
});

test('rejoin refuses: a target running as primary, a source in recovery, a slot in use', async () => {
  const a = pair({ running: true });
  const e = await rejects(rewindPg(a.t, a.s), 'unsafe-plan', /running as a primary/);
  assert.ok(!e.commands.some((c) => c.text.includes('pg_rewind')), 'nothing destructive ran');
  const b = pair({}, { inRecovery: true });
  await rejects(rewindPg(b.t, b.s), 'unsafe-plan', /not a primary/);
  const c = pair({}, { slots: [{ name: 'standby_old', active: true }] });
  await rejects(rewindPg(c.t, c.s), 'conflict', /in use/);
  await rejects(rewindPg(c.t, c.t), 'invalid-input', /itself/);
});
