/**
 * The live step timeline of one run, as a pure model: `run` events reduce into it
 * ({@link reduceRunEvent}) and a `getRun` detail merges into it ({@link mergeRunDetail}).
 *
 * Times: `at`, `startedAt`, `finishedAt`, `updatedAt` are epoch ms on the **host's** clock (they
 * come from the core); `*ReceivedAt` are epoch ms on the **page's** clock (when the event
 * arrived), so countdowns and running durations tick without trusting clock sync.
 *
 * Merging rule: the core writes the journal before it emits an event, so a `getRun` answer is
 * at least as new as every event that arrived before it was asked for. When no event arrived
 * while it was in flight (`eventCount` unchanged), the journal is taken as is. Otherwise every
 * step and the run compare the host time of the newest fact they hold (`updatedAt`) and the
 * journal wins only when it is at least as new, so a late answer never rewinds a step.
 */
import type { OpError } from '../../../../shared/result.ts';
import type { PauseReason, RunEvent, RunStatus, StepPhase, StepState } from '../../../../shared/runs/run-event.ts';
import type { RunPlan } from '../../../../shared/runs/run-plan.ts';
import type { RecoveryFrom, RunDetail, RunStepDetail } from '../../../../shared/runs/run-summary.ts';
import type { SafetyVerdict } from '../../../../shared/runs/safety-verdict.ts';
import type { StepProgress } from '../../../../shared/runs/step-progress.ts';

/** Log lines kept per step (the journal keeps all of them; the detail view re-fetches). */
export const maxLogsPerStep = 400;

export interface LogLine {
  /** Host clock, epoch ms. */
  at: number;
  level: 'info' | 'warn' | 'error';
  message: string;
}

export interface TimelineStep {
  phase: StepPhase;
  id: string;
  /** Position in its phase, 0-based. */
  index: number;
  kind: string;
  title: string;
  state: StepState;
  /** Host clock, epoch ms. */
  startedAt: number | null;
  finishedAt: number | null;
  durationMs: number | null;
  /** Page clock when `step-started` arrived (live elapsed time), null when only the journal said so. */
  startedReceivedAt: number | null;
  attempts: number;
  evidence: string | null;
  error: OpError | null;
  logs: LogLine[];
  /** Latest progress of a wait, and when it was sent (host) and received (page). */
  progress: StepProgress | null;
  progressAt: number | null;
  progressReceivedAt: number | null;
  /** Verdicts the step was judged with when it started. */
  verdicts: SafetyVerdict[];
  /** Host time of the newest fact about this step. */
  updatedAt: number;
}

export interface RunPause {
  reason: PauseReason;
  /** Empty when the engine paused on an internal error outside any step. */
  stepId: string;
  detail: string;
  /** Blocking verdicts of a `safety` pause (what a resume must override). */
  verdicts: SafetyVerdict[];
}

export interface RunTimeline {
  runId: string;
  env: string;
  runbook: string;
  status: RunStatus;
  pause: RunPause | null;
  /** Why it ended, paused or failed, in words. */
  detail: string | null;
  /** Host clock, epoch ms; null until known (a live run first seen mid-way). */
  createdAt: number | null;
  finishedAt: number | null;
  durationMs: number | null;
  steps: TimelineStep[];
  /** Steps of the rollback phase ("undo <id>"), in the order they run. */
  rollbackSteps: TimelineStep[];
  rollbacksOffered: string[];
  /** Set by the page when it asked to abort; cleared when the run stops. */
  abortRequested: boolean;
  /** From `getRun`: measured recovery, ms, and the objective, s. */
  recoveryMs: number | null;
  /** From `getRun`: what the recovery counts from, and that instant (host epoch ms). */
  recoveryFrom: RecoveryFrom | null;
  recoveryStartedAt: number | null;
  rtoObjectiveSeconds: number | null;
  actor: string | null;
  plan: RunPlan | null;
  /** Host time of the newest fact about the run. */
  updatedAt: number;
  /** Page clock minus host clock at the last event, ms (0 until an event arrived). */
  clockOffsetMs: number;
  /** Events reduced into this timeline so far (to tell whether a getRun answer raced them). */
  eventCount: number;
}

/** Statuses in which a run is still moving or can move again. */
export const liveStatuses: readonly RunStatus[] = ['running', 'paused', 'rolling-back'];
export const isRunLive = (status: RunStatus): boolean => liveStatuses.includes(status);

