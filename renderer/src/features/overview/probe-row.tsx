/**
 * One health target of a site (entry point or a blue/green slot): a compact row, plus a note
 * row spanning the table when there is something to explain (failure reason, unknown, stale).
 */
import type { ProbeStatus } from '../../../../shared/status.ts';
import { observationFreshness, type ViewClock } from '../../ui/age.ts';
import { formatMs } from '../../ui/format.ts';
import { stateBadge } from '../../ui/state-badge.ts';
import { FreshnessTag } from '../../ui/freshness-tag.tsx';
import { Icon } from '../../ui/icon.tsx';
import { Sparkline } from '../../ui/sparkline.tsx';
import { StateBadge } from '../../ui/state-badge.tsx';
import { UnknownNote } from '../../ui/unknown-note.tsx';

export interface ProbeRowProps {
  probe: ProbeStatus;
  /** Label in the first column (`entry · nginx`, slot name). */
  label: string;
  /** True when the router sends traffic to this slot. */
  live?: boolean;
  testId?: string;
  liveTestId?: string;
  clock: ViewClock;
}

export function ProbeRow({ probe, label, live = false, testId, liveTestId, clock }: ProbeRowProps) {
  const stale = observationFreshness(probe.lastCheckedAt, clock).stale;
  const badge = stateBadge(probe.state, { stale });
  const notes: string[] = [];
  if (probe.reported?.version) notes.push(`v${probe.reported.version.replace(/^v/, '')}`);
  if (probe.breaker !== 'closed') notes.push(`breaker ${probe.breaker}`);
  const hasNote = probe.state !== 'healthy' || stale;
  return (
    <>
      <tr
        className={`probe-row${live ? ' is-live' : ''}${hasNote ? ' has-note' : ''}`}
        data-testid={testId}
        data-state={probe.state}
        data-stale={stale ? 'true' : undefined}
        title={probe.url}
      >
        <th scope="row" className="probe-name">
          <span className="mono">{label}</span>
          {live && (
            <span className="live-marker" data-testid={liveTestId} title="The router sends traffic to this slot">
              LIVE
            </span>
          )}
        </th>
        <td>
          <StateBadge badge={badge} size="sm" title={probe.reason} />
        </td>
        <td className="num mono">{formatMs(probe.latencyMs)}</td>
        <td className="spark-cell">
          <Sparkline values={probe.recentLatencyMs} tone={badge.tone} />
        </td>
        <td className="probe-detail muted small">{notes.join(' · ')}</td>
      </tr>
      {hasNote && (
        <tr className="probe-note">
          <td colSpan={5}>
            {probe.state === 'unknown' ? (
              <UnknownNote reason={probe.reason} lastGoodAt={probe.lastGoodAt} now={clock.hostNow} />
            ) : probe.state === 'unhealthy' ? (
              <span className="reason tone-text-bad">
                <Icon name="cross" /> {probe.reason ?? 'failing'}
                {probe.consecutiveFailures > 0 && (
                  <span className="muted"> · {probe.consecutiveFailures} failures in a row</span>
                )}
              </span>
            ) : null}
            <FreshnessTag observedAt={probe.lastCheckedAt} clock={clock} />
          </td>
        </tr>
      )}
    </>
  );
}
