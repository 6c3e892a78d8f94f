/**
 * Wires a ConsoleClient to the runs store: `run` events → timelines, (re)loading runbooks,
 * history and the lock of the selected environment, and the run actions (plan, execute,
 * approve, abort, resume, roll back, break lock).
 *
 * Run calls: executeRun / resumeRun / approveStep / rollbackRun answer `{ runId }` as soon as
 * the run is under way; the run is then followed through its `run` events, and counts as
 * driven from this page (`inFlight`) until its `run-paused` or `run-finished` event. A lost
 * answer (timeout, dropped connection) is not a refusal: the run may be going on, so it is said
 * softly and the run re-read from the journal.
 *
 * The host pushes what used to be polled: `lock-changed` (taken, paused, released, broken or
 * gone stale, also by another process) and `run-recovery-measured` (a run's recovery time,
 * often seconds after it ended).
 */
import type { RunUnderWay } from '../../../../shared/contract/index.ts';
import type { OpError, Result } from '../../../../shared/result.ts';
import { overridesToSend } from './run-safety.ts';
import { isRunLive } from './run-timeline.ts';
import { useRunsStore, type RunCall } from './runs-store.ts';
import { useWorkspaceStore } from '../../app/workspace-store.ts';
import type { ConsoleClient } from '../../api/console-client.ts';

/** Run history rows fetched. */
export const historyLimit = 50;

/** Errors that mean "no answer", not "refused": the run may well be going on. */
const lostAnswer = (e: OpError): boolean => e.kind === 'timeout' || e.kind === 'unreachable';
const lostAnswerNotice = (e: OpError): string =>
  e.kind === 'timeout'
    ? 'The host did not answer in time; the run may be going on — this view follows its events and re-reads it.'
    : `The connection dropped while waiting for the host (${e.message}); the run goes on in the core — this view re-reads it after reconnecting.`;

/** Start syncing runs; returns a function that stops it. */
export function startRunSync(client: ConsoleClient): () => void {
  const store = useRunsStore;
  const offs: (() => void)[] = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let generation = 0;
  let refreshTimer: ReturnType<typeof setTimeout> | null = null;

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
    const selected =
      s.selectedRunbook !== null && valid.some((b) => b.name === s.selectedRunbook)
        ? s.selectedRunbook
        : (valid[0]?.name ?? null);
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
    await Promise.all([
      loadRunbooks(env, gen),
      loadHistory(env, gen),
      loadLock(env, gen),
      open ? loadRun(open) : Promise.resolve(null),
    ]);
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

  offs.push(
    client.on('run', (e) => {
      const now = Date.now();
      const known = store.getState().timelines[e.runId] !== undefined;
      const mine = e.type === 'run-started' && e.env === currentEnv();
      if (known || mine) store.getState().applyEvent(e, now);
      if (e.type === 'run-started' || e.type === 'run-paused' || e.type === 'run-finished') scheduleRefresh();
      if (e.type === 'run-paused' || e.type === 'run-finished') {
        // the call that drove it (from this page) is over: the run stopped
        if (store.getState().inFlight[e.runId] !== undefined) store.getState().setInFlight(e.runId, null);
        // Events do not carry everything the journal knows (rollbacks offered on a pause, the
        // recovery basis, logs missed while disconnected): re-read the run once it stops.
        if (known) later(300, () => void loadRun(e.runId));
      }
    }),
  );

  offs.push(
    client.onConnection((c) => {
      // Events are lost while disconnected, the stop of a run driven from here among them: it
      // no longer counts as driven from here (as when a pending call failed); after the
      // reconnect its lock and detail are read again.
      if (c.state !== 'connected' && Object.keys(store.getState().inFlight).length > 0)
        store.getState().patch({ inFlight: {} });
    }),
  );

  offs.push(
    client.on('run-recovery-measured', ({ runId, recovery }) => {
      const tl = store.getState().timelines[runId];
      if (tl) {
        const measured = {
          ...tl,
          recoveryMs: recovery.ms,
          recoveryFrom: recovery.from,
          recoveryStartedAt: recovery.startedAt,
          rtoObjectiveSeconds: recovery.rtoObjectiveSeconds,
        };
        store.getState().patch({ timelines: { ...store.getState().timelines, [runId]: measured } });
      }
      scheduleRefresh();
    }),
  );

  offs.push(
    client.on('lock-changed', ({ env, lock }) => {
      if (env !== currentEnv()) return;
      store.getState().patch({ lock, lockError: null });
      // a run started, stopped or was left behind elsewhere (another console, the CLI)
      scheduleRefresh();
    }),
  );

  offs.push(
    useWorkspaceStore.subscribe((w, prev) => {
      // A new workspace object arrives after every (re)connect: re-read everything then too.
      if (
        w.selectedEnv !== null &&
        w.workspace !== null &&
        (w.selectedEnv !== prev.selectedEnv || w.workspace !== prev.workspace)
      )
        void loadEnv(w.selectedEnv);
    }),
  );

  /**
   * A run call about `runId`: marked in flight until the run stops (its `run-paused` /
   * `run-finished` event, which may come before the answer), or until the call is refused. A
   * refusal is shown on the run; a lost answer is said softly and followed up with getRun.
   */
  async function runCall(runId: string, call: RunCall, fn: () => Promise<Result<RunUnderWay>>): Promise<void> {
    const s = store.getState();
    s.setInFlight(runId, call);
    s.setRunError(runId, null);
    s.setRunNotice(runId, null);
    const r = await fn();
    if (!r.ok) {
      store.getState().setInFlight(runId, null);
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
      store.getState().patch({
        planning: true,
        planError: null,
        plan: null,
        planReceivedAt: null,
        drafts: {},
        confirmText: '',
        executeError: null,
        openRunId: null,
      });
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
      s.patch({ executing: true, executeError: null });
      const r = await client.api.executeRun({ planId: plan.planId, confirmation: s.confirmText, overrides });
      store.getState().patch({ executing: false });
      if (r.ok) {
        const { runId } = r.value;
        // Its events came before the answer (run-started at least): seed the timeline with the
        // confirmed plan and show it; driven from here until it stops — unless it already did.
        store.getState().adoptRun(runId, plan);
        const tl = store.getState().timelines[runId];
        if (tl && tl.eventCount > 0 && tl.status !== 'running' && tl.status !== 'rolling-back')
          store.getState().setInFlight(runId, null);
        // The plan ran: it cannot run again (the engine forgets it); keep it on the timeline only.
        store.getState().patch({ plan: null, planReceivedAt: null, drafts: {}, confirmText: '' });
        void loadRun(runId);
      } else if (lostAnswer(r.error)) {
        // no answer: whether it started is unknown until the history (or its events) say so
        store.getState().patch({
          executeError: {
            ...r.error,
            hint: `${lostAnswerNotice(r.error)} Check the run history before running it again.`,
          },
        });
      } else {
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
        if (tl && isRunLive(tl.status))
          store
            .getState()
            .patch({ timelines: { ...store.getState().timelines, [runId]: { ...tl, abortRequested: true } } });
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
  };
}
