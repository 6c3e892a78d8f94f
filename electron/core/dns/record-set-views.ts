/**
 * What the DNS steps (dns.set-records, dns.set-ttl) share: reading one record at every provider
 * of the zone — the API view and what each of the provider's authoritative nameservers serves —,
 * writing it with compare-and-swap and bounded retries, waiting until every nameserver serves the
 * wanted answer, and saying in words which provider serves which answer.
 *
 * Record sets travel as {@link DnsRecordSet} (`values` normalized + sorted, `ttlSeconds` s);
 * `null` = the record does not exist; `undefined` = could not be read.
 */
import type { DnsProviderConfig, Environment, RecordConfig } from '../config/workspace-schema.ts';
import type { DnsProvider, DnsRecordSet } from './dns-provider.ts';
import { isDnsProviderError } from './dns-provider-error.ts';
import { sameValues } from './normalize-record-value.ts';
import { parseHostPort } from './parse-host-port.ts';
import { StepError, isRetryable } from '../runbooks/step-error.ts';
import type { StepContext, StepProgress } from '../runbooks/step-kind.ts';
import { stepService } from '../runbooks/step-services.ts';
import { messageOf } from '../runbooks/steps/step-lookup.ts';

/** What one nameserver serves: the record set (null = none), or undefined with `error` when it did not answer. */
export interface ServedView {
  server: string;
  set: DnsRecordSet | null | undefined;
  error: string | null;
}

/** One provider's view of the record. */
export interface ProviderView {
  provider: DnsProvider;
  /** Its workspace config (null when the services hold a provider the environment does not name). */
  config: DnsProviderConfig | null;
  /** API view; undefined = unreadable (`apiError` says why). */
  api: DnsRecordSet | null | undefined;
  apiError: string | null;
  /** Empty when the nameservers were not asked. */
  served: ServedView[];
}

/** Per-query bound of a nameserver query, ms (one UDP retry: ≤ 2 × this). */
const NS_TIMEOUT_MS = 800;

/** `127.0.0.3 TTL 5`, `127.0.0.2, 127.0.0.4 TTL 30`, `no record`, `unknown`. The plan's before/after use this form (rollback parses it back). */
export function showSet(set: DnsRecordSet | null | undefined): string {
  if (set === undefined) return 'unknown';
  if (set === null || set.values.length === 0) return 'no record';
  return `${set.values.join(', ')} TTL ${set.ttlSeconds}`;
}

/**
 * Inverse of {@link showSet} for a plan's `before`/`after`: null or `no record` → null; `… TTL n`
 * → the set; anything else (`unknown`) → undefined.
 */
export function parseShownSet(text: string | null): DnsRecordSet | null | undefined {
  if (text === null || text === 'no record') return null;
  const m = /^(.+) TTL (\d+)$/.exec(text);
  if (!m) return undefined;
  return { values: m[1]!.split(', ').map((v) => v.trim()).filter(Boolean).sort(), ttlSeconds: Number(m[2]) };
}

/** Equal record sets (null and an empty set are equal: both mean "no record"). */
export function sameSet(a: DnsRecordSet | null | undefined, b: DnsRecordSet | null | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const ae = a === null || a.values.length === 0;
  const be = b === null || b.values.length === 0;
  if (ae || be) return ae && be;
  return sameValues(a.values, b.values) && a.ttlSeconds === b.ttlSeconds;
}

/**
 * Reads `rec` at every provider (API view) and, with `served`, at each provider's nameservers,
 * all in parallel. Never rejects for an unreachable provider or nameserver (that view is
 * `undefined` with the error); rejects only with the abort reason of `ctx.signal`.
 */
export async function readRecordViews(ctx: StepContext, rec: RecordConfig, options: { served: boolean }): Promise<ProviderView[]> {
  const dns = stepService(ctx, 'dns');
  const views = await Promise.all(
    dns.providers.map(async (provider): Promise<ProviderView> => {
      const config = ctx.env.dnsProviders.find((c) => c.name === provider.name) ?? null;
      const apiP = provider.getRecordSet(rec.name, rec.type, ctx.signal).then(
        (api) => ({ api, apiError: null }),
        (e: unknown) => ({ api: undefined, apiError: messageOf(e) }),
      );
      const servers = options.served ? (config?.nameservers ?? []) : [];
      const servedP = Promise.all(servers.map((server) => readServed(ctx, server, rec)));
      const [a, served] = await Promise.all([apiP, servedP]);
      return { provider, config, api: a.api, apiError: a.apiError, served };
    }),
  );
  ctx.signal.throwIfAborted();
  return views;
}

async function readServed(ctx: StepContext, server: string, rec: RecordConfig): Promise<ServedView> {
  try {
    const a = await stepService(ctx, 'dns').query(server, rec.name, rec.type, { timeoutMs: NS_TIMEOUT_MS, retries: 1, signal: ctx.signal });
    if (!a.authoritative) return { server, set: undefined, error: `${server} is not authoritative for ${rec.name} (AA=0)` };
    return { server, set: a.values.length > 0 && a.ttlSeconds !== null ? { values: a.values, ttlSeconds: a.ttlSeconds } : null, error: null };
  } catch (e) {
    return { server, set: undefined, error: messageOf(e) };
  }
}

