import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createProbeAgent,
  httpProbe,
  describeNetworkError,
  MAX_PROBE_BODY_BYTES,
} from '../../../electron/core/health/http-probe.ts';

// A local node:http server on 127.0.0.1 stands in for health endpoints (unit level).
let server: http.Server;
let base = '';
const perSocket = new WeakMap<object, number>();
let droppedReused = 0;

before(async () => {
  server = http.createServer((req, res) => {
    const n = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, n);
    switch (req.url) {
      case '/health':
        res.setHeader('content-type', 'application/json; charset=utf-8');
        res.end(JSON.stringify({ status: 'ok', site: 'primary', slot: 'blue', version: '1.0.0', dbRole: 'primary' }));
        return;
      case '/down':
        res.statusCode = 503;
        res.setHeader('content-type', 'application/json');
        res.end('{"status":"draining","slot":"green"}');
        return;
      case '/text':
        res.end('ok\n');
        return;
      case '/big':
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ pad: 'x'.repeat(MAX_PROBE_BODY_BYTES) }));
        return;
      case '/big-chunked':
        res.setHeader('content-type', 'application/json');
        res.write('{"pad":"');
        res.write('y'.repeat(MAX_PROBE_BODY_BYTES + 10));
        res.end('"}');
        return;
      case '/bad-json':
        res.setHeader('content-type', 'application/json');
        res.end('{not json');
        return;
      case '/hang':
        return; // never answers
      case '/drop-reused':
        // Like an nginx worker closing an idle keep-alive socket on reload: every request that
        // arrives on an already used socket gets the socket closed under it.
        if (n > 1) {
          droppedReused++;
          req.socket.destroy();
          return;
        }
        res.end('first\n');
        return;
      case '/drop-always':
        req.socket.destroy();
        return;
      default:
        res.statusCode = 404;
        res.end();
    }
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('httpProbe', () => {
  test('2xx JSON: ok, status, latency and parsed body', async () => {
    const agent = createProbeAgent();
    try {
      const r = await httpProbe(`${base}/health`, { dispatcher: agent });
      assert.equal(r.ok, true);
      assert.equal(r.status, 200);
      assert.equal(r.error, undefined);
      assert.ok(r.latencyMs >= 0 && r.latencyMs < 1000);
      assert.deepEqual(r.body, { status: 'ok', site: 'primary', slot: 'blue', version: '1.0.0', dbRole: 'primary' });
    } finally {
      await agent.destroy();
    }
  });

  test('non-2xx: not ok with "HTTP 503", JSON body still parsed', async () => {
    const agent = createProbeAgent();
    try {
      const r = await httpProbe(`${base}/down`, { dispatcher: agent });
      assert.equal(r.ok, false);
      assert.equal(r.status, 503);
      assert.equal(r.error, 'HTTP 503');
      assert.deepEqual(r.body, { status: 'draining', slot: 'green' });
    } finally {
      await agent.destroy();
    }
  });

  test('non-JSON, oversized and invalid JSON bodies: ok without body', async () => {
    const agent = createProbeAgent();
    try {
      for (const path of ['/text', '/big', '/big-chunked', '/bad-json']) {
        const r = await httpProbe(`${base}${path}`, { dispatcher: agent });
        assert.equal(r.ok, true, path);
        assert.equal(r.body, undefined, path);
      }
      // the connection still works afterwards
      assert.equal((await httpProbe(`${base}/health`, { dispatcher: agent })).ok, true);
    } finally {
      await agent.destroy();
    }
  });

  test('connection refused names the peer', async () => {
    const agent = createProbeAgent();
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    try {
      const r = await httpProbe(`http://127.0.0.1:${port}/health`, { dispatcher: agent });
      assert.deepEqual(r.ok, false);
      assert.equal(r.status, null);
      assert.equal(r.error, `ECONNREFUSED 127.0.0.1:${port}`);
    } finally {
      await agent.destroy();
    }
  });

  test('own timeout: "timeout after N ms", on time', async () => {
    const agent = createProbeAgent();
    try {
      const t0 = performance.now();
      const r = await httpProbe(`${base}/hang`, { dispatcher: agent, timeoutMs: 150 });
      const took = performance.now() - t0;
      assert.equal(r.ok, false);
      assert.equal(r.error, 'timeout after 150 ms');
      assert.ok(took >= 140 && took < 500, `took ${took}`);
    } finally {
      await agent.destroy();
    }
  });

  test('caller abort: "aborted"', async () => {
    const agent = createProbeAgent();
    try {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 30);
      const r = await httpProbe(`${base}/hang`, { dispatcher: agent, signal: ac.signal });
      assert.equal(r.error, 'aborted');
    } finally {
      await agent.destroy();
    }
  });

  test('a reset on a reused keep-alive socket is retried once on a new connection', async () => {
    const agent = createProbeAgent({ connectionsPerOrigin: 1 });
    try {
      const first = await httpProbe(`${base}/drop-reused`, { dispatcher: agent });
      assert.equal(first.ok, true);
      await new Promise((r) => setTimeout(r, 20)); // let the socket go back to the idle pool
      const second = await httpProbe(`${base}/drop-reused`, { dispatcher: agent });
      assert.equal(droppedReused, 1, 'the second request did go out on the reused socket and was dropped');
      assert.equal(second.ok, true, `second: ${second.error}`);
    } finally {
      await agent.destroy();
    }
  });

  test('a reset on a fresh connection is a failure (not retried)', async () => {
    const agent = createProbeAgent();
    try {
      const r = await httpProbe(`${base}/drop-always`, { dispatcher: agent });
      assert.equal(r.ok, false);
      assert.match(r.error ?? '', /^connection closed by 127\.0\.0\.1:\d+ \(other side closed\)$/);
    } finally {
      await agent.destroy();
    }
  });
});

describe('describeNetworkError', () => {
  test('falls back to the URL for the peer and keeps unknown messages', () => {
    assert.equal(
      describeNetworkError(Object.assign(new Error('x'), { code: 'ECONNRESET' }), 'http://[::1]:8080/h'),
      'ECONNRESET [::1]:8080',
    );
    assert.equal(
      describeNetworkError(Object.assign(new Error('x'), { code: 'EHOSTUNREACH' }), 'http://127.0.0.9/h'),
      'EHOSTUNREACH 127.0.0.9:80',
    );
    assert.equal(describeNetworkError(new Error('weird'), 'http://127.0.0.1/'), 'weird');
    const refusedV6 = Object.assign(new Error('connect ECONNREFUSED ::1:1'), {
      code: 'ECONNREFUSED',
      address: '::1',
      port: 1,
    });
    assert.equal(describeNetworkError(refusedV6, 'http://[::1]:1/'), 'ECONNREFUSED [::1]:1');
  });
});
