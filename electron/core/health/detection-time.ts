/**
 * Worst-case time from a target failing to the console calling it unhealthy, with the probe
 * settings and the service's fast confirm (health-service.ts): the failure begins right after a
 * good probe, so the next probe comes one interval later and times out; each further failure
 * needed for the threshold is a confirm probe (≤ 250 ms later) that also times out.
 *
 *   detection = interval + timeout + (unhealthyThreshold − 1) × (confirm + timeout)
 *
 * A refused connection fails at once, so the common case is about interval + confirms.
 * Used by the RTO estimate and the DNS TTL budget so both say the same number.
 */
import type { ProbeSettings } from '../config/workspace-schema.ts';
import { PROBE_CONFIRM_MS } from './health-service.ts';

/** @returns worst-case detection time, ms. */
export function worstCaseDetectionMs(p: ProbeSettings): number {
  const confirm = Math.min(PROBE_CONFIRM_MS, p.intervalMs / 4);
  return p.intervalMs + p.timeoutMs + (p.unhealthyThreshold - 1) * (confirm + p.timeoutMs);
}

/** The formula with the numbers, for explanations. */
export function describeDetection(p: ProbeSettings): string {
  const confirm = Math.min(PROBE_CONFIRM_MS, p.intervalMs / 4);
  return `${p.intervalMs} ms interval + ${p.timeoutMs} ms timeout${p.unhealthyThreshold > 1 ? ` + ${p.unhealthyThreshold - 1} × (${confirm} ms confirm + ${p.timeoutMs} ms timeout)` : ''}`;
}
