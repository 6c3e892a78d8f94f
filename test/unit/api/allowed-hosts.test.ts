import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  allowedHosts,
  hostAllowed,
  originAllowed,
  readCookie,
  sessionCookieName,
} from '../../../electron/headless/allowed-hosts.ts';

test('allowed hosts: the bound address:port plus the loopback names, with the port', () => {
  assert.deepEqual(allowedHosts('127.0.0.1', 7420), ['127.0.0.1:7420', 'localhost:7420', '[::1]:7420']);
  assert.deepEqual(allowedHosts('::1', 80), ['[::1]:80', 'localhost:80', '127.0.0.1:80']);
  assert.ok(allowedHosts('127.0.0.5', 1).includes('127.0.0.5:1'));
});

test('Host: exact match, case-insensitive; another name, another port or none is refused', () => {
  const ok = allowedHosts('127.0.0.1', 7420);
  assert.equal(hostAllowed('LocalHost:7420', ok), true);
  assert.equal(hostAllowed('[::1]:7420', ok), true);
  assert.equal(hostAllowed('evil.example:7420', ok), false);
  assert.equal(hostAllowed('localhost', ok), false);
  assert.equal(hostAllowed('localhost:7421', ok), false);
  assert.equal(hostAllowed('127.0.0.1:7420.evil.example', ok), false);
  assert.equal(hostAllowed(undefined, ok), false);
});

test("Origin: absent is fine (scripts); http:// + an allowed host only; 'null' and https refused", () => {
  const ok = allowedHosts('127.0.0.1', 7420);
  assert.equal(originAllowed(undefined, ok), true);
  assert.equal(originAllowed('http://127.0.0.1:7420', ok), true);
  assert.equal(originAllowed('http://localhost:7420', ok), true);
  assert.equal(originAllowed('http://evil.example:7420', ok), false);
  assert.equal(originAllowed('http://localhost:7420.evil.example', ok), false);
  assert.equal(originAllowed('null', ok), false);
  assert.equal(originAllowed('https://127.0.0.1:7420', ok), false);
});

test('session cookie: named after the port, read by exact name', () => {
  assert.equal(sessionCookieName(7420), 'standby_7420');
  assert.equal(readCookie('a=1; standby_7420=abc; standby_7421=zzz', 'standby_7420'), 'abc');
  assert.equal(readCookie('xstandby_7420=abc', 'standby_7420'), null);
  assert.equal(readCookie(undefined, 'standby_7420'), null);
});
