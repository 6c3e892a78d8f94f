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

/**
 * One command Standby ran (or, in a plan, will run) against a real system, shown as is in plans
 * and step logs. Secrets never appear in `text`: passwords travel on the command's stdin.
 */
export interface OpCommand {
  /** `sql`: a statement on a database session; `shell`: a command line on a site's SSH host. */
  kind: 'sql' | 'shell';
  /** Where it ran: `database pg-primary` or the SSH target `oplab@127.0.0.2:15322`. */
  target: string;
  /** The exact statement or command line. */
  text: string;
  /** Wall time, ms; absent in a plan or when it never finished. */
  durationMs?: number;
  /** Short outcome: first result value, exit code, first stderr line. */
  outcome?: string;
}

/** Progress of a long mutation (rewind, lag wait), for a live step log. */
export interface OpProgress {
  /** Short machine-friendly phase: `checkpoint`, `rewind`, `start`, `streaming`, `lag`… */
  phase: string;
  message: string;
  /** Since the operation started, ms. */
  elapsedMs: number;
}

/** What every mutation reports, whether it acted or found its effect already there. */
export interface MutationReport {
  /** False when the effect was already there and nothing was changed (idempotent no-op). */
  changed: boolean;
  /** One sentence: what was done, or why nothing was. */
  summary: string;
  /** Every command run, in order (read-backs included). */
  commands: OpCommand[];
  /** Whole call, ms. */
  durationMs: number;
}

/**
 * Read-back of whether a node can accept writes. `fenced` is true only for `down` (the server
 * does not run / refuses connections on its port), `read-only` (a plain write is refused:
 * SQLSTATE 25006) or `in-recovery` (a replica). `unknown` (the host cannot be asked) is not fenced.
 */
export interface FenceCheck {
  fenced: boolean;
  state: 'down' | 'read-only' | 'in-recovery' | 'writable' | 'unknown';
  evidence: string;
  commands: OpCommand[];
}

/** What a fence achieved, read back from the server (or from its absence). */
export interface FenceResult extends MutationReport {
  mode: FenceMode;
  /** True only when the effect was verified (a write refused, or the server no longer answers). */
  verified: boolean;
  evidence: string;
}

/** Read-back of a promotion: out of recovery and a write committed. */
export interface PromoteCheck {
  promoted: boolean;
  inRecovery: boolean | null;
  writeCommitted: boolean;
  evidence: string;
  commands: OpCommand[];
}

/** What a promotion achieved. */
export interface PromoteResult extends MutationReport {
  /** Time from request to `pg_is_in_recovery() = false` (the `pg_promote` call), ms; 0 when nothing was done. */
  promoteMs: number;
  /** True when {@link PromoteCheck} passed right after. */
  verified: boolean;
  evidence: string;
}

/** Read-back of a replica streaming from its primary. */
export interface StreamingCheck {
  streaming: boolean;
  /** `pg_stat_wal_receiver.status` on the replica, null when no receiver runs. */
  receiverStatus: string | null;
  /** `host:port` the receiver connected to, null when unknown. */
  sender: string | null;
  /** Slot used by the receiver, null when none. */
  slot: string | null;
  evidence: string;
  commands: OpCommand[];
}

/** Options of `rewind()` (db.rejoin). */
export interface RewindOptions {
  /** The new primary this node must follow. */
  source: ReplicationAdapter;
  signal?: AbortSignal;
  onProgress?: (p: OpProgress) => void;
  /** When pg_rewind cannot work, take a fresh base backup instead (default true). The old data directory is kept beside it. */
  allowBaseBackup?: boolean;
  /** `base-backup` skips pg_rewind (default `auto`: pg_rewind, base backup only when rewind is impossible). */
  method?: 'auto' | 'base-backup';
  /** Bound on "started and streaming" after the rebuild, ms (default 30000). */
  streamTimeoutMs?: number;
}

/** What a rejoin did. */
export interface RewindResult extends MutationReport {
  /** `none` when the node already streamed from `source`. */
  method: 'rewind' | 'base-backup' | 'none';
  /** Why pg_rewind was not used (its error), when `method` is `base-backup`. */
  fallbackReason?: string;
  /** Where the replaced data directory was moved (base-backup only). */
  keptDataDir?: string;
  /** Stale inactive slots dropped on the rejoined node. */
  droppedSlots: string[];
  /** Slot created (or reused) on the source. */
  slot: string;
  /** Phases, ms: checkpoint, rewind (or base backup), start, streaming. */
  phaseMs: Record<string, number>;
  streaming: StreamingCheck;
}

/**
 * One database node. Errors: `observe` rejects with an Error carrying an OpError in `error`
 * (SshError, SecretError, or the adapter's own), or with the cancellation reason when `signal`
 * aborts; adapters must drop the in-flight session when `signal` aborts.
 *
 * Mutations (`fence`, `promote`, `rewind`) are idempotent: when their effect is already there
 * they change nothing and resolve with `changed: false` and the evidence. They reject with an
 * Error carrying an OpError in `error` (the adapter's error class also carries the commands run
 * so far). Each has a read-back (`verifyFenced`, `verifyPromoted`, `verifyStreaming`) that
 * resolves with a verdict when the system answered and rejects only when it could not be asked.
 */
export interface ReplicationAdapter {
  readonly engine: 'postgresql';
  readonly capabilities: ReplicationCapabilities;
  /** Reads role and replication position of this node. */
  observe(signal?: AbortSignal): Promise<NodeObservation>;
  /** Present only when `capabilities.fence`. */
  fence?(mode: FenceMode, signal?: AbortSignal): Promise<FenceResult>;
  /** Present only when `capabilities.fence`. */
  verifyFenced?(signal?: AbortSignal): Promise<FenceCheck>;
  /** Present only when `capabilities.promote`. */
  promote?(options: { waitSeconds: number; signal?: AbortSignal }): Promise<PromoteResult>;
  /** Present only when `capabilities.promote`. */
  verifyPromoted?(signal?: AbortSignal): Promise<PromoteCheck>;
  /** Present only when `capabilities.rewind`: rebuilds this (fenced) node as a replica of `options.source`. */
  rewind?(options: RewindOptions): Promise<RewindResult>;
  /** Present only when `capabilities.rewind`: this node streams (from `source`, when given). */
  verifyStreaming?(source?: ReplicationAdapter, signal?: AbortSignal): Promise<StreamingCheck>;
  /** Closes sessions and tunnels held by the adapter. Idempotent. */
  close(): Promise<void>;
}
