import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTsigKeyFile, parseTsigKeyText } from '../../../electron/core/dns/tsig-key-file.ts';
import { DnsProviderError } from '../../../electron/core/dns/dns-provider-error.ts';

const SECRET = 'k4D+ARQhjtTrrS8N/q/BVCNlu7nh9YDTi7ZhTD+pOOg=';
/** Exactly what `tsig-keygen -a hmac-sha256 failover-key` prints (tabs included). */
const KEYGEN = `key "failover-key" {\n\talgorithm hmac-sha256;\n\tsecret "${SECRET}";\n};\n`;

function invalid(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DnsProviderError);
    assert.equal(e.kind, 'invalid-input');
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes(SECRET), 'the secret never appears in an error');
    return true;
  });
}

describe('parseTsigKeyFile', () => {
  test('parses tsig-keygen output', () => {
    const k = parseTsigKeyFile(KEYGEN);
    assert.equal(k.name, 'failover-key');
    assert.equal(k.algorithm, 'hmac-sha256');
    assert.deepEqual(k.secret, Buffer.from(SECRET, 'base64'));
    assert.equal(k.secret.length, 32);
  });

  test('accepts comments, unquoted names, trailing dots, quoted algorithm, other statements', () => {
    const text = `# generated\n// by hand\noptions { directory "/x"; };\n/* multi\n line */ key Failover-Key. {\n algorithm "HMAC-SHA512"; secret "${SECRET}"; };`;
    const k = parseTsigKeyFile(text);
    assert.equal(k.name, 'failover-key');
    assert.equal(k.algorithm, 'hmac-sha512');
  });

  test('picks a key by name among several, refuses to guess', () => {
    const two = `${KEYGEN}key "other" { algorithm hmac-sha1; secret "${SECRET}"; };`;
    assert.equal(parseTsigKeyFile(two, { keyName: 'other' }).algorithm, 'hmac-sha1');
    invalid(() => parseTsigKeyFile(two), /2 keys \(failover-key, other\)/);
    invalid(() => parseTsigKeyFile(two, { keyName: 'nope' }), /no key "nope"/);
  });

  test('errors carry file:line and never echo the secret', () => {
    invalid(
      () => parseTsigKeyFile('key "a" {\n algorithm hmac-sha256;\n secret "not base64!";\n};', { source: 'tsig.key' }),
      /tsig\.key:3/,
    );
    invalid(
      () => parseTsigKeyFile(`key "a" {\n algorithm hmac-md5;\n secret "${SECRET}";\n};`, { source: 'tsig.key' }),
      /hmac-md5" is not supported/,
    );
    invalid(
      () => parseTsigKeyFile(`key "a" {\n secret "${SECRET}";\n};`, { source: 'k' }),
      /k:1: key "a" has no algorithm/,
    );
    invalid(
      () => parseTsigKeyFile(`key "a" {\n algorithm hmac-sha256;\n secret "${SECRET}"\n};`, { source: 'k' }),
      /k:4: expected ";"/,
    );
    invalid(() => parseTsigKeyFile(`key "a" { algorithm hmac-sha256; secret "${SECRET}"; }`), /expected ";" after "}"/);
    invalid(() => parseTsigKeyFile(''), /holds no key statement/);
    invalid(() => parseTsigKeyFile('key "a" { secret "abc'), /unterminated string/);
    invalid(
      () => parseTsigKeyFile(`key "a" { algorithm hmac-sha256; secret "${SECRET}"; keyid 4; };`),
      /unknown option "keyid"/,
    );
  });
});

describe('parseTsigKeyText', () => {
  test("accepts dig's -y form with and without algorithm", () => {
    assert.equal(parseTsigKeyText(`hmac-sha384:k1:${SECRET}`).algorithm, 'hmac-sha384');
    const k = parseTsigKeyText(`k2:${SECRET}\n`);
    assert.equal(k.name, 'k2');
    assert.equal(k.algorithm, 'hmac-sha256');
  });
  test('reads a -y form key whose name contains the word "key"', () => {
    for (const name of ['standby-key', 'key', 'key.example']) {
      const k = parseTsigKeyText(`hmac-sha256:${name}:${SECRET}`);
      assert.equal(k.name, name);
      assert.equal(k.algorithm, 'hmac-sha256');
      assert.equal(parseTsigKeyText(`${name}:${SECRET}`).name, name);
    }
  });
  test('falls back to the key-file grammar', () => {
    assert.equal(parseTsigKeyText(KEYGEN).name, 'failover-key');
  });
});