/** A new empty timeline (no steps yet). */
export function emptyTimeline(runId: string, init: Partial<RunTimeline> = {}): RunTimeline {
  return {
    runId,
    env: '',
    runbook: '',
    status: 'running',
    pause: null,
    detail: null,
    createdAt: null,
    finishedAt: null,
    durationMs: null,
    steps: [],
    rollbackSteps: [],
    rollbacksOffered: [],
    abortRequested: false,
    recoveryMs: null,
    recoveryFrom: null,
    recoveryStartedAt: null,
    rtoObjectiveSeconds: null,
    actor: null,
    plan: null,
    updatedAt: 0,
    clockOffsetMs: 0,
    eventCount: 0,
    ...init,
  };
}

/** A pending step from its id, kind and title. */
export function pendingStep(
  phase: StepPhase,
  index: number,
  s: { id: string; kind: string; title: string },
): TimelineStep {
  return {
    phase,
    id: s.id,
    index,
    kind: s.kind,
    title: s.title,
    state: 'pending',
    startedAt: null,
    finishedAt: null,
    durationMs: null,
    startedReceivedAt: null,
    attempts: 0,
    evidence: null,
    error: null,
    logs: [],
    progress: null,
    progressAt: null,
    progressReceivedAt: null,
    verdicts: [],
    updatedAt: 0,
  };
}

/** The timeline seeded from a confirmed plan: every step pending, numbered as planned. */
export function timelineFromPlan(runId: string, plan: RunPlan): RunTimeline {
  return emptyTimeline(runId, {
    env: plan.env,
    runbook: plan.runbook.name,
    plan,
    steps: plan.steps.map((s) => pendingStep('run', s.index, s)),
  });
}

const stepsKey = (phase: StepPhase): 'steps' | 'rollbackSteps' => (phase === 'run' ? 'steps' : 'rollbackSteps');

/** Replace (or append) one step of `phase`, creating it pending when unknown. */
function updateStep(
  tl: RunTimeline,
  phase: StepPhase,
  stepId: string,
  fn: (s: TimelineStep) => TimelineStep,
  index?: number,
): RunTimeline {
  const key = stepsKey(phase);
  const list = tl[key];
  const i = list.findIndex((s) => s.id === stepId);
  const current = i >= 0 ? list[i]! : pendingStep(phase, index ?? list.length, { id: stepId, kind: '', title: stepId });
  const next = fn(current);
  const updated = i >= 0 ? list.map((s, k) => (k === i ? next : s)) : [...list, next].sort((a, b) => a.index - b.index);
  return { ...tl, [key]: updated };
}

const appendLog = (logs: readonly LogLine[], line: LogLine): LogLine[] => [...logs, line].slice(-maxLogsPerStep);

/**
 * The timeline after one `run` event.
 * @param tl current model, undefined when the run is new to the page
 * @param receivedAt page clock when the event arrived, epoch ms
 */
