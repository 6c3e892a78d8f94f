/**
 * The durable run journal in the store (tables `runs`, `run_steps`, `step_logs`, `step_state`;
 * migrations 2, 3 and 4 of store/open-store.ts). The engine writes a step's row BEFORE it acts (`acting`, `acted = 1`
 * just before each act attempt) and AFTER (`verified` / `failed` / `skipped`), each write its
 * own autocommit statement, so a killed process leaves a row saying exactly where it stopped.
 *
 * Durability: the store runs WAL with synchronous=NORMAL — a committed row survives a process
 * crash (SIGKILL); only an OS crash or power loss can drop the last transactions.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { OpError } from '../../../shared/result.ts';
import type { RecoveryFrom } from '../../../shared/runs/run-summary.ts';
import type { RunPlan } from './run-plan.ts';
import type { Runbook } from './runbook-schema.ts';
import type { PauseReason, RunStatus, StepPhase, StepState } from './run-event.ts';
import type { SafetyOverride, SafetyVerdict } from './safety-rules.ts';
import type { StepContext } from './step-kind.ts';
import type { StepPlan } from './step-plan.ts';

/** One run as stored. Times epoch ms, durations ms. */
export interface RunRecord {
  id: string;
  env: string;
  runbook: Runbook;
  plan: RunPlan;
  status: RunStatus;
  pauseReason: PauseReason | null;
  detail: string | null;
  actor: string;
  overrides: SafetyOverride[];
  abortRequested: boolean;
  createdAt: number;
  finishedAt: number | null;
  durationMs: number | null;
  /** Measured recovery time (first failed probe or run start → first healthy probe via new DNS), ms. */
  recoveryMs: number | null;
  /** What `recoveryMs` counts from; set when the measurement starts (migration 3), null before. */
  recoveryFrom: RecoveryFrom | null;
  /** The instant `recoveryMs` counts from, epoch ms; null with `recoveryFrom`. */
  recoveryStartedAt: number | null;
}

/** One step (or one rollback) of a run as stored. */
export interface StepRecord {
  runId: string;
  phase: StepPhase;
  index: number;
  stepId: string;
  kind: string;
  state: StepState;
  /** Act attempts started so far (a retry or a resume adds one). */
  attempts: number;
  /** True once an act attempt has started: the effect may be (partly) in place. */
  acted: boolean;
  startedAt: number | null;
  finishedAt: number | null;
  durationMs: number | null;
  evidence: string | null;
  error: OpError | null;
  /** The plan computed just before the step acted (what rollbacks restore). */
  plan: StepPlan | null;
  verdicts: SafetyVerdict[];
  approvedBy: string | null;
  approvedAt: number | null;
}

/** A log line of one step. */
export interface StepLogLine {
  t: number;
  level: 'info' | 'warn' | 'error';
  message: string;
}

/** Fields of a step row the engine updates. */
export type StepPatch = Partial<
  Pick<
    StepRecord,
    | 'state'
    | 'attempts'
    | 'acted'
    | 'startedAt'
    | 'finishedAt'
    | 'durationMs'
    | 'evidence'
    | 'error'
    | 'plan'
    | 'verdicts'
    | 'approvedBy'
    | 'approvedAt'
  >
>;

interface RunRow {
  id: string;
  env: string;
  runbook_json: string;
  plan_json: string;
  status: string;
  pause_reason: string | null;
  detail: string | null;
  actor: string;
  overrides_json: string;
  abort_requested: number;
  created_at: number;
  finished_at: number | null;
  duration_ms: number | null;
  recovery_ms: number | null;
  recovery_from: string | null;
  recovery_started_at: number | null;
}
interface StepRow {
  run_id: string;
  phase: string;
  idx: number;
  step_id: string;
  kind: string;
  state: string;
  attempts: number;
  acted: number;
  started_at: number | null;
  finished_at: number | null;
  duration_ms: number | null;
  evidence: string | null;
  error_json: string | null;
  plan_json: string | null;
  verdicts_json: string | null;
  approved_by: string | null;
  approved_at: number | null;
}

const stepColumns: Record<keyof StepPatch, string> = {
  state: 'state',
  attempts: 'attempts',
  acted: 'acted',
  startedAt: 'started_at',
  finishedAt: 'finished_at',
  durationMs: 'duration_ms',
  evidence: 'evidence',
  error: 'error_json',
  plan: 'plan_json',
  verdicts: 'verdicts_json',
  approvedBy: 'approved_by',
  approvedAt: 'approved_at',
};

/** Reads and writes runs, steps and step logs in the store. Every method is synchronous and durable on return. */
export class RunJournal {
  readonly #db: DatabaseSync;

