/**
 * The built-in runbook step kinds against the REAL lab (port base 22300): each kind's
 * plan → act → verify called directly with services from createEnvironmentServices on the lab
 * workspace, isDone making a second act unnecessary, and small runbooks through the RunEngine
 * with real steps. DNS answers are checked with `dig` (outside Standby), PostgreSQL with psql.
 *
 * Order matters (each test builds on the state the previous one left):
 * 1. dns.set-records to the failover site and back (rollback from the recorded plan); each
 *    provider saw one change (SOA serial +1 at PowerDNS and at BIND);
 * 2. dns.set-ttl: a visible countdown of the old TTL;
 * 3. RunEngine: approval → dns.set-records → http.await-healthy, then the same runbook again
 *    (the DNS step is skipped, serials unchanged), then a runbook whose ssh.run step fails and
 *    whose DNS change is rolled back automatically;
 * 4. PowerDNS stopped while the run acts: the run pauses naming who serves what; resumed after a
 *    restart, each provider saw exactly one change;
 * 5. traffic.switch-slot on both sites (nginx, HAProxy) and back;
 * 6. http.await-healthy and ssh.run (declared exit code, failing command, check command);
 * 7. db.await-lag, db.fence, db.promote, db.rejoin, then back to the original topology.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DatabaseSync } from 'node:sqlite';
import { labAvailable, startLab, type Lab } from '../lab/lab.ts';
import { loadWorkspace, formatIssues } from '../../electron/core/config/load-workspace.ts';
import type { Environment } from '../../electron/core/config/workspace-schema.ts';
import { resolveSecret } from '../../electron/core/secrets/resolve-secret.ts';
import { SshPool } from '../../electron/core/ssh/ssh-pool.ts';
import { openStore } from '../../electron/core/store/open-store.ts';
import { SampleStore } from '../../electron/core/store/sample-store.ts';
import { EnvironmentMonitor } from '../../electron/core/monitor/environment-monitor.ts';
import { AuditLog, auditLogPathFor, verifyAuditLog } from '../../electron/core/runbooks/audit-log.ts';
import { EnvLock } from '../../electron/core/runbooks/env-lock.ts';
import { RunEngine } from '../../electron/core/runbooks/run-engine.ts';
import type { RunEvent } from '../../electron/core/runbooks/run-event.ts';
import { RunJournal, memoryStepState } from '../../electron/core/runbooks/run-journal.ts';
import { parseRunbook } from '../../electron/core/runbooks/load-runbook.ts';
import type { Runbook } from '../../electron/core/runbooks/runbook-schema.ts';
import { createBuiltinStepRegistry } from '../../electron/core/runbooks/builtin-steps.ts';
import { createEnvironmentServices } from '../../electron/core/environment/create-environment-services.ts';
import type { EnvironmentServices } from '../../electron/core/environment/environment-services.ts';
import type { StepContext, StepKind, StepProgress } from '../../electron/core/runbooks/step-kind.ts';
import type { StepPlan } from '../../electron/core/runbooks/step-plan.ts';
import { StepError } from '../../electron/core/runbooks/step-error.ts';
import { SshStepError } from '../../electron/core/runbooks/steps/ssh-run.ts';

const PORT_BASE = 22300; // below the ephemeral port range (32768+), so outgoing connections never take a lab port
const available = labAvailable();
if (!available.ok) console.log(`# skipping runbook-steps: ${available.reason}`);
const skip = available.ok ? false : `lab not available: ${available.reason}`;
const registry = createBuiltinStepRegistry();
const kind = (name: string): StepKind => registry.get(name)!;

let lab: Lab | undefined;
let env: Environment;
let pool: SshPool | undefined;
let services: EnvironmentServices | undefined;
let dir: string | undefined;
let db: DatabaseSync | undefined;
let monitor: EnvironmentMonitor | undefined;
let store: SampleStore | undefined;
let engine: RunEngine;
let auditFile: string;
let ns: { powerdns: string; bind: string };
const checkFile = `/tmp/sb-steps-check.${process.pid}`;
const kept: string[] = [];
/** ms per step kind and phase, printed at the end. */
const timings: Record<string, Record<string, number>> = {};

