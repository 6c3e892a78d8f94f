/** Runbook and environment → Plan. Invalid runbook files are listed with their file:line error. */
import { useState } from 'react';
import { useConnectionStore } from '../../app/connection-store.ts';
import { useRunsStore } from './runs-store.ts';
import { useWorkspaceStore } from '../../app/workspace-store.ts';
import { Icon } from '../../ui/icon.tsx';

export function RunbookPicker() {
  const env = useWorkspaceStore((s) => s.selectedEnv);
  const runbooks = useRunsStore((s) => s.runbooks);
  const error = useRunsStore((s) => s.runbooksError);
  const selected = useRunsStore((s) => s.selectedRunbook);
  const select = useRunsStore((s) => s.selectRunbook);
  const planning = useRunsStore((s) => s.planning);
  const hasPlan = useRunsStore((s) => s.plan !== null);
  const plan = useRunsStore((s) => s.actions.plan);
  const connected = useConnectionStore((s) => s.status?.state === 'connected');
  // Invalid files: their errors in full until a plan is on screen, then one line (expandable).
  const [showErrors, setShowErrors] = useState<boolean | null>(null);

  const valid = (runbooks ?? []).filter((r) => r.error === null);
  const invalid = (runbooks ?? []).filter((r) => r.error !== null);
  const current = valid.find((r) => r.name === selected) ?? null;

  return (
    <section className="card runbook-picker" aria-label="Runbook">
      <div className="picker-row">
        <div className="picker-field">
          <label className="field-label" htmlFor="runbook-select">
            runbook
          </label>
          <select
            id="runbook-select"
            data-testid="runbook-select"
            value={selected ?? ''}
            disabled={valid.length === 0}
            onChange={(e) => select(e.target.value)}
          >
            {valid.length === 0 && <option value="">{runbooks === null ? 'loading…' : 'no valid runbook'}</option>}
            {valid.map((r) => (
              <option key={r.name} value={r.name}>
                {r.name}
              </option>
            ))}
            {invalid.map((r) => (
              <option key={`invalid-${r.name}`} value={`invalid:${r.name}`} disabled>
                {r.name} — invalid
              </option>
            ))}
          </select>
        </div>
        <div className="picker-field">
          <span className="field-label">on environment</span>
          <span className="env-name" data-testid="runbook-env">
            {env}
          </span>
        </div>
        <div className="picker-desc">
          {current ? (
            <>
              <span className="kind-pill">{current.kind}</span>
              <span className="muted small">{current.stepCount} steps</span>
              <span className="picker-desc-text" title={current.description}>
                {current.description}
              </span>
            </>
          ) : (
            <span className="muted">{runbooks === null ? 'Reading the runbooks folder…' : 'No runbook selected.'}</span>
          )}
        </div>
        <button
          type="button"
          className="btn btn-primary"
          data-testid="plan-button"
          disabled={current === null || planning || !connected}
          title={connected ? 'Compute the plan from live state (changes nothing)' : 'Not connected to the host'}
          onClick={() => void plan()}
        >
          {planning ? 'Planning…' : hasPlan ? 'Plan again' : 'Plan'}
        </button>
      </div>
      {current && (
        <div className="picker-path mono small muted" title="Runbook file (reviewable in git)">
          {current.path}
        </div>
      )}
      {error && (
        <p className="inline-error" role="alert">
          <Icon name="cross" /> Could not list the runbooks: {error.message}
          {error.hint && <span className="muted"> — {error.hint}</span>}
        </p>
      )}
      {invalid.length > 0 && (showErrors ?? !hasPlan) && (
        <ul className="runbook-errors" data-testid="runbook-errors">
          {invalid.map((r) => (
            <li key={r.path} data-testid={`runbook-error-${r.name}`}>
              <div className="runbook-error-head">
                <Icon name="cross" />
                <span className="strong">{r.name}</span>
                <span className="muted small">is invalid and cannot be planned</span>
                <span className="mono small muted">{r.path}</span>
              </div>
              <pre className="runbook-error-text mono">{r.error}</pre>
            </li>
          ))}
        </ul>
      )}
      {invalid.length > 0 && (
        <div className="runbook-errors-toggle small">
          {!(showErrors ?? !hasPlan) && (
            <span className="tone-text-bad">
              <Icon name="cross" /> {invalid.length} invalid runbook file{invalid.length === 1 ? '' : 's'}:{' '}
              {invalid.map((r) => r.name).join(', ')}{' '}
            </span>
          )}
          <button type="button" className="link-button" onClick={() => setShowErrors(!(showErrors ?? !hasPlan))}>
            {(showErrors ?? !hasPlan) ? 'hide errors' : 'show errors'}
          </button>
        </div>
      )}
    </section>
  );
}
