import { test } from 'node:test';
import assert from 'node:assert/strict';
import { raceAbort } from '../../../electron/core/platform/race-abort.ts';

test('an abort releases the caller at once while the work goes on; its late failure is not unhandled', async () => {
  const ac = new AbortController();
  let fail!: (e: Error) => void;
  const work = new Promise<string>((_, reject) => (fail = reject));
  const raced = raceAbort(work, ac.signal);
  const t0 = Date.now();
  setTimeout(() => ac.abort(new Error('timed out')), 20);
  await assert.rejects(raced, /timed out/);
  assert.ok(Date.now() - t0 < 1000, 'released when the signal aborted, not when the work ended');
  let unhandled = false;
  const onUnhandled = (): void => {
    unhandled = true;
  };
  process.on('unhandledRejection', onUnhandled);
  fail(new Error('handshake failed later'));
  await new Promise((r) => setTimeout(r, 20));
  process.off('unhandledRejection', onUnhandled);
  assert.equal(unhandled, false);
});

test('without an abort the work decides: its value or its error; an aborted signal rejects at once', async () => {
  const ac = new AbortController();
  assert.equal(await raceAbort(Promise.resolve(7), ac.signal), 7);
  await assert.rejects(raceAbort(Promise.reject(new Error('refused')), ac.signal), /refused/);
  assert.equal(await raceAbort(Promise.resolve('no signal'), undefined), 'no signal');
  ac.abort(new Error('already'));
  await assert.rejects(raceAbort(new Promise(() => {}), ac.signal), /already/);
});
