/**
 * One HTTP health probe: `GET url` through a shared undici keep-alive Agent.
 *
 * Why keep-alive: at 1,000 targets × 1 probe/s, a new TCP connection per probe costs more CPU
 * than the request itself (bench/RESULTS.md). The price is a race: a server (nginx on reload,
 * or any server whose keep-alive timeout fires) may close an idle socket exactly when we write
 * on it. Node's docs advise retrying an idempotent request that fails that way
 * (https://nodejs.org/api/http.html#requestreusedsocket); the lab measured one such failure per
 * nginx reload (shared/guide/lab-recipe/check-nginx-flip.sh). We retry once, and only when the
 * failed request went out on a *reused* socket — a fresh connection that is reset is a real
 * failure and must not be hidden.
 */
import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';
import { subscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';

/** Largest JSON body parsed, bytes. Bigger bodies are discarded unparsed (the probe still counts). */
export const MAX_PROBE_BODY_BYTES = 16 * 1024;

/** Outcome of one probe. Never thrown: `httpProbe` always resolves to one of these. */
export interface HttpProbeResult {
  /** True when a response with status 200–299 arrived (and its body was read or discarded). */
  ok: boolean;
  /** HTTP status code, or null when no response arrived. */
  status: number | null;
  /** Wall time from sending the request to the end of the body, ms (includes one reused-socket retry). */
  latencyMs: number;
  /** Parsed JSON body when the response is `application/json` (or `+json`) and ≤ maxBodyBytes. */
  body?: unknown;
  /**
   * Why it is not ok, for people: `ECONNREFUSED 127.0.0.2:15301`, `timeout after 800 ms`,
   * `HTTP 503`, `connection closed by 127.0.0.2:15380 (other side closed)`, `aborted`.
   */
  error?: string;
}

/** Options of {@link createProbeAgent}. */
export interface ProbeAgentOptions {
  /** Max simultaneous connections per origin (scheme+host+port). Default 8. */
  connectionsPerOrigin?: number;
  /** How long an idle keep-alive socket is kept, ms. Default 10,000 (must exceed the probe interval to be reused). */
  keepAliveTimeoutMs?: number;
  /** TCP connect timeout, ms. Default 5,000 (the probe's own timeout is normally shorter). */
  connectTimeoutMs?: number;
  /** PEM CA certificate(s) trusted for https instead of Node's bundled CAs. */
  ca?: string;
}

/**
 * The Agent shared by all probes of one HealthService: bounded connections per origin,
 * keep-alive, no pipelining (a slow health response must not delay the next target's).
 * Close it with `await agent.close()` (or `destroy()`) when done.
 */
export function createProbeAgent(options: ProbeAgentOptions = {}): Agent {
  installReuseTracking();
  return new Agent({
    connections: options.connectionsPerOrigin ?? 8,
    pipelining: 1,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 10_000,
    keepAliveMaxTimeout: Math.max(options.keepAliveTimeoutMs ?? 10_000, 10_000),
    // Certificate verification is always on; `ca` only changes which CAs are trusted.
    connect: {
      timeout: options.connectTimeoutMs ?? 5_000,
      rejectUnauthorized: true,
      ...(options.ca !== undefined ? { ca: options.ca } : {}),
    },
  });
}

/** Options of {@link httpProbe}. */
export interface HttpProbeOptions {
  /** Usually the Agent from {@link createProbeAgent}. */
  dispatcher: Dispatcher;
  /** Aborts the probe; the result is then `{ ok: false, error: 'aborted' }` (or the signal's reason if it is a string). */
  signal?: AbortSignal;
  /** Own time limit, ms; `error` is then `timeout after N ms`. Omit when the caller times out (cockatiel). */
  timeoutMs?: number;
  /** Largest JSON body parsed, bytes. Default {@link MAX_PROBE_BODY_BYTES}. */
  maxBodyBytes?: number;
}

const HEADERS = { accept: 'application/json', 'user-agent': 'standby-health/0.1' };

/**
 * Probe `url` once (`GET`). Healthy = 2xx. Resolves, never rejects.
 * A request that fails with ECONNRESET / "other side closed" / EPIPE on a reused keep-alive
 * socket is retried once at once, on a new connection.
 */
export async function httpProbe(url: string | URL, options: HttpProbeOptions): Promise<HttpProbeResult> {
  installReuseTracking();
  const started = performance.now();
  const maxBody = options.maxBodyBytes ?? MAX_PROBE_BODY_BYTES;
  let signal = options.signal;
  let timeoutSignal: AbortSignal | undefined;
  if (options.timeoutMs !== undefined) {
    timeoutSignal = AbortSignal.timeout(options.timeoutMs);
    signal = signal ? AbortSignal.any([signal, timeoutSignal]) : timeoutSignal;
  }
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await request(url, { method: 'GET', dispatcher: options.dispatcher, signal, headers: HEADERS });
      const status = res.statusCode;
      const body = await readBody(res, maxBody);
      const ok = status >= 200 && status < 300;
      const result: HttpProbeResult = { ok, status, latencyMs: elapsed() };
      if (body !== undefined) result.body = body;
      if (!ok) result.error = `HTTP ${status}`;
      return result;
    } catch (err) {
      if (attempt === 0 && isReusedSocketError(err) && !signal?.aborted) continue;
      let error: string;
      if (timeoutSignal?.aborted) error = `timeout after ${options.timeoutMs} ms`;
      else if (signal?.aborted) error = typeof signal.reason === 'string' ? signal.reason : 'aborted';
      else error = describeNetworkError(err, url);
      return { ok: false, status: null, latencyMs: elapsed(), error };
    }
  }
}

