import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dispatch } from '../../../electron/core/api/dispatch.ts';
import type { ConsoleApi } from '../../../shared/contract/index.ts';
import { ok } from '../../../shared/result.ts';

const calls: unknown[] = [];
const api = {
  getWorkspace: async () => ok({ path: '/w.yaml', environments: [] }),
  getSnapshot: async (a: unknown) => {
    calls.push(a);
    return ok(null);
  },
  getSeries: async (a: unknown) => {
    calls.push(a);
    return ok({ metric: 'replication-lag-bytes', key: 'k', points: [] });
  },
} as unknown as ConsoleApi;

test('unknown methods are refused with the list of methods', async () => {
  const r = await dispatch(api, 'dropDatabase', {});
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.equal(r.error.kind, 'invalid-input');
    assert.match(r.error.hint ?? '', /getSnapshot/);
  }
});

test('bad arguments are refused before the core sees them, naming the field', async () => {
  calls.length = 0;
  const r = await dispatch(api, 'getSnapshot', { env: 'lab; rm -rf /' });
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.error.where, 'getSnapshot.env');
  const r2 = await dispatch(api, 'getSnapshot', { env: 'lab', extra: 1 });
  assert.equal(r2.ok, false);
  assert.equal(calls.length, 0);
});

test('valid arguments reach the core with defaults applied', async () => {
  calls.length = 0;
  const r = await dispatch(api, 'getSeries', {
    env: 'lab',
    metric: 'replication-lag-bytes',
    key: 'pg-replica',
    sinceMs: 0,
  });
  assert.equal(r.ok, true);
  assert.deepEqual(calls[0], {
    env: 'lab',
    metric: 'replication-lag-bytes',
    key: 'pg-replica',
    sinceMs: 0,
    maxPoints: 600,
  });
});

test('a throwing method becomes an internal error result, not an exception', async () => {
  const boom = {
    ...api,
    getWorkspace: async () => {
      throw new Error('kaboom');
    },
  } as unknown as ConsoleApi;
  const r = await dispatch(boom, 'getWorkspace', {});
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.error.kind, 'internal');
});
