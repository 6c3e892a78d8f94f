/**
 * Step states and run statuses as badges: each has its own icon and word (not colour alone).
 * `acting`/`verifying`/`running` use the neutral tone with the sync icon; the stylesheet gives
 * them the accent colour (`data-state`), since "in progress" is neither good nor bad.
 */
import type { RunStatus, StepState } from '../../../../shared/runs/run-event.ts';
import type { Badge } from '../../ui/state-badge.ts';

/** Badge of a step state; `skipped` reads `already done` (the effect was in place, nothing was run). */
export function stepStateBadge(state: StepState): Badge {
  switch (state) {
    case 'pending':
      return { tone: 'neutral', icon: 'dot', label: 'pending' };
    case 'awaiting-approval':
      return { tone: 'warn', icon: 'lock', label: 'awaiting approval' };
    case 'acting':
      return { tone: 'neutral', icon: 'sync', label: 'acting' };
    case 'verifying':
      return { tone: 'neutral', icon: 'sync', label: 'verifying' };
    case 'verified':
      return { tone: 'ok', icon: 'check', label: 'verified' };
    case 'skipped':
      return { tone: 'ok', icon: 'check', label: 'already done' };
    case 'failed':
      return { tone: 'bad', icon: 'cross', label: 'failed' };
    default:
      return { tone: 'unknown', icon: 'question', label: String(state) };
  }
}

/** Badge of a run status. A rolled-back run is not a success: warn, with its own word. */
export function runStatusBadge(status: RunStatus): Badge {
  switch (status) {
    case 'running':
      return { tone: 'neutral', icon: 'sync', label: 'running' };
    case 'paused':
      return { tone: 'warn', icon: 'clock', label: 'paused' };
    case 'succeeded':
      return { tone: 'ok', icon: 'check', label: 'succeeded' };
    case 'failed':
      return { tone: 'bad', icon: 'cross', label: 'failed' };
    case 'aborted':
      return { tone: 'warn', icon: 'cross', label: 'aborted' };
    case 'rolling-back':
      return { tone: 'neutral', icon: 'sync', label: 'rolling back' };
    case 'rolled-back':
      return { tone: 'warn', icon: 'check', label: 'rolled back' };
    case 'rollback-failed':
      return { tone: 'bad', icon: 'cross', label: 'rollback failed' };
    default:
      return { tone: 'unknown', icon: 'question', label: String(status) };
  }
}

/**
 * A run the journal says is running that no live process drives (see `attentionOf`): shown as
 * interrupted — never with the spinning "running" look, which would claim work is happening.
 */
export const interruptedBadge: Badge = { tone: 'bad', icon: 'warn', label: 'interrupted' };

/** The badge of a step whose run was interrupted while it acted: not spinning, with its own word. */
export const interruptedStepBadge: Badge = { tone: 'bad', icon: 'warn', label: 'interrupted here' };
