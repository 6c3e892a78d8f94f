/**
 * Issue 3, Done when 5 and 6 on the REAL lab (port base 13300), through `bin/standby` as a user
 * runs it (plus the core API where a test must act at an exact step boundary):
 * (a) failover to an unhealthy site (failover-haproxy stopped) is refused and changes nothing;
 *     the rule `target-healthy-before-traffic` refuses it at plan time when no gate precedes the
 *     DNS step, and again right before the DNS step when the site fails after the gate;
 * (c) a second run on the same environment is refused naming the lock: held by a run paused at
 *     an approval, and by a run executing in another process;
 * (b) with replication lag over the RPO (replay paused on the replica), promotion is refused
 *     (`lag-within-rpo`) unless forced with a reason, which then appears in the audit log;
 * (d) crash-resume: `standby run failover` SIGKILLed right after step k (k = 1, 2, 3) finished,
 *     (k = 2 needs the lag samples on disk before the step acts: the core flushes them after each
 *     pre-step observation)
 *     then `standby resume RUN` → exit 0, DNS 127.0.0.3 at both providers, the replica promoted,
 *     the old primary fenced; each provider saw exactly one change (SOA serial +1) and the
 *     database exactly one promotion (timeline 2). A fresh lab per boundary.
 *
 * Order matters within lab A: (a), (c), then (b), whose forced run fails over.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labAvailable, startLab, type Lab } from '../lab/lab.ts';
import { createCore, type Core } from '../../electron/core/create-core.ts';
import { runUntilStopped } from '../../electron/core/runbooks/run-until-stopped.ts';
import { auditLogPathFor } from '../../electron/core/runbooks/audit-log.ts';
import type { RunEvent } from '../../shared/runs/run-event.ts';
import { runIdFrom, runStandby, spawnStandby } from '../support/standby-cli.ts';
import { digA, digSoaSerial, labNameserverPorts, sleep } from '../support/outside-checks.ts';

const PORT_BASE = 13300; // below the ephemeral port range (32768+)
const available = labAvailable();
if (!available.ok) console.log(`# skipping runbooks-safety-crash: ${available.reason}`);
const skip = available.ok ? false : `lab not available: ${available.reason}`;
const FAILOVER_STEPS = ['gate-failover-site', 'fence-old-primary', 'promote-replica', 'point-dns-at-failover'];
const HEALTH_RULES = /target-healthy-before-traffic|record-points-at-healthy-site/;

let lab: Lab | undefined;
let core: Core | undefined;
let ws: string;

async function openCore(): Promise<Core> {
  const created = await createCore(lab!.workspacePath);
  if (!created.ok) throw new Error(created.message);
  return created.core;
}

/** Writes a runbook into the lab workspace's runbooks folder (DIR/runbooks). */
function writeRunbook(name: string, yaml: string): void {
  writeFileSync(join(lab!.dir, 'runbooks', `${name}.yaml`), yaml);
}

/** Ends a paused run (in-process core API) so the environment lock is free again. */
async function abortRun(runId: string): Promise<void> {
  const r = await core!.api.abortRun({ runId, reason: 'test cleanup: refused run' });
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  const lock = await core!.api.getLock({ env: 'lab' });
  assert.ok(lock.ok && !lock.value.held, `the lock is free after the abort: ${JSON.stringify(lock)}`);
}

/** Nothing moved: DNS on the primary site at both providers, the primary-site node still the primary. */
async function assertUntouched(what: string): Promise<void> {
  const ns = labNameserverPorts(lab!);
  assert.deepEqual(await digA(ns.powerdns, 'app.lab.test'), ['127.0.0.2'], `${what}: PowerDNS still answers 127.0.0.2`);
  assert.deepEqual(await digA(ns.bind, 'app.lab.test'), ['127.0.0.2'], `${what}: BIND still answers 127.0.0.2`);
  assert.equal(await lab!.psql('primary', 'select pg_is_in_recovery()'), 'f', `${what}: the primary was not fenced`);
  assert.equal(await lab!.psql('replica', 'select pg_is_in_recovery()'), 't', `${what}: the replica was not promoted`);
}

before(async () => {
  if (skip) return;
  lab = await startLab({ portBase: PORT_BASE });
  ws = lab.workspacePath;
  core = await openCore();
  console.log(`# lab A up in ${Math.round(lab.upMs)} ms (${lab.dir})`);
});

