/**
 * The live services the built-in step kinds (electron/core/runbooks/steps/) talk to, typed, and
 * the factory that builds them for one environment of the workspace. The engine passes the bag
 * through untouched as `StepContext.services`; a step takes the part it needs with
 * {@link stepService}, which checks it is there (a run target wired without it is a programming
 * error, reported as such instead of a TypeError deep inside a step).
 *
 * Every part is a small interface so unit tests can hand steps fakes; `createStepServices`
 * builds the real ones (PowerDNS / RFC 2136 providers, PostgresAdapter per node, nginx /
 * HAProxy routers, SSH exec through the shared pool, an HTTP probe agent).
 */
import { Agent } from 'undici';
import type { DatabaseConfig, Environment, SshConfig } from '../config/workspace-schema.ts';
import { PostgresAdapter } from '../database/adapters/postgresql.ts';
import type { FenceMode, OpCommand, ReplicationAdapter } from '../database/replication-adapter.ts';
import { queryAuthoritative, type AuthoritativeAnswer, type AuthoritativeQueryOptions } from '../dns/authoritative-query.ts';
import { createDnsProviders } from '../dns/create-dns-provider.ts';
import type { DnsProvider, DnsRecordType } from '../dns/dns-provider.ts';
import { httpProbe, type HttpProbeResult } from '../health/http-probe.ts';
import type { SecretResolver } from '../secrets/resolve-secret.ts';
import { exec, type ExecOptions, type ExecResult } from '../ssh/ssh-exec.ts';
import type { SshPool } from '../ssh/ssh-pool.ts';
import { createSlotRouter } from '../traffic/live-slot-service.ts';
import type { SlotRouter } from '../traffic/slot-router.ts';
import { StepError } from './step-error.ts';
import type { StepContext, StepServices } from './step-kind.ts';

/** Things by workspace name, plus why some configured ones could not be built. */
export interface NamedServices<T> {
  readonly items: ReadonlyMap<string, T>;
  /** Configured name → why it has no instance (e.g. a router the implementation refuses). */
  readonly problems: ReadonlyMap<string, string>;
}

/** DNS: every provider of the environment's zone, and direct authoritative queries. */
export interface DnsStepService {
  /** One per `env.dnsProviders` entry, same order, same `name`. */
  readonly providers: readonly DnsProvider[];
  /** Asks one nameserver directly, no recursion (`queryAuthoritative`). */
  query(server: string, fqdn: string, type: DnsRecordType, opts: AuthoritativeQueryOptions): Promise<AuthoritativeAnswer>;
}

/** What a database step may plan; `rewind.source` is a node name. */
export type DbPlanOp = { kind: 'fence'; mode: FenceMode } | { kind: 'promote'; waitSeconds: number } | { kind: 'rewind'; source: string; method?: 'auto' | 'base-backup' };

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
export interface SshStepService {
  exec(cfg: SshConfig, command: string, options?: ExecOptions): Promise<ExecResult>;
}

/** HTTP: one GET health probe (see `httpProbe`), each on a new connection; resolves, never rejects. */
export interface HttpStepService {
  probe(url: string, options: { timeoutMs: number; signal?: AbortSignal }): Promise<HttpProbeResult>;
}

/**
 * The services bag of the built-in steps. Extends StepServices (whose members are `unknown` to
 * the engine) with the concrete types; `close()` releases what `createStepServices` opened.
 */
export interface StepServiceBag extends StepServices {
  dns: DnsStepService;
  /** Database nodes by `databases[].name`. */
  replication: NamedServices<DbNodeService>;
  /** Slot routers by site name. */
  routers: NamedServices<SlotRouter>;
  ssh: SshStepService;
  health: HttpStepService;
  /** Closes DNS provider sockets, database sessions/tunnels and the probe agent (not the SSH pool). Idempotent. */
  close(): Promise<void>;
}

/** The parts a step can ask for. */
export type StepServiceName = 'dns' | 'replication' | 'routers' | 'ssh' | 'health';

