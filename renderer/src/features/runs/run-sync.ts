/**
 * Wires a ConsoleClient to the runs store: `run` events → timelines, (re)loading runbooks,
 * history and the lock of the selected environment, and the run actions (plan, execute,
 * approve, abort, resume, roll back, break lock).
 *
 * Long calls: executeRun / resumeRun / approveStep / rollbackRun resolve only when the run ends
 * or pauses, which can be longer than the WebSocket client's per-call timeout (15 s) — or the
 * connection may drop meanwhile. The run goes on in the core either way, so a `timeout` or
 * `unreachable` answer for a run this page already follows is not shown as a failure: the
 * timeline keeps following events, and the run's detail is re-read from the journal.
 *
 * Which run did executeRun start? The call returns the run id only at the end; the run's
 * `run-started` event (same environment and runbook, not resumed) is adopted as ours while the
 * call is in flight. The lock makes a second concurrent run in that environment impossible.
 */
import type { OpError, Result } from '../../../../shared/result.ts';
import type { RunOutcome } from '../../../../shared/runs/run-event.ts';
import { overridesToSend } from './run-safety.ts';
import { movesTraffic } from './run-format.ts';
import { isRunLive } from './run-timeline.ts';
import { useNavStore } from '../../app/nav-store.ts';
import { useRunsStore, type RunCall } from './runs-store.ts';
import { useWorkspaceStore } from '../../app/workspace-store.ts';
import type { ConsoleClient } from '../../api/console-client.ts';

/** Run history rows fetched. */
export const historyLimit = 50;
/** Lock and history re-read while the Runbooks view is open (staleness changes without events), ms. */
export const lockPollMs = 5_000;
/** When to re-read a finished run for its measured recovery time (the core measures it in the background), ms after it ended. */
export const recoveryRefetchMs = [1_500, 4_000, 8_000, 15_000, 30_000, 60_000, 120_000, 240_000];

/** Errors that mean "no answer", not "refused": the run may well be going on. */
const lostAnswer = (e: OpError): boolean => e.kind === 'timeout' || e.kind === 'unreachable';
const lostAnswerNotice = (e: OpError): string =>
  e.kind === 'timeout'
    ? 'The host answers run calls when the run pauses or ends; this view follows the run live meanwhile.'
    : `The connection dropped while waiting for the host (${e.message}); the run goes on in the core — this view re-reads it after reconnecting.`;

