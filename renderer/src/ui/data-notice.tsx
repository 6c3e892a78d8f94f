/** A full-width notice above the overview: stale data, an error, or why nothing is shown yet. */
import type { ReactNode } from 'react';
import type { OpError } from '../../../shared/result.ts';
import type { Tone } from './state-badge.ts';
import { Icon } from './icon.tsx';

export interface DataNoticeProps {
  tone: Tone;
  title: string;
  error?: OpError;
  children?: ReactNode;
  testId?: string;
}

export function DataNotice({ tone, title, error, children, testId }: DataNoticeProps) {
  return (
    <div className={`notice tone-${tone}`} role={tone === 'bad' ? 'alert' : 'status'} data-testid={testId}>
      <Icon name={tone === 'bad' ? 'cross' : tone === 'warn' || tone === 'stale' ? 'clock' : 'question'} size={14} />
      <div>
        <strong>{title}</strong>
        {error && (
          <p>
            {error.message}
            {error.hint && <span className="muted"> — {error.hint}</span>}
            {error.where && <span className="mono muted small"> ({error.where})</span>}
          </p>
        )}
        {children}
      </div>
    </div>
  );
}
