/**
 * One observed source: something the monitor reads again and again (a database node, a
 * router, a DNS provider's API, a nameserver) behind a cockatiel policy, with the three rules
 * every watcher needs and that used to be written once per domain:
 * - a bounded attempt: per-attempt timeout (aggressive: the read's signal is aborted), an
 *   optional retry with backoff, a circuit breaker (open → the read is not even tried);
 * - an in-flight bound: a new observation never starts while the previous read is still
 *   running (past its timeout, say: a hung socket), so a dead endpoint costs one read, not one
 *   per round; the caller gets a failure marked `skipped` and the last good value. The bound
 *   itself is bounded: a read still running `abandonAfterMs` after its attempt was aborted is
 *   abandoned (the slot is freed, the next round starts a fresh attempt), so a read that ignores
 *   its signal cannot block the source forever;
 * - every failure as an OpError (breaker open, timeout, the read's own error), plus the last
 *   good value and its age.
 */
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ConstantBackoff,
  TaskCancelledError,
  TimeoutStrategy,
  bulkhead,
  circuitBreaker,
  handleAll,
  handleWhen,
  retry,
  timeout,
  wrap,
} from 'cockatiel';
import type { CircuitBreakerPolicy, IPolicy } from 'cockatiel';
import type { OpError } from '../../../shared/result.ts';
import { toOpError } from './op-error.ts';

/** Settings of an {@link ObservationPolicy}. Times in ms. */
export interface ObservationPolicyOptions {
  /** Bound of one attempt, ms (the read's signal is aborted when it expires). */
  timeoutMs: number;
  /** Retries of a failed attempt (default none): `maxAttempts` extra attempts, `backoffMs` apart. */
  retry?: { maxAttempts: number; backoffMs: number };
  /** Opens after `consecutiveFailures` failed attempts; lets one trial through after `halfOpenAfterMs`. */
  breaker: { consecutiveFailures: number; halfOpenAfterMs: number };
  /** Which failures are retried and counted by the breaker (default: all). */
  handles?: (e: unknown) => boolean;
  /** Concurrent attempts through this policy, and how many may queue (default: unbounded). */
  bulkhead?: { limit: number; queue: number };
  /** A failed attempt as OpError (default `toOpError`); also the `lastError` of breaker messages. */
  toError?: (e: unknown) => OpError;
  /** The OpError of an attempt that ran out of time (default: `timeout`, "no answer within N ms"). */
  timeoutError?: (timeoutMs: number) => OpError;
}

/** A breaker's state in the words of shared/status.ts. */
export type BreakerStateName = 'closed' | 'open' | 'half-open' | 'isolated';

/**
 * The cockatiel policy of one endpoint, outermost first: bulkhead (optional) → retry (optional)
 * → circuit breaker → per-attempt timeout. The retry sits outside the breaker, so the breaker
 * counts attempts. Several {@link ObservedSource}s may share one (several records read from the
 * same provider API share its breaker).
 */
export class ObservationPolicy {
  /** Bound of one attempt, ms. */
  readonly timeoutMs: number;
  readonly #policy: IPolicy;
  readonly #breaker: CircuitBreakerPolicy;
  readonly #toError: (e: unknown) => OpError;
  readonly #timeoutError: (timeoutMs: number) => OpError;
  #lastError: OpError | null = null;