/**
 * Reads the body: JSON up to `max` bytes is parsed, anything else is drained so the socket
 * can be reused (or discarded, closing the socket, when it is larger than `max`).
 * Returns undefined when there is nothing parsed (not JSON, too big, invalid JSON).
 */
async function readBody(res: Dispatcher.ResponseData, max: number): Promise<unknown> {
  const type = res.headers['content-type'];
  const isJson = typeof type === 'string' && /^application\/([\w.+-]+\+)?json\b/i.test(type);
  const lengthHeader = res.headers['content-length'];
  const declared = typeof lengthHeader === 'string' ? Number(lengthHeader) : NaN;
  if (!isJson || declared > max) {
    // dump() reads at most `limit` bytes and closes the connection beyond that.
    await res.body.dump({ limit: max });
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      res.body.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  try {
    const first = chunks[0];
    const text = chunks.length === 1 && first ? first.toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** `host:port` of a URL with the scheme's default port filled in (IPv6 in brackets: `[::1]:80`). */
function hostPort(url: string | URL): string {
  try {
    const u = typeof url === 'string' ? new URL(url) : url;
    return `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
  } catch {
    return String(url);
  }
}

const NET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EADDRNOTAVAIL',
  'ENOTFOUND',
  'EPIPE',
  'EAI_AGAIN',
]);

/** Short human text for a network error, naming the code and the peer, e.g. `ECONNREFUSED 127.0.0.2:15301`. */
export function describeNetworkError(err: unknown, url: string | URL): string {
  const e = err as { code?: unknown; message?: unknown; address?: unknown; port?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (code && NET_CODES.has(code)) {
    const peer =
      typeof e?.address === 'string' && typeof e.port === 'number'
        ? `${e.address.includes(':') ? `[${e.address}]` : e.address}:${e.port}`
        : hostPort(url);
    return `${code} ${peer}`;
  }
  if (code === 'UND_ERR_SOCKET') return `connection closed by ${hostPort(url)} (${message})`;
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return `connect timeout to ${hostPort(url)}`;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return `${message} (${hostPort(url)})`;
  if (code === 'ERR_INVALID_URL') return `invalid URL ${String(url)}`;
  return code ? `${code}: ${message}` : message;
}

// ---------------------------------------------------------------------------------------------
// Reused-socket detection. undici does not tell a request whether its socket was reused, but it
// publishes `undici:client:sendHeaders` ({ request, socket }) and `undici:request:error`
// ({ request, error }) on node:diagnostics_channel, and the published error is the very object
// `request()` rejects with. Weak collections only: nothing is retained after a request ends.
const socketUses = new WeakMap<Socket, number>();
const sentOnReusedSocket = new WeakSet<object>();
const reusedSocketErrors = new WeakSet<object>();
let tracking = false;

function installReuseTracking(): void {
  if (tracking) return;
  tracking = true;
  subscribe('undici:client:sendHeaders', (message) => {
    const { request: req, socket } = message as { request: object; socket: Socket };
    const uses = (socketUses.get(socket) ?? 0) + 1;
    socketUses.set(socket, uses);
    if (uses > 1) sentOnReusedSocket.add(req);
  });
  subscribe('undici:request:error', (message) => {
    const { request: req, error } = message as { request: object; error: unknown };
    if (sentOnReusedSocket.has(req) && typeof error === 'object' && error !== null) reusedSocketErrors.add(error);
  });
}

const RESET_CODES = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE']);

/** True when `err` is a connection reset/close of a request that was sent on a reused keep-alive socket. */
function isReusedSocketError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null || !reusedSocketErrors.has(err)) return false;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && RESET_CODES.has(code);
}
