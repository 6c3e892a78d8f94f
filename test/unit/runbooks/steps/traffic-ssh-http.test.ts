import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  trafficSwitchSlotKind as sw,
  trafficSwitchSlotParams,
} from '../../../../electron/core/runbooks/steps/traffic-switch-slot.ts';
import { SshStepError, sshRunKind, sshRunParams } from '../../../../electron/core/runbooks/steps/ssh-run.ts';
import {
  gateUrl,
  httpAwaitHealthyKind as gate,
  httpAwaitHealthyParams,
} from '../../../../electron/core/runbooks/steps/http-await-healthy.ts';
import { StepError, toOpError } from '../../../../electron/core/runbooks/step-error.ts';
import { evaluateSafety } from '../../../../electron/core/runbooks/safety-rules.ts';
import { labSnapshot } from '../fakes.ts';
import { healthy, stepWorld, unhealthy } from './step-fakes.ts';

const toGreen = trafficSwitchSlotParams.parse({ site: 'primary', slot: 'green' });

test("traffic.switch-slot: plan from the router's live slot, slot-switch effect judged on the new slot's health; act, verify, isDone", async () => {
  const w = stepWorld();
  const p = await sw.plan(w.ctx(), toGreen);
  assert.deepEqual(p.changes, [{ target: 'primary live slot', before: 'blue', after: 'green' }]);
  assert.deepEqual(p.effects, [{ type: 'slot-switch', site: 'primary', fromSlot: 'blue', toSlot: 'green' }]);
  assert.deepEqual(p.commands, ['ssh ops@127.0.0.2:2222: switch to green']);
  const v = evaluateSafety({
    snapshot: labSnapshot({ primary: { slots: { green: 'unhealthy' } } }),
    steps: [{ id: 's', effects: p.effects, state: 'planned' }],
    judge: 'plan',
  });
  assert.equal(v.find((x) => x.rule === 'target-healthy-before-traffic')?.verdict, 'refuse');
  assert.equal((await sw.isDone(w.ctx(), toGreen)).done, false);
  const seen: string[] = [];
  await sw.act(w.ctx(), toGreen, (x) => seen.push(x.message));
  assert.deepEqual(seen, ['write: upstream → green']);
  assert.equal((await sw.verify(w.ctx(), toGreen)).ok, true);
  assert.equal((await sw.isDone(w.ctx(), toGreen)).done, true);
  assert.equal((await sw.plan(w.ctx(), toGreen)).alreadyDone, true);
  // traffic still reaching the old slot: not done, not verified
  w.routers.get('primary')!.pinnedEntry = 'blue';
  assert.equal((await sw.isDone(w.ctx(), toGreen)).done, false);
  const bad = await sw.verify(w.ctx(), toGreen);
  assert.equal(bad.ok, false);
  assert.match(bad.evidence, /entry serves blue/);
});

test('traffic.switch-slot: rollback switches back to the recorded slot; an unknown slot is invalid-input', async () => {
  const w = stepWorld();
  const recorded = await sw.plan(w.ctx(), toGreen);
  await sw.act(w.ctx(), toGreen, () => {});
  const r = await sw.rollback!(w.ctx(), toGreen, recorded);
  assert.equal(r.ok, true, r.evidence);
  assert.equal(w.routers.get('primary')!.live, 'blue');
  assert.deepEqual(w.routers.get('primary')!.switches, ['green', 'blue']);
  const unknown = await sw.rollback!(w.ctx(), toGreen, {
    ...recorded,
    changes: [{ target: 'primary live slot', before: 'unknown', after: 'green' }],
  });
  assert.equal(unknown.ok, false);
  assert.match(unknown.evidence, /switch primary back by hand/);
  await assert.rejects(
    sw.plan(w.ctx(), trafficSwitchSlotParams.parse({ site: 'failover', slot: 'green' })),
    (e: unknown) => e instanceof StepError && e.kind === 'invalid-input' && e.hint === 'use one of: blue',
  );
});

