/**
 * Split brain as observed: more than one database node of an environment answering as a
 * writable primary in the same poll round. The one thing a failover must never leave behind
 * (issue 3: "never two writable primaries"), and exactly what an unverified fence risks when the
 * old primary's site comes back. Pure function of the replication statuses.
 */
import type { DbNodeStatus, SplitBrainStatus } from '../../../shared/status.ts';

/**
 * @param databases the replication service's statuses (one poll round)
 * @returns the writable nodes and what to do, or null when at most one node is observed
 *   writable (a node whose role is unknown is not counted: unknown is shown as unknown, and the
 *   safety rules treat it as a possible primary)
 */
export function detectSplitBrain(databases: readonly DbNodeStatus[]): SplitBrainStatus | null {
  const writable = databases.filter((d) => d.state === 'ok' && d.role === 'primary');
  if (writable.length < 2) return null;
  const names = writable.map((d) => `${d.name} (site ${d.site})`);
  return {
    nodes: writable.map((d) => d.name),
    detail:
      `${names.slice(0, -1).join(', ')} and ${names.at(-1)} ${names.length === 2 ? 'both' : 'all'} accept writes (pg_is_in_recovery() = false): ` +
      'writes on one are lost to the other. Fence the node traffic no longer goes to (db.fence), then rebuild it as a replica (db.rejoin).',
  };
}
