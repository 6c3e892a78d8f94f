/** "stale 12 s" beside an observation that lags behind its snapshot; nothing when fresh. */
import { observationFreshness, type ViewClock } from './age.ts';
import { Icon } from './icon.tsx';

export interface FreshnessTagProps {
  observedAt: number | null;
  clock: ViewClock;
  testId?: string;
}

export function FreshnessTag({ observedAt, clock, testId }: FreshnessTagProps) {
  const { tag } = observationFreshness(observedAt, clock);
  if (!tag) return null;
  return (
    <span className={`freshness freshness-${tag.kind}`} data-testid={testId} data-freshness={tag.kind}>
      <Icon name="clock" />
      {tag.label}
    </span>
  );
}
