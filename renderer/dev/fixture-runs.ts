/**
 * DEV ONLY — runbooks, plans and a scripted run engine for the fake host, to look at the
 * Runbooks view without the lab. Mirrors the engine's contract (events, outcomes, journal,
 * lock) closely enough to exercise every state of the UI; it changes nothing anywhere.
 *
 * Runbooks (like test/lab/runbooks plus two for the UI's sake):
 * - failover: fence-before-promote is `unknown` (pg-primary unreachable) → overridable refusal;
 * - switchover: TTL countdown (20 s) and a lag wait; `--fail-dns` makes bind's API fail mid-run
 *   (retries, then a retryable failure → paused, resumable);
 * - blue-green: the post-switch check fails → automatic rollback (onFailure: rollback);
 * - failback: refused by a non-overridable rule (the primary site is unhealthy);
 * - maintenance-drain: pauses for an approval;
 * - broken: invalid file (shown with its file:line error).
 */
import { randomUUID } from 'node:crypto';
import type { OpError } from '../../shared/result.ts';
import type { RunEvent, RunOutcome, RunStatus, StepState } from '../../shared/runs/run-event.ts';
import type { PlannedStep, RuleSummary, RunPlan } from '../../shared/runs/run-plan.ts';
import type { LockInfo, RunbookSummary, RunDetail, RunStepDetail, RunSummary } from '../../shared/runs/run-summary.ts';
import type { Runbook } from '../../shared/runs/runbook-schema.ts';
import type { SafetyOverride, SafetyRuleName, SafetyVerdict } from '../../shared/runs/safety-verdict.ts';
import type { StepPlan } from '../../shared/runs/step-plan.ts';
import type { StepProgress } from '../../shared/runs/step-progress.ts';
import { applyOverrides } from '../src/lib/run-safety.ts';

const dir = '/home/oncall/standby/lab/runbooks';
const actor = 'oncall@ops-laptop';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Result<T> = { ok: true; value: T } | { ok: false; error: OpError };
const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = (kind: OpError['kind'], message: string, hint?: string): Result<never> => ({ ok: false, error: { kind, message, ...(hint ? { hint } : {}) } });

export const fakeRunbooks: RunbookSummary[] = [
  { name: 'blue-green', kind: 'blue-green', description: "Switch the primary site's live slot to green, gated on green's health; if the post-switch checks fail, switch back automatically.", path: `${dir}/blue-green.yaml`, stepCount: 3, error: null },
  { name: 'failback', kind: 'failback', description: 'Rejoin the old primary as a replica of the new one, then switch back to the original topology.', path: `${dir}/failback.yaml`, stepCount: 5, error: null },
  { name: 'failover', kind: 'failover', description: 'Unplanned failover: the primary site is down. Fence the old primary where it can be reached, promote the replica on the failover site, point app.lab.test at the failover site at every DNS provider.', path: `${dir}/failover.yaml`, stepCount: 4, error: null },
  { name: 'maintenance-drain', kind: 'custom', description: 'Drain the primary site for maintenance after a human approval.', path: `${dir}/maintenance-drain.yaml`, stepCount: 3, error: null },
  { name: 'switchover', kind: 'switchover', description: 'Planned switchover to the failover site with no data loss: lower the TTL and wait it out, stop writes on the primary, wait until the replica has replayed everything, fence, promote, flip DNS.', path: `${dir}/switchover.yaml`, stepCount: 7, error: null },
  { name: 'broken', kind: null, description: '', path: `${dir}/broken.yaml`, stepCount: 0, error: `${dir}/broken.yaml:14:7 steps[2].params.node: no database node "pg-primry" in environment lab. Fix: use one of pg-primary, pg-replica` },
];

const pgPrimary = 'postgres@127.0.0.2:2222';
const emptyPlan = (extra: Partial<StepPlan> = {}): StepPlan => ({ changes: [], commands: [], alreadyDone: false, notes: [], effects: [], ...extra });

interface StepDef {
  id: string;
  kind: string;
  title: string;
  description: string;
  plan: StepPlan;
  verdicts?: SafetyVerdict[];
  requiresApproval?: boolean;
  retry?: { attempts: number; backoffMs: number };
  rollback?: { kind: string; description: string } | null;
  timeoutMs?: number;
}

const v = (rule: SafetyRuleName, stepId: string, verdict: SafetyVerdict['verdict'], evidence: string, overridable = false): SafetyVerdict => ({ rule, stepId, verdict, evidence, overridable });

function dnsSet(to: '127.0.0.3' | '127.0.0.2', site: string, ttl: number, before = '127.0.0.2 TTL 30'): StepPlan {
  return {
    changes: [
      { target: 'powerdns: app.lab.test A', before, after: `${to} TTL ${ttl}` },
      { target: 'bind: app.lab.test A', before, after: `${to} TTL ${ttl}` },
    ],
    commands: [
      `PATCH http://127.0.0.1:18081/api/v1/servers/localhost/zones/lab.test. {"rrsets":[{"name":"app.lab.test.","type":"A","ttl":${ttl},"changetype":"REPLACE","records":[{"content":"${to}","disabled":false}]}]}  # after a GET of the RRset (PowerDNS has no conditional write)`,
      `nsupdate (TSIG-signed); server 127.0.0.1 15354; zone lab.test; prereq yxrrset app.lab.test. A ${before.split(' ')[0]}; update delete app.lab.test. A; update add app.lab.test. ${ttl} A ${to}; send`,
      `dig @127.0.0.1 -p 15353 +norec app.lab.test A  # until it serves ${to} TTL ${ttl}`,
      `dig @127.0.0.1 -p 15354 +norec app.lab.test A  # until it serves ${to} TTL ${ttl}`,
    ],
    alreadyDone: false,
    notes: ['powerdns (powerdns) has no atomic compare-and-swap: the write is checked by a read just before it', `now: powerdns ${before}, bind ${before}`],
    effects: [{ type: 'dns-point', record: 'app.lab.test', toSite: site, values: [to] }],
  };
}

