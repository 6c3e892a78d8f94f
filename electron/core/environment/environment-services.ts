/**
 * Everything Standby talks to in ONE environment, built once (environment/create-environment-
 * services.ts) and shared by the watching side (monitor/) and the acting side (runbooks/):
 * the DNS providers, one adapter per database node, one slot router per site, SSH exec through
 * the shared pool and an HTTP probe agent. Closed once, by the core, after every capability
 * using it has stopped.
 *
 * Every part is a small interface so unit tests can hand fakes to steps and services.
 */
import type { DatabaseConfig, Environment, SshConfig } from '../config/workspace-schema.ts';
import type { FenceMode, OpCommand, ReplicationAdapter } from '../database/replication-adapter.ts';
import type { AuthoritativeAnswer, AuthoritativeQueryOptions } from '../dns/authoritative-query.ts';
import type { DnsProvider, DnsRecordType } from '../dns/dns-provider.ts';
import type { HttpProbeResult } from '../health/http-probe.ts';
import type { ExecOptions, ExecResult } from '../ssh/ssh-exec.ts';
import type { SlotRouter } from '../traffic/slot-router.ts';

/** Things by workspace name, plus why some configured ones could not be built. */
export interface NamedServices<T> {
  readonly items: ReadonlyMap<string, T>;
  /** Configured name → why it has no instance (e.g. a router the implementation refuses). */
  readonly problems: ReadonlyMap<string, string>;
}

/** DNS: every provider of the environment's zone, and direct authoritative queries. */
export interface DnsServices {
  /** One per `env.dnsProviders` entry, same order, same `name`. */
  readonly providers: readonly DnsProvider[];
  /** Asks one nameserver directly, no recursion (`queryAuthoritative`). */
  query(
    server: string,
    fqdn: string,
    type: DnsRecordType,
    opts: AuthoritativeQueryOptions,
  ): Promise<AuthoritativeAnswer>;
}

/** What a database step may plan; `rewind.source` is a node name. */
export type DbPlanOp =
  | { kind: 'fence'; mode: FenceMode }
  | { kind: 'promote'; waitSeconds: number }
  | { kind: 'rewind'; source: string; method?: 'auto' | 'base-backup' };

/** One database node: its config, its adapter, and the commands a mutation would run. */
export interface DbNodeService {
  readonly config: DatabaseConfig;
  readonly adapter: ReplicationAdapter;
  /**
   * The exact SQL / shell commands `op` will run, for the plan (nothing is contacted).
   * @throws Error when the configuration cannot support `op` (e.g. no dataDir), or the rewind
   *         source is not a node of this environment.
   */
  planCommands(op: DbPlanOp): OpCommand[];
}

/** SSH: run one command on a site's host through the shared pool (see `exec`). */
export interface SshExecService {
  exec(cfg: SshConfig, command: string, options?: ExecOptions): Promise<ExecResult>;
}

/** HTTP: one GET health probe (see `httpProbe`), each on a new connection; resolves, never rejects. */
export interface HttpProbeService {
  probe(url: string, options: { timeoutMs: number; signal?: AbortSignal }): Promise<HttpProbeResult>;
}

/** The services of one environment. */
export interface EnvironmentServices {
  readonly env: Environment;
  readonly dns: DnsServices;
  /** Database nodes by `databases[].name`. */
  readonly replication: NamedServices<DbNodeService>;
  /** Slot routers by site name. */
  readonly routers: NamedServices<SlotRouter>;
  readonly ssh: SshExecService;
  readonly health: HttpProbeService;
  /** Closes DNS provider sockets, database sessions/tunnels and the probe agent (not the SSH pool). Idempotent. */
  close(): Promise<void>;
}

/**
 * The item `name`, for a consumer built at start-up (the monitor's per-node and per-site sources).
 * @throws Error with the recorded problem when it could not be built, or "not configured".
 */
export function requireNamed<T>(services: NamedServices<T>, name: string): T {
  const item = services.items.get(name);
  if (item !== undefined) return item;
  throw new Error(services.problems.get(name) ?? `"${name}" is not configured`);
}
