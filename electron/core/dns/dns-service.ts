/**
 * Watches every configured record at every DNS provider of one environment: the provider's
 * API view and what each of its authoritative nameservers serves, and turns that into
 * `DnsRecordStatus` (shared/status.ts) with drift/TTL/unknown flags.
 *
 * Isolation (bulkhead): every source (record × provider API or nameserver) is an ObservedSource
 * (platform/observed-source.ts) under its endpoint's policy — bulkhead, retry, circuit breaker,
 * timeout; one per provider API and one per nameserver — so a dead or slow endpoint costs at
 * most its own timeout and, once its breaker is open, nothing; it never delays the others. A
 * round is also bounded by a deadline.
 */
import { performance } from 'node:perf_hooks';
import { BrokenCircuitError, isBulkheadRejectedError, TaskCancelledError } from 'cockatiel';
import type { DnsAnswer, DnsRecordStatus } from '../../../shared/status.ts';
import type { DnsProviderConfig, Environment } from '../config/workspace-schema.ts';
import { isLoopbackHost } from '../config/network-host.ts';
import { ObservationPolicy, ObservedSource } from '../platform/observed-source.ts';
import { toOpError } from '../platform/op-error.ts';
import { type AuthoritativeAnswer, type AuthoritativeQueryOptions, queryAuthoritative } from './authoritative-query.ts';
import { buildDnsRecordStatus, type DnsProviderObservation } from './build-dns-record-status.ts';
import type { DnsProvider, DnsRecordType } from './dns-provider.ts';
import { DnsProviderError, describeNetworkError, isDnsProviderError } from './dns-provider-error.ts';
import { type DnsTtlBudget, dnsTtlBudget } from './dns-ttl-budget.ts';

/** Signature of `queryAuthoritative` (injectable for tests). */
export type AuthoritativeQueryFn = (
  server: string,
  fqdn: string,
  type: DnsRecordType,
  opts: AuthoritativeQueryOptions,
) => Promise<AuthoritativeAnswer>;

/** Construction options of `DnsService`. */
export interface DnsServiceOptions {
  /** The environment (records, providers and their nameservers, objectives, probe settings). */
  env: Environment;
  /**
   * Provider instances (from `createDnsProviders`), matched to `env.dnsProviders` by name.
   * A configured provider without an instance shows its API view as unknown; its
   * nameservers are still queried. The service does not close them.
   */
  providers: DnsProvider[];
  /** Clock for `observedAt`/`lastGoodAt`, epoch ms. Default `Date.now`. */
  now?: () => number;
  /** Per-attempt bound for every source, ms. Default `env.probes.timeoutMs` (800). */
  queryTimeoutMs?: number;
  /** Bound of one whole round, ms. Default 2 × queryTimeoutMs + retry backoff + 400. */
  roundDeadlineMs?: number;
  /** Consecutive failed attempts that open an endpoint's breaker. Default 5. */
  breakerThreshold?: number;
  /** How long an open breaker waits before a trial call, ms. Default 5000. */
  breakerHalfOpenAfterMs?: number;
  /** Delay before the single retry of a failed attempt, ms. Default 50. */
  retryBackoffMs?: number;
  /** Replaces `queryAuthoritative` (tests). */
  query?: AuthoritativeQueryFn;
}

type SourceReading = { values: string[]; ttlSeconds: number | null; latencyMs: number; server?: string };

interface Source {
  key: string;
  observed: ObservedSource<SourceReading>;
}

/**
 * DNS observation service of one environment. Owns no timer unless `start()` is called: a
 * monitor normally drives `pollOnce()`.
 *
 * @example
 *   const { providers } = await createDnsProviders(env, resolveSecret);
 *   const dns = new DnsService({ env, providers });
 *   await dns.pollOnce();
 *   dns.statuses(); // DnsRecordStatus[]
 */
export class DnsService {
  readonly #env: Environment;
  readonly #providers = new Map<string, DnsProvider>();
  readonly #now: () => number;
  readonly #timeoutMs: number;
  readonly #deadlineMs: number;
  readonly #threshold: number;
  readonly #halfOpenMs: number;
  readonly #backoffMs: number;
  readonly #query: AuthoritativeQueryFn;
  readonly #budget: DnsTtlBudget;
  readonly #endpoints = new Map<string, ObservationPolicy>();
  readonly #observed = new Map<string, ObservedSource<SourceReading>>();
  readonly #answers = new Map<string, DnsAnswer>();
  #round: Promise<void> | null = null;
  #loop: { stopped: boolean; timer: NodeJS.Timeout | undefined } | null = null;

