/**
 * How long a DNS TTL may be without breaking the RTO objective.
 *
 * After a failover starts, clients keep reaching the old site until (1) the outage is
 * detected, (2) the runbook has flipped the records, and (3) resolvers drop the old answer,
 * which they may cache for up to one TTL. So
 *
 *   RTO ≥ detection + runbook + TTL   ⇒   TTL ≤ rtoSeconds − expectedRunbookSeconds − detectionSeconds
 *
 * with detectionSeconds the worst-case detection time of health/detection-time.ts (the same
 * number the RTO estimate uses).
 * A served TTL strictly greater than `maxTtlSeconds` gets the `ttl-exceeds-rto` flag.
 * (Resolvers that stretch TTLs are not modelled; this is the best case.)
 */
import type { Environment } from '../config/workspace-schema.ts';
import { describeDetection, worstCaseDetectionMs } from '../health/detection-time.ts';

/** The TTL budget with its parts, all in seconds. `maxTtlSeconds` may be ≤ 0 (no TTL fits). */
export interface DnsTtlBudget {
  maxTtlSeconds: number;
  rtoSeconds: number;
  runbookSeconds: number;
  detectionSeconds: number;
  /** The formula with the numbers, for flag details and tooltips. */
  explanation: string;
}

/** Compute the TTL budget of an environment (see the module comment for the formula). */
export function dnsTtlBudget(env: Pick<Environment, 'objectives' | 'expectedRunbookSeconds' | 'probes'>): DnsTtlBudget {
  const rtoSeconds = env.objectives.rtoSeconds;
  const runbookSeconds = env.expectedRunbookSeconds;
  const detectionSeconds = worstCaseDetectionMs(env.probes) / 1000;
  const maxTtlSeconds = rtoSeconds - runbookSeconds - detectionSeconds;
  return {
    maxTtlSeconds,
    rtoSeconds,
    runbookSeconds,
    detectionSeconds,
    explanation:
      `RTO ${fmt(rtoSeconds)} s − runbook ${fmt(runbookSeconds)} s − detection ${fmt(detectionSeconds)} s ` +
      `(${describeDetection(env.probes)}) = ${fmt(maxTtlSeconds)} s`,
  };
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}
