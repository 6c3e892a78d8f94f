/**
 * The Runbooks view: lock and interrupted runs on top, then pick runbook → plan (changes,
 * commands, safety verdicts) → confirm by typing the environment's name → live timeline →
 * result with the measured recovery time; the run history below.
 */
import { useRunsStore } from './runs-store.ts';
import { useWorkspaceStore } from '../../app/workspace-store.ts';
import { DataNotice } from '../../ui/data-notice.tsx';
import { RunAttentionBanner } from './run-attention-banner.tsx';
import { RunHistory } from './run-history.tsx';
import { RunLockBanner } from './run-lock-banner.tsx';
import { RunPanel } from './run-panel.tsx';
import { RunPlanPanel } from './run-plan-panel.tsx';
import { RunbookPicker } from './runbook-picker.tsx';
import './runs.css';

export function RunbooksView() {
  const env = useWorkspaceStore((s) => s.selectedEnv);
  const workspaceError = useWorkspaceStore((s) => s.error);
  const openRunId = useRunsStore((s) => s.openRunId);
  const hasPlan = useRunsStore((s) => s.plan !== null);
  const planning = useRunsStore((s) => s.planning);
  const planError = useRunsStore((s) => s.planError);

  if (workspaceError)
    return <DataNotice tone="bad" title="Could not load the workspace" error={workspaceError} testId="notice-error" />;
  if (env === null) return <DataNotice tone="neutral" title="Waiting for the workspace…" testId="notice-waiting" />;

  return (
    <div className="runbooks-view" data-testid="runbooks-view">
      <RunLockBanner />
      <RunAttentionBanner />
      {openRunId === null && <RunbookPicker />}
      {openRunId !== null ? (
        <RunPanel runId={openRunId} />
      ) : hasPlan ? (
        <RunPlanPanel />
      ) : planning ? (
        <div className="card plan-placeholder" data-testid="plan-loading">
          <span className="spinner" aria-hidden="true" /> Computing the plan from live state…
        </div>
      ) : planError ? (
        <DataNotice tone="bad" title="Could not plan this runbook" error={planError} testId="plan-error" />
      ) : (
        <div className="card plan-placeholder muted">
          Choose a runbook and press <strong>Plan</strong>: Standby reads the live state and shows every change, every
          command and every safety rule’s verdict before anything runs. Nothing changes until you confirm.
        </div>
      )}
      <RunHistory />
    </div>
  );
}
