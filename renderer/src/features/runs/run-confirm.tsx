/** Confirm by typing the environment's name; Run stays disabled until it matches and nothing refuses. */
import type { RunPlan } from '../../../../shared/runs/run-plan.ts';
import type { SafetyOverride } from '../../../../shared/runs/safety-verdict.ts';
import { confirmGate } from './run-safety.ts';
import { useClockStore } from '../../ui/clock-store.ts';
import { useConnectionStore } from '../../app/connection-store.ts';
import { useRunsStore } from './runs-store.ts';
import { Icon } from '../../ui/icon.tsx';

export function RunConfirm({ plan, overrides }: { plan: RunPlan; overrides: SafetyOverride[] }) {
  const typed = useRunsStore((s) => s.confirmText);
  const setTyped = useRunsStore((s) => s.setConfirmText);
  const lock = useRunsStore((s) => s.lock);
  const executing = useRunsStore((s) => s.executing);
  const error = useRunsStore((s) => s.executeError);
  const execute = useRunsStore((s) => s.actions.execute);
  const receivedAt = useRunsStore((s) => s.planReceivedAt);
  const now = useClockStore((s) => s.now);
  const connected = useConnectionStore((s) => s.status?.state === 'connected');
  const gate = confirmGate({ plan, typed, overrides, lock, busy: executing, now, planReceivedAt: receivedAt ?? now });
  const blockers = connected ? gate.blockers : [...gate.blockers, 'Not connected to the host.'];
  const enabled = gate.enabled && connected;
  const steps = plan.steps.filter((s) => !s.plan?.alreadyDone).length;
  return (
    <section
      className={`card confirm-card${overrides.length > 0 ? ' has-overrides' : ''}`}
      data-testid="confirm-card"
      aria-label="Confirm"
    >
      <header className="card-head">
        <h2>Confirm</h2>
      </header>
      <p className="confirm-lead">
        Runs <strong>{plan.runbook.name}</strong> on <span className="env-name">{plan.env}</span>: {steps} step
        {steps === 1 ? '' : 's'} act on live systems
        {plan.steps.length > steps ? `, ${plan.steps.length - steps} already done` : ''}.
      </p>
      {overrides.length > 0 && (
        <p className="confirm-overrides" data-testid="confirm-overrides">
          <Icon name="warn" /> Runs despite {overrides.length} refusal{overrides.length === 1 ? '' : 's'}:{' '}
          {overrides.map((o) => o.rule).join(', ')}. Your reasons go into the audit log.
        </p>
      )}
      <label className="field-label" htmlFor="confirm-input">
        type <span className="mono confirm-env">{plan.env}</span> to confirm
      </label>
      <input
        id="confirm-input"
        data-testid="confirm-input"
        className={`confirm-input${typed.length > 0 ? (gate.typedMatches ? ' is-match' : ' is-mismatch') : ''}`}
        value={typed}
        autoComplete="off"
        autoCorrect="off"
        autoCapitalize="off"
        spellCheck={false}
        placeholder="environment name"
        onChange={(e) => setTyped(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && enabled) void execute();
        }}
      />
      <button
        type="button"
        className={`btn btn-run${overrides.length > 0 ? ' btn-run-forced' : ''}`}
        data-testid="run-button"
        disabled={!enabled}
        onClick={() => void execute()}
      >
        {executing ? 'Starting…' : `Run ${plan.runbook.name} on ${plan.env}`}
      </button>
      {blockers.length > 0 && (
        <ul className="gate-blockers small" data-testid="run-blockers">
          {blockers.map((b, i) => (
            <li key={i}>{b}</li>
          ))}
        </ul>
      )}
      {error && (
        <div className="inline-error" role="alert" data-testid="execute-error">
          <Icon name="cross" />
          <div>
            <strong>Not started:</strong> <span className="pre-wrap">{error.message}</span>
            {error.hint && <div className="muted">{error.hint}</div>}
          </div>
        </div>
      )}
    </section>
  );
}
