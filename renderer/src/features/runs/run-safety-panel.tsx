/** Each safety rule's verdict with its evidence; overridable refusals get a break-glass override. */
import type { SafetyRuleName } from '../../../../shared/runs/safety-verdict.ts';
import { formatStartedAt } from './run-format.ts';
import type { OverrideDrafts, RuleView } from './run-safety.ts';
import { useClockStore } from '../../ui/clock-store.ts';
import { RunOverrideControl } from './run-override-control.tsx';
import { StateBadge } from '../../ui/state-badge.tsx';

export interface RunSafetyPanelProps {
  rules: RuleView[];
  /** `generatedAt` of the snapshot the rules judged (host clock), epoch ms; null when not known. */
  snapshotAt: number | null;
  drafts: OverrideDrafts;
  onDraft(rule: SafetyRuleName, reason: string | null): void;
  title?: string;
}

export function RunSafetyPanel({ rules, snapshotAt, drafts, onDraft, title = 'Safety rules' }: RunSafetyPanelProps) {
  const now = useClockStore((s) => s.now);
  const refusing = rules.some((r) => r.blocking.length > 0 && !r.overridden);
  const overridden = rules.some((r) => r.overridden);
  return (
    <section
      className={`card safety-panel tone-edge-${refusing ? 'bad' : overridden ? 'warn' : 'ok'}`}
      data-testid="safety-panel"
      aria-label={title}
    >
      <header className="card-head">
        <h2>{title}</h2>
        {snapshotAt !== null && (
          <span className="muted small">judged on live state of {formatStartedAt(snapshotAt, now)}</span>
        )}
      </header>
      {rules.length === 0 && <p className="muted small">No rule applies to these steps.</p>}
      <ul className="rule-list">
        {rules.map((r) => (
          <li
            key={r.rule}
            className={`rule rule-${r.verdict}${r.overridden ? ' is-overridden' : ''}`}
            data-testid={`rule-${r.rule}`}
            data-verdict={r.verdict}
            data-overridden={r.overridden || undefined}
          >
            <div className="rule-head">
              <StateBadge badge={r.badge} size="sm" dataState={r.verdict} />
              <span className="rule-title" title={r.rule}>
                {r.title}
              </span>
            </div>
            {r.blocking.length > 0 ? (
              <>
                <div className="rule-id mono">{r.rule}</div>
                <ul className="rule-evidence">
                  {r.evidence.map((e, i) => (
                    <li key={i}>{e}</li>
                  ))}
                </ul>
              </>
            ) : (
              r.evidence.length > 0 && <p className="rule-evidence-inline small">{r.evidence.join(' · ')}</p>
            )}
            {r.blocking.length > 0 && r.overridable && (
              <RunOverrideControl
                rule={r.rule}
                steps={[...new Set(r.blocking.map((v) => v.stepId))]}
                reason={drafts[r.rule]}
                onChange={(reason) => onDraft(r.rule, reason)}
              />
            )}
            {r.blocking.length > 0 && !r.overridable && (
              <p className="rule-hard small">Cannot be overridden: fix the cause, then plan again.</p>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