const gate = (id: string, site: string, slot?: string): StepDef => ({
  id,
  kind: 'http.await-healthy',
  title: slot ? `${slot[0]!.toUpperCase()}${slot.slice(1)} is healthy before it takes traffic` : `${site[0]!.toUpperCase()}${site.slice(1)} site is healthy`,
  description: `GET ${site}${slot ? `/${slot}` : ''} health until 2 healthy answers in a row`,
  plan: emptyPlan({ commands: [`GET http://${site === 'failover' ? '127.0.0.3' : '127.0.0.2'}:${slot === 'green' ? 15302 : 15300}/health until 2 healthy answers in a row (every 200 ms, ≤ 5000 ms)`], notes: [`now: ${site}${slot ? `/${slot}` : ''} healthy (last probe 4.1 ms)`] }),
});

const fence = (id: string, mode: 'hard' | 'soft', before = 'accepting writes'): StepDef => ({
  id,
  kind: 'db.fence',
  title: mode === 'hard' ? 'Fence the old primary (stop it)' : 'Make the primary read-only (soft fence)',
  description: `fence pg-primary (${mode})`,
  plan: {
    changes: [{ target: 'pg-primary writes', before, after: mode === 'hard' ? 'down' : 'read-only' }],
    commands:
      mode === 'hard'
        ? [
            `ssh ${pgPrimary}: pg_ctl status -D /var/lib/postgresql/16/main  # exit 3 (not running) → nothing to do`,
            `ssh ${pgPrimary}: pg_ctl stop -D /var/lib/postgresql/16/main -m fast -w -t 10  # only when running`,
            'SQL pg-primary: CREATE TEMP TABLE standby_fence_probe (x int)  # read-back: must be refused',
            `ssh ${pgPrimary}: pg_ctl status -D /var/lib/postgresql/16/main  # read-back: must say not running`,
          ]
        : [
            "SQL pg-primary: SELECT pg_is_in_recovery() OR current_setting('default_transaction_read_only')::bool  # in recovery or already read-only → nothing to do",
            'SQL pg-primary: ALTER SYSTEM SET default_transaction_read_only = on',
            'SQL pg-primary: SELECT pg_reload_conf()',
            'SQL pg-primary: CREATE TEMP TABLE standby_fence_probe (x int)  # read-back: must fail with SQLSTATE 25006',
          ],
    alreadyDone: false,
    notes: mode === 'soft' ? ['soft fence: a client can still SET default_transaction_read_only = off'] : [],
    effects: [{ type: 'db-fence', node: 'pg-primary' }],
  },
  rollback: mode === 'soft' ? { kind: 'db.fence', description: 'make pg-primary writable again (ALTER SYSTEM RESET default_transaction_read_only)' } : null,
  timeoutMs: 15_000,
});

const promote: StepDef = {
  id: 'promote-replica',
  kind: 'db.promote',
  title: 'Promote the replica',
  description: 'promote pg-replica',
  plan: {
    changes: [{ target: 'pg-replica role', before: 'replica', after: 'primary' }],
    commands: [
      'SQL pg-replica: SELECT pg_is_in_recovery() AS in_recovery  # false → already a primary, nothing to do',
      'SQL pg-replica: SELECT pg_promote(true, 30)',
      'SQL pg-replica: SELECT pg_is_in_recovery() AS in_recovery  # read-back: must be false',
      'SQL pg-replica: CREATE TABLE IF NOT EXISTS standby_promote_check (node text PRIMARY KEY, at timestamptz NOT NULL)',
      'SQL pg-replica: INSERT INTO standby_promote_check VALUES ($1, now()) ON CONFLICT (node) DO UPDATE SET at = now() -- $1 = "pg-replica"  # read-back: must commit',
    ],
    alreadyDone: false,
    notes: [],
    effects: [{ type: 'db-promote', node: 'pg-replica' }],
  },
  rollback: null,
  timeoutMs: 35_000,
};

function runbookOf(name: string, kind: Runbook['kind'], steps: StepDef[], onFailure: 'pause' | 'rollback' = 'pause'): Runbook {
  const s = fakeRunbooks.find((r) => r.name === name)!;
  return { version: 1, name, description: s.description, kind, onFailure, steps: steps.map((d) => ({ id: d.id, kind: d.kind, title: d.title, params: {}, continueOnError: false })) };
}

function rulesOf(steps: StepDef[], verdicts: SafetyVerdict[]): RuleSummary[] {
  const all: SafetyRuleName[] = ['record-points-at-healthy-site', 'last-healthy-slot', 'fence-before-promote', 'lag-within-rpo', 'target-healthy-before-traffic'];
  const rank = { refuse: 0, unknown: 1, pass: 2 } as const;
  void steps;
  return all.map((rule) => {
    const mine = verdicts.filter((x) => x.rule === rule).sort((a, b) => rank[a.verdict] - rank[b.verdict]);
    return { rule, verdict: mine[0]?.verdict ?? 'not-applicable', evidence: mine.map((x) => x.evidence) };
  });
}

interface FakeDef {
  runbook: Runbook;
  steps: StepDef[];
  verdicts: SafetyVerdict[];
}

