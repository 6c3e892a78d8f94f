/** One database node: role, state, WAL receiver, lag (bytes and seconds). */
import type { DbNodeStatus } from '../../../../shared/status.ts';
import { observationFreshness, type ViewClock } from '../../ui/age.ts';
import { formatBytes, formatSeconds } from '../../ui/format.ts';
import { stateBadge } from '../../ui/state-badge.ts';
import { FreshnessTag } from '../../ui/freshness-tag.tsx';
import { StateBadge } from '../../ui/state-badge.tsx';
import { UnknownNote } from '../../ui/unknown-note.tsx';

export interface DbNodeRowProps {
  node: DbNodeStatus;
  color: string;
  clock: ViewClock;
}

export function DbNodeRow({ node, color, clock }: DbNodeRowProps) {
  const stale = observationFreshness(node.observedAt, clock).stale;
  const badge = stateBadge(node.state, { stale });
  const notes = [
    node.walReceiver ? `WAL ${node.walReceiver}` : null,
    node.replayPaused ? 'replay paused' : null,
    node.viaSsh ? 'via SSH' : null,
  ].filter(Boolean);
  return (
    <>
      <tr
        className="db-row"
        data-testid={`db-node-${node.name}`}
        data-state={node.state}
        data-stale={stale ? 'true' : undefined}
      >
        <th scope="row">
          <span className="legend-swatch" style={{ background: color }} />
          <span className="mono">{node.name}</span>
          <span className="muted small"> @{node.site}</span>
        </th>
        <td>
          <span className={`db-role db-role-${node.role}`}>{node.role}</span>
        </td>
        <td>
          <StateBadge badge={badge} size="sm" />
        </td>
        <td className="num mono" data-testid={`lag-bytes-${node.name}`} data-value={node.lagBytes ?? ''}>
          {formatBytes(node.lagBytes)}
        </td>
        <td className="num mono" data-testid={`lag-seconds-${node.name}`} data-value={node.lagSeconds ?? ''}>
          {formatSeconds(node.lagSeconds)}
        </td>
        <td className="small">
          <span className={node.replayPaused ? 'tone-text-warn' : 'muted'}>{notes.join(' · ') || '—'}</span>{' '}
          <FreshnessTag observedAt={node.observedAt} clock={clock} />
        </td>
      </tr>
      {node.state === 'unknown' && (
        <tr className="db-row-note">
          <td colSpan={6}>
            <UnknownNote reason={node.reason} lastGoodAt={node.lastGoodAt} now={clock.hostNow} />
          </td>
        </tr>
      )}
    </>
  );
}
