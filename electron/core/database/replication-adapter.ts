/**
 * What Standby needs from one database node of a replicated pair, engine-neutral. One adapter
 * instance per configured node; one file per engine under `adapters/`. Each adapter declares
 * what it supports in `capabilities`; callers check a flag before calling an optional method.
 */

/** One downstream replication connection as the primary reports it (`pg_stat_replication`). */
export interface ReplicationPeer {
  /** `application_name` of the walreceiver (the replica's `cluster_name` by default). */
  applicationName: string;
  /** Client address as the primary sees it (through a tunnel or proxy this is not the replica's). */
  clientAddr: string | null;
  /** `startup`, `catchup`, `streaming`, `backup`, `stopping`. */
  state: string | null;
  /** `async`, `potential`, `sync`, `quorum`. */
  syncState: string | null;
  /** LSNs in the engine's text form (`16/B374D848`), null when not reported yet. */
  sentLsn: string | null;
  flushLsn: string | null;
  replayLsn: string | null;
  /** `replay_lag`, ms; null once the standby is idle (PostgreSQL clears it), so never use it for "caught up". */
  replayLagMs: number | null;
}

/** One observation of one node, taken in one short session. Times are epoch ms. */
export interface NodeObservation {
  role: 'primary' | 'replica';
  /** Server's own clock (`clock_timestamp()`) when observed, epoch ms. */
  serverNow: number;
  /** Engine version number (`server_version_num`, e.g. 150018). */
  serverVersion: number;
  /** Primary only: current write position (`pg_current_wal_lsn()`); null on a replica. */
  currentLsn: string | null;
  /** Primary only: its replication connections (empty on a replica). */
  peers: ReplicationPeer[];
  /** Replica only: last position received and flushed by the WAL receiver (`pg_last_wal_receive_lsn()`). */
  receiveLsn: string | null;
  /** Replica only: last position replayed (`pg_last_wal_replay_lsn()`). */
  replayLsn: string | null;
  /**
   * Replica only: commit time (on the primary's clock) of the last replayed transaction
   * (`pg_last_xact_replay_timestamp()`), epoch ms; null when none was replayed since start.
   */
  lastReplayAt: number | null;
  /** Replica only: `not paused`, `pause requested` or `paused` (`pg_get_wal_replay_pause_state()`). */
  replayPauseState: 'not paused' | 'pause requested' | 'paused' | null;
  /** Replica only: WAL receiver status (`pg_stat_wal_receiver.status`), null when no receiver runs. */
  walReceiver: string | null;
}

/** Flags of what an adapter implements. Observing is mandatory; the rest is opt-in. */
export interface ReplicationCapabilities {
  observe: true;
  /** `fence()`: stop a primary from accepting writes (soft: read-only default; hard: stop the server). */
  fence: boolean;
  /** `promote()`: turn a replica into a primary. */
  promote: boolean;
  /** `rewind()`: turn a fenced old primary into a replica of the new one. */
  rewind: boolean;
}

/** How thoroughly to fence: `soft` can be undone by any client (see the lab recipe), `hard` stops the server. */
export type FenceMode = 'soft' | 'hard';

/** What a fence achieved, read back from the server (or from its absence). */
export interface FenceResult {
  mode: FenceMode;
  /** True only when the effect was verified (a write refused, or the server no longer answers). */
  verified: boolean;
  evidence: string;
}

/** What a promotion achieved. */
export interface PromoteResult {
  /** Time from request to `pg_is_in_recovery() = false`, ms. */
  durationMs: number;
  evidence: string;
}

/**
 * One database node. Errors: `observe` rejects with an Error carrying an OpError in `error`
 * (SshError, SecretError, or the adapter's own), or with the cancellation reason when `signal`
 * aborts; adapters must drop the in-flight session when `signal` aborts.
 */
export interface ReplicationAdapter {
  readonly engine: 'postgresql';
  readonly capabilities: ReplicationCapabilities;
  /** Reads role and replication position of this node. */
  observe(signal?: AbortSignal): Promise<NodeObservation>;
  /** Declared for the runbook issue; present only when `capabilities.fence`. */
  fence?(mode: FenceMode, signal?: AbortSignal): Promise<FenceResult>;
  /** Declared for the runbook issue; present only when `capabilities.promote`. */
  promote?(options: { waitSeconds: number; signal?: AbortSignal }): Promise<PromoteResult>;
  /** Declared for the runbook issue; present only when `capabilities.rewind`. `source` is the new primary. */
  rewind?(source: ReplicationAdapter, signal?: AbortSignal): Promise<void>;
  /** Closes sessions and tunnels held by the adapter. Idempotent. */
  close(): Promise<void>;
}
