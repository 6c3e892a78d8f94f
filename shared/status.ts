/**
 * Domain types of what Standby observes. Shared by the core (which produces them) and the
 * renderer (which shows them). Plain data, JSON-safe: times are epoch milliseconds (ms),
 * durations are ms unless the field name says seconds (`…Seconds`), sizes are bytes.
 *
 * "Unknown is never healthy": every observation carries a `state`; `unknown` always has a
 * `reason` and, when there ever was one, the time of the last good sample (`lastGoodAt`).
 *
 * Each shape is a zod schema and its type is `z.infer` of it, so the `snapshot` event's
 * payload check (shared/contract/monitor.ts) and the types the core compiles against cannot
 * drift apart. Objects strip unknown keys on parse (a newer core may send more).
 */
import { z } from 'zod';

/** An epoch-ms instant, or null when it never happened. */
const at = z.number().nullable();

/** Verdict of one probe target or of a whole site. */
export const HealthStateSchema = z.enum(['healthy', 'degraded', 'unhealthy', 'unknown']);
export type HealthState = z.infer<typeof HealthStateSchema>;

/** cockatiel circuit-breaker state of one target (`isolated` = held open by an operator). */
export const BreakerStateSchema = z.enum(['closed', 'open', 'half-open', 'isolated']);
export type BreakerState = z.infer<typeof BreakerStateSchema>;

/** One HTTP health target (a site's entry point or one blue/green slot). */
export const ProbeStatusSchema = z.object({
  /** Stable id: `${env}/${site}/entry` or `${env}/${site}/slot/${slot}`. */
  id: z.string(),
  site: z.string(),
  /** `null` for the site's entry point (router), else the slot name. */
  slot: z.string().nullable(),
  url: z.string(),
  state: z.enum(['healthy', 'unhealthy', 'unknown']),
  /** Why it is unhealthy/unknown (HTTP status, timeout, ECONNREFUSED, breaker open…). */
  reason: z.string().optional(),
  /** Latency of the last completed probe, ms; null when it did not complete. */
  latencyMs: z.number().nullable(),
  /** Recent latencies, ms, oldest first (bounded, for the sparkline); null = failed probe. */
  recentLatencyMs: z.array(z.number().nullable()),
  consecutiveFailures: z.number(),
  consecutiveSuccesses: z.number(),
  breaker: BreakerStateSchema,
  /** Fields the endpoint reported in its JSON body (slot, version, database role), if any. */
  reported: z
    .object({ slot: z.string().optional(), version: z.string().optional(), dbRole: z.string().optional() })
    .optional(),
  lastCheckedAt: at,
  lastGoodAt: at,
  /**
   * Time of the first failed probe of the current failure streak, epoch ms: set by a failure
   * that follows a success (or no probe at all), kept through further failures (breaker-open
   * short-circuits included), null again after a success. null while the last probe succeeded
   * or none ran. The start of an outage as the prober saw it (a failover's recovery basis).
   */
  failingSince: at,
});
export type ProbeStatus = z.infer<typeof ProbeStatusSchema>;

/** Which slot the router of a site sends traffic to, read from the router itself. */
export const LiveSlotStatusSchema = z.object({
  site: z.string(),
  router: z.enum(['nginx', 'haproxy']),
  state: z.enum(['ok', 'unknown']),
  /** Slot name; null when unknown or when the router points at something we cannot name. */
  liveSlot: z.string().nullable(),
  /** Raw evidence, e.g. `server 127.0.0.2:15301` or `be/blue op_state=2 admin_state=0`. */
  evidence: z.string().optional(),
  reason: z.string().optional(),
  observedAt: at,
  lastGoodAt: at,
});
export type LiveSlotStatus = z.infer<typeof LiveSlotStatusSchema>;

export const DbRoleSchema = z.enum(['primary', 'replica', 'unknown', 'none']);
export type DbRole = z.infer<typeof DbRoleSchema>;

export const SiteStatusSchema = z.object({
  name: z.string(),
  /** `production` or `failover`, as configured (not who is active: that is where DNS points). */
  role: z.enum(['production', 'failover']),
  address: z.string(),
  state: HealthStateSchema,
  /** Why the site has this state (names the failing targets). */
  reason: z.string(),
  entry: ProbeStatusSchema,
  slots: z.array(ProbeStatusSchema),
  liveSlot: LiveSlotStatusSchema,
  /** Role of the database node on this site, as observed (`pg_is_in_recovery()`). */
  dbRole: DbRoleSchema,
  /** True when some DNS record currently points at this site at every provider. */
  servesTraffic: z.boolean(),
});
export type SiteStatus = z.infer<typeof SiteStatusSchema>;

