/**
 * One health target: its verdict state machine, a bounded latency history and its resilience
 * policy (cockatiel).
 *
 * Policy order — `wrap(timeout, breaker, retry)`, outermost first:
 *   timeout(timeoutMs, Aggressive) → circuitBreaker(ConsecutiveBreaker(5), halfOpenAfter 5 s)
 *   → retry(1 retry, exponential backoff 50–200 ms) → httpProbe
 * - The timeout is outermost so that ONE probe, retry and backoff included, never takes more
 *   than `timeoutMs` (800 ms by default, less than the 1,000 ms interval). With the timeout
 *   innermost (per attempt), a probe could take 2 × 800 ms + backoff, rounds would overrun the
 *   interval and a hung server would be declared unhealthy only after ~4.3 s instead of ≤ 2.8 s.
 * - The breaker sits outside the retry so it counts one outcome per probe: "5 consecutive
 *   failures" means 5 failed probes, the same unit as `consecutiveFailures` in the UI.
 * - The retry absorbs a single transient failure inside a probe (a refused connect during a
 *   restart, a 502 during an upstream switch) at the cost of one extra request, only on failure.
 *
 * Detection bound at defaults (interval 1 s, timeout 0.8 s, unhealthyThreshold 2): the first
 * probe after the fault starts ≤ 1 s later, the second 1 s after that, and fails ≤ 0.8 s later:
 * unhealthy ≤ 2.8 s after the fault (≤ ~2.1 s when the connection is refused). Measured on the
 * lab (test/integration/health-probes.test.ts): 1.2–2.1 s stopped app, 2.8 s frozen app.
 */
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  IsolatedCircuitError,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleAll,
  retry,
  timeout,
  wrap,
} from 'cockatiel';
import type { CircuitBreakerPolicy, IPolicy } from 'cockatiel';
import type { BreakerState, ProbeStatus } from '../../../shared/status.ts';
import type { HttpProbeResult } from './http-probe.ts';

/** Identity of a target. `id` is `${env}/${site}/entry` or `${env}/${site}/slot/${slot}`. */
export interface ProbeTargetSpec {
  id: string;
  site: string;
  /** null for the site's entry point (router). */
  slot: string | null;
  url: string;
  /** CA bundle (PEM file, read at workspace load) trusted for an https `url`; default the system CAs. */
  caFile?: string;
}

/** Thresholds and resilience settings of one target. Times in ms. */
export interface ProbeTargetSettings {
  /** Budget of one whole probe (retry and backoff included), ms. */
  timeoutMs: number;
  /** Consecutive successes before unknown/unhealthy → healthy (≥ 1). */
  healthyThreshold: number;
  /** Consecutive failures before unknown/healthy → unhealthy (≥ 1). */
  unhealthyThreshold: number;
  /** Latencies kept for the sparkline. Default 60 (one minute at 1 s). */
  historySize?: number;
  /** Consecutive failed probes that open the circuit. Default 5. */
  breakerThreshold?: number;
  /** Time the circuit stays open before one test probe is let through, ms. Default 5,000. */
  halfOpenAfterMs?: number;
  /** First retry backoff, ms (exponential with jitter, capped at 4×). Default 50. */
  retryDelayMs?: number;
}

/** Performs one attempt. Must resolve (not reject) with a result; must honour `signal`. */
export type ProbeFn = (url: string, signal: AbortSignal) => Promise<HttpProbeResult>;

/** What one probe concluded, as fed to {@link ProbeTarget.record}. */
export interface ProbeOutcome {
  ok: boolean;
  /** ms; null when the probe did not complete. */
  latencyMs: number | null;
  /** Why it failed (required when !ok). */
  reason?: string;
  /** Parsed JSON body, if any (source of `reported`). */
  body?: unknown;
}

/**
 * Fixed-capacity ring of latencies (ms, null = failed probe). O(1) push, no allocation per push.
 */
export class LatencyRing {
  readonly capacity: number;
  #items: (number | null)[];
  #next = 0;
  #size = 0;

