/**
 * RPO now and RTO estimate, each with the numbers and words that explain it.
 *
 * RPO now = the worst replica's replication lag in seconds: what a failover at this instant
 * would lose (asynchronous streaming replication; Patroni's `maximum_lag_on_failover` gates
 * promotion on the same quantity in bytes).
 *
 * RTO estimate = detection + runbook + DNS drain:
 * - detection = the worst case of health/detection-time.ts (next probe one interval later, it
 *   times out, then fast confirm probes until the unhealthy threshold is met);
 * - runbook = the environment's `expectedRunbookSeconds` (measured by drills later);
 * - DNS drain = the longest TTL any provider's nameserver currently serves for the records:
 *   resolvers may keep the old answer that long (RFC 1035 §3.2.1; some stretch it further).
 */
import type { DbNodeStatus, DnsRecordStatus, RpoStatus, RtoStatus } from '../../../shared/status.ts';
import type { Environment } from '../config/workspace-schema.ts';
import { describeDetection, worstCaseDetectionMs } from '../health/detection-time.ts';

const fmtBytes = (b: number): string =>
  b < 1024 ? `${b} B` : b < 1024 ** 2 ? `${(b / 1024).toFixed(1)} KiB` : `${(b / 1024 ** 2).toFixed(1)} MiB`;
const fmtS = (s: number): string => (s < 10 ? s.toFixed(1) : s.toFixed(0));

export function computeRpo(env: Environment, nodes: DbNodeStatus[]): RpoStatus {
  const objectiveSeconds = env.objectives.rpoSeconds;
  const unknown = nodes.filter((n) => n.state === 'unknown' || n.role === 'unknown');
  if (nodes.length === 0) {
    return {
      verdict: 'unknown',
      nowSeconds: null,
      lagBytes: null,
      objectiveSeconds,
      explanation: 'No database nodes are configured, so data loss on failover cannot be measured.',
    };
  }
  if (unknown.length > 0) {
    return {
      verdict: 'unknown',
      nowSeconds: null,
      lagBytes: null,
      objectiveSeconds,
      explanation: `Cannot measure: ${unknown.map((n) => `${n.name} unknown — ${n.reason ?? 'no data'}`).join('; ')}.`,
    };
  }
  const streaming = nodes.filter((n) => n.role === 'replica');
  if (streaming.length === 0) {
    return {
      verdict: 'unknown',
      nowSeconds: null,
      lagBytes: null,
      objectiveSeconds,
      explanation: `No node is a replica (${nodes.map((n) => `${n.name}: ${n.role}`).join(', ')}): there is nothing to fail over to without data loss.`,
    };
  }
  const missing = streaming.filter((n) => n.lagSeconds === null);
  if (missing.length > 0) {
    return {
      verdict: 'unknown',
      nowSeconds: null,
      lagBytes: null,
      objectiveSeconds,
      explanation: `Lag of ${missing.map((n) => n.name).join(', ')} is unknown (${missing.map((n) => n.reason ?? 'no primary position to compare').join('; ')}).`,
    };
  }
  const worst = streaming.reduce((a, b) => ((b.lagSeconds ?? 0) > (a.lagSeconds ?? 0) ? b : a));
  const nowSeconds = worst.lagSeconds ?? 0;
  const verdict = nowSeconds > objectiveSeconds ? 'breach' : 'ok';
  const bytes = worst.lagBytes;
  const paused = worst.replayPaused ? ' Replay is PAUSED on the replica.' : '';
  return {
    verdict,
    nowSeconds,
    lagBytes: bytes,
    objectiveSeconds,
    explanation:
      `Replica ${worst.name} is ${fmtS(nowSeconds)} s${bytes !== null ? ` (${fmtBytes(bytes)})` : ''} behind its primary: ` +
      `a failover now would lose about ${fmtS(nowSeconds)} s of committed writes; objective ${objectiveSeconds} s.${paused}`,
  };
}

export function computeRto(env: Environment, dns: DnsRecordStatus[]): RtoStatus {
  const objectiveSeconds = env.objectives.rtoSeconds;
  const p = env.probes;
  const detectionSeconds = worstCaseDetectionMs(p) / 1000;
  const runbookSeconds = env.expectedRunbookSeconds;
  const served = dns.map((r) => r.maxServedTtlSeconds).filter((t): t is number => t !== null);
  const allKnown = dns.length > 0 && served.length === dns.length;
  const dnsTtlSeconds = served.length > 0 ? Math.max(...served) : null;
  const parts = { detectionSeconds, runbookSeconds, dnsTtlSeconds };
  const formula = `detection ${fmtS(detectionSeconds)} s (worst case: ${describeDetection(p)}) + runbook ${fmtS(runbookSeconds)} s (expected)`;
  if (!allKnown || dnsTtlSeconds === null) {
    return {
      verdict: 'unknown',
      estimateSeconds: null,
      objectiveSeconds,
      parts,
      explanation: `${formula} + DNS TTL unknown (a provider's nameserver did not answer), so recovery time cannot be bounded.`,
    };
  }
  const estimateSeconds = detectionSeconds + runbookSeconds + dnsTtlSeconds;
  return {
    verdict: estimateSeconds > objectiveSeconds ? 'breach' : 'ok',
    estimateSeconds,
    objectiveSeconds,
    parts,
    explanation: `${formula} + DNS drain ${dnsTtlSeconds} s (longest TTL served by any provider) = ${fmtS(estimateSeconds)} s; objective ${objectiveSeconds} s.`,
  };
}
