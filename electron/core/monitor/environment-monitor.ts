/**
 * Watches one environment: health probes, DNS at every provider, replication, live slots.
 * Each domain runs on its own loop (a bulkhead: a dead DNS provider or SSH host never delays
 * the probes), writes samples to the store and the monitor assembles a snapshot from the
 * latest statuses — on every change of a probe verdict immediately, otherwise once a second.
 */
import type {
  EnvironmentSnapshot,
  SiteStatus,
  DbRole,
  DbNodeStatus,
  LiveSlotStatus,
  ProbeStatus,
} from '../../../shared/status.ts';
import type { Environment } from '../config/workspace-schema.ts';
import { HealthService } from '../health/health-service.ts';
import { DnsService } from '../dns/dns-service.ts';
import { ReplicationService } from '../database/replication-service.ts';
import { LiveSlotService } from '../traffic/live-slot-service.ts';
import { requireNamed, type EnvironmentServices } from '../environment/environment-services.ts';
import type { SampleStore } from '../store/sample-store.ts';
import { startPollLoop, type PollLoop } from '../platform/poll-loop.ts';
import { computeSiteStatus } from './compute-site-status.ts';
import { detectSplitBrain } from './detect-split-brain.ts';
import { computeRpo, computeRto } from './compute-objectives.ts';
import { computePosture, type PostureRunbook } from './compute-posture.ts';

export interface MonitorEvents {
  snapshot(snapshot: EnvironmentSnapshot): void;
  samples(
    metric: 'replication-lag-bytes' | 'replication-lag-seconds',
    key: string,
    points: { t: number; v: number | null }[],
  ): void;
  error(where: string, error: unknown): void;
}

export class EnvironmentMonitor {
  readonly env: Environment;
  private readonly health: HealthService;
  private readonly dns: DnsService;
  private readonly replication: ReplicationService;
  private readonly slots: LiveSlotService;
  private readonly loops: PollLoop[] = [];
  private readonly events: MonitorEvents;
  private snapshotTimer: NodeJS.Timeout | null = null;
  private pending: NodeJS.Timeout | null = null;
  private last: EnvironmentSnapshot | null = null;
  private refreshing: Promise<void> | null = null;
  private readonly store: SampleStore;
  private readonly runbooks: () => PostureRunbook[];

  /**
   * @param services the environment's services (DNS providers, database adapters, slot routers):
   *        shared with the run engine, closed by their owner, never by the monitor
   * @param store sample store (lag and probe latency series)
   * @param events callbacks for snapshots, new samples and loop errors
   * @param runbooks the workspace's runbooks now (names the one that restores protection in the
   *        posture); handed over by create-core, since the monitor never imports the runbooks
   */
  constructor(
    services: EnvironmentServices,
    store: SampleStore,
    events: MonitorEvents,
    runbooks: () => PostureRunbook[] = () => [],
  ) {
    const env = services.env;
    this.runbooks = runbooks;
    this.env = env;
    this.events = events;
    this.store = store;
    this.health = new HealthService({
      env,
      onSample: (probeId, t, latencyMs) =>
        store.add({ env: env.name, metric: 'probe-latency-ms', key: probeId, t, v: latencyMs }),
    });
    this.dns = new DnsService({ env, providers: [...services.dns.providers] });
    this.replication = new ReplicationService({
      env,
      createAdapter: (db) => requireNamed(services.replication, db.name).adapter,
      onSample: (node, t, lagBytes, lagSeconds) => {
        store.add({ env: env.name, metric: 'replication-lag-bytes', key: node, t, v: lagBytes });
        store.add({ env: env.name, metric: 'replication-lag-seconds', key: node, t, v: lagSeconds });
        this.events.samples('replication-lag-bytes', node, [{ t, v: lagBytes }]);
        this.events.samples('replication-lag-seconds', node, [{ t, v: lagSeconds }]);
      },
    });
    this.slots = new LiveSlotService({ env, createRouter: (site) => requireNamed(services.routers, site.name) });
  }

  /** Starts every loop; returns at once (first results arrive within one interval). */
  start(): void {
    this.health.onChange(() => this.scheduleSnapshot());
    this.health.start();
    const onError = (where: string) => (e: unknown) => this.events.error(`${this.env.name}/${where}`, e);
    const every = this.env.pollIntervalMs;
    this.loops.push(
      startPollLoop(every, () => this.dns.pollOnce().then(() => this.scheduleSnapshot()), onError('dns')),
    );
    this.loops.push(
      startPollLoop(
        every,
        () => this.replication.pollOnce().then(() => this.scheduleSnapshot()),
        onError('replication'),
      ),
    );
    this.loops.push(
      startPollLoop(every, () => this.slots.pollOnce().then(() => this.scheduleSnapshot()), onError('traffic')),
    );
    this.snapshotTimer = setInterval(() => this.emitSnapshot(), 1000);
  }

  /** Polls every domain once and returns the snapshot (for `standby status`). */
  async pollOnce(): Promise<EnvironmentSnapshot> {
    await Promise.allSettled([
      this.health.pollOnce(),
      this.dns.pollOnce(),
      this.replication.pollOnce(),
      this.slots.pollOnce(),
    ]);
    // A target whose verdict is pending — unknown after its first answer, or a healthy target
    // that just failed (an unhealthy one that just answered) — is probed again, at most
    // threshold rounds, so a one-shot observation (CLI status, a safety check right before a
    // step) never reports a failing target as healthy.
    const p = this.env.probes;
    const rounds = Math.max(p.healthyThreshold, p.unhealthyThreshold);
    const pending = (s: ProbeStatus) =>
      (s.state === 'unknown' && s.lastCheckedAt !== null) ||
      (s.state === 'healthy' && s.consecutiveFailures > 0) ||
      (s.state === 'unhealthy' && s.consecutiveSuccesses > 0);
    for (let i = 1; i < rounds && this.health.statuses().some(pending); i++) {
      await this.health.pollOnce();
    }
    return this.snapshot();
  }