after(async () => {
  try {
    await core?.stop();
  } finally {
    await lab?.stop();
  }
});

// ------------------------------------------------------------------ (a) unhealthy target site

test(
  '(a) failover to an unhealthy site (failover-haproxy down): the shipped runbook changes nothing',
  { skip, timeout: 60_000 },
  async () => {
    await lab!.stopProcess('failover-haproxy');
    try {
      const plan = await runStandby(['plan', 'failover', '--workspace', ws], { timeoutMs: 30_000 });
      const planLine =
        plan.stdout.split('\n').find((l) => /target-healthy-before-traffic/.test(l) && /^\s+\S+\s+target-/.test(l)) ??
        '';
      console.log(`# plan failover (failover site down): exit ${plan.code}; rule line: ${planLine.trim()}`);
      const run = await runStandby(['run', 'failover', '--workspace', ws, '--yes'], { timeoutMs: 60_000 });
      const runId = runIdFrom(run.stdout);
      console.log(
        `# run failover (failover site down): exit ${run.code} after ${Math.round(run.ms)} ms; last line: ${run.stdout.trim().split('\n').at(-1)}`,
      );
      assert.notEqual(run.code, 0, 'the run does not succeed');
      assert.doesNotMatch(
        run.stdout,
        /✔ fence-old-primary|✔ promote-replica|✔ point-dns-at-failover/,
        'no step after the gate ran',
      );
      await assertUntouched('after the refused failover');
      if (runId) await abortRun(runId); // a paused run holds the lock
    } finally {
      await lab!.startProcess('failover-haproxy');
    }
    await sleep(1500); // HAProxy health checks bring blue UP
  },
);

test(
  '(a) the refused failover of the shipped runbook names the safety rule (plan exits non-zero)',
  { skip, timeout: 60_000 },
  async () => {
    // A health gate in front of the DNS step must not excuse a move to a site that is down for a
    // reason no earlier step repairs (a dead router here): the plan refuses, naming the rule.
    await lab!.stopProcess('failover-haproxy');
    let runId: string | null = null;
    try {
      const plan = await runStandby(['plan', 'failover', '--workspace', ws], { timeoutMs: 30_000 });
      const run = await runStandby(['run', 'failover', '--workspace', ws, '--yes'], { timeoutMs: 60_000 });
      runId = runIdFrom(run.stdout);
      assert.notEqual(
        plan.code,
        0,
        `\`standby plan failover\` exits ${plan.code} for a failover to an unhealthy site; it says:\n${plan.stdout
          .split('\n')
          .filter((l) => HEALTH_RULES.test(l))
          .join('\n')}`,
      );
      assert.match(
        plan.stdout,
        /(REFUSE|refuse)\s+(target-healthy-before-traffic|record-points-at-healthy-site)/,
        'the plan refuses naming the rule',
      );
      assert.match(
        run.stdout + run.stderr,
        /(refused|refuse)[^\n]*(target-healthy-before-traffic|record-points-at-healthy-site)|(target-healthy-before-traffic|record-points-at-healthy-site)[^\n]*refused/,
        'the run refusal names the rule',
      );
    } finally {
      if (runId) await abortRun(runId).catch(() => {});
      await lab!.startProcess('failover-haproxy');
      await sleep(1500);
    }
  },
);

