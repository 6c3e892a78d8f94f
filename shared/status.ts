/**
 * Domain types of what Standby observes. Shared by the core (which produces them) and the
 * renderer (which shows them). Plain data, JSON-safe: times are epoch milliseconds (ms),
 * durations are ms unless the field name says seconds (`…Seconds`), sizes are bytes.
 *
 * "Unknown is never healthy": every observation carries a `state`; `unknown` always has a
 * `reason` and, when there ever was one, the time of the last good sample (`lastGoodAt`).
 */

/** Verdict of one probe target or of a whole site. */
export type HealthState = 'healthy' | 'degraded' | 'unhealthy' | 'unknown';

/** cockatiel circuit-breaker state of one target (`isolated` = held open by an operator). */
export type BreakerState = 'closed' | 'open' | 'half-open' | 'isolated';

/** One HTTP health target (a site's entry point or one blue/green slot). */
export interface ProbeStatus {
  /** Stable id: `${env}/${site}/entry` or `${env}/${site}/slot/${slot}`. */
  id: string;
  site: string;
  /** `null` for the site's entry point (router), else the slot name. */
  slot: string | null;
  url: string;
  state: Exclude<HealthState, 'degraded'>;
  /** Why it is unhealthy/unknown (HTTP status, timeout, ECONNREFUSED, breaker open…). */
  reason?: string;
  /** Latency of the last completed probe, ms; null when it did not complete. */
  latencyMs: number | null;
  /** Recent latencies, ms, oldest first (bounded, for the sparkline); null = failed probe. */
  recentLatencyMs: (number | null)[];
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  breaker: BreakerState;
  /** Fields the endpoint reported in its JSON body (slot, version, database role), if any. */
  reported?: { slot?: string; version?: string; dbRole?: string };
  lastCheckedAt: number | null;
  lastGoodAt: number | null;
  /**
   * Time of the first failed probe of the current failure streak, epoch ms: set by a failure
   * that follows a success (or no probe at all), kept through further failures (breaker-open
   * short-circuits included), null again after a success. null while the last probe succeeded
   * or none ran. The start of an outage as the prober saw it (a failover's recovery basis).
   */
  failingSince: number | null;
}

/** Which slot the router of a site sends traffic to, read from the router itself. */
export interface LiveSlotStatus {
  site: string;
  router: 'nginx' | 'haproxy';
  state: 'ok' | 'unknown';
  /** Slot name; null when unknown or when the router points at something we cannot name. */
  liveSlot: string | null;
  /** Raw evidence, e.g. `server 127.0.0.2:15301` or `be/blue op_state=2 admin_state=0`. */
  evidence?: string;
  reason?: string;
  observedAt: number | null;
  lastGoodAt: number | null;
}

export interface SiteStatus {
  name: string;
  /** `production` or `failover`, as configured (not who is active: that is where DNS points). */
  role: 'production' | 'failover';
  address: string;
  state: HealthState;
  /** Why the site has this state (names the failing targets). */
  reason: string;
  entry: ProbeStatus;
  slots: ProbeStatus[];
  liveSlot: LiveSlotStatus;
  /** Role of the database node on this site, as observed (`pg_is_in_recovery()`). */
  dbRole: DbRole;
  /** True when some DNS record currently points at this site at every provider. */
  servesTraffic: boolean;
}

/** What one source (a provider API or one authoritative nameserver) says about a record set. */
export interface DnsAnswer {
  state: 'ok' | 'unknown';
  /** Record values (e.g. IPv4 addresses), sorted; empty = the record set does not exist. */
  values: string[];
  /** TTL in seconds; null when unknown or absent. */
  ttlSeconds: number | null;
  reason?: string;
  /** How long the query took, ms. */
  latencyMs: number | null;
  observedAt: number | null;
  lastGoodAt: number | null;
}

/** One record set at one provider: the API's view and what each of its nameservers serves. */
export interface DnsProviderView {
  provider: string;
  kind: string;
  api: DnsAnswer;
  /** Keyed by nameserver (`host:port`). */
  served: Record<string, DnsAnswer>;
  /** Site name the served answer points at, null when it matches no site, unknown or mixed. */
  pointsTo: string | null;
}

export type DnsFlag = 'providers-disagree' | 'api-served-mismatch' | 'ttl-exceeds-rto' | 'unknown';

