/**
 * Issue 3, Done when 2 on the REAL lab (port base 16300): a planned switchover
 * (`bin/standby run switchover --yes --json`, which includes a 30 s TTL wait) under a running
 * writer loses no committed write.
 *
 * The writer: ONE connection to the primary at 127.0.0.2 (pg, password from the lab's file),
 * never reconnecting; BEGIN / INSERT seq / COMMIT, a seq counts as acknowledged only once its
 * COMMIT returned. Bounded: ≤ 3,000 inserts, ≤ 60 s. Its writes start failing once the primary
 * is fenced (read-only, then stopped) — expected. Afterwards every acknowledged seq must be on
 * the new primary (the node at 127.0.0.3).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { labAvailable, startLab, type Lab } from '../lab/lab.ts';
import { createCore } from '../../electron/core/create-core.ts';
import type { RunOutcome } from '../../shared/runs/run-event.ts';
import { spawnStandby } from '../support/standby-cli.ts';
import { digA, labNameserverPorts, pgClient, pgQuery, sleep } from '../support/outside-checks.ts';

const PORT_BASE = 16300; // below the ephemeral port range (32768+)
const MAX_INSERTS = 3000;
const MAX_WRITER_MS = 60_000;
/** Pace of the writer: one transaction per this many ms at most (3,000 × 15 ms = 45 s > the run). */
const PACE_MS = 15;
const available = labAvailable();
if (!available.ok) console.log(`# skipping runbooks-switchover-writer: ${available.reason}`);
const skip = available.ok ? false : `lab not available: ${available.reason}`;

let lab: Lab | undefined;

before(async () => {
  if (skip) return;
  lab = await startLab({ portBase: PORT_BASE });
  console.log(`# lab up in ${Math.round(lab.upMs)} ms (${lab.dir})`);
});

after(async () => {
  await lab?.stop();
});

interface WriterResult {
  acked: number[];
  failed: { seq: number; at: number; error: string }[];
  attempts: number;
  firstFailureAt: number | null;
  lastAckAt: number | null;
  connectionLostAt: number | null;
  stoppedBy: string;
}

/** The bounded writer (see the file comment). `stop()` ends it after the current transaction. */
function startWriter(l: Lab): { stop: () => void; done: Promise<WriterResult> } {
  let stopRequested = false;
  const done = (async (): Promise<WriterResult> => {
    const r: WriterResult = {
      acked: [],
      failed: [],
      attempts: 0,
      firstFailureAt: null,
      lastAckAt: null,
      connectionLostAt: null,
      stoppedBy: '',
    };
    const c = pgClient(l, '127.0.0.2', { application: 'switchover-writer' });
    let lost = false;
    c.on('error', () => {
      lost = true;
      r.connectionLostAt ??= Date.now();
    });
    c.on('end', () => {
      lost = true;
      r.connectionLostAt ??= Date.now();
    });
    await c.connect();
    const t0 = Date.now();
    try {
      for (let seq = 1; seq <= MAX_INSERTS; seq++) {
        if (stopRequested) return { ...r, stoppedBy: 'stop()' };
        if (Date.now() - t0 > MAX_WRITER_MS) return { ...r, stoppedBy: `${MAX_WRITER_MS} ms bound` };
        if (lost) return { ...r, stoppedBy: 'connection lost (no reconnect)' };
        const started = Date.now();
        r.attempts++;
        try {
          await c.query('BEGIN');
          await c.query('INSERT INTO writer_seq (seq) VALUES ($1)', [seq]);
          await c.query('COMMIT');
          r.acked.push(seq);
          r.lastAckAt = Date.now();
        } catch (e) {
          r.failed.push({ seq, at: Date.now(), error: (e as Error).message });
          r.firstFailureAt ??= Date.now();
          await c.query('ROLLBACK').catch(() => {});
        }
        const left = PACE_MS - (Date.now() - started);
        if (left > 0) await sleep(left);
      }
      return { ...r, stoppedBy: `${MAX_INSERTS} inserts bound` };
    } finally {
      await c.end().catch(() => {});
    }
  })();
  return { stop: () => (stopRequested = true), done };
}

