/**
 * Where a run's measured recovery time starts. A failover is usually started because the site
 * traffic is on went down, and the outage users see began then, not when someone pressed "run":
 * counting from the run's start would leave out detection and decision time, the part an RTO
 * objective is most often missed by. So when the site the record points at as the run starts
 * has its entry probe unhealthy, recovery is counted from the first failed probe of that
 * failure streak (`ProbeStatus.failingSince`); otherwise (a planned switchover, a healthy or
 * unobserved site) from the run's start.
 */
import type { RecoveryFrom } from '../../../shared/runs/run-summary.ts';
import type { EnvironmentSnapshot } from '../../../shared/status.ts';

/** The chosen start of a recovery measurement. */
export interface RecoveryBasis {
  from: RecoveryFrom;
  /** The instant recovery is counted from, epoch ms. */
  startedAt: number;
  /** Site the record pointed at when the run started; null when not agreed or not observed. */
  fromSite: string | null;
  /** Why this basis, in words (for the audit log). */
  reason: string;
}

/**
 * Decides the recovery basis of a run that points `record` at `toSite`.
 *
 * `first-failed-probe` at the from-site entry's `failingSince` when all hold: the snapshot's
 * DNS status for `record` agrees on a site (`pointsTo`), that site is not `toSite`, its entry
 * probe is `unhealthy` (one failed probe below the threshold is not yet an outage) with
 * `failingSince` set, and that time is not after `runStartedAt` (a failure that began after the
 * run started did not trigger it). Otherwise `run-start` at `runStartedAt`.
 *
 * @param snapshot the monitor's latest observation of the environment (null: none)
 * @param record record name the run moves, e.g. `app.lab.test`
 * @param toSite site the run points the record at
 * @param runStartedAt the run's creation time, epoch ms
 * @param recordedFailingSince start of the entry probe's failure streak as recorded in the
 *   sample store (SampleStore.failureStreakStart), epoch ms or null; used when it is earlier
 *   than what this console's own probes saw
 */
export function recoveryBasis(
  snapshot: EnvironmentSnapshot | null,
  record: string,
  toSite: string,
  runStartedAt: number,
  recordedFailingSince: (probeId: string) => number | null = () => null,
): RecoveryBasis {
  const runStart = (fromSite: string | null, reason: string): RecoveryBasis => ({
    from: 'run-start',
    startedAt: runStartedAt,
    fromSite,
    reason,
  });
  if (!snapshot) return runStart(null, 'the environment was not observed when the run started');
  const fromSite = snapshot.dns.find((d) => d.name === record)?.pointsTo ?? null;
  if (fromSite === null) return runStart(null, `where ${record} pointed was not known (providers disagree or unknown)`);
  if (fromSite === toSite) return runStart(fromSite, `${record} already pointed at ${toSite}`);
  const entry = snapshot.sites.find((s) => s.name === fromSite)?.entry;
  if (!entry) return runStart(fromSite, `site ${fromSite} is not in the snapshot`);
  if (entry.state !== 'unhealthy' || entry.failingSince === null)
    return runStart(fromSite, `the entry of ${fromSite} was ${entry.state} when the run started`);
  if (entry.failingSince > runStartedAt)
    return runStart(fromSite, `the entry of ${fromSite} started failing after the run started`);
  // A console started just now (the CLI) saw only its own probes fail; the store may hold the
  // same streak as recorded earlier by a console that kept watching.
  const recorded = recordedFailingSince(entry.id);
  const earlier = recorded !== null && recorded < entry.failingSince;
  return {
    from: 'first-failed-probe',
    startedAt: earlier ? recorded : entry.failingSince,
    fromSite,
    reason: `the entry of ${fromSite} was unhealthy (${entry.reason ?? 'failing'}) since its first failed probe${earlier ? ' (as recorded by a console that was watching before this one started)' : ''}`,
  };
}

/**
 * The recovery basis of a run that moves several records (`moves`, in plan order): the earliest
 * `first-failed-probe` basis among them — the outage users saw began when the first site a
 * moved record pointed at started failing — else the `run-start` basis of the last move.
 * Same parameters as {@link recoveryBasis}, with `moves` for `record` / `toSite`.
 * @throws Error when `moves` is empty (a run that moves no record measures no recovery).
 */
export function recoveryBasisOfMoves(
  snapshot: EnvironmentSnapshot | null,
  moves: readonly { record: string; toSite: string }[],
  runStartedAt: number,
  recordedFailingSince: (probeId: string) => number | null = () => null,
): RecoveryBasis {
  if (moves.length === 0) throw new Error('recoveryBasisOfMoves: no record is moved');
  const bases = moves.map((m) => recoveryBasis(snapshot, m.record, m.toSite, runStartedAt, recordedFailingSince));
  const failed = bases.filter((b) => b.from === 'first-failed-probe').sort((a, b) => a.startedAt - b.startedAt);
  return failed[0] ?? bases.at(-1)!;
}
