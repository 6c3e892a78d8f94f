import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ObservationPolicy, ObservedSource } from '../../../electron/core/platform/observed-source.ts';
import { SshError } from '../../../electron/core/ssh/ssh-error.ts';

const breaker = { consecutiveFailures: 3, halfOpenAfterMs: 60_000 };

/** A read that only ends when aborted (a well-behaved hung endpoint). */
const hangUntilAborted = (signal: AbortSignal) =>
  new Promise<never>((_, reject) =>
    signal.addEventListener('abort', () => reject(new Error('aborted by the caller')), { once: true }),
  );

test('an attempt past its timeout is aborted and reported as a timeout', async () => {
  let aborted = false;
  const src = new ObservedSource<number>({
    policy: { timeoutMs: 40, breaker },
    read: (signal) => {
      signal.addEventListener('abort', () => (aborted = true));
      return hangUntilAborted(signal);
    },
  });
  const t0 = performance.now();
  const o = await src.observe();
  assert.ok(performance.now() - t0 < 1000, 'bounded by the timeout');
  assert.equal(aborted, true, 'the read saw its signal aborted');
  assert.deepEqual(o, {
    ok: false,
    skipped: false,
    error: { kind: 'timeout', message: 'no answer within 40 ms' },
    lastGood: null,
  });
  assert.deepEqual(src.policy.lastError, { kind: 'timeout', message: 'no answer within 40 ms' });
});

test('no new read starts while the previous one still runs; the caller gets the last good value, marked skipped', async () => {
  let clock = 1_000;
  let reads = 0;
  let release: (v: number) => void = () => {};
  const src = new ObservedSource<number>({
    policy: { timeoutMs: 30, breaker },
    now: () => clock,
    read: () => {
      reads++;
      // the second read ignores its abort (a hung socket) until released; the others answer
      return reads === 2 ? new Promise<number>((r) => (release = r)) : Promise.resolve(7);
    },
  });
  assert.deepEqual(await src.observe(), { ok: true, value: 7, at: 1_000 });
  const timedOut = await src.observe();
  assert.equal(timedOut.ok, false);
  assert.equal(src.inFlight, true, 'the hung read is still running after its timeout');
  clock = 4_000;
  const skipped = await src.observe();
  assert.equal(reads, 2, 'no third read was started');
  assert.deepEqual(skipped, {
    ok: false,
    skipped: true,
    error: {
      kind: 'timeout',
      message: 'the previous observation is still running (over 30 ms); last error: no answer within 30 ms',
    },
    lastGood: { value: 7, at: 1_000, ageMs: 3_000 },
  });
  release(8);
  await new Promise((r) => setImmediate(r));
  assert.equal(src.inFlight, false);
  const again = await src.observe();
  assert.equal(reads, 3, 'reads resume once the hung one ended');
  assert.equal(again.ok, true);
});

test('the breaker opens after consecutive failures: no read, an OpError of the last failure kind', async () => {
  let reads = 0;
  const src = new ObservedSource<number>({
    policy: { timeoutMs: 1000, breaker },
    messages: { breakerOpen: (last) => `not read: circuit open (last: ${last?.message ?? 'none'})` },
    read: async () => {
      reads++;
      throw new SshError('unreachable', 'connect ECONNREFUSED 127.0.0.2:22', undefined, 'op@127.0.0.2:22');
    },
  });
  for (let i = 0; i < 3; i++) {
    const o = await src.observe();
    assert.deepEqual(o.ok === false && o.error, {
      kind: 'unreachable',
      message: 'connect ECONNREFUSED 127.0.0.2:22',
      where: 'op@127.0.0.2:22',
    });
  }
  assert.equal(src.policy.breakerState, 'open');
  const open = await src.observe();
  assert.equal(reads, 3, 'an open breaker lets no read through');
  assert.deepEqual(open, {
    ok: false,
    skipped: true,
    error: { kind: 'unreachable', message: 'not read: circuit open (last: connect ECONNREFUSED 127.0.0.2:22)' },
    lastGood: null,
  });
});