test(
  'switchover under a running writer: every acknowledged write is on the new primary',
  { skip, timeout: 150_000 },
  async () => {
    await lab!.psql(
      'primary',
      'CREATE TABLE writer_seq (seq integer PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())',
    );
    const writer = startWriter(lab!);
    await sleep(500); // the writer is committing before the run starts
    const runStart = Date.now();
    const run = spawnStandby(['run', 'switchover', '--workspace', lab!.workspacePath, '--yes', '--json'], {
      timeoutMs: 120_000,
    });
    let result;
    try {
      result = await run.done;
    } finally {
      writer.stop();
    }
    const w = await writer.done;
    const runEnd = Date.now();
    assert.equal(result.code, 0, `standby run switchover exit ${result.code}\n${result.stdout}\n${result.stderr}`);
    const outcome = JSON.parse(result.stdout) as RunOutcome;
    assert.equal(outcome.status, 'succeeded');
    // `skipped` = its effect was already there when checked (e.g. catch-up finds lag 0 at once).
    for (const s of outcome.steps)
      assert.ok(s.state === 'verified' || s.state === 'skipped', `step ${s.id}: ${s.state} ${s.error?.message ?? ''}`);
    const ttl = outcome.steps.find((s) => s.id === 'lower-ttl')?.durationMs ?? 0;
    console.log(
      `# switchover: run ${outcome.durationMs} ms (TTL wait ${ttl} ms); steps ${outcome.steps.map((s) => `${s.id}=${s.durationMs}${s.state === 'skipped' ? ' (skipped: already done)' : ''}`).join(', ')}`,
    );

    const first = w.failed[0];
    console.log(
      `# writer: ${w.attempts} transactions, ${w.acked.length} acknowledged (seq ${w.acked[0]}..${w.acked.at(-1)}), ${w.failed.length} failed, stopped by ${w.stoppedBy}; ` +
        `last ack ${w.lastAckAt ? w.lastAckAt - runStart : '-'} ms after the run started, first failure ${w.firstFailureAt ? w.firstFailureAt - runStart : '-'} ms (${first?.error ?? '-'}), ` +
        `connection lost ${w.connectionLostAt ? w.connectionLostAt - runStart : '-'} ms; run ended ${runEnd - runStart} ms`,
    );
    assert.ok(w.acked.length >= 100, `the writer committed throughout the TTL wait (${w.acked.length} acknowledged)`);
    assert.ok(
      w.firstFailureAt !== null || w.connectionLostAt !== null,
      'writes stopped being accepted once the primary was fenced',
    );
    assert.ok(
      w.acked.at(-1)! < MAX_INSERTS,
      'the writer was still running when the fence hit (not stopped by its bound)',
    );
    assert.ok(w.lastAckAt! < runEnd, 'acknowledged writes ended before the run did');

    // No write was acknowledged after the soft fence (stop-writes) verified: it ends client sessions.
    const created = await createCore(lab!.workspacePath);
    if (!created.ok) throw new Error(created.message);
    let fenceAt: { start: number; end: number };
    try {
      const detail = await created.core.api.getRun({ runId: outcome.runId });
      assert.ok(detail.ok);
      const st = detail.value.steps.find((x) => x.phase === 'run' && x.id === 'stop-writes')!;
      fenceAt = { start: st.startedAt!, end: st.finishedAt! };
    } finally {
      await created.core.stop();
    }
    console.log(
      `# soft fence (stop-writes) ${fenceAt.start - runStart}..${fenceAt.end - runStart} ms after the run started; last ack ${w.lastAckAt! - runStart} ms, first refused ${w.firstFailureAt ? w.firstFailureAt - runStart : '-'} ms`,
    );
    assert.ok(w.lastAckAt! <= fenceAt.end, 'no write was acknowledged after the primary was fenced');
    assert.ok(w.lastAckAt! >= fenceAt.start - 2000, 'the writer was committing right up to the fence');

    // The new primary: the node at 127.0.0.3, out of recovery, with every acknowledged seq.
    assert.equal(
      (await pgQuery(lab!, '127.0.0.3', 'select pg_is_in_recovery() as r')).rows[0].r,
      false,
      '127.0.0.3 is the primary now',
    );
    const rows = (await pgQuery(lab!, '127.0.0.3', 'select seq from writer_seq order by seq')).rows as {
      seq: number;
    }[];
    const present = new Set(rows.map((x) => x.seq));
    const lost = w.acked.filter((s) => !present.has(s));
    const extra = rows.length - w.acked.filter((s) => present.has(s)).length;
    console.log(
      `# new primary 127.0.0.3 holds ${rows.length} seqs: ${w.acked.length - lost.length}/${w.acked.length} acknowledged present, ${lost.length} lost, ${extra} present without an acknowledgement`,
    );
    assert.deepEqual(lost.slice(0, 20), [], `no committed write lost (${lost.length} missing)`);
    assert.equal(lost.length, 0);

    // Clients go to the failover site; the old primary is fenced.
    const ns = labNameserverPorts(lab!);
    assert.deepEqual(await digA(ns.powerdns, 'app.lab.test'), ['127.0.0.3']);
    assert.deepEqual(await digA(ns.bind, 'app.lab.test'), ['127.0.0.3']);
    await assert.rejects(pgQuery(lab!, '127.0.0.2', 'select 1'), 'the old primary is down');
  },
);
