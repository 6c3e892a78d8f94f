/**
 * Reads every site's live slot from its router (over the site's SSH host) and keeps one
 * `LiveSlotStatus` (shared/status.ts) per site. Sites are isolated: each has its own cockatiel
 * timeout + circuit breaker, and a round never waits longer than the site timeout.
 */
import { BrokenCircuitError, TaskCancelledError, ConsecutiveBreaker, TimeoutStrategy, circuitBreaker, handleAll, timeout, wrap } from 'cockatiel';
import type { IPolicy } from 'cockatiel';
import type { OpError } from '../../../shared/result.ts';
import type { LiveSlotStatus } from '../../../shared/status.ts';
import type { Environment, Site } from '../config/workspace-schema.ts';
import { toOpError } from '../platform/op-error.ts';
import type { SshPool } from '../ssh/ssh-pool.ts';
import { HaproxyRouter } from './routers/haproxy.ts';
import { NginxRouter } from './routers/nginx.ts';
import type { LiveSlotReading, SlotRouter } from './slot-router.ts';

/** Options of {@link LiveSlotService}. */
export interface LiveSlotServiceOptions {
  env: Environment;
  pool: SshPool;
  /** Clock for `observedAt` / `lastGoodAt`, epoch ms (default `Date.now`). */
  now?: () => number;
  /** Bound on one site's read in a round, ms. Default `clamp(env.pollIntervalMs, 2000, 10000)`. */
  timeoutMs?: number;
  /** Circuit breaker per site (defaults: 3 consecutive failures, half-open after 5000 ms). */
  breaker?: { consecutiveFailures?: number; halfOpenAfterMs?: number };
  /** Builds a site's router (tests pass fakes). Default: by `site.router.kind`. */
  createRouter?: (site: Site, pool: SshPool) => SlotRouter;
}

/** Router of a site by its configured kind. Throws when the kind has no implementation. */
export function createSlotRouter(site: Site, pool: SshPool, timeoutMs?: number): SlotRouter {
  const opts = { site, pool, ...(timeoutMs !== undefined ? { timeoutMs } : {}) };
  return site.router.kind === 'nginx' ? new NginxRouter(opts) : new HaproxyRouter(opts);
}

interface SiteState {
  site: Site;
  router: SlotRouter | null;
  setupError: OpError | null;
  policy: IPolicy;
  inFlight: Promise<unknown> | null;
  lastError: OpError | null;
  status: LiveSlotStatus;
}

/**
 * Live-slot monitor of one environment.
 *
 * - `pollOnce()`: reads every site concurrently; resolves when all are done or timed out
 *   (never rejects). Overlapping calls share the running round.
 * - `statuses()`: one `LiveSlotStatus` per site, in workspace order (copies). `state: 'ok'` means
 *   the router was read (then `liveSlot` may still be null with a `reason`, e.g. both slots
 *   live); `unknown` means it could not be read: `reason` says why, `lastGoodAt` when it last was.
 *   `observedAt` is the time of the last attempt.
 */
export class LiveSlotService {
  readonly #sites: SiteState[];
  readonly #now: () => number;
  readonly #timeoutMs: number;
  #round: Promise<void> | null = null;

  constructor(options: LiveSlotServiceOptions) {
    const { env, pool } = options;
    this.#now = options.now ?? Date.now;
    this.#timeoutMs = options.timeoutMs ?? Math.min(10_000, Math.max(2000, env.pollIntervalMs));
    const failures = options.breaker?.consecutiveFailures ?? 3;
    const halfOpenAfter = options.breaker?.halfOpenAfterMs ?? 5000;
    const create = options.createRouter ?? ((site: Site, p: SshPool) => createSlotRouter(site, p, this.#timeoutMs));
    this.#sites = env.sites.map((site) => {
      let router: SlotRouter | null = null;
      let setupError: OpError | null = null;
      try {
        router = create(site, pool);
      } catch (e) {
        setupError = toOpError(e, `${env.name}/sites/${site.name}/router`);
      }
      const breaker = circuitBreaker(handleAll, { halfOpenAfter, breaker: new ConsecutiveBreaker(failures) });
      return {
        site,
        router,
        setupError,
        policy: wrap(breaker, timeout(this.#timeoutMs, TimeoutStrategy.Aggressive)),
        inFlight: null,
        lastError: null,
        status: {
          site: site.name,
          router: site.router.kind,
          state: 'unknown',
          liveSlot: null,
          reason: setupError?.message ?? 'not read yet',
          observedAt: null,
          lastGoodAt: null,
        },
      };
    });
  }

  pollOnce(): Promise<void> {
    this.#round ??= Promise.all(this.#sites.map((s) => this.#read(s)))
      .then(() => undefined)
      .finally(() => {
        this.#round = null;
      });
    return this.#round;
  }

  statuses(): LiveSlotStatus[] {
    return this.#sites.map((s) => ({ ...s.status }));
  }

  async #read(s: SiteState): Promise<void> {
    const outcome = await this.#attempt(s);
    const t = this.#now();
    if (outcome.ok) {
      const r = outcome.reading;
      s.lastError = null;
      s.status = {
        site: s.site.name,
        router: s.site.router.kind,
        state: 'ok',
        liveSlot: r.liveSlot,
        evidence: r.evidence,
        ...(r.reason !== undefined ? { reason: r.reason } : {}),
        observedAt: t,
        lastGoodAt: t,
      };
      return;
    }
    if (!outcome.skipped) s.lastError = outcome.error;
    s.status = {
      site: s.site.name,
      router: s.site.router.kind,
      state: 'unknown',
      liveSlot: null,
      reason: outcome.error.message,
      observedAt: t,
      lastGoodAt: s.status.lastGoodAt,
    };
  }

  async #attempt(s: SiteState): Promise<{ ok: true; reading: LiveSlotReading } | { ok: false; error: OpError; skipped?: boolean }> {
    if (!s.router) return { ok: false, error: s.setupError ?? { kind: 'internal', message: 'no router' } };
    const router = s.router;
    if (s.inFlight) {
      return { ok: false, skipped: true, error: { kind: 'timeout', message: `the previous read is still running (over ${this.#timeoutMs} ms)${s.lastError ? `; last error: ${s.lastError.message}` : ''}` } };
    }
    try {
      const reading = await s.policy.execute(({ signal }) => {
        const p = router.readLiveSlot(signal);
        const tracked = p.finally(() => {
          if (s.inFlight === tracked) s.inFlight = null;
        });
        tracked.catch(() => {});
        s.inFlight = tracked;
        return p;
      });
      return { ok: true, reading };
    } catch (e) {
      if (e instanceof BrokenCircuitError) {
        return { ok: false, skipped: true, error: { kind: s.lastError?.kind ?? 'unreachable', message: `not read: circuit open after repeated failures${s.lastError ? `; last error: ${s.lastError.message}` : ''}` } };
      }
      if (e instanceof TaskCancelledError) {
        return { ok: false, error: { kind: 'timeout', message: `router did not answer within ${this.#timeoutMs} ms` } };
      }
      return { ok: false, error: toOpError(e) };
    }
  }
}