  /** @param db an open store (openStore applies the journal's migration). */
  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** Inserts a run (status `running`) and one `pending` row per runbook step, atomically. */
  createRun(run: {
    id: string;
    env: string;
    runbook: Runbook;
    plan: RunPlan;
    actor: string;
    overrides: SafetyOverride[];
    createdAt: number;
  }): void {
    const db = this.#db;
    db.exec('BEGIN IMMEDIATE');
    try {
      db.prepare(
        'INSERT INTO runs (id, env, runbook_name, runbook_kind, runbook_json, plan_json, status, actor, overrides_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(
        run.id,
        run.env,
        run.runbook.name,
        run.runbook.kind,
        JSON.stringify(run.runbook),
        JSON.stringify(run.plan),
        'running',
        run.actor,
        JSON.stringify(run.overrides),
        run.createdAt,
      );
      run.runbook.steps.forEach((s, i) => this.ensureStep(run.id, 'run', i, s.id, s.kind));
      db.exec('COMMIT');
    } catch (e) {
      db.exec('ROLLBACK');
      throw e;
    }
  }

  /** Adds a `pending` step row unless one exists (rollback rows are added when first needed). */
  ensureStep(runId: string, phase: StepPhase, index: number, stepId: string, kind: string): void {
    this.#db
      .prepare(
        "INSERT OR IGNORE INTO run_steps (run_id, phase, idx, step_id, kind, state) VALUES (?, ?, ?, ?, ?, 'pending')",
      )
      .run(runId, phase, index, stepId, kind);
  }

  /** The run, or null. */
  getRun(id: string): RunRecord | null {
    const row = this.#db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    return row ? toRun(row) : null;
  }