function defs(): Record<string, FakeDef> {
  const failover = [gate('gate-failover-site', 'failover'), fence('fence-old-primary', 'hard', 'unknown'), promote, { id: 'point-dns-at-failover', kind: 'dns.set-records', title: 'Point app.lab.test at the failover site (every provider)', description: 'set app.lab.test A → failover at every provider', plan: dnsSet('127.0.0.3', 'failover', 5), retry: { attempts: 3, backoffMs: 500 }, rollback: { kind: 'dns.set-records', description: 'restore the previous answers at every provider' } }];
  failover[1]!.plan.notes.push('cannot ask pg-primary now (connect ECONNREFUSED 127.0.0.2:5432): the fence cannot be verified until it can');
  const switchover: StepDef[] = [
    {
      id: 'lower-ttl',
      kind: 'dns.set-ttl',
      title: 'Lower the TTL of app.lab.test to 5 s and wait out the old TTL',
      description: 'set TTL of app.lab.test to 5 s at every provider, then wait 30 s',
      plan: {
        changes: [
          { target: 'powerdns: app.lab.test A', before: '127.0.0.2 TTL 30', after: '127.0.0.2 TTL 5' },
          { target: 'bind: app.lab.test A', before: '127.0.0.2 TTL 30', after: '127.0.0.2 TTL 5' },
        ],
        commands: dnsSet('127.0.0.2', 'primary', 5).commands,
        alreadyDone: false,
        notes: ['then waits out the old TTL (30 s) with a countdown'],
        effects: [],
      },
      rollback: { kind: 'dns.set-ttl', description: 'restore TTL 30 s' },
    },
    gate('gate-failover-site', 'failover'),
    fence('stop-writes', 'soft'),
    {
      id: 'catch-up',
      kind: 'db.await-lag',
      title: 'Wait until the replica has replayed every committed write',
      description: 'wait until pg-replica lag ≤ 0 bytes',
      plan: emptyPlan({ commands: ['observe pg-primary (pg_current_wal_lsn()) and pg-replica (pg_last_wal_replay_lsn(), pg_last_xact_replay_timestamp()) every 200 ms until lag is ≤ 0 bytes, for at most 30000 ms'], notes: ['now: lag 6.1 KiB (0.11 s)'], effects: [{ type: 'db-await-lag', node: 'pg-replica', maxLagSeconds: null, maxLagBytes: 0 }] }),
    },
    fence('fence-old-primary', 'hard', 'read-only'),
    promote,
    { id: 'point-dns-at-failover', kind: 'dns.set-records', title: 'Point app.lab.test at the failover site (every provider)', description: 'set app.lab.test A → failover at every provider', plan: dnsSet('127.0.0.3', 'failover', 5, '127.0.0.2 TTL 5'), retry: { attempts: 3, backoffMs: 500 }, rollback: { kind: 'dns.set-records', description: 'restore the previous answers at every provider' } },
  ];
  const blueGreen: StepDef[] = [
    gate('gate-green', 'primary', 'green'),
    {
      id: 'switch-to-green',
      kind: 'traffic.switch-slot',
      title: 'Route the primary site to green',
      description: 'nginx on primary: live slot blue → green',
      plan: emptyPlan({
        changes: [{ target: 'primary live slot', before: 'blue', after: 'green' }],
        commands: [
          'ssh deploy@127.0.0.2:2222: ln -sfn /etc/nginx/standby/upstream-green.conf /etc/nginx/standby/live.conf',
          'ssh deploy@127.0.0.2:2222: nginx -t  # must exit 0, else the link is restored',
          'ssh deploy@127.0.0.2:2222: nginx -s reload',
          'GET http://127.0.0.2:15300/health (new connection each) × 5  # read-back: must name slot green',
        ],
        effects: [{ type: 'slot-switch', site: 'primary', fromSlot: 'blue', toSlot: 'green' }],
      }),
      rollback: { kind: 'traffic.switch-slot', description: 'route back to blue' },
    },
    { ...gate('post-switch-check', 'primary'), title: 'The site answers from green, healthy', description: 'GET primary health until 5 healthy answers naming slot green' },
  ];
  const failback: StepDef[] = [
    { id: 'rejoin-old-primary', kind: 'db.rejoin', title: 'Rejoin pg-primary as a replica of pg-replica', description: 'pg_rewind pg-primary from pg-replica', plan: emptyPlan({ changes: [{ target: 'pg-primary role', before: 'unknown', after: 'replica streaming from pg-replica' }], commands: [`ssh ${pgPrimary}: pg_rewind --target-pgdata=/var/lib/postgresql/16/main --source-server='host=127.0.0.3 port=5432 user=standby dbname=app'`, `ssh ${pgPrimary}: pg_ctl start -D /var/lib/postgresql/16/main -w`] }) },
    gate('gate-primary-site', 'primary'),
    fence('fence-failover', 'hard'),
    { ...promote, id: 'promote-primary', title: 'Promote pg-primary' },
    { id: 'point-dns-at-primary', kind: 'dns.set-records', title: 'Point app.lab.test back at the primary site', description: 'set app.lab.test A → primary at every provider', plan: dnsSet('127.0.0.2', 'primary', 30, '127.0.0.3 TTL 5') },
  ];
  const drain: StepDef[] = [
    gate('gate-failover-site', 'failover'),
    { id: 'approve-drain', kind: 'approval', title: 'On-call lead approves the drain', description: 'approval', plan: emptyPlan({ notes: ['the run pauses here until a person approves: maintenance window CHG-4211 open?'] }), requiresApproval: true },
    { id: 'drain-wait', kind: 'wait', title: 'Let in-flight requests finish', description: 'wait 15 s', plan: emptyPlan({ notes: ['waits 15 s with a countdown'] }) },
  ];
  return {
    failover: {
      runbook: runbookOf('failover', 'failover', failover),
      steps: failover,
      verdicts: [
        v('target-healthy-before-traffic', 'point-dns-at-failover', 'pass', 'failover is healthy (entry and 2 slots, last probe 0.3 s ago)'),
        v('record-points-at-healthy-site', 'point-dns-at-failover', 'pass', 'app.lab.test → failover (127.0.0.3), which is healthy'),
        v('fence-before-promote', 'promote-replica', 'unknown', 'pg-primary cannot be reached (connect ECONNREFUSED 127.0.0.2:5432) — fence-old-primary cannot verify it refuses writes', true),
        v('lag-within-rpo', 'promote-replica', 'pass', 'pg-replica lag 0.11 s ≤ RPO 5 s (6.1 KiB)'),
      ],
    },
    switchover: {
      runbook: runbookOf('switchover', 'switchover', switchover),
      steps: switchover,
      verdicts: [
        v('target-healthy-before-traffic', 'point-dns-at-failover', 'pass', 'failover is healthy (entry and 2 slots)'),
        v('record-points-at-healthy-site', 'point-dns-at-failover', 'pass', 'app.lab.test → failover (127.0.0.3), which is healthy'),
        v('fence-before-promote', 'promote-replica', 'pass', 'fence-old-primary (hard) runs before promote-replica'),
        v('lag-within-rpo', 'promote-replica', 'pass', 'catch-up waits for lag 0 before promote-replica; lag now 0.11 s ≤ RPO 5 s'),
      ],
    },
    'blue-green': {
      runbook: runbookOf('blue-green', 'blue-green', blueGreen, 'rollback'),
      steps: blueGreen,
      verdicts: [
        v('last-healthy-slot', 'switch-to-green', 'pass', 'blue stays up after the switch (drained, not stopped)'),
        v('target-healthy-before-traffic', 'switch-to-green', 'pass', 'primary/green healthy (412 answers in a row)'),
      ],
    },
    failback: {
      runbook: runbookOf('failback', 'failback', failback),
      steps: failback,
      verdicts: [
        v('target-healthy-before-traffic', 'point-dns-at-primary', 'refuse', 'primary is unhealthy: live slot blue — ECONNREFUSED 127.0.0.2:15301 (6 failed probes)'),
        v('record-points-at-healthy-site', 'point-dns-at-primary', 'refuse', 'app.lab.test would point at primary (127.0.0.2), which is unhealthy'),
        v('fence-before-promote', 'promote-primary', 'pass', 'fence-failover (hard) runs before promote-primary'),
        v('lag-within-rpo', 'promote-primary', 'unknown', 'pg-primary is not a replica yet: lag cannot be read before rejoin-old-primary', true),
      ],
    },
    'maintenance-drain': { runbook: runbookOf('maintenance-drain', 'custom', drain), steps: drain, verdicts: [] },
  };
}

