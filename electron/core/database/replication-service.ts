/**
 * Polls every database node of one environment and turns the observations into
 * `DbNodeStatus` (shared/status.ts): role as the server says it, replication lag in bytes and
 * seconds computed against the primary's LSN of the same round, replay pause, WAL receiver.
 * Nodes are isolated from each other: each is an ObservedSource (platform/observed-source.ts)
 * with its own timeout + circuit breaker, and a round never waits longer than the node timeout.
 */
import type { OpError } from '../../../shared/result.ts';
import type { DbNodeStatus } from '../../../shared/status.ts';
import type { DatabaseConfig, Environment, Site } from '../config/workspace-schema.ts';
import { ObservedSource, type BreakerStateName } from '../platform/observed-source.ts';
import { toOpError } from '../platform/op-error.ts';
import type { NodeObservation, ReplicationAdapter } from './replication-adapter.ts';
import { replicaLag } from './replication-lag.ts';

/**
 * Called once per round for every node not observed as primary (replicas, and unknown nodes as
 * nulls = a gap in the chart). `t`: epoch ms of the round; `lagBytes` bytes; `lagSeconds` s.
 */
export type LagSampleListener = (node: string, t: number, lagBytes: number | null, lagSeconds: number | null) => void;

/** Options of {@link ReplicationService}. */
export interface ReplicationServiceOptions {
  env: Environment;
  /** Clock for `observedAt` / `lastGoodAt` / sample times, epoch ms (default `Date.now`). */
  now?: () => number;
  onSample?: LagSampleListener;
  /**
   * Bound on one node's observation in a round, ms (cockatiel aggressive timeout; the session is
   * dropped on expiry). Default `clamp(env.pollIntervalMs, 2000, 10000)`. A round takes at most
   * about this long, whatever the nodes do.
   */
  nodeTimeoutMs?: number;
  /**
   * Circuit breaker per node: opens after `consecutiveFailures` (default 3), probes again after
   * `halfOpenAfterMs` (default `clamp(env.pollIntervalMs, 1000, 5000)`: a node that comes back
   * is tried again within about two rounds, not after a fixed 5 s that spans five 1 s rounds).
   */
  breaker?: { consecutiveFailures?: number; halfOpenAfterMs?: number };
  /**
   * A node's adapter: the environment's (environment/create-environment-services.ts), or a fake.
   * Called once per node at construction; a throw becomes the node's permanent `unknown` reason.
   * The service never closes adapters (their owner does).
   */
  createAdapter: (db: DatabaseConfig, site: Site | undefined) => ReplicationAdapter;
}

interface NodeState {
  db: DatabaseConfig;
  /** Null when the node's adapter could not be had (`setupError` says why). */
  source: ObservedSource<NodeObservation> | null;
  setupError: OpError | null;
  observation: NodeObservation | null;
  /** Replica clock when lagBytes was last 0, and against which primary. */
  caughtUpAt: number | null;
  caughtUpPrimary: string | null;
  status: DbNodeStatus;
}

type Outcome = { ok: true; obs: NodeObservation } | { ok: false; error: OpError };

/**
 * Replication monitor of one environment.
 *
 * - `pollOnce()`: observes every node concurrently; resolves when all are done or timed out
 *   (never rejects). Overlapping calls share the running round.
 * - `statuses()`: one `DbNodeStatus` per configured node, in workspace order (copies).
 * - `observation(name)`: the last raw observation of a node (for lag-gated runbook steps).
 *
 * Lag rules: see `replicaLag()` in replication-lag.ts. With no single primary observed in the
 * round (unreachable, none, or two = possible split brain), replicas are still `ok` with their
 * role, but `lagBytes`/`lagSeconds` are null and `reason` says why.
 */
export class ReplicationService {
  readonly #nodes: NodeState[];
  readonly #now: () => number;
  readonly #onSample: LagSampleListener | undefined;
  readonly #nodeTimeoutMs: number;
  #round: Promise<void> | null = null;

