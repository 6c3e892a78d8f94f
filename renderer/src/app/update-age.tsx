/** Age of the last snapshot: "updated 1 s ago", or "stale 12 s" once past 3 poll intervals. */
import { freshness } from '../ui/age.ts';
import { formatSeconds } from '../ui/format.ts';
import { Icon } from '../ui/icon.tsx';

export interface UpdateAgeProps {
  /** When the page received the last snapshot, epoch ms (page clock), or null. */
  receivedAt: number | null;
  now: number;
  pollIntervalMs: number;
}

export function UpdateAge({ receivedAt, now, pollIntervalMs }: UpdateAgeProps) {
  const f = freshness(receivedAt, now, pollIntervalMs);
  const text = f.kind === 'fresh' ? `updated ${f.label}` : f.kind === 'stale' ? f.label : 'no data yet';
  return (
    <div className={`update-age freshness-${f.kind}`} data-testid="last-update" data-freshness={f.kind}>
      <Icon name="clock" />
      <span>{text}</span>
      <span className="muted small" title="Poll interval, estimated from the snapshot cadence">
        poll {formatSeconds(Math.round(pollIntervalMs / 100) / 10)}
      </span>
    </div>
  );
}
