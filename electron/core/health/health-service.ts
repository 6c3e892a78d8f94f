/**
 * HTTP health of one environment: every site's entry point (through its router) and every
 * blue/green slot, each probed on its own timer, with thresholds, a latency history and a
 * circuit breaker per target (see probe-target.ts for the policy and the detection bound).
 */
import type { Environment } from '../config/workspace-schema.ts';
import type { ProbeStatus } from '../../../shared/status.ts';
import { createProbeAgent, httpProbe } from './http-probe.ts';
import { caPemOf } from '../config/ca-files.ts';
import type { HttpProbeResult, ProbeAgentOptions } from './http-probe.ts';
import { ProbeTarget } from './probe-target.ts';
import type { ProbeFn, ProbeTargetSettings, ProbeTargetSpec } from './probe-target.ts';
import type { Agent } from 'undici';

/** Options of {@link HealthService}. */
export interface HealthServiceOptions {
  /** Validated environment (workspace-schema.ts); `probes` gives interval, timeout and thresholds. */
  env: Environment;
  /** Clock for timestamps (`lastCheckedAt`, samples), epoch ms. Scheduling uses a monotonic clock. */
  now?: () => number;
  /**
   * Called after every probe: target id, completion time (epoch ms), latency (ms) or null when
   * the probe failed. Exceptions are caught and ignored (a sink must not stop probing).
   */
  onSample?: (probeId: string, t: number, latencyMs: number | null) => void;
  /** Overrides of breaker/retry/history defaults (probe-target.ts). Thresholds come from `env.probes`. */
  resilience?: Pick<ProbeTargetSettings, 'historySize' | 'breakerThreshold' | 'halfOpenAfterMs' | 'retryDelayMs'>;
  /** Options of the shared undici Agent. */
  agent?: ProbeAgentOptions;
  /** Replaces the HTTP attempt (unit tests only). */
  probe?: ProbeFn;
}

/**
 * The targets of an environment, in workspace order: per site its entry (`router.entryUrl`,
 * slot null) then each slot (`url` + `healthPath`).
 * Ids: `${env}/${site}/entry`, `${env}/${site}/slot/${slot}`.
 */
export function healthTargets(env: Environment): ProbeTargetSpec[] {
  const out: ProbeTargetSpec[] = [];
  for (const site of env.sites) {
    out.push({
      id: `${env.name}/${site.name}/entry`,
      site: site.name,
      slot: null,
      url: site.router.entryUrl,
      ...(site.router.caFile !== undefined ? { caFile: site.router.caFile } : {}),
    });
    for (const slot of site.slots) {
      out.push({
        id: `${env.name}/${site.name}/slot/${slot.name}`,
        site: site.name,
        slot: slot.name,
        url: slot.url.replace(/\/+$/, '') + slot.healthPath,
        ...(slot.caFile !== undefined ? { caFile: slot.caFile } : {}),
      });
    }
  }
  return out;
}

/**
 * Probe start times are aligned to this grid, ms (monotonic clock). Timers that expire in the
 * same millisecond run in one event-loop wakeup, so 1,000 targets cost ~100 wakeups/s instead of
 * ~500–1,000: measured −35 % CPU for 1,000 requests/s (bench/RESULTS.md). A probe starts at most
 * one grid step after its ideal time; each target still has its own timer chain and phase.
 */
export const PROBE_GRID_MS = 10;

/** Delay before re-probing a target whose verdict is about to change, ms (at most interval/4). */
export const PROBE_CONFIRM_MS = 250;

const alignUp = (t: number): number => Math.ceil(t / PROBE_GRID_MS) * PROBE_GRID_MS;

interface Runner {
  target: ProbeTarget;
  timer: NodeJS.Timeout | undefined;
  inflight: Promise<void> | undefined;
  /** Ideal monotonic time (performance.now(), ms) the next probe is due; it starts at alignUp(dueAt). */
  dueAt: number;
}

/**
 * Probes all targets of one environment.
 *
 * Scheduling: each target has its own setTimeout chain at `probes.intervalMs`, fixed-rate
 * (the next probe is due one interval after the previous one was *due*), never overlapping
 * (a probe that overruns delays the next one; a late timer skips missed slots instead of
 * bursting). The first tick of each target is spread uniformly over one interval, on a
 * {@link PROBE_GRID_MS} grid, so 1,000 targets do not fire at once yet share wakeups.
 *
 * Lifecycle: `start()` → (`statuses()`, `onChange`) → `await stop()`. `pollOnce()` works with
 * or without `start()`; after using it alone, call `stop()` to close the keep-alive sockets.
 */
export class HealthService {
  readonly env: Environment;
  readonly #now: () => number;
  readonly #onSample: HealthServiceOptions['onSample'];
  readonly #agentOptions: ProbeAgentOptions;
  readonly #customProbe: ProbeFn | undefined;
  readonly #runners: Runner[];
  readonly #listeners = new Set<(status: ProbeStatus) => void>();
  #agent: Agent | undefined;
  /** One Agent per caFile (TLS trust is per connection pool). */
  #caAgents = new Map<string, Agent>();
  #abort = new AbortController();
  #running = false;
  /** Incremented by start() and stop(): a timer chain of an older run never reschedules itself. */
  #generation = 0;