test('ssh.run: declared exit codes are success; any other is an error carrying host, command, exit code, stdout and stderr', async () => {
  const w = stepWorld();
  w.ssh.results['./deploy.sh'] = { exit: 3, stdout: 'partial\n', stderr: 'boom\n' };
  const ok = sshRunParams.parse({ site: 'primary', command: './deploy.sh', successExitCodes: [0, 3] });
  await sshRunKind.act(w.ctx(), ok, () => {});
  const v = await sshRunKind.verify(w.ctx(), ok);
  assert.equal(v.ok, true);
  assert.match(v.evidence, /^exited 3 \(declared success\) in 3 ms; last line of stdout: partial; no check command/);
  const e = await sshRunKind
    .act(w.ctx(), sshRunParams.parse({ site: 'primary', command: './deploy.sh' }), () => {})
    .catch((x: unknown) => x);
  assert.ok(e instanceof SshStepError);
  assert.deepEqual(
    [e.host, e.command, e.exitCode, e.stdout, e.stderr, e.retryable, e.kind],
    ['ops@127.0.0.2:2222', './deploy.sh', 3, 'partial\n', 'boom\n', false, 'internal'],
  );
  assert.equal(
    e.message,
    '`./deploy.sh` on ops@127.0.0.2:2222 exited with 3 (declared success: 0)\nstdout: partial\nstderr: boom',
  );
  assert.equal(toOpError(e).message, e.message, 'the journal keeps the output');
  w.ssh.unreachable = true;
  await assert.rejects(
    sshRunKind.act(w.ctx(), ok, () => {}),
    (x: unknown) => x instanceof StepError && x.kind === 'unreachable' && x.retryable,
  );
});

test('ssh.run: isDone only with a check command (exit 0 = done); the check is the read-back', async () => {
  const w = stepWorld();
  const noCheck = sshRunParams.parse({ site: 'failover', command: 'touch /x' });
  assert.deepEqual(await sshRunKind.isDone(w.ctx(), noCheck), {
    done: false,
    evidence: 'no check command: the command always runs',
  });
  const withCheck = sshRunParams.parse({ site: 'failover', command: 'touch /x', check: 'test -f /x' });
  w.ssh.results['test -f /x'] = { exit: 1 };
  const d = await sshRunKind.isDone(w.ctx(), withCheck);
  assert.equal(d.done, false);
  assert.match(d.evidence, /check `test -f \/x` on ops@127\.0\.0\.3:2222 exited 1/);
  const p = await sshRunKind.plan(w.ctx(), withCheck);
  assert.deepEqual(p.commands, [
    'ssh ops@127.0.0.3:2222: test -f /x  # check: exit 0 = already done',
    'ssh ops@127.0.0.3:2222: touch /x',
  ]);
  w.ssh.results['test -f /x'] = { exit: 0 };
  assert.equal((await sshRunKind.isDone(w.ctx(), withCheck)).done, true);
  assert.equal((await sshRunKind.verify(w.ctx(), withCheck)).ok, true);
  assert.equal((await sshRunKind.plan(w.ctx(), withCheck)).alreadyDone, true);
});

test('http.await-healthy: URL from url / site / site+slot (loopback only); waits for N in a row, a failure resets the run', async () => {
  const w = stepWorld();
  assert.equal(gateUrl(w, httpAwaitHealthyParams.parse({ site: 'primary' })), 'http://127.0.0.2:15380/health');
  assert.equal(
    gateUrl(w, httpAwaitHealthyParams.parse({ site: 'primary', slot: 'green' })),
    'http://127.0.0.2:15302/health',
  );
  assert.equal(httpAwaitHealthyParams.safeParse({ url: 'http://10.0.0.1/health' }).success, false);
  assert.equal(httpAwaitHealthyParams.safeParse({ slot: 'blue' }).success, false);
  const url = 'http://127.0.0.3:15380/health';
  w.probes.set(url, [healthy(), unhealthy(), healthy(), healthy(), healthy()]);
  const p = httpAwaitHealthyParams.parse({ site: 'failover', consecutive: 3 });
  assert.equal((await gate.isDone(w.ctx(), p)).done, false);
  await gate.act(w.ctx(), p, (x) => w.progress.push(x));
  assert.deepEqual(
    w.progress.map((x) => x.message.replace(/ \(last.*/, '')),
    [1, 0, 1, 2, 3].map((n) => `${url}: ${n}/3 healthy in a row`),
  );
  assert.equal((await gate.verify(w.ctx(), p)).ok, true);
});

test('http.await-healthy: times out (retryable) with the last answers; expectSlot must match', async () => {
  const w = stepWorld();
  const url = 'http://127.0.0.3:15380/health';
  w.probes.set(url, [healthy('green')]);
  const p = httpAwaitHealthyParams.parse({ site: 'failover', expectSlot: 'blue', timeoutMs: 1000, intervalMs: 100 });
  const e = await gate.act(w.ctx(), p, () => {}).catch((x: unknown) => x);
  assert.ok(e instanceof StepError && e.kind === 'timeout' && e.retryable);
  assert.match(
    e.message,
    /did not answer healthy 3 times in a row within 1000 ms; last answers: HTTP 200 slot=green in 2 ms \(want slot=blue\)/,
  );
  assert.ok(w.clock.t - 1_000_000 >= 1000 && w.clock.t - 1_000_000 <= 1100);
});
