/**
 * `host:port` of a DNS server, loopback only in this build (workspace-schema `hostPort`).
 */
import { DnsProviderError } from './dns-provider-error.ts';

/** A parsed server address. `host` is an IP literal (no brackets); `family` 4 or 6. */
export interface HostPort {
  host: string;
  port: number;
  family: 4 | 6;
  /** As written for messages: `127.0.0.1:53`, `[::1]:53`. */
  label: string;
}

/**
 * Parse `"127.0.0.1:53"`, `"[::1]:53"` or `"localhost:53"` (→ 127.0.0.1).
 * @throws DnsProviderError `invalid-input` for other forms or any non-loopback address
 *   (Standby only talks to 127.0.0.0/8 and ::1 here).
 */
export function parseHostPort(text: string): HostPort {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)|(localhost)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[4]) : NaN;
  if (!m || !(port >= 1 && port <= 65535)) {
    throw new DnsProviderError(
      'invalid-input',
      `"${text}" is not a server address`,
      'write it as "127.0.0.1:53" or "[::1]:53"',
    );
  }
  if (m[1] !== undefined) {
    const h = m[1].toLowerCase();
    if (h !== '::1' && h !== '0:0:0:0:0:0:0:1') {
      throw new DnsProviderError(
        'invalid-input',
        `${text} is not a loopback address`,
        'only ::1 and 127.0.0.0/8 are allowed',
      );
    }
    return { host: '::1', port, family: 6, label: `[::1]:${port}` };
  }
  const host = m[2] ?? '127.0.0.1';
  const octets = host.split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !(o >= 0 && o <= 255)) || octets[0] !== 127) {
    throw new DnsProviderError(
      'invalid-input',
      `${text} is not a loopback address`,
      'only 127.0.0.0/8 and ::1 are allowed',
    );
  }
  return { host, port, family: 4, label: `${host}:${port}` };
}
