/**
 * Runs in the core: loads the workspace's runbooks, owns the engine, journal, lock and audit
 * log, measures each run's recovery time, and serves the run half of the ConsoleApi
 * (runs-api.ts binds it to the contract).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { hostname, userInfo } from 'node:os';
import type { DatabaseSync } from 'node:sqlite';
import { fail, ok, type Result } from '../../../shared/result.ts';
import type { RunUnderWay } from '../../../shared/contract/runs.ts';
import type { RunEvent } from '../../../shared/runs/run-event.ts';
import type {
  LockInfo,
  MeasuredRecovery,
  RunbookSummary,
  RunDetail,
  RunSummary,
} from '../../../shared/runs/run-summary.ts';
import type { SafetyOverride } from '../../../shared/runs/safety-verdict.ts';
import type { EnvironmentSnapshot } from '../../../shared/status.ts';
import { formatIssues } from '../config/load-workspace.ts';
import type { Environment, Workspace } from '../config/workspace-schema.ts';
import type { EnvironmentServices } from '../environment/environment-services.ts';
import { AuditLog, auditLogPathFor } from './audit-log.ts';
import { defaultAuditKeyPath, loadOrCreateAuditKey } from './audit-key.ts';
import { createBuiltinStepRegistry } from './builtin-steps.ts';
import { EnvLock, type EnvLockInfo } from './env-lock.ts';
import { loadRunbook } from './load-runbook.ts';
import { RunEngine, type RunStarted } from './run-engine.ts';
import { RunJournal, type RunRecord } from './run-journal.ts';
import type { Runbook } from './runbook-schema.ts';
import { measureRecovery } from './measure-recovery.ts';
import { recoveryBasisOfMoves, type RecoveryBasis } from './recovery-basis.ts';

export interface RunServiceOptions {
  workspace: Workspace;
  /** Directory holding `*.yaml` runbooks. */
  runbooksDir: string;
  db: DatabaseSync;
  /**
   * The services of environment `env` (built and closed by the core, shared with the monitor);
   * undefined for an unknown environment.
   */
  services(env: string): EnvironmentServices | undefined;
  /** A fresh observation of `env` (the monitor's pollOnce). */
  snapshot(env: string): Promise<EnvironmentSnapshot | null>;
  /**
   * The monitor's latest observation of `env`, without probing (the monitor's latest()); null
   * when none. Read as a run starts to choose where its recovery time is counted from.
   */
  latestSnapshot(env: string): EnvironmentSnapshot | null;
  /**
   * Start of a probe's current failure streak as recorded in the sample store (possibly by
   * another console that watched longer), epoch ms, or null. Optional (default: none).
   */
  recordedFailingSince?(env: string, probeId: string): number | null;
  onEvent(e: RunEvent): void;
  /** A run's recovery time was measured and journalled. */
  onRecoveryMeasured?(runId: string, env: string, recovery: MeasuredRecovery): void;
  /**
   * The lock of an environment changed: at once when this process took, paused, released or
   * broke it; within {@link RunService.watchLocks}'s interval when another process did, or the
   * lock went stale.
   */
  onLockChanged?(lock: LockInfo): void;
}

/** What a lock change is judged by (not the stale reason's ever-growing heartbeat age). */
const lockKey = (l: LockInfo): string => JSON.stringify([l.held, l.runId, l.holder, l.since, l.stale]);

export class RunService {
  readonly engine: RunEngine;
  readonly audit: AuditLog;
  readonly journal: RunJournal;
  readonly locks: EnvLock;
  readonly #o: RunServiceOptions;
  readonly #registry = createBuiltinStepRegistry();
  readonly #actor = `${safeUser()}@${hostname()}`;
  readonly #measuring = new Map<string, { abort: AbortController; done: Promise<void> }>();
  /** Last lock state told to `onLockChanged`, by environment ({@link lockKey}). */
  readonly #lockSeen = new Map<string, string>();
  #lockWatch: NodeJS.Timeout | null = null;

