/**
 * Canonical text of record values and names, so that what an API returns, what a nameserver
 * serves and what the workspace configures compare equal when they mean the same thing.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { DnsRecordType } from './dns-provider.ts';
import { DnsProviderError } from './dns-provider-error.ts';

/**
 * Normalize one record value.
 * - `A`: dotted quad (validated, leading zeros refused).
 * - `AAAA`: RFC 5952 form (lower case, longest zero run compressed), via the WHATWG URL
 *   serializer, which implements exactly that.
 * - `CNAME`: lower-case name without the trailing dot.
 * @throws DnsProviderError `invalid-input` when the value is not valid for the type.
 */
export function normalizeRecordValue(type: DnsRecordType, value: string): string {
  const v = value.trim();
  switch (type) {
    case 'A':
      if (!isIPv4(v) || v.split('.').some((o) => o.length > 1 && o.startsWith('0'))) {
        throw new DnsProviderError('invalid-input', `"${value}" is not an IPv4 address`, 'write A values as 127.0.0.2');
      }
      return v;
    case 'AAAA':
      if (!isIPv6(v)) {
        throw new DnsProviderError('invalid-input', `"${value}" is not an IPv6 address`, 'write AAAA values as ::1');
      }
      return new URL(`http://[${v}]/`).hostname.slice(1, -1);
    case 'CNAME':
      return normalizeDnsName(v);
  }
}

/** Normalize, de-duplicate and sort values (byte order of the normalized text). */
export function normalizeRecordValues(type: DnsRecordType, values: readonly string[]): string[] {
  return [...new Set(values.map((v) => normalizeRecordValue(type, v)))].sort();
}

/**
 * Lower-case a DNS name and drop the trailing dot; validates label (≤ 63 octets) and name
 * (≤ 253 characters) lengths and refuses empty labels and characters outside
 * letters/digits/`-`/`_` (RFC 1035 §2.3.4; `_` for service labels).
 * @throws DnsProviderError `invalid-input`.
 */
export function normalizeDnsName(name: string): string {
  const n = name.trim().replace(/\.$/, '').toLowerCase();
  if (n.length === 0 || n.length > 253) {
    throw new DnsProviderError('invalid-input', `"${name}" is not a valid DNS name (length)`);
  }
  for (const label of n.split('.')) {
    if (label.length === 0 || label.length > 63 || !/^[a-z0-9_-]+$/.test(label)) {
      throw new DnsProviderError(
        'invalid-input',
        `"${name}" is not a valid DNS name`,
        'use a name like app.example.com',
      );
    }
  }
  return n;
}

/** True when `name` equals `zone` or lies below it (both already normalized). */
export function isInZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

/** Equal as sets (inputs are normalized + sorted). */
export function sameValues(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
