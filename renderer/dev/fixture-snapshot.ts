/**
 * DEV ONLY — a realistic EnvironmentSnapshot of the lab, for looking at the dashboard without
 * the lab (renderer/dev/fake-host.ts serves it). Never used by tests that claim integration.
 *
 * Lab: sites `primary` (127.0.0.2, nginx) and `failover` (127.0.0.3, HAProxy), slots blue
 * (live) and green on both; DNS providers `powerdns` and `bind` (RFC 2136) for app.lab.test;
 * PostgreSQL nodes pg-primary and pg-replica.
 *
 * Scenarios: `healthy` (everything green, replica streaming with a changing lag) and
 * `incident` (a failing slot, an unknown router and replica, DNS drift and a stale answer).
 */
import type { DbNodeStatus, DnsAnswer, DnsRecordStatus, EnvironmentSnapshot, ProbeStatus, SiteStatus } from '../../shared/status.ts';

export type Scenario = 'healthy' | 'incident';

export const labWorkspace = {
  path: '/home/oncall/standby/lab/workspace.yaml',
  environments: [
    {
      name: 'lab',
      sites: [
        { name: 'primary', role: 'production' as const, address: '127.0.0.2' },
        { name: 'failover', role: 'failover' as const, address: '127.0.0.3' },
      ],
      objectives: { rtoSeconds: 60, rpoSeconds: 5 },
    },
    {
      name: 'staging',
      sites: [
        { name: 'primary', role: 'production' as const, address: '127.0.0.2' },
        { name: 'failover', role: 'failover' as const, address: '127.0.0.3' },
      ],
      objectives: { rtoSeconds: 120, rpoSeconds: 30 },
    },
  ],
};

/** Replica lag at time t (ms): a slow wave with a short burst every ~7 minutes. */
export function labLag(t: number): { bytes: number; seconds: number } {
  const s = t / 1000;
  const wave = 6_000 + 5_000 * Math.sin(s / 47) + 2_500 * Math.sin(s / 7.3);
  const burstPhase = (s % 420) / 420;
  const burst = burstPhase > 0.93 ? 180_000 * Math.sin(((burstPhase - 0.93) / 0.07) * Math.PI) : 0;
  const bytes = Math.max(0, Math.round(wave + burst + 800 * Math.sin(s * 1.7)));
  const seconds = Math.round((bytes / 60_000 + 0.05 * Math.abs(Math.sin(s / 3))) * 100) / 100;
  return { bytes, seconds };
}

function latencies(t: number, seed: number, base: number, failAt: number[] = []): (number | null)[] {
  const out: (number | null)[] = [];
  for (let i = 29; i >= 0; i--) {
    const k = Math.floor(t / 1000) - i;
    const v = base + 2 * Math.sin(k * 0.9 + seed) + 1.2 * Math.sin(k * 2.3 + seed * 3) + (k % 37 === 0 ? 9 : 0);
    out.push(failAt.includes(29 - i) ? null : Math.max(0.6, Math.round(v * 10) / 10));
  }
  return out;
}

function probe(p: Partial<ProbeStatus> & Pick<ProbeStatus, 'site' | 'slot' | 'url'>, t: number, base: number, seed: number): ProbeStatus {
  const recent = latencies(t, seed, base);
  return {
    id: `lab/${p.site}/${p.slot === null ? 'entry' : `slot/${p.slot}`}`,
    state: 'healthy',
    latencyMs: recent[recent.length - 1] ?? null,
    recentLatencyMs: recent,
    consecutiveFailures: 0,
    consecutiveSuccesses: 412,
    breaker: 'closed',
    lastCheckedAt: t - 300,
    lastGoodAt: t - 300,
    failingSince: null,
    ...p,
  };
}

function answer(values: string[], ttl: number | null, t: number, extra: Partial<DnsAnswer> = {}): DnsAnswer {
  return { state: 'ok', values, ttlSeconds: ttl, latencyMs: 2, observedAt: t - 400, lastGoodAt: t - 400, ...extra };
}

