/**
 * `standby serve`: the core bound to HTTP + WebSocket for a browser, the headless twin of the
 * Electron host. Same contract, same dispatch; only the transport differs.
 *
 * Security: listens on loopback only. Every HTTP request and WebSocket upgrade must carry an
 * allowed `Host` (the bound address:port, `localhost:port`, `127.0.0.1:port`, `[::1]:port`) and,
 * when present, an `Origin` of that list (DNS rebinding, cross-site WebSocket hijacking): else
 * 403. Authentication: the printed URL's `?token=` is a one-time code, exchanged on the first
 * GET for an HttpOnly SameSite=Strict cookie `standby_<port>` and a redirect to the same URL
 * without it; any later `?token=` is refused. Scripts send `Authorization: Bearer <token>`.
 * A user-given token shorter than 32 characters is refused. Open WebSockets and each client's
 * message rate are capped, and one bad client (oversize frame, invalid UTF-8, flood) is dropped
 * with a close code and a one-line log; serve and the other clients keep going.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { allowedHosts, hostAllowed, originAllowed, readCookie, sessionCookieName } from './allowed-hosts.ts';
import { consoleEventNames, wsClientMessage, type WsServerMessage } from '../../shared/contract/index.ts';
import { dispatch } from '../core/api/dispatch.ts';
import type { Core } from '../core/create-core.ts';

export interface HeadlessOptions {
  core: Core;
  /** Loopback address to bind (127.0.0.0/8 or ::1). Default 127.0.0.1. */
  host?: string;
  /** TCP port; 0 = any free port. Default 7420. */
  port?: number;
  /** Directory of the built renderer (index.html + assets). */
  staticDir: string;
  /**
   * Session token; random 32 bytes (hex) when omitted. A given token must be at least
   * {@link MIN_TOKEN_LENGTH} characters of `A-Z a-z 0-9 . _ ~ -` (it travels in a URL and a cookie).
   */
  token?: string;
  /** Open WebSockets allowed at once; more are refused with HTTP 503. Default {@link MAX_CLIENTS}. */
  maxClients?: number;
  /**
   * Per-client message rate: a bucket of `burst` messages refilled at `perSecond`; a client that
   * empties it is closed with 1008 and a reason saying so. Default {@link MESSAGE_RATE}.
   */
  messageRate?: { burst: number; perSecond: number };
  /**
   * Where one-line notices go (a dropped client, a socket error). Never given a stack or the
   * token. Default: stderr.
   */
  log?: (line: string) => void;
}

export interface HeadlessServer {
  url: string;
  /** URL with the token, to open in a browser. */
  openUrl: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

/** Shortest session token accepted from the user (characters); the generated one has 64. */
export const MIN_TOKEN_LENGTH = 32;
/**
 * Open WebSockets at once. A browser tab holds one; a few tabs plus scripts stay far below,
 * while a leaking script cannot make serve hold sockets and push snapshots without bound.
 */
export const MAX_CLIENTS = 32;
/**
 * A tab's first load sends a few dozen calls (workspace, snapshots, runs, lock, samples), then
 * one per user action; 200 at once and 50/s sustained is far above that and far below a flood.
 */
export const MESSAGE_RATE = { burst: 200, perSecond: 50 } as const;

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** True for addresses this build may bind: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === '::1' || host === 'localhost';
}

/**
 * Starts the server.
 * @throws Error when `host` is not loopback, the given token is too short or has characters a
 *         URL or cookie would mangle, or the port is taken (the message says which).
 */