test(
  '(a) the rule refuses a DNS move to an unhealthy site at plan time and cannot be overridden',
  { skip, timeout: 60_000 },
  async () => {
    writeRunbook(
      'dns-to-failover',
      `version: 1
name: dns-to-failover
kind: custom
description: test — point app.lab.test at the failover site, no health gate before it
steps:
  - id: point-dns-at-failover
    kind: dns.set-records
    params: { record: app.lab.test, site: failover }
`,
    );
    await lab!.stopProcess('failover-haproxy');
    try {
      const plan = await runStandby(['plan', 'dns-to-failover', '--workspace', ws], { timeoutMs: 30_000 });
      assert.equal(plan.code, 4, `plan exits 4 (refused): ${plan.stdout}${plan.stderr}`);
      assert.match(plan.stdout, /refuse\s+target-healthy-before-traffic/, 'target-healthy-before-traffic refuses');
      assert.match(plan.stdout, /refuse\s+record-points-at-healthy-site/, 'record-points-at-healthy-site refuses');
      const run = await runStandby(['run', 'dns-to-failover', '--workspace', ws, '--yes'], { timeoutMs: 30_000 });
      assert.notEqual(run.code, 0);
      assert.match(run.stderr, /the plan is refused/);
      assert.match(
        run.stderr,
        /target-healthy-before-traffic refused — [^\n]*unhealthy/,
        `the refusal names the rule and its evidence: ${run.stderr}`,
      );
      const forced = await runStandby(
        [
          'run',
          'dns-to-failover',
          '--workspace',
          ws,
          '--yes',
          '--force',
          'target-healthy-before-traffic=testing an override that must not work',
        ],
        { timeoutMs: 30_000 },
      );
      assert.notEqual(forced.code, 0, 'a health refusal is final: no override lifts it');
      assert.match(forced.stderr, /target-healthy-before-traffic refused/);
      console.log(
        `# dns move to an unhealthy site: plan exit ${plan.code}, run exit ${run.code}, forced run exit ${forced.code}: ${run.stderr.split('\n')[1]?.slice(0, 160)}`,
      );
      await assertUntouched('after the refused DNS move');
    } finally {
      await lab!.startProcess('failover-haproxy');
    }
    await sleep(1500);
  },
);

test(
  '(a) the rule is judged again right before the DNS step: the site fails after the gate → the step is refused',
  { skip, timeout: 60_000 },
  async () => {
    // The pre-step observation must not report a target that just failed as healthy (it stays
    // `healthy` until `unhealthyThreshold` failures): EnvironmentMonitor.pollOnce probes pending
    // targets again, so an entry that died after the gate is judged unhealthy and the step refused.
    writeRunbook(
      'gate-then-dns',
      `version: 1
name: gate-then-dns
kind: custom
description: test — the failover runbook's gate and DNS steps, with a 2 s pause between them
steps:
  - id: gate-failover-site
    kind: http.await-healthy
    params: { site: failover, consecutive: 2, timeoutMs: 5000 }
  - id: settle
    kind: wait
    params: { seconds: 2 }
  - id: point-dns-at-failover
    kind: dns.set-records
    params: { record: app.lab.test, site: failover }
`,
    );
    writeRunbook(
      'dns-to-primary',
      `version: 1
name: dns-to-primary
kind: custom
description: test cleanup — point app.lab.test back at the primary site
steps:
  - id: point-dns-at-primary
    kind: dns.set-records
    params: { record: app.lab.test, site: primary }
`,
    );
    const plan = await core!.api.planRun({ env: 'lab', runbook: 'gate-then-dns' });
    assert.ok(plan.ok, plan.ok ? '' : plan.error.message);
    assert.deepEqual(plan.value.blocking, [], 'the failover site is healthy at plan time');
    let stopping: Promise<void> | null = null;
    const events: RunEvent[] = [];
    const off = core!.on('run', (e) => {
      events.push(e);
      if (!stopping && e.type === 'step-finished' && e.stepId === 'gate-failover-site' && e.state === 'verified')
        stopping = lab!.stopProcess('failover-haproxy');
    });
    try {
      const r = await runUntilStopped(core!, () =>
        core!.api.executeRun({ planId: plan.value.planId, confirmation: 'lab' }),
      );
      assert.ok(r.ok, r.ok ? '' : r.error.message);
      await stopping;
      const dnsStep = events.find((e) => e.type === 'step-started' && e.stepId === 'point-dns-at-failover');
      const judged =
        dnsStep?.type === 'step-started'
          ? dnsStep.verdicts
              .filter((v) => HEALTH_RULES.test(v.rule))
              .map((v) => `${v.verdict} ${v.rule}: ${v.evidence}`)
          : [];
      console.log(
        `# gate passed, failover-haproxy stopped ≥ 2 s before the DNS step; run ${r.value.status} (${r.value.pauseReason}): ${r.value.detail?.split('\n').slice(0, 2).join(' | ')}`,
      );
      for (const j of judged) console.log(`#   verdict before point-dns-at-failover acted: ${j}`);
      assert.ok(stopping, 'the gate passed (and HAProxy was stopped then)');
      assert.equal(r.value.status, 'paused');
      assert.equal(r.value.pauseReason, 'safety', 'paused by a safety refusal');
      assert.match(r.value.detail ?? '', /point-dns-at-failover/);
      assert.match(r.value.detail ?? '', HEALTH_RULES, 'the refusal names the rule');
      const paused = events.find((e) => e.type === 'run-paused');
      assert.ok(
        paused?.type === 'run-paused' && paused.verdicts.some((v) => HEALTH_RULES.test(v.rule) && v.verdict !== 'pass'),
        'the pause event carries the verdicts',
      );
      await assertUntouched('after the refused DNS step');
      await abortRun(r.value.runId);
    } finally {
      off();
      await stopping;
      await lab!.startProcess('failover-haproxy');
      // If the DNS step moved traffic anyway, put the record back so the next tests start clean.
      if (
        (await digA(labNameserverPorts(lab!).bind, 'app.lab.test'))[0] !== '127.0.0.2' ||
        (await digA(labNameserverPorts(lab!).powerdns, 'app.lab.test'))[0] !== '127.0.0.2'
      ) {
        const back = await core!.api.planRun({ env: 'lab', runbook: 'dns-to-primary' });
        if (back.ok) {
          const done = await runUntilStopped(core!, () =>
            core!.api.executeRun({ planId: back.value.planId, confirmation: 'lab' }),
          );
          console.log(
            `#   cleanup: DNS pointed back at the primary site: ${done.ok ? done.value.status : done.error.message}`,
          );
        }
      }
    }
    await sleep(1500);
  },
);

