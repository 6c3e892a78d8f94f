/**
 * Checks of the lab made OUTSIDE Standby, the way an operator or a client would see it: `dig`
 * against each provider's authoritative nameserver, an HTTP client that resolves the record
 * through a nameserver (node:dns Resolver) and opens a new connection per request, and a
 * PostgreSQL client (`pg`) with the lab's password file. Loopback only; every call bounded.
 */
import { execFile } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { LookupFunction } from 'node:net';
import pg from 'pg';
import type { Lab } from '../lab/lab.ts';

/** Runs dig with a time bound; resolves to its stdout (rejects on a non-zero exit). */
function dig(args: string[]): Promise<string> {
  return new Promise((resolveDig, reject) => {
    execFile('dig', ['+norec', '+time=2', '+tries=1', ...args], { timeout: 10_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`dig ${args.join(' ')} failed: ${err.message} ${stderr}`));
      else resolveDig(stdout);
    });
  });
}

/** `dig +norec +short @127.0.0.1 -p PORT NAME A`: the addresses served (sorted). */
export async function digA(port: number | string, name: string): Promise<string[]> {
  const out = await dig(['+short', '@127.0.0.1', '-p', String(port), name, 'A']);
  return out.trim().split('\n').filter(Boolean).sort();
}

/** The zone's SOA serial as served by the nameserver on PORT (`dig +short SOA`). */
export async function digSoaSerial(port: number | string, zone: string): Promise<number> {
  const out = (await dig(['+short', '@127.0.0.1', '-p', String(port), zone, 'SOA'])).trim();
  const serial = Number(out.split(/\s+/)[2]);
  if (!Number.isInteger(serial)) throw new Error(`no SOA serial for ${zone} at 127.0.0.1:${port}: "${out}"`);
  return serial;
}

/** The lab's two authoritative nameservers (PowerDNS, BIND) as dig ports. */
export function labNameserverPorts(lab: Lab): { powerdns: number; bind: number } {
  return { powerdns: Number(lab.ports.PDNS_DNS_PORT), bind: Number(lab.ports.BIND_DNS_PORT) };
}

/** Answer of one HTTP GET. `status` 0 = no HTTP answer (see `error`). */
export interface HttpAnswer {
  status: number;
  body: string;
  json: Record<string, unknown> | null;
  error: string | null;
  ms: number;
  /** Address the connection went to (after resolution). */
  address: string | null;
}

/**
 * GET `url` on a NEW connection (no keep-alive agent). When `lookup` is given, the host name is
 * resolved with it (e.g. through a provider's nameserver). Never rejects.
 */
export function httpGet(url: string, opts: { timeoutMs?: number; lookup?: LookupFunction } = {}): Promise<HttpAnswer> {
  const t0 = performance.now();
  return new Promise((done) => {
    let address: string | null = null;
    let settled = false;
    const finish = (a: Omit<HttpAnswer, 'ms' | 'address'>) => {
      if (settled) return;
      settled = true;
      done({ ...a, ms: performance.now() - t0, address });
    };
    const req = http.get(
      url,
      { agent: false, timeout: opts.timeoutMs ?? 2000, ...(opts.lookup ? { lookup: opts.lookup } : {}) },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => {
          let json: Record<string, unknown> | null = null;
          try {
            json = JSON.parse(body) as Record<string, unknown>;
          } catch {}
          finish({ status: res.statusCode ?? 0, body, json, error: null });
        });
        res.on('error', (e) => finish({ status: 0, body, json: null, error: e.message }));
      },
    );
    req.on('socket', (s) => s.on('connect', () => (address = s.remoteAddress ?? null)));
    req.on('timeout', () => req.destroy(new Error(`timeout after ${opts.timeoutMs ?? 2000} ms`)));
    req.on('error', (e) => finish({ status: 0, body: '', json: null, error: e.message }));
  });
}

/**
 * A `lookup` for http.get that resolves A records through ONE nameserver (`127.0.0.1:PORT`),
 * like a client whose resolver asks that provider. Records what it resolved in `seen`.
 */
export function lookupVia(nameserver: string, seen: string[] = []): LookupFunction {
  const resolver = new Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([nameserver]);
  return ((hostname: string, options: { all?: boolean }, callback: (...a: unknown[]) => void) => {
    resolver.resolve4(hostname).then(
      (addrs) => {
        const a = addrs[0]!;
        seen.push(a);
        if (options?.all)
          callback(
            null,
            addrs.map((x) => ({ address: x, family: 4 })),
          );
        else callback(null, a, 4);
      },
      (e: unknown) => callback(e),
    );
  }) as unknown as LookupFunction;
}

/**
 * GETs `http://RECORD:ROUTER_PORT/health` resolving RECORD through the nameserver on `nsPort`:
 * what a client of that provider reaches.
 */
export async function getThroughDns(lab: Lab, nsPort: number): Promise<HttpAnswer & { resolved: string | null }> {
  const seen: string[] = [];
  const r = await httpGet(`http://${lab.ports.RECORD}:${lab.ports.ROUTER_PORT}/health`, {
    lookup: lookupVia(`127.0.0.1:${nsPort}`, seen),
  });
  return { ...r, resolved: seen[0] ?? null };
}

/**
 * A `pg` client (not connected) to the node at `host` (127.0.0.2 = primary site, 127.0.0.3 =
 * failover site) as `postgres`, password from the lab's password file.
 */
export function pgClient(lab: Lab, host: '127.0.0.2' | '127.0.0.3', opts: { application?: string } = {}): pg.Client {
  return new pg.Client({
    host,
    port: Number(lab.ports.PG_PORT),
    user: 'postgres',
    database: 'app',
    password: readFileSync(lab.ports.PG_PASSWORD_FILE!, 'utf8'),
    connectionTimeoutMillis: 3000,
    application_name: opts.application ?? 'standby-test',
  });
}

/** One query on a fresh connection to `host`; rejects with the server's error (or refusal). */
export async function pgQuery(lab: Lab, host: '127.0.0.2' | '127.0.0.3', sql: string): Promise<pg.QueryResult> {
  const c = pgClient(lab, host);
  c.on('error', () => {});
  try {
    await c.connect();
    return await c.query(sql);
  } finally {
    await c.end().catch(() => {});
  }
}

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `fn` until it returns a truthy value or `timeoutMs` passes (at most `maxTries` calls);
 * returns the last value.
 */
export async function pollUntil<T>(
  fn: () => Promise<T>,
  opts: { timeoutMs: number; intervalMs?: number; maxTries?: number },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  const maxTries = opts.maxTries ?? 1000;
  let last = await fn();
  for (let i = 1; i < maxTries && !last && Date.now() < deadline; i++) {
    await sleep(opts.intervalMs ?? 100);
    last = await fn();
  }
  return last;
}
