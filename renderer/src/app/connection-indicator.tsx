/** Transport state: connected / connecting / reconnecting (attempt, countdown) / auth refused. */
import { formatAge } from '../ui/age.ts';
import { connectionBadge } from '../ui/state-badge.ts';
import { useClockStore } from '../ui/clock-store.ts';
import { useConnectionStore } from './connection-store.ts';
import { Icon } from '../ui/icon.tsx';

export function ConnectionIndicator() {
  const status = useConnectionStore((s) => s.status);
  const retryNow = useConnectionStore((s) => s.retryNow);
  const now = useClockStore((s) => s.now);
  const state = status?.state ?? 'connecting';
  const badge = connectionBadge(state);
  const transport = status?.transport === 'ipc' ? 'desktop' : 'WebSocket';
  let detail: string | null = null;
  if (state === 'reconnecting' && status) {
    const wait = status.nextRetryAt === null ? null : Math.max(0, status.nextRetryAt - now);
    detail = `attempt ${status.attempt}${wait === null ? '' : ` · next in ${formatAge(wait + 999)}`}`;
  }
  return (
    <div className={`connection tone-${badge.tone}`} title={status?.detail ?? `${transport} transport`}>
      <Icon name={badge.icon} />
      <span className="connection-state" data-testid="connection-state" data-state={state}>
        {badge.label}
      </span>
      <span className="muted small">{detail ?? transport}</span>
      {(state === 'reconnecting' || state === 'auth-refused') && (
        <button type="button" className="link-button" onClick={retryNow} data-testid="connection-retry">
          retry now
        </button>
      )}
    </div>
  );
}