before(async () => {
  if (skip) return;
  lab = await startLab({ portBase: PORT_BASE });
  const loaded = await loadWorkspace(lab.workspacePath);
  if (!loaded.ok) throw new Error(`lab workspace invalid:\n${formatIssues(loaded.issues)}`);
  env = loaded.workspace.environments[0]!;
  ns = { powerdns: `127.0.0.1:${lab.ports.PDNS_DNS_PORT}`, bind: `127.0.0.1:${lab.ports.BIND_DNS_PORT}` };
  pool = new SshPool({ resolveSecret });
  services = createEnvironmentServices(env, pool, resolveSecret);
  dir = mkdtempSync(join(tmpdir(), 'sb-steps-'));
  const storePath = join(dir, 'standby.sqlite');
  db = openStore(storePath);
  auditFile = auditLogPathFor(storePath);
  const audit = new AuditLog(auditFile, { db });
  store = new SampleStore(db, 3_600_000);
  monitor = new EnvironmentMonitor(services, store, { snapshot() {}, samples() {}, error() {} });
  engine = new RunEngine({
    registry,
    journal: new RunJournal(db),
    locks: new EnvLock(db, { audit }),
    audit,
    actor: 'ci@runbook-steps',
    target: (name) =>
      name === env.name ? { env, services: services!, snapshot: () => monitor!.pollOnce() } : undefined,
    graceMs: 1000,
  });
});

after(async () => {
  await monitor?.stop().catch(() => {});
  await services?.close();
  await pool?.close();
  // the store's flush timer must not outlive the database (the core closes them in this order too)
  store?.close();
  db?.close();
  await lab?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  await rm(checkFile, { force: true });
  for (const d of kept)
    if (/^\/tmp\/standby-replaced\.[A-Za-z0-9]+$/.test(d)) await rm(d, { recursive: true, force: true });
  if (Object.keys(timings).length) console.log(`# timings (ms): ${JSON.stringify(timings)}`);
});

/** Step state by `runId/stepId`, as the engine's journal keeps it across contexts (in memory here). */
const stepStates = new Map<string, StepContext['state']>();
function stateOf(runId: string | null, stepId: string): StepContext['state'] {
  if (runId === null) return memoryStepState();
  const key = `${runId}/${stepId}`;
  let state = stepStates.get(key);
  if (!state) stepStates.set(key, (state = memoryStepState()));
  return state;
}

/** A step context like the engine's: real clock, sleeps that honour the signal, logs kept, state per run and step. */
function context(
  o: { stepId?: string; runId?: string | null; planning?: boolean; timeoutMs?: number; logs?: string[] } = {},
): StepContext {
  const signal = AbortSignal.timeout(o.timeoutMs ?? 120_000);
  const logs = o.logs ?? [];
  const runId = o.runId === undefined ? `direct-${process.pid}` : o.runId;
  const stepId = o.stepId ?? 'direct';
  return {
    env,
    services: services!,
    signal,
    log: { info: (m) => logs.push(m), warn: (m) => logs.push(`warn: ${m}`), error: (m) => logs.push(`error: ${m}`) },
    now: Date.now,
    sleep: o.planning
      ? () => Promise.reject(new Error('a plan must not wait'))
      : (ms) => sleep(ms, undefined, { signal }),
    runId,
    stepId,
    state: stateOf(runId, stepId),
  };
}

function time(k: string, phase: string, ms: number): void {
  (timings[k] ??= {})[phase] = Math.round(ms);
}

