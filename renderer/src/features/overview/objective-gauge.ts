/**
 * Bars for the RPO and RTO cards: the measured/estimated value against the objective on one
 * scale, and the RTO estimate split into its parts.
 */
import type { RtoStatus } from '../../../../shared/status.ts';

export interface Gauge {
  /** Width of the value bar, 0..1 of the track. */
  valueFraction: number;
  /** Position of the objective marker, 0..1 of the track. */
  objectiveFraction: number;
  /** Top of the scale (seconds): the larger of value and objective, with 25 % headroom. */
  scaleMax: number;
}

/**
 * Value vs objective on one track. The objective sits at 80 % when the value is within it,
 * so "how close are we" reads at a glance; a breach pushes the marker left.
 *
 * @param value seconds, null when unknown (empty bar)
 * @param objective seconds (RPO may be 0: then any lag is a breach)
 */
export function objectiveGauge(value: number | null, objective: number): Gauge {
  const v = value !== null && Number.isFinite(value) ? Math.max(0, value) : 0;
  const scaleMax = Math.max(objective, v, 1e-9) * 1.25;
  return { valueFraction: clamp01(v / scaleMax), objectiveFraction: clamp01(objective / scaleMax), scaleMax };
}

export interface RtoSegment {
  part: 'detection' | 'runbook' | 'dns-ttl';
  label: string;
  seconds: number | null;
  /** Width, 0..1 of the track (0 when unknown). */
  fraction: number;
}

/**
 * The RTO estimate as stacked parts (detection + runbook + DNS TTL drain) on the same scale as
 * `objectiveGauge(estimate, objective)`. An unknown TTL has width 0 and `seconds: null`.
 */
export function rtoSegments(rto: RtoStatus): { segments: RtoSegment[]; gauge: Gauge } {
  const { detectionSeconds, runbookSeconds, dnsTtlSeconds } = rto.parts;
  const sum = detectionSeconds + runbookSeconds + (dnsTtlSeconds ?? 0);
  const gauge = objectiveGauge(rto.estimateSeconds ?? sum, rto.objectiveSeconds);
  const frac = (s: number | null): number => (s === null ? 0 : clamp01(s / gauge.scaleMax));
  return {
    gauge,
    segments: [
      { part: 'detection', label: 'detection', seconds: detectionSeconds, fraction: frac(detectionSeconds) },
      { part: 'runbook', label: 'runbook', seconds: runbookSeconds, fraction: frac(runbookSeconds) },
      { part: 'dns-ttl', label: 'DNS TTL drain', seconds: dnsTtlSeconds, fraction: frac(dnsTtlSeconds) },
    ],
  };
}

const clamp01 = (x: number): number => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);