/** What one source (a provider API or one authoritative nameserver) says about a record set. */
export const DnsAnswerSchema = z.object({
  state: z.enum(['ok', 'unknown']),
  /** Record values (e.g. IPv4 addresses), sorted; empty = the record set does not exist. */
  values: z.array(z.string()),
  /** TTL in seconds; null when unknown or absent. */
  ttlSeconds: z.number().nullable(),
  reason: z.string().optional(),
  /** How long the query took, ms. */
  latencyMs: z.number().nullable(),
  /** A nameserver given by name, with the address it resolved to: `ns1.example.net (192.0.2.53):53`. */
  server: z.string().optional(),
  observedAt: at,
  lastGoodAt: at,
});
export type DnsAnswer = z.infer<typeof DnsAnswerSchema>;

/** One record set at one provider: the API's view and what each of its nameservers serves. */
export const DnsProviderViewSchema = z.object({
  provider: z.string(),
  kind: z.string(),
  api: DnsAnswerSchema,
  /** Keyed by nameserver (`host:port`). */
  served: z.record(z.string(), DnsAnswerSchema),
  /** Present and true when the API key goes over plain http to a non-loopback host (`allowInsecureHttp`). */
  insecureHttp: z.boolean().optional(),
  /** Site name the served answer points at, null when it matches no site, unknown or mixed. */
  pointsTo: z.string().nullable(),
});
export type DnsProviderView = z.infer<typeof DnsProviderViewSchema>;

export const DnsFlagSchema = z.enum(['providers-disagree', 'api-served-mismatch', 'ttl-exceeds-rto', 'unknown']);
export type DnsFlag = z.infer<typeof DnsFlagSchema>;

export const DnsRecordStatusSchema = z.object({
  /** Fully qualified, without trailing dot: `app.lab.test`. */
  name: z.string(),
  type: z.string(),
  normalTtlSeconds: z.number(),
  failoverTtlSeconds: z.number(),
  providers: z.array(DnsProviderViewSchema),
  flags: z.array(z.object({ flag: DnsFlagSchema, detail: z.string() })),
  /** Site every provider's served answer points at; null when they disagree or are unknown. */
  pointsTo: z.string().nullable(),
  /** Longest TTL any provider serves for this record, s (null when none is known). */
  maxServedTtlSeconds: z.number().nullable(),
});
export type DnsRecordStatus = z.infer<typeof DnsRecordStatusSchema>;

export const DbNodeStatusSchema = z.object({
  name: z.string(),
  site: z.string(),
  engine: z.literal('postgresql'),
  state: z.enum(['ok', 'unknown']),
  role: DbRoleSchema,
  reason: z.string().optional(),
  /** WAL receiver state on a replica (`streaming`, `catchup`, …), null if none. */
  walReceiver: z.string().nullable(),
  /** Replication lag, bytes: primary's current LSN minus this replica's replay LSN. */
  lagBytes: z.number().nullable(),
  /**
   * Replication lag, seconds: 0 when caught up (LSN diff 0), else the age of the last replayed
   * transaction. PostgreSQL's `*_lag` columns go NULL when idle, so the LSN diff decides.
   */
  lagSeconds: z.number().nullable(),
  /**
   * The last lag actually measured (s, bytes, when: epoch ms), kept while lag cannot be
   * measured (e.g. the primary is down). null on a primary or before the first measurement.
   */
  lastKnownLag: z.object({ seconds: z.number(), bytes: z.number().nullable(), at: z.number() }).nullable().optional(),
  /** True when replay is paused (`pg_get_wal_replay_pause_state()`). */
  replayPaused: z.boolean().nullable(),
  /** Reached through an SSH tunnel (forwardOut) rather than directly. */
  viaSsh: z.boolean(),
  observedAt: at,
  lastGoodAt: at,
});
export type DbNodeStatus = z.infer<typeof DbNodeStatusSchema>;

export const VerdictSchema = z.enum(['ok', 'breach', 'unknown']);
export type Verdict = z.infer<typeof VerdictSchema>;

/** RPO now: how much committed data a failover right now would lose, as replication lag. */
export const RpoStatusSchema = z.object({
  verdict: VerdictSchema,
  /** Current lag, seconds (worst replica); null when unknown. */
  nowSeconds: z.number().nullable(),
  lagBytes: z.number().nullable(),
  objectiveSeconds: z.number(),
  /** How it was computed, in words, with the numbers. */
  explanation: z.string(),
});
export type RpoStatus = z.infer<typeof RpoStatusSchema>;

