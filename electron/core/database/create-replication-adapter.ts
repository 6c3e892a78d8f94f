/**
 * The one place a database node's adapter is built: engine → adapter class (one file per engine
 * under adapters/). No I/O happens here; sessions and tunnels open on first use.
 */
import type { DatabaseConfig, Site } from '../config/workspace-schema.ts';
import type { SecretResolver } from '../secrets/resolve-secret.ts';
import type { SshPool } from '../ssh/ssh-pool.ts';
import { PostgresAdapter } from './adapters/postgresql.ts';

/** The adapter of a node, whatever its engine (a union as engines are added). */
export type EngineAdapter = PostgresAdapter;

/** What every engine's adapter is built from. */
export interface ReplicationAdapterContext {
  /** The node's site (its SSH host tunnels `viaSsh` sessions and runs control commands). */
  site: Site | undefined;
  pool: SshPool;
  resolveSecret: SecretResolver;
  /** Label for `OpError.where`, e.g. `lab/databases/pg-primary`. */
  where: string;
  /** Connect bound, ms (engine default when absent: 3000 for PostgreSQL). */
  connectTimeoutMs?: number;
  /** Statement bound, ms (engine default when absent: 2000 for PostgreSQL). */
  statementTimeoutMs?: number;
}

/**
 * Adapter of `db` by its `engine`.
 * @throws Error when the configuration cannot be served (e.g. `viaSsh` without a site).
 */
export function createReplicationAdapter(db: DatabaseConfig, c: ReplicationAdapterContext): EngineAdapter {
  switch (db.engine) {
    case 'postgresql':
      return new PostgresAdapter({
        db,
        ...(c.site ? { ssh: c.site.ssh } : {}),
        pool: c.pool,
        resolveSecret: c.resolveSecret,
        ...(c.connectTimeoutMs !== undefined ? { connectTimeoutMs: c.connectTimeoutMs } : {}),
        ...(c.statementTimeoutMs !== undefined ? { statementTimeoutMs: c.statementTimeoutMs } : {}),
        where: c.where,
      });
  }
}