interface RunRec {
  summary: RunSummary;
  plan: RunPlan;
  steps: RunStepDetail[];
  rollbacksOffered: string[];
  abortRequested: boolean;
  approved: Set<string>;
  overrides: SafetyOverride[];
}

export interface FakeEngineOptions {
  emit(e: RunEvent): void;
  failDns: boolean;
  seed: 'history' | 'interrupted' | 'none';
  rtoSeconds: number;
}

/** A scripted run engine with the contract's run methods. */
export class FakeRunEngine {
  readonly #o: FakeEngineOptions;
  readonly #plans = new Map<string, RunPlan>();
  readonly #runs = new Map<string, RunRec>();
  #lock: LockInfo = { env: 'lab', held: false, runId: null, holder: null, since: null, stale: false, staleReason: null };

  constructor(o: FakeEngineOptions) {
    this.#o = o;
    if (o.seed !== 'none') this.#seed();
  }

  listRunbooks(): RunbookSummary[] {
    return fakeRunbooks;
  }

  planRun(env: string, name: string): Result<RunPlan> {
    const d = defs()[name];
    if (!d) return fail('not-found', `no runbook named "${name}"`);
    const now = Date.now();
    const steps: PlannedStep[] = d.steps.map((s, index) => ({
      index,
      id: s.id,
      kind: s.kind,
      title: s.title,
      description: s.description,
      params: {},
      plan: s.plan,
      planError: null,
      verdicts: d.verdicts.filter((x) => x.stepId === s.id),
      timeoutMs: s.timeoutMs ?? 120_000,
      retry: s.retry ?? { attempts: 1, backoffMs: 0 },
      continueOnError: false,
      requiresApproval: s.requiresApproval ?? false,
      rollback: s.rollback ?? null,
    }));
    const plan: RunPlan = { planId: randomUUID(), env, runbook: d.runbook, createdAt: now, snapshotAt: now - 420, steps, verdicts: d.verdicts, rules: rulesOf(d.steps, d.verdicts), blocking: d.verdicts.filter((x) => x.verdict !== 'pass') };
    this.#plans.set(plan.planId, plan);
    return ok(plan);
  }

  getLock(): LockInfo {
    return this.#lock;
  }

