/**
 * The renderer's `ConsoleApi`, derived from shared/contract/ and bound to one of two
 * transports:
 *
 * - **IPC** — inside Electron, through `window.standby` (the preload's contextBridge);
 * - **WebSocket** — in a browser served by `standby serve`: `ws(s)://<host>/ws?token=…`, with
 *   bounded-backoff reconnect and an explicit "auth refused" state.
 *
 * Both share the same derivation: one function per `consoleMethodNames` entry (arguments
 * checked against `consoleApi[method]` before they leave), and event payloads validated with
 * `consoleEvents[name]` before any listener sees them. Nothing here touches a store; the sync
 * layer (`sync-stores.ts`) wires client → stores.
 */
import {
  consoleApi,
  consoleEvents,
  consoleMethodNames,
  type ConsoleApi,
  type ConsoleEventName,
  type ConsoleEventPayload,
  type ConsoleMethod,
} from '../../../shared/contract/index.ts';
import { fail, type Result } from '../../../shared/result.ts';
import { defaultBackoff, reconnectDelayMs, type BackoffOptions } from './backoff.ts';
import type { ConnectionState } from '../ui/state-badge.ts';
import { httpUrlForWs, wsUrlFor } from './ws-url.ts';
import { decodeServerMessage } from './ws-wire.ts';

export type Transport = 'ipc' | 'ws';

/** Connection as the header shows it. */
export interface ConnectionStatus {
  transport: Transport;
  state: ConnectionState;
  /** Reconnect attempts since the last successful open (0 when connected). */
  attempt: number;
  /** When the next reconnect attempt starts, epoch ms; null when none is scheduled. */
  nextRetryAt: number | null;
  /** Human detail: last close reason, or what to do when auth was refused. */
  detail: string | null;
}

export interface ConsoleClient {
  readonly transport: Transport;
  /** The contract's API; every call resolves to a Result (never rejects). */
  readonly api: ConsoleApi;
  /** Listen to a validated event; returns an unsubscribe function. */
  on<E extends ConsoleEventName>(name: E, cb: (payload: ConsoleEventPayload<E>) => void): () => void;
  /** Listen to connection changes; called at once with the current status. */
  onConnection(cb: (status: ConnectionStatus) => void): () => void;
  /** Skip the backoff wait (or try again after an auth refusal). No-op on IPC. */
  retryNow(): void;
  /** Stop reconnecting and close the transport. */
  close(): void;
}

type RawCall = (method: ConsoleMethod, args: unknown) => Promise<Result<unknown>>;

/**
 * Build the `ConsoleApi` object from the contract: one entry per `consoleMethodNames`, each
 * validating its argument with `consoleApi[method]` (defaults applied) and delegating to `call`.
 * An invalid argument resolves to an `invalid-input` error without touching the transport.
 */
export function deriveApi(call: RawCall): ConsoleApi {
  const api: Record<string, (args: unknown) => Promise<Result<unknown>>> = {};
  for (const method of consoleMethodNames) {
    api[method] = async (args: unknown) => {
      const parsed = consoleApi[method].safeParse(args);
      if (!parsed.success) {
        return fail(
          'invalid-input',
          `Invalid arguments for ${method}: ${parsed.error.issues.map((i) => i.message).join('; ')}`,
          undefined,
          method,
        );
      }
      try {
        return await call(method, parsed.data);
      } catch (e) {
        return fail(
          'internal',
          `${method} failed in the transport: ${e instanceof Error ? e.message : String(e)}`,
          undefined,
          method,
        );
      }
    };
  }
  return api as unknown as ConsoleApi;
}

/** Listener registry that validates payloads against `consoleEvents` before dispatch. */
function createEventHub(): { on: ConsoleClient['on']; dispatch(name: ConsoleEventName, payload: unknown): void } {
  const listeners = new Map<ConsoleEventName, Set<(p: unknown) => void>>();
  return {
    on(name, cb) {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      const fn = cb as (p: unknown) => void;
      set.add(fn);
      return () => set.delete(fn);
    },
    dispatch(name, payload) {
      const schema = consoleEvents[name];
      if (!schema) return;
      const parsed = schema.safeParse(payload);
      if (!parsed.success) {
        // A malformed event must never reach a view; say so once per frame in the console.
        console.warn(`standby: dropped invalid '${name}' event`, parsed.error.issues);
        return;
      }
      for (const cb of listeners.get(name) ?? []) cb(parsed.data);
    },
  };
}

