/** One record in the DNS table: a heading row with flags, then one row per provider. */
import type { DnsAnswer, DnsRecordStatus, SiteStatus } from '../../../../shared/status.ts';
import { observationFreshness, type ViewClock } from '../../ui/age.ts';
import { providerRow } from './dns-view.ts';
import { dnsFlagBadge, stateBadge } from '../../ui/state-badge.ts';
import { FreshnessTag } from '../../ui/freshness-tag.tsx';
import { Icon } from '../../ui/icon.tsx';
import { StateBadge } from '../../ui/state-badge.tsx';
import { UnknownNote } from '../../ui/unknown-note.tsx';

export interface DnsRecordRowsProps {
  record: DnsRecordStatus;
  sites: SiteStatus[];
  clock: ViewClock;
}

export function DnsRecordRows({ record, sites, clock }: DnsRecordRowsProps) {
  const rows = record.providers.map((p) => providerRow(p, sites));
  return (
    <tbody className="dns-record" data-testid={`dns-record-${record.name}`}>
      <tr className="dns-record-head">
        <th colSpan={4} scope="rowgroup">
          <div className="dns-record-line">
            <span className="mono strong">{record.name}</span>
            <span className="type-pill">{record.type}</span>
            <span className="muted small">
              TTL normal {record.normalTtlSeconds} s · failover {record.failoverTtlSeconds} s · longest served{' '}
              {record.maxServedTtlSeconds === null ? '—' : `${record.maxServedTtlSeconds} s`}
            </span>
            <span className="dns-points">
              points to{' '}
              {record.pointsTo ? (
                <strong className="site-ref">{record.pointsTo}</strong>
              ) : (
                <StateBadge badge={stateBadge('unknown')} text="no agreed site" size="sm" />
              )}
            </span>
            <span className="dns-flags" data-testid={`dns-flags-${record.name}`}>
              {record.flags.map((f) => (
                <StateBadge key={f.flag} badge={dnsFlagBadge(f.flag)} size="sm" title={f.detail} dataState={f.flag} />
              ))}
            </span>
            {record.flags.length === 0 && (
              <span className="in-sync small" data-testid={`dns-in-sync-${record.name}`}>
                <Icon name="check" /> consistent
              </span>
            )}
          </div>
          {record.flags.length > 0 && (
            <ul className="flag-details" data-testid={`dns-flag-details-${record.name}`}>
              {record.flags.map((f) => (
                <li key={f.flag}>
                  <span className="mono strong">{f.flag}</span> — {f.detail}
                </li>
              ))}
            </ul>
          )}
        </th>
      </tr>
      {rows.map((row) => (
        <tr
          key={row.provider}
          className="dns-row"
          data-testid={`dns-row-${record.name}-${row.provider}`}
          data-mismatch={row.valueMismatch || undefined}
        >
          <th scope="row" className="dns-provider">
            <span className="strong">{row.provider}</span>
            <span className="muted small">{row.kind}</span>
            {row.insecureHttp && (
              <span
                className="badge tone-warn"
                data-testid={`insecure-http-${row.provider}`}
                title="The API key is sent over plain http (allowInsecureHttp: true)"
              >
                insecure http
              </span>
            )}
          </th>
          <td className="dns-api" data-testid={`dns-api-${record.name}-${row.provider}`}>
            <AnswerLine answer={row.api} text={row.apiText} site={row.apiSite} clock={clock} />
          </td>
          <td className="dns-served" data-testid={`dns-served-${record.name}-${row.provider}`}>
            {row.served.length === 0 && <span className="muted">no nameservers configured</span>}
            {row.served.map((cell) => (
              <div
                key={cell.nameserver}
                className={`served-line${cell.valuesMatchApi === false ? ' mismatch' : ''}`}
                data-nameserver={cell.nameserver}
              >
                <span className="ns mono muted">{cell.answer.server ?? cell.nameserver}</span>
                <AnswerLine
                  answer={cell.answer}
                  text={cell.text}
                  site={cell.site !== row.apiSite ? (cell.site ?? 'no site') : null}
                  clock={clock}
                />
                {cell.valuesMatchApi === false && (
                  <span className="diff-note tone-text-bad small">
                    <Icon name="cross" /> differs from API
                  </span>
                )}
                {cell.valuesMatchApi !== false && cell.ttlMatchesApi === false && (
                  <span className="diff-note tone-text-warn small">
                    <Icon name="warn" /> TTL differs from API
                  </span>
                )}
              </div>
            ))}
          </td>
          <td className="dns-points-cell">
            {row.pointsTo ? (
              <strong className="site-ref">{row.pointsTo}</strong>
            ) : (
              <span className="tone-text-unknown">no single site</span>
            )}
          </td>
        </tr>
      ))}
    </tbody>
  );
}

function AnswerLine({
  answer,
  text,
  site,
  clock,
}: {
  answer: DnsAnswer;
  text: string;
  site: string | null;
  clock: ViewClock;
}) {
  if (answer.state !== 'ok') {
    return (
      <span className="answer answer-unknown" data-state="unknown">
        <UnknownNote reason={answer.reason} lastGoodAt={answer.lastGoodAt} now={clock.hostNow} />
      </span>
    );
  }
  const stale = observationFreshness(answer.observedAt, clock).stale;
  return (
    <span className={`answer${stale ? ' is-stale' : ''}`} data-state="ok">
      <span className="mono answer-value">{text}</span>
      {site && <span className="site-ref small">→ {site}</span>}
      <FreshnessTag observedAt={answer.observedAt} clock={clock} />
    </span>
  );
}
