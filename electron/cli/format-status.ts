/**
 * Human-readable one-screen status for `standby status` (without --json).
 */
import type { EnvironmentSnapshot } from '../../shared/status.ts';

const ageS = (t: number | null, now: number): string =>
  t === null ? 'never' : `${Math.round((now - t) / 1000)} s ago`;

export function formatStatus(s: EnvironmentSnapshot): string {
  const now = s.generatedAt;
  const lines: string[] = [
    `environment ${s.environment} — active site: ${s.activeSite ?? 'UNKNOWN (providers disagree or unreachable)'}`,
  ];
  if (s.splitBrain) lines.push(`SPLIT BRAIN: ${s.splitBrain.detail}`);
  const p = s.posture;
  lines.push(
    p
      ? `posture: ${p.state.toUpperCase()} — ${p.reason}${p.restoreRunbook ? `. Restore: standby plan ${p.restoreRunbook}` : ''}`
      : 'posture: UNKNOWN — not computed',
  );
  for (const site of s.sites) {
    lines.push(`site ${site.name} (${site.role}, ${site.address}): ${site.state.toUpperCase()} — ${site.reason}`);
    lines.push(
      `  live slot: ${site.liveSlot.state === 'ok' ? site.liveSlot.liveSlot : `unknown — ${site.liveSlot.reason} (last good ${ageS(site.liveSlot.lastGoodAt, now)})`}; database: ${site.dbRole}`,
    );
    for (const p of [site.entry, ...site.slots]) {
      lines.push(
        `  ${p.slot ?? 'entry'}: ${p.state}${p.latencyMs !== null ? ` ${p.latencyMs.toFixed(1)} ms` : ''}${p.reason ? ` — ${p.reason}` : ''}`,
      );
    }
  }
  for (const r of s.dns) {
    lines.push(
      `dns ${r.name} ${r.type}: points to ${r.pointsTo ?? 'UNKNOWN'}${r.flags.length ? ` — flags: ${r.flags.map((f) => f.flag).join(', ')}` : ''}`,
    );
    for (const p of r.providers) {
      const served = Object.entries(p.served).map(
        ([ns, a]) =>
          `${a.server ?? ns} ${a.state === 'ok' ? `${a.values.join(',') || '(none)'} TTL ${a.ttlSeconds}` : `unknown — ${a.reason}`}`,
      );
      lines.push(
        `  ${p.provider}${p.insecureHttp ? ' [insecure http]' : ''}: api ${p.api.state === 'ok' ? `${p.api.values.join(',')} TTL ${p.api.ttlSeconds}` : `unknown — ${p.api.reason}`}; served ${served.join('; ')}`,
      );
    }
  }
  for (const d of s.databases) {
    lines.push(
      `db ${d.name} (${d.site}): ${d.state === 'ok' ? d.role : `unknown — ${d.reason}`}${d.role === 'replica' ? ` lag ${d.lagBytes ?? '?'} B / ${d.lagSeconds ?? '?'} s, receiver ${d.walReceiver ?? 'none'}` : ''}`,
    );
  }
  lines.push(`RPO now: ${s.rpo.verdict.toUpperCase()} — ${s.rpo.explanation}`);
  // an RTO "ok" with nothing to fail over to would be the lie this line exists to avoid
  const noStandby = p?.state === 'unprotected' ? 'NO STANDBY (estimate applies once protection is restored) — ' : '';
  lines.push(`RTO estimate: ${noStandby || `${s.rto.verdict.toUpperCase()} — `}${s.rto.explanation}`);
  return lines.join('\n');
}