/** plan (as the planner does) → act (progress kept) → verify, each timed. */
async function planActVerify(
  name: string,
  params: unknown,
  o: { stepId?: string; label?: string } = {},
): Promise<{ plan: StepPlan; progress: StepProgress[]; logs: string[]; evidence: string; actMs: number }> {
  const k = kind(name);
  const p = k.params.parse(params);
  const label = o.label ?? name;
  let t0 = performance.now();
  const plan = await k.plan(context({ planning: true, runId: null, ...(o.stepId ? { stepId: o.stepId } : {}) }), p);
  time(label, 'plan', performance.now() - t0);
  const progress: StepProgress[] = [];
  const logs: string[] = [];
  const ctx = context({ logs, ...(o.stepId ? { stepId: o.stepId } : {}) });
  t0 = performance.now();
  await k.act(ctx, p, (x) => progress.push(x));
  const actMs = performance.now() - t0;
  time(label, 'act', actMs);
  t0 = performance.now();
  const v = await k.verify(ctx, p);
  time(label, 'verify', performance.now() - t0);
  assert.equal(v.ok, true, `${name} verify: ${v.evidence}`);
  return { plan, progress, logs, evidence: v.evidence, actMs };
}

/** Runs a command with a hard limit; resolves with its output (never rejects). */
function run(cmd: string, args: string[], limitMs = 5000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: -1, out: String(e) });
    });
  });
}

/** What `dig` (outside Standby) gets from one server for app.lab.test A: `"<ttl> <value>"` lines. */
async function dig(server: string): Promise<string[]> {
  const [host, port] = server.split(':');
  const r = await run('dig', [
    '+noall',
    '+answer',
    '+norec',
    '+time=1',
    '+tries=1',
    `@${host}`,
    '-p',
    port!,
    'app.lab.test',
    'A',
  ]);
  assert.equal(r.code, 0, `dig failed: ${r.out}`);
  return r.out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 5 && f[3] === 'A')
    .map((f) => `${f[1]} ${f[4]}`)
    .sort();
}

/** SOA serial of lab.test at one server (a counter of changes: +1 per API change / UPDATE). */
async function serial(server: string): Promise<number> {
  const [host, port] = server.split(':');
  const r = await run('dig', ['+short', '+norec', '+time=1', '+tries=1', `@${host}`, '-p', port!, 'lab.test', 'SOA']);
  const n = Number(r.out.trim().split(/\s+/)[2]);
  assert.ok(Number.isInteger(n), `no SOA serial from ${server}: ${r.out}`);
  return n;
}

async function serials(): Promise<{ powerdns: number; bind: number }> {
  return { powerdns: await serial(ns.powerdns), bind: await serial(ns.bind) };
}

async function bothServe(want: string): Promise<void> {
  assert.deepEqual(await dig(ns.powerdns), [want], 'PowerDNS nameserver (dig)');
  assert.deepEqual(await dig(ns.bind), [want], 'BIND nameserver (dig)');
}

function runbook(yaml: string): Runbook {
  const r = parseRunbook(yaml, '/lab/runbook.yaml', registry);
  if (!r.ok) throw new Error(formatIssues(r.issues));
  return r.runbook;
}

test(
  'dns.set-records: both providers point at the failover site (dig: 127.0.0.3), isDone then skips, one change per provider; rollback restores',
  { skip },
  async () => {
    const params = { record: 'app.lab.test', site: 'failover', ttlSeconds: 5 };
    const s0 = await serials();
    const r = await planActVerify('dns.set-records', params);
    assert.deepEqual(
      r.plan.changes.map((c) => `${c.target}: ${c.before} → ${c.after}`),
      [
        'powerdns: app.lab.test A: 127.0.0.2 TTL 30 → 127.0.0.3 TTL 5',
        'bind: app.lab.test A: 127.0.0.2 TTL 30 → 127.0.0.3 TTL 5',
      ],
    );
    assert.deepEqual(r.plan.effects, [
      { type: 'dns-point', record: 'app.lab.test', toSite: 'failover', values: ['127.0.0.3'] },
    ]);
    assert.ok(
      r.plan.commands.some((c) =>
        c.startsWith(`PATCH ${lab!.ports.PDNS_API_URL}/api/v1/servers/localhost/zones/lab.test. `),
      ),
      r.plan.commands.join('\n'),
    );
    assert.ok(
      r.plan.commands.some(
        (c) => c.startsWith('nsupdate (TSIG-signed)') && c.includes('prereq yxrrset app.lab.test. A 127.0.0.2'),
      ),
      r.plan.commands.join('\n'),
    );
    assert.equal(r.progress.at(-1)?.message, '2/2 nameservers serve the new answer');
    await bothServe('5 127.0.0.3');
    const s1 = await serials();
    assert.deepEqual([s1.powerdns - s0.powerdns, s1.bind - s0.bind], [1, 1], 'each provider saw one change');

    const k = kind('dns.set-records');
    const p = k.params.parse(params);
    const done = await k.isDone(context(), p);
    assert.equal(done.done, true, done.evidence);
    assert.equal((await k.plan(context({ planning: true, runId: null }), p)).alreadyDone, true);
    await k.act(context(), p, () => {});
    assert.deepEqual(await serials(), s1, 'acting again changed nothing at either provider');
    console.log(`# dns.set-records: both nameservers served 127.0.0.3 ${Math.round(r.actMs)} ms after the act started`);

    const t0 = performance.now();
    const rb = await k.rollback!(context(), p, r.plan);
    time('dns.set-records', 'rollback', performance.now() - t0);
    assert.equal(rb.ok, true, rb.evidence);
    await bothServe('30 127.0.0.2');
  },
);