  /**
   * Re-reads DNS, replication and live slots now (not waiting for the next poll round, ≤ 1 s
   * away) and pushes the snapshot — called after a runbook step changed one of them, so the
   * dashboard never shows the old DNS answer beside a step that just verified the new one.
   * Health keeps its own loop (extra probes would skew its thresholds). Calls while one is in
   * flight share it. Never rejects (each domain turns its own failures into `unknown`).
   */
  refresh(): Promise<void> {
    // each domain pushes as soon as it has read: a slow SSH host must not hold back the DNS answer
    const read = (d: { pollOnce(): Promise<unknown> }) => d.pollOnce().then(() => this.scheduleSnapshot());
    this.refreshing ??= Promise.allSettled([read(this.dns), read(this.replication), read(this.slots)])
      .then(() => {})
      .finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  /** Stops loops and probes. The environment's services stay open (their owner closes them). */
  async stop(): Promise<void> {
    if (this.snapshotTimer) clearInterval(this.snapshotTimer);
    if (this.pending) clearTimeout(this.pending);
    await Promise.all(this.loops.map((l) => l.stop()));
    await this.health.stop();
  }

  /** Latest snapshot, assembled now from the domains' latest statuses. */
  snapshot(): EnvironmentSnapshot {
    const now = Date.now();
    const probes = this.health.statuses();
    const dns = this.dns.statuses();
    const databases = this.replication.statuses().map((d) => this.withLastKnownLag(d));
    const liveSlots = this.slots.statuses();
    const sites: SiteStatus[] = this.env.sites.map((site) => {
      const entry =
        probes.find((p) => p.site === site.name && p.slot === null) ??
        placeholderProbe(this.env.name, site.name, site.router.entryUrl);
      const slots = site.slots.map(
        (sl) =>
          probes.find((p) => p.site === site.name && p.slot === sl.name) ??
          placeholderProbe(this.env.name, site.name, sl.url + sl.healthPath, sl.name),
      );
      const live: LiveSlotStatus = liveSlots.find((l) => l.site === site.name) ?? {
        site: site.name,
        router: site.router.kind,
        state: 'unknown',
        liveSlot: null,
        reason: 'not read yet',
        observedAt: null,
        lastGoodAt: null,
      };
      const dbs = databases.filter((d) => d.site === site.name);
      const dbRole: DbRole = dbs.length === 0 ? 'none' : (dbs[0]?.role ?? 'unknown');
      const verdict = computeSiteStatus(entry, slots, live, dbRole);
      return {
        name: site.name,
        role: site.role,
        address: site.address,
        state: verdict.state,
        reason: verdict.reason,
        entry,
        slots,
        liveSlot: live,
        dbRole,
        servesTraffic: dns.some((r) => r.pointsTo === site.name),
      };
    });
    const pointing = new Set(dns.map((r) => r.pointsTo));
    const activeSite = pointing.size === 1 ? ([...pointing][0] ?? null) : null;
    const base = {
      environment: this.env.name,
      generatedAt: now,
      sites,
      dns,
      databases,
      rpo: computeRpo(this.env, databases),
      rto: computeRto(this.env, dns),
      activeSite,
      splitBrain: detectSplitBrain(databases),
    };
    const posture = computePosture({
      snapshot: base,
      rpoSeconds: this.env.objectives.rpoSeconds,
      pollIntervalMs: this.env.pollIntervalMs,
      runbooks: this.runbooks(),
      now,
    });
    const snap: EnvironmentSnapshot = { ...base, posture };
    this.last = snap;
    return snap;
  }

  /**
   * A replica whose lag cannot be measured now (primary gone) carries the last lag measured —
   * from this process, or from the store when this process never measured it (after a restart
   * mid-failover), so a resumed run judges promotion on the same evidence.
   */
  private withLastKnownLag(d: DbNodeStatus): DbNodeStatus {
    if (d.role !== 'replica' || d.lagSeconds !== null || d.lastKnownLag) return d;
    const s = this.store.lastValue(this.env.name, 'replication-lag-seconds', d.name);
    if (!s) return d;
    const b = this.store.lastValue(this.env.name, 'replication-lag-bytes', d.name);
    return { ...d, lastKnownLag: { seconds: s.v, bytes: b && b.t === s.t ? b.v : null, at: s.t } };
  }

  /** Last assembled snapshot, or a fresh one. */
  latest(): EnvironmentSnapshot {
    return this.last ?? this.snapshot();
  }

  private scheduleSnapshot(): void {
    // coalesce bursts (1,000 probes changing at once) into one push within 100 ms
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = null;
      this.emitSnapshot();
    }, 100);
  }

  private emitSnapshot(): void {
    try {
      this.events.snapshot(this.snapshot());
    } catch (e) {
      this.events.error(`${this.env.name}/snapshot`, e);
    }
  }
}

function placeholderProbe(env: string, site: string, url: string, slot: string | null = null): ProbeStatus {
  return {
    id: slot === null ? `${env}/${site}/entry` : `${env}/${site}/slot/${slot}`,
    site,
    slot,
    url,
    state: 'unknown',
    reason: 'not probed yet',
    latencyMs: null,
    recentLatencyMs: [],
    consecutiveFailures: 0,
    consecutiveSuccesses: 0,
    breaker: 'closed',
    lastCheckedAt: null,
    lastGoodAt: null,
    failingSince: null,
  };
}
