/** RTO estimate: detection + runbook + DNS TTL drain, against the objective. */
import type { RtoStatus } from '../../../../shared/status.ts';
import { formatSeconds } from '../../ui/format.ts';
import { rtoSegments } from './objective-gauge.ts';
import { verdictBadge } from '../../ui/state-badge.ts';
import { ObjectiveBar } from '../../ui/objective-bar.tsx';
import { StateBadge } from '../../ui/state-badge.tsx';

export function RtoCard({
  rto,
  stale,
  unprotected = false,
}: {
  rto: RtoStatus;
  stale: boolean;
  unprotected?: boolean;
}) {
  const badge = verdictBadge(rto.verdict, { stale, unprotected });
  const { segments, gauge } = rtoSegments(rto);
  return (
    <section
      className={`card objective-card tone-edge-${badge.tone}`}
      data-testid="rto-card"
      data-verdict={rto.verdict}
      aria-label="RTO"
    >
      <header className="card-head">
        <h2>RTO estimate</h2>
        <StateBadge badge={badge} size="sm" testId="rto-verdict" />
      </header>
      <div className="objective-figures">
        <span className={`big-figure tone-text-${badge.tone}`}>
          {rto.estimateSeconds === null ? 'unknown' : formatSeconds(rto.estimateSeconds)}
        </span>
        <span className="muted">of {formatSeconds(rto.objectiveSeconds)} objective</span>
      </div>
      <ObjectiveBar
        tone={badge.tone}
        segments={segments.map((s) => ({
          fraction: s.fraction,
          className: `fill-${s.part}`,
          title: `${s.label} ${formatSeconds(s.seconds)}`,
        }))}
        objectiveFraction={gauge.objectiveFraction}
        objectiveLabel={`objective ${formatSeconds(rto.objectiveSeconds)}`}
      />
      <ul className="rto-parts">
        {segments.map((s) => (
          <li key={s.part} data-testid={`rto-part-${s.part}`}>
            <span className={`part-swatch fill-${s.part}`} />
            <span>{s.label}</span>
            <span className="mono">{s.seconds === null ? 'unknown' : formatSeconds(s.seconds)}</span>
          </li>
        ))}
      </ul>
      <p className="explanation">{rto.explanation}</p>
    </section>
  );
}