export function reduceRunEvent(tl: RunTimeline | undefined, e: RunEvent, receivedAt: number): RunTimeline {
  let t = tl ?? emptyTimeline(e.runId);
  t = { ...t, updatedAt: Math.max(t.updatedAt, e.at), clockOffsetMs: receivedAt - e.at, eventCount: t.eventCount + 1 };
  switch (e.type) {
    case 'run-started': {
      const key = stepsKey(e.phase);
      const existing = new Map(t[key].map((s) => [s.id, s]));
      const steps = e.steps.map((s, i) => {
        const old = existing.get(s.id);
        // A resumed run keeps what its steps already did; the rollback phase starts afresh per call
        // but keeps steps that were already undone.
        return old
          ? { ...old, index: i, kind: s.kind || old.kind, title: s.title || old.title }
          : pendingStep(e.phase, i, s);
      });
      return {
        ...t,
        env: e.env,
        runbook: e.runbook,
        status: e.phase === 'run' ? 'running' : 'rolling-back',
        pause: null,
        detail: e.phase === 'run' ? null : t.detail,
        createdAt: t.createdAt ?? e.at,
        finishedAt: null,
        durationMs: null,
        [key]: steps,
      };
    }
    case 'step-started':
      return {
        ...updateStep(
          t,
          e.phase,
          e.stepId,
          (s) => ({
            ...s,
            state: 'acting',
            startedAt: e.at,
            startedReceivedAt: receivedAt,
            finishedAt: null,
            durationMs: null,
            error: null,
            evidence: null,
            progress: null,
            progressAt: null,
            progressReceivedAt: null,
            verdicts: e.verdicts,
            updatedAt: Math.max(s.updatedAt, e.at),
          }),
          e.index,
        ),
        status: e.phase === 'run' ? 'running' : 'rolling-back',
        pause: null,
      };
    case 'step-log':
      return updateStep(t, e.phase, e.stepId, (s) => ({
        ...s,
        logs: appendLog(s.logs, { at: e.at, level: e.level, message: e.message }),
        updatedAt: Math.max(s.updatedAt, e.at),
      }));
    case 'step-progress':
      return updateStep(t, e.phase, e.stepId, (s) => ({
        ...s,
        // Progress of a step the page missed starting still says it is acting.
        state: s.state === 'pending' ? 'acting' : s.state,
        progress: e.progress,
        progressAt: e.at,
        progressReceivedAt: receivedAt,
        updatedAt: Math.max(s.updatedAt, e.at),
      }));
    case 'step-finished':
      return updateStep(t, e.phase, e.stepId, (s) => ({
        ...s,
        state: e.state,
        finishedAt: e.at,
        durationMs: e.durationMs,
        startedAt: s.startedAt ?? (e.durationMs === null ? null : e.at - e.durationMs),
        evidence: e.evidence,
        error: e.error,
        attempts: e.attempts,
        progress: null,
        progressAt: null,
        progressReceivedAt: null,
        updatedAt: Math.max(s.updatedAt, e.at),
      }));
    case 'run-paused': {
      const paused: RunTimeline = {
        ...t,
        status: 'paused',
        pause: { reason: e.reason, stepId: e.stepId, detail: e.detail, verdicts: e.verdicts },
        detail: e.detail,
        abortRequested: false,
      };
      if (e.reason !== 'approval' || !e.stepId) return paused;
      return updateStep(paused, 'run', e.stepId, (s) => ({
        ...s,
        state: 'awaiting-approval',
        updatedAt: Math.max(s.updatedAt, e.at),
      }));
    }
    case 'run-finished':
      return {
        ...t,
        status: e.status,
        pause: null,
        detail: e.detail,
        finishedAt: e.at,
        durationMs: e.durationMs ?? (t.createdAt === null ? null : e.at - t.createdAt),
        rollbacksOffered: e.rollbacksOffered,
        abortRequested: false,
      };
    default:
      return t;
  }
}

/** Host time of the newest fact in a journal step. */
export function detailStepStamp(s: Pick<RunStepDetail, 'startedAt' | 'finishedAt' | 'logs'>): number {
  return Math.max(s.startedAt ?? 0, s.finishedAt ?? 0, s.logs.at(-1)?.at ?? 0);
}

