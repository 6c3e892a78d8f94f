/**
 * Where DNS points right now, per provider and nameserver (from the live snapshot): during a
 * run that flips DNS — and when a provider fails mid-run — the operator sees which provider
 * serves which answer without leaving the run.
 */
import { providerRow } from '../overview/dns-view.ts';
import { formatAge } from '../../ui/age.ts';
import { useClockStore } from '../../ui/clock-store.ts';
import { useSnapshotStore } from '../overview/snapshot-store.ts';
import { Icon } from '../../ui/icon.tsx';

export function RunDnsNow({ env }: { env: string }) {
  const entry = useSnapshotStore((s) => s.byEnv[env]);
  const now = useClockStore((s) => s.now);
  if (!entry) return null;
  const snap = entry.snapshot;
  return (
    <section className="card dns-now" data-testid="run-dns-now" aria-label="DNS now">
      <header className="card-head">
        <h2>DNS now</h2>
        <span className="muted small">served answers · {formatAge(now - entry.receivedAt)} ago</span>
      </header>
      {snap.dns.map((rec) => (
        <div key={`${rec.name}/${rec.type}`} className="dns-now-record">
          <div className="dns-now-name">
            <span className="mono strong">{rec.name}</span>
            <span className="type-pill">{rec.type}</span>
            {rec.pointsTo ? (
              <span className="small">
                → <strong className="site-ref">{rec.pointsTo}</strong>
              </span>
            ) : (
              <span className="small tone-text-unknown">
                <Icon name="question" /> providers disagree
              </span>
            )}
          </div>
          <table className="dns-now-table">
            <tbody>
              {rec.providers.map((p) => {
                const row = providerRow(p, snap.sites);
                return row.served.map((cell, i) => (
                  <tr key={`${row.provider}/${cell.nameserver}`} data-testid={`dns-now-${rec.name}-${row.provider}`}>
                    <th scope="row">{i === 0 ? row.provider : ''}</th>
                    <td className="mono muted small">{cell.nameserver}</td>
                    <td className={`mono${cell.answer.state === 'ok' ? '' : ' tone-text-unknown'}`}>{cell.text}</td>
                    <td className="small">
                      {cell.site ? (
                        <span className="site-ref">{cell.site}</span>
                      ) : (
                        <span className="tone-text-unknown">—</span>
                      )}
                    </td>
                  </tr>
                ));
              })}
            </tbody>
          </table>
        </div>
      ))}
    </section>
  );
}
