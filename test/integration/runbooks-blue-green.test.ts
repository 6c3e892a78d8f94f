/**
 * Issue 3, Done when 3 on the REAL lab (port base 14300), in each site (primary: nginx,
 * failover: HAProxy):
 * 1. automatic revert: the runbook (`onFailure: rollback`) is run in-process (createCore on the
 *    lab workspace, planRun/executeRun) and the green app is stopped the moment the
 *    `switch-to-green` step finishes; the post-switch check fails and the run ends `rolled-back`
 *    by itself, with the site serving from blue again;
 * 2. `bin/standby run blue-green|blue-green-failover --yes --json` under a bounded request loop
 *    (≤ 2,000 requests, a new connection per request, loopback) against the site's entry URL:
 *    0 failed requests, and the live slot (read through the router) is green afterwards.
 *
 * Order matters: the revert tests need blue live; the switch tests leave green live.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { labAvailable, startLab, type Lab } from '../lab/lab.ts';
import { createCore, type Core } from '../../electron/core/create-core.ts';
import { runUntilStopped } from '../../electron/core/runbooks/run-until-stopped.ts';
import type { RunEvent, RunOutcome } from '../../shared/runs/run-event.ts';
import { runStandby } from '../support/standby-cli.ts';
import { httpGet, sleep } from '../support/outside-checks.ts';
import { startRequestLoop } from '../support/request-loop.ts';

const PORT_BASE = 14300; // below the ephemeral port range (32768+)
const available = labAvailable();
if (!available.ok) console.log(`# skipping runbooks-blue-green: ${available.reason}`);
const skip = available.ok ? false : `lab not available: ${available.reason}`;

let lab: Lab | undefined;
let core: Core | undefined;

const sites = [
  {
    site: 'primary',
    router: 'nginx',
    runbook: 'blue-green',
    green: 'primary-green',
    entry: () => lab!.ports.PRIMARY_ENTRY_URL!,
  },
  {
    site: 'failover',
    router: 'HAProxy',
    runbook: 'blue-green-failover',
    green: 'failover-green',
    entry: () => lab!.ports.FAILOVER_ENTRY_URL!,
  },
] as const;

/** The live slot as the router serves it: `n` consecutive GETs of the entry URL must agree. */
async function liveSlot(url: string, n = 5): Promise<string> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const a = await httpGet(url);
    assert.equal(a.status, 200, `GET ${url}: ${a.status} ${a.error ?? a.body}`);
    seen.add(String(a.json?.slot));
    await sleep(50);
  }
  assert.equal(seen.size, 1, `the router answers from one slot: ${[...seen].join(', ')}`);
  return [...seen][0]!;
}

before(async () => {
  if (skip) return;
  lab = await startLab({ portBase: PORT_BASE });
  console.log(`# lab up in ${Math.round(lab.upMs)} ms (${lab.dir})`);
  const created = await createCore(lab.workspacePath);
  if (!created.ok) throw new Error(created.message);
  core = created.core;
});

after(async () => {
  try {
    await core?.stop();
  } finally {
    await lab?.stop();
  }
});

for (const s of sites) {
  test(
    `${s.site} site (${s.router}): green fails its post-switch check → the switch reverts to blue by itself`,
    { skip, timeout: 60_000 },
    async () => {
      assert.equal(await liveSlot(s.entry()), 'blue', 'blue is live before the run');
      const plan = await core!.api.planRun({ env: 'lab', runbook: s.runbook });
      assert.ok(plan.ok, plan.ok ? '' : plan.error.message);
      assert.deepEqual(plan.value.blocking, [], 'the plan passes every rule');

      const events: RunEvent[] = [];
      let stopping: Promise<void> | null = null;
      let switchedAt = 0;
      const off = core!.on('run', (e) => {
        events.push(e);
        if (
          !stopping &&
          e.type === 'step-finished' &&
          e.phase === 'run' &&
          e.stepId === 'switch-to-green' &&
          e.state === 'verified'
        ) {
          switchedAt = Date.now();
          stopping = lab!.stopProcess(s.green); // right when the switch verified
        }
      });
      // What clients saw meanwhile (reported, not asserted: green is down on purpose until the revert).
      const loop = startRequestLoop(s.entry(), { maxRequests: 2000, maxMs: 40_000, pauseMs: 10 });
      let outcome: RunOutcome;
      try {
        const r = await runUntilStopped(core!, () =>
          core!.api.executeRun({ planId: plan.value.planId, confirmation: 'lab' }),
        );
        assert.ok(r.ok, r.ok ? '' : r.error.message);
        outcome = r.value;
      } finally {
        off();
        loop.stop();
        await stopping;
      }
      const seen = await loop.done;
      try {
        assert.ok(stopping, 'the switch-to-green step finished verified (and green was stopped then)');
        assert.equal(
          outcome.status,
          'rolled-back',
          `the run reverted by itself: ${outcome.status} — ${outcome.detail}`,
        );
        assert.match(outcome.detail ?? '', /post-switch-check/, 'the detail names the failed check');
        const postCheck = outcome.steps.find((x) => x.phase === 'run' && x.id === 'post-switch-check');
        assert.equal(postCheck?.state, 'failed', 'the post-switch check failed');
        const undo = outcome.steps.find((x) => x.phase === 'rollback' && x.id === 'switch-to-green');
        assert.equal(undo?.state, 'verified', `the switch was undone and verified: ${JSON.stringify(undo)}`);
        assert.ok(
          events.some((e) => e.type === 'run-started' && e.phase === 'rollback'),
          'the rollback phase ran without anyone asking',
        );
        const finished = events.find((e) => e.type === 'run-finished');
        assert.equal(finished?.type === 'run-finished' ? finished.status : null, 'rolled-back');
        assert.equal(await liveSlot(s.entry()), 'blue', 'blue is live and serving again');
        const revertMs = finished ? finished.at - switchedAt : -1;
        console.log(
          `# ${s.site} revert: run ${outcome.durationMs} ms, green stopped at switch, reverted to blue ${revertMs} ms later (post-switch-check ${postCheck?.durationMs} ms, undo ${undo?.durationMs} ms); ` +
            `clients meanwhile: ${seen.requests} requests, ${seen.failed} failed (green down on purpose), slots ${seen.slotChanges.map((c) => c.slot).join('→')}`,
        );
      } finally {
        await lab!.startProcess(s.green);
      }
      assert.equal(
        (
          await httpGet(
            `http://${s.site === 'primary' ? '127.0.0.2' : '127.0.0.3'}:${lab!.ports.APP_GREEN_PORT}/health`,
          )
        ).status,
        200,
        'green is back',
      );
      const lock = await core!.api.getLock({ env: 'lab' });
      assert.ok(lock.ok && !lock.value.held, `the environment lock is free after the revert: ${JSON.stringify(lock)}`);
    },
  );
}

