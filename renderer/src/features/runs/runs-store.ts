/**
 * Runbooks, the plan being confirmed, live run timelines, run history and the environment's
 * lock. State and plain setters only; every call to the host goes through `actions`, bound by
 * the sync layer (api/run-sync.ts) — the only place that knows both the client and this store.
 */
import { create } from 'zustand';
import type { OpError } from '../../../../shared/result.ts';
import type { RunEvent } from '../../../../shared/runs/run-event.ts';
import type { RunPlan } from '../../../../shared/runs/run-plan.ts';
import type { LockInfo, RunbookSummary, RunDetail, RunSummary } from '../../../../shared/runs/run-summary.ts';
import type { SafetyRuleName } from '../../../../shared/runs/safety-verdict.ts';
import type { OverrideDrafts } from './run-safety.ts';
import { mergeRunDetail, reduceRunEvent, timelineFromPlan, type RunTimeline } from './run-timeline.ts';

/** Long run calls in flight from this page, by run id. */
export type RunCall = 'execute' | 'resume' | 'approve' | 'abort' | 'rollback';

/** Calls to the host (bound by the sync layer; no-ops until then). */
export interface RunActions {
  plan(): Promise<void>;
  execute(): Promise<void>;
  approve(runId: string, stepId: string): Promise<void>;
  abort(runId: string): Promise<void>;
  resume(runId: string): Promise<void>;
  rollback(runId: string): Promise<void>;
  /** Show a run (fetches its detail). */
  openRun(runId: string): Promise<void>;
  breakLock(reason: string): Promise<void>;
  /** Re-read runbooks, history and lock of the environment. */
  refresh(): Promise<void>;
}

/** Timelines kept in memory (the open run is never dropped). */
export const maxTimelines = 20;

const noop = async (): Promise<void> => {};
const noActions: RunActions = {
  plan: noop,
  execute: noop,
  approve: noop,
  abort: noop,
  resume: noop,
  rollback: noop,
  openRun: noop,
  breakLock: noop,
  refresh: noop,
};

export interface RunsStore {
  /** Environment the runbooks, history and lock below belong to. */
  env: string | null;
  runbooks: RunbookSummary[] | null;
  runbooksError: OpError | null;
  selectedRunbook: string | null;

  plan: RunPlan | null;
  /** Page clock when the plan arrived (its age limit is measured from here). */
  planReceivedAt: number | null;
  planning: boolean;
  planError: OpError | null;
  /** Override reasons typed in the plan view, per rule opened with "override…". */
  drafts: OverrideDrafts;
  confirmText: string;
  executing: boolean;
  executeError: OpError | null;

  /** The run shown in the run panel (null: the picker / plan view). */
  openRunId: string | null;
  openRunError: OpError | null;
  timelines: Record<string, RunTimeline>;
  inFlight: Record<string, RunCall>;
  /** Last error of a call about a run (approve, resume, abort, rollback). */
  runErrors: Record<string, OpError>;
  /**
   * A run call whose answer did not come (timeout, connection lost) while the run goes on:
   * said softly, and cleared when the run pauses or ends.
   */
  runNotices: Record<string, string>;
  /** Override reasons for resuming a run paused by a safety rule, per run. */
  resumeDrafts: Record<string, OverrideDrafts>;
  /** Page clock when a run was seen ending (the recovery measurement window). */
  endedReceivedAt: Record<string, number>;

  history: RunSummary[] | null;
  historyError: OpError | null;
  lock: LockInfo | null;
  lockError: OpError | null;
  breakingLock: boolean;
  breakLockError: OpError | null;

  actions: RunActions;
  bindActions(actions: RunActions): void;

  /** Forget everything environment-specific (another environment was selected). */
  resetFor(env: string): void;
  selectRunbook(name: string): void;
  setDraft(rule: SafetyRuleName, reason: string | null): void;
  setResumeDraft(runId: string, rule: SafetyRuleName, reason: string | null): void;
  setConfirmText(text: string): void;
  closeRun(): void;
  applyEvent(e: RunEvent, receivedAt: number): void;
  /** Merge a getRun answer; `eventCountAtRequest` as in `mergeRunDetail`. */
  applyDetail(d: RunDetail, eventCountAtRequest?: number): void;
  /** Start following a run this page just started from `plan`. */
  adoptRun(runId: string, plan: RunPlan): void;
  patch(p: Partial<Omit<RunsStore, 'actions'>>): void;
  setInFlight(runId: string, call: RunCall | null): void;
  setRunError(runId: string, error: OpError | null): void;
  setRunNotice(runId: string, notice: string | null): void;
}