  /** @throws DnsProviderError `invalid-input` when a provider instance is not in `env.dnsProviders`. */
  constructor(opts: DnsServiceOptions) {
    this.#env = opts.env;
    for (const p of opts.providers) {
      if (!opts.env.dnsProviders.some((c) => c.name === p.name)) {
        throw new DnsProviderError(
          'invalid-input',
          `DNS provider "${p.name}" is not configured in environment ${opts.env.name}`,
          'pass the providers created from this environment',
          { where: p.name },
        );
      }
      this.#providers.set(p.name, p);
    }
    this.#now = opts.now ?? Date.now;
    this.#timeoutMs = opts.queryTimeoutMs ?? opts.env.probes.timeoutMs;
    this.#backoffMs = opts.retryBackoffMs ?? 50;
    this.#deadlineMs = opts.roundDeadlineMs ?? 2 * this.#timeoutMs + this.#backoffMs + 400;
    this.#threshold = opts.breakerThreshold ?? 5;
    this.#halfOpenMs = opts.breakerHalfOpenAfterMs ?? 5000;
    this.#query = opts.query ?? queryAuthoritative;
    this.#budget = dnsTtlBudget(opts.env);
  }

  /** The round deadline in use, ms. */
  get roundDeadlineMs(): number {
    return this.#deadlineMs;
  }