  constructor(o: ObservationPolicyOptions) {
    this.timeoutMs = o.timeoutMs;
    this.#toError = o.toError ?? ((e) => toOpError(e));
    this.#timeoutError = o.timeoutError ?? ((ms) => ({ kind: 'timeout', message: `no answer within ${ms} ms` }));
    const handled = o.handles ? handleWhen(o.handles) : handleAll;
    this.#breaker = circuitBreaker(handled, {
      halfOpenAfter: o.breaker.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(o.breaker.consecutiveFailures),
    });
    const attemptTimeout = timeout(o.timeoutMs, TimeoutStrategy.Aggressive);
    attemptTimeout.onTimeout(() => {
      this.#lastError = this.#timeoutError(this.timeoutMs);
    });
    const layers: IPolicy[] = [];
    if (o.bulkhead) layers.push(bulkhead(o.bulkhead.limit, o.bulkhead.queue));
    if (o.retry && o.retry.maxAttempts > 0)
      layers.push(
        retry(handled, { maxAttempts: o.retry.maxAttempts, backoff: new ConstantBackoff(o.retry.backoffMs) }),
      );
    this.#policy = wrap(...layers, this.#breaker, attemptTimeout);
  }

  /** The last failed attempt through this policy (any source), or null since the last success. */
  get lastError(): OpError | null {
    return this.#lastError;
  }

  /** The breaker's state now. */
  get breakerState(): BreakerStateName {
    const s = this.#breaker.state;
    return s === CircuitState.Open
      ? 'open'
      : s === CircuitState.HalfOpen
        ? 'half-open'
        : s === CircuitState.Isolated
          ? 'isolated'
          : 'closed';
  }

  /** A thrown value as this policy's OpError (a cockatiel timeout → the timeout error). */
  toError(e: unknown): OpError {
    return e instanceof TaskCancelledError ? this.#timeoutError(this.timeoutMs) : this.#toError(e);
  }

  /**
   * Runs `read` under the policy. Rejects with the read's error, `TaskCancelledError` (timeout),
   * `BrokenCircuitError` (breaker open) or `BulkheadRejectedError`.
   * @param signal aborting it cancels the attempt (not counted as a timeout).
   */
  async execute<T>(read: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const value = await this.#policy.execute(async ({ signal: attempt }) => {
      try {
        return await read(attempt);
      } catch (e) {
        // Aborted by the attempt timeout (not by the caller): the read's own rejection may win the
        // race with cockatiel's, so name it a timeout here.
        if (attempt.aborted && !signal?.aborted) {
          this.#lastError = this.#timeoutError(this.timeoutMs);
          throw new TaskCancelledError(`Operation timed out after ${this.timeoutMs}ms`);
        }
        this.#lastError = this.#toError(e);
        throw e;
      }
    }, signal);
    this.#lastError = null;
    return value;
  }
}

/** The last successful observation and how old it is. `at`: epoch ms; `ageMs`: ms. */
export interface LastGood<T> {
  value: T;
  at: number;
  ageMs: number;
}

/**
 * One observation. On failure, `skipped` says no read was started (the previous one still runs,
 * or the breaker is open) and `lastGood` carries the last good value, if any.
 */
export type Observation<T> =
  { ok: true; value: T; at: number } | { ok: false; error: OpError; skipped: boolean; lastGood: LastGood<T> | null };

/** Options of {@link ObservedSource}. */
export interface ObservedSourceOptions<T> {
  /** One read of the source. Must honour `signal` (aborted on timeout). */
  read(signal: AbortSignal): Promise<T>;
  /** Its own policy, or one shared with other sources of the same endpoint. */
  policy: ObservationPolicy | ObservationPolicyOptions;
  /** Clock of `at` / `ageMs`, epoch ms (default `Date.now`). */
  now?: () => number;
  /**
   * How long a read may outlive the abort of its attempt (timeout or caller) before its slot is
   * freed anyway, ms (default: the policy's `timeoutMs`). The abandoned read is left to settle
   * on its own; its result is ignored.
   */
  abandonAfterMs?: number;
  /** The reason texts of the two skips; `last` is the policy's last error. */
  messages?: {
    inFlight?(timeoutMs: number, last: OpError | null): string;
    breakerOpen?(last: OpError | null): string;
  };
}

/**
 * A source observed under an {@link ObservationPolicy}, never more than one read at a time.
 * `observe()` never rejects. Failures:
 * - previous read still running → `skipped`, kind `timeout`;
 * - breaker open → `skipped`, the kind of the last error (`unreachable` when none);
 * - timeout → kind `timeout` (policy's `timeoutError`); cancelled by the caller's signal → kind
 *   `timeout`, "cancelled: <reason>";
 * - the read's error → the policy's `toError`.
 */
export class ObservedSource<T> {
  readonly policy: ObservationPolicy;
  readonly #read: (signal: AbortSignal) => Promise<T>;
  readonly #now: () => number;
  readonly #inFlightMessage: (timeoutMs: number, last: OpError | null) => string;
  readonly #breakerMessage: (last: OpError | null) => string;
  readonly #abandonAfterMs: number;
  #abandoned = 0;
  #inFlight: Promise<unknown> | null = null;
  #lastGood: { value: T; at: number } | null = null;