  breakLock(reason: string): Result<LockInfo> {
    if (!this.#lock.held || !this.#lock.stale) return fail('conflict', 'the lock is not stale', 'only a stale or paused lock can be broken');
    console.log(`audit: lock of lab broken: ${reason}`);
    this.#lock = { env: 'lab', held: false, runId: null, holder: null, since: null, stale: false, staleReason: null };
    return ok(this.#lock);
  }

  listRuns(): RunSummary[] {
    return [...this.#runs.values()].map((r) => ({ ...r.summary })).sort((a, b) => b.createdAt - a.createdAt);
  }

  getRun(runId: string): Result<RunDetail> {
    const r = this.#runs.get(runId);
    if (!r) return fail('not-found', `no run ${runId}`);
    return ok({ ...r.summary, plan: r.plan, steps: structuredClone(r.steps), rollbacksOffered: r.rollbacksOffered });
  }

  /** Like the core, the run calls answer `{ runId }` once the run is under way. */
  async executeRun(planId: string, confirmation: string, overrides: SafetyOverride[]): Promise<Result<{ runId: string }>> {
    const plan = this.#plans.get(planId);
    if (!plan) return fail('not-found', 'this plan is unknown, expired or already executed', 'plan the runbook again');
    if (confirmation !== plan.env) return fail('invalid-input', `the confirmation "${confirmation}" does not match the environment name "${plan.env}"`, 'type the environment name exactly to confirm the run');
    const { unresolved } = applyOverrides(plan.blocking, overrides);
    if (unresolved.length > 0) return fail('unsafe-plan', `the plan is refused:\n${unresolved.map((x) => `step ${x.stepId}: ${x.rule} ${x.verdict} — ${x.evidence}`).join('\n')}`, 'fix the cause and plan again');
    if (this.#lock.held) return fail('conflict', `environment "lab" is locked by run ${this.#lock.runId}${this.#lock.stale ? ' — the lock looks stale' : ''}`, 'resume that run, or break the lock deliberately with a reason (audited)');
    this.#plans.delete(planId);
    const runId = randomUUID();
    const now = Date.now();
    const rec: RunRec = {
      summary: { runId, env: plan.env, runbook: plan.runbook.name, kind: plan.runbook.kind, status: 'running', pauseReason: null, detail: null, actor, createdAt: now, finishedAt: null, durationMs: null, recoveryMs: null, recoveryFrom: null, recoveryStartedAt: null, rtoObjectiveSeconds: this.#o.rtoSeconds },
      plan,
      steps: plan.steps.map((s) => ({ phase: 'run', index: s.index, id: s.id, kind: s.kind, title: s.title, state: 'pending', startedAt: null, finishedAt: null, durationMs: null, attempts: 0, evidence: null, error: null, logs: [] })),
      rollbacksOffered: [],
      abortRequested: false,
      approved: new Set(),
      overrides,
    };
    this.#runs.set(runId, rec);
    this.#lock = { env: plan.env, held: true, runId, holder: `${process.pid}@ops-laptop`, since: now, stale: false, staleReason: null };
    void this.#drive(rec, false);
    return ok({ runId });
  }

  async resumeRun(runId: string): Promise<Result<{ runId: string }>> {
    const r = this.#runs.get(runId);
    if (!r) return fail('not-found', `no run ${runId}`);
    if (r.summary.status !== 'running' && r.summary.status !== 'paused') return fail('conflict', `run ${runId} is ${r.summary.status}; only a paused or interrupted run can resume`);
    this.#lock = { env: r.summary.env, held: true, runId, holder: `${process.pid}@ops-laptop`, since: Date.now(), stale: false, staleReason: null };
    void this.#drive(r, true);
    return ok({ runId });
  }

  async approveStep(runId: string, stepId: string): Promise<Result<{ runId: string }>> {
    const r = this.#runs.get(runId);
    const s = r?.steps.find((x) => x.phase === 'run' && x.id === stepId);
    if (!r || !s || s.state !== 'awaiting-approval') return fail('conflict', `run ${runId} is not waiting for an approval of step "${stepId}"`);
    r.approved.add(stepId);
    return this.resumeRun(runId);
  }

  abortRun(runId: string): Result<{ runId: string; abortRequested: true }> {
    const r = this.#runs.get(runId);
    if (!r) return fail('not-found', `no run ${runId}`);
    if (r.summary.status !== 'running' && r.summary.status !== 'paused') return fail('conflict', `run ${runId} is already ${r.summary.status}`);
    r.abortRequested = true;
    if (r.summary.status === 'paused') this.#finish(r, 'aborted', `aborted by ${actor}: aborted from the console`);
    return ok({ runId, abortRequested: true });
  }

  async rollbackRun(runId: string): Promise<Result<{ runId: string }>> {
    const r = this.#runs.get(runId);
    if (!r) return fail('not-found', `no run ${runId}`);
    void this.#rollback(r, '');
    return ok({ runId });
  }

  // ---- simulation ----

  #outcome(r: RunRec): RunOutcome {
    const live = ['running', 'paused', 'rolling-back'].includes(r.summary.status);
    return { runId: r.summary.runId, status: r.summary.status, pauseReason: r.summary.status === 'paused' ? r.summary.pauseReason : null, detail: r.summary.detail, steps: r.steps.map((s) => ({ id: s.id, phase: s.phase, state: s.state, durationMs: s.durationMs, evidence: s.evidence, error: s.error })), rollbacksOffered: r.rollbacksOffered, durationMs: live ? null : r.summary.durationMs };
  }

  #emit(e: RunEvent): void {
    this.#o.emit(e);
  }

  async #drive(r: RunRec, resumed: boolean): Promise<Result<RunOutcome>> {
    const runId = r.summary.runId;
    r.summary.status = 'running';
    r.summary.pauseReason = null;
    this.#emit({ type: 'run-started', runId, env: r.summary.env, runbook: r.summary.runbook, at: Date.now(), resumed, phase: 'run', steps: r.plan.steps.map((s) => ({ id: s.id, kind: s.kind, title: s.title })) });
    for (const ps of r.plan.steps) {
      const s = r.steps.find((x) => x.phase === 'run' && x.id === ps.id)!;
      if (s.state === 'verified' || s.state === 'skipped') continue;
      if (r.abortRequested) return ok(this.#finish(r, 'aborted', `aborted before step ${s.id}`));
      if (ps.requiresApproval) {
        if (!r.approved.has(s.id)) {
          s.state = 'awaiting-approval';
          return ok(this.#pause(r, 'approval', s.id, `waiting for an approval of step ${s.id}`, []));
        }
        const at = Date.now();
        Object.assign(s, { state: 'verified', startedAt: s.startedAt ?? at, finishedAt: at, durationMs: 0, evidence: `approved by ${actor} at ${new Date(at).toISOString()}` });
        this.#emit({ type: 'step-finished', runId, phase: 'run', stepId: s.id, at, state: 'verified', durationMs: 0, evidence: s.evidence, error: null, attempts: 0 });
        continue;
      }
      const end = await this.#step(r, 'run', s, ps);
      if (end === 'failed') {
        if (r.plan.runbook.onFailure === 'rollback') return this.#rollback(r, `step ${s.id} failed: ${s.error?.message}; `);
        return ok(this.#pause(r, 'step-failed', s.id, `step ${s.id} failed: ${s.error?.message} (retryable: resume when the cause is fixed, or abort and roll back)`, []));
      }
    }
    return ok(this.#finish(r, 'succeeded', null));
  }

  async #step(r: RunRec, phase: 'run' | 'rollback', s: RunStepDetail, ps: PlannedStep): Promise<StepState> {
    const runId = r.summary.runId;
    const start = Date.now();
    Object.assign(s, { state: 'acting', startedAt: start, finishedAt: null, durationMs: null, error: null, evidence: null });
    this.#emit({ type: 'step-started', runId, phase, stepId: s.id, index: s.index, at: start, verdicts: phase === 'run' ? ps.verdicts : [] });
    const log = (message: string, level: 'info' | 'warn' | 'error' = 'info') => {
      const at = Date.now();
      s.logs.push({ at, level, message });
      this.#emit({ type: 'step-log', runId, phase, stepId: s.id, at, level, message });
    };
    const progress = (p: StepProgress) => this.#emit({ type: 'step-progress', runId, phase, stepId: s.id, at: Date.now(), progress: p });
    const done = (state: StepState, evidence: string | null, error: OpError | null = null): StepState => {
      const at = Date.now();
      Object.assign(s, { state, finishedAt: at, durationMs: at - start, evidence, error });
      this.#emit({ type: 'step-finished', runId, phase, stepId: s.id, at, state, durationMs: at - start, evidence, error, attempts: s.attempts });
      return state;
    };
    const act = () => {
      s.attempts++;
      log(`acting (attempt ${s.attempts})`);
    };
    if (phase === 'rollback') {
      act();
      await sleep(900);
      log(`restored ${ps.id}: ${ps.plan?.changes.map((c) => `${c.target} → ${c.before}`).join('; ')}`);
      return done('verified', `${ps.plan?.changes.map((c) => `${c.target} is ${c.before}`).join(', ') || 'undone'}`);
    }
    switch (ps.kind) {
      case 'http.await-healthy': {
        if (s.id === 'post-switch-check') {
          for (let a = 1; a <= 3; a++) {
            act();
            await sleep(700);
            log(`GET http://127.0.0.2:15300/health → 502 Bad Gateway (answered by green: "upstream prematurely closed connection")`, 'warn');
            if (a < 3) log(`attempt failed (only 1 of 5 answers healthy); retrying in ${500 * a} ms`, 'warn');
          }
          return done('failed', null, { kind: 'unreachable', message: 'primary answered 502 on 4 of 5 requests after the switch to green (needed 5 healthy in a row)', hint: 'check green’s logs; the switch is rolled back automatically', where: 'post-switch-check' });
        }
        act();
        for (let i = 1; i <= 2; i++) {
          await sleep(280);
          log(`GET ${ps.plan?.commands[0]?.split(' ')[1]} → 200 in ${(3 + Math.random() * 2).toFixed(1)} ms (${i}/2)`);
        }
        return done('verified', '2 healthy answers in a row (last 4.2 ms)');
      }
      case 'db.fence': {
        if (ps.plan?.changes[0]?.before === 'unknown') {
          log('pg_ctl status over SSH: connect ECONNREFUSED 127.0.0.2:2222', 'warn');
          act();
          await sleep(1100);
          log('SQL pg-primary: connect ECONNREFUSED 127.0.0.2:5432 → refused (cannot accept writes)');
          return done('verified', 'pg-primary refuses connections (down); override: host powered off');
        }
        act();
        for (const c of ps.plan?.commands ?? []) {
          await sleep(250);
          log(`${c.replace(/ {2}#.*$/, '')} → ok (${Math.round(20 + Math.random() * 60)} ms)`);
        }
        return done('verified', ps.plan?.changes[0]?.after === 'down' ? 'pg_ctl status: no server running; a write is refused' : 'default_transaction_read_only = on; a write fails with SQLSTATE 25006');
      }
      case 'db.promote': {
        act();
        await sleep(400);
        log('SQL pg-replica: SELECT pg_promote(true, 30) → t (612 ms)');
        await sleep(500);
        log('SQL pg-replica: INSERT INTO standby_promote_check … → committed');
        return done('verified', 'pg-replica is out of recovery and a write committed (timeline 3)');
      }
      case 'db.await-lag': {
        act();
        let bytes = 6_240;
        for (let i = 0; i < 8 && bytes > 0; i++) {
          progress({ message: 'waiting for pg-replica to replay every committed write', value: bytes, unit: 'bytes', fraction: 1 - bytes / 6_240 });
          await sleep(600);
          bytes = Math.max(0, Math.round(bytes * 0.45 - 200));
        }
        progress({ message: 'pg-replica caught up', value: 0, unit: 'bytes', fraction: 1 });
        return done('verified', 'lag 0 B (replay LSN 0/5A3C118 = primary LSN)');
      }
      case 'dns.set-ttl': {
        act();
        await sleep(500);
        log('powerdns: PATCH app.lab.test A TTL 5 → 204 (38 ms)');
        log('bind: nsupdate app.lab.test A TTL 5 → NOERROR (12 ms)');
        const total = 20_000;
        for (let left = total; left > 0; left -= 2000) {
          progress({ message: 'waiting out the old TTL (30 s) so resolvers drop the cached answer', remainingMs: left, fraction: 1 - left / total });
          await sleep(2000);
        }
        return done('verified', 'both providers serve TTL 5; old TTL drained');
      }
      case 'dns.set-records': {
        act();
        await sleep(350);
        log('powerdns: GET RRset app.lab.test A → 127.0.0.2 TTL 5; PATCH → 204 (41 ms)');
        if (this.#o.failDns && r.summary.runbook === 'switchover') {
          for (let a = 1; a <= 3; a++) {
            await sleep(500 * a);
            log(`bind: nsupdate to 127.0.0.1:15354 timed out after 2000 ms`, 'error');
            if (a < 3) {
              s.attempts++;
              log(`attempt failed (bind: update timed out); retrying in ${500 * 2 ** (a - 1)} ms`, 'warn');
            }
          }
          return done('failed', null, { kind: 'unreachable', message: 'bind (rfc2136) did not answer the update at 127.0.0.1:15354 after 3 attempts; powerdns serves 127.0.0.3, bind still serves 127.0.0.2', hint: 'bring bind back, then Resume: powerdns is already done and will be skipped', where: 'point-dns-at-failover' });
        }
        log('bind: nsupdate prereq yxrrset … → NOERROR (14 ms)');
        for (let i = 0; i < 3; i++) {
          progress({ message: `waiting until every authoritative nameserver serves ${ps.plan?.changes[0]?.after}`, fraction: (i + 1) / 4 });
          await sleep(300);
        }
        log('dig @127.0.0.1 -p 15353 → 127.0.0.3 TTL 5; dig @127.0.0.1 -p 15354 → 127.0.0.3 TTL 5');
        return done('verified', 'both providers’ nameservers serve 127.0.0.3 TTL 5');
      }
      case 'traffic.switch-slot': {
        act();
        for (const c of ps.plan?.commands ?? []) {
          await sleep(300);
          log(`${c.replace(/ {2}#.*$/, '')} → ok`);
        }
        return done('verified', 'nginx serves slot green (5 of 5 answers name green)');
      }
      case 'wait': {
        act();
        const total = 15_000;
        for (let left = total; left > 0; left -= 1000) {
          progress({ message: 'letting in-flight requests finish', remainingMs: left, fraction: 1 - left / total });
          await sleep(1000);
        }
        return done('verified', 'waited 15 s');
      }
      default:
        act();
        await sleep(500);
        return done('verified', 'ok');
    }
  }

  async #rollback(r: RunRec, why: string): Promise<Result<RunOutcome>> {
    const runId = r.summary.runId;
    const ids = r.rollbacksOffered.length > 0 ? r.rollbacksOffered : this.#offered(r);
    r.summary.status = 'rolling-back';
    this.#emit({ type: 'run-started', runId, env: r.summary.env, runbook: r.summary.runbook, at: Date.now(), resumed: true, phase: 'rollback', steps: ids.map((id) => ({ id, kind: r.plan.steps.find((p) => p.id === id)!.rollback?.kind ?? '', title: `undo ${id}` })) });
    for (const [n, id] of ids.entries()) {
      let s = r.steps.find((x) => x.phase === 'rollback' && x.id === id);
      if (!s) {
        s = { phase: 'rollback', index: n, id, kind: r.plan.steps.find((p) => p.id === id)!.rollback?.kind ?? '', title: `undo ${id}`, state: 'pending', startedAt: null, finishedAt: null, durationMs: null, attempts: 0, evidence: null, error: null, logs: [] };
        r.steps.push(s);
      }
      if (s.state === 'verified') continue;
      await this.#step(r, 'rollback', s, r.plan.steps.find((p) => p.id === id)!);
    }
    r.rollbacksOffered = [];
    return ok(this.#finish(r, 'rolled-back', `${why}rolled back: ${ids.join(', ')}`));
  }

  #offered(r: RunRec): string[] {
    return r.steps
      .filter((s) => s.phase === 'run' && s.attempts > 0 && (s.state === 'verified' || s.state === 'failed') && r.plan.steps.find((p) => p.id === s.id)?.rollback)
      .map((s) => s.id)
      .reverse();
  }

  #pause(r: RunRec, reason: 'approval' | 'safety' | 'step-failed', stepId: string, detail: string, verdicts: SafetyVerdict[]): RunOutcome {
    Object.assign(r.summary, { status: 'paused', pauseReason: reason, detail });
    r.rollbacksOffered = this.#offered(r);
    this.#lock = { ...this.#lock, holder: `paused@ops-laptop` };
    this.#emit({ type: 'run-paused', runId: r.summary.runId, at: Date.now(), reason, stepId, detail, verdicts });
    return this.#outcome(r);
  }

  #finish(r: RunRec, status: RunStatus, detail: string | null): RunOutcome {
    const at = Date.now();
    Object.assign(r.summary, { status, detail, finishedAt: at, durationMs: at - r.summary.createdAt, pauseReason: null });
    r.rollbacksOffered = status === 'succeeded' || status === 'rolled-back' ? [] : this.#offered(r);
    this.#lock = { env: r.summary.env, held: false, runId: null, holder: null, since: null, stale: false, staleReason: null };
    this.#emit({ type: 'run-finished', runId: r.summary.runId, at, status, durationMs: at - r.summary.createdAt, detail, rollbacksOffered: r.rollbacksOffered });
    const moves = r.plan.steps.some((s) => s.plan?.effects.some((e) => e.type === 'dns-point' && e.toSite));
    if (status === 'succeeded' && moves) {
      // The core measures recovery in the background: it lands a little after the run ends.
      const dns = r.steps.find((s) => s.kind === 'dns.set-records');
      const recovery = (dns?.finishedAt ?? at) - r.summary.createdAt + 180;
      Object.assign(r.summary, { recoveryFrom: 'run-start', recoveryStartedAt: r.summary.createdAt });
      setTimeout(() => (r.summary.recoveryMs = recovery), 2_500);
    }
    return this.#outcome(r);
  }

  #seed(): void {
    const d = defs();
    const day = 86_400_000;
    const now = Date.now();
    // failingForMs > 0: a failure triggered the run, recovery counts from the first failed probe that long before it
    const past = (name: string, ago: number, status: RunStatus, durationMs: number, recoveryMs: number | null, who = actor, detail: string | null = null, failingForMs = 0) => {
      const planR = this.planRun('lab', name);
      if (!planR.ok) return;
      const plan = planR.value;
      this.#plans.delete(plan.planId);
      const createdAt = now - ago;
      const runId = randomUUID();
      let t = createdAt;
      const steps: RunStepDetail[] = plan.steps.map((s, i) => {
        const dur = Math.round(durationMs / plan.steps.length);
        const st: StepState = status === 'succeeded' ? 'verified' : i < plan.steps.length - 1 ? 'verified' : status === 'rolled-back' || status === 'failed' ? 'failed' : 'pending';
        const row: RunStepDetail = { phase: 'run', index: i, id: s.id, kind: s.kind, title: s.title, state: st, startedAt: t, finishedAt: t + dur, durationMs: dur, attempts: 1, evidence: st === 'verified' ? 'verified' : null, error: st === 'failed' ? { kind: 'unreachable', message: 'health gate failed' } : null, logs: [{ at: t + 1, level: 'info', message: 'acting (attempt 1)' }] };
        t += dur;
        return row;
      });
      this.#runs.set(runId, {
        summary: { runId, env: 'lab', runbook: name, kind: d[name]!.runbook.kind, status, pauseReason: null, detail, actor: who, createdAt, finishedAt: createdAt + durationMs, durationMs, recoveryMs,
          recoveryFrom: recoveryMs === null ? null : failingForMs > 0 ? 'first-failed-probe' : 'run-start', recoveryStartedAt: recoveryMs === null ? null : createdAt - failingForMs, rtoObjectiveSeconds: this.#o.rtoSeconds },
        plan,
        steps,
        rollbacksOffered: [],
        abortRequested: false,
        approved: new Set(),
        overrides: [],
      });
    };
    past('failover', 9 * day, 'succeeded', 4_310, 13_870, 'maria@ops-desk', null, 9_000);
    past('switchover', 6 * day, 'succeeded', 38_200, 38_900);
    past('failback', 6 * day - 3_600_000, 'succeeded', 12_400, 13_100);
    past('blue-green', 3 * day, 'rolled-back', 9_800, null, 'ci@deploy-runner', 'step post-switch-check failed: primary answered 502 on 4 of 5 requests; rolled back: switch-to-green');
    past('failover', 2 * day, 'succeeded', 71_300, 92_200, 'maria@ops-desk', null, 18_000);
    if (this.#o.seed === 'interrupted') {
      const planR = this.planRun('lab', 'switchover');
      if (!planR.ok) return;
      const plan = planR.value;
      this.#plans.delete(plan.planId);
      const runId = randomUUID();
      const createdAt = now - 7 * 60_000;
      const steps: RunStepDetail[] = plan.steps.map((s, i) => {
        const st: StepState = i < 3 ? 'verified' : i === 3 ? 'acting' : 'pending';
        return { phase: 'run', index: i, id: s.id, kind: s.kind, title: s.title, state: st, startedAt: i <= 3 ? createdAt + i * 9_000 : null, finishedAt: i < 3 ? createdAt + i * 9_000 + 8_000 : null, durationMs: i < 3 ? 8_000 : null, attempts: i <= 3 ? 1 : 0, evidence: i < 3 ? 'verified' : null, error: null, logs: i <= 3 ? [{ at: createdAt + i * 9_000 + 5, level: 'info', message: 'acting (attempt 1)' }] : [] };
      });
      this.#runs.set(runId, {
        summary: { runId, env: 'lab', runbook: 'switchover', kind: 'switchover', status: 'running', pauseReason: null, detail: null, actor: 'maria@ops-desk', createdAt, finishedAt: null, durationMs: null, recoveryMs: null, recoveryFrom: 'run-start', recoveryStartedAt: createdAt, rtoObjectiveSeconds: this.#o.rtoSeconds },
        plan,
        steps,
        rollbacksOffered: [],
        abortRequested: false,
        approved: new Set(),
        overrides: [],
      });
      this.#lock = { env: 'lab', held: true, runId, holder: '48211@ops-desk', since: createdAt, stale: true, staleReason: 'no heartbeat for 6 min 31 s (limit 60 s); process 48211 on ops-desk not answering' };
    }
  }
}
