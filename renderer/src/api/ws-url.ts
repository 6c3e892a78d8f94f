/**
 * Where the served console's WebSocket lives. `standby serve` prints a one-time link; the host
 * exchanges it for an HttpOnly cookie (`standby_<port>`) and redirects to the clean URL, so the
 * page never sees a token: the browser sends the cookie with the WebSocket upgrade (same
 * origin). Scripts use `Authorization: Bearer` instead (electron/headless/headless-server.ts).
 */

/**
 * WebSocket URL of the headless host serving this page: same host, `wss:` when the page is
 * `https:`, path `/ws`, no query (the cookie authenticates).
 *
 * @param location the page's `protocol` and `host` (`host:port`)
 */
export function wsUrlFor(location: { protocol: string; host: string }): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}

/**
 * The plain-HTTP twin of a WebSocket URL (`ws:` → `http:`), used to ask the host why an
 * upgrade failed: browsers hide the HTTP status of a refused upgrade (it surfaces only as
 * close code 1006), but a plain GET on the same URL shows the 401/403.
 */
export const httpUrlForWs = (wsUrl: string): string => wsUrl.replace(/^ws(s?):/, 'http$1:');