/** Client over the Electron preload bridge. The connection is the process itself: always up. */
export function createIpcClient(bridge: StandbyBridge): ConsoleClient {
  const hub = createEventHub();
  const unsubs: (() => void)[] = [];
  const hooked = new Set<ConsoleEventName>();
  const call: RawCall = (method, args) => (bridge.api[method] as (a: unknown) => Promise<Result<unknown>>)(args);
  return {
    transport: 'ipc',
    api: deriveApi(call),
    on(name, cb) {
      if (!hooked.has(name)) {
        hooked.add(name);
        unsubs.push(bridge.on(name, (payload) => hub.dispatch(name, payload)));
      }
      return hub.on(name, cb);
    },
    onConnection(cb) {
      cb({ transport: 'ipc', state: 'connected', attempt: 0, nextRetryAt: null, detail: null });
      return () => {};
    },
    retryNow() {},
    close() {
      for (const u of unsubs.splice(0)) u();
    },
  };
}

export interface WsClientOptions {
  /** `ws(s)://host/ws?token=…` */
  url: string;
  /** Per-call timeout, ms. */
  callTimeoutMs?: number;
  backoff?: BackoffOptions;
  /** Injected for tests and the fake host; default the browser's. */
  WebSocketImpl?: typeof WebSocket;
  fetchImpl?: typeof fetch;
}

/**
 * Close codes that mean "your token was refused": 4401/4403 (application codes in the 4000
 * range, RFC 6455 §7.4.2, mirroring HTTP 401/403) and 1008 policy violation.
 */
const authCloseCodes = new Set([1008, 4401, 4403]);

