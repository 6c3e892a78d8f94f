/**
 * Issue 7, Done when 5 on the REAL lab (port base 18300), through `bin/standby` as a user runs
 * it: `standby abort` and `standby rollback` finish a paused run, the environment's lock is
 * released, and both are audited.
 * (1) a run paused on a retryable failure (its gate's target, failover-haproxy, stopped) is
 *     aborted: status `aborted`, the lock free (a new run on the environment is not refused),
 *     `run.abort` + `run.finish` in the audit log;
 * (2) a run that moved app.lab.test to the failover site and then paused (its gate's target,
 *     primary-nginx, stopped) is rolled back once the target is back: a wrong environment name
 *     changes nothing; `--yes` undoes the DNS move (verified, both providers answer 127.0.0.2
 *     again), the lock is free, `run.rollback` + `run.finish` are audited and
 *     `standby audit verify` still passes.
 * Traffic goes only to 127.0.0.0/8; every process is stopped by PID.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labAvailable, startLab, type Lab } from '../lab/lab.ts';
import { auditLogPathFor } from '../../electron/core/runbooks/audit-log.ts';
import { REPO_ROOT, STANDBY_BIN, runIdFrom, runStandby, type StandbyResult } from '../support/standby-cli.ts';
import { digA, labNameserverPorts, sleep } from '../support/outside-checks.ts';

const PORT_BASE = 18300; // below the ephemeral port range (32768+); no other test uses it
const available = labAvailable();
if (!available.ok) console.log(`# skipping cli-abort-rollback: ${available.reason}`);
const skip = available.ok ? false : `lab not available: ${available.reason}`;

let lab: Lab | undefined;
let ws: string;

interface AuditLine {
  seq: number;
  action: string;
  actor: string;
  details: Record<string, unknown>;
}

/** The audit entries of run `runId`, in order. */
function auditOf(runId: string): AuditLine[] {
  return readFileSync(auditLogPathFor(join(lab!.dir, 'standby.sqlite')), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as AuditLine)
    .filter((e) => e.details?.runId === runId);
}

/** Writes a runbook into the lab workspace's runbooks folder (DIR/runbooks). */
function writeRunbook(name: string, yaml: string): void {
  writeFileSync(join(lab!.dir, 'runbooks', `${name}.yaml`), yaml);
}

