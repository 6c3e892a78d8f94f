/**
 * `standby abort` and `standby rollback` (electron/cli/commands/abort.ts, rollback.ts,
 * run-commands.ts): arguments and exit codes through runCli, what they print, and that a
 * rollback changes nothing until the environment name is typed. No lab: a workspace whose
 * addresses are never contacted, or a stub core speaking the contract.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProgram } from '../../../electron/cli/create-program.ts';
import { EXIT_CODES } from '../../../electron/cli/exit-codes.ts';
import { runCli, type CliOutput } from '../../../electron/cli/run-cli.ts';
import {
  abortCommand,
  formatAborted,
  formatEvent,
  formatUndoPlan,
  rollbackCommand,
} from '../../../electron/cli/run-commands.ts';
import type { Core } from '../../../electron/core/create-core.ts';
import { ok, fail } from '../../../shared/result.ts';
import type { RunDetail } from '../../../shared/runs/run-summary.ts';
import type { RunEvent } from '../../../shared/runs/run-event.ts';
import { validWorkspaceYaml } from '../config/valid-workspace.ts';

async function standby(args: string[]) {
  let out = '';
  let err = '';
  const io: CliOutput = { writeOut: (t) => (out += t), writeErr: (t) => (err += t) };
  const before = process.exitCode;
  try {
    const code = await runCli(createProgram(io), args);
    return { code, stdout: out, stderr: err };
  } finally {
    process.exitCode = before;
  }
}

/** A run paused after pointing app.lab.test at the failover site (and lowering nothing else). */
function pausedRun(over: Partial<RunDetail> = {}): RunDetail {
  return {
    runId: 'run-1',
    env: 'lab',
    runbook: 'move-then-hold',
    kind: 'custom',
    status: 'paused',
    pauseReason: 'approval',
    detail: 'waiting for an approval of step hold',
    actor: 'op@host',
    createdAt: 0,
    finishedAt: null,
    durationMs: null,
    recoveryMs: null,
    recoveryFrom: null,
    recoveryStartedAt: null,
    rtoObjectiveSeconds: 60,
    plan: {
      planId: 'p',
      env: 'lab',
      runbook: { name: 'move-then-hold' },
      createdAt: 0,
      snapshotAt: 0,
      steps: [
        {
          index: 0,
          id: 'point-dns',
          kind: 'dns.set-records',
          title: 'Point app.lab.test at the failover site',
          description: '',
          params: {},
          plan: {
            changes: [
              { target: 'powerdns: app.lab.test A', before: '127.0.0.2', after: '127.0.0.3' },
              { target: 'bind: app.lab.test A', before: '127.0.0.2', after: '127.0.0.3' },
            ],
            commands: [],
            alreadyDone: false,
            notes: [],
            effects: [],
          },
          planError: null,
          verdicts: [],
          timeoutMs: 1000,
          retry: { attempts: 1, backoffMs: 0 },
          continueOnError: false,
          requiresApproval: false,
          rollback: { kind: 'dns.set-records', description: 'restore app.lab.test as recorded' },
        },
      ],
      verdicts: [],
      rules: [],
      blocking: [],
    } as unknown as RunDetail['plan'],
    steps: [],
    rollbacksOffered: ['point-dns'],
    ...over,
  };
}

/** A core stub: getRun answers `run`; rollbackRun "runs" it to `rolled-back` (or `afterRollback`) and counts its calls. */
function stubCore(run: RunDetail, afterRollback: Partial<RunDetail> = {}) {
  const listeners = new Map<string, ((p: unknown) => void)[]>();
  let current = run;
  const calls = { rollbackRun: 0, abortRun: 0 };
  const core = {
    on(event: string, l: (p: unknown) => void) {
      listeners.set(event, [...(listeners.get(event) ?? []), l]);
      return () =>
        listeners.set(
          event,
          (listeners.get(event) ?? []).filter((x) => x !== l),
        );
    },
    api: {
      getRun: async () => ok(current),
      getLock: async () =>
        ok({ env: 'lab', held: false, runId: null, holder: null, since: null, stale: false, staleReason: null }),
      abortRun: async () => {
        calls.abortRun++;
        current = { ...current, status: 'aborted', detail: 'aborted by op@host: wrong window' };
        return ok({ runId: current.runId, abortRequested: true as const });
      },
      rollbackRun: async () => {
        calls.rollbackRun++;
        current = {
          ...current,
          status: 'rolled-back',
          detail: 'rolled back: point-dns',
          rollbacksOffered: [],
          ...afterRollback,
        };
        const e: RunEvent = {
          type: 'run-finished',
          runId: current.runId,
          at: 0,
          status: current.status,
          durationMs: 5,
          detail: current.detail,
          rollbacksOffered: [],
        };
        for (const l of listeners.get('run') ?? []) l(e);
        return ok({ runId: current.runId });
      },
    },
  };
  return { core: core as unknown as Core, calls };
}