/** The lab's snapshot at time `t` (epoch ms) in the given scenario. */
export function labSnapshot(t: number, scenario: Scenario = 'healthy'): EnvironmentSnapshot {
  const lag = labLag(t);
  const incident = scenario === 'incident';

  const primary: SiteStatus = {
    name: 'primary',
    role: 'production',
    address: '127.0.0.2',
    state: 'healthy',
    reason: 'entry point and 2 slot(s) healthy',
    entry: probe({ site: 'primary', slot: null, url: 'http://127.0.0.2:15300/health' }, t, 6, 1),
    slots: [
      probe({ site: 'primary', slot: 'blue', url: 'http://127.0.0.2:15301/health', reported: { slot: 'blue', version: '2.14.1', dbRole: 'primary' } }, t, 4, 2),
      probe({ site: 'primary', slot: 'green', url: 'http://127.0.0.2:15302/health', reported: { slot: 'green', version: '2.15.0-rc.2' } }, t, 5, 3),
    ],
    liveSlot: { site: 'primary', router: 'nginx', state: 'ok', liveSlot: 'blue', evidence: 'server 127.0.0.2:15301', observedAt: t - 500, lastGoodAt: t - 500 },
    dbRole: 'primary',
    servesTraffic: true,
  };
  const failover: SiteStatus = {
    name: 'failover',
    role: 'failover',
    address: '127.0.0.3',
    state: 'healthy',
    reason: 'entry point and 2 slot(s) healthy',
    entry: probe({ site: 'failover', slot: null, url: 'http://127.0.0.3:15300/health' }, t, 7, 4),
    slots: [
      probe({ site: 'failover', slot: 'blue', url: 'http://127.0.0.3:15301/health', reported: { slot: 'blue', version: '2.14.1', dbRole: 'replica' } }, t, 5, 5),
      probe({ site: 'failover', slot: 'green', url: 'http://127.0.0.3:15302/health', reported: { slot: 'green', version: '2.14.1' } }, t, 5, 6),
    ],
    liveSlot: { site: 'failover', router: 'haproxy', state: 'ok', liveSlot: 'blue', evidence: 'be_app/blue op_state=2 admin_state=0', observedAt: t - 500, lastGoodAt: t - 500 },
    dbRole: 'replica',
    servesTraffic: false,
  };

  const replica: DbNodeStatus = {
    name: 'pg-replica',
    site: 'failover',
    engine: 'postgresql',
    state: 'ok',
    role: 'replica',
    walReceiver: 'streaming',
    lagBytes: lag.bytes,
    lagSeconds: lag.seconds,
    replayPaused: false,
    viaSsh: true,
    observedAt: t - 250,
    lastGoodAt: t - 250,
  };
  const databases: DbNodeStatus[] = [
    { name: 'pg-primary', site: 'primary', engine: 'postgresql', state: 'ok', role: 'primary', walReceiver: null, lagBytes: null, lagSeconds: null, replayPaused: null, viaSsh: false, observedAt: t - 250, lastGoodAt: t - 250 },
    replica,
  ];

  const record: DnsRecordStatus = {
    name: 'app.lab.test',
    type: 'A',
    normalTtlSeconds: 30,
    failoverTtlSeconds: 5,
    providers: [
      { provider: 'powerdns', kind: 'powerdns', api: answer(['127.0.0.2'], 30, t), served: { '127.0.0.1:15353': answer(['127.0.0.2'], 30, t) }, pointsTo: 'primary' },
      { provider: 'bind', kind: 'rfc2136', api: answer(['127.0.0.2'], 30, t), served: { '127.0.0.1:15354': answer(['127.0.0.2'], 30, t) }, pointsTo: 'primary' },
    ],
    flags: [],
    pointsTo: 'primary',
    maxServedTtlSeconds: 30,
  };

  const detection = 2.8;
  const runbook = 10;
  let snapshot: EnvironmentSnapshot = {
    environment: 'lab',
    generatedAt: t,
    sites: [primary, failover],
    dns: [record],
    databases,
    activeSite: 'primary',
    splitBrain: null,
    rpo: {
      verdict: lag.seconds > 5 ? 'breach' : 'ok',
      nowSeconds: lag.seconds,
      lagBytes: lag.bytes,
      objectiveSeconds: 5,
      explanation: `Replica pg-replica is ${lag.seconds} s (${(lag.bytes / 1024).toFixed(1)} KiB) behind its primary: a failover now would lose about ${lag.seconds} s of committed writes; objective 5 s.`,
    },
    rto: {
      verdict: 'ok',
      estimateSeconds: detection + runbook + 30,
      objectiveSeconds: 60,
      parts: { detectionSeconds: detection, runbookSeconds: runbook, dnsTtlSeconds: 30 },
      explanation: `detection 2.8 s (2 failed probes × 1000 ms + 800 ms timeout) + runbook 10 s (expected) + DNS drain 30 s (longest TTL served by any provider) = 42.8 s; objective 60 s.`,
    },
  };
  if (incident) snapshot = applyIncident(snapshot, t);
  return snapshot;
}

