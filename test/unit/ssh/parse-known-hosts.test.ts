import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  entryMatchesHost,
  fingerprint,
  hostKeyAlgorithmsFor,
  knownHostsName,
  parseKnownHosts,
  verifyHostKey,
} from '../../../electron/core/ssh/parse-known-hosts.ts';

/** SSH wire blob of a fresh ed25519 public key: string "ssh-ed25519" + string(32 bytes). */
function ed25519Blob(): Buffer {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const str = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]);
}
const b64 = (b: Buffer): string => b.toString('base64');

test('knownHostsName uses [host]:port except for port 22', () => {
  assert.equal(knownHostsName('127.0.0.2', 22), '127.0.0.2');
  assert.equal(knownHostsName('127.0.0.2', 28322), '[127.0.0.2]:28322');
});

test('parses plain, [host]:port, comma lists, comments and markers; skips malformed lines', () => {
  const a = ed25519Blob();
  const b = ed25519Blob();
  const text = [
    '# comment',
    '',
    `[127.0.0.2]:28322 ssh-ed25519 ${b64(a)} lab-primary`,
    `127.0.0.3,[127.0.0.3]:28322 ssh-ed25519 ${b64(b)}`,
    `@revoked * ssh-ed25519 ${b64(b)}`,
    `@cert-authority *.lab ssh-ed25519 ${b64(a)}`,
    'garbage-line-without-key',
    `127.0.0.9 ssh-rsa ${b64(a)}`, // blob type disagrees with the stated type
    `@weird host ssh-ed25519 ${b64(a)}`,
  ].join('\n');
  const { entries, skipped } = parseKnownHosts(text);
  assert.equal(entries.length, 4);
  assert.deepEqual(
    skipped.map((s) => s.line),
    [7, 8, 9],
  );
  assert.equal(entries[0]!.line, 3);
  assert.deepEqual(entries[1]!.hosts, { kind: 'patterns', patterns: ['127.0.0.3', '[127.0.0.3]:28322'] });
  assert.equal(entries[2]!.marker, 'revoked');
  assert.equal(entries[3]!.marker, 'cert-authority');
});

test('matches wildcards and negations like OpenSSH', () => {
  const k = ed25519Blob();
  const [e] = parseKnownHosts(`[127.0.0.*]:28322,![127.0.0.9]:28322 ssh-ed25519 ${b64(k)}`).entries;
  assert.ok(e);
  assert.equal(entryMatchesHost(e, '127.0.0.2', 28322), true);
  assert.equal(entryMatchesHost(e, '127.0.0.9', 28322), false, 'negated pattern wins');
  assert.equal(entryMatchesHost(e, '127.0.0.2', 22), false, 'port is part of the name');
  const [q] = parseKnownHosts(`127.0.0.? ssh-ed25519 ${b64(k)}`).entries;
  assert.equal(entryMatchesHost(q!, '127.0.0.5', 22), true);
  assert.equal(entryMatchesHost(q!, '127.0.0.55', 22), false);
});

test('matches hashed host names (|1|salt|HMAC-SHA1)', () => {
  const k = ed25519Blob();
  const salt = randomBytes(20);
  const hash = createHmac('sha1', salt).update('[127.0.0.2]:28322').digest();
  const [e] = parseKnownHosts(`|1|${b64(salt)}|${b64(hash)} ssh-ed25519 ${b64(k)}`).entries;
  assert.equal(entryMatchesHost(e!, '127.0.0.2', 28322), true);
  assert.equal(entryMatchesHost(e!, '127.0.0.3', 28322), false);
});

test('verifyHostKey: pinned key accepted, other key refused as mismatch, unknown host refused', () => {
  const good = ed25519Blob();
  const evil = ed25519Blob();
  const { entries } = parseKnownHosts(`[127.0.0.2]:28322 ssh-ed25519 ${b64(good)}\n`);
  assert.deepEqual(verifyHostKey(entries, '127.0.0.2', 28322, good), { ok: true, line: 1 });
  const mismatch = verifyHostKey(entries, '127.0.0.2', 28322, evil, '/lab/known_hosts');
  assert.equal(mismatch.ok, false);
  if (!mismatch.ok) {
    assert.equal(mismatch.why, 'mismatch');
    assert.match(mismatch.message, /HOST KEY MISMATCH for \[127\.0\.0\.2\]:28322/);
    assert.ok(mismatch.message.includes(fingerprint(evil)), 'names the presented fingerprint');
    assert.ok(mismatch.message.includes(fingerprint(good)), 'names the pinned fingerprint');
    assert.match(mismatch.message, /\/lab\/known_hosts/);
  }
  const unknown = verifyHostKey(entries, '127.0.0.3', 28322, good);
  assert.equal(unknown.ok, false);
  if (!unknown.ok) assert.equal(unknown.why, 'unknown-host');
});

test('verifyHostKey: a @revoked key is refused even when also pinned', () => {
  const k = ed25519Blob();
  const { entries } = parseKnownHosts(`[127.0.0.2]:28322 ssh-ed25519 ${b64(k)}\n@revoked * ssh-ed25519 ${b64(k)}\n`);
  const v = verifyHostKey(entries, '127.0.0.2', 28322, k);
  assert.equal(v.ok, false);
  if (!v.ok) assert.equal(v.why, 'revoked');
});

test('fingerprint is OpenSSH SHA256 form', () => {
  assert.match(fingerprint(ed25519Blob()), /^SHA256:[A-Za-z0-9+/]{43}$/);
});

test('hostKeyAlgorithmsFor offers only algorithms of pinned key types', () => {
  const k = ed25519Blob();
  const { entries } = parseKnownHosts(`[127.0.0.2]:28322 ssh-ed25519 ${b64(k)}\n`);
  assert.deepEqual(hostKeyAlgorithmsFor(entries, '127.0.0.2', 28322), ['ssh-ed25519']);
  assert.deepEqual(hostKeyAlgorithmsFor(entries, '127.0.0.3', 28322), []);
});
