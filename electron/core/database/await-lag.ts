/**
 * Waits until a replica's replication lag is within a bound (runbook step db.await-lag), using
 * only `observe()` of the two nodes and the lag rules of replication-lag.ts (LSN byte difference;
 * seconds bounded by the last time the replica was seen caught up). Engine-neutral.
 */
import { replicaLag } from './replication-lag.ts';
import type { OpCommand, ReplicationAdapter } from './replication-adapter.ts';
import { ReplicationError } from './replication-error.ts';
import { toOpError } from '../platform/op-error.ts';

/** One round of {@link awaitLag}. */
export interface LagProgress {
  /** Bytes (primary's current LSN − replica's replay LSN, ≥ 0); null when unknown. */
  lagBytes: number | null;
  /** Seconds; null when unknown. */
  lagSeconds: number | null;
  /** Since the wait started, ms. */
  elapsedMs: number;
  /** Round number, from 1. */
  round: number;
  /** Why a value is unknown, or why a node could not be read. */
  note?: string;
}

/** Options of {@link awaitLag}. At least one of `maxBytes`, `maxSeconds`. */
export interface AwaitLagOptions {
  primary: ReplicationAdapter;
  replica: ReplicationAdapter;
  /** Satisfied when lagBytes ≤ maxBytes (0 = fully caught up). */
  maxBytes?: number;
  /** Satisfied when lagSeconds ≤ maxSeconds. With both bounds, both must hold. */
  maxSeconds?: number;
  /** Bound on the whole wait, ms. */
  timeoutMs: number;
  /** Pause between rounds, ms (default 200). */
  intervalMs?: number;
  onProgress?: (p: LagProgress) => void;
  signal?: AbortSignal;
  /** Labels for messages (default `primary` / `replica`). */
  names?: { primary: string; replica: string };
}

/** Outcome of a satisfied wait. */
export interface AwaitLagResult {
  lagBytes: number;
  lagSeconds: number | null;
  /** Whole wait, ms. */
  durationMs: number;
  rounds: number;
  /** `changed` is always false: waiting changes nothing. Kept for the step's uniform report. */
  changed: false;
  summary: string;
  /** The read-only queries are the adapters' observe(); none are listed. */
  commands: OpCommand[];
}

/**
 * Observes primary then replica every `intervalMs` until the bound holds; returns at once when it
 * already does. A round whose node cannot be read counts as unknown (never as caught up).
 * Rejects with ReplicationError: `invalid-input` (no bound, negative bound), `unsafe-plan` (the
 * "primary" is in recovery or the "replica" is a primary), `timeout` (bound not reached within
 * `timeoutMs`: message has the last lag). Abort via `signal` rejects with its reason.
 */
export async function awaitLag(options: AwaitLagOptions): Promise<AwaitLagResult> {
  const { primary, replica, maxBytes, maxSeconds, timeoutMs, signal } = options;
  const names = options.names ?? { primary: 'primary', replica: 'replica' };
  const where = `lag of ${names.replica}`;
  const bad = (kind: 'invalid-input' | 'unsafe-plan' | 'timeout', message: string, hint?: string): ReplicationError =>
    new ReplicationError({ kind, message, ...(hint !== undefined ? { hint } : {}), where });
  if (maxBytes === undefined && maxSeconds === undefined)
    throw bad('invalid-input', 'awaitLag needs maxBytes or maxSeconds');
  if ((maxBytes !== undefined && !(maxBytes >= 0)) || (maxSeconds !== undefined && !(maxSeconds >= 0)))
    throw bad('invalid-input', 'lag bounds must be ≥ 0');
  if (!(timeoutMs > 0)) throw bad('invalid-input', 'timeoutMs must be > 0');
  const interval = Math.max(20, options.intervalMs ?? 200);
  const t0 = performance.now();
  const maxRounds = Math.ceil(timeoutMs / interval) + 2;
  let caughtUpAt: number | null = null;
  let last: LagProgress | null = null;
  const bound = [
    maxBytes !== undefined ? `≤ ${maxBytes} bytes` : '',
    maxSeconds !== undefined ? `≤ ${maxSeconds} s` : '',
  ]
    .filter(Boolean)
    .join(' and ');

  for (let round = 1; round <= maxRounds; round++) {
    signal?.throwIfAborted();
    let progress: LagProgress;
    try {
      const p = await primary.observe(signal);
      if (p.role !== 'primary')
        throw bad('unsafe-plan', `${names.primary} is not a primary (in recovery): lag cannot be measured against it`);
      const r = await replica.observe(signal);
      if (r.role !== 'replica') throw bad('unsafe-plan', `${names.replica} is a primary, not a replica`);
      const lag = replicaLag({ primaryLsn: p.currentLsn, replica: r, caughtUpAt });
      if (lag.lagBytes === 0) caughtUpAt = r.serverNow;
      progress = {
        lagBytes: lag.lagBytes,
        lagSeconds: lag.lagSeconds,
        elapsedMs: Math.round(performance.now() - t0),
        round,
        ...(lag.note ? { note: lag.note } : {}),
      };
    } catch (e) {
      if (e instanceof ReplicationError && e.error.kind === 'unsafe-plan') throw e;
      if (signal?.aborted) throw signal.reason ?? e;
      progress = {
        lagBytes: null,
        lagSeconds: null,
        elapsedMs: Math.round(performance.now() - t0),
        round,
        note: `not observed: ${toOpError(e).message}`,
      };
    }
    last = progress;
    options.onProgress?.(progress);
    const okBytes = maxBytes === undefined || (progress.lagBytes !== null && progress.lagBytes <= maxBytes);
    const okSeconds = maxSeconds === undefined || (progress.lagSeconds !== null && progress.lagSeconds <= maxSeconds);
    if (okBytes && okSeconds && (progress.lagBytes !== null || progress.lagSeconds !== null)) {
      const durationMs = Math.round(performance.now() - t0);
      return {
        lagBytes: progress.lagBytes ?? 0,
        lagSeconds: progress.lagSeconds,
        durationMs,
        rounds: round,
        changed: false,
        summary: `${names.replica} lag ${progress.lagBytes} bytes / ${progress.lagSeconds ?? '?'} s is within ${bound} (after ${durationMs} ms, ${round} round${round === 1 ? '' : 's'})`,
        commands: [],
      };
    }
    if (performance.now() - t0 + interval > timeoutMs) break;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, interval);
      const onAbort = (): void => {
        clearTimeout(t);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
  const lastText = last
    ? `${last.lagBytes ?? 'unknown'} bytes / ${last.lagSeconds ?? 'unknown'} s${last.note ? ` (${last.note})` : ''}`
    : 'never observed';
  throw bad(
    'timeout',
    `${names.replica} lag did not come within ${bound} in ${timeoutMs} ms; last: ${lastText}`,
    'is the replica streaming and replaying (not paused)? raise the timeout, or lower the write load',
  );
}