test(
  'dns.set-ttl: lowers the TTL at both providers and counts the old TTL down (visible, measured)',
  { skip },
  async () => {
    // A short normal TTL for the test: 3 s → 2 s (the lab's 30 s would make this test 30 s long).
    await planActVerify(
      'dns.set-records',
      { record: 'app.lab.test', site: 'primary', ttlSeconds: 3 },
      { label: 'dns.set-records (ttl 3)' },
    );
    const r = await planActVerify('dns.set-ttl', { record: 'app.lab.test', ttlSeconds: 2 }, { stepId: 'ttl' });
    assert.ok(
      r.plan.notes.includes('then waits out the old TTL (3 s) with a countdown, once every nameserver serves 2 s'),
      r.plan.notes.join('\n'),
    );
    const countdown = r.progress.filter((x) => x.remainingMs !== undefined);
    assert.deepEqual(
      countdown.map((x) => x.message),
      ['old TTL drains in 3 s', 'old TTL drains in 2 s', 'old TTL drains in 1 s', 'old TTL drains in 0 s'],
    );
    assert.ok(r.actMs >= 3000 && r.actMs < 5000, `act took ${r.actMs} ms`);
    await bothServe('2 127.0.0.2');
    const k = kind('dns.set-ttl');
    const d = await k.isDone(context({ stepId: 'ttl' }), k.params.parse({ record: 'app.lab.test', ttlSeconds: 2 }));
    assert.equal(d.done, true, d.evidence);
    await planActVerify(
      'dns.set-records',
      { record: 'app.lab.test', site: 'primary', ttlSeconds: 30 },
      { label: 'dns.set-records (ttl 30)' },
    );
    await bothServe('30 127.0.0.2');
  },
);

