/**
 * DR posture of one environment: can it fail over again right now without losing more than the
 * RPO? Modelled on Route 53 ARC readiness checks and Azure Site Recovery's "protected /
 * unprotected — re-protect": a failover spends the protection, and the dashboard must say so
 * instead of showing RTO "within objective" with nothing left to fail over to.
 *
 * - `protected`: a standby site (any site DNS does not point at) is healthy and its database
 *   node is a replica, WAL receiver `streaming`, lag known and within the RPO objective;
 * - `degraded`: a standby replica exists but one of those checks fails or is unknown (the reason
 *   names which); unknown readings are never protected;
 * - `unprotected`: no standby site, no replica on any standby site (the old primary is down,
 *   still a primary, or not rebuilt), or split brain. `restoreRunbook` then names the runbook
 *   that restores protection (declared `kind: failback`, else a name containing failback/rejoin).
 *
 * A standby node that cannot be read counts as down once it has had no good reading for 3 poll
 * intervals (or never had one): a brief read failure is `degraded`, a fenced old primary is not
 * a replica anyone can fail over to.
 */
import type { DbNodeStatus, EnvironmentSnapshot, Posture, PostureState } from '../../../shared/status.ts';

/** A runbook as the posture sees it: its name and declared purpose (`kind`, null when invalid). */
export interface PostureRunbook {
  name: string;
  kind: string | null;
}

export interface PostureInput {
  snapshot: Omit<EnvironmentSnapshot, 'posture'>;
  /** RPO objective, s. */
  rpoSeconds: number;
  /** Poll interval of replication, ms (a reading older than 3× is stale). */
  pollIntervalMs: number;
  /** The workspace's runbooks (to name the one that restores protection). */
  runbooks: PostureRunbook[];
  /** Now, epoch ms. */
  now: number;
}

const rank: Record<PostureState, number> = { protected: 0, degraded: 1, unprotected: 2 };

/** Picks the runbook that restores protection: declared purpose first, then its name. */
export function pickRestoreRunbook(runbooks: PostureRunbook[]): string | null {
  return (
    runbooks.find((r) => r.kind === 'failback')?.name ??
    runbooks.find((r) => /failback|rejoin|re-?protect/i.test(r.name))?.name ??
    null
  );
}

interface Candidate {
  state: PostureState;
  reason: string;
  site: string;
  node: string | null;
  evidence: string[];
}

/**
 * Computes the posture. Pure.
 * @returns the posture with its reason (one sentence), evidence (one line per fact) and, when
 *          not protected, the runbook that restores protection (null when none fits)
 */
export function computePosture(input: PostureInput): Posture {
  const { snapshot: s, rpoSeconds, pollIntervalMs, runbooks, now } = input;
  const restore = pickRestoreRunbook(runbooks);
  const done = (c: Omit<Posture, 'restoreRunbook'>): Posture => ({
    ...c,
    restoreRunbook: c.state === 'protected' ? null : restore,
  });

  if (s.splitBrain) {
    return done({
      state: 'unprotected',
      reason: `split brain: ${s.splitBrain.nodes.join(' and ')} are both writable, no replica to fail over to`,
      standbySite: null,
      replica: null,
      evidence: [s.splitBrain.detail],
    });
  }
  const primaries = s.databases.filter((d) => d.state === 'ok' && d.role === 'primary');
  const active = s.activeSite ?? (primaries.length === 1 ? primaries[0]!.site : null);
  if (active === null) {
    return done({
      state: 'degraded',
      reason: 'cannot tell which site is active: DNS providers disagree or are unreadable and no single primary',
      standbySite: null,
      replica: null,
      evidence: s.dns.map((r) => `dns ${r.name}: points to ${r.pointsTo ?? 'unknown'}`),
    });
  }
  const standbys = s.sites.filter((x) => x.name !== active);
  if (standbys.length === 0) {
    return done({
      state: 'unprotected',
      reason: `no standby site: every site is active (${active})`,
      standbySite: null,
      replica: null,
      evidence: [`active site ${active}; sites: ${s.sites.map((x) => x.name).join(', ')}`],
    });
  }

  const candidates: Candidate[] = standbys.map((site) => {
    const nodes = s.databases.filter((d) => d.site === site.name);
    const siteLine = `site ${site.name}: ${site.state} (${site.reason})`;
    if (nodes.length === 0)
      return {
        state: 'unprotected',
        reason: `no replica: standby site ${site.name} has no database node`,
        site: site.name,
        node: null,
        evidence: [siteLine],
      };
    const replica = nodes.find((d) => d.state === 'ok' && d.role === 'replica');
    if (!replica) {
      const unread = nodes.find((d) => d.state !== 'ok' || d.role === 'unknown');
      const lines = [siteLine, ...nodes.map(describeNode)];
      if (unread && unread.lastGoodAt !== null && now - unread.lastGoodAt <= 3 * pollIntervalMs)
        return {
          state: 'degraded',
          reason: `unknown reading: ${unread.name} on ${site.name} cannot be read (${unread.reason ?? 'no data'})`,
          site: site.name,
          node: unread.name,
          evidence: lines,
        };
      const why = nodes
        .map((d) =>
          d.state !== 'ok' || d.role === 'unknown' ? `${d.name} is down or unreachable` : `${d.name} is ${d.role}`,
        )
        .join(', ');
      return {
        state: 'unprotected',
        reason: `no replica on standby site ${site.name}: ${why}`,
        site: site.name,
        node: null,
        evidence: lines,
      };
    }
    const problems: string[] = [];
    if (site.state !== 'healthy') problems.push(`standby site ${site.name} is ${site.state} (${site.reason})`);
    if (replica.walReceiver !== 'streaming')
      problems.push(`replication to ${replica.name} is not streaming (receiver ${replica.walReceiver ?? 'none'})`);
    if (replica.replayPaused === true) problems.push(`replay is paused on ${replica.name}`);
    if (replica.lagSeconds === null)
      problems.push(`lag of ${replica.name} is unknown (${replica.reason ?? 'no data'})`);
    else if (replica.lagSeconds > rpoSeconds)
      problems.push(`${replica.name} lags ${replica.lagSeconds} s, past the RPO objective of ${rpoSeconds} s`);
    const evidence = [siteLine, describeNode(replica)];
    if (problems.length > 0)
      return { state: 'degraded', reason: problems.join('; '), site: site.name, node: replica.name, evidence };
    return {
      state: 'protected',
      reason: `${site.name} is healthy and ${replica.name} streams with lag ${replica.lagSeconds} s (RPO ${rpoSeconds} s)`,
      site: site.name,
      node: replica.name,
      evidence,
    };
  });
  const best = candidates.reduce((a, b) => (rank[b.state] < rank[a.state] ? b : a));
  return done({
    state: best.state,
    reason: best.reason,
    standbySite: best.site,
    replica: best.node,
    evidence: [`active site ${active}`, ...best.evidence],
  });
}

function describeNode(d: DbNodeStatus): string {
  if (d.state !== 'ok') return `db ${d.name}: unknown — ${d.reason ?? 'no data'}`;
  const lag = d.role === 'replica' ? `, receiver ${d.walReceiver ?? 'none'}, lag ${d.lagSeconds ?? '?'} s` : '';
  return `db ${d.name}: ${d.role}${lag}`;
}
