/**
 * DNS-rebinding guard of `standby serve`: which `Host` and `Origin` values a request may carry.
 *
 * A page on `http://evil.example:7420` whose name the attacker re-points at 127.0.0.1 reaches
 * the loopback server with `Host: evil.example:7420`; the browser treats it as same-origin, so
 * neither CORS nor SameSite cookies stop it. Only an allowlist of the names the console is
 * really reached by does (as Jupyter, Vite and webpack-dev-server do).
 */

/**
 * The `Host` values serve answers: the bound `address:port`, and on loopback (always, in this
 * build) `localhost:port`, `127.0.0.1:port` and `[::1]:port`. Lower case.
 *
 * @param boundHost the address serve listens on (`127.0.0.1`, `::1`, `localhost`, …)
 * @param port the TCP port actually bound
 */
export function allowedHosts(boundHost: string, port: number): string[] {
  const bound = boundHost.includes(':') ? `[${boundHost}]` : boundHost;
  const list = [`${bound}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`];
  return [...new Set(list.map((h) => h.toLowerCase()))];
}

/** True when the request's `Host` header is one of `allowed` (case-insensitive; absent = refused). */
export function hostAllowed(host: string | undefined, allowed: readonly string[]): boolean {
  return host !== undefined && allowed.includes(host.trim().toLowerCase());
}

/**
 * True when `Origin` is absent (a script, curl, a same-origin navigation) or is `http://` plus
 * one of `allowed`. `Origin: null` (a sandboxed frame, a file:// page) is refused.
 */
export function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  const o = origin.trim().toLowerCase();
  return allowed.some((h) => o === `http://${h}`);
}

/** Name of the session cookie: carries the port because browsers share cookies across ports of one host. */
export const sessionCookieName = (port: number): string => `standby_${port}`;

/** Value of cookie `name` in a `Cookie` header, or null. */
export function readCookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}
