import { test } from 'node:test';
import assert from 'node:assert/strict';
import { httpUrlForWs, wsUrlFor } from '../../../../renderer/src/api/ws-url.ts';

test('WebSocket URL: same host, ws or wss after the page scheme, no token in the query', () => {
  assert.equal(wsUrlFor({ protocol: 'http:', host: '127.0.0.1:7420' }), 'ws://127.0.0.1:7420/ws');
  assert.equal(wsUrlFor({ protocol: 'https:', host: '[::1]:7420' }), 'wss://[::1]:7420/ws');
  assert.equal(httpUrlForWs('ws://h:1/ws'), 'http://h:1/ws');
  assert.equal(httpUrlForWs('wss://h/ws'), 'https://h/ws');
});