test(
  'RunEngine with real steps: approval → DNS to failover → health gate; again → DNS skipped; a failing ssh.run rolls the DNS change back',
  { skip },
  async () => {
    const toFailover = runbook(`version: 1
name: dns-failover
kind: failover
steps:
  - { id: go, kind: approval, params: { message: "point app.lab.test at the failover site?" } }
  - { id: dns, kind: dns.set-records, params: { record: app.lab.test, site: failover, ttlSeconds: 5 } }
  - { id: gate, kind: http.await-healthy, params: { site: failover, consecutive: 3, timeoutMs: 10000 } }
`);
    const events: RunEvent[] = [];
    const s0 = await serials();
    const plan = await engine.planRun(toFailover, 'lab');
    assert.ok(plan.ok, plan.ok ? '' : plan.error.message);
    if (!plan.ok) return;
    assert.deepEqual(plan.value.blocking, [], JSON.stringify(plan.value.blocking));
    assert.equal(plan.value.rules.find((r) => r.rule === 'target-healthy-before-traffic')?.verdict, 'pass');
    const paused = await engine.executeRun(plan.value, { confirmedEnvName: 'lab', onEvent: (e) => events.push(e) });
    assert.ok(
      paused.ok && paused.value.status === 'paused' && paused.value.pauseReason === 'approval',
      JSON.stringify(paused),
    );
    if (!paused.ok) return;
    const t0 = performance.now();
    const done = await engine.approve(paused.value.runId, 'go', 'bob@runbook-steps', {
      onEvent: (e) => events.push(e),
    });
    const runMs = performance.now() - t0;
    assert.ok(done.ok, done.ok ? '' : done.error.message);
    if (!done.ok) return;
    assert.equal(done.value.status, 'succeeded', done.value.detail ?? '');
    assert.deepEqual(
      done.value.steps.map((s) => `${s.id} ${s.state}`),
      ['go verified', 'dns verified', 'gate verified'],
    );
    for (const s of done.value.steps) if (s.durationMs !== null) time(`engine:${s.id}`, 'step', s.durationMs);
    await bothServe('5 127.0.0.3');
    const s1 = await serials();
    assert.deepEqual([s1.powerdns - s0.powerdns, s1.bind - s0.bind], [1, 1]);
    assert.ok(
      events.some(
        (e) => e.type === 'step-progress' && e.stepId === 'dns' && /2\/2 nameservers serve/.test(e.progress.message),
      ),
    );
    console.log(
      `# engine run after approval: ${Math.round(runMs)} ms (${done.value.steps.map((s) => `${s.id} ${s.durationMs} ms`).join(', ')})`,
    );

    // the same runbook again: the DNS step finds its effect in place and is skipped
    const again = await engine.planRun(toFailover, 'lab');
    assert.ok(again.ok);
    if (!again.ok) return;
    assert.equal(again.value.steps[1]!.plan?.alreadyDone, true);
    const p2 = await engine.executeRun(again.value, { confirmedEnvName: 'lab' });
    assert.ok(p2.ok);
    if (!p2.ok) return;
    const d2 = await engine.approve(p2.value.runId, 'go', 'bob@runbook-steps');
    assert.ok(d2.ok && d2.value.status === 'succeeded');
    if (!d2.ok) return;
    const dnsStep = d2.value.steps.find((s) => s.id === 'dns')!;
    assert.equal(dnsStep.state, 'skipped');
    assert.match(dnsStep.evidence ?? '', /^already done: powerdns API 127\.0\.0\.3 TTL 5/);
    assert.deepEqual(await serials(), s1, 'no provider saw a second change');

    // back to primary, then a step fails for good: onFailure rollback restores the recorded before-values
    const failing = runbook(`version: 1
name: back-then-fail
kind: custom
onFailure: rollback
steps:
  - { id: dns, kind: dns.set-records, params: { record: app.lab.test, site: primary, ttlSeconds: 30 } }
  - { id: boom, kind: ssh.run, params: { site: primary, command: "echo partial; echo broken >&2; exit 3" } }
`);
    const p3 = await engine.planRun(failing, 'lab');
    assert.ok(p3.ok);
    if (!p3.ok) return;
    const r3 = await engine.executeRun(p3.value, { confirmedEnvName: 'lab' });
    assert.ok(r3.ok);
    if (!r3.ok) return;
    assert.equal(r3.value.status, 'rolled-back', r3.value.detail ?? '');
    const boom = r3.value.steps.find((s) => s.id === 'boom' && s.phase === 'run')!;
    assert.equal(boom.state, 'failed');
    assert.match(
      boom.error?.message ?? '',
      /`echo partial; echo broken >&2; exit 3` on .+@127\.0\.0\.2:\d+ exited with 3 \(declared success: 0\)\nstdout: partial\nstderr: broken/,
    );
    const undo = r3.value.steps.find((s) => s.id === 'dns' && s.phase === 'rollback')!;
    assert.equal(undo.state, 'verified', undo.evidence ?? '');
    await bothServe('5 127.0.0.3');
    assert.equal(verifyAuditLog(auditFile).ok, true);

    await planActVerify(
      'dns.set-records',
      { record: 'app.lab.test', site: 'primary', ttlSeconds: 30 },
      { label: 'dns.set-records (back)' },
    );
    await bothServe('30 127.0.0.2');
  },
);