// ------------------------------------------------------------------ (c) one run per environment

test(
  '(c) a second run on the same environment is refused naming the lock (paused run, then a live run)',
  { skip, timeout: 60_000 },
  async () => {
    writeRunbook(
      'hold',
      `version: 1
name: hold
kind: custom
description: test — pauses at an approval, holding the environment's lock
steps:
  - id: hold
    kind: approval
    params: { message: "test: hold the environment" }
`,
    );
    writeRunbook(
      'busy',
      `version: 1
name: busy
kind: custom
description: test — keeps a process executing for 6 s
steps:
  - id: busy
    kind: wait
    params: { seconds: 6, reason: "test: a run executing in another process" }
`,
    );
    const hold = await runStandby(['run', 'hold', '--workspace', ws, '--yes'], { timeoutMs: 30_000 });
    const holdId = runIdFrom(hold.stdout);
    assert.ok(holdId, hold.stdout);
    assert.equal(hold.code, 1, 'a paused run is not a success');
    assert.match(hold.stdout, /PAUSED at hold \(approval\)/);
    const second = await runStandby(['run', 'failover', '--workspace', ws, '--yes'], { timeoutMs: 30_000 });
    assert.notEqual(second.code, 0);
    assert.match(
      second.stderr,
      new RegExp(`locked by paused run ${holdId}`),
      `names the lock and its run: ${second.stderr}`,
    );
    assert.doesNotMatch(second.stdout, /run [0-9a-f-]+ started/, 'the second run never started');
    console.log(`# second run while paused run holds the lock: exit ${second.code}: ${second.stderr.trim()}`);
    await abortRun(holdId!);

    const busy = spawnStandby(['run', 'busy', '--workspace', ws, '--yes'], { timeoutMs: 30_000 });
    try {
      const started = await busy.waitForLine(/run [0-9a-f-]+ started/, 15_000);
      const busyId = runIdFrom(started)!;
      const t0 = Date.now();
      const third = await runStandby(['run', 'failover', '--workspace', ws, '--yes'], { timeoutMs: 30_000 });
      assert.notEqual(third.code, 0);
      assert.match(
        third.stderr,
        new RegExp(`locked by run ${busyId} \\(pid ${busy.pid} on `),
        `names the run and the process holding the lock: ${third.stderr}`,
      );
      const api = await core!.api.planRun({ env: 'lab', runbook: 'failover' });
      assert.ok(api.ok);
      const exec = await runUntilStopped(core!, () =>
        core!.api.executeRun({ planId: api.value.planId, confirmation: 'lab' }),
      );
      assert.ok(!exec.ok && exec.error.kind === 'conflict', `the core API refuses too: ${JSON.stringify(exec)}`);
      console.log(
        `# second run while run ${busyId.slice(0, 8)} executes (pid ${busy.pid}): refused in ${Date.now() - t0} ms: ${third.stderr.trim()}`,
      );
      const done = await busy.done;
      assert.equal(done.code, 0, 'the first run was not disturbed');
    } finally {
      await busy.kill();
    }
    await assertUntouched('after the refused concurrent runs');
  },
);