export async function startHeadlessServer(opts: HeadlessOptions): Promise<HeadlessServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopbackHost(host))
    throw new Error(`refusing to listen on ${host}: standby serve binds loopback only (127.0.0.0/8 or ::1)`);
  if (opts.token !== undefined && (opts.token.length < MIN_TOKEN_LENGTH || !/^[\w.~-]+$/.test(opts.token)))
    throw new Error(
      `refusing the session token (STANDBY_TOKEN): it must be at least ${MIN_TOKEN_LENGTH} characters of A-Z a-z 0-9 . _ ~ - (got ${opts.token.length}); unset it for a random one`,
    );
  const token = opts.token ?? randomBytes(32).toString('hex');
  const maxClients = opts.maxClients ?? MAX_CLIENTS;
  const rate = opts.messageRate ?? MESSAGE_RATE;
  const log = opts.log ?? ((line: string) => console.error(line));
  const tokenBuf = Buffer.from(token);
  const staticDir = resolve(opts.staticDir);

  // The cookie carries its own random value, not the token: a leaked cookie jar does not give
  // away the Bearer token scripts use.
  const session = randomBytes(32).toString('hex');
  const sessionBuf = Buffer.from(session);
  const same = (candidate: string | null | undefined, expected: Buffer): boolean => {
    if (!candidate) return false;
    const c = Buffer.from(candidate);
    return c.length === expected.length && timingSafeEqual(c, expected);
  };
  const tokenOk = (candidate: string | null | undefined): boolean => same(candidate, tokenBuf);
  /** True once the printed URL's `?token=` has been exchanged for the cookie. */
  let queryTokenUsed = false;
  // Filled once the port is known (port 0 = any); no request arrives before listen.
  let hostsOk: string[] = [];
  let cookieName = '';
  /** Bearer header or session cookie; the `?token=` query is never a credential here. */
  const authenticated = (req: IncomingMessage): boolean => {
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ') && tokenOk(auth.slice(7))) return true;
    return same(readCookie(req.headers.cookie, cookieName), sessionBuf);
  };
  /** Why a request's Host or Origin is refused (403), or null when both are allowed. */
  const rebindingRefusal = (req: IncomingMessage): string | null => {
    if (!hostAllowed(req.headers.host, hostsOk))
      return `Standby: Host "${req.headers.host ?? ''}" is not allowed; open ${hostsOk.map((h) => `http://${h}/`).join(' or ')} (DNS rebinding guard)\n`;
    if (!originAllowed(req.headers.origin, hostsOk))
      return `Standby: Origin "${req.headers.origin ?? ''}" is not allowed; only a page served by this console may call it\n`;
    return null;
  };

  const server: Server = createServer((req, res) => {
    void handleHttp(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error\n');
    });
  });

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const headers = {
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    };
    const text = { ...headers, 'content-type': 'text/plain; charset=utf-8' };
    const refusal = rebindingRefusal(req);
    if (refusal) {
      res.writeHead(403, text);
      res.end(refusal);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...headers, allow: 'GET, HEAD' });
      res.end();
      return;
    }
    if (url.searchParams.has('token')) {
      // One-time exchange: the code leaves the address bar, history and logs at once; a copy
      // of the URL found later (shell history, a screenshot) opens nothing.
      if (queryTokenUsed || !tokenOk(url.searchParams.get('token'))) {
        res.writeHead(401, text);
        res.end(
          queryTokenUsed
            ? 'Standby: this one-time link was already used. Reload the tab that opened it (it holds the session cookie), restart `standby serve` for a new link, or send `Authorization: Bearer <token>` from a script.\n'
            : 'Standby: the token in this link is wrong. Open the URL printed by `standby serve`.\n',
        );
        return;
      }
      queryTokenUsed = true;
      url.searchParams.delete('token');
      res.writeHead(303, {
        ...headers,
        'set-cookie': `${cookieName}=${session}; HttpOnly; SameSite=Strict; Path=/`,
        location: `${url.pathname}${url.search}`,
      });
      res.end();
      return;
    }
    if (!authenticated(req)) {
      res.writeHead(401, text);
      res.end(
        'Standby: a session is required. Open the URL printed by `standby serve` (it ends with ?token=…), or send `Authorization: Bearer <token>`.\n',
      );
      return;
    }
    if (url.pathname === '/healthz') {
      res.writeHead(200, { ...headers, 'content-type': 'text/plain' });
      res.end('ok\n');
      return;
    }
    let rel = decodeURIComponent(url.pathname);
    if (rel === '/' || rel === '') rel = '/index.html';
    const file = normalize(join(staticDir, rel));
    if (!file.startsWith(staticDir + sep)) {
      res.writeHead(404, headers);
      res.end();
      return;
    }
    let target = file;
    try {
      if (!(await stat(target)).isFile()) target = join(staticDir, 'index.html');
    } catch {
      target = join(staticDir, 'index.html'); // client-side routes fall back to the app
    }
    let body: Buffer;
    try {
      body = await readFile(target);
    } catch {
      res.writeHead(503, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
      res.end(`Standby: the dashboard is not built (${staticDir} has no index.html). Run \`npm run build\`.\n`);
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': TYPES[extname(target)] ?? 'application/octet-stream' });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  // The largest legitimate client message is `executeRun` with its maximum of 20 overrides,
  // each a rule name, a step id (≤ 64) and a reason (a sentence or two; other reasons are
  // capped at 500 chars): about 20 × 700 B ≈ 14 KiB of JSON. 64 KiB leaves room for long
  // reasons while a frame that could only be an attack or a bug is refused before it is
  // buffered: ws closes that client with 1009 (and 1007 for invalid UTF-8 in a text frame).
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const clients = new Set<WebSocket>();
  // With noServer, ws should never emit these; a listener keeps a surprise from killing serve.
  wss.on('error', (e) => log(`standby serve: WebSocket server error: ${e.message}`));
  // After listen, a server error (e.g. EMFILE on accept) must not end the console mid-run.
  const onServerError = (e: NodeJS.ErrnoException) => log(`standby serve: HTTP server error: ${e.code ?? e.message}`);

  server.on('upgrade', (req, socket, head) => {
    // node:http removes its own 'error' listener from an upgraded socket: a reset before ws
    // takes over would otherwise be an uncaught exception
    socket.on('error', () => socket.destroy());
    const peer = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    const url = new URL(req.url ?? '/', 'http://localhost');
    const refuse = (status: string, body: string) => {
      socket.write(`HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n${body}`);
      socket.destroy();
    };
    const refusal = rebindingRefusal(req);
    if (refusal) return refuse('403 Forbidden', refusal);
    if (url.pathname !== '/ws') return refuse('404 Not Found', 'Standby: the WebSocket is at /ws\n');
    if (url.searchParams.has('token'))
      return refuse(
        '401 Unauthorized',
        'Standby: ?token= is not accepted on the WebSocket; the page uses its session cookie, scripts send Authorization: Bearer <token>\n',
      );
    if (!authenticated(req))
      return refuse(
        '401 Unauthorized',
        'Standby: session cookie or Authorization: Bearer <token> required; open the URL printed by `standby serve`\n',
      );
    if (clients.size >= maxClients) {
      log(`standby serve: refused WebSocket client ${peer}: ${maxClients} already open`);
      socket.write(
        `HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nStandby: too many open connections (${maxClients}); close a tab or script\n`,
      );
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      let tokens: number = rate.burst;
      let refilledAt = Date.now();
      ws.on('close', () => clients.delete(ws));
      // An oversize frame, invalid UTF-8 or a protocol violation: ws has already closed this
      // client with the matching code (1009, 1007, 1002); only this client is lost. Without
      // this listener the 'error' event would throw and end the process.
      ws.on('error', (e: Error & { code?: string }) => {
        log(`standby serve: dropped WebSocket client ${peer}: ${e.message}${e.code ? ` (${e.code})` : ''}`);
        clients.delete(ws);
      });
      ws.on('message', (data) => {
        const now = Date.now();
        tokens = Math.min(rate.burst, tokens + ((now - refilledAt) / 1000) * rate.perSecond);
        refilledAt = now;
        if (tokens < 1) {
          if (ws.readyState === ws.OPEN) {
            log(`standby serve: dropped WebSocket client ${peer}: over ${rate.perSecond} messages/s`);
            // 1008 policy violation; the reason is what the client's close event shows
            ws.close(1008, `message rate over ${rate.perSecond}/s (burst ${rate.burst})`);
          }
          return;
        }
        tokens -= 1;
        void onMessage(ws, data.toString()).catch(internalError);
      });
      // first snapshot right away so a new tab does not wait for the next push
      for (const env of opts.core.workspace.environments) {
        void opts.core.api
          .getSnapshot({ env: env.name })
          .then((r) => {
            if (r.ok) send(ws, { type: 'event', name: 'snapshot', payload: { env: env.name, snapshot: r.value } });
          })
          .catch(internalError);
      }
    });
  });

  const send = (ws: WebSocket, msg: WsServerMessage): void => {
    // a stalled client (over 4 MiB queued) misses pushes rather than growing our memory
    if (ws.readyState === ws.OPEN && ws.bufferedAmount < 4 * 1024 * 1024) ws.send(JSON.stringify(msg));
  };

  /** A call that threw instead of returning a Result: one line, never an unhandled rejection. */
  const internalError = (e: unknown): void =>
    log(`standby serve: internal error answering a client: ${e instanceof Error ? e.message : String(e)}`);

  async function onMessage(ws: WebSocket, text: string): Promise<void> {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      send(ws, {
        type: 'error',
        error: {
          kind: 'invalid-input',
          message: 'message is not JSON',
          hint: 'send {"id": 1, "method": "getSnapshot", "args": {"env": "lab"}}',
        },
      });
      return;
    }
    const msg = wsClientMessage.safeParse(json);
    if (!msg.success) {
      send(ws, {
        type: 'error',
        error: {
          kind: 'invalid-input',
          message: `bad message: ${msg.error.issues[0]?.path.join('.') || '(root)'}: ${msg.error.issues[0]?.message}`,
          hint: 'messages are {id: number, method: string, args: object}',
        },
      });
      return;
    }
    const result = await dispatch(opts.core.api, msg.data.method, msg.data.args);
    send(ws, { type: 'result', id: msg.data.id, result });
  }

  const unsubscribers = consoleEventNames.map((name) =>
    opts.core.on(name, (payload) => {
      for (const ws of clients) send(ws, { type: 'event', name, payload });
    }),
  );

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new Error(
          e.code === 'EADDRINUSE'
            ? `port ${opts.port ?? 7420} on ${host} is already in use; pass --port N (or 0 for any free port)`
            : e.message,
        ),
      ),
    );
    server.listen(opts.port ?? 7420, host, () => resolveListen());
  });
  server.removeAllListeners('error');
  server.on('error', onServerError);
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? 7420);
  hostsOk = allowedHosts(host, port);
  cookieName = sessionCookieName(port);
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  const base = `http://${hostInUrl}:${port}`;
  return {
    url: base,
    openUrl: `${base}/?token=${token}`,
    token,
    port,
    async close() {
      unsubscribers.forEach((u) => u());
      for (const ws of clients) ws.terminate();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
    },
  };
}