  constructor(o: ObservedSourceOptions<T>) {
    this.#read = o.read;
    this.policy = o.policy instanceof ObservationPolicy ? o.policy : new ObservationPolicy(o.policy);
    this.#now = o.now ?? Date.now;
    this.#abandonAfterMs = o.abandonAfterMs ?? this.policy.timeoutMs;
    if (!Number.isFinite(this.#abandonAfterMs) || this.#abandonAfterMs < 0)
      throw new RangeError(`abandonAfterMs must be a finite number >= 0, got ${this.#abandonAfterMs}`);
    const lastText = (last: OpError | null) => (last ? `; last error: ${last.message}` : '');
    this.#inFlightMessage =
      o.messages?.inFlight ??
      ((ms, last) => `the previous observation is still running (over ${ms} ms)${lastText(last)}`);
    this.#breakerMessage =
      o.messages?.breakerOpen ?? ((last) => `not observed: circuit open after repeated failures${lastText(last)}`);
  }

  /** True while a read started by `observe()` has not settled (it may have outlived its timeout). */
  get inFlight(): boolean {
    return this.#inFlight !== null;
  }

  /** Reads abandoned so far: still running `abandonAfterMs` after their attempt was aborted. */
  get abandoned(): number {
    return this.#abandoned;
  }

  /** The last good value and its age, or null when none yet. */
  lastGood(): LastGood<T> | null {
    const g = this.#lastGood;
    return g ? { value: g.value, at: g.at, ageMs: Math.max(0, this.#now() - g.at) } : null;
  }

  /**
   * Observes once (or not: see the class). Resolves when the read ends, times out or is skipped.
   * @param signal the caller's cancellation (a round deadline): the attempt is aborted.
   */
  async observe(signal?: AbortSignal): Promise<Observation<T>> {
    const policy = this.policy;
    if (this.#inFlight) {
      return {
        ok: false,
        skipped: true,
        error: { kind: 'timeout', message: this.#inFlightMessage(policy.timeoutMs, policy.lastError) },
        lastGood: this.lastGood(),
      };
    }
    try {
      const value = await policy.execute((attempt) => {
        const p = this.#read(attempt);
        // tracks the read itself, not the policy's race: a read past its timeout still holds
        // its socket, and the next observation must not pile another one on it
        const tracked = p.finally(() => {
          if (this.#inFlight === tracked) this.#inFlight = null;
        });
        tracked.catch(() => {});
        this.#inFlight = tracked;
        // a read that ignores its abort (a frozen peer, a handle nobody closes) keeps the slot
        // only so long: past that, the next round gets a fresh attempt instead of a skip
        const onAbort = (): void => {
          const t = setTimeout(() => {
            if (this.#inFlight !== tracked) return;
            this.#inFlight = null;
            this.#abandoned++;
          }, this.#abandonAfterMs);
          t.unref?.();
          void tracked.finally(() => clearTimeout(t)).catch(() => {});
        };
        if (attempt.aborted) onAbort();
        else {
          attempt.addEventListener('abort', onAbort, { once: true });
          void tracked.finally(() => attempt.removeEventListener('abort', onAbort)).catch(() => {});
        }
        return p;
      }, signal);
      const at = this.#now();
      this.#lastGood = { value, at };
      return { ok: true, value, at };
    } catch (e) {
      if (e instanceof BrokenCircuitError) {
        const last = policy.lastError;
        return {
          ok: false,
          skipped: true,
          error: { kind: last?.kind ?? 'unreachable', message: this.#breakerMessage(last) },
          lastGood: this.lastGood(),
        };
      }
      if (signal?.aborted) {
        const why =
          signal.reason instanceof Error
            ? signal.reason.message
            : signal.reason !== undefined
              ? String(signal.reason)
              : '';
        return {
          ok: false,
          skipped: false,
          error: { kind: 'timeout', message: `cancelled${why ? `: ${why}` : ''}` },
          lastGood: this.lastGood(),
        };
      }
      return { ok: false, skipped: false, error: policy.toError(e), lastGood: this.lastGood() };
    }
  }
}
