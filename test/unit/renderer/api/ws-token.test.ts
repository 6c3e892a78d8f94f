import { test } from 'node:test';
import assert from 'node:assert/strict';
import { httpUrlForWs, takeTokenFromUrl, wsUrlFor } from '../../../../renderer/src/api/ws-token.ts';

test('the token is taken from the page URL and stripped, other parameters and the hash kept', () => {
  assert.deepEqual(takeTokenFromUrl('http://127.0.0.1:7420/?token=abc123&env=lab#dns'), {
    token: 'abc123',
    cleanedHref: 'http://127.0.0.1:7420/?env=lab#dns',
  });
  assert.deepEqual(takeTokenFromUrl('http://127.0.0.1:7420/?token=abc'), {
    token: 'abc',
    cleanedHref: 'http://127.0.0.1:7420/',
  });
});

test('no token parameter leaves the URL untouched; an empty one is stripped but not used', () => {
  assert.deepEqual(takeTokenFromUrl('http://h/?env=lab'), { token: null, cleanedHref: 'http://h/?env=lab' });
  assert.deepEqual(takeTokenFromUrl('http://h/?token='), { token: null, cleanedHref: 'http://h/' });
});

test('WebSocket URL: same host, ws or wss after the page scheme, token encoded', () => {
  assert.equal(
    wsUrlFor({ protocol: 'http:', host: '127.0.0.1:7420' }, 'a b&c'),
    'ws://127.0.0.1:7420/ws?token=a%20b%26c',
  );
  assert.equal(wsUrlFor({ protocol: 'https:', host: '[::1]:7420' }, 't'), 'wss://[::1]:7420/ws?token=t');
  assert.equal(wsUrlFor({ protocol: 'http:', host: 'localhost:1' }, null), 'ws://localhost:1/ws');
  assert.equal(httpUrlForWs('ws://h:1/ws?token=t'), 'http://h:1/ws?token=t');
  assert.equal(httpUrlForWs('wss://h/ws'), 'https://h/ws');
});