/**
 * Which provider holds and serves which answer, in one line per provider joined by `; `:
 * `powerdns API 127.0.0.2 TTL 30, 127.0.0.1:15353 serves 127.0.0.2 TTL 30`.
 */
export function describeViews(views: readonly ProviderView[]): string {
  return views
    .map((v) => {
      const api = v.api === undefined ? `API unreadable (${v.apiError})` : `API ${showSet(v.api)}`;
      const served = v.served.map((s) => (s.set === undefined ? `${s.server} does not answer (${s.error})` : `${s.server} serves ${showSet(s.set)}`));
      return [`${v.provider.name} ${api}`, ...served].join(', ');
    })
    .join('; ');
}

/** True when every nameserver of every provider in `want` serves exactly `want`'s set for it. */
export function allServe(views: readonly ProviderView[], want: ReadonlyMap<string, DnsRecordSet | null>): boolean {
  return views.every((v) => !want.has(v.provider.name) || (v.served.length > 0 && v.served.every((s) => sameSet(s.set, want.get(v.provider.name)))));
}

/** True when every provider in `want` holds exactly `want`'s set in its API. */
export function allHold(views: readonly ProviderView[], want: ReadonlyMap<string, DnsRecordSet | null>): boolean {
  return views.every((v) => !want.has(v.provider.name) || sameSet(v.api, want.get(v.provider.name)));
}

/** Options of {@link writeRecordSet}. */
export interface WriteOptions {
  /** Total tries (1 = no retry). */
  attempts: number;
  /** First backoff, ms; doubles per retry. */
  backoffMs: number;
}

/**
 * Sets `rec` at `provider` to `want` (null = delete) unless it already holds it. Each try reads
 * the current set and writes with `expected` = what it read (compare-and-swap: atomic at RFC
 * 2136, read-then-write at PowerDNS), so a concurrent writer is refused rather than overwritten,
 * and a write whose reply was lost is found applied by the next try's read.
 * Retries transient errors (unreachable, timeout, conflict) with exponential backoff.
 * @returns `changed` = this call wrote; `before` = the set read before the write (by the try that wrote).
 * @throws the provider's last error (DnsProviderError) after the tries, or at once when not transient.
 */
export async function writeRecordSet(ctx: StepContext, provider: DnsProvider, rec: RecordConfig, want: DnsRecordSet | null, o: WriteOptions): Promise<{ changed: boolean; before: DnsRecordSet | null }> {
  const attempts = Math.max(1, o.attempts);
  let last: unknown = null;
  for (let i = 1; i <= attempts; i++) {
    try {
      const current = await provider.getRecordSet(rec.name, rec.type, ctx.signal);
      if (sameSet(current, want)) return { changed: false, before: current };
      await provider.setRecordSet(rec.name, rec.type, want?.values ?? [], want?.ttlSeconds ?? 0, { expected: current, signal: ctx.signal });
      return { changed: true, before: current };
    } catch (e) {
      ctx.signal.throwIfAborted();
      last = e;
      if (!isRetryable(e) || i === attempts) break;
      const delay = o.backoffMs * 2 ** (i - 1);
      ctx.log.warn(`${provider.name}: try ${i}/${attempts} failed (${messageOf(e)}); retrying in ${delay} ms`);
      await ctx.sleep(delay);
    }
  }
  throw last;
}

/**
 * Writes `want` at every provider it names, in parallel (each with its own retries), reporting
 * each change. Throws one StepError naming every provider that failed and, read afresh, which
 * provider holds and serves which answer; retryable when every failure was transient.
 */
export async function writeAll(
  ctx: StepContext,
  rec: RecordConfig,
  want: ReadonlyMap<string, DnsRecordSet | null>,
  o: WriteOptions,
  progress: (p: StepProgress) => void,
): Promise<{ changed: string[] }> {
  const providers = stepService(ctx, 'dns').providers.filter((p) => want.has(p.name));
  const results = await Promise.allSettled(
    providers.map(async (p) => {
      const w = want.get(p.name) ?? null;
      const r = await writeRecordSet(ctx, p, rec, w, o);
      const line = r.changed ? `${p.name}: ${rec.name} ${rec.type} set to ${showSet(w)} (was ${showSet(r.before)})` : `${p.name}: already holds ${showSet(w)}`;
      ctx.log.info(line);
      progress({ message: line });
      return r;
    }),
  );
  ctx.signal.throwIfAborted();
  const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ provider: providers[i]!, error: r.reason as unknown }] : []));
  if (failed.length > 0) {
    const views = await readRecordViews(ctx, rec, { served: true });
    const what = failed.map((f) => `${f.provider.name} (${messageOf(f.error)})`).join('; ');
    const retryable = failed.every((f) => isRetryable(f.error));
    const kinds = failed.map((f) => (isDnsProviderError(f.error) ? f.error.kind : 'unreachable'));
    const kind = kinds.includes('auth') ? 'auth' : kinds.includes('invalid-input') ? 'invalid-input' : kinds.includes('conflict') ? 'conflict' : kinds.includes('timeout') ? 'timeout' : 'unreachable';
    throw new StepError(kind, `could not set ${rec.name} ${rec.type} at ${what} after ${o.attempts} tr${o.attempts === 1 ? 'y' : 'ies'}. Now: ${describeViews(views)}`, {
      hint: retryable ? 'fix the provider (is its API up?), then resume the run: providers already changed are not written again' : 'fix the provider configuration or credentials, then resume',
      where: failed.map((f) => f.provider.name).join(', '),
      retryable,
    });
  }
  return { changed: results.flatMap((r, i) => (r.status === 'fulfilled' && r.value.changed ? [providers[i]!.name] : [])) };
}