/** The run `runId` as `standby runs --json` lists it. */
async function listedRun(runId: string): Promise<{ status: string; detail: string | null }> {
  const r = await runStandby(['runs', '--workspace', ws, '--json'], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  const run = (JSON.parse(r.stdout) as { runId: string; status: string; detail: string | null }[]).find(
    (x) => x.runId === runId,
  );
  assert.ok(run, `run ${runId} is listed`);
  return run;
}

/** The environment is free: a new run on it starts (and succeeds) instead of being refused by the lock. */
async function assertLockFree(what: string): Promise<void> {
  const r = await runStandby(['run', 'noop', '--workspace', ws, '--yes'], { timeoutMs: 30_000 });
  assert.doesNotMatch(r.stderr, /is locked by/, `${what}: a new run is not refused by the lock`);
  assert.equal(r.code, 0, `${what}: a new run succeeds: ${r.stdout}${r.stderr}`);
}

/** `standby ARGS…` with `input` typed on stdin; bounded, never rejects. */
function standbyWithInput(args: string[], input: string, timeoutMs = 30_000): Promise<StandbyResult> {
  const t0 = performance.now();
  const child = spawn(STANDBY_BIN, args, { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.end(input);
  const timer = setTimeout(() => {
    stderr += `\n(killed by the test after ${timeoutMs} ms)`;
    if (child.pid) process.kill(child.pid, 'SIGKILL');
  }, timeoutMs);
  return new Promise((resolveDone) => {
    child.on('error', (e) => (stderr += String(e)));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolveDone({ code, signal, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

before(async () => {
  if (skip) return;
  lab = await startLab({ portBase: PORT_BASE });
  ws = lab.workspacePath;
  writeRunbook(
    'noop',
    `version: 1
name: noop
kind: custom
description: test — changes nothing; starts only when the environment is not locked
steps:
  - id: breathe
    kind: wait
    params: { seconds: 0.1, reason: "test: the lock is free" }
`,
  );
  console.log(`# lab up in ${Math.round(lab.upMs)} ms (${lab.dir})`);
});

after(async () => {
  await lab?.stop();
});

test(
  '(1) standby abort ends a run paused on a retryable failure: aborted, lock released, audited',
  { skip, timeout: 90_000 },
  async () => {
    writeRunbook(
      'gate-failover',
      `version: 1
name: gate-failover
kind: custom
description: test — waits for the failover site to be healthy (pauses when it is not)
steps:
  - id: gate-failover-site
    kind: http.await-healthy
    params: { site: failover, consecutive: 2, timeoutMs: 2000 }
`,
    );
    await lab!.stopProcess('failover-haproxy');
    try {
      const run = await runStandby(['run', 'gate-failover', '--workspace', ws, '--yes'], { timeoutMs: 60_000 });
      const runId = runIdFrom(run.stdout);
      assert.ok(runId, `the run started: ${run.stdout}${run.stderr}`);
      assert.equal(run.code, 1, 'a paused run is not a success');
      assert.match(run.stdout, /run PAUSED at gate-failover-site \(step-failed\)/);
      assert.match(run.stdout, new RegExp(`standby abort ${runId} / standby rollback ${runId}`), 'says how to end it');

      const blocked = await runStandby(['run', 'noop', '--workspace', ws, '--yes'], { timeoutMs: 30_000 });
      assert.notEqual(blocked.code, 0, 'the paused run holds the lock');
      assert.match(blocked.stderr, new RegExp(`locked by paused run ${runId}`));
      assert.match(blocked.stderr, /resume, abort or roll back run/, 'the hint names the commands');

      const reason = 'failover site is down for maintenance';
      const abort = await runStandby(['abort', runId, '--reason', reason, '--workspace', ws], { timeoutMs: 30_000 });
      console.log(`# standby abort: exit ${abort.code} in ${Math.round(abort.ms)} ms: ${abort.stdout.trim()}`);
      assert.equal(abort.code, 0, abort.stdout + abort.stderr);
      assert.match(
        abort.stdout,
        new RegExp(`^run ${runId} aborted: aborted by \\S+: ${reason}; the lab lock is released`),
      );
      assert.match(abort.stdout, /nothing to roll back/, 'the gate changed nothing');
      const listed = await listedRun(runId);
      assert.equal(listed.status, 'aborted');

      const again = await runStandby(['abort', runId, '--workspace', ws], { timeoutMs: 30_000 });
      assert.equal(again.code, 1, 'an ended run cannot be aborted twice');
      assert.match(again.stderr, new RegExp(`run ${runId} is already aborted`));

      const audit = auditOf(runId);
      const aborted = audit.find((e) => e.action === 'run.abort');
      assert.ok(aborted, `run.abort is audited: ${JSON.stringify(audit.map((e) => e.action))}`);
      assert.equal(aborted.details.reason, reason, 'with the typed reason');
      const finished = audit.find((e) => e.action === 'run.finish');
      assert.ok(finished, 'run.finish is audited');
      assert.equal(finished.details.status, 'aborted', 'run.finish aborted is audited');
      assert.ok(finished.seq > aborted.seq);
    } finally {
      await lab!.startProcess('failover-haproxy');
    }
    await sleep(1500); // HAProxy health checks bring blue UP
    await assertLockFree('after the abort');
  },
);

test(
  '(2) standby rollback undoes what a paused run changed (after a typed confirmation): verified, lock released, audited',
  { skip, timeout: 120_000 },
  async () => {
    writeRunbook(
      'move-then-gate',
      `version: 1
name: move-then-gate
kind: custom
description: test — moves app.lab.test to the failover site, then waits for the primary site (pauses when it is down)
steps:
  - id: point-dns-at-failover
    kind: dns.set-records
    params: { record: app.lab.test, site: failover }
  - id: gate-primary-site
    kind: http.await-healthy
    params: { site: primary, consecutive: 2, timeoutMs: 2000 }
`,
    );
    const ns = labNameserverPorts(lab!);
    assert.deepEqual(await digA(ns.powerdns, 'app.lab.test'), ['127.0.0.2'], 'starts on the primary site');
    await lab!.stopProcess('primary-nginx');
    let run: StandbyResult;
    try {
      run = await runStandby(['run', 'move-then-gate', '--workspace', ws, '--yes'], { timeoutMs: 60_000 });
    } finally {
      await lab!.startProcess('primary-nginx');
    }
    const runId = runIdFrom(run.stdout);
    assert.ok(runId, `the run started: ${run.stdout}${run.stderr}`);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /✔ point-dns-at-failover verified/);
    assert.match(run.stdout, /run PAUSED at gate-primary-site \(step-failed\)/);
    await sleep(1500);
    assert.deepEqual(await digA(ns.powerdns, 'app.lab.test'), ['127.0.0.3'], 'the run moved PowerDNS');
    assert.deepEqual(await digA(ns.bind, 'app.lab.test'), ['127.0.0.3'], 'the run moved BIND');

    const wrong = await standbyWithInput(['rollback', runId, '--workspace', ws], 'prod\n');
    assert.equal(wrong.code, 1, wrong.stdout + wrong.stderr);
    assert.match(wrong.stdout, /undo point-dns-at-failover/, 'shows what it will undo before asking');
    assert.match(wrong.stdout, /bind: app\.lab\.test A: 127\.0\.0\.3\b.* → back to 127\.0\.0\.2\b/);
    assert.match(wrong.stdout, /Type the environment name \(lab\) to roll back/);
    assert.match(wrong.stderr, /does not match the environment name "lab": nothing was rolled back/);
    assert.equal((await listedRun(runId)).status, 'paused', 'a wrong name changes nothing');
    assert.deepEqual(await digA(ns.bind, 'app.lab.test'), ['127.0.0.3']);

    const rollback = await runStandby(['rollback', runId, '--workspace', ws, '--yes'], { timeoutMs: 60_000 });
    console.log(
      `# standby rollback --yes: exit ${rollback.code} in ${Math.round(rollback.ms)} ms; last line: ${rollback.stdout.trim().split('\n').at(-1)}`,
    );
    assert.equal(rollback.code, 0, rollback.stdout + rollback.stderr);
    assert.match(rollback.stdout, new RegExp(`run ${runId} rolling back 1 step\\(s\\), last first`));
    assert.match(rollback.stdout, /✔ point-dns-at-failover verified/, 'the undo step is verified');
    assert.match(rollback.stdout, /run rolled-back .*rolled back: point-dns-at-failover/);
    assert.deepEqual(await digA(ns.powerdns, 'app.lab.test'), ['127.0.0.2'], 'PowerDNS is back on the primary site');
    assert.deepEqual(await digA(ns.bind, 'app.lab.test'), ['127.0.0.2'], 'BIND is back on the primary site');
    assert.equal((await listedRun(runId)).status, 'rolled-back');

    const audit = auditOf(runId);
    const actions = audit.map((e) => e.action);
    assert.ok(actions.includes('run.rollback'), `run.rollback is audited: ${JSON.stringify(actions)}`);
    const finished = audit.findLast((e) => e.action === 'run.finish');
    assert.equal(finished?.details.status, 'rolled-back', 'run.finish rolled-back is audited');
    const verify = await runStandby(['audit', 'verify', '--workspace', ws], { timeoutMs: 30_000 });
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    await assertLockFree('after the rollback');
  },
);
