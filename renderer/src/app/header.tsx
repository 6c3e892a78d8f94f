/** Top bar: environment, where DNS points (the active site), data age, connection. */
import { useEnvView } from '../features/overview/use-env-view.ts';
import { stateBadge } from '../ui/state-badge.ts';
import { ConnectionIndicator } from './connection-indicator.tsx';
import { EnvironmentPicker } from './environment-picker.tsx';
import { NavTabs } from './nav-tabs.tsx';
import { StateBadge } from '../ui/state-badge.tsx';
import { UpdateAge } from './update-age.tsx';

export function Header() {
  const { entry, now, pollIntervalMs } = useEnvView();
  const active = entry?.snapshot.activeSite ?? null;
  return (
    <header className="app-header">
      <div className="brand" aria-label="Standby">
        <svg width="18" height="18" viewBox="0 0 18 18" aria-hidden="true">
          <rect x="1" y="4" width="7" height="10" rx="1.5" fill="none" stroke="currentColor" strokeWidth="1.6" />
          <rect x="10" y="4" width="7" height="10" rx="1.5" fill="currentColor" opacity="0.55" />
        </svg>
        <span>Standby</span>
      </div>
      <NavTabs />
      <EnvironmentPicker />
      <div className="active-site" title="The site DNS points at, at every provider (observed, not configured)">
        <span className="field-label">active site</span>
        {entry === undefined ? (
          <span className="muted">—</span>
        ) : active ? (
          <span className="active-site-name" data-testid="active-site">
            {active}
          </span>
        ) : (
          <StateBadge
            badge={stateBadge('unknown')}
            text="unknown — DNS not agreed"
            title="Providers disagree, or a provider's answer could not be read: see DNS"
            testId="active-site"
            dataState="unknown"
          />
        )}
      </div>
      <div className="header-spacer" />
      <UpdateAge receivedAt={entry?.receivedAt ?? null} now={now} pollIntervalMs={pollIntervalMs} />
      <ConnectionIndicator />
    </header>
  );
}
