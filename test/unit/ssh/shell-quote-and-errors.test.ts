import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { shellQuote } from '../../../electron/core/ssh/ssh-exec.ts';
import { SshError, toOpError } from '../../../electron/core/ssh/ssh-error.ts';

test('shellQuote leaves plain words alone and survives a real shell', () => {
  assert.equal(shellQuote('/tmp/sblab.x/primary/nginx/upstream.conf'), '/tmp/sblab.x/primary/nginx/upstream.conf');
  for (const s of ["it's", 'a b', '$(rm -rf /)', '`x`', 'semi;colon', '', "''", 'UNIX-CONNECT:/a b/admin.sock']) {
    const out = execFileSync('/bin/sh', ['-c', `printf '%s' ${shellQuote(s)}`], { encoding: 'utf8' });
    assert.equal(out, s);
  }
});

test('toOpError keeps carried OpErrors and maps socket codes', () => {
  const e = new SshError('auth', 'host key refused', 'pin it', 'op@127.0.0.2:22');
  assert.deepEqual(toOpError(e, 'elsewhere'), {
    kind: 'auth',
    message: 'host key refused',
    hint: 'pin it',
    where: 'op@127.0.0.2:22',
  });
  assert.equal(
    toOpError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).kind,
    'unreachable',
  );
  assert.equal(toOpError(Object.assign(new Error('t'), { code: 'ETIMEDOUT' })).kind, 'timeout');
  assert.deepEqual(toOpError('weird', 'w'), { kind: 'internal', message: 'weird', where: 'w' });
});
