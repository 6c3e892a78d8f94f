/** RPO now: data a failover right now would lose (worst replica lag) against the objective. */
import type { RpoStatus } from '../../../../shared/status.ts';
import { formatBytes, formatSeconds } from '../../ui/format.ts';
import { objectiveGauge } from './objective-gauge.ts';
import { verdictBadge } from '../../ui/state-badge.ts';
import { ObjectiveBar } from '../../ui/objective-bar.tsx';
import { StateBadge } from '../../ui/state-badge.tsx';

export function RpoCard({
  rpo,
  stale,
  unprotected = false,
}: {
  rpo: RpoStatus;
  stale: boolean;
  unprotected?: boolean;
}) {
  const badge = verdictBadge(rpo.verdict, { stale, unprotected });
  const gauge = objectiveGauge(rpo.nowSeconds, rpo.objectiveSeconds);
  return (
    <section
      className={`card objective-card tone-edge-${badge.tone}`}
      data-testid="rpo-card"
      data-verdict={rpo.verdict}
      aria-label="RPO"
    >
      <header className="card-head">
        <h2>RPO now</h2>
        <StateBadge badge={badge} size="sm" testId="rpo-verdict" />
      </header>
      <div className="objective-figures">
        <span className={`big-figure tone-text-${badge.tone}`}>
          {rpo.nowSeconds === null ? 'unknown' : formatSeconds(rpo.nowSeconds)}
        </span>
        <span className="muted">
          of {formatSeconds(rpo.objectiveSeconds)} objective
          {rpo.lagBytes !== null && ` · ${formatBytes(rpo.lagBytes)} behind`}
        </span>
      </div>
      <ObjectiveBar
        tone={badge.tone}
        segments={[
          { fraction: gauge.valueFraction, className: 'fill-value', title: `lag ${formatSeconds(rpo.nowSeconds)}` },
        ]}
        objectiveFraction={gauge.objectiveFraction}
        objectiveLabel={`objective ${formatSeconds(rpo.objectiveSeconds)}`}
      />
      <p className="explanation">{rpo.explanation}</p>
    </section>
  );
}
