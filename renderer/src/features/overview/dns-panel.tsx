/**
 * DNS as each provider's API holds it and as each of its authoritative nameservers serves it,
 * one group of rows per record, with the drift flags the core computed.
 */
import type { ViewClock } from '../../ui/age.ts';
import type { DnsRecordStatus, SiteStatus } from '../../../../shared/status.ts';
import { DnsRecordRows } from './dns-record-rows.tsx';

export interface DnsPanelProps {
  records: DnsRecordStatus[];
  sites: SiteStatus[];
  clock: ViewClock;
}

export function DnsPanel({ records, sites, clock }: DnsPanelProps) {
  return (
    <section className="card dns-panel" data-testid="dns-panel" aria-label="DNS">
      <header className="card-head">
        <h2>DNS</h2>
        <span className="muted small">provider API vs. what each authoritative nameserver serves</span>
      </header>
      {records.length === 0 ? (
        <p className="muted">No records configured for this environment.</p>
      ) : (
        <table className="dns-table">
          <colgroup>
            <col className="col-provider" />
            <col className="col-api" />
            <col className="col-served" />
            <col className="col-points" />
          </colgroup>
          <thead>
            <tr>
              <th scope="col">provider</th>
              <th scope="col">API</th>
              <th scope="col">served (per nameserver)</th>
              <th scope="col">points to</th>
            </tr>
          </thead>
          {records.map((r) => (
            <DnsRecordRows key={`${r.name}/${r.type}`} record={r} sites={sites} clock={clock} />
          ))}
        </table>
      )}
    </section>
  );
}
