/**
 * Issue 7, item 3 / Done when 3 on the REAL lab (port base 15300), through `bin/standby` as a
 * user runs it: `standby status --json` says the environment is *protected* (streaming replica
 * on a healthy standby site) → after `standby run failover` it is *unprotected* with the reason
 * (the old primary is down: no replica) and names the failback runbook → after `standby run
 * failback` it is *protected* again. The text output carries the posture and the RTO line says
 * "NO STANDBY" instead of a verdict while unprotected.
 * Traffic goes only to 127.0.0.0/8; every process is stopped by PID (lab.stop()).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { labAvailable, startLab, type Lab } from '../lab/lab.ts';
import { runStandby } from '../support/standby-cli.ts';
import type { EnvironmentSnapshot } from '../../shared/status.ts';

const PORT_BASE = 15300; // below the ephemeral port range (32768+); no other test uses it
const available = labAvailable();
if (!available.ok) console.log(`# skipping posture: ${available.reason}`);
const skip = available.ok ? false : `lab not available: ${available.reason}`;

let lab: Lab | undefined;
let ws: string;

before(async () => {
  if (skip) return;
  lab = await startLab({ portBase: PORT_BASE });
  ws = lab.workspacePath;
});

after(async () => {
  await lab?.stop();
});

async function statusJson(): Promise<EnvironmentSnapshot> {
  const r = await runStandby(['status', '--workspace', ws, '--json'], { timeoutMs: 60_000 });
  assert.ok(r.code === 0 || r.code === 3, `status ran (0 healthy, 3 a site unhealthy): exit ${r.code}\n${r.stderr}`);
  return JSON.parse(r.stdout) as EnvironmentSnapshot;
}

/** Polls `status --json` until the posture is `want` (bounded: 10 tries, ~1 s apart). */
async function waitPosture(want: string): Promise<EnvironmentSnapshot> {
  let last: EnvironmentSnapshot | undefined;
  for (let i = 0; i < 10; i++) {
    last = await statusJson();
    if (last.posture?.state === want) return last;
    await new Promise((r) => setTimeout(r, 1000));
  }
  assert.fail(`posture never became ${want}: ${JSON.stringify(last?.posture)}`);
}

test(
  'posture: protected → failover → unprotected (reason, failback offered) → failback → protected',
  { skip, timeout: 240_000 },
  async () => {
    const before = await waitPosture('protected');
    assert.equal(before.posture?.standbySite, 'failover');
    assert.equal(before.posture?.replica, 'pg-replica');
    assert.equal(before.posture?.restoreRunbook, null);

    const fo = await runStandby(['run', 'failover', '--workspace', ws, '--yes'], { timeoutMs: 90_000 });
    assert.equal(fo.code, 0, `failover: ${fo.stdout}\n${fo.stderr}`);

    const after = await waitPosture('unprotected');
    assert.equal(after.posture?.standbySite, 'primary');
    assert.match(after.posture!.reason, /no replica on standby site primary: pg-primary/);
    assert.equal(after.posture?.restoreRunbook, 'failback');
    const text = await runStandby(['status', '--workspace', ws], { timeoutMs: 60_000 });
    assert.match(text.stdout, /posture: UNPROTECTED — .*Restore: standby plan failback/);
    assert.match(text.stdout, /RTO estimate: NO STANDBY/);
    assert.doesNotMatch(text.stdout, /RTO estimate: OK/);

    const fb = await runStandby(['run', 'failback', '--workspace', ws, '--yes'], { timeoutMs: 180_000 });
    assert.equal(fb.code, 0, `failback: ${fb.stdout}\n${fb.stderr}`);
    const back = await waitPosture('protected');
    assert.equal(back.posture?.standbySite, 'failover');
    assert.equal(back.posture?.replica, 'pg-replica');
  },
);