/** Union of two log lists by (at, level, message), in time order, bounded. */
export function mergeLogs(a: readonly LogLine[], b: readonly LogLine[]): LogLine[] {
  const seen = new Set<string>();
  const out: LogLine[] = [];
  for (const l of [...a, ...b].sort((x, y) => x.at - y.at)) {
    const k = `${l.at}|${l.level}|${l.message}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(l);
  }
  return out.slice(-maxLogsPerStep);
}

function stepFromDetail(d: RunStepDetail, live: TimelineStep | undefined, authoritative: boolean): TimelineStep {
  const stamp = detailStepStamp(d);
  const logs = mergeLogs(live?.logs ?? [], d.logs);
  if (live && !authoritative && live.updatedAt > stamp)
    return { ...live, logs, kind: live.kind || d.kind, title: live.title === live.id ? d.title : live.title };
  const stillActing = d.state === 'acting' || d.state === 'verifying';
  return {
    phase: d.phase,
    id: d.id,
    index: d.index,
    kind: d.kind,
    title: d.title,
    state: d.state,
    startedAt: d.startedAt,
    finishedAt: d.finishedAt,
    durationMs: d.durationMs,
    startedReceivedAt: stillActing && live?.startedAt === d.startedAt ? live.startedReceivedAt : null,
    attempts: d.attempts,
    evidence: d.evidence,
    error: d.error,
    logs,
    progress: stillActing ? (live?.progress ?? null) : null,
    progressAt: stillActing ? (live?.progressAt ?? null) : null,
    progressReceivedAt: stillActing ? (live?.progressReceivedAt ?? null) : null,
    verdicts: live?.verdicts ?? [],
    updatedAt: Math.max(stamp, live?.updatedAt ?? 0),
  };
}

/**
 * The timeline after a `getRun` detail: the journal's view, except where live events already
 * know something newer (see the file comment). Plan steps the journal has no row for yet are
 * shown pending.
 * @param eventCountAtRequest `eventCount` of the timeline when getRun was called; when it is
 *   unchanged, the journal is authoritative (no event raced the answer)
 */
export function mergeRunDetail(tl: RunTimeline | undefined, d: RunDetail, eventCountAtRequest?: number): RunTimeline {
  const base = tl ?? emptyTimeline(d.runId);
  const authoritative = eventCountAtRequest !== undefined && eventCountAtRequest === base.eventCount;
  const mergePhase = (phase: StepPhase, live: readonly TimelineStep[]): TimelineStep[] => {
    const byId = new Map(live.map((s) => [s.id, s]));
    const rows = d.steps.filter((s) => s.phase === phase);
    const merged = rows.map((r) => stepFromDetail(r, byId.get(r.id), authoritative));
    const known = new Set(merged.map((s) => s.id));
    if (phase === 'run') {
      for (const p of d.plan.steps) if (!known.has(p.id)) merged.push(byId.get(p.id) ?? pendingStep('run', p.index, p));
    } else {
      for (const s of live) if (!known.has(s.id)) merged.push(s);
    }
    return merged.sort((a, b) => a.index - b.index);
  };
  const steps = mergePhase('run', base.steps);
  const rollbackSteps = mergePhase('rollback', base.rollbackSteps);
  const stamp = Math.max(d.createdAt, d.finishedAt ?? 0, ...d.steps.map(detailStepStamp));
  const liveNewer = !authoritative && base.updatedAt > stamp;
  const awaiting = steps.find((s) => s.state === 'awaiting-approval');
  const pauseFromDetail: RunPause | null =
    d.status === 'paused'
      ? {
          reason: d.pauseReason ?? 'step-failed',
          stepId: awaiting?.id ?? base.pause?.stepId ?? '',
          detail: d.detail ?? '',
          verdicts: base.pause?.verdicts ?? [],
        }
      : null;
  return {
    ...base,
    env: d.env,
    runbook: d.runbook,
    createdAt: d.createdAt,
    recoveryMs: d.recoveryMs,
    recoveryFrom: d.recoveryFrom,
    recoveryStartedAt: d.recoveryStartedAt,
    rtoObjectiveSeconds: d.rtoObjectiveSeconds,
    actor: d.actor,
    plan: d.plan,
    steps,
    rollbackSteps,
    ...(liveNewer
      ? {}
      : {
          status: d.status,
          pause: pauseFromDetail,
          detail: d.detail,
          finishedAt: d.finishedAt,
          durationMs: d.durationMs,
          rollbacksOffered: d.rollbacksOffered,
          abortRequested: isRunLive(d.status) ? base.abortRequested : false,
        }),
    updatedAt: Math.max(base.updatedAt, stamp),
  };
}

/**
 * How long a step has taken: its final duration, or — while it runs — the time since it
 * started (page clock when the start event was seen here, else host times shifted by the offset).
 * @param now page clock, epoch ms
 * @returns ms, or null for a step that never started
 */
export function stepElapsedMs(s: TimelineStep, now: number, clockOffsetMs: number): number | null {
  if (s.durationMs !== null) return s.durationMs;
  if (s.state !== 'acting' && s.state !== 'verifying') return null;
  if (s.startedReceivedAt !== null) return Math.max(0, now - s.startedReceivedAt);
  if (s.startedAt !== null) return Math.max(0, now - clockOffsetMs - s.startedAt);
  return null;
}

/** Total run time: the final duration, or the time since the run was created while it is live. */
export function runElapsedMs(tl: RunTimeline, now: number): number | null {
  if (tl.durationMs !== null) return tl.durationMs;
  if (tl.createdAt === null || !isRunLive(tl.status)) return null;
  return Math.max(0, now - tl.clockOffsetMs - tl.createdAt);
}

/** The step the run is at: the acting one, else the one it paused at, else null. */
export function currentStep(tl: RunTimeline): TimelineStep | null {
  const all = [...tl.steps, ...tl.rollbackSteps];
  return (
    all.find((s) => s.state === 'acting' || s.state === 'verifying') ??
    all.find((s) => s.state === 'awaiting-approval') ??
    null
  );
}

/** Counts of steps per end state, for the status line ("3 of 4 verified, 1 skipped"). */
export function stepCounts(steps: readonly TimelineStep[]): Record<StepState, number> {
  const c: Record<StepState, number> = {
    pending: 0,
    'awaiting-approval': 0,
    acting: 0,
    verifying: 0,
    verified: 0,
    failed: 0,
    skipped: 0,
  };
  for (const s of steps) c[s.state]++;
  return c;
}
