/**
 * Forms of a network target in the workspace: a DNS host name (RFC 1123), an IPv4 address
 * (four numbers 0-255) or an IPv6 address (in brackets inside URLs and `host:port`).
 * node:net `isIP` and WHATWG `URL` do the parsing; the only pattern is the host-name label rule.
 */
import { isIP, isIPv4 } from 'node:net';

/** RFC 1123 label: letters, digits and inner `-`, 1-63 characters. */
const label = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** An RFC 1123 host name (`ns1.example.net`, optional final dot, at most 253 characters). */
export function isHostName(h: string): boolean {
  const name = h.endsWith('.') ? h.slice(0, -1) : h;
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split('.');
  // All-numeric last label means an IPv4 address was meant (`127.999.0.1` is not a name).
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? '')) return false;
  return labels.every((l) => label.test(l));
}

/** A host name, IPv4 or IPv6 address (bare, no brackets). */
export function isHost(h: string): boolean {
  return isIP(h) !== 0 || isHostName(h);
}

/** Why `h` is not a host, for an error message; null when it is one. */
export function hostProblem(h: string): string | null {
  if (isHost(h)) return null;
  if (/^[0-9.]+$/.test(h)) return `"${h}" is not a valid IPv4 address (each of the four numbers is 0-255)`;
  if (h.includes(':')) return `"${h}" is not a valid IPv6 address`;
  return `"${h}" is not a host name (RFC 1123: letters, digits, "-" and dots), an IPv4 or an IPv6 address`;
}

/** A `host:port` split into its parts. `host` is bare (no brackets). */
export interface HostPortParts {
  host: string;
  port: number;
}

/**
 * Split `"ns1.example.net:53"`, `"192.0.2.53:53"` or `"[2001:db8::1]:53"`.
 * @returns the parts, or a message saying what is wrong and how to write it.
 */
export function splitHostPort(text: string): HostPortParts | string {
  const how = 'write it as "ns1.example.net:53", "192.0.2.53:53" or "[2001:db8::1]:53"';
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return `"${text}" has no port: ${how}`;
  let host = text.slice(0, colon);
  const portText = text.slice(colon + 1);
  if (host.startsWith('[')) {
    if (!host.endsWith(']')) return `"${text}": missing "]": ${how}`;
    host = host.slice(1, -1);
    if (isIP(host) !== 6) return `"${host}" in "${text}" is not an IPv6 address`;
  } else if (host.includes(':')) {
    return `"${text}": an IPv6 address needs brackets before the port: ${how}`;
  }
  const problem = hostProblem(host);
  if (problem) return problem;
  if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535)
    return `"${portText}" in "${text}" is not a port (1-65535)`;
  return { host, port: Number(portText) };
}

/** Loopback: 127.0.0.0/8, ::1 or the name `localhost` (traffic that never leaves the machine). */
export function isLoopbackHost(h: string): boolean {
  const bare = h.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIPv4(bare)) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || bare === '0:0:0:0:0:0:0:1' || bare.startsWith('::ffff:127.');
  return bare === 'localhost' || bare === 'localhost.' || bare.endsWith('.localhost');
}