test(
  'a DNS provider stopped after the plan: readiness pauses the run before any write; forced past it, the step retries and pauses (resumable) naming which provider serves which answer; resumed, each provider saw one change',
  { skip },
  async () => {
    const rb = runbook(`version: 1
name: dns-failover-plain
kind: failover
steps:
  - { id: dns, kind: dns.set-records, params: { record: app.lab.test, site: failover, ttlSeconds: 5, apiAttempts: 3 } }
`);
    const s0 = await serials();
    const plan = await engine.planRun(rb, 'lab');
    assert.ok(plan.ok && plan.value.blocking.length === 0, JSON.stringify(plan));
    if (!plan.ok) return;
    await lab!.stopProcess('pdns');
    let runId: string | undefined;
    try {
      const t0 = performance.now();
      const r = await engine.executeRun(plan.value, { confirmedEnvName: 'lab' });
      time('dns.set-records (PowerDNS down)', 'until paused', performance.now() - t0);
      assert.ok(r.ok, r.ok ? '' : r.error.message);
      if (!r.ok) return;
      runId = r.value.runId;
      // Readiness is judged again right before the first DNS write: nothing is written while a
      // provider the step writes cannot be read, so DNS is never split between providers.
      assert.equal(r.value.status, 'paused', r.value.detail ?? '');
      assert.equal(r.value.pauseReason, 'safety', r.value.detail ?? '');
      assert.match(r.value.detail ?? '', /dns-provider-ready/);
      assert.match(r.value.detail ?? '', /powerdns/);
      assert.deepEqual(await dig(ns.bind), ['30 127.0.0.2'], 'BIND untouched by the readiness pause');
      // Forced past readiness (a typed reason, audited), the step meets the stopped provider itself.
      const reason = 'integration test: exercise the step retry path';
      const forced = await engine.resumeRun(runId, {
        overrides: [
          { rule: 'dns-provider-ready', reason },
          { rule: 'nameservers-answer', reason },
        ],
      });
      assert.ok(forced.ok, forced.ok ? '' : forced.error.message);
      if (!forced.ok) return;
      assert.equal(forced.value.status, 'paused', forced.value.detail ?? '');
      assert.equal(forced.value.pauseReason, 'step-failed');
      assert.match(
        forced.value.detail ?? '',
        new RegExp(
          `could not set app\\.lab\\.test A at powerdns \\(.+\\) after 3 tries\\. Now: powerdns API unreadable \\(.+\\), ${ns.powerdns.replace(/\./g, '\\.')} does not answer \\(.+\\); bind API 127\\.0\\.0\\.3 TTL 5, ${ns.bind.replace(/\./g, '\\.')} serves 127\\.0\\.0\\.3 TTL 5 \\(retryable`,
        ),
      );
      assert.deepEqual(await dig(ns.bind), ['5 127.0.0.3'], 'BIND already changed');
    } finally {
      await lab!.startProcess('pdns');
    }
    assert.ok(runId, 'the run started');
    const resumed = await engine.resumeRun(runId);
    assert.ok(resumed.ok && resumed.value.status === 'succeeded', JSON.stringify(resumed));
    await bothServe('5 127.0.0.3');
    const s1 = await serials();
    assert.deepEqual(
      [s1.powerdns - s0.powerdns, s1.bind - s0.bind],
      [1, 1],
      'each provider saw exactly one change across the pause and the resume',
    );
    await planActVerify(
      'dns.set-records',
      { record: 'app.lab.test', site: 'primary', ttlSeconds: 30 },
      { label: 'dns.set-records (back 2)' },
    );
    await bothServe('30 127.0.0.2');
  },
);

