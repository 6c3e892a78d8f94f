/**
 * The database domain's error: an OpError a user sees, plus the commands that ran before it
 * (so a failed runbook step shows how far it got).
 */
import type { OpError } from '../../../shared/result.ts';
import type { OpCommand } from './replication-adapter.ts';

/**
 * A database operation failed. `error.kind` when observing: `unreachable` (refused, reset,
 * server starting or shutting down, tunnel refused), `timeout` (connect or statement timeout,
 * cancellation), `auth` (password / pg_hba), `not-found` (database), `internal` (anything else).
 * Mutations add `invalid-input` (missing configuration such as `dataDir`), `unsafe-plan` (the
 * action would break an invariant, e.g. rewinding a running primary), `conflict` (the system is
 * in a state the action cannot handle), `timeout` (a bounded wait expired).
 * `commands`: what ran before the failure, in order (empty when observing).
 */
export class ReplicationError extends Error {
  readonly error: OpError;
  readonly commands: OpCommand[];
  constructor(error: OpError, options?: { cause?: unknown; commands?: OpCommand[] }) {
    super(error.message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'ReplicationError';
    this.error = error;
    this.commands = options?.commands ?? [];
  }
}
