/**
 * Reconnect delays: exponential with jitter and a ceiling, so a restarted host is not hit by
 * every open console at the same instant and a long outage costs one attempt per `maxMs`.
 */

export interface BackoffOptions {
  /** First delay, ms. */
  baseMs: number;
  /** Ceiling, ms: no delay is ever longer. */
  maxMs: number;
  /** Growth per attempt. */
  factor: number;
  /** Fraction of the delay that is randomised (0 = none, 0.5 = delay in [50 %, 100 %]). */
  jitter: number;
}

export const defaultBackoff: BackoffOptions = { baseMs: 500, maxMs: 10_000, factor: 2, jitter: 0.3 };

/**
 * Delay before reconnect attempt `attempt` (1 = first retry), ms, within
 * `[(1 - jitter) · d, d]` where `d = min(maxMs, baseMs · factor^(attempt-1))`.
 *
 * @param random source of randomness in [0, 1) (injected for tests)
 */
export function reconnectDelayMs(
  attempt: number,
  opts: BackoffOptions = defaultBackoff,
  random: () => number = Math.random,
): number {
  const n = Math.max(1, Math.floor(attempt));
  const exp = opts.baseMs * Math.pow(opts.factor, Math.min(n - 1, 30));
  const d = Math.min(opts.maxMs, exp);
  const r = Math.min(1, Math.max(0, random()));
  return Math.round(d * (1 - opts.jitter * r));
}