/**
 * Polls every nameserver of the providers in `want` (every 100 ms, ≤ `timeoutMs`, ≤ timeoutMs/100 + 2
 * rounds) until all serve their provider's wanted set. Reports `k/n nameservers serve …` each round.
 * @returns `ok` and the last views (with the API view too), and how long it took, ms.
 */
export async function awaitServed(
  ctx: StepContext,
  rec: RecordConfig,
  want: ReadonlyMap<string, DnsRecordSet | null>,
  timeoutMs: number,
  progress?: (p: StepProgress) => void,
): Promise<{ ok: boolean; views: ProviderView[]; elapsedMs: number }> {
  const t0 = ctx.now();
  if (want.size === 0) return { ok: true, views: [], elapsedMs: 0 };
  const rounds = Math.ceil(timeoutMs / 100) + 2;
  let views: ProviderView[] = [];
  for (let i = 0; i < rounds; i++) {
    views = (await readRecordViews(ctx, rec, { served: true })).filter((v) => want.has(v.provider.name));
    const servers = views.flatMap((v) => v.served.map((s) => ({ v, s })));
    const good = servers.filter(({ v, s }) => sameSet(s.set, want.get(v.provider.name)));
    const ok = servers.length > 0 && good.length === servers.length && allServe(views, want);
    const elapsedMs = ctx.now() - t0;
    if (progress) {
      const waiting = servers.filter((x) => !good.includes(x)).map(({ s }) => `${s.server} ${s.set === undefined ? `does not answer (${s.error})` : `serves ${showSet(s.set)}`}`);
      progress({ message: `${good.length}/${servers.length} nameservers serve the new answer${waiting.length ? ` (waiting: ${waiting.join(', ')})` : ''}`, fraction: servers.length ? good.length / servers.length : 0 });
    }
    if (ok) return { ok: true, views, elapsedMs };
    if (elapsedMs >= timeoutMs) break;
    await ctx.sleep(Math.min(100, Math.max(1, timeoutMs - elapsedMs)));
  }
  return { ok: false, views, elapsedMs: ctx.now() - t0 };
}

/**
 * The API call a write makes, as text for the plan: PowerDNS's PATCH with its body, or the
 * RFC 2136 UPDATE in nsupdate's words (prerequisite = compare-and-swap on `expected`).
 */
export function writeCommandText(env: Environment, config: DnsProviderConfig | null, rec: RecordConfig, want: DnsRecordSet | null, expected: DnsRecordSet | null | undefined): string {
  const fq = `${rec.name}.`;
  if (config?.kind === 'powerdns') {
    const rrset =
      want === null || want.values.length === 0
        ? { name: fq, type: rec.type, changetype: 'DELETE' }
        : { name: fq, type: rec.type, ttl: want.ttlSeconds, changetype: 'REPLACE', records: want.values.map((v) => ({ content: rec.type === 'CNAME' ? `${v}.` : v, disabled: false })) };
    return `PATCH ${config.apiUrl.replace(/\/+$/, '')}/api/v1/servers/${config.serverId}/zones/${env.zone}. ${JSON.stringify({ rrsets: [rrset] })}  # after a GET of the RRset (PowerDNS has no conditional write)`;
  }
  if (config?.kind === 'rfc2136') {
    const hp = parseHostPort(config.server);
    const prereq =
      expected === undefined ? [] : expected === null || expected.values.length === 0 ? [`prereq nxrrset ${fq} ${rec.type}`] : [`prereq yxrrset ${fq} ${rec.type} ${expected.values.join(' ')}`];
    const adds = (want?.values ?? []).map((v) => `update add ${fq} ${want!.ttlSeconds} ${rec.type} ${v}`);
    return ['nsupdate (TSIG-signed)', `server ${hp.host} ${hp.port}`, `zone ${env.zone}`, ...prereq, `update delete ${fq} ${rec.type}`, ...adds, 'send'].join('; ');
  }
  return `set ${rec.name} ${rec.type} to ${showSet(want)} (provider not in the workspace)`;
}

/** The query a verification makes, in dig's words (what an operator would type to check). */
export function queryCommandText(server: string, rec: RecordConfig, want: DnsRecordSet | null): string {
  const hp = parseHostPort(server);
  return `dig @${hp.host} -p ${hp.port} +norec ${rec.name} ${rec.type}  # until it serves ${showSet(want)}`;
}