function applyIncident(s: EnvironmentSnapshot, t: number): EnvironmentSnapshot {
  const [primary, failover] = s.sites as [SiteStatus, SiteStatus];
  const blue = primary.slots[0]!;
  const green = primary.slots[1]!;
  primary.slots = [
    { ...blue, state: 'unhealthy', reason: 'ECONNREFUSED 127.0.0.2:15301', latencyMs: null, recentLatencyMs: blue.recentLatencyMs.map((v, i) => (i >= 24 ? null : v)), consecutiveFailures: 6, consecutiveSuccesses: 0, breaker: 'open', lastGoodAt: t - 6_300, failingSince: t - 6_000 },
    { ...green, state: 'unknown', reason: 'breaker half-open, probe in flight', latencyMs: null, breaker: 'half-open', lastCheckedAt: t - 9_000, lastGoodAt: t - 41_000 },
  ];
  primary.state = 'degraded';
  primary.reason = 'live slot blue unhealthy — ECONNREFUSED 127.0.0.2:15301; slot green unknown — breaker half-open';

  failover.liveSlot = { ...failover.liveSlot, state: 'unknown', liveSlot: null, evidence: undefined, reason: 'SSH to 127.0.0.3:2222 timed out after 3000 ms', observedAt: t - 14_000, lastGoodAt: t - 14_000 } as typeof failover.liveSlot;
  failover.state = 'unknown';
  failover.reason = 'live slot unknown — SSH to 127.0.0.3:2222 timed out after 3000 ms';
  failover.dbRole = 'unknown';

  const replica = s.databases[1]!;
  s.databases[1] = { ...replica, state: 'unknown', role: 'unknown', reason: 'connect ETIMEDOUT 127.0.0.3:5432 (via SSH tunnel)', walReceiver: null, lagBytes: null, lagSeconds: null, replayPaused: null, observedAt: t - 14_000, lastGoodAt: t - 14_000 };

  const rec = s.dns[0]!;
  const pdns = rec.providers[0]!;
  const bind = rec.providers[1]!;
  pdns.api = answer(['127.0.0.2'], 300, t);
  pdns.served = { '127.0.0.1:15353': answer(['127.0.0.2'], 300, t, { observedAt: t - 12_400, lastGoodAt: t - 12_400 }) };
  bind.api = answer(['127.0.0.2'], 30, t);
  bind.served = {
    '127.0.0.1:15354': answer(['127.0.0.3'], 30, t),
    '127.0.0.1:15355': { state: 'unknown', values: [], ttlSeconds: null, reason: 'query timed out after 800 ms', latencyMs: null, observedAt: t - 400, lastGoodAt: t - 21_000 },
  };
  bind.pointsTo = null;
  rec.pointsTo = null;
  rec.maxServedTtlSeconds = 300;
  rec.flags = [
    { flag: 'providers-disagree', detail: 'powerdns serves 127.0.0.2 (primary), bind serves 127.0.0.3 (failover)' },
    { flag: 'api-served-mismatch', detail: 'bind: API holds 127.0.0.2 but 127.0.0.1:15354 serves 127.0.0.3' },
    { flag: 'ttl-exceeds-rto', detail: 'powerdns serves TTL 300 s; with the RTO objective of 60 s resolvers may keep the old address for 5 min' },
    { flag: 'unknown', detail: 'bind nameserver 127.0.0.1:15355 did not answer (query timed out after 800 ms)' },
  ];
  s.activeSite = null;
  primary.servesTraffic = false;

  s.rpo = { verdict: 'unknown', nowSeconds: null, lagBytes: null, objectiveSeconds: 5, explanation: 'Cannot measure: pg-replica unknown — connect ETIMEDOUT 127.0.0.3:5432 (via SSH tunnel).' };
  s.rto = {
    verdict: 'breach',
    estimateSeconds: 312.8,
    objectiveSeconds: 60,
    parts: { detectionSeconds: 2.8, runbookSeconds: 10, dnsTtlSeconds: 300 },
    explanation: 'detection 2.8 s (2 failed probes × 1000 ms + 800 ms timeout) + runbook 10 s (expected) + DNS drain 300 s (longest TTL served by any provider) = 312.8 s; objective 60 s.',
  };
  return s;
}
