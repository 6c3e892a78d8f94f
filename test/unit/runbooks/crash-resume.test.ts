/**
 * Crash simulation: a child process runs the engine on a real store and is SIGKILLed at a step
 * boundary (or inside a step); this process then resumes the run from the journal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyAuditLog } from '../../../electron/core/runbooks/audit-log.ts';
import { World, makeHarness } from './fakes.ts';

const child = join(import.meta.dirname, 'crash-child.ts');

/** Runs the child until it prints its marker, then SIGKILLs it and waits for it to be reaped. */
async function runAndKill(dir: string, scenario: string): Promise<number> {
  const p = spawn(process.execPath, ['--no-warnings', child, dir, scenario], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`child did not reach ${scenario} within 15 s; stderr: ${err}`)),
        15_000,
      );
      p.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (/^(BLOCKED|HANG) /m.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      p.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`child exited (${code}) before ${scenario}; stdout: ${out}; stderr: ${err}`));
      });
    });
  } finally {
    p.kill('SIGKILL');
    await exited;
  }
  return p.pid!;
}

const scenarios: { scenario: string; verified: string[]; note: string }[] = [
  { scenario: 'boundary:start', verified: [], note: 'killed after the run started' },
  { scenario: 'boundary:one', verified: ['one'], note: 'killed after step one' },
  { scenario: 'boundary:two', verified: ['one', 'two'], note: 'killed after step two' },
  {
    scenario: 'boundary:three',
    verified: ['one', 'two', 'three'],
    note: 'killed after the last step, before the run ended',
  },
];

for (const { scenario, verified, note } of scenarios) {
  test(`crash at a step boundary (${note}): resume never re-runs a completed step`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-crash-'));
    try {
      const pid = await runAndKill(dir, scenario);
      const h = makeHarness({ dir, world: new World(join(dir, 'world.json')) });
      try {
        const run = h.journal.listRuns()[0]!;
        assert.equal(run.status, 'running', 'the journal shows the run as interrupted');
        assert.deepEqual(
          h.journal
            .steps(run.id)
            .filter((s) => s.state === 'verified')
            .map((s) => s.stepId),
          verified,
        );
        const lock = h.locks.inspect('lab');
        assert.ok(lock?.stale, 'the dead holder makes the lock stale');
        assert.match(lock.staleReason!, new RegExp(`pid ${pid} is not running`));
        assert.deepEqual(
          h.engine.interruptedRuns().map((x) => x.run.id),
          [run.id],
        );
        const r = await h.engine.resumeRun(run.id);
        assert.ok(r.ok && r.value.status === 'succeeded', JSON.stringify(r));
        assert.deepEqual(
          h.world.applied,
          { k0: 1, k1: 1, k2: 1 },
          'each effect applied exactly once across both processes',
        );
        assert.ok(verifyAuditLog(h.audit.file).ok);
      } finally {
        h.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('crash inside a step BEFORE its effect: on resume, isDone says not done and the step acts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-crash-'));
  try {
    await runAndKill(dir, 'hang-before:two');
    const h = makeHarness({ dir, world: new World(join(dir, 'world.json')) });
    try {
      const run = h.journal.listRuns()[0]!;
      const two = h.journal.step(run.id, 'run', 'two')!;
      assert.deepEqual([two.state, two.acted], ['acting', true], 'the journal said "acting" before the act');
      const r = await h.engine.resumeRun(run.id);
      assert.ok(r.ok && r.value.status === 'succeeded', JSON.stringify(r));
      assert.deepEqual(h.world.applied, { k0: 1, k1: 1, k2: 1 });
      assert.equal(
        h.journal.step(run.id, 'run', 'two')!.attempts,
        2,
        'one attempt in the dead process, one after resume',
      );
    } finally {
      h.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('crash inside a step AFTER its effect: on resume, isDone says done, the step only verifies', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-crash-'));
  try {
    await runAndKill(dir, 'hang-after:two');
    const h = makeHarness({ dir, world: new World(join(dir, 'world.json')) });
    try {
      const run = h.journal.listRuns()[0]!;
      assert.equal(h.world.values.k1, 'v', 'the dead process applied the effect');
      const r = await h.engine.resumeRun(run.id);
      assert.ok(r.ok && r.value.status === 'succeeded', JSON.stringify(r));
      assert.deepEqual(h.world.applied, { k0: 1, k1: 1, k2: 1 }, 'not applied a second time');
      const two = h.journal.step(run.id, 'run', 'two')!;
      assert.equal(two.state, 'verified', 'an interrupted step is verified, not reported as skipped');
      assert.match(two.evidence!, /effect was already in place: k1 is v/);
      assert.equal(two.attempts, 1);
    } finally {
      h.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