for (const s of sites) {
  test(
    `${s.site} site (${s.router}): \`standby run ${s.runbook}\` under a request loop → 0 failed requests, green live`,
    { skip, timeout: 60_000 },
    async () => {
      assert.equal(await liveSlot(s.entry()), 'blue', 'blue is live before the run');
      const loop = startRequestLoop(s.entry(), { maxRequests: 2000, maxMs: 40_000, pauseMs: 2, tailRequests: 100 });
      await sleep(200); // the loop is running before the switch starts
      let r;
      try {
        r = await runStandby(['run', s.runbook, '--workspace', lab!.workspacePath, '--yes', '--json'], {
          timeoutMs: 40_000,
        });
      } finally {
        loop.stop();
      }
      const seen = await loop.done;
      assert.equal(r.code, 0, `standby run ${s.runbook} exit ${r.code}\n${r.stdout}\n${r.stderr}`);
      const outcome = JSON.parse(r.stdout) as RunOutcome;
      assert.equal(outcome.status, 'succeeded');
      for (const st of outcome.steps) assert.equal(st.state, 'verified', `step ${st.id}: ${st.state}`);
      console.log(
        `# ${s.site} (${s.router}) blue→green: run ${outcome.durationMs} ms (${outcome.steps.map((x) => `${x.id}=${x.durationMs}`).join(', ')}); ` +
          `${seen.requests} requests in ${seen.endedAt - seen.startedAt} ms (new connection each), ${seen.failed} failed, max latency ${seen.maxLatencyMs.toFixed(1)} ms, ` +
          `slots ${seen.slotChanges.map((c) => c.slot).join('→')} (${JSON.stringify(seen.slotCounts)}), stopped by ${seen.stoppedBy}`,
      );
      assert.equal(seen.failed, 0, `0 failed requests: ${JSON.stringify(seen.failures.slice(0, 5))}`);
      assert.ok(seen.requests <= 2000);
      // Make-before-break: while the router switches, both slots may answer (HAProxy: green ready
      // and UP before blue goes to maintenance; nginx: old workers finish on the old upstream
      // after the reload). After the switch step verified, only green may answer.
      const detail = await core!.api.getRun({ runId: outcome.runId });
      assert.ok(detail.ok);
      const sw = detail.value.steps.find((x) => x.phase === 'run' && x.id === 'switch-to-green')!;
      const firstGreen = seen.slotChanges.find((c) => c.slot === 'green')?.at ?? NaN;
      const lastBlue = seen.slotChanges.filter((c) => c.slot === 'blue').at(-1)?.at ?? NaN;
      const lastChangeToGreen = seen.slotChanges.at(-1)!;
      console.log(
        `#   switch step ${sw.startedAt! - seen.startedAt}..${sw.finishedAt! - seen.startedAt} ms into the loop; first green answer at ${firstGreen - seen.startedAt} ms, ` +
          `last blue answer at ${lastBlue - seen.startedAt} ms (both slots answered for ${lastChangeToGreen.at - firstGreen} ms, ${seen.slotChanges.length - 1} slot changes)`,
      );
      assert.equal(seen.slotChanges[0]?.slot, 'blue', 'the loop started on blue (it covered the whole switch)');
      assert.equal(lastChangeToGreen.slot, 'green', 'the loop ended on green');
      assert.ok(firstGreen >= sw.startedAt! - 5, 'green answered only once the switch step started');
      assert.ok(
        lastChangeToGreen.at <= sw.finishedAt! + 5,
        `blue stopped answering before the switch step verified (last change to green ${lastChangeToGreen.at - sw.finishedAt!} ms after it)`,
      );
      assert.ok((seen.slotCounts.green ?? 0) >= 100, 'the loop kept going after the switch');
      assert.equal(await liveSlot(s.entry()), 'green', 'green is live afterwards (read through the router)');
    },
  );
}