  /**
   * One round: every record × provider, API view + each nameserver, in parallel. Resolves when
   * all sources answered or failed, or at the round deadline (unfinished sources become
   * unknown, "no answer within the 2050 ms round deadline"). Never rejects. A call while a
   * round runs returns that round (rounds never overlap).
   */
  pollOnce(): Promise<void> {
    if (this.#round) return this.#round;
    this.#round = this.#runRound().finally(() => {
      this.#round = null;
    });
    return this.#round;
  }

  /**
   * Current status of every configured record, in workspace order (plain JSON-safe data,
   * a fresh copy each call). Before the first round every source is unknown ("not polled yet").
   */
  statuses(): DnsRecordStatus[] {
    const out = this.#env.records.map((record, ri) => {
      const obs: DnsProviderObservation[] = this.#env.dnsProviders.map((pc) => ({
        provider: pc.name,
        kind: pc.kind,
        api: this.#answer(this.#key(ri, pc.name, 'api')),
        served: Object.fromEntries(pc.nameservers.map((ns) => [ns, this.#answer(this.#key(ri, pc.name, `ns ${ns}`))])),
        ...(isInsecureHttp(pc) ? { insecureHttp: true } : {}),
      }));
      return buildDnsRecordStatus(record, this.#budget, obs);
    });
    return structuredClone(out);
  }

  /**
   * Convenience loop: `pollOnce()`, then wait so rounds start `intervalMs` apart (chained
   * setTimeout, never overlapping; a round longer than the interval is followed at once).
   * Calling it while started does nothing.
   * @param intervalMs default `env.pollIntervalMs`.
   */
  start(intervalMs: number = this.#env.pollIntervalMs): void {
    if (this.#loop) return;
    const loop: { stopped: boolean; timer: NodeJS.Timeout | undefined } = { stopped: false, timer: undefined };
    this.#loop = loop;
    const tick = async (): Promise<void> => {
      if (loop.stopped) return;
      const t0 = performance.now();
      try {
        await this.pollOnce();
      } catch {
        // pollOnce records failures as unknown statuses; never let the loop die.
      }
      if (loop.stopped) return;
      loop.timer = setTimeout(() => void tick(), Math.max(0, intervalMs - (performance.now() - t0)));
    };
    void tick();
  }

  /** Stop the `start()` loop and wait for a running round to finish (bounded by its deadline). */
  async stop(): Promise<void> {
    if (this.#loop) {
      this.#loop.stopped = true;
      clearTimeout(this.#loop.timer);
      this.#loop = null;
    }
    await this.#round;
  }

  // -------------------------------------------------------------------------------------

  async #runRound(): Promise<void> {
    const sources = this.#sources();
    const ctrl = new AbortController();
    const pending = new Set(sources.map((s) => s.key));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        ctrl.abort(new Error(`round deadline of ${this.#deadlineMs} ms reached`));
        resolve();
      }, this.#deadlineMs);
    });
    const all = Promise.allSettled(
      sources.map((s) =>
        this.#observe(s, ctrl.signal).finally(() => {
          pending.delete(s.key);
        }),
      ),
    );
    await Promise.race([all, deadline]);
    clearTimeout(timer);
    if (ctrl.signal.aborted) {
      for (const key of pending) this.#setUnknown(key, `no answer within the ${this.#deadlineMs} ms round deadline`);
    }
  }

  #sources(): Source[] {
    const sources: Source[] = [];
    for (const pc of this.#env.dnsProviders) {
      const provider = this.#providers.get(pc.name);
      this.#env.records.forEach((record, ri) => {
        const apiKey = this.#key(ri, pc.name, 'api');
        if (!provider) {
          this.#setUnknown(apiKey, `no provider instance for "${pc.name}" (its creation failed?)`);
        } else {
          sources.push(
            this.#source(apiKey, `${pc.name} api`, async (signal) => {
              const t0 = performance.now();
              const rs = await provider.getRecordSet(record.name, record.type, signal);
              return {
                values: rs?.values ?? [],
                ttlSeconds: rs?.ttlSeconds ?? null,
                latencyMs: performance.now() - t0,
              };
            }),
          );
        }
        for (const ns of pc.nameservers) {
          sources.push(
            this.#source(this.#key(ri, pc.name, `ns ${ns}`), `${pc.name} ns ${ns}`, async (signal) => {
              // Inner bound slightly above the policy's so the policy's timeout reports first.
              const a = await this.#query(ns, record.name, record.type, {
                timeoutMs: this.#timeoutMs + 50,
                retries: 0,
                signal,
              });
              if (!a.authoritative) {
                throw new DnsProviderError(
                  'invalid-input',
                  `${ns} answered without the AA flag (not authoritative for ${record.name}: lame?)`,
                  'check the nameserver list of this provider',
                );
              }
              return {
                values: a.values,
                ttlSeconds: a.ttlSeconds,
                latencyMs: a.latencyMs,
                ...(a.server ? { server: a.server } : {}),
              };
            }),
          );
        }
      });
    }
    return sources;
  }

  async #observe(source: Source, roundSignal: AbortSignal): Promise<void> {
    const o = await source.observed.observe(roundSignal);
    if (roundSignal.aborted) return;
    if (o.ok) {
      const r = o.value;
      this.#answers.set(source.key, {
        state: 'ok',
        values: r.values,
        ttlSeconds: r.ttlSeconds,
        latencyMs: Math.round(r.latencyMs * 10) / 10,
        ...(r.server ? { server: r.server } : {}),
        observedAt: o.at,
        lastGoodAt: o.at,
      });
    } else {
      this.#setUnknown(source.key, o.error.message);
    }
  }

  #setUnknown(key: string, reason: string): void {
    const prev = this.#answers.get(key);
    this.#answers.set(key, {
      state: 'unknown',
      values: [],
      ttlSeconds: null,
      reason,
      latencyMs: null,
      observedAt: this.#now(),
      lastGoodAt: prev?.lastGoodAt ?? null,
    });
  }

  #answer(key: string): DnsAnswer {
    return (
      this.#answers.get(key) ?? {
        state: 'unknown',
        values: [],
        ttlSeconds: null,
        reason: 'not polled yet',
        latencyMs: null,
        observedAt: null,
        lastGoodAt: null,
      }
    );
  }

  #key(recordIndex: number, provider: string, source: string): string {
    return `${recordIndex}\u0000${provider}\u0000${source}`;
  }

  /** The observed source `key` (one per record × provider API or nameserver), kept across rounds. */
  #source(key: string, endpointId: string, read: (signal: AbortSignal) => Promise<SourceReading>): Source {
    let observed = this.#observed.get(key);
    if (!observed) {
      observed = new ObservedSource<SourceReading>({
        read,
        policy: this.#endpoint(endpointId),
        now: this.#now,
        messages: {
          inFlight: (ms, last) =>
            `the previous query is still running (over ${ms} ms)${last ? ` (last: ${last.message})` : ''}`,
          breakerOpen: (last) =>
            `breaker open after ${this.#threshold} failures (last: ${last?.message ?? 'none recorded'})`,
        },
      });
      this.#observed.set(key, observed);
    }
    return { key, observed };
  }

  /** The policy of one endpoint (a provider API, a nameserver), shared by every record read from it. */
  #endpoint(id: string): ObservationPolicy {
    let ep = this.#endpoints.get(id);
    if (!ep) {
      const timeoutMs = this.#timeoutMs;
      ep = new ObservationPolicy({
        timeoutMs,
        bulkhead: { limit: 8, queue: 10_000 },
        retry: { maxAttempts: 1, backoffMs: this.#backoffMs },
        breaker: { consecutiveFailures: this.#threshold, halfOpenAfterMs: this.#halfOpenMs },
        handles: (e) => isTimeout(e) || (isDnsProviderError(e) && (e.kind === 'unreachable' || e.kind === 'timeout')),
        toError: (e) => ({ kind: toOpError(e).kind, message: describe(e, timeoutMs) }),
        timeoutError: (ms) => ({ kind: 'timeout', message: `timeout after ${ms} ms` }),
      });
      this.#endpoints.set(id, ep);
    }
    return ep;
  }
}

/**
 * cockatiel's timeout error. Not `isTaskCancelledError`: in cockatiel 3.2.1 it tests the
 * `isBulkheadRejectedError` marker (copy-paste bug) and is always false for timeouts.
 */
function isTimeout(e: unknown): boolean {
  return e instanceof TaskCancelledError;
}

/** A PowerDNS provider whose API key goes over plain http to a non-loopback host (opted in). */
function isInsecureHttp(pc: DnsProviderConfig): boolean {
  if (pc.kind !== 'powerdns' || !pc.allowInsecureHttp) return false;
  const url = new URL(pc.apiUrl);
  return url.protocol === 'http:' && !isLoopbackHost(url.hostname);
}

/** The `reason` text of a failed observation. */
function describe(e: unknown, timeoutMs: number): string {
  if (isTimeout(e)) return `timeout after ${timeoutMs} ms`;
  if (e instanceof BrokenCircuitError) return 'breaker open';
  if (isBulkheadRejectedError(e)) return 'too many queued requests to this endpoint (bulkhead full)';
  if (isDnsProviderError(e)) return e.message;
  return describeNetworkError(e);
}
