/**
 * Polls every database node of one environment and turns the observations into
 * `DbNodeStatus` (shared/status.ts): role as the server says it, replication lag in bytes and
 * seconds computed against the primary's LSN of the same round, replay pause, WAL receiver.
 * Nodes are isolated from each other: each has its own cockatiel timeout + circuit breaker,
 * and a round never waits longer than the node timeout.
 */
import { BrokenCircuitError, TaskCancelledError, CircuitState, ConsecutiveBreaker, TimeoutStrategy, circuitBreaker, handleAll, timeout, wrap } from 'cockatiel';
import type { CircuitBreakerPolicy, IPolicy } from 'cockatiel';
import type { OpError } from '../../../shared/result.ts';
import type { DbNodeStatus } from '../../../shared/status.ts';
import type { DatabaseConfig, Environment, Site } from '../config/workspace-schema.ts';
import type { SecretResolver } from '../secrets/resolve-secret.ts';
import { toOpError } from '../platform/op-error.ts';
import type { SshPool } from '../ssh/ssh-pool.ts';
import { PostgresAdapter } from './adapters/postgresql.ts';
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
  pool: SshPool;
  resolveSecret: SecretResolver;
  /** Clock for `observedAt` / `lastGoodAt` / sample times, epoch ms (default `Date.now`). */
  now?: () => number;
  onSample?: LagSampleListener;
  /**
   * Bound on one node's observation in a round, ms (cockatiel aggressive timeout; the session is
   * dropped on expiry). Default `clamp(env.pollIntervalMs, 2000, 10000)`. A round takes at most
   * about this long, whatever the nodes do.
   */
  nodeTimeoutMs?: number;
  /** Circuit breaker per node: opens after `consecutiveFailures` (default 3), probes again after `halfOpenAfterMs` (default 5000). */
  breaker?: { consecutiveFailures?: number; halfOpenAfterMs?: number };
  /** PostgreSQL session bounds, ms (defaults 3000 / 2000). */
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
  /** Builds a node's adapter (tests pass fakes). Default: {@link PostgresAdapter}. */
  createAdapter?: (db: DatabaseConfig, site: Site | undefined) => ReplicationAdapter;
}

interface NodeState {
  db: DatabaseConfig;
  adapter: ReplicationAdapter | null;
  setupError: OpError | null;
  breaker: CircuitBreakerPolicy;
  policy: IPolicy;
  /** The adapter's own promise of an observation still running (past its timeout, maybe). */
  inFlight: Promise<unknown> | null;
  lastError: OpError | null;
  observation: NodeObservation | null;
  /** Replica clock when lagBytes was last 0, and against which primary. */
  caughtUpAt: number | null;
  caughtUpPrimary: string | null;
  status: DbNodeStatus;
}

/** `skipped`: not attempted (breaker open, previous call still running): keeps `lastError`. */
type Outcome = { ok: true; obs: NodeObservation } | { ok: false; error: OpError; skipped?: boolean };

/**
 * Replication monitor of one environment.
 *
 * - `pollOnce()`: observes every node concurrently; resolves when all are done or timed out
 *   (never rejects). Overlapping calls share the running round.
 * - `statuses()`: one `DbNodeStatus` per configured node, in workspace order (copies).
 * - `observation(name)`: the last raw observation of a node (for lag-gated runbook steps).
 * - `close()`: closes sessions and tunnels (the SSH pool belongs to the caller).
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
    const halfOpenAfter = options.breaker?.halfOpenAfterMs ?? 5000;
    const create =
      options.createAdapter ??
      ((db: DatabaseConfig, site: Site | undefined) =>
        new PostgresAdapter({
          db,
          ...(site ? { ssh: site.ssh } : {}),
          pool: options.pool,
          resolveSecret: options.resolveSecret,
          ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
          ...(options.statementTimeoutMs !== undefined ? { statementTimeoutMs: options.statementTimeoutMs } : {}),
          where: `${env.name}/databases/${db.name}`,
        }));
    this.#nodes = env.databases.map((db) => {
      const site = env.sites.find((s) => s.name === db.site);
      let adapter: ReplicationAdapter | null = null;
      let setupError: OpError | null = null;
      if (db.viaSsh && !site) {
        setupError = { kind: 'invalid-input', message: `database ${db.name} is reached via SSH of site "${db.site}", which is not defined`, hint: 'fix databases[].site', where: `${env.name}/databases/${db.name}` };
      } else {
        try {
          adapter = create(db, site);
        } catch (e) {
          setupError = toOpError(e, `${env.name}/databases/${db.name}`);
        }
      }
      const breaker = circuitBreaker(handleAll, { halfOpenAfter, breaker: new ConsecutiveBreaker(failures) });
      return {
        db,
        adapter,
        setupError,
        breaker,
        policy: wrap(breaker, timeout(this.#nodeTimeoutMs, TimeoutStrategy.Aggressive)),
        inFlight: null,
        lastError: null,
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

  async close(): Promise<void> {
    await Promise.all(this.#nodes.map((n) => n.adapter?.close().catch(() => {})));
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
      primaryIssue = unknown.length > 0 ? `no primary reachable this round (unknown: ${unknown.join(', ')})` : 'no node is a primary';
    }

    this.#nodes.forEach((n, i) => {
      const o = outcomes[i]!;
      const prevGood = n.status.lastGoodAt;
      if (!o.ok) {
        if (!o.skipped) n.lastError = o.error;
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
      n.lastError = null;
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
      if (obs.walReceiver === null) reasons.push('no WAL receiver running: the replica is not streaming from a primary');
      if (obs.replayPauseState && obs.replayPauseState !== 'not paused') reasons.push(`WAL replay ${obs.replayPauseState}`);
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
    if (!n.adapter) return { ok: false, error: n.setupError ?? { kind: 'internal', message: 'no adapter' } };
    const adapter = n.adapter;
    if (n.inFlight) {
      return { ok: false, skipped: true, error: { kind: 'timeout', message: `the previous observation is still running (over ${this.#nodeTimeoutMs} ms)${n.lastError ? `; last error: ${n.lastError.message}` : ''}` } };
    }
    try {
      const obs = await n.policy.execute(({ signal }) => {
        const p = adapter.observe(signal);
        const tracked = p.finally(() => {
          if (n.inFlight === tracked) n.inFlight = null;
        });
        tracked.catch(() => {});
        n.inFlight = tracked;
        return p;
      });
      return { ok: true, obs };
    } catch (e) {
      if (e instanceof BrokenCircuitError) {
        const last = n.lastError ? `; last error: ${n.lastError.message}` : '';
        return { ok: false, skipped: true, error: { kind: n.lastError?.kind ?? 'unreachable', message: `not polled: circuit open after repeated failures${last}` } };
      }
      if (e instanceof TaskCancelledError) {
        return { ok: false, error: { kind: 'timeout', message: `no answer within ${this.#nodeTimeoutMs} ms` } };
      }
      return { ok: false, error: toOpError(e) };
    }
  }

  /** Breaker state per node name (for diagnostics and the health view). */
  breakerStates(): Record<string, 'closed' | 'open' | 'half-open' | 'isolated'> {
    const out: Record<string, 'closed' | 'open' | 'half-open' | 'isolated'> = {};
    for (const n of this.#nodes) {
      const s = n.breaker.state;
      out[n.db.name] = s === CircuitState.Open ? 'open' : s === CircuitState.HalfOpen ? 'half-open' : s === CircuitState.Isolated ? 'isolated' : 'closed';
    }
    return out;
  }
}
