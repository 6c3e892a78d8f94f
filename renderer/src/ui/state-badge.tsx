/** A state pill: tone colour + icon + word, so states differ by more than colour. */
import type { Badge } from './state-badge.ts';
import { Icon } from './icon.tsx';

export interface StateBadgeProps {
  badge: Badge;
  /** Text to show instead of `badge.label` (the tone and icon still come from the badge). */
  text?: string;
  testId?: string;
  title?: string;
  size?: 'sm' | 'md' | 'lg';
  /** Extra data attributes for e2e (e.g. the raw state). */
  dataState?: string;
}

export function StateBadge({ badge, text, testId, title, size = 'md', dataState }: StateBadgeProps) {
  return (
    <span
      className={`badge badge-${size} tone-${badge.tone}`}
      data-testid={testId}
      data-tone={badge.tone}
      data-state={dataState}
      title={title}
    >
      <Icon name={badge.icon} size={size === 'lg' ? 14 : 12} />
      <span className="badge-label">{text ?? badge.label}</span>
    </span>
  );
}