/**
 * The `name` part of the context's services.
 * @throws StepError `internal` (not retryable) when the run target was built without it.
 */
export function stepService<K extends StepServiceName>(ctx: Pick<StepContext, 'services'>, name: K): StepServiceBag[K] {
  const s = ctx.services[name];
  if (typeof s !== 'object' || s === null) {
    throw new StepError('internal', `the run target has no "${name}" service`, { hint: 'build the run target\'s services with createStepServices (electron/core/runbooks/step-services.ts)', retryable: false });
  }
  return s as StepServiceBag[K];
}

/** Options of {@link createStepServices}. */
export interface CreateStepServicesOptions {
  /** Per-request bound of DNS provider APIs, ms (default 2000). */
  dnsTimeoutMs?: number;
  /** PostgreSQL connect bound, ms (default 3000). */
  connectTimeoutMs?: number;
}

/**
 * Builds the services of environment `env`. No I/O happens here (providers, adapters and routers
 * connect on first use); never throws: a node or router that cannot be built is listed in
 * `problems` with the reason, and a step naming it fails with that reason.
 *
 * @param pool the shared SSH pool (owned by the caller: `close()` leaves it open).
 * @param resolveSecret resolves workspace secret references (API key, TSIG key, passwords).
 */
export function createStepServices(env: Environment, pool: SshPool, resolveSecret: SecretResolver, options: CreateStepServicesOptions = {}): StepServiceBag {
  const providers = createDnsProviders(env, (ref) => resolveSecret(ref, `environments.${env.name}.dnsProviders`), options.dnsTimeoutMs !== undefined ? { timeoutMs: options.dnsTimeoutMs } : {});

  const adapters = new Map<string, PostgresAdapter>();
  const nodes = new Map<string, DbNodeService>();
  const dbProblems = new Map<string, string>();
  for (const db of env.databases) {
    const site = env.sites.find((s) => s.name === db.site);
    try {
      const adapter = new PostgresAdapter({
        db,
        ...(site ? { ssh: site.ssh } : {}),
        pool,
        resolveSecret,
        ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
        where: `${env.name}/databases/${db.name}`,
      });
      adapters.set(db.name, adapter);
      nodes.set(db.name, {
        config: db,
        adapter,
        planCommands: (op) => {
          if (op.kind !== 'rewind') return adapter.plan(op);
          const source = adapters.get(op.source);
          if (!source) throw new Error(`no database node "${op.source}" in environment ${env.name}`);
          return adapter.plan({ kind: 'rewind', source, ...(op.method ? { method: op.method } : {}) });
        },
      });
    } catch (e) {
      dbProblems.set(db.name, (e as Error).message);
    }
  }

  const routers = new Map<string, SlotRouter>();
  const routerProblems = new Map<string, string>();
  for (const site of env.sites) {
    try {
      routers.set(site.name, createSlotRouter(site, pool));
    } catch (e) {
      routerProblems.set(site.name, (e as Error).message);
    }
  }

  // Own agent, no keep-alive (pipelining 0): a gate right after a slot switch must see what a new
  // client sees, not an old nginx worker still holding a kept-alive socket (lab recipe §4).
  let agent: Agent | null = null;
  let closed: Promise<void> | null = null;
  return {
    dns: { providers, query: queryAuthoritative },
    replication: { items: nodes, problems: dbProblems },
    routers: { items: routers, problems: routerProblems },
    ssh: { exec: (cfg, command, opts) => exec(pool, cfg, command, opts) },
    health: {
      probe: (url, o) => {
        agent ??= new Agent({ pipelining: 0, connections: 4, connect: { timeout: 5000 } });
        return httpProbe(url, { dispatcher: agent, timeoutMs: o.timeoutMs, ...(o.signal ? { signal: o.signal } : {}) });
      },
    },
    close() {
      closed ??= (async () => {
        await Promise.allSettled([...providers.map((p) => p.close()), ...[...adapters.values()].map((a) => a.close()), agent?.close()]);
      })();
      return closed;
    },
  };
}