  /** @param capacity number of samples kept (≥ 1). */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.#items = new Array<number | null>(capacity).fill(null);
  }

  get size(): number {
    return this.#size;
  }

  push(value: number | null): void {
    this.#items[this.#next] = value;
    this.#next = (this.#next + 1) % this.capacity;
    if (this.#size < this.capacity) this.#size++;
  }

  /** Copy, oldest first. */
  toArray(): (number | null)[] {
    if (this.#size < this.capacity) return this.#items.slice(0, this.#size);
    return [...this.#items.slice(this.#next), ...this.#items.slice(0, this.#next)];
  }
}

/** Thrown inside the policy so cockatiel's retry and breaker see a failed probe. */
class ProbeFailure extends Error {
  readonly result: HttpProbeResult;
  constructor(result: HttpProbeResult) {
    super(result.error ?? 'probe failed');
    this.result = result;
  }
}

const BREAKER_STATES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

/**
 * State machine of one target.
 *
 * Verdict rules (documented choice): a target starts `unknown` ("not probed yet") and stays
 * `unknown` until a threshold is met in either direction — `healthyThreshold` consecutive
 * successes make it `healthy`, `unhealthyThreshold` consecutive failures make it `unhealthy`.
 * So at defaults (1 / 2) a live target is green after its first probe, and a dead one shows
 * `unknown` with the failure as reason after the first probe and `unhealthy` after the second:
 * one failed probe is not yet evidence of an outage, but it is never shown green either.
 * Between verdicts the same thresholds apply (healthy → unhealthy after N failures, and back
 * after M successes); a failure below the threshold keeps the verdict and sets `reason`.
 */
export class ProbeTarget {
  readonly spec: ProbeTargetSpec;
  readonly settings: Required<ProbeTargetSettings>;
  readonly #probe: ProbeFn;
  readonly #now: () => number;
  readonly #breaker: CircuitBreakerPolicy;
  readonly #policy: IPolicy;
  readonly #history: LatencyRing;
  #state: ProbeStatus['state'] = 'unknown';
  #reason: string | undefined = 'not probed yet';
  #latencyMs: number | null = null;
  #consecutiveFailures = 0;
  #consecutiveSuccesses = 0;
  #reported: ProbeStatus['reported'];
  #lastCheckedAt: number | null = null;
  #lastGoodAt: number | null = null;
  #failingSince: number | null = null;
  #openedAt = 0;

  /**
   * @param probe one attempt (normally `httpProbe` bound to the shared Agent)
   * @param now clock for timestamps, epoch ms (tests inject one)
   */
  constructor(spec: ProbeTargetSpec, settings: ProbeTargetSettings, probe: ProbeFn, now: () => number = Date.now) {
    this.spec = spec;
    this.settings = {
      historySize: 60,
      breakerThreshold: 5,
      halfOpenAfterMs: 5_000,
      retryDelayMs: 50,
      ...settings,
    };
    this.#probe = probe;
    this.#now = now;
    this.#history = new LatencyRing(this.settings.historySize);
    const s = this.settings;
    this.#breaker = circuitBreaker(handleAll, {
      halfOpenAfter: s.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(s.breakerThreshold),
    });
    this.#breaker.onBreak(() => {
      this.#openedAt = this.#now();
    });
    this.#policy = wrap(
      // abortOnReturn: false — when the probe has already returned there is nothing left to
      // cancel, and aborting builds a DOMException per probe (≈ 3 % of a core at 1,000 probes/s,
      // bench/RESULTS.md). The timer still aborts the attempt when the budget runs out.
      timeout(s.timeoutMs, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false }),
      this.#breaker,
      retry(handleAll, {
        maxAttempts: 1,
        backoff: new ExponentialBackoff({ initialDelay: s.retryDelayMs, maxDelay: s.retryDelayMs * 4 }),
      }),
    );
  }

  /**
   * True while the last answer disagrees with the verdict and the threshold is not met yet
   * (a healthy target that just failed, an unhealthy one that just answered, or an unknown one
   * that has answered): the service confirms it sooner than the next interval.
   */
  get pending(): boolean {
    return (
      (this.#state === 'healthy' && this.#consecutiveFailures > 0) ||
      (this.#state === 'unhealthy' && this.#consecutiveSuccesses > 0) ||
      (this.#state === 'unknown' && this.#consecutiveFailures + this.#consecutiveSuccesses > 0)
    );
  }

  get state(): ProbeStatus['state'] {
    return this.#state;
  }

  /** Latency of the last probe, ms; null when it failed or none ran. Cheap (no snapshot). */
  get latencyMs(): number | null {
    return this.#latencyMs;
  }

  /** Completion time of the last recorded probe, epoch ms; null before the first. */
  get lastCheckedAt(): number | null {
    return this.#lastCheckedAt;
  }

  get breaker(): BreakerState {
    return BREAKER_STATES[this.#breaker.state];
  }

  /**
   * Run one probe through the policy and record its outcome.
   * @param signal aborting it (service stop) drops the probe without recording anything
   * @returns true when the verdict (`state`) changed. Never rejects.
   */
  async probe(signal?: AbortSignal): Promise<boolean> {
    let outcome: ProbeOutcome;
    try {
      const result = await this.#policy.execute(async ({ signal: attemptSignal }) => {
        const r = await this.#probe(this.spec.url, attemptSignal);
        if (!r.ok) throw new ProbeFailure(r);
        return r;
      }, signal);
      outcome = { ok: true, latencyMs: result.latencyMs, body: result.body };
    } catch (err) {
      if (signal?.aborted) return false;
      outcome = { ok: false, latencyMs: null, reason: this.#failureReason(err) };
      if (err instanceof ProbeFailure && err.result.body !== undefined) outcome.body = err.result.body;
    }
    return this.record(outcome);
  }

  #failureReason(err: unknown): string {
    if (err instanceof ProbeFailure) return err.result.error ?? 'probe failed';
    if (err instanceof BrokenCircuitError) {
      const wait = Math.max(0, Math.ceil((this.#openedAt + this.settings.halfOpenAfterMs - this.#now()) / 1000));
      return `circuit open (${this.settings.breakerThreshold} consecutive failures), next try in ${wait} s`;
    }
    if (err instanceof IsolatedCircuitError) return 'circuit isolated (held open by an operator)';
    if (err instanceof TaskCancelledError) return `timeout after ${this.settings.timeoutMs} ms`;
    return err instanceof Error ? err.message : String(err);
  }

  /**
   * Apply one outcome (the pure part of the state machine; `probe()` calls it).
   * @param t completion time, epoch ms (default now)
   * @returns true when the verdict changed
   */
  record(outcome: ProbeOutcome, t: number = this.#now()): boolean {
    const { healthyThreshold, unhealthyThreshold } = this.settings;
    const before = this.#state;
    this.#lastCheckedAt = t;
    this.#latencyMs = outcome.ok ? outcome.latencyMs : null;
    this.#history.push(this.#latencyMs);
    this.#reported = reportedFields(outcome.body);
    if (outcome.ok) {
      this.#consecutiveSuccesses++;
      this.#consecutiveFailures = 0;
      this.#lastGoodAt = t;
      this.#failingSince = null;
      if (this.#consecutiveSuccesses >= healthyThreshold) {
        this.#state = 'healthy';
        this.#reason = undefined;
      } else {
        this.#reason =
          this.#state === 'healthy'
            ? undefined
            : `${this.#consecutiveSuccesses} of ${healthyThreshold} successes before healthy`;
      }
    } else {
      // The streak's first failure marks when the outage began as seen from here; a breaker
      // short-circuit counts as a failure too, so an open circuit never restarts the clock.
      if (this.#consecutiveFailures === 0) this.#failingSince = t;
      this.#consecutiveFailures++;
      this.#consecutiveSuccesses = 0;
      const why = outcome.reason ?? 'probe failed';
      if (this.#consecutiveFailures >= unhealthyThreshold) {
        this.#state = 'unhealthy';
        this.#reason = why;
      } else {
        this.#reason = `${why} (${this.#consecutiveFailures} of ${unhealthyThreshold} failures before unhealthy)`;
      }
    }
    return this.#state !== before;
  }

  /** Snapshot as shared/status.ts `ProbeStatus` (plain data, safe to send). */
  status(): ProbeStatus {
    const s: ProbeStatus = {
      id: this.spec.id,
      site: this.spec.site,
      slot: this.spec.slot,
      url: this.spec.url,
      state: this.#state,
      latencyMs: this.#latencyMs,
      recentLatencyMs: this.#history.toArray(),
      consecutiveFailures: this.#consecutiveFailures,
      consecutiveSuccesses: this.#consecutiveSuccesses,
      breaker: this.breaker,
      lastCheckedAt: this.#lastCheckedAt,
      lastGoodAt: this.#lastGoodAt,
      failingSince: this.#failingSince,
    };
    if (this.#reason !== undefined) s.reason = this.#reason;
    if (this.#reported !== undefined) s.reported = { ...this.#reported };
    return s;
  }
}

/**
 * The `{ slot, version, dbRole }` an endpoint reports in its JSON body (string fields only);
 * undefined when the body is not an object or has none of them.
 */
export function reportedFields(body: unknown): ProbeStatus['reported'] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const b = body as Record<string, unknown>;
  const out: NonNullable<ProbeStatus['reported']> = {};
  if (typeof b.slot === 'string') out.slot = b.slot;
  if (typeof b.version === 'string') out.version = b.version;
  if (typeof b.dbRole === 'string') out.dbRole = b.dbRole;
  return Object.keys(out).length > 0 ? out : undefined;
}