/** RTO estimate: detection + runbook + DNS drain, against the objective. */
export const RtoStatusSchema = z.object({
  verdict: VerdictSchema,
  estimateSeconds: z.number().nullable(),
  objectiveSeconds: z.number(),
  parts: z.object({ detectionSeconds: z.number(), runbookSeconds: z.number(), dnsTtlSeconds: z.number().nullable() }),
  explanation: z.string(),
});
export type RtoStatus = z.infer<typeof RtoStatusSchema>;

/**
 * Two or more database nodes observed writable at the same time (each answered
 * `pg_is_in_recovery() = false` in the same poll round): clients on either side can commit
 * writes the other never sees. Typically the old primary came back after a failover whose fence
 * could not be verified.
 */
export const SplitBrainStatusSchema = z.object({
  /** The writable nodes, e.g. `['pg-primary', 'pg-replica']`. */
  nodes: z.array(z.string()),
  /** What was observed and what to do about it, in words. */
  detail: z.string(),
});
export type SplitBrainStatus = z.infer<typeof SplitBrainStatusSchema>;

/** DR posture (see electron/core/monitor/compute-posture.ts): can the environment fail over again now? */
export const PostureStateSchema = z.enum(['protected', 'degraded', 'unprotected']);
export type PostureState = z.infer<typeof PostureStateSchema>;

export const PostureSchema = z.object({
  state: PostureStateSchema,
  /** One sentence: what makes it so (the failing check, or the replica and its lag). */
  reason: z.string(),
  /** The standby site judged (null when there is none or it cannot be told). */
  standbySite: z.string().nullable(),
  /** The replica that would be promoted (null when there is none). */
  replica: z.string().nullable(),
  /** The facts behind the verdict, one line each. */
  evidence: z.array(z.string()),
  /** Runbook that restores protection (failback / rejoin); null when protected or none fits. */
  restoreRunbook: z.string().nullable(),
});
export type Posture = z.infer<typeof PostureSchema>;

/** Everything the dashboard shows for one environment, at one instant. */
export const EnvironmentSnapshotSchema = z.object({
  environment: z.string(),
  generatedAt: z.number(),
  sites: z.array(SiteStatusSchema),
  dns: z.array(DnsRecordStatusSchema),
  databases: z.array(DbNodeStatusSchema),
  rpo: RpoStatusSchema,
  rto: RtoStatusSchema,
  /** Site DNS points at (at every provider), or null when not agreed / unknown. */
  activeSite: z.string().nullable(),
  /** Set while more than one node is observed writable; null otherwise (or when unknown). */
  splitBrain: SplitBrainStatusSchema.nullable(),
  /** DR posture; absent from an older core (shown as unknown, never as protected). */
  posture: PostureSchema.optional(),
});
export type EnvironmentSnapshot = z.infer<typeof EnvironmentSnapshotSchema>;

/** Metrics the sample store keeps per environment and key. */
export const seriesMetrics = ['replication-lag-bytes', 'replication-lag-seconds', 'probe-latency-ms'] as const;
export const SeriesMetricSchema = z.enum(seriesMetrics);
export type SeriesMetric = z.infer<typeof SeriesMetricSchema>;

/** One point of a time series: t = epoch ms, v = value (null = no data / gap). */
export const SeriesPointSchema = z.object({ t: z.number(), v: z.number().nullable() });
export type SeriesPoint = z.infer<typeof SeriesPointSchema>;

export const EnvironmentSummarySchema = z.object({
  name: z.string(),
  sites: z.array(z.object({ name: z.string(), role: z.enum(['production', 'failover']), address: z.string() })),
  objectives: z.object({ rtoSeconds: z.number(), rpoSeconds: z.number() }),
  /** Health probe interval, ms (probe observations are stale past 3× this). */
  probeIntervalMs: z.number(),
  /** DNS, replication and live-slot poll interval, ms (stale past 3× this). */
  pollIntervalMs: z.number(),
});
export type EnvironmentSummary = z.infer<typeof EnvironmentSummarySchema>;

export const WorkspaceInfoSchema = z.object({
  /** Absolute path of the workspace file in use. */
  path: z.string(),
  environments: z.array(EnvironmentSummarySchema),
});
export type WorkspaceInfo = z.infer<typeof WorkspaceInfoSchema>;
