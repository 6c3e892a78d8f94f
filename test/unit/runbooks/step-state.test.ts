/**
 * Step state in the run journal (StepContext.state): the engine hands each step a state backed
 * by the journal, written before `set` returns, so a retry, a resume in a new process, and a
 * process SIGKILLed right after `set` all see it; while planning it stays in memory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Harness } from './fakes.ts';
import { fakeRunbook, makeHarness, parseParams } from './fakes.ts';
import { rememberKind, seen } from './step-state-kind.ts';

/** The run's status once it is no longer `running` in the journal (polled every 50 ms, ≤ 10 s). */
async function settled(h: Harness, runId: string): Promise<string> {
  for (let i = 0; i < 200 && h.journal.getRun(runId)?.status === 'running'; i++) await sleep(50);
  return h.journal.getRun(runId)?.status ?? 'missing';
}

/** What `fake.remember` saw in this process (a call: `delete` must not narrow it). */
const remembered = (): (typeof seen)[string] | undefined => seen['remember'];

/** Values the journal holds for the step, by key. */
function stored(h: Harness, runId: string): Record<string, unknown> {
  return Object.fromEntries(
    ['attempts', 'planned'].map((k) => [k, h.journal.stepStateValue(runId, 'run', 'remember', k)]),
  );
}

test('the engine keeps step state in the journal: a retry and a resume in a new process see it; plan-time state stays in memory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-step-state-'));
  try {
    delete seen.remember;
    let runId: string;
    const first = makeHarness({ dir, kinds: [rememberKind] });
    try {
      const rb = fakeRunbook([
        {
          id: 'remember',
          kind: 'fake.remember',
          params: { succeedOnAttempt: 3 },
          retry: { attempts: 2, backoffMs: 1 },
        },
      ]);
      const planned = await first.engine.planRun(parseParams(rb, first.registry), 'lab');
      assert.ok(planned.ok);
      if (!planned.ok) return;
      const r = await first.engine.executeRun(planned.value, { confirmedEnvName: 'lab' });
      assert.ok(r.ok, JSON.stringify(r));
      if (!r.ok) return;
      runId = r.value.runId;
      assert.equal(await settled(first, runId), 'paused', 'two attempts of three, then the run pauses');
      assert.deepEqual(remembered()?.attemptsBefore, [undefined, 1], 'the retry saw what the first attempt set');
      assert.deepEqual(
        stored(first, runId),
        { attempts: 2, planned: runId },
        'in the journal; the pre-step plan of the run wrote to it',
      );
      assert.equal(
        remembered()?.planned,
        runId,
        "the act sees what the run's pre-step plan set, not what planRun set while planning (runId null: memory only)",
      );
    } finally {
      first.close();
    }
    // a new process: nothing of the first one's memory is left
    const second = makeHarness({ dir, kinds: [rememberKind] });
    try {
      const r = await second.engine.resumeRun(runId);
      assert.ok(r.ok, JSON.stringify(r));
      assert.equal(await settled(second, runId), 'succeeded');
      assert.deepEqual(remembered()?.attemptsBefore, [undefined, 1, 2], 'the resumed act continued from the journal');
      assert.equal(second.journal.step(runId, 'run', 'remember')?.evidence, 'state says 3 attempts');
    } finally {
      second.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a process SIGKILLed right after a step set its state: the resumed run reads it from the journal', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-step-state-'));
  try {
    const child = spawn(process.execPath, ['--no-warnings', join(import.meta.dirname, 'step-state-child.ts'), dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let out = '';
    let err = '';
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`child did not set its state within 15 s; stderr: ${err}`)),
          15_000,
        );
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (/^SET attempts=1$/m.test(out)) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`child exited (${code}) early; stdout: ${out}; stderr: ${err}`));
        });
      });
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    delete seen.remember;
    const h = makeHarness({ dir, kinds: [rememberKind] });
    try {
      const run = h.journal.listRuns()[0]!;
      assert.equal(run.status, 'running', 'interrupted');
      assert.equal(
        h.journal.stepStateValue(run.id, 'run', 'remember', 'attempts'),
        1,
        'the set before the kill is in the journal',
      );
      const r = await h.engine.resumeRun(run.id);
      assert.ok(r.ok, JSON.stringify(r));
      assert.equal(await settled(h, run.id), 'succeeded');
      assert.deepEqual(remembered()?.attemptsBefore, [1], 'the resumed act started from the stored state');
    } finally {
      h.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