/** Client over the headless host's WebSocket, reconnecting with bounded backoff. */
export function createWsClient(opts: WsClientOptions): ConsoleClient {
  const WS = opts.WebSocketImpl ?? WebSocket;
  const doFetch = opts.fetchImpl ?? ((...a: Parameters<typeof fetch>) => fetch(...a));
  const callTimeoutMs = opts.callTimeoutMs ?? 15_000;
  const backoff = opts.backoff ?? defaultBackoff;
  const hub = createEventHub();
  const connListeners = new Set<(s: ConnectionStatus) => void>();
  const pending = new Map<number, { resolve: (r: Result<unknown>) => void; timer: ReturnType<typeof setTimeout> }>();
  let status: ConnectionStatus = { transport: 'ws', state: 'connecting', attempt: 0, nextRetryAt: null, detail: null };
  let socket: WebSocket | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let nextId = 1;
  let closed = false;

  const setStatus = (patch: Partial<ConnectionStatus>): void => {
    status = { ...status, ...patch };
    for (const cb of connListeners) cb(status);
  };

  const failPending = (why: string): void => {
    for (const [id, p] of pending) {
      clearTimeout(p.timer);
      p.resolve(
        fail(
          'unreachable',
          `Lost the connection to the Standby host (${why}).`,
          'The console reconnects by itself; the call can be repeated then.',
        ),
      );
      pending.delete(id);
    }
  };

  const scheduleRetry = (detail: string): void => {
    if (closed) return;
    const attempt = status.attempt + 1;
    const delay = reconnectDelayMs(attempt, backoff);
    setStatus({ state: 'reconnecting', attempt, nextRetryAt: Date.now() + delay, detail });
    retryTimer = setTimeout(connect, delay);
  };

  const refuse = (detail: string): void => {
    setStatus({
      state: 'auth-refused',
      nextRetryAt: null,
      detail: `${detail} Open the URL printed by \`standby serve\` (it carries ?token=…).`,
    });
  };

  /**
   * Why did an upgrade that never opened fail? Browsers report a refused upgrade as close
   * code 1006, the same as "host down"; a plain GET on the same URL reveals 401/403.
   */
  const explainRefusedUpgrade = async (): Promise<'auth' | 'other'> => {
    try {
      const res = await doFetch(httpUrlForWs(opts.url), { cache: 'no-store', credentials: 'same-origin' });
      return res.status === 401 || res.status === 403 ? 'auth' : 'other';
    } catch {
      return 'other';
    }
  };

  function connect(): void {
    if (closed) return;
    retryTimer = null;
    let opened = false;
    let ws: WebSocket;
    try {
      ws = new WS(opts.url);
    } catch (e) {
      scheduleRetry(e instanceof Error ? e.message : String(e));
      return;
    }
    socket = ws;
    ws.onopen = () => {
      opened = true;
      setStatus({ state: 'connected', attempt: 0, nextRetryAt: null, detail: null });
    };
    ws.onmessage = (ev: MessageEvent) => {
      if (typeof ev.data !== 'string') return;
      const decoded = decodeServerMessage(ev.data);
      if (!decoded.ok) {
        console.warn(`standby: dropped server message (${decoded.reason})`);
        return;
      }
      const m = decoded.message;
      if (m.type === 'result') {
        const p = pending.get(m.id);
        if (!p) return;
        pending.delete(m.id);
        clearTimeout(p.timer);
        p.resolve(m.result);
      } else if (m.type === 'event') {
        hub.dispatch(m.name, m.payload);
      } else {
        console.warn(`standby: host rejected a message: ${m.error.message}`);
      }
    };
    ws.onclose = (ev: CloseEvent) => {
      if (socket === ws) socket = null;
      failPending(ev.reason || `close code ${ev.code}`);
      if (closed) return;
      if (authCloseCodes.has(ev.code)) {
        refuse(ev.reason ? `The host refused the token: ${ev.reason}.` : 'The host refused the token.');
        return;
      }
      if (opened) {
        scheduleRetry(ev.reason || `connection closed (code ${ev.code})`);
        return;
      }
      void explainRefusedUpgrade().then((why) => {
        if (closed) return;
        if (why === 'auth') refuse('The host refused the token (HTTP 401/403).');
        else scheduleRetry('host not reachable');
      });
    };
  }

  const call: RawCall = (method, args) =>
    new Promise((resolve) => {
      const ws = socket;
      if (!ws || ws.readyState !== WS.OPEN) {
        resolve(
          fail(
            'unreachable',
            `Not connected to the Standby host (${status.state}).`,
            'Wait for the connection indicator to turn "connected".',
            method,
          ),
        );
        return;
      }
      const id = nextId++;
      // One bound for every call: the run calls too answer at once (the run then goes on, told
      // by its events).
      const timer = setTimeout(() => {
        pending.delete(id);
        resolve(
          fail(
            'timeout',
            `${method} got no answer within ${callTimeoutMs / 1000} s.`,
            'The host may be overloaded; the next poll retries.',
            method,
          ),
        );
      }, callTimeoutMs);
      pending.set(id, { resolve, timer });
      ws.send(JSON.stringify({ id, method, args }));
    });

  connect();

  return {
    transport: 'ws',
    api: deriveApi(call),
    on: hub.on,
    onConnection(cb) {
      connListeners.add(cb);
      cb(status);
      return () => connListeners.delete(cb);
    },
    retryNow() {
      if (closed || status.state === 'connected' || status.state === 'connecting') return;
      if (retryTimer) clearTimeout(retryTimer);
      setStatus({ state: 'connecting', nextRetryAt: null });
      connect();
    },
    close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      failPending('closed by the page');
      socket?.close(1000, 'page closed');
      socket = null;
    },
  };
}

/**
 * The client for this page: IPC when the Electron preload exposed `window.standby`, else the
 * WebSocket of the host that served the page. No token in the URL: `standby serve` exchanged
 * the printed `?token=` for an HttpOnly session cookie before this page loaded, and the browser
 * sends that cookie with the same-origin upgrade (the host refuses `?token=` on /ws).
 */
export function createConsoleClient(): ConsoleClient {
  if (window.standby) return createIpcClient(window.standby);
  return createWsClient({ url: wsUrlFor(window.location) });
}
