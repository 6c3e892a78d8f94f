/**
 * Where the headless host's access token comes from. `standby serve` prints a URL with
 * `?token=…`; the page takes it once, keeps it in sessionStorage (this tab only, gone when the
 * tab closes) and strips it from the address bar so it does not end up in history, bookmarks
 * or screenshots.
 */

/** sessionStorage key holding the token. */
export const tokenStorageKey = 'standby.token';

/**
 * Split a page URL into the token (if any) and the same URL without it.
 *
 * @param href absolute page URL
 * @returns `token` (null when absent or empty) and `cleanedHref` (other query parameters and
 *   the hash kept; unchanged when there was no token parameter)
 */
export function takeTokenFromUrl(href: string): { token: string | null; cleanedHref: string } {
  const url = new URL(href);
  if (!url.searchParams.has('token')) return { token: null, cleanedHref: href };
  const raw = url.searchParams.get('token');
  url.searchParams.delete('token');
  return { token: raw && raw.trim() !== '' ? raw.trim() : null, cleanedHref: url.toString() };
}

/**
 * WebSocket URL of the headless host serving this page: same host, `wss:` when the page is
 * `https:`, path `/ws`, token as query parameter (browsers cannot set headers on a WebSocket).
 *
 * @param location the page's `protocol` and `host` (`host:port`)
 * @param token access token, or null to connect without one (the host then refuses)
 */
export function wsUrlFor(location: { protocol: string; host: string }, token: string | null): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const query = token === null ? '' : `?token=${encodeURIComponent(token)}`;
  return `${scheme}//${location.host}/ws${query}`;
}

/**
 * The plain-HTTP twin of a WebSocket URL (`ws:` → `http:`), used to ask the host why an
 * upgrade failed: browsers hide the HTTP status of a refused upgrade (it surfaces only as
 * close code 1006), but a plain GET on the same URL shows the 401/403.
 */
export const httpUrlForWs = (wsUrl: string): string => wsUrl.replace(/^ws(s?):/, 'http$1:');
