/**
 * Replication lag arithmetic, pure (unit-tested without a server).
 *
 * Sources: PostgreSQL docs §28.2 "Monitoring" (pg_stat_replication, pg_last_* functions) and the
 * lab recipe (§3 and gotcha 10): the `*_lag` interval columns go NULL once the standby is idle
 * and `now() - pg_last_xact_replay_timestamp()` keeps growing while the primary commits nothing,
 * so the LSN byte difference decides whether a replica is caught up.
 */

/** Parses a PostgreSQL LSN (`16/B374D848`, two hex halves) into a 64-bit byte position. */
export function parseLsn(lsn: string): bigint {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn.trim());
  if (!m) throw new Error(`not a WAL location: ${JSON.stringify(lsn)}`);
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

/** `a − b` in bytes (like `pg_wal_lsn_diff(a, b)`); exact up to 2^53 bytes (8 PiB). */
export function lsnDiffBytes(a: string, b: string): number {
  return Number(parseLsn(a) - parseLsn(b));
}

/** What {@link replicaLag} needs about the replica, from one observation. Times are epoch ms. */
export interface ReplicaPosition {
  receiveLsn: string | null;
  replayLsn: string | null;
  /** Commit time of the last replayed transaction (primary's clock), epoch ms. */
  lastReplayAt: number | null;
  /** Replica's clock at the observation, epoch ms. */
  serverNow: number;
}

/** Result of {@link replicaLag}. */
export interface ReplicaLag {
  /** Primary's current LSN − replica's replay LSN, bytes, clamped at 0; null when unknown. */
  lagBytes: number | null;
  /** Seconds, ms resolution; 0 when `lagBytes` is 0; null when unknown. */
  lagSeconds: number | null;
  /** Why a value is null, or a caveat; absent when both are known. */
  note?: string;
}

/**
 * Lag of one replica against the primary's LSN read in the same poll round.
 *
 * - `lagBytes = primaryLsn − replayLsn`, clamped at 0 (the replica is read a moment after the
 *   primary, so it can be slightly ahead of the LSN we hold).
 * - `lagSeconds = 0` when `lagBytes` is 0. Otherwise the age of the last replayed transaction,
 *   `serverNow − lastReplayAt`, but never more than `serverNow − caughtUpAt` when the caller saw
 *   this replica caught up (lagBytes 0) at `caughtUpAt` (replica clock): everything committed
 *   before that moment was already replayed, so the data at risk cannot be older. Without that
 *   bound an idle primary's first write would show the whole idle time as lag.
 * - `primaryLsn` null (no primary, or more than one, or the primary unreachable): both null,
 *   with `primaryIssue` and the replica's received-but-not-replayed backlog in `note`. We do not
 *   report that backlog as `lagBytes`: it ignores WAL the replica never received, so it would
 *   understate the data at risk exactly when the primary is gone (unknown is not green).
 */
export function replicaLag(input: {
  primaryLsn: string | null;
  primaryIssue?: string;
  replica: ReplicaPosition;
  caughtUpAt?: number | null;
}): ReplicaLag {
  const { primaryLsn, replica } = input;
  if (replica.replayLsn === null) {
    return { lagBytes: null, lagSeconds: null, note: 'the replica reports no replay position' };
  }
  if (primaryLsn === null) {
    const backlog =
      replica.receiveLsn !== null ? Math.max(0, lsnDiffBytes(replica.receiveLsn, replica.replayLsn)) : null;
    return {
      lagBytes: null,
      lagSeconds: null,
      note:
        `lag unknown: ${input.primaryIssue ?? 'no primary observed this round'}` +
        (backlog !== null ? `; received but not replayed: ${backlog} bytes` : ''),
    };
  }
  const lagBytes = Math.max(0, lsnDiffBytes(primaryLsn, replica.replayLsn));
  if (lagBytes === 0) return { lagBytes: 0, lagSeconds: 0 };
  const bounds: number[] = [];
  if (replica.lastReplayAt !== null) bounds.push(replica.serverNow - replica.lastReplayAt);
  if (input.caughtUpAt != null) bounds.push(replica.serverNow - input.caughtUpAt);
  if (bounds.length === 0) {
    return {
      lagBytes,
      lagSeconds: null,
      note: 'no transaction replayed since the replica started: lag in seconds unknown',
    };
  }
  return { lagBytes, lagSeconds: Math.max(0, Math.round(Math.min(...bounds))) / 1000 };
}
