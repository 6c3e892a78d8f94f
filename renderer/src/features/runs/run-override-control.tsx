/**
 * Break-glass override of one safety rule: closed, an explicit red "override…" button; open, a
 * typed reason (≥ 10 characters, audited with the operator's name) and a way back out.
 */
import type { SafetyRuleName } from '../../../../shared/runs/safety-verdict.ts';
import { minOverrideReasonChars, reasonValid } from './run-safety.ts';
import { Icon } from '../../ui/icon.tsx';

export interface RunOverrideControlProps {
  rule: SafetyRuleName;
  /** Steps whose verdicts the override lifts. */
  steps: string[];
  /** Draft reason; undefined while the control is closed. */
  reason: string | undefined;
  onChange(reason: string | null): void;
}

export function RunOverrideControl({ rule, steps, reason, onChange }: RunOverrideControlProps) {
  if (reason === undefined) {
    return (
      <button
        type="button"
        className="btn btn-breakglass btn-sm"
        data-testid={`override-${rule}`}
        onClick={() => onChange('')}
      >
        <Icon name="warn" size={11} /> override…
      </button>
    );
  }
  const n = reason.trim().length;
  const valid = reasonValid(reason);
  return (
    <div className={`breakglass${valid ? ' is-armed' : ''}`} data-testid={`override-box-${rule}`}>
      <div className="breakglass-head">
        <Icon name="warn" />
        <strong>Break-glass override</strong>
        <span className="small">
          lifts <span className="mono">{rule}</span> for step{steps.length === 1 ? '' : 's'} {steps.join(', ')}
        </span>
      </div>
      <label className="small" htmlFor={`override-reason-${rule}`}>
        Why is it safe anyway? Recorded in the audit log with your name.
      </label>
      <textarea
        id={`override-reason-${rule}`}
        data-testid={`override-reason-${rule}`}
        rows={2}
        value={reason}
        autoFocus
        spellCheck={false}
        placeholder={`e.g. pg-primary host confirmed powered off via iLO (at least ${minOverrideReasonChars} characters)`}
        onChange={(e) => onChange(e.target.value)}
      />
      <div className="breakglass-foot small">
        <span className={valid ? 'tone-text-warn' : 'muted'} data-testid={`override-state-${rule}`}>
          {valid ? 'override armed — it is sent with Run' : `${n}/${minOverrideReasonChars} characters`}
        </span>
        <button type="button" className="link-button" onClick={() => onChange(null)}>
          cancel override
        </button>
      </div>
    </div>
  );
}
