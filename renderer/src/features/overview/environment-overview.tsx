/** The environment overview: both sites, RPO/RTO, replication, DNS. */
import { useEnvView } from './use-env-view.ts';
import { formatAge, freshness, type ViewClock } from '../../ui/age.ts';
import { useConnectionStore } from '../../app/connection-store.ts';
import { useSnapshotStore } from './snapshot-store.ts';
import { useWorkspaceStore } from '../../app/workspace-store.ts';
import { DataNotice } from '../../ui/data-notice.tsx';
import { DnsPanel } from './dns-panel.tsx';
import { ReplicationPanel } from './replication-panel.tsx';
import { RpoCard } from './rpo-card.tsx';
import { RtoCard } from './rto-card.tsx';
import { SiteCard } from './site-card.tsx';
import { PostureCard } from './posture-card.tsx';
import './overview.css';

const roleOrder = { production: 0, failover: 1 } as const;

export function EnvironmentOverview() {
  const { env, entry, now, hostNow, pollIntervalMs } = useEnvView();
  const snapshotError = useSnapshotStore((s) => (env === null ? undefined : s.errors[env]));
  const workspaceError = useWorkspaceStore((s) => s.error);
  const connection = useConnectionStore((s) => s.status);

  if (workspaceError)
    return <DataNotice tone="bad" title="Could not load the workspace" error={workspaceError} testId="notice-error" />;
  if (!entry) {
    if (snapshotError)
      return (
        <DataNotice
          tone="bad"
          title={`Could not load environment ${env ?? ''}`}
          error={snapshotError}
          testId="notice-error"
        />
      );
    const refused = connection?.state === 'auth-refused';
    return (
      <DataNotice
        tone={refused ? 'bad' : 'neutral'}
        title={refused ? 'The host refused this page’s token.' : 'Waiting for the first snapshot…'}
        testId="notice-waiting"
      >
        {connection?.detail && <p className="muted">{connection.detail}</p>}
      </DataNotice>
    );
  }

  const snap = entry.snapshot;
  const sites = [...snap.sites].sort((a, b) => roleOrder[a.role] - roleOrder[b.role]);
  const age = freshness(entry.receivedAt, now, pollIntervalMs);
  const clock: ViewClock = {
    hostNow,
    generatedAt: snap.generatedAt,
    pollIntervalMs,
    snapshotStale: age.kind !== 'fresh',
  };
  const unprotected = snap.posture?.state === 'unprotected';
  return (
    <div className="overview">
      {age.kind === 'stale' && (
        <DataNotice
          tone="stale"
          title={`Data is ${formatAge(age.ageMs ?? 0)} old — what you see may no longer be true.`}
          testId="notice-stale"
        >
          <p className="muted">
            The last snapshot of {snap.environment} arrived {formatAge(age.ageMs ?? 0)} ago
            {connection && connection.state !== 'connected' ? ` and the connection is ${connection.state}` : ''}.
          </p>
        </DataNotice>
      )}
      {snapshotError && (
        <DataNotice tone="bad" title="The last refresh failed" error={snapshotError} testId="notice-error" />
      )}
      <PostureCard posture={snap.posture ?? null} stale={clock.snapshotStale} />
      <div className="overview-grid">
        {sites.map((site) => (
          <SiteCard
            key={site.name}
            site={site}
            dbNodes={snap.databases.filter((d) => d.site === site.name).map((d) => d.name)}
            clock={clock}
          />
        ))}
        <div className="objectives">
          <RpoCard rpo={snap.rpo} stale={clock.snapshotStale} unprotected={unprotected} />
          <RtoCard rto={snap.rto} stale={clock.snapshotStale} unprotected={unprotected} />
        </div>
        <DnsPanel records={snap.dns} sites={snap.sites} clock={clock} />
        <ReplicationPanel
          env={snap.environment}
          databases={snap.databases}
          now={now}
          clock={clock}
          rpoObjectiveSeconds={snap.rpo.objectiveSeconds}
        />
      </div>
    </div>
  );
}