// ------------------------------------------------------------------ (b) lag over the RPO

test(
  '(b) lag over the RPO: promotion refused (lag-within-rpo) unless forced with a reason, which is audited',
  { skip, timeout: 90_000 },
  async () => {
    const reason = `drill ${process.pid}: primary site lost, accepting the lag`;
    try {
      // A replayed transaction first (so the replica can measure its lag in seconds), then pause replay.
      await lab!.psql('primary', "insert into items (name) values ('before pause')");
      await sleep(300);
      await lab!.psql('replica', 'select pg_wal_replay_pause()');
      for (let i = 0; i < 3; i++) await lab!.psql('primary', `insert into items (name) values ('unreplayed ${i}')`);
      await sleep(6_000); // > RPO objective of 5 s
      const plan = await runStandby(['plan', 'failover', '--workspace', ws], { timeoutMs: 30_000 });
      const rule = plan.stdout
        .split('\n')
        .find((l) => /^\s+\S+\s+lag-within-rpo — /.test(l))
        ?.trim();
      console.log(`# plan with replay paused: exit ${plan.code}: ${rule}`);
      assert.equal(plan.code, 4, `the plan is refused: ${plan.stdout}`);
      assert.match(
        rule ?? '',
        /^refuse\s+lag-within-rpo — promote-replica: lag of pg-replica is [\d.]+ s.*over the RPO objective of 5 s/,
      );

      const run = await runStandby(['run', 'failover', '--workspace', ws, '--yes'], { timeoutMs: 30_000 });
      assert.notEqual(run.code, 0);
      assert.match(run.stderr, /lag-within-rpo refused \(overridable with a reason\)/, run.stderr);
      const short = await runStandby(
        ['run', 'failover', '--workspace', ws, '--yes', '--force', 'lag-within-rpo=because'],
        { timeoutMs: 30_000 },
      );
      assert.notEqual(short.code, 0, 'a reason under 10 characters is not accepted');
      assert.match(short.stderr, /at least 10 characters/);
      await assertUntouched('after the refused promotions');

      const forced = await runStandby(
        ['run', 'failover', '--workspace', ws, '--yes', '--force', `lag-within-rpo=${reason}`],
        { timeoutMs: 60_000 },
      );
      assert.equal(forced.code, 0, `the forced failover succeeds: ${forced.stdout}${forced.stderr}`);
      const runId = runIdFrom(forced.stdout)!;
      const audit = readFileSync(auditLogPathFor(join(lab!.dir, 'standby.sqlite')), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { action: string; actor: string; details: Record<string, unknown> });
      const override = audit.find((e) => e.action === 'safety.override' && e.details.runId === runId);
      assert.ok(override, 'the override is an audit entry of that run');
      assert.equal(override.details.rule, 'lag-within-rpo');
      assert.equal(override.details.reason, reason, 'the typed reason is in the audit log');
      const verify = await runStandby(['audit', 'verify', '--workspace', ws], { timeoutMs: 30_000 });
      assert.equal(verify.code, 0, verify.stdout + verify.stderr);
      const kept = await lab!.psql('replica', "select count(*) from items where name like 'unreplayed %'");
      console.log(
        `# forced failover: exit 0 in ${Math.round(forced.ms)} ms; audit: ${override.action} by ${override.actor}: "${override.details.reason}"; unreplayed writes present after the forced promotion: ${kept}/3`,
      );
      assert.deepEqual(await digA(labNameserverPorts(lab!).bind, 'app.lab.test'), ['127.0.0.3']);
    } finally {
      await lab!
        .psql('replica', "select case when pg_is_in_recovery() then pg_wal_replay_resume()::text else 'promoted' end")
        .catch(() => {});
    }
  },
);

// ------------------------------------------------------------------ (d) crash-resume

