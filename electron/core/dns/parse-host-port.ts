/**
 * `host:port` of a DNS server (workspace-schema `hostPort`): an IPv4 or bracketed IPv6 address,
 * or a host name resolved when a query is made (see {@link resolveHostPort}).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { splitHostPort } from '../config/network-host.ts';
import { DnsProviderError } from './dns-provider-error.ts';

/**
 * A parsed server address. `host` is an IP literal (no brackets) with `family` 4 or 6, or a host
 * name with `family` 0 (resolve it with {@link resolveHostPort} before sending).
 */
export interface HostPort {
  host: string;
  port: number;
  family: 0 | 4 | 6;
  /**
   * For messages and evidence: `127.0.0.1:53`, `[::1]:53`, `ns1.example.net:53`, and once
   * resolved `ns1.example.net (192.0.2.53):53`.
   */
  label: string;
  /** The name as written, when `host` came from resolving it. */
  name?: string;
}

/**
 * Parse `"192.0.2.53:53"`, `"[2001:db8::1]:53"`, `"ns1.example.net:53"` or `"localhost:53"`
 * (→ 127.0.0.1, without a lookup, so the lab's IPv4 listeners are reached).
 * @throws DnsProviderError `invalid-input` for any other form, with how to write it.
 */
export function parseHostPort(text: string): HostPort {
  const parts = splitHostPort(text.trim());
  if (typeof parts === 'string') {
    throw new DnsProviderError(
      'invalid-input',
      `"${text}" is not a server address: ${parts}`,
      'write it as "ns1.example.net:53", "192.0.2.53:53" or "[2001:db8::1]:53"',
    );
  }
  const { port } = parts;
  const host = parts.host.toLowerCase() === 'localhost' ? '127.0.0.1' : parts.host;
  const family = isIP(host);
  if (family === 6) return { host, port, family: 6, label: `[${host}]:${port}` };
  if (family === 4) return { host, port, family: 4, label: `${host}:${port}` };
  return { host, port, family: 0, label: `${host}:${port}` };
}

/**
 * The address to send to: `hp` itself when it is an IP literal, else the name looked up now
 * (node:dns `lookup`, the system resolver, first address), bounded by `timeoutMs` and `signal`.
 * The result's label shows both: `ns1.example.net (192.0.2.53):53`.
 * @throws DnsProviderError `unreachable` when the name does not resolve (reason in the message),
 *   `timeout` when the lookup takes longer than `timeoutMs`; rejects with `signal.reason` when aborted.
 */
export async function resolveHostPort(
  hp: HostPort,
  opts: { timeoutMs: number; signal?: AbortSignal; lookupFn?: typeof lookup },
): Promise<HostPort> {
  if (hp.family !== 0) return hp;
  opts.signal?.throwIfAborted();
  const doLookup = opts.lookupFn ?? lookup;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  // lookup() cannot be cancelled (getaddrinfo runs in the thread pool): the race bounds the wait.
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new DnsProviderError(
            'timeout',
            `resolving ${hp.host} took longer than ${opts.timeoutMs} ms`,
            'check this machine’s resolver (/etc/resolv.conf) or write the nameserver as an IP address',
            { where: hp.label },
          ),
        ),
      opts.timeoutMs,
    );
    if (opts.signal) {
      onAbort = () => reject(opts.signal!.reason);
      opts.signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  try {
    const found = await Promise.race([
      doLookup(hp.host).catch((e: unknown) => {
        const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        throw new DnsProviderError(
          'unreachable',
          `cannot resolve nameserver ${hp.host} (${code})`,
          'check the name, or write the nameserver as an IP address',
          { where: hp.label },
        );
      }),
      bound,
    ]);
    const family = found.family === 6 ? 6 : 4;
    const shown = family === 6 ? `[${found.address}]` : found.address;
    return { host: found.address, port: hp.port, family, label: `${hp.host} (${shown}):${hp.port}`, name: hp.host };
  } finally {
    clearTimeout(timer);
    if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
  }
}
