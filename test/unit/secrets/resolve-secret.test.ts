import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretError, createSecretResolver } from '../../../electron/core/secrets/resolve-secret.ts';
import { rejection } from './rejection.ts';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sb-secret-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, content: string, mode: number): string => {
  const p = join(dir, name);
  writeFileSync(p, content);
  chmodSync(p, mode);
  return p;
};

test('env: value; unset names the variable; empty is invalid', async () => {
  const resolve = createSecretResolver({ env: { PGPASS: 's3cret', EMPTY: '' } });
  assert.equal(await resolve({ env: 'PGPASS' }, 'db.password'), 's3cret');
  const e = await rejection(resolve({ env: 'MISSING_VAR' }, 'db.password'));
  assert.equal(e.error.kind, 'not-found');
  assert.match(e.error.message, /MISSING_VAR is not set/);
  assert.equal(e.error.where, 'db.password');
  assert.ok(e.error.hint);
  assert.equal((await rejection(resolve({ env: 'EMPTY' }, 'w'))).error.kind, 'invalid-input');
});

test('file: trailing newlines are trimmed, inner ones kept', async () => {
  const resolve = createSecretResolver();
  assert.equal(await resolve({ file: file('pw', 'hunter2\n', 0o600) }, 'w'), 'hunter2');
  assert.equal(await resolve({ file: file('crlf', 'hunter2\r\n\r\n', 0o600) }, 'w'), 'hunter2');
  assert.equal(await resolve({ file: file('key', 'line1\nline2\n', 0o600) }, 'w'), 'line1\nline2');
});

test('file: world-readable is refused with a chmod 600 hint; group-readable only warns', async () => {
  const warnings: string[] = [];
  const resolve = createSecretResolver({ onWarning: (m) => warnings.push(m) });
  const world = file('world', 'topsecret\n', 0o644);
  const e = await rejection(resolve({ file: world }, 'ssh.privateKey'));
  assert.equal(e.error.kind, 'auth');
  assert.equal(e.error.hint, `chmod 600 ${world}`);
  assert.ok(!e.message.includes('topsecret'), 'never shows the value');
  assert.equal(await resolve({ file: file('group', 'ok\n', 0o640) }, 'w'), 'ok');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /group-readable/);
  assert.ok(!warnings[0]!.includes('ok\n'));
});

test('file: missing, directory, empty', async () => {
  const resolve = createSecretResolver();
  assert.equal((await rejection(resolve({ file: join(dir, 'nope') }, 'w'))).error.kind, 'not-found');
  const d = join(dir, 'adir');
  mkdirSync(d, { mode: 0o700 });
  assert.equal((await rejection(resolve({ file: d }, 'w'))).error.kind, 'invalid-input');
  assert.equal((await rejection(resolve({ file: file('empty', '\n', 0o600) }, 'w'))).error.kind, 'invalid-input');
});

test('keychain: unsupported when turned off (null); delegated to a backend', async () => {
  const off = createSecretResolver({ keychain: null });
  const e = await rejection(off({ keychain: { service: 'standby', account: 'pg' } }, 'db.password'));
  assert.equal(e.error.kind, 'unsupported');
  assert.match(e.error.message, /standby\/pg/);
  assert.match(e.error.hint ?? '', /env|file/);
  const withKeychain = createSecretResolver({ keychain: async (s, a) => `${s}:${a}:value` });
  assert.equal(await withKeychain({ keychain: { service: 'standby', account: 'pg' } }, 'w'), 'standby:pg:value');
  const failing = createSecretResolver({ keychain: async () => Promise.reject(new Error('locked')) });
  assert.equal((await rejection(failing({ keychain: { service: 's', account: 'a' } }, 'w'))).error.kind, 'not-found');
  const empty = createSecretResolver({ keychain: async () => '' });
  assert.equal((await rejection(empty({ keychain: { service: 's', account: 'a' } }, 'w'))).error.kind, 'invalid-input');
});

test("keychain: a backend's SecretError keeps its kind and hint, with the resolver's where", async () => {
  const backend = createSecretResolver({
    keychain: async (s, a) =>
      Promise.reject(
        new SecretError(
          'unreachable',
          `OS keychain entry ${s}/${a} could not be read: no bus`,
          'start a keyring',
          `keychain ${s}/${a}`,
        ),
      ),
  });
  const e = await rejection(backend({ keychain: { service: 'standby', account: 'pg' } }, 'prod/db.password'));
  assert.deepEqual(e.error, {
    kind: 'unreachable',
    message: 'OS keychain entry standby/pg could not be read: no bus',
    hint: 'start a keyring',
    where: 'prod/db.password',
  });
});