  constructor(options: HealthServiceOptions) {
    this.env = options.env;
    this.#now = options.now ?? Date.now;
    this.#onSample = options.onSample;
    this.#agentOptions = options.agent ?? {};
    this.#customProbe = options.probe;
    const p = options.env.probes;
    const settings: ProbeTargetSettings = {
      ...options.resilience,
      timeoutMs: p.timeoutMs,
      healthyThreshold: p.healthyThreshold,
      unhealthyThreshold: p.unhealthyThreshold,
    };
    this.#runners = healthTargets(options.env).map((spec) => ({
      target: new ProbeTarget(spec, settings, (url, signal) => this.#attempt(url, signal, spec.caFile), this.#now),
      timer: undefined,
      inflight: undefined,
      dueAt: 0,
    }));
  }

  /** True between `start()` and `stop()`. */
  get running(): boolean {
    return this.#running;
  }

  #attempt(url: string, signal: AbortSignal, caFile: string | undefined): Promise<HttpProbeResult> {
    if (this.#customProbe) return this.#customProbe(url, signal);
    // Never (re)create the Agent for a probe that stop() already aborted: it would leak sockets.
    if (signal.aborted || this.#abort.signal.aborted)
      return Promise.resolve({ ok: false, status: null, latencyMs: 0, error: 'aborted' });
    if (caFile !== undefined) {
      let agent = this.#caAgents.get(caFile);
      if (!agent) {
        agent = createProbeAgent({ ...this.#agentOptions, ca: caPemOf(caFile)! });
        this.#caAgents.set(caFile, agent);
      }
      return httpProbe(url, { dispatcher: agent, signal });
    }
    this.#agent ??= createProbeAgent(this.#agentOptions);
    return httpProbe(url, { dispatcher: this.#agent, signal });
  }

  /** Start periodic probing. Idempotent. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    const gen = ++this.#generation;
    if (this.#abort.signal.aborted) this.#abort = new AbortController();
    const interval = this.env.probes.intervalMs;
    const now = performance.now();
    const t0 = alignUp(now);
    const slots = Math.max(1, Math.floor(interval / PROBE_GRID_MS));
    for (const r of this.#runners) {
      // First tick spread over one interval, on the grid (≈ targets / slots per wakeup).
      r.dueAt = t0 + Math.floor(Math.random() * slots) * PROBE_GRID_MS;
      r.timer = setTimeout(() => this.#tick(r, gen), alignUp(r.dueAt) - now);
    }
  }

  #tick(r: Runner, gen: number): void {
    r.timer = undefined;
    if (gen !== this.#generation) return;
    void this.#runOne(r).then(() => {
      if (gen !== this.#generation) return;
      const interval = this.env.probes.intervalMs;
      const now = performance.now();
      if (r.target.pending) {
        // Fast confirm: a verdict about to flip is re-probed after a quarter interval (≤ 250 ms),
        // not a whole one, so a dead slot shows as unhealthy about one interval sooner; the
        // phase restarts from here (Route 53's "fast" checks trade probes for detection the same way).
        r.dueAt = now + Math.min(PROBE_CONFIRM_MS, interval / 4);
        r.timer = setTimeout(() => this.#tick(r, gen), alignUp(r.dueAt) - now);
        return;
      }
      r.dueAt += interval;
      // Late (event loop stalled or the probe overran): skip the missed slots, keep the phase.
      if (r.dueAt < now) r.dueAt += Math.ceil((now - r.dueAt) / interval) * interval;
      r.timer = setTimeout(() => this.#tick(r, gen), alignUp(r.dueAt) - now);
    });
  }

  /** One probe of one target; joins the in-flight one instead of overlapping it. */
  #runOne(r: Runner): Promise<void> {
    if (r.inflight) return r.inflight;
    const signal = this.#abort.signal;
    const p = r.target.probe(signal).then((changed) => {
      if (signal.aborted) return;
      const target = r.target;
      if (this.#onSample) {
        try {
          this.#onSample(target.spec.id, target.lastCheckedAt ?? this.#now(), target.latencyMs);
        } catch {
          // a failing sink must not stop probing
        }
      }
      // A full snapshot copies the latency history: build it only for listeners, on a change.
      if (changed && this.#listeners.size > 0) this.#emit(target.status());
    });
    r.inflight = p.finally(() => {
      r.inflight = undefined;
    });
    return r.inflight;
  }

  #emit(status: ProbeStatus): void {
    for (const cb of this.#listeners) {
      try {
        cb(status);
      } catch {
        // one bad listener must not starve the others
      }
    }
  }

  /**
   * Stop probing: clears timers, aborts in-flight probes (their outcome is dropped), closes the
   * Agent's sockets. Statuses keep their last values. `start()` may be called again afterwards.
   */
  async stop(): Promise<void> {
    this.#running = false;
    this.#generation++;
    for (const r of this.#runners) {
      if (r.timer) clearTimeout(r.timer);
      r.timer = undefined;
    }
    this.#abort.abort();
    await Promise.all(this.#runners.map((r) => r.inflight));
    const agents = [this.#agent, ...this.#caAgents.values()];
    this.#agent = undefined;
    this.#caAgents.clear();
    await Promise.all(agents.map((a) => a?.destroy()));
  }

  /**
   * Probe every target once, concurrently (joins probes already in flight), and return the
   * statuses. For tests and `standby status`. Resolves within about `probes.timeoutMs`.
   */
  async pollOnce(): Promise<ProbeStatus[]> {
    if (this.#abort.signal.aborted) this.#abort = new AbortController();
    await Promise.all(this.#runners.map((r) => this.#runOne(r)));
    return this.statuses();
  }

  /** Current status of every target, in workspace order (see {@link healthTargets}). */
  statuses(): ProbeStatus[] {
    return this.#runners.map((r) => r.target.status());
  }

  /**
   * Subscribe to verdict changes (`state` of a target changed). Called synchronously after the
   * probe that changed it, with that target's new status — push a snapshot from there.
   * @returns unsubscribe function
   */
  onChange(cb: (status: ProbeStatus) => void): () => void {
    this.#listeners.add(cb);
    return () => {
      this.#listeners.delete(cb);
    };
  }
}
