/**
 * Pure derivation of one site's verdict from its probes, live slot and database role.
 * Rules (unknown is never healthy):
 * - entry point unknown → `unknown` (we cannot tell whether users are served);
 * - entry point unhealthy → `unhealthy` (users reaching this site get errors);
 * - entry healthy but the live slot's probe is not healthy, another slot is down, the live
 *   slot cannot be read, or the site's database is unknown → `degraded`;
 * - otherwise `healthy`.
 */
import type { DbRole, HealthState, LiveSlotStatus, ProbeStatus } from '../../../shared/status.ts';

export interface SiteVerdict {
  state: HealthState;
  /** One sentence naming what drives the verdict. */
  reason: string;
}

export function computeSiteStatus(
  entry: ProbeStatus,
  slots: ProbeStatus[],
  live: LiveSlotStatus,
  dbRole: DbRole,
): SiteVerdict {
  if (entry.state === 'unknown') {
    return { state: 'unknown', reason: `entry point not verified yet${entry.reason ? ` — ${entry.reason}` : ''}` };
  }
  const slotProblems = slots
    .filter((s) => s.state !== 'healthy')
    .map(
      (s) => `${live.liveSlot === s.slot ? 'live ' : ''}slot ${s.slot} ${s.state}${s.reason ? ` — ${s.reason}` : ''}`,
    );
  if (entry.state === 'unhealthy') {
    // name the slots too: "entry failing" alone does not tell the on-call engineer why
    const why = [`entry point ${entry.url} failing — ${entry.reason ?? 'unhealthy'}`, ...slotProblems];
    return { state: 'unhealthy', reason: why.join('; ') };
  }
  const problems: string[] = [];
  if (live.state === 'unknown') problems.push(`live slot unknown — ${live.reason ?? 'router not readable'}`);
  problems.push(...slotProblems);
  if (dbRole === 'unknown') problems.push('database role unknown');
  if (problems.length > 0) return { state: 'degraded', reason: problems.join('; ') };
  return { state: 'healthy', reason: `entry point and ${slots.length} slot(s) healthy` };
}
