/**
 * Reads every site's live slot from its router (over the site's SSH host) and keeps one
 * `LiveSlotStatus` (shared/status.ts) per site. Sites are isolated: each is an ObservedSource
 * (platform/observed-source.ts) with its own timeout + circuit breaker, and a round never waits
 * longer than the site timeout.
 */
import type { OpError } from '../../../shared/result.ts';
import type { LiveSlotStatus } from '../../../shared/status.ts';
import type { Environment, Site } from '../config/workspace-schema.ts';
import { ObservedSource } from '../platform/observed-source.ts';
import { toOpError } from '../platform/op-error.ts';
import type { LiveSlotReading, SlotRouter } from './slot-router.ts';

/** Options of {@link LiveSlotService}. */
export interface LiveSlotServiceOptions {
  env: Environment;
  /** Clock for `observedAt` / `lastGoodAt`, epoch ms (default `Date.now`). */
  now?: () => number;
  /** Bound on one site's read in a round, ms. Default `clamp(env.pollIntervalMs, 2000, 10000)`. */
  timeoutMs?: number;
  /**
   * Circuit breaker per site (defaults: 3 consecutive failures, half-open after
   * `clamp(env.pollIntervalMs, 1000, 5000)` ms, so a router that comes back is read again within
   * about two rounds).
   */
  breaker?: { consecutiveFailures?: number; halfOpenAfterMs?: number };
  /**
   * A site's router: the environment's (environment/create-environment-services.ts), or a fake.
   * Called once per site at construction; a throw becomes the site's permanent `unknown` reason.
   */
  createRouter: (site: Site) => SlotRouter;
}

interface SiteState {
  site: Site;
  /** Null when the site's router could not be had (`setupError` says why). */
  source: ObservedSource<LiveSlotReading> | null;
  setupError: OpError | null;
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
    const { env } = options;
    this.#now = options.now ?? Date.now;
    this.#timeoutMs = options.timeoutMs ?? Math.min(10_000, Math.max(2000, env.pollIntervalMs));
    const failures = options.breaker?.consecutiveFailures ?? 3;
    const halfOpenAfter = options.breaker?.halfOpenAfterMs ?? Math.min(5000, Math.max(1000, env.pollIntervalMs));
    const create = options.createRouter;
    this.#sites = env.sites.map((site) => {
      let router: SlotRouter | null = null;
      let setupError: OpError | null = null;
      try {
        router = create(site);
      } catch (e) {
        setupError = toOpError(e, `${env.name}/sites/${site.name}/router`);
      }
      const r = router;
      const source = r
        ? new ObservedSource<LiveSlotReading>({
            read: (signal) => r.readLiveSlot(signal),
            policy: {
              timeoutMs: this.#timeoutMs,
              breaker: { consecutiveFailures: failures, halfOpenAfterMs: halfOpenAfter },
              timeoutError: (ms) => ({ kind: 'timeout', message: `router did not answer within ${ms} ms` }),
            },
            now: this.#now,
            messages: {
              inFlight: (ms, last) =>
                `the previous read is still running (over ${ms} ms)${last ? `; last error: ${last.message}` : ''}`,
              breakerOpen: (last) =>
                `not read: circuit open after repeated failures${last ? `; last error: ${last.message}` : ''}`,
            },
          })
        : null;
      return {
        site,
        source,
        setupError,
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

  async #attempt(s: SiteState): Promise<{ ok: true; reading: LiveSlotReading } | { ok: false; error: OpError }> {
    if (!s.source) return { ok: false, error: s.setupError ?? { kind: 'internal', message: 'no router' } };
    const o = await s.source.observe();
    return o.ok ? { ok: true, reading: o.value } : { ok: false, error: o.error };
  }
}