for (const k of [1, 2, 3]) {
  test(
    `(d) crash-resume: SIGKILL right after step ${k} (${FAILOVER_STEPS[k - 1]}) finished, then \`standby resume\` completes the failover`,
    { skip, timeout: 90_000 },
    async () => {
      // A fresh lab per boundary (the previous one is stopped first; after() stops the last).
      await core?.stop();
      core = undefined;
      await lab?.stop();
      lab = undefined;
      lab = await startLab({ portBase: PORT_BASE });
      ws = lab.workspacePath;
      const ns = labNameserverPorts(lab);
      const before = {
        powerdns: await digSoaSerial(ns.powerdns, 'lab.test'),
        bind: await digSoaSerial(ns.bind, 'lab.test'),
      };

      const child = spawnStandby(['run', 'failover', '--workspace', ws, '--yes'], { timeoutMs: 60_000 });
      let killedAfter: string;
      try {
        killedAfter = await child.waitForLine(/^\S+\s+✔ /, 30_000, k);
      } finally {
        await child.kill(); // SIGKILL by PID, right away; resolves once reaped
      }
      const runId = runIdFrom(child.stdout());
      assert.ok(runId, child.stdout());
      const lines = child.stdout().split('\n');
      const lastLine = lines.filter(Boolean).at(-1) ?? '';
      assert.match(killedAfter, new RegExp(`✔ ${FAILOVER_STEPS[k - 1]} verified`));
      assert.doesNotMatch(child.stdout(), /run succeeded/, 'killed before the run finished');

      const resumed = await runStandby(['resume', runId, '--workspace', ws], { timeoutMs: 60_000 });
      const resumedSteps = [...resumed.stdout.matchAll(/▶ (\S+)/g)].map((m) => m[1]);
      console.log(
        `# k=${k}: killed after "${killedAfter.trim().slice(13, 80)}" (last line: "${lastLine.trim().slice(13, 70)}"); resume exit ${resumed.code} in ${Math.round(resumed.ms)} ms, re-entered steps: ${resumedSteps.join(', ') || '(none)'}`,
      );
      // After the fence, lag can only be judged from the last lag sample on disk: the killed
      // process must have flushed it, or the resumed run refuses the promotion.
      const lagBug = /step promote-replica: lag-within-rpo unknown[^\n]*/.exec(resumed.stdout)?.[0];
      assert.ok(
        !lagBug,
        `the resumed run refuses promotion because the killed process's lag samples were never persisted: ${lagBug}`,
      );
      assert.equal(resumed.code, 0, `standby resume exit ${resumed.code}\n${resumed.stdout}\n${resumed.stderr}`);
      assert.match(resumed.stdout, new RegExp(`run ${runId} resumed`));
      assert.match(resumed.stdout, /run succeeded/);
      for (const done of FAILOVER_STEPS.slice(0, k))
        assert.ok(!resumedSteps.includes(done), `completed step ${done} was not executed again`);

      // End state, from outside Standby.
      assert.deepEqual(await digA(ns.powerdns, 'app.lab.test'), ['127.0.0.3'], 'PowerDNS answers 127.0.0.3');
      assert.deepEqual(await digA(ns.bind, 'app.lab.test'), ['127.0.0.3'], 'BIND answers 127.0.0.3');
      assert.equal(await lab.psql('replica', 'select pg_is_in_recovery()'), 'f', 'the replica is promoted');
      await assert.rejects(lab.psql('primary', 'select 1'), 'the old primary is fenced (down)');
      const after = {
        powerdns: await digSoaSerial(ns.powerdns, 'lab.test'),
        bind: await digSoaSerial(ns.bind, 'lab.test'),
      };
      const timeline = await lab.psql('replica', 'checkpoint; select timeline_id from pg_control_checkpoint()');
      console.log(
        `# k=${k}: SOA PowerDNS ${before.powerdns}→${after.powerdns}, BIND ${before.bind}→${after.bind}; promoted node timeline ${timeline}`,
      );
      assert.equal(after.powerdns - before.powerdns, 1, 'PowerDNS saw exactly one change');
      assert.equal(after.bind - before.bind, 1, 'BIND saw exactly one change');
      assert.equal(timeline, '2', 'exactly one promotion (timeline 1 → 2)');
    },
  );
}
