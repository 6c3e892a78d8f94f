/**
 * DR posture of the environment (protected / degraded / unprotected) with its reason, evidence
 * and, when not protected, one button that opens the plan of the runbook restoring protection:
 * it selects that runbook in the runs feature, shows the Runbooks view and computes the plan
 * (a plan changes nothing; the run still needs its typed confirmation there).
 */
import type { Posture } from '../../../../shared/status.ts';
import { useNavStore } from '../../app/nav-store.ts';
import { useConnectionStore } from '../../app/connection-store.ts';
import { postureBadge } from '../../ui/state-badge.ts';
import { StateBadge } from '../../ui/state-badge.tsx';
import { useRunsStore } from '../runs/runs-store.ts';

export function PostureCard({ posture, stale }: { posture: Posture | null; stale: boolean }) {
  const badge = postureBadge(posture?.state ?? null, { stale });
  const connected = useConnectionStore((s) => s.status?.state === 'connected');
  const restore = posture?.restoreRunbook ?? null;
  const openPlan = () => {
    if (restore === null) return;
    const runs = useRunsStore.getState();
    runs.selectRunbook(restore);
    useNavStore.getState().setView('runbooks');
    void useRunsStore.getState().actions.plan();
  };
  return (
    <section
      className={`card posture-card tone-edge-${badge.tone}`}
      data-testid="posture-card"
      data-state={posture?.state ?? 'unknown'}
      aria-label="DR posture"
    >
      <header className="card-head">
        <h2>DR posture</h2>
        <StateBadge badge={badge} size="lg" testId="posture-badge" />
        {restore !== null && (
          <button
            type="button"
            className="btn btn-primary"
            data-testid="posture-restore"
            disabled={!connected}
            title={`Open the plan of ${restore} (changes nothing until you confirm the run)`}
            onClick={openPlan}
          >
            Plan {restore} to restore protection
          </button>
        )}
      </header>
      <p className="posture-reason" data-testid="posture-reason">
        {posture ? posture.reason : 'The core sent no posture: protection is unknown.'}
      </p>
      {posture && posture.evidence.length > 0 && (
        <details className="small">
          <summary className="muted">evidence</summary>
          <ul className="mono small">
            {posture.evidence.map((e) => (
              <li key={e}>{e}</li>
            ))}
          </ul>
        </details>
      )}
      {posture && posture.state !== 'protected' && restore === null && (
        <p className="muted small">
          No runbook of kind failback (or named failback/rejoin) in the runbooks folder: add one to restore protection
          from here.
        </p>
      )}
    </section>
  );
}
