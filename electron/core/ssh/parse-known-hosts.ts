/**
 * OpenSSH `known_hosts` parsing and host-key pinning, as described in sshd(8) "SSH_KNOWN_HOSTS
 * FILE FORMAT": `[@marker] patterns keytype base64-key [comment]`, where patterns are
 * comma-separated, may use `*`/`?` wildcards and `!` negation, name non-22 ports as
 * `[host]:port`, or are hashed as `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`.
 * Pure functions (no I/O) so they are unit-tested without a server.
 */
import { createHash, createHmac } from 'node:crypto';

/** One usable line of a known_hosts file. */
export interface KnownHostEntry {
  /** `@revoked` pins a key as bad; `@cert-authority` lines are parsed but never match (no host certificates here). */
  marker: 'revoked' | 'cert-authority' | null;
  /** Plain patterns (possibly with wildcards / `!`), or one hashed name. */
  hosts: { kind: 'patterns'; patterns: string[] } | { kind: 'hashed'; salt: Buffer; hash: Buffer };
  /** Key type as written, e.g. `ssh-ed25519`. */
  keyType: string;
  /** Raw public key blob (SSH wire format), decoded from base64. */
  key: Buffer;
  /** 1-based line number, for messages. */
  line: number;
}

/**
 * Parses a known_hosts file. Blank lines, comments and malformed lines are skipped (OpenSSH
 * ignores them too); each skipped malformed line is reported in `skipped` with its line number.
 */
export function parseKnownHosts(text: string): { entries: KnownHostEntry[]; skipped: { line: number; why: string }[] } {
  const entries: KnownHostEntry[] = [];
  const skipped: { line: number; why: string }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const fields = trimmed.split(/\s+/);
    let marker: KnownHostEntry['marker'] = null;
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift();
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else return void skipped.push({ line, why: `unknown marker ${m}` });
    }
    const [hostField, keyType, keyB64] = fields;
    if (!hostField || !keyType || !keyB64) return void skipped.push({ line, why: 'expected "hosts keytype key"' });
    const key = Buffer.from(keyB64, 'base64');
    if (key.length === 0 || blobKeyType(key) !== keyType)
      return void skipped.push({ line, why: 'key does not decode as the stated type' });
    let hosts: KnownHostEntry['hosts'];
    if (hostField.startsWith('|1|')) {
      const [, , salt, hash] = hostField.split('|');
      if (!salt || !hash) return void skipped.push({ line, why: 'malformed hashed host name' });
      hosts = { kind: 'hashed', salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
    } else {
      hosts = { kind: 'patterns', patterns: hostField.split(',').filter((p) => p !== '') };
    }
    entries.push({ marker, hosts, keyType, key, line });
  });
  return { entries, skipped };
}

/** The name OpenSSH looks up for a host and port: `host` for port 22, else `[host]:port`. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** True when the entry's host field matches `host`:`port` (negated patterns win). */
export function entryMatchesHost(entry: KnownHostEntry, host: string, port: number): boolean {
  const name = knownHostsName(host, port).toLowerCase();
  if (entry.hosts.kind === 'hashed') {
    const mac = createHmac('sha1', entry.hosts.salt).update(name).digest();
    return mac.length === entry.hosts.hash.length && mac.equals(entry.hosts.hash);
  }
  let matched = false;
  for (const p of entry.hosts.patterns) {
    const negated = p.startsWith('!');
    if (globMatch(negated ? p.slice(1) : p, name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

function globMatch(pattern: string, name: string): boolean {
  const re = pattern
    .toLowerCase()
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(name);
}

/** Key type named inside an SSH public key blob (first length-prefixed string), or null. */
export function blobKeyType(blob: Buffer): string | null {
  if (blob.length < 4) return null;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > blob.length) return null;
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** OpenSSH-style fingerprint of a key blob: `SHA256:` + unpadded base64 of its SHA-256. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Outcome of checking a presented host key against the pinned entries. */
export type HostKeyVerdict =
  { ok: true; line: number } | { ok: false; why: 'unknown-host' | 'mismatch' | 'revoked'; message: string };

/**
 * Checks the key a server presented (`presented`: raw blob) for `host`:`port` against the parsed
 * entries. Unknown host → refused; a pinned host with a different key → refused (possible
 * man-in-the-middle or a re-installed server); a `@revoked` key → refused.
 */
export function verifyHostKey(
  entries: KnownHostEntry[],
  host: string,
  port: number,
  presented: Buffer,
  file = 'known_hosts',
): HostKeyVerdict {
  const name = knownHostsName(host, port);
  const type = blobKeyType(presented) ?? 'unknown';
  const fp = fingerprint(presented);
  const forHost = entries.filter((e) => e.marker !== 'cert-authority' && entryMatchesHost(e, host, port));
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(presented));
  if (revoked) {
    return {
      ok: false,
      why: 'revoked',
      message: `host key ${type} ${fp} of ${name} is marked @revoked in ${file}:${revoked.line}`,
    };
  }
  const pinned = forHost.filter((e) => e.marker === null);
  const hit = pinned.find((e) => e.key.equals(presented));
  if (hit) return { ok: true, line: hit.line };
  if (pinned.length === 0) {
    return { ok: false, why: 'unknown-host', message: `${name} is not in ${file}; it presented ${type} ${fp}` };
  }
  return {
    ok: false,
    why: 'mismatch',
    message:
      `HOST KEY MISMATCH for ${name}: it presented ${type} ${fp}, but ${file} pins ` +
      pinned.map((e) => `${e.keyType} ${fingerprint(e.key)} (line ${e.line})`).join(', ') +
      '. Someone may be intercepting the connection, or the host key was changed',
  };
}

/** ssh2 host-key algorithm names that can verify a pinned key of each known_hosts key type. */
const ALGORITHMS_FOR_TYPE: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
  'ssh-dss': ['ssh-dss'],
};

/**
 * Host-key algorithms to offer so the server signs with a key we have pinned (OpenSSH orders
 * them the same way). Empty when nothing is pinned for the host (then any key is asked for, so
 * the refusal can show its fingerprint).
 */
export function hostKeyAlgorithmsFor(entries: KnownHostEntry[], host: string, port: number): string[] {
  const out: string[] = [];
  for (const e of entries) {
    if (e.marker !== null || !entryMatchesHost(e, host, port)) continue;
    for (const a of ALGORITHMS_FOR_TYPE[e.keyType] ?? []) if (!out.includes(a)) out.push(a);
  }
  return out;
}
