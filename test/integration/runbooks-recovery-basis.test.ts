/**
 * Measured recovery counts from the first failed probe when a failure triggered the run — on the
 * REAL lab (port base 12300), through an in-process core whose monitor runs like the console's:
 * 1. both app slots of the primary site are stopped (the primary database stays up, so fencing
 *    works): nginx answers 502, the primary entry turns unhealthy and the snapshot carries the
 *    first failed probe of the streak (`failingSince`);
 * 2. ~1 s later the lab `failover` runbook is planned and executed (confirmation `lab`);
 * 3. once the measurement lands, the run says it counts from the first failed probe, at exactly
 *    the `failingSince` the monitor showed, and the recovery time covers the time before the run
 *    started; the audit log has a `run.recovery` entry with the same numbers.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { labAvailable, startLab, type Lab } from '../lab/lab.ts';
import { createCore, type Core } from '../../electron/core/create-core.ts';
import { runUntilStopped } from '../../electron/core/runbooks/run-until-stopped.ts';
import { auditLogPathFor } from '../../electron/core/runbooks/audit-log.ts';
import type { ConsoleEventPayload } from '../../shared/contract/index.ts';
import type { RunDetail } from '../../shared/runs/run-summary.ts';
import type { ProbeStatus } from '../../shared/status.ts';
import { digA, labNameserverPorts, pollUntil, sleep } from '../support/outside-checks.ts';

const PORT_BASE = 12300; // below the ephemeral port range (32768+)
const available = labAvailable();
if (!available.ok) console.log(`# skipping runbooks-recovery-basis: ${available.reason}`);
const skip = available.ok ? false : `lab not available: ${available.reason}`;

let lab: Lab | undefined;
let core: Core | undefined;

/** The primary site's entry probe in the monitor's latest snapshot. */
async function primaryEntry(): Promise<ProbeStatus | null> {
  const s = await core!.api.getSnapshot({ env: 'lab' });
  return s.ok ? (s.value.sites.find((x) => x.name === 'primary')?.entry ?? null) : null;
}

before(async () => {
  if (skip) return;
  lab = await startLab({ portBase: PORT_BASE });
  console.log(`# lab up in ${Math.round(lab.upMs)} ms (${lab.dir})`);
  const created = await createCore(lab.workspacePath);
  if (!created.ok) throw new Error(created.message);
  core = created.core;
  core.start();
});

after(async () => {
  try {
    await core?.stop();
  } finally {
    await lab?.stop();
  }
});

test(
  'a failover triggered by a failed primary site counts its recovery from the first failed probe',
  { skip, timeout: 90_000 },
  async () => {
    const healthy = await pollUntil(async () => (await primaryEntry())?.state === 'healthy', {
      timeoutMs: 15_000,
      intervalMs: 200,
    });
    assert.ok(healthy, `the primary entry is healthy before the fault: ${JSON.stringify(await primaryEntry())}`);
    assert.equal((await primaryEntry())?.failingSince, null, 'no failure streak while healthy');

    const stoppedAt = Date.now();
    await lab!.stopProcess('primary-blue');
    await lab!.stopProcess('primary-green');
    const down = await pollUntil(
      async () => {
        const e = await primaryEntry();
        return e?.state === 'unhealthy' && e.failingSince !== null ? e : null;
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    assert.ok(down, `the primary entry turns unhealthy with failingSince set: ${JSON.stringify(await primaryEntry())}`);
    const failingSince = down.failingSince!;
    console.log(
      `# primary apps stopped; entry unhealthy (${down.reason}) ${Date.now() - stoppedAt} ms later, first failed probe ${failingSince - stoppedAt} ms after the stop`,
    );
    assert.ok(failingSince >= stoppedAt - 1_000, 'the streak began at the fault (not a failure from before)');

    await sleep(1_000);
    assert.equal((await primaryEntry())?.failingSince, failingSince, 'further failed probes keep the streak start');

    const plan = await core!.api.planRun({ env: 'lab', runbook: 'failover' });
    assert.ok(plan.ok, plan.ok ? '' : plan.error.message);
    assert.deepEqual(
      plan.value.blocking,
      [],
      `the failover plan is not refused: ${JSON.stringify(plan.value.blocking)}`,
    );
    const measured: ConsoleEventPayload<'run-recovery-measured'>[] = [];
    const offMeasured = core!.on('run-recovery-measured', (p) => measured.push(p));
    const run = await runUntilStopped(core!, () =>
      core!.api.executeRun({ planId: plan.value.planId, confirmation: 'lab' }),
    );
    assert.ok(run.ok, run.ok ? '' : run.error.message);
    const runId = run.value.runId;
    assert.equal(run.value.status, 'succeeded', `failover run: ${run.value.status} ${run.value.detail ?? ''}`);
    const ns = labNameserverPorts(lab!);
    assert.deepEqual(await digA(ns.powerdns, 'app.lab.test'), ['127.0.0.3'], 'DNS now answers the failover site');

    let detail: RunDetail | null = null;
    await pollUntil(
      async () => {
        const d = await core!.api.getRun({ runId });
        detail = d.ok ? d.value : null;
        return detail !== null && detail.recoveryMs !== null;
      },
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    const d = detail as RunDetail | null;
    assert.ok(d, 'the run is in the journal');
    console.log(
      `# run ${runId}: created ${d.createdAt - failingSince} ms after the first failed probe, duration ${d.durationMs} ms, recovery ${d.recoveryMs ?? 'NOT RECORDED'} ms from ${d.recoveryFrom} (RTO ${d.rtoObjectiveSeconds} s)`,
    );
    assert.notEqual(d.recoveryMs, null, 'the recovery time is measured within 15 s of the run end');
    assert.equal(d.recoveryFrom, 'first-failed-probe');
    assert.equal(d.recoveryStartedAt, failingSince, 'counted from the failingSince the monitor showed');
    assert.ok(
      d.recoveryMs! >= d.createdAt - failingSince,
      `recovery ${d.recoveryMs} ms covers the ${d.createdAt - failingSince} ms before the run started`,
    );
    offMeasured();
    assert.deepEqual(
      measured.filter((m) => m.runId === runId),
      [
        {
          runId,
          env: 'lab',
          recovery: {
            ms: d.recoveryMs,
            from: 'first-failed-probe',
            startedAt: failingSince,
            rtoObjectiveSeconds: d.rtoObjectiveSeconds,
          },
        },
      ],
      'run-recovery-measured told the journalled numbers, once',
    );

    const entries = readFileSync(auditLogPathFor(core!.workspace.store.path), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; details: Record<string, unknown> });
    const rec = entries.filter((e) => e.action === 'run.recovery' && e.details.runId === runId);
    assert.equal(rec.length, 1, 'one run.recovery audit entry');
    assert.equal(rec[0]!.details.basis, 'first-failed-probe');
    assert.equal(rec[0]!.details.startedAt, failingSince);
    assert.equal(rec[0]!.details.ms, d.recoveryMs);
  },
);