/** Runs `fn` with console.log / console.error captured. */
async function captured<T>(fn: () => Promise<T>): Promise<{ value: T; out: string; err: string }> {
  const log = console.log;
  const error = console.error;
  let out = '';
  let err = '';
  console.log = (...a: unknown[]) => void (out += `${a.join(' ')}\n`);
  console.error = (...a: unknown[]) => void (err += `${a.join(' ')}\n`);
  try {
    return { value: await fn(), out, err };
  } finally {
    console.log = log;
    console.error = error;
  }
}

test('abort and rollback without a run id are usage errors naming the argument (exit 2)', async () => {
  for (const cmd of ['abort', 'rollback']) {
    const r = await standby([cmd]);
    assert.equal(r.code, EXIT_CODES.usage, cmd);
    assert.match(r.stderr, new RegExp(`missing required argument 'run-id'\\nFix: see \`standby ${cmd} --help\``));
  }
  const long = await standby(['abort', 'r', '--reason', 'x'.repeat(501)]);
  assert.equal(long.code, EXIT_CODES.usage, 'a reason the API would refuse is a bad option value');
  assert.match(long.stderr, /'--reason <text>' argument .* is invalid\. Expected at most 500 characters, got 501\./);
  const extra = await standby(['abort', 'a', 'b']);
  assert.equal(extra.code, EXIT_CODES.usage, 'one run id only');
  const typo = await standby(['rollback', 'r', '--yse']);
  assert.equal(typo.code, EXIT_CODES.usage);
  assert.match(typo.stderr, /Did you mean --yes\?/);
});

test('abort and rollback of an unknown run fail with exit 1 and say so, changing nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-cli-abort-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ws = join(dir, 'workspace.yaml');
  writeFileSync(ws, validWorkspaceYaml);
  for (const cmd of [
    ['abort', 'no-such-run', '--reason', 'testing'],
    ['rollback', 'no-such-run', '--yes'],
  ]) {
    const r = await standby([...cmd, '--workspace', ws]);
    assert.equal(r.code, EXIT_CODES.failed, `${cmd[0]}: ${r.stderr}`);
    assert.match(r.stderr, /^standby: no run no-such-run/, cmd[0]);
  }
  const missing = await standby(['abort', 'x', '--workspace', join(dir, 'nope.yaml')]);
  assert.equal(missing.code, EXIT_CODES.usage, 'no workspace is a usage error');
});

test('the undo plan lists each offered step, last first, with its undo and every change put back', () => {
  const text = formatUndoPlan(pausedRun());
  assert.equal(
    text,
    [
      'rollback of run run-1: move-then-hold on lab, paused (approval); undoes 1 step(s), last first:',
      '  1. undo point-dns — Point app.lab.test at the failover site',
      '     by dns.set-records: restore app.lab.test as recorded',
      '     powerdns: app.lab.test A: 127.0.0.3 → back to 127.0.0.2',
      '     bind: app.lab.test A: 127.0.0.3 → back to 127.0.0.2',
    ].join('\n'),
  );
  assert.match(formatUndoPlan(pausedRun({ rollbacksOffered: [] })), /nothing to undo/);
  const own = pausedRun();
  own.plan.steps[0]!.description = 'Point app.lab.test at site failover';
  own.plan.steps[0]!.rollback = { kind: 'dns.set-records', description: 'undo: Point app.lab.test at site failover' };
  assert.doesNotMatch(formatUndoPlan(own), /by dns\.set-records/, "the kind's own undo is not said twice");
});