test('last good value survives failures and ages with the clock; a success replaces it and clears the last error', async () => {
  let clock = 10_000;
  let fail = false;
  let n = 0;
  const src = new ObservedSource<string>({
    policy: { timeoutMs: 1000, breaker },
    now: () => clock,
    read: async () => {
      if (fail) throw new Error('boom');
      return `v${++n}`;
    },
  });
  assert.equal(src.lastGood(), null);
  await src.observe();
  fail = true;
  clock = 12_500;
  const o = await src.observe();
  assert.deepEqual(o, {
    ok: false,
    skipped: false,
    error: { kind: 'internal', message: 'boom' },
    lastGood: { value: 'v1', at: 10_000, ageMs: 2_500 },
  });
  assert.deepEqual(src.lastGood(), { value: 'v1', at: 10_000, ageMs: 2_500 });
  fail = false;
  clock = 13_000;
  assert.deepEqual(await src.observe(), { ok: true, value: 'v2', at: 13_000 });
  assert.deepEqual(src.lastGood(), { value: 'v2', at: 13_000, ageMs: 0 });
  assert.equal(src.policy.lastError, null);
});

test('a shared policy retries a handled failure once and counts attempts for every source on it', async () => {
  const policy = new ObservationPolicy({
    timeoutMs: 1000,
    retry: { maxAttempts: 1, backoffMs: 1 },
    breaker: { consecutiveFailures: 4, halfOpenAfterMs: 60_000 },
    handles: (e) => (e as Error).message === 'transient',
  });
  let a = 0;
  const flaky = new ObservedSource<number>({
    policy,
    read: async () => (++a === 1 ? Promise.reject(new Error('transient')) : 1),
  });
  const first = await flaky.observe();
  assert.equal(first.ok && first.value, 1);
  assert.equal(a, 2, 'the transient failure was retried once');
  const dead = new ObservedSource<number>({ policy, read: () => Promise.reject(new Error('transient')) });
  await dead.observe();
  await dead.observe();
  assert.equal(policy.breakerState, 'open', 'four failed attempts of two observations opened the shared breaker');
  const other = await flaky.observe();
  assert.equal(other.ok === false && other.skipped, true, 'the other source on the same endpoint is skipped too');
});

test('a caller abort cancels the attempt without counting it as a timeout', async () => {
  const src = new ObservedSource<number>({ policy: { timeoutMs: 5_000, breaker }, read: hangUntilAborted });
  const ctrl = new AbortController();
  setTimeout(() => ctrl.abort(new Error('round deadline')), 20);
  const o = await src.observe(ctrl.signal);
  assert.equal(o.ok, false);
  assert.deepEqual(o.ok === false && o.error, { kind: 'timeout', message: 'cancelled: round deadline' });
  assert.equal(src.policy.breakerState, 'closed');
});

test('a read that ignores its abort is abandoned after abandonAfterMs: the next round starts a fresh attempt', async () => {
  let reads = 0;
  const src = new ObservedSource<number>({
    policy: { timeoutMs: 30, breaker },
    abandonAfterMs: 60,
    // the first read never settles (a frozen peer whose socket nobody closes); later reads answer
    read: () => (++reads === 1 ? new Promise<number>(() => {}) : Promise.resolve(9)),
  });
  const first = await src.observe();
  assert.equal(first.ok, false);
  assert.equal(src.inFlight, true, 'held just after the timeout');
  const skipped = await src.observe();
  assert.equal(skipped.ok, false);
  assert.equal(!skipped.ok && skipped.skipped, true, 'skipped within the grace');
  await new Promise((r) => setTimeout(r, 120));
  assert.equal(src.inFlight, false, 'slot freed after the grace');
  assert.equal(src.abandoned, 1);
  const fresh = await src.observe();
  assert.equal(reads, 2, 'a fresh read was started');
  assert.deepEqual(fresh, { ok: true, value: 9, at: (fresh as { at: number }).at });
});

test('abandonAfterMs must be a finite number >= 0', () => {
  assert.throws(
    () => new ObservedSource<number>({ policy: { timeoutMs: 30, breaker }, abandonAfterMs: -1, read: async () => 1 }),
    /abandonAfterMs must be a finite number >= 0, got -1/,
  );
});