test(
  'traffic.switch-slot: nginx (primary) and HAProxy (failover) blue → green, verified through the entry; back to blue (rollback / step)',
  { skip },
  async () => {
    for (const site of ['primary', 'failover']) {
      const to = await planActVerify(
        'traffic.switch-slot',
        { site, slot: 'green' },
        { label: `traffic.switch-slot ${site}` },
      );
      assert.deepEqual(to.plan.changes, [{ target: `${site} live slot`, before: 'blue', after: 'green' }]);
      assert.deepEqual(to.plan.effects, [{ type: 'slot-switch', site, fromSlot: 'blue', toSlot: 'green' }]);
      assert.match(to.evidence, /3 consecutive answers of .* name slot green/);
      const k = kind('traffic.switch-slot');
      const p = k.params.parse({ site, slot: 'green' });
      assert.equal((await k.isDone(context(), p)).done, true);
      if (site === 'primary') {
        const t0 = performance.now();
        const back = await k.rollback!(context(), p, to.plan);
        time(`traffic.switch-slot ${site}`, 'rollback', performance.now() - t0);
        assert.equal(back.ok, true, back.evidence);
      } else {
        await planActVerify(
          'traffic.switch-slot',
          { site, slot: 'blue' },
          { label: `traffic.switch-slot ${site} back` },
        );
      }
      const blue = k.params.parse({ site, slot: 'blue' });
      const v = await k.verify(context(), blue);
      assert.equal(v.ok, true, v.evidence);
    }
  },
);

test(
  'http.await-healthy: a slot and a site entry pass their gate; a dead URL times out with the last answers',
  { skip },
  async () => {
    await planActVerify(
      'http.await-healthy',
      { site: 'failover', slot: 'blue', consecutive: 3 },
      { label: 'http.await-healthy slot' },
    );
    await planActVerify(
      'http.await-healthy',
      { site: 'primary', consecutive: 3, expectSlot: 'blue' },
      { label: 'http.await-healthy entry' },
    );
    const k = kind('http.await-healthy');
    const dead = `http://127.0.0.2:${PORT_BASE + 9}/health`;
    const e = await k
      .act(context(), k.params.parse({ url: dead, timeoutMs: 600, intervalMs: 100 }), () => {})
      .catch((x: unknown) => x);
    assert.ok(e instanceof StepError && e.kind === 'timeout' && e.retryable, String(e));
    assert.match(e.message, /ECONNREFUSED 127\.0\.0\.2:22309/);
  },
);

test(
  'ssh.run: a declared exit code passes; any other carries host, command, exit code, stdout, stderr; a check command makes it idempotent',
  { skip },
  async () => {
    const ok = await planActVerify('ssh.run', {
      site: 'primary',
      command: 'echo hello; exit 3',
      successExitCodes: [0, 3],
    });
    assert.match(ok.evidence, /^exited 3 \(declared success\) in \d+ ms; last line of stdout: hello/);
    const k = kind('ssh.run');
    const e = await k
      .act(context(), k.params.parse({ site: 'failover', command: 'echo out; echo err >&2; exit 4' }), () => {})
      .catch((x: unknown) => x);
    assert.ok(e instanceof SshStepError, String(e));
    const site = env.sites.find((s) => s.name === 'failover')!;
    assert.deepEqual(
      [e.host, e.command, e.exitCode, e.stdout, e.stderr],
      [`${site.ssh.user}@127.0.0.3:${site.ssh.port}`, 'echo out; echo err >&2; exit 4', 4, 'out\n', 'err\n'],
    );

    const idem = k.params.parse({ site: 'primary', command: `touch ${checkFile}`, check: `test -f ${checkFile}` });
    assert.equal((await k.isDone(context(), idem)).done, false);
    await planActVerify('ssh.run', idem, { label: 'ssh.run with check' });
    const d = await k.isDone(context(), idem);
    assert.equal(d.done, true, d.evidence);
  },
);