test('abort prints the aborted run, the released lock and the rollback command (or the request for a running run)', async () => {
  const { core, calls } = stubCore(pausedRun());
  const r = await captured(() => abortCommand(core, 'run-1', { json: false, reason: 'wrong window' }));
  assert.equal(r.value, EXIT_CODES.ok);
  assert.equal(calls.abortRun, 1);
  assert.match(r.out, /^run run-1 aborted: aborted by op@host: wrong window; the lab lock is released\n/);
  assert.match(r.out, /rollbacks offered: point-dns — undo them with: standby rollback run-1/);
  assert.match(formatAborted(pausedRun({ status: 'running' })), /^abort requested: run run-1 .*after its current step/);
  const json = await captured(() => abortCommand(stubCore(pausedRun()).core, 'run-1', { json: true }));
  const parsed = JSON.parse(json.out) as { status: string; ended: boolean; lock: { held: boolean } };
  assert.deepEqual([parsed.status, parsed.ended, parsed.lock.held], ['aborted', true, false]);
});

test('abort refused by the core (run already ended) throws its message and hint: exit 1', async () => {
  const { core } = stubCore(pausedRun());
  (core.api as { abortRun: unknown }).abortRun = async () => fail('conflict', 'run run-1 is already succeeded');
  await assert.rejects(
    captured(() => abortCommand(core, 'run-1', { json: false })),
    /run run-1 is already succeeded/,
  );
});

test('rollback asks for the environment name and rolls nothing back on a wrong answer', async () => {
  const { core, calls } = stubCore(pausedRun());
  let asked = '';
  await assert.rejects(
    captured(() =>
      rollbackCommand(core, 'run-1', {
        yes: false,
        json: false,
        ask: async (q) => ((asked = q), 'prod'),
      }),
    ),
    /the confirmation "prod" does not match the environment name "lab": nothing was rolled back/,
  );
  assert.match(asked, /Type the environment name \(lab\)/);
  assert.equal(calls.rollbackRun, 0, 'nothing ran');
  const r = await captured(() => rollbackCommand(core, 'run-1', { yes: false, json: false, ask: async () => ' lab ' }));
  assert.equal(r.value, EXIT_CODES.ok, 'rolled back: exit 0');
  assert.equal(calls.rollbackRun, 1);
  assert.match(r.out, /^rollback of run run-1: .*\n {2}1\. undo point-dns/, 'the undo plan is shown first');
  assert.match(r.out, /run rolled-back in 5 ms — rolled back: point-dns/);
});

test('rollback --yes does not ask; --json keeps stdout for the outcome; an unfinished rollback exits 1', async () => {
  const { core } = stubCore(pausedRun());
  const r = await captured(() =>
    rollbackCommand(core, 'run-1', {
      yes: true,
      json: true,
      ask: async () => assert.fail('--yes must not ask'),
    }),
  );
  assert.equal(r.value, EXIT_CODES.ok);
  assert.equal((JSON.parse(r.out) as { status: string }).status, 'rolled-back');
  assert.match(r.err, /undo point-dns/, 'the undo plan goes to stderr with --json');

  const failing = stubCore(pausedRun(), {
    status: 'rollback-failed',
    detail: 'rollback of point-dns failed: timeout',
    rollbacksOffered: ['point-dns'],
  });
  const f = await captured(() => rollbackCommand(failing.core, 'run-1', { yes: true, json: false }));
  assert.equal(f.value, EXIT_CODES.failed);
  assert.match(
    f.out,
    /run run-1 rollback-failed: rollback of point-dns failed: timeout — fix the cause, then retry the rest with: standby rollback run-1/,
  );
});

test('a rollback with nothing to undo asks nothing (it only ends the run)', async () => {
  const { core, calls } = stubCore(pausedRun({ rollbacksOffered: [] }));
  const r = await captured(() =>
    rollbackCommand(core, 'run-1', { yes: false, json: false, ask: async () => assert.fail('nothing to confirm') }),
  );
  assert.equal(r.value, EXIT_CODES.ok);
  assert.equal(calls.rollbackRun, 1);
});

test('the timeline says when a run starts rolling back, and how many steps it undoes', () => {
  const base = {
    type: 'run-started',
    runId: 'run-1',
    env: 'lab',
    runbook: 'move-then-gate',
    at: 0,
    resumed: true,
  } as const;
  const steps = [{ id: 'point-dns', kind: 'dns.set-records', title: 'undo point-dns' }];
  assert.match(
    formatEvent({ ...base, phase: 'rollback', steps })!,
    /run run-1 rolling back 1 step\(s\), last first: move-then-gate on lab$/,
  );
  assert.match(formatEvent({ ...base, phase: 'run', steps })!, /run run-1 resumed: move-then-gate on lab$/);
});