function bounded(timelines: Record<string, RunTimeline>, keep: string | null): Record<string, RunTimeline> {
  const ids = Object.keys(timelines);
  if (ids.length <= maxTimelines) return timelines;
  const drop = ids
    .filter((id) => id !== keep)
    .sort((a, b) => timelines[a]!.updatedAt - timelines[b]!.updatedAt)
    .slice(0, ids.length - maxTimelines);
  const out = { ...timelines };
  for (const id of drop) delete out[id];
  return out;
}

const withDraft = (drafts: OverrideDrafts, rule: SafetyRuleName, reason: string | null): OverrideDrafts => {
  const next = { ...drafts };
  if (reason === null) delete next[rule];
  else next[rule] = reason;
  return next;
};

export const useRunsStore = create<RunsStore>()((set, get) => ({
  env: null,
  runbooks: null,
  runbooksError: null,
  selectedRunbook: null,
  plan: null,
  planReceivedAt: null,
  planning: false,
  planError: null,
  drafts: {},
  confirmText: '',
  executing: false,
  executeError: null,
  openRunId: null,
  openRunError: null,
  timelines: {},
  inFlight: {},
  runErrors: {},
  runNotices: {},
  resumeDrafts: {},
  endedReceivedAt: {},
  history: null,
  historyError: null,
  lock: null,
  lockError: null,
  breakingLock: false,
  breakLockError: null,

  actions: noActions,
  bindActions: (actions) => set({ actions }),

  resetFor: (env) => {
    if (get().env === env) return;
    const open = get().openRunId;
    const keepOpen = open !== null && get().timelines[open]?.env === env;
    set({
      env,
      runbooks: null,
      runbooksError: null,
      selectedRunbook: null,
      plan: null,
      planReceivedAt: null,
      planError: null,
      drafts: {},
      confirmText: '',
      executeError: null,
      openRunId: keepOpen ? open : null,
      openRunError: null,
      history: null,
      historyError: null,
      lock: null,
      lockError: null,
      breakLockError: null,
    });
  },
  selectRunbook: (name) => {
    if (name === get().selectedRunbook) return;
    // A plan belongs to one runbook: choosing another one drops it (and what was typed for it).
    set({
      selectedRunbook: name,
      plan: null,
      planReceivedAt: null,
      planError: null,
      drafts: {},
      confirmText: '',
      executeError: null,
      openRunId: null,
    });
  },
  setDraft: (rule, reason) => set({ drafts: withDraft(get().drafts, rule, reason) }),
  setResumeDraft: (runId, rule, reason) =>
    set({ resumeDrafts: { ...get().resumeDrafts, [runId]: withDraft(get().resumeDrafts[runId] ?? {}, rule, reason) } }),
  setConfirmText: (confirmText) => set({ confirmText }),
  closeRun: () => set({ openRunId: null, openRunError: null }),
  applyEvent: (e, receivedAt) => {
    const timelines = { ...get().timelines, [e.runId]: reduceRunEvent(get().timelines[e.runId], e, receivedAt) };
    const endedReceivedAt =
      e.type === 'run-finished' ? { ...get().endedReceivedAt, [e.runId]: receivedAt } : get().endedReceivedAt;
    let runNotices = get().runNotices;
    if ((e.type === 'run-finished' || e.type === 'run-paused') && runNotices[e.runId] !== undefined) {
      // The run stopped: the answer that did not come no longer matters.
      runNotices = { ...runNotices };
      delete runNotices[e.runId];
    }
    set({ timelines: bounded(timelines, get().openRunId), endedReceivedAt, runNotices });
  },
  applyDetail: (d, eventCountAtRequest) =>
    set({
      timelines: bounded(
        { ...get().timelines, [d.runId]: mergeRunDetail(get().timelines[d.runId], d, eventCountAtRequest) },
        get().openRunId,
      ),
    }),
  adoptRun: (runId, plan) => {
    const existing = get().timelines[runId];
    const seeded = existing ? { ...existing, plan: existing.plan ?? plan } : timelineFromPlan(runId, plan);
    set({
      timelines: bounded({ ...get().timelines, [runId]: seeded }, runId),
      openRunId: runId,
      openRunError: null,
      inFlight: { ...get().inFlight, [runId]: 'execute' },
    });
  },
  patch: (p) => set(p),
  setInFlight: (runId, call) => {
    const inFlight = { ...get().inFlight };
    if (call === null) delete inFlight[runId];
    else inFlight[runId] = call;
    set({ inFlight });
  },
  setRunNotice: (runId, notice) => {
    const runNotices = { ...get().runNotices };
    if (notice === null) delete runNotices[runId];
    else runNotices[runId] = notice;
    set({ runNotices });
  },
  setRunError: (runId, error) => {
    const runErrors = { ...get().runErrors };
    if (error === null) delete runErrors[runId];
    else runErrors[runId] = error;
    set({ runErrors });
  },
}));
