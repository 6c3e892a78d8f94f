/**
 * One site: overall state with its reason, entry point and slots (health, latency, LIVE), the
 * live slot as the router reports it, the database role, and whether DNS sends it traffic.
 */
import type { SiteStatus } from '../../../../shared/status.ts';
import { formatAge, observationFreshness, type ViewClock } from '../../ui/age.ts';
import { stateBadge } from '../../ui/state-badge.ts';
import { FreshnessTag } from '../../ui/freshness-tag.tsx';
import { Icon } from '../../ui/icon.tsx';
import { ProbeRow } from './probe-row.tsx';
import { StateBadge } from '../../ui/state-badge.tsx';
import { UnknownNote } from '../../ui/unknown-note.tsx';

export interface SiteCardProps {
  site: SiteStatus;
  /** Names of the database nodes on this site. */
  dbNodes: string[];
  clock: ViewClock;
}

export function SiteCard({ site, dbNodes, clock }: SiteCardProps) {
  const probes = [site.entry, ...site.slots];
  const staleProbes = probes.filter((p) => observationFreshness(p.lastCheckedAt, clock).tag !== null);
  // The verdict loses its colour when the snapshot is stale or nothing under it is fresh; a
  // single stale target is called out on its own row and counted here.
  const badge = stateBadge(site.state, { stale: clock.snapshotStale || staleProbes.length === probes.length });
  const oldestStale = staleProbes.some((p) => p.lastCheckedAt === null)
    ? null
    : Math.min(...staleProbes.map((p) => p.lastCheckedAt as number));
  const live = site.liveSlot;
  return (
    <section
      className={`card site-card tone-edge-${badge.tone}`}
      data-testid={`site-card-${site.name}`}
      aria-label={`Site ${site.name}`}
    >
      <header className="site-head">
        <div className="site-title">
          <h2>{site.name}</h2>
          <span className="role-pill">{site.role}</span>
          <span className="mono muted">{site.address}</span>
        </div>
        {site.servesTraffic ? (
          <span className="traffic-badge serves" data-testid={`serves-traffic-${site.name}`}>
            <Icon name="dot" />
            serves traffic
          </span>
        ) : (
          <span className="traffic-badge idle" data-testid={`serves-traffic-${site.name}`} data-idle="true">
            no traffic
          </span>
        )}
      </header>

      <div className="site-state">
        <StateBadge
          badge={badge}
          text={site.state}
          size="lg"
          testId={`site-state-${site.name}`}
          dataState={site.state}
        />
        <span className="site-reason">{site.reason}</span>
        {staleProbes.length > 0 && (
          <span className="freshness freshness-stale" data-testid={`site-stale-${site.name}`}>
            <Icon name="clock" />
            {staleProbes.length === probes.length ? 'all' : `${staleProbes.length} of ${probes.length}`} targets{' '}
            {oldestStale === null ? 'never checked' : `stale, oldest ${formatAge(clock.hostNow - oldestStale)}`}
          </span>
        )}
      </div>

      <table className="probe-table">
        <colgroup>
          <col className="c-target" />
          <col className="c-health" />
          <col className="c-latency" />
          <col className="c-recent" />
          <col />
        </colgroup>
        <thead>
          <tr>
            <th scope="col">target</th>
            <th scope="col">health</th>
            <th scope="col" className="num">
              latency
            </th>
            <th scope="col">recent</th>
            <th scope="col">detail</th>
          </tr>
        </thead>
        <tbody>
          <ProbeRow probe={site.entry} label={`entry · ${live.router}`} testId={`entry-${site.name}`} clock={clock} />
          {site.slots.map((slot) => (
            <ProbeRow
              key={slot.id}
              probe={slot}
              label={slot.slot ?? '?'}
              live={live.state === 'ok' && live.liveSlot === slot.slot}
              testId={`slot-${site.name}-${slot.slot ?? ''}`}
              liveTestId={`live-marker-${site.name}-${slot.slot ?? ''}`}
              clock={clock}
            />
          ))}
        </tbody>
      </table>

      <dl className="site-facts">
        <div>
          <dt>live slot</dt>
          <dd>
            <span
              className={`fact-value ${live.state === 'ok' && live.liveSlot ? 'live-slot' : 'unknown-value'}`}
              data-testid={`live-slot-${site.name}`}
              data-state={live.state}
            >
              {live.state === 'ok' && live.liveSlot ? live.liveSlot : 'unknown'}
            </span>
            {live.state === 'ok' ? (
              <span className="muted small mono" title="Evidence read from the router">
                {live.evidence ?? ''}
              </span>
            ) : (
              <UnknownNote reason={live.reason} lastGoodAt={live.lastGoodAt} now={clock.hostNow} bare />
            )}
            <FreshnessTag observedAt={live.observedAt} clock={clock} />
          </dd>
        </div>
        <div>
          <dt>database</dt>
          <dd>
            <span className={`fact-value db-role db-role-${site.dbRole}`} data-testid={`db-role-${site.name}`}>
              {site.dbRole}
            </span>
            {dbNodes.length > 0 && <span className="muted small mono">{dbNodes.join(', ')}</span>}
            {site.dbRole === 'unknown' && (
              <span className="unknown-note">role could not be read — see Replication</span>
            )}
          </dd>
        </div>
      </dl>
    </section>
  );
}