  constructor(options: ReplicationServiceOptions) {
    const { env } = options;
    this.#now = options.now ?? Date.now;
    this.#onSample = options.onSample;
    this.#nodeTimeoutMs = options.nodeTimeoutMs ?? Math.min(10_000, Math.max(2000, env.pollIntervalMs));
    const failures = options.breaker?.consecutiveFailures ?? 3;
    const halfOpenAfter = options.breaker?.halfOpenAfterMs ?? Math.min(5000, Math.max(1000, env.pollIntervalMs));
    const create = options.createAdapter;
    this.#nodes = env.databases.map((db) => {
      const site = env.sites.find((s) => s.name === db.site);
      let adapter: ReplicationAdapter | null = null;
      let setupError: OpError | null = null;
      if (db.viaSsh && !site) {
        setupError = {
          kind: 'invalid-input',
          message: `database ${db.name} is reached via SSH of site "${db.site}", which is not defined`,
          hint: 'fix databases[].site',
          where: `${env.name}/databases/${db.name}`,
        };
      } else {
        try {
          adapter = create(db, site);
        } catch (e) {
          setupError = toOpError(e, `${env.name}/databases/${db.name}`);
        }
      }
      const source = adapter
        ? new ObservedSource<NodeObservation>({
            read: (signal) => adapter.observe(signal),
            policy: {
              timeoutMs: this.#nodeTimeoutMs,
              breaker: { consecutiveFailures: failures, halfOpenAfterMs: halfOpenAfter },
            },
            now: this.#now,
            messages: {
              inFlight: (ms, last) =>
                `the previous observation is still running (over ${ms} ms)${last ? `; last error: ${last.message}` : ''}`,
              breakerOpen: (last) =>
                `not polled: circuit open after repeated failures${last ? `; last error: ${last.message}` : ''}`,
            },
          })
        : null;
      return {
        db,
        source,
        setupError,
        observation: null,
        caughtUpAt: null,
        caughtUpPrimary: null,
        status: {
          name: db.name,
          site: db.site,
          engine: db.engine,
          state: 'unknown',
          role: 'unknown',
          reason: setupError?.message ?? 'not observed yet',
          walReceiver: null,
          lagBytes: null,
          lagSeconds: null,
          replayPaused: null,
          viaSsh: db.viaSsh,
          observedAt: null,
          lastGoodAt: null,
        },
      };
    });
  }

  pollOnce(): Promise<void> {
    this.#round ??= this.#poll().finally(() => {
      this.#round = null;
    });
    return this.#round;
  }

  statuses(): DbNodeStatus[] {
    return this.#nodes.map((n) => ({ ...n.status }));
  }

  observation(name: string): NodeObservation | null {
    return this.#nodes.find((n) => n.db.name === name)?.observation ?? null;
  }

  async #poll(): Promise<void> {
    const outcomes = await Promise.all(this.#nodes.map((n) => this.#observe(n)));
    const t = this.#now();

    const primaries: { name: string; obs: NodeObservation }[] = [];
    outcomes.forEach((o, i) => {
      if (o.ok && o.obs.role === 'primary') primaries.push({ name: this.#nodes[i]!.db.name, obs: o.obs });
    });
    let primaryLsn: string | null = null;
    let primaryName: string | null = null;
    let primaryIssue: string | undefined;
    if (primaries.length === 1) {
      primaryName = primaries[0]!.name;
      primaryLsn = primaries[0]!.obs.currentLsn;
      if (primaryLsn === null) primaryIssue = `primary ${primaryName} reported no WAL position`;
    } else if (primaries.length > 1) {
      primaryIssue = `${primaries.length} primaries observed (${primaries.map((p) => p.name).join(', ')}): possible split brain`;
    } else {
      const unknown = this.#nodes.filter((_, i) => outcomes[i]?.ok === false).map((n) => n.db.name);
      primaryIssue =
        unknown.length > 0
          ? `no primary reachable this round (unknown: ${unknown.join(', ')})`
          : 'no node is a primary';
    }

    this.#nodes.forEach((n, i) => {
      const o = outcomes[i]!;
      const prevGood = n.status.lastGoodAt;
      if (!o.ok) {
        n.status = {
          ...n.status,
          state: 'unknown',
          role: 'unknown',
          reason: o.error.message,
          walReceiver: null,
          lagBytes: null,
          lagSeconds: null,
          replayPaused: null,
          observedAt: t,
          lastGoodAt: prevGood,
        };
        this.#onSample?.(n.db.name, t, null, null);
        return;
      }
      const obs = o.obs;
      n.observation = obs;
      if (obs.role === 'primary') {
        n.caughtUpAt = null;
        n.caughtUpPrimary = null;
        const reasons: string[] = [];
        if (primaries.length > 1) reasons.push(primaryIssue!);
        n.status = {
          ...n.status,
          state: 'ok',
          role: 'primary',
          walReceiver: null,
          lagBytes: null,
          lagSeconds: null,
          lastKnownLag: null,
          replayPaused: null,
          observedAt: t,
          lastGoodAt: t,
          ...(reasons.length > 0 ? { reason: reasons.join('; ') } : {}),
        };
        if (reasons.length === 0) delete n.status.reason;
        return;
      }
      if (n.caughtUpPrimary !== primaryName) {
        n.caughtUpAt = null;
        n.caughtUpPrimary = primaryName;
      }
      const lag = replicaLag({
        primaryLsn,
        ...(primaryIssue !== undefined ? { primaryIssue } : {}),
        replica: obs,
        caughtUpAt: n.caughtUpAt,
      });
      if (lag.lagBytes === 0) n.caughtUpAt = obs.serverNow;
      const reasons: string[] = [];
      if (lag.note) reasons.push(lag.note);
      if (obs.walReceiver === null)
        reasons.push('no WAL receiver running: the replica is not streaming from a primary');
      if (obs.replayPauseState && obs.replayPauseState !== 'not paused')
        reasons.push(`WAL replay ${obs.replayPauseState}`);
      n.status = {
        ...n.status,
        state: 'ok',
        role: 'replica',
        walReceiver: obs.walReceiver,
        lagBytes: lag.lagBytes,
        lagSeconds: lag.lagSeconds,
        replayPaused: obs.replayPauseState === null ? null : obs.replayPauseState !== 'not paused',
        observedAt: t,
        lastGoodAt: t,
        // kept through rounds where lag cannot be measured (primary gone): the safety rules
        // bound the loss of a promotion by it (Patroni does the same with the last known position)
        ...(lag.lagSeconds !== null ? { lastKnownLag: { seconds: lag.lagSeconds, bytes: lag.lagBytes, at: t } } : {}),
      };
      if (reasons.length > 0) n.status.reason = reasons.join('; ');
      else delete n.status.reason;
      this.#onSample?.(n.db.name, t, lag.lagBytes, lag.lagSeconds);
    });
  }

  async #observe(n: NodeState): Promise<Outcome> {
    if (!n.source) return { ok: false, error: n.setupError ?? { kind: 'internal', message: 'no adapter' } };
    const o = await n.source.observe();
    return o.ok ? { ok: true, obs: o.value } : { ok: false, error: o.error };
  }

  /** Breaker state per node name (for diagnostics and the health view). */
  breakerStates(): Record<string, BreakerStateName> {
    const out: Record<string, BreakerStateName> = {};
    for (const n of this.#nodes) out[n.db.name] = n.source?.policy.breakerState ?? 'closed';
    return out;
  }
}
