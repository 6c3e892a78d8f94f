/**
 * Builds the {@link EnvironmentServices} of one environment: the only place where DNS providers
 * (dns/create-dns-provider.ts), database adapters (database/create-replication-adapter.ts, one
 * per engine) and slot routers (traffic/create-slot-router.ts) are made for the running core.
 * The core builds one per environment at start and closes it once at stop; the monitor and the
 * run engine both take their connections from it.
 */
import { Agent } from 'undici';
import { caPemOf } from '../config/ca-files.ts';
import type { Environment } from '../config/workspace-schema.ts';
import { createReplicationAdapter, type EngineAdapter } from '../database/create-replication-adapter.ts';
import { queryAuthoritative } from '../dns/authoritative-query.ts';
import { createDnsProviders } from '../dns/create-dns-provider.ts';
import { httpProbe } from '../health/http-probe.ts';
import type { SecretResolver } from '../secrets/resolve-secret.ts';
import { exec } from '../ssh/ssh-exec.ts';
import type { SshPool } from '../ssh/ssh-pool.ts';
import { createSlotRouter } from '../traffic/create-slot-router.ts';
import type { SlotRouter } from '../traffic/slot-router.ts';
import type { DbNodeService, EnvironmentServices } from './environment-services.ts';

/** Options of {@link createEnvironmentServices}. */
export interface CreateEnvironmentServicesOptions {
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
export function createEnvironmentServices(
  env: Environment,
  pool: SshPool,
  resolveSecret: SecretResolver,
  options: CreateEnvironmentServicesOptions = {},
): EnvironmentServices {
  const providers = createDnsProviders(
    env,
    (ref) => resolveSecret(ref, `environments.${env.name}.dnsProviders`),
    options.dnsTimeoutMs !== undefined ? { timeoutMs: options.dnsTimeoutMs } : {},
  );

  const adapters = new Map<string, EngineAdapter>();
  const nodes = new Map<string, DbNodeService>();
  const dbProblems = new Map<string, string>();
  for (const db of env.databases) {
    const site = env.sites.find((s) => s.name === db.site);
    try {
      const adapter = createReplicationAdapter(db, {
        site,
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
  // Gates probe the same URLs as the health service: an https target with a caFile trusts it.
  const caByOrigin = new Map<string, string>();
  for (const site of env.sites) {
    if (site.router.caFile) caByOrigin.set(new URL(site.router.entryUrl).origin, site.router.caFile);
    for (const slot of site.slots) if (slot.caFile) caByOrigin.set(new URL(slot.url).origin, slot.caFile);
  }
  const caAgents = new Map<string, Agent>();
  const agentFor = (url: string): Agent => {
    const caFile = URL.canParse(url) ? caByOrigin.get(new URL(url).origin) : undefined;
    if (caFile === undefined)
      return (agent ??= new Agent({ pipelining: 0, connections: 4, connect: { timeout: 5000 } }));
    let a = caAgents.get(caFile);
    if (!a) {
      a = new Agent({
        pipelining: 0,
        connections: 4,
        connect: { timeout: 5000, rejectUnauthorized: true, ca: caPemOf(caFile)! },
      });
      caAgents.set(caFile, a);
    }
    return a;
  };
  let closed: Promise<void> | null = null;
  return {
    env,
    dns: { providers, query: queryAuthoritative },
    replication: { items: nodes, problems: dbProblems },
    routers: { items: routers, problems: routerProblems },
    ssh: { exec: (cfg, command, opts) => exec(pool, cfg, command, opts) },
    health: {
      probe: (url, o) => {
        return httpProbe(url, {
          dispatcher: agentFor(url),
          timeoutMs: o.timeoutMs,
          ...(o.signal ? { signal: o.signal } : {}),
        });
      },
    },
    close() {
      closed ??= (async () => {
        await Promise.allSettled([
          ...providers.map((p) => p.close()),
          ...[...adapters.values()].map((a) => a.close()),
          agent?.close(),
          ...[...caAgents.values()].map((a) => a.close()),
        ]);
      })();
      return closed;
    },
  };
}