/** Start syncing runs; returns a function that stops it. */
export function startRunSync(client: ConsoleClient): () => void {
  const store = useRunsStore;
  const offs: (() => void)[] = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const measuring = new Set<string>();
  let generation = 0;
  let refreshTimer: ReturnType<typeof setTimeout> | null = null;
  /** The executeRun in flight, waiting for its run-started event. */
  let adopting: { env: string; runbook: string; runId: string | null } | null = null;

  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const currentEnv = (): string | null => useWorkspaceStore.getState().selectedEnv;

  async function loadRunbooks(env: string, gen: number): Promise<void> {
    const r = await client.api.listRunbooks({ env });
    if (gen !== generation) return;
    if (!r.ok) {
      store.getState().patch({ runbooksError: r.error });
      return;
    }
    const s = store.getState();
    const valid = r.value.filter((b) => b.error === null);
    const selected = s.selectedRunbook !== null && valid.some((b) => b.name === s.selectedRunbook) ? s.selectedRunbook : (valid[0]?.name ?? null);
    store.getState().patch({ runbooks: r.value, runbooksError: null, selectedRunbook: selected });
  }

  async function loadHistory(env: string, gen: number): Promise<void> {
    const r = await client.api.listRuns({ env, limit: historyLimit });
    if (gen !== generation) return;
    if (!r.ok) store.getState().patch({ historyError: r.error });
    else store.getState().patch({ history: r.value, historyError: null });
  }

  async function loadLock(env: string, gen: number): Promise<void> {
    const r = await client.api.getLock({ env });
    if (gen !== generation) return;
    if (!r.ok) store.getState().patch({ lockError: r.error });
    else store.getState().patch({ lock: r.value, lockError: null });
  }

  async function loadRun(runId: string): Promise<OpError | null> {
    const before = store.getState().timelines[runId]?.eventCount ?? 0;
    const r = await client.api.getRun({ runId });
    if (!r.ok) return r.error;
    store.getState().applyDetail(r.value, before);
    return null;
  }

  async function loadEnv(env: string): Promise<void> {
    const gen = ++generation;
    store.getState().resetFor(env);
    const open = store.getState().openRunId;
    await Promise.all([loadRunbooks(env, gen), loadHistory(env, gen), loadLock(env, gen), open ? loadRun(open) : Promise.resolve(null)]);
  }

  /** History and lock after run events (several events in a burst → one re-read). */
  function scheduleRefresh(): void {
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      const env = currentEnv();
      if (env === null) return;
      void loadHistory(env, generation);
      void loadLock(env, generation);
    }, 400);
  }

  /** Re-read an ended run until its recovery time is measured (bounded schedule). */
  function watchRecovery(runId: string): void {
    if (measuring.has(runId)) return;
    const tl = store.getState().timelines[runId];
    if (!tl || !movesTraffic(tl.plan) || tl.recoveryMs !== null) return;
    measuring.add(runId);
    const step = (i: number): void => {
      const delay = recoveryRefetchMs[i];
      if (delay === undefined) {
        measuring.delete(runId);
        return;
      }
      const prev = recoveryRefetchMs[i - 1] ?? 0;
      later(delay - prev, () => {
        void loadRun(runId).then(() => {
          const t = store.getState().timelines[runId];
          if (!t || t.recoveryMs !== null || isRunLive(t.status)) {
            measuring.delete(runId);
            if (t?.recoveryMs !== null) scheduleRefresh();
            return;
          }
          step(i + 1);
        });
      });
    };
    step(0);
  }

  offs.push(
    client.on('run', (e) => {
      const now = Date.now();
      const s = store.getState();
      if (e.type === 'run-started' && adopting && adopting.runId === null && e.phase === 'run' && !e.resumed && e.env === adopting.env && e.runbook === adopting.runbook) {
        adopting.runId = e.runId;
        const plan = s.plan;
        if (plan) s.adoptRun(e.runId, plan);
      }
      const known = store.getState().timelines[e.runId] !== undefined;
      const mine = e.type === 'run-started' && e.env === currentEnv();
      if (known || mine) store.getState().applyEvent(e, now);
      if (e.type === 'run-started' || e.type === 'run-paused' || e.type === 'run-finished') scheduleRefresh();
      if ((e.type === 'run-paused' || e.type === 'run-finished') && known) {
        // Events do not carry everything the journal knows (rollbacks offered on a pause, the
        // recovery time, logs missed while disconnected): re-read the run once it stops.
        later(300, () => void loadRun(e.runId));
      }
      if (e.type === 'run-finished' && known) watchRecovery(e.runId);
    }),
  );

  offs.push(
    useWorkspaceStore.subscribe((w, prev) => {
      // A new workspace object arrives after every (re)connect: re-read everything then too.
      if (w.selectedEnv !== null && w.workspace !== null && (w.selectedEnv !== prev.selectedEnv || w.workspace !== prev.workspace)) void loadEnv(w.selectedEnv);
    }),
  );

  // Lock staleness and interrupted runs change without events: re-read while the view is open.
  const poll = setInterval(() => {
    const env = currentEnv();
    if (env === null || useNavStore.getState().view !== 'runbooks') return;
    void loadLock(env, generation);
    void loadHistory(env, generation);
  }, lockPollMs);

  /**
   * A long run call about `runId`: mark it in flight, apply its outcome, and show an error on
   * the run (a lost answer while the run goes on is said softly and followed up with getRun).
   */
  async function runCall(runId: string, call: RunCall, fn: () => Promise<Result<RunOutcome>>): Promise<void> {
    const s = store.getState();
    s.setInFlight(runId, call);
    s.setRunError(runId, null);
    s.setRunNotice(runId, null);
    const r = await fn();
    store.getState().setInFlight(runId, null);
    if (r.ok) {
      store.getState().applyOutcome(r.value);
      if (!isRunLive(r.value.status)) {
        store.getState().patch({ endedReceivedAt: { ...store.getState().endedReceivedAt, [runId]: store.getState().endedReceivedAt[runId] ?? Date.now() } });
        watchRecovery(runId);
      }
    } else {
      if (lostAnswer(r.error)) store.getState().setRunNotice(runId, lostAnswerNotice(r.error));
      else store.getState().setRunError(runId, r.error);
      await loadRun(runId);
    }
    scheduleRefresh();
  }

  store.getState().bindActions({
    async plan() {
      const { env, selectedRunbook } = store.getState();
      if (env === null || selectedRunbook === null) return;
      const gen = generation;
      store.getState().patch({ planning: true, planError: null, plan: null, planReceivedAt: null, drafts: {}, confirmText: '', executeError: null, openRunId: null });
      const r = await client.api.planRun({ env, runbook: selectedRunbook });
      if (gen !== generation || store.getState().selectedRunbook !== selectedRunbook) return;
      if (r.ok) store.getState().patch({ planning: false, plan: r.value, planReceivedAt: Date.now() });
      else store.getState().patch({ planning: false, planError: r.error });
      void loadLock(env, gen);
    },

    async execute() {
      const s = store.getState();
      const plan = s.plan;
      if (!plan || s.executing) return;
      const overrides = overridesToSend(plan.blocking, s.drafts);
      const ticket = { env: plan.env, runbook: plan.runbook.name, runId: null as string | null };
      adopting = ticket;
      s.patch({ executing: true, executeError: null });
      const r = await client.api.executeRun({ planId: plan.planId, confirmation: s.confirmText, overrides });
      if (adopting === ticket) adopting = null;
      const runId = r.ok ? r.value.runId : ticket.runId;
      store.getState().patch({ executing: false });
      if (runId !== null) {
        const st = store.getState();
        if (!st.timelines[runId]) st.adoptRun(runId, plan);
        else if (st.openRunId !== runId) st.patch({ openRunId: runId });
        store.getState().setInFlight(runId, null);
        // The plan ran: it cannot run again (the engine forgets it); keep it on the timeline only.
        store.getState().patch({ plan: null, planReceivedAt: null, drafts: {}, confirmText: '' });
        if (r.ok) {
          store.getState().applyOutcome(r.value);
          if (!isRunLive(r.value.status)) {
            store.getState().patch({ endedReceivedAt: { ...store.getState().endedReceivedAt, [runId]: Date.now() } });
            watchRecovery(runId);
          }
        } else {
          if (lostAnswer(r.error)) store.getState().setRunNotice(runId, lostAnswerNotice(r.error));
          else store.getState().setRunError(runId, r.error);
        }
        void loadRun(runId);
      } else if (!r.ok) {
        store.getState().patch({ executeError: r.error });
      }
      scheduleRefresh();
    },

    approve: (runId, stepId) => runCall(runId, 'approve', () => client.api.approveStep({ runId, stepId })),

    async abort(runId) {
      store.getState().setRunError(runId, null);
      const r = await client.api.abortRun({ runId, reason: 'aborted from the console' });
      if (!r.ok) store.getState().setRunError(runId, r.error);
      else {
        const tl = store.getState().timelines[runId];
        if (tl && isRunLive(tl.status)) store.getState().patch({ timelines: { ...store.getState().timelines, [runId]: { ...tl, abortRequested: true } } });
      }
      await loadRun(runId);
      scheduleRefresh();
    },

    resume(runId) {
      const s = store.getState();
      const tl = s.timelines[runId];
      const overrides = overridesToSend(tl?.pause?.verdicts ?? [], s.resumeDrafts[runId] ?? {});
      return runCall(runId, 'resume', () => client.api.resumeRun({ runId, overrides }));
    },

    rollback: (runId) => runCall(runId, 'rollback', () => client.api.rollbackRun({ runId })),

    async openRun(runId) {
      store.getState().patch({ openRunId: runId, openRunError: null });
      const err = await loadRun(runId);
      if (err && store.getState().openRunId === runId) store.getState().patch({ openRunError: err });
      const tl = store.getState().timelines[runId];
      if (tl && !isRunLive(tl.status)) watchRecovery(runId);
    },

    async breakLock(reason) {
      const env = currentEnv();
      if (env === null) return;
      store.getState().patch({ breakingLock: true, breakLockError: null });
      const r = await client.api.breakLock({ env, reason });
      if (r.ok) store.getState().patch({ breakingLock: false, lock: r.value });
      else store.getState().patch({ breakingLock: false, breakLockError: r.error });
      scheduleRefresh();
    },

    async refresh() {
      const env = currentEnv();
      if (env === null) return;
      const gen = generation;
      await Promise.all([loadRunbooks(env, gen), loadHistory(env, gen), loadLock(env, gen)]);
    },
  });

  return () => {
    for (const off of offs.splice(0)) off();
    for (const t of timers) clearTimeout(t);
    timers.clear();
    if (refreshTimer) clearTimeout(refreshTimer);
    clearInterval(poll);
  };
}
