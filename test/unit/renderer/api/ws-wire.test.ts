import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeServerMessage } from '../../../../renderer/src/api/ws-wire.ts';

test('results, events and errors of the contract decode', () => {
  assert.deepEqual(decodeServerMessage('{"type":"result","id":3,"result":{"ok":true,"value":{"a":1}}}'), {
    ok: true,
    message: { type: 'result', id: 3, result: { ok: true, value: { a: 1 } } },
  });
  const err = decodeServerMessage(
    '{"type":"result","id":4,"result":{"ok":false,"error":{"kind":"unreachable","message":"down","hint":"start it"}}}',
  );
  assert.equal(
    err.ok && err.message.type === 'result' && !err.message.result.ok && err.message.result.error.kind,
    'unreachable',
  );
  const ev = decodeServerMessage('{"type":"event","name":"samples","payload":{"x":1}}');
  assert.ok(ev.ok && ev.message.type === 'event' && ev.message.name === 'samples');
  const e = decodeServerMessage('{"type":"error","error":{"kind":"invalid-input","message":"bad","hint":"h"}}');
  assert.ok(e.ok && e.message.type === 'error' && e.message.error.message === 'bad');
});

test('anything off-contract is rejected with a reason', () => {
  for (const raw of [
    'not json',
    '42',
    '{"type":"result","id":-1,"result":{"ok":true,"value":1}}',
    '{"type":"result","id":1.5,"result":{"ok":true,"value":1}}',
    '{"type":"result","id":1,"result":{"ok":false,"error":{"kind":"nope","message":"x"}}}',
    '{"type":"result","id":1,"result":{"ok":true}}',
    '{"type":"event","name":"__proto__","payload":{}}',
    '{"type":"error","error":{}}',
    '{"type":"hello"}',
  ]) {
    const d = decodeServerMessage(raw);
    assert.equal(d.ok, false, raw);
    assert.ok(!d.ok && d.reason.length > 0);
  }
});