  constructor(o: RunServiceOptions) {
    this.#o = o;
    this.journal = new RunJournal(o.db);
    // Entries are signed with a key kept outside the store (audit-key.ts), loaded on the first append.
    this.audit = new AuditLog(auditLogPathFor(o.workspace.store.path), {
      db: o.db,
      signer: () => loadOrCreateAuditKey(defaultAuditKeyPath()),
    });
    this.locks = new EnvLock(o.db, { audit: this.audit, onChange: (env) => this.#checkLock(env) });
    this.engine = new RunEngine({
      registry: this.#registry,
      journal: this.journal,
      locks: this.locks,
      audit: this.audit,
      actor: this.#actor,
      target: (name) => {
        const env = this.#env(name);
        const services = env && o.services(name);
        if (!env || !services) return undefined;
        return {
          env,
          services,
          snapshot: async () => {
            const s = await o.snapshot(name);
            if (!s) throw new Error(`environment ${name} cannot be observed`);
            return s;
          },
        };
      },
      onEvent: (e) => {
        this.#onEvent(e);
        o.onEvent(e);
      },
    });
  }

  /** Runbooks in the runbooks folder, each validated (an invalid one carries its error). */
  async listRunbooks(): Promise<RunbookSummary[]> {
    let files: string[];
    try {
      files = readdirSync(this.#o.runbooksDir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort();
    } catch {
      return [];
    }
    const out: RunbookSummary[] = [];
    for (const f of files) {
      const path = join(this.#o.runbooksDir, f);
      const r = await loadRunbook(path, this.#registry, { environments: this.#o.workspace.environments });
      if (r.ok)
        out.push({
          name: r.runbook.name,
          kind: r.runbook.kind,
          description: r.runbook.description ?? '',
          path,
          stepCount: r.runbook.steps.length,
          error: null,
        });
      else
        out.push({
          name: f.replace(/\.ya?ml$/, ''),
          kind: null,
          description: '',
          path,
          stepCount: 0,
          error: formatIssues(r.issues),
        });
    }
    return out;
  }

  async #runbook(name: string): Promise<Result<Runbook>> {
    const list = await this.listRunbooks();
    const found = list.find((r) => r.name === name);
    if (!found)
      return fail(
        'not-found',
        `no runbook named "${name}" in ${this.#o.runbooksDir}`,
        `use one of: ${list.map((r) => r.name).join(', ') || '(none)'}`,
      );
    if (found.error)
      return fail(
        'invalid-input',
        `runbook ${name} is invalid:\n${found.error}`,
        'fix the runbook file and plan again',
        found.path,
      );
    const r = await loadRunbook(found.path, this.#registry, { environments: this.#o.workspace.environments });
    return r.ok ? ok(r.runbook) : fail('invalid-input', formatIssues(r.issues), 'fix the runbook file', found.path);
  }

  async planRun(env: string, runbook: string) {
    if (!this.#env(env)) return this.#noEnv(env);
    const rb = await this.#runbook(runbook);
    if (!rb.ok) return rb;
    return this.engine.planRun(rb.value, env);
  }

  /**
   * Starts a confirmed plan (see RunEngine.startRun for the refusals); answers once the run is
   * under way. Where it stops is told by its `run-paused` / `run-finished` event.
   */
  executeRun(planId: string, confirmation: string, overrides: SafetyOverride[]): Promise<Result<RunUnderWay>> {
    return underWay(this.engine.startRun({ planId }, { confirmedEnvName: confirmation, overrides }));
  }
  /** Continues a paused or interrupted run; answers once it runs again. */
  resumeRun(runId: string, overrides: SafetyOverride[]): Promise<Result<RunUnderWay>> {
    return underWay(this.engine.startResume(runId, { overrides }));
  }
  /** Approves the step the run waits at (as this console's actor); answers once it runs again. */
  approve(runId: string, stepId: string): Promise<Result<RunUnderWay>> {
    return underWay(this.engine.startApprove(runId, stepId, this.#actor));
  }
  async abort(runId: string, reason?: string): Promise<Result<{ runId: string; abortRequested: true }>> {
    const r = await this.engine.abort(runId, this.#actor, reason ?? '');
    return r.ok ? ok({ runId, abortRequested: true }) : r;
  }
  /** Runs the offered rollbacks; answers once they run. */
  rollback(runId: string): Promise<Result<RunUnderWay>> {
    return underWay(this.engine.startRollback(runId));
  }

  listRuns(env: string, limit: number): RunSummary[] {
    return this.journal.listRuns({ env, limit }).map((r) => this.#summary(r));
  }

  getRun(runId: string): Result<RunDetail> {
    const run = this.journal.getRun(runId);
    if (!run) return fail('not-found', `no run ${runId}`, 'list runs with listRuns');
    const outcome = this.engine.outcome(runId);
    const steps = (['run', 'rollback'] as const).flatMap((phase) =>
      this.journal.steps(runId, phase).map((s) => {
        const planned = run.plan.steps.find((p) => p.id === s.stepId);
        return {
          phase,
          index: s.index,
          id: s.stepId,
          kind: s.kind,
          title: planned?.title ?? s.kind,
          state: s.state,
          startedAt: s.startedAt,
          finishedAt: s.finishedAt,
          durationMs: s.durationMs,
          attempts: s.attempts,
          evidence: s.evidence,
          error: s.error,
          logs: this.journal.logs(runId, s.stepId, phase).map((l) => ({ at: l.t, level: l.level, message: l.message })),
        };
      }),
    );
    return ok({ ...this.#summary(run), plan: run.plan, steps, rollbacksOffered: outcome?.rollbacksOffered ?? [] });
  }

  lockInfo(env: string): LockInfo {
    return toLockInfo(env, this.locks.inspect(env));
  }

  breakLock(env: string, reason: string): Result<LockInfo> {
    const r = this.locks.breakLock(env, { actor: this.#actor, reason });
    if (!r.ok) return fail('conflict', r.message, 'only a stale or paused lock can be broken');
    return ok(this.lockInfo(env));
  }

  /**
   * Watches every environment's lock every `intervalMs` for the changes this process does not
   * make itself (a CLI run in another process, a holder that died or stopped beating) and tells
   * `onLockChanged`. Stopped by {@link close}.
   */
  watchLocks(intervalMs = 2_000): void {
    if (this.#lockWatch) return;
    for (const e of this.#o.workspace.environments) this.#lockSeen.set(e.name, lockKey(this.lockInfo(e.name)));
    this.#lockWatch = setInterval(() => {
      for (const e of this.#o.workspace.environments) {
        try {
          this.#checkLock(e.name);
        } catch {
          // the store is busy or closing: the next round reads it again
        }
      }
    }, intervalMs);
    this.#lockWatch.unref();
  }

  #checkLock(env: string): void {
    const lock = this.lockInfo(env);
    const key = lockKey(lock);
    if (this.#lockSeen.get(env) === key) return;
    this.#lockSeen.set(env, key);
    this.#o.onLockChanged?.(lock);
  }

  /** Runs this console was driving when it stopped (shown at start, resumable). */
  interrupted(): RunSummary[] {
    return this.engine.interruptedRuns().map(({ run }) => this.#summary(run));
  }

  /**
   * Stops the service. A recovery measurement still running (a CLI run ends right after its
   * last step, often before the new site has been reached through DNS) gets up to
   * `graceMs` to finish before it is cancelled.
   */
  async close(graceMs = 5000): Promise<void> {
    if (this.#lockWatch) clearInterval(this.#lockWatch);
    this.#lockWatch = null;
    const pending = [...this.#measuring.values()];
    if (pending.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled(pending.map((m) => m.done)),
        new Promise((r) => (timer = setTimeout(r, graceMs))),
      ]);
      clearTimeout(timer);
    }
    for (const m of this.#measuring.values()) m.abort.abort();
  }

  #summary(r: RunRecord): RunSummary {
    return {
      runId: r.id,
      env: r.env,
      runbook: r.runbook.name,
      kind: r.runbook.kind,
      status: r.status,
      pauseReason: r.pauseReason,
      detail: r.detail,
      actor: r.actor,
      createdAt: r.createdAt,
      finishedAt: r.finishedAt,
      durationMs: r.durationMs,
      recoveryMs: r.recoveryMs,
      recoveryFrom: r.recoveryFrom,
      recoveryStartedAt: r.recoveryStartedAt,
      rtoObjectiveSeconds: this.#env(r.env)?.objectives.rtoSeconds ?? null,
    };
  }

  /**
   * Starts the recovery-time measurement when a run that moves DNS starts — once per run: a
   * run whose recovery is already recorded is not measured again on resume (that would count
   * the pause), and a run resumed in another process keeps the basis its first start chose
   * (by then DNS may already point at the new site, which would read as "no failure").
   */
  #onEvent(e: RunEvent): void {
    if (e.type !== 'run-started' || e.phase !== 'run' || this.#measuring.has(e.runId)) return;
    const run = this.journal.getRun(e.runId);
    const env = run ? this.#env(run.env) : undefined;
    if (!run || !env || run.recoveryMs !== null) return;
    const moves = run.plan.steps
      .flatMap((s) => s.plan?.effects ?? [])
      .filter((x) => x.type === 'dns-point' && x.toSite !== null);
    const last = moves.at(-1);
    if (!last || last.type !== 'dns-point' || !last.toSite) return;
    // Every record the run moves, checked at every provider's nameservers (not only the last one).
    const recordMoves = moves.flatMap((m) =>
      m.type === 'dns-point' && m.toSite ? [{ record: m.record, toSite: m.toSite }] : [],
    );
    let basis: RecoveryBasis;
    if (run.recoveryFrom !== null && run.recoveryStartedAt !== null) {
      basis = {
        from: run.recoveryFrom,
        startedAt: run.recoveryStartedAt,
        fromSite: null,
        reason: 'chosen when the run first started',
      };
    } else {
      basis = recoveryBasisOfMoves(
        this.#o.latestSnapshot(run.env),
        recordMoves,
        run.createdAt,
        (id) => this.#o.recordedFailingSince?.(run.env, id) ?? null,
      );
      this.journal.setRecoveryBasis(run.id, basis.from, basis.startedAt);
    }
    const abort = new AbortController();
    const done = measureRecovery({
      env,
      moves: recordMoves,
      startedAt: basis.startedAt,
      signal: abort.signal,
    })
      .then((measured) => {
        if (measured === null) return;
        const ms = measured.ms;
        this.journal.setRecoveryMs(e.runId, ms);
        // the journal keeps whole ms: tell the same numbers getRun will show
        this.#o.onRecoveryMeasured?.(e.runId, run.env, {
          ms: Math.round(ms),
          from: basis.from,
          startedAt: Math.round(basis.startedAt),
          rtoObjectiveSeconds: env.objectives.rtoSeconds,
        });
        try {
          this.audit.append({
            actor: this.#actor,
            action: 'run.recovery',
            details: {
              runId: e.runId,
              ms: Math.round(ms),
              basis: basis.from,
              startedAt: basis.startedAt,
              fromSite: basis.fromSite,
              toSite: last.toSite,
              record: last.record,
              records: [...new Set(recordMoves.map((m) => m.record))],
              evidence: measured.evidence,
              reason: basis.reason,
            },
          });
        } catch {
          // A damaged audit log refuses appends (audit-log.ts); the journal row above still holds
          // the measurement, and `standby audit verify` names the damage.
        }
      })
      .finally(() => this.#measuring.delete(e.runId));
    this.#measuring.set(e.runId, { abort, done });
  }

  #env(name: string): Environment | undefined {
    return this.#o.workspace.environments.find((e) => e.name === name);
  }
  #noEnv(env: string) {
    return fail(
      'not-found',
      `no environment named "${env}"`,
      `use one of: ${this.#o.workspace.environments.map((e) => e.name).join(', ')}`,
    );
  }
}

/** The run id of a run under way; where it stops is told by its events. */
async function underWay(started: Promise<Result<RunStarted>>): Promise<Result<RunUnderWay>> {
  const r = await started;
  return r.ok ? ok({ runId: r.value.runId }) : r;
}

function toLockInfo(env: string, l: EnvLockInfo | null): LockInfo {
  if (!l) return { env, held: false, runId: null, holder: null, since: null, stale: false, staleReason: null };
  return {
    env,
    held: true,
    runId: l.runId,
    holder: `${l.holderPid ?? 'paused'}@${l.holderHost}`,
    since: l.startedAt,
    stale: l.stale,
    staleReason: l.staleReason,
  };
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