export interface DnsRecordStatus {
  /** Fully qualified, without trailing dot: `app.lab.test`. */
  name: string;
  type: string;
  normalTtlSeconds: number;
  failoverTtlSeconds: number;
  providers: DnsProviderView[];
  flags: { flag: DnsFlag; detail: string }[];
  /** Site every provider's served answer points at; null when they disagree or are unknown. */
  pointsTo: string | null;
  /** Longest TTL any provider serves for this record, s (null when none is known). */
  maxServedTtlSeconds: number | null;
}

export type DbRole = 'primary' | 'replica' | 'unknown' | 'none';

export interface DbNodeStatus {
  name: string;
  site: string;
  engine: 'postgresql';
  state: 'ok' | 'unknown';
  role: DbRole;
  reason?: string;
  /** WAL receiver state on a replica (`streaming`, `catchup`, …), null if none. */
  walReceiver: string | null;
  /** Replication lag, bytes: primary's current LSN minus this replica's replay LSN. */
  lagBytes: number | null;
  /**
   * Replication lag, seconds: 0 when caught up (LSN diff 0), else the age of the last replayed
   * transaction. PostgreSQL's `*_lag` columns go NULL when idle, so the LSN diff decides.
   */
  lagSeconds: number | null;
  /**
   * The last lag actually measured (s, bytes, when: epoch ms), kept while lag cannot be
   * measured (e.g. the primary is down). null on a primary or before the first measurement.
   */
  lastKnownLag?: { seconds: number; bytes: number | null; at: number } | null;
  /** True when replay is paused (`pg_get_wal_replay_pause_state()`). */
  replayPaused: boolean | null;
  /** Reached through an SSH tunnel (forwardOut) rather than directly. */
  viaSsh: boolean;
  observedAt: number | null;
  lastGoodAt: number | null;
}

export type Verdict = 'ok' | 'breach' | 'unknown';

/** RPO now: how much committed data a failover right now would lose, as replication lag. */
export interface RpoStatus {
  verdict: Verdict;
  /** Current lag, seconds (worst replica); null when unknown. */
  nowSeconds: number | null;
  lagBytes: number | null;
  objectiveSeconds: number;
  /** How it was computed, in words, with the numbers. */
  explanation: string;
}

/** RTO estimate: detection + runbook + DNS drain, against the objective. */
export interface RtoStatus {
  verdict: Verdict;
  estimateSeconds: number | null;
  objectiveSeconds: number;
  parts: { detectionSeconds: number; runbookSeconds: number; dnsTtlSeconds: number | null };
  explanation: string;
}

/**
 * Two or more database nodes observed writable at the same time (each answered
 * `pg_is_in_recovery() = false` in the same poll round): clients on either side can commit
 * writes the other never sees. Typically the old primary came back after a failover whose fence
 * could not be verified.
 */
export interface SplitBrainStatus {
  /** The writable nodes, e.g. `['pg-primary', 'pg-replica']`. */
  nodes: string[];
  /** What was observed and what to do about it, in words. */
  detail: string;
}

/** Everything the dashboard shows for one environment, at one instant. */
export interface EnvironmentSnapshot {
  environment: string;
  generatedAt: number;
  sites: SiteStatus[];
  dns: DnsRecordStatus[];
  databases: DbNodeStatus[];
  rpo: RpoStatus;
  rto: RtoStatus;
  /** Site DNS points at (at every provider), or null when not agreed / unknown. */
  activeSite: string | null;
  /** Set while more than one node is observed writable; null otherwise (or when unknown). */
  splitBrain: SplitBrainStatus | null;
}

/** One point of a time series: t = epoch ms, v = value (null = no data / gap). */
export interface SeriesPoint {
  t: number;
  v: number | null;
}

export type SeriesMetric = 'replication-lag-bytes' | 'replication-lag-seconds' | 'probe-latency-ms';

export interface EnvironmentSummary {
  name: string;
  sites: { name: string; role: 'production' | 'failover'; address: string }[];
  objectives: { rtoSeconds: number; rpoSeconds: number };
  /** Health probe interval, ms (probe observations are stale past 3× this). */
  probeIntervalMs: number;
  /** DNS, replication and live-slot poll interval, ms (stale past 3× this). */
  pollIntervalMs: number;
}

export interface WorkspaceInfo {
  /** Absolute path of the workspace file in use. */
  path: string;
  environments: EnvironmentSummary[];
}