  /** Runs, newest first (`status` filters; `limit` default 50). */
  listRuns(filter: { env?: string; status?: RunStatus[]; limit?: number } = {}): RunRecord[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.env !== undefined) {
      where.push('env = ?');
      args.push(filter.env);
    }
    if (filter.status?.length) {
      where.push(`status IN (${filter.status.map(() => '?').join(', ')})`);
      args.push(...filter.status);
    }
    const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, rowid DESC LIMIT ?`;
    return (this.#db.prepare(sql).all(...args, filter.limit ?? 50) as unknown as RunRow[]).map(toRun);
  }

  /** Steps of a run in one phase, by index. */
  steps(runId: string, phase: StepPhase = 'run'): StepRecord[] {
    return (
      this.#db
        .prepare('SELECT * FROM run_steps WHERE run_id = ? AND phase = ? ORDER BY idx')
        .all(runId, phase) as unknown as StepRow[]
    ).map(toStep);
  }

  /** One step row, or null. */
  step(runId: string, phase: StepPhase, stepId: string): StepRecord | null {
    const row = this.#db
      .prepare('SELECT * FROM run_steps WHERE run_id = ? AND phase = ? AND step_id = ?')
      .get(runId, phase, stepId) as StepRow | undefined;
    return row ? toStep(row) : null;
  }

  /**
   * Updates a step row (one autocommit statement: durable when this returns).
   * @throws Error when the row does not exist.
   */
  updateStep(runId: string, phase: StepPhase, stepId: string, patch: StepPatch): void {
    const keys = Object.keys(patch) as (keyof StepPatch)[];
    if (keys.length === 0) return;
    const values = keys.map((k) => {
      const v = patch[k];
      if (k === 'error' || k === 'plan' || k === 'verdicts')
        return v === null || v === undefined ? null : JSON.stringify(v);
      if (k === 'acted') return v ? 1 : 0;
      return (v ?? null) as string | number | null;
    });
    const r = this.#db
      .prepare(
        `UPDATE run_steps SET ${keys.map((k) => `${stepColumns[k]} = ?`).join(', ')} WHERE run_id = ? AND phase = ? AND step_id = ?`,
      )
      .run(...values, runId, phase, stepId);
    if (Number(r.changes) !== 1) throw new Error(`journal: no step ${phase}/${stepId} in run ${runId}`);
  }

  /** Sets the run's status; `finishedAt`/`durationMs` for terminal states, `pauseReason` when paused. */
  setRunStatus(
    id: string,
    status: RunStatus,
    extra: {
      pauseReason?: PauseReason | null;
      detail?: string | null;
      finishedAt?: number | null;
      durationMs?: number | null;
    } = {},
  ): void {
    this.#db
      .prepare(
        'UPDATE runs SET status = ?, pause_reason = ?, detail = ?, finished_at = ?, duration_ms = ? WHERE id = ?',
      )
      .run(
        status,
        extra.pauseReason ?? null,
        extra.detail ?? null,
        extra.finishedAt ?? null,
        extra.durationMs ?? null,
        id,
      );
  }

  /** Appends overrides given on resume (they apply from then on). */
  addOverrides(id: string, overrides: SafetyOverride[]): void {
    const run = this.getRun(id);
    if (!run || overrides.length === 0) return;
    this.#db
      .prepare('UPDATE runs SET overrides_json = ? WHERE id = ?')
      .run(JSON.stringify([...run.overrides, ...overrides]), id);
  }

  /** Marks the run for abort: whichever process runs it stops after the current step. */
  requestAbort(id: string): void {
    this.#db.prepare('UPDATE runs SET abort_requested = 1 WHERE id = ?').run(id);
  }

  /**
   * Records what the recovery measurement counts from, when it starts: a run resumed in another
   * process (after a crash, DNS already moved) keeps the basis its first start chose.
   * @param startedAt epoch ms
   */
  setRecoveryBasis(id: string, from: RecoveryFrom, startedAt: number): void {
    this.#db
      .prepare('UPDATE runs SET recovery_from = ?, recovery_started_at = ? WHERE id = ?')
      .run(from, Math.round(startedAt), id);
  }

  /** Records the measured recovery time, ms (counted from the basis set by {@link setRecoveryBasis}). */
  setRecoveryMs(id: string, ms: number): void {
    this.#db.prepare('UPDATE runs SET recovery_ms = ? WHERE id = ?').run(Math.round(ms), id);
  }

  /** Appends one log line of a step. */
  appendLog(runId: string, phase: StepPhase, stepId: string, line: StepLogLine): void {
    this.#db
      .prepare('INSERT INTO step_logs (run_id, phase, step_id, t, level, message) VALUES (?, ?, ?, ?, ?, ?)')
      .run(runId, phase, stepId, line.t, line.level, line.message);
  }

  /**
   * One key of a step's own state (see `StepContext.state`), JSON-decoded; undefined when unset.
   */
  stepStateValue(runId: string, phase: StepPhase, stepId: string, key: string): unknown {
    const row = this.#db
      .prepare('SELECT value_json FROM step_state WHERE run_id = ? AND phase = ? AND step_id = ? AND key = ?')
      .get(runId, phase, stepId, key) as { value_json: string } | undefined;
    return row ? (JSON.parse(row.value_json) as unknown) : undefined;
  }

  /**
   * Sets one key of a step's own state (one autocommit statement: durable when this returns);
   * `undefined` deletes it.
   * @param value JSON-serializable.
   * @param at epoch ms.
   * @throws TypeError when `value` is not JSON-serializable (e.g. a BigInt or a cycle).
   */
  setStepStateValue(runId: string, phase: StepPhase, stepId: string, key: string, value: unknown, at: number): void {
    if (value === undefined) {
      this.#db
        .prepare('DELETE FROM step_state WHERE run_id = ? AND phase = ? AND step_id = ? AND key = ?')
        .run(runId, phase, stepId, key);
      return;
    }
    this.#db
      .prepare(
        'INSERT INTO step_state (run_id, phase, step_id, key, value_json, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, phase, step_id, key) DO UPDATE SET value_json = excluded.value_json, updated_at = excluded.updated_at',
      )
      .run(runId, phase, stepId, key, JSON.stringify(value), Math.round(at));
  }

  /** `StepContext.state` of one step of a run, backed by this journal. */
  stepState(runId: string, phase: StepPhase, stepId: string, now: () => number = Date.now): StepContext['state'] {
    return {
      get: <T>(key: string) => this.stepStateValue(runId, phase, stepId, key) as T | undefined,
      set: (key, value) => this.setStepStateValue(runId, phase, stepId, key, value, now()),
    };
  }

  /** Log lines of one step, oldest first. */
  logs(runId: string, stepId: string, phase: StepPhase = 'run'): StepLogLine[] {
    return this.#db
      .prepare(
        'SELECT t, level, message FROM step_logs WHERE run_id = ? AND phase = ? AND step_id = ? ORDER BY t, rowid',
      )
      .all(runId, phase, stepId) as unknown as StepLogLine[];
  }
}

/** `StepContext.state` kept in memory only (planning: nothing of a plan outlives it). */
export function memoryStepState(): StepContext['state'] {
  const values = new Map<string, string>();
  return {
    get: <T>(key: string) => {
      const v = values.get(key);
      return v === undefined ? undefined : (JSON.parse(v) as T);
    },
    set: (key, value) => {
      if (value === undefined) values.delete(key);
      else values.set(key, JSON.stringify(value));
    },
  };
}

function toRun(r: RunRow): RunRecord {
  return {
    id: r.id,
    env: r.env,
    runbook: JSON.parse(r.runbook_json) as Runbook,
    plan: JSON.parse(r.plan_json) as RunPlan,
    status: r.status as RunStatus,
    pauseReason: r.pause_reason as PauseReason | null,
    detail: r.detail,
    actor: r.actor,
    overrides: JSON.parse(r.overrides_json) as SafetyOverride[],
    abortRequested: r.abort_requested === 1,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
    durationMs: r.duration_ms,
    recoveryMs: r.recovery_ms,
    recoveryFrom: r.recovery_from as RecoveryFrom | null,
    recoveryStartedAt: r.recovery_started_at,
  };
}

function toStep(r: StepRow): StepRecord {
  return {
    runId: r.run_id,
    phase: r.phase as StepPhase,
    index: r.idx,
    stepId: r.step_id,
    kind: r.kind,
    state: r.state as StepState,
    attempts: r.attempts,
    acted: r.acted === 1,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    durationMs: r.duration_ms,
    evidence: r.evidence,
    error: r.error_json ? (JSON.parse(r.error_json) as OpError) : null,
    plan: r.plan_json ? (JSON.parse(r.plan_json) as StepPlan) : null,
    verdicts: r.verdicts_json ? (JSON.parse(r.verdicts_json) as SafetyVerdict[]) : [],
    approvedBy: r.approved_by,
    approvedAt: r.approved_at,
  };
}
