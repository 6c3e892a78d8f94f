import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TaskCancelledError } from 'cockatiel';
import { toOpError } from '../../../electron/core/platform/op-error.ts';
import { SshError } from '../../../electron/core/ssh/ssh-error.ts';
import { StepError } from '../../../electron/core/runbooks/step-error.ts';
import { DnsProviderError } from '../../../electron/core/dns/dns-provider-error.ts';

test('an error carrying an OpError keeps it; where is only a default', () => {
  const e = new SshError('auth', 'host key refused', 'pin it', 'op@127.0.0.2:22');
  assert.deepEqual(toOpError(e, 'elsewhere'), {
    kind: 'auth',
    message: 'host key refused',
    hint: 'pin it',
    where: 'op@127.0.0.2:22',
  });
});

test('an error with its own OpError kind keeps kind, message, hint and where', () => {
  assert.deepEqual(toOpError(new StepError('conflict', 'changed', { hint: 'plan again' }), 's1'), {
    kind: 'conflict',
    message: 'changed',
    hint: 'plan again',
    where: 's1',
  });
  assert.equal(toOpError(new DnsProviderError('timeout', 'timeout after 2000 ms')).kind, 'timeout');
});

test('socket codes, timeouts and retryable flags map to unreachable / timeout; the rest is internal', () => {
  assert.equal(
    toOpError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).kind,
    'unreachable',
  );
  assert.equal(toOpError(Object.assign(new Error('t'), { code: 'ETIMEDOUT' })).kind, 'timeout');
  assert.deepEqual(toOpError(new TaskCancelledError('Operation timed out after 50ms'), 'n1'), {
    kind: 'timeout',
    message: 'Operation timed out after 50ms',
    where: 'n1',
  });
  assert.equal(toOpError(Object.assign(new Error('x'), { retryable: true })).kind, 'unreachable');
  assert.deepEqual(toOpError(new Error('boom')), { kind: 'internal', message: 'boom' });
  assert.deepEqual(toOpError('weird', 'w'), { kind: 'internal', message: 'weird', where: 'w' });
});