test(
  'db: await-lag → fence (hard) → promote → rejoin (pg_rewind), each idempotent; then back to the original topology',
  { skip },
  async () => {
    await lab!.psql('primary', "insert into items(name) values ('before-step-failover')");
    const lag = await planActVerify('db.await-lag', { maxBytes: 0, timeoutMs: 15_000 });
    assert.deepEqual(lag.plan.effects, [
      { type: 'db-await-lag', node: 'pg-replica', maxLagSeconds: null, maxLagBytes: 0 },
    ]);

    const fence = await planActVerify('db.fence', { node: 'pg-primary', mode: 'hard' });
    assert.deepEqual(fence.plan.effects, [{ type: 'db-fence', node: 'pg-primary' }]);
    assert.deepEqual(fence.plan.changes, [{ target: 'pg-primary writes', before: 'writable', after: 'down' }]);
    assert.match(fence.evidence, /^pg-primary: down: connection to .* refused; pg_ctl status: .*no server running/);
    assert.ok(
      fence.plan.commands.some((c) => /pg_ctl .* -m fast -w -t 60 stop/.test(c)),
      fence.plan.commands.join('\n'),
    );

    const promote = await planActVerify('db.promote', { node: 'pg-replica', waitSeconds: 30 });
    assert.deepEqual(promote.plan.effects, [{ type: 'db-promote', node: 'pg-replica' }]);
    assert.match(promote.evidence, /pg_is_in_recovery\(\) = false; a write committed/);
    assert.equal(
      await lab!.psql('replica', "select count(*) from items where name = 'before-step-failover'"),
      '1',
      'no write lost',
    );
    for (const [name, params] of [
      ['db.fence', { node: 'pg-primary', mode: 'hard' }],
      ['db.promote', { node: 'pg-replica' }],
    ] as const) {
      const k = kind(name);
      const d = await k.isDone(context(), k.params.parse(params));
      assert.equal(d.done, true, `${name}: ${d.evidence}`);
    }

    const rejoin = await planActVerify('db.rejoin', { node: 'pg-primary', source: 'pg-replica' });
    assert.ok(
      rejoin.plan.commands.some((c) => c.includes('pg_rewind --target-pgdata=')),
      rejoin.plan.commands.join('\n'),
    );
    assert.ok(
      rejoin.progress.some((x) => /^rewind: pg_rewind/.test(x.message)),
      JSON.stringify(rejoin.progress),
    );
    for (const l of rejoin.logs)
      if (/kept at (\/tmp\/standby-replaced\.\S+):/.test(l)) kept.push(/kept at (\S+):/.exec(l)![1]!);
    const rk = kind('db.rejoin');
    assert.equal(
      (await rk.isDone(context(), rk.params.parse({ node: 'pg-primary', source: 'pg-replica' }))).done,
      true,
    );

    // back: the original topology (primary on 127.0.0.2, replica streaming through replica1)
    await planActVerify(
      'db.await-lag',
      { node: 'pg-primary', primary: 'pg-replica', maxBytes: 0, timeoutMs: 15_000 },
      { label: 'db.await-lag back' },
    );
    await planActVerify('db.fence', { node: 'pg-replica', mode: 'hard' }, { label: 'db.fence back' });
    await planActVerify('db.promote', { node: 'pg-primary', waitSeconds: 30 }, { label: 'db.promote back' });
    const back = await planActVerify(
      'db.rejoin',
      { node: 'pg-replica', source: 'pg-primary' },
      { label: 'db.rejoin back' },
    );
    for (const l of back.logs)
      if (/kept at (\/tmp\/standby-replaced\.\S+):/.test(l)) kept.push(/kept at (\S+):/.exec(l)![1]!);
    assert.equal(await lab!.psql('primary', 'select pg_is_in_recovery()'), 'f');
    assert.equal(await lab!.psql('replica', 'select pg_is_in_recovery()'), 't');
    assert.equal(
      await lab!.psql('primary', "select active from pg_replication_slots where slot_name = 'replica1'"),
      't',
    );
    await lab!.psql('primary', "insert into items(name) values ('after-step-failback')");
    const caught = kind('db.await-lag');
    await caught.act(context(), caught.params.parse({ maxBytes: 0, timeoutMs: 15_000 }), () => {});
    assert.equal(
      await lab!.psql(
        'replica',
        "select count(*) from items where name in ('before-step-failover', 'after-step-failback')",
      ),
      '2',
    );
  },
);
