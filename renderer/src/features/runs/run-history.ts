/**
 * The run history and the runs that need a person: paused runs, and runs the journal says are
 * `running` while no live process holds their lock (the console that drove them crashed or was
 * killed) — the engine's `interruptedRuns()` rule, seen from the page.
 */
import type { RunStatus } from '../../../../shared/runs/run-event.ts';
import type { LockInfo, RunSummary } from '../../../../shared/runs/run-summary.ts';
import { formatDurationMs, formatStartedAt, recoveryView, type RecoveryView } from './run-format.ts';

export type Attention = 'interrupted' | 'paused' | null;

/**
 * Why a run needs a person, or null.
 * - `paused`: waiting for an approval, a safety override or a fix (resume / abort / roll back);
 * - `interrupted`: `running` or `rolling-back` in the journal, but no live process holds the
 *   environment's lock for it (lock free, held by another run, or stale) and this page is not
 *   driving it right now.
 * @param drivenHere a run call for this run is in flight from this page
 */
export function attentionOf(
  run: Pick<RunSummary, 'runId' | 'status'>,
  lock: LockInfo | null,
  drivenHere: boolean,
): Attention {
  if (run.status === 'paused') return 'paused';
  if (run.status !== 'running' && run.status !== 'rolling-back') return null;
  if (drivenHere) return null;
  // Lock unknown yet: do not cry wolf before it is read.
  if (lock === null) return null;
  const heldLive = lock.held && lock.runId === run.runId && !lock.stale;
  return heldLive ? null : 'interrupted';
}

/** What continuing an interrupted run calls: a stopped rollback continues as a rollback. */
export const continueActionFor = (status: RunStatus): 'resume' | 'rollback' =>
  status === 'rolling-back' || status === 'rollback-failed' ? 'rollback' : 'resume';

export interface HistoryRow {
  runId: string;
  runbook: string;
  kind: string;
  status: RunStatus;
  started: string;
  duration: string;
  recovery: RecoveryView;
  actor: string;
  detail: string | null;
}

/**
 * One history row. Recovery: measured vs RTO (ok / breach) and what it counts from (run start or
 * the first failed probe), `measuring…` for a recent run,
 * `—`-like wording when the runbook moved no DNS (the summary does not say: recovery null on a
 * finished run older than the measuring window reads "not measured").
 * @param now page clock, epoch ms (host times are close enough for "today" and ages here)
 */
export function historyRow(r: RunSummary, now: number): HistoryRow {
  const endedAgo = r.finishedAt === null ? null : now - r.finishedAt;
  const moves = r.kind === 'failover' || r.kind === 'switchover' || r.kind === 'failback';
  return {
    runId: r.runId,
    runbook: r.runbook,
    kind: r.kind,
    status: r.status,
    started: formatStartedAt(r.createdAt, now),
    duration:
      r.durationMs !== null
        ? formatDurationMs(r.durationMs)
        : r.finishedAt !== null
          ? '—'
          : r.status === 'paused'
            ? 'paused'
            : 'running',
    recovery: recoveryView(r.recoveryMs, r.rtoObjectiveSeconds, moves, endedAgo, r.status, {
      from: r.recoveryFrom,
      startedAt: r.recoveryStartedAt,
      now,
    }),
    actor: r.actor,
    detail: r.detail,
  };
}
