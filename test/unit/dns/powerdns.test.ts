/** PowerDnsProvider against a fake PowerDNS API on loopback: request shape and error mapping. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { PowerDnsProvider } from '../../../electron/core/dns/providers/powerdns.ts';
import { DnsProviderError } from '../../../electron/core/dns/dns-provider-error.ts';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;
const KEY = 'sekrit-key-123';

describe('PowerDnsProvider', () => {
  let server: Server;
  let base = '';
  let handler: Handler = () => {};
  const seen: { method: string; url: string; key: string | undefined; body: string }[] = [];
  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, key: req.headers['x-api-key'] as string | undefined, body });
        handler(req, body, res);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  const json = (res: ServerResponse, status: number, v: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(v));
  };
  const zone = (rrsets: unknown[]) => ({ name: 'lab.test.', rrsets });
  const provider = (o: Partial<ConstructorParameters<typeof PowerDnsProvider>[0]> = {}) =>
    new PowerDnsProvider({ name: 'pdns', apiUrl: base, zone: 'lab.test', apiKey: KEY, timeoutMs: 300, ...o });
  const rejectsWith = async (p: Promise<unknown>, kind: string, pattern: RegExp) =>
    assert.rejects(p, (e: unknown) => {
      assert.ok(e instanceof DnsProviderError, String(e));
      assert.equal(e.kind, kind);
      assert.match(e.message, pattern);
      assert.ok(!e.message.includes(KEY) && !(e.hint ?? '').includes(KEY), 'the API key never appears in errors');
      return true;
    });

  test('GET filtered to the RRset, key header sent, disabled records ignored, values normalized', async () => {
    handler = (_q, _b, res) =>
      json(
        res,
        200,
        zone([
          {
            name: 'app.lab.test.',
            type: 'A',
            ttl: 30,
            records: [
              { content: '127.0.0.3', disabled: false },
              { content: '127.0.0.2' },
              { content: '127.0.0.9', disabled: true },
            ],
          },
        ]),
      );
    const p = provider();
    seen.length = 0;
    assert.deepEqual(await p.getRecordSet('APP.lab.test', 'A'), { values: ['127.0.0.2', '127.0.0.3'], ttlSeconds: 30 });
    assert.equal(
      seen[0]!.url,
      '/api/v1/servers/localhost/zones/lab.test.?rrsets=true&rrset_name=app.lab.test.&rrset_type=A',
    );
    assert.equal(seen[0]!.key, KEY);
    await p.close();
  });

  test('absent RRset (or only disabled records) → null', async () => {
    handler = (_q, _b, res) =>
      json(
        res,
        200,
        zone([{ name: 'app.lab.test.', type: 'A', ttl: 30, records: [{ content: '127.0.0.9', disabled: true }] }]),
      );
    const p = provider();
    assert.equal(await p.getRecordSet('app.lab.test', 'A'), null);
    assert.equal(await p.getRecordSet('app.lab.test', 'AAAA'), null);
    await p.close();
  });

  test('PATCH REPLACE (CNAME targets get their dot), DELETE when no values', async () => {
    handler = (_q, _b, res) => {
      res.writeHead(204);
      res.end();
    };
    const p = provider();
    seen.length = 0;
    await p.setRecordSet('www.lab.test', 'CNAME', ['App.Lab.Test'], 5);
    await p.setRecordSet('app.lab.test', 'A', [], 5);
    assert.equal(seen[0]!.method, 'PATCH');
    assert.equal(seen[0]!.url, '/api/v1/servers/localhost/zones/lab.test.');
    assert.deepEqual(JSON.parse(seen[0]!.body), {
      rrsets: [
        {
          name: 'www.lab.test.',
          type: 'CNAME',
          ttl: 5,
          changetype: 'REPLACE',
          records: [{ content: 'app.lab.test.', disabled: false }],
        },
      ],
    });
    assert.deepEqual(JSON.parse(seen[1]!.body), {
      rrsets: [{ name: 'app.lab.test.', type: 'A', changetype: 'DELETE' }],
    });
    await p.close();
  });

  test('describeWrite is the PATCH setRecordSet sends (URL and body), with the GET-before-write caveat', async () => {
    handler = (_q, _b, res) => {
      res.writeHead(204);
      res.end();
    };
    const p = provider({ apiUrl: `${base}/` });
    seen.length = 0;
    await p.setRecordSet('app.lab.test', 'A', ['127.0.0.3'], 5);
    await p.setRecordSet('www.lab.test', 'CNAME', [], 5);
    const texts = [
      p.describeWrite(
        'app.lab.test',
        'A',
        { values: ['127.0.0.3'], ttlSeconds: 5 },
        { values: ['127.0.0.2'], ttlSeconds: 30 },
      ),
      p.describeWrite('www.lab.test', 'CNAME', null),
    ];
    texts.forEach((text, i) =>
      assert.equal(
        text,
        `PATCH ${base}${seen[i]!.url} ${seen[i]!.body}  # after a GET of the RRset (PowerDNS has no conditional write)`,
      ),
    );
    assert.equal(
      texts[0],
      `PATCH ${base}/api/v1/servers/localhost/zones/lab.test. {"rrsets":[{"name":"app.lab.test.","type":"A","ttl":5,"changetype":"REPLACE","records":[{"content":"127.0.0.3","disabled":false}]}]}  # after a GET of the RRset (PowerDNS has no conditional write)`,
    );
    await p.close();
  });

  test('expected mismatch → conflict, and no PATCH is sent', async () => {
    handler = (_q, _b, res) =>
      json(res, 200, zone([{ name: 'app.lab.test.', type: 'A', ttl: 30, records: [{ content: '127.0.0.3' }] }]));
    const p = provider();
    seen.length = 0;
    await rejectsWith(
      p.setRecordSet('app.lab.test', 'A', ['127.0.0.2'], 30, { expected: { values: ['127.0.0.2'], ttlSeconds: 30 } }),
      'conflict',
      /is 127\.0\.0\.3 TTL 30 s, expected 127\.0\.0\.2 TTL 30 s/,
    );
    await rejectsWith(
      p.setRecordSet('app.lab.test', 'A', ['127.0.0.2'], 30, { expected: null }),
      'conflict',
      /expected no record/,
    );
    assert.ok(seen.every((s) => s.method === 'GET'));
    await p.close();
  });

  test('HTTP errors map to OpError kinds', async () => {
    const p = provider();
    handler = (_q, _b, res) => {
      res.writeHead(401);
      res.end('Unauthorized');
    };
    await rejectsWith(p.getRecordSet('app.lab.test', 'A'), 'auth', /HTTP 401/);
    handler = (_q, _b, res) => {
      res.writeHead(404);
      res.end('Not Found');
    };
    await rejectsWith(p.getRecordSet('app.lab.test', 'A'), 'invalid-input', /HTTP 404/);
    handler = (_q, _b, res) =>
      json(res, 422, { error: 'RRset app.lab.test. IN CNAME: Conflicts with pre-existing RRset' });
    await rejectsWith(
      p.setRecordSet('app.lab.test', 'CNAME', ['x.lab.test'], 5),
      'invalid-input',
      /Conflicts with pre-existing RRset/,
    );
    handler = (_q, _b, res) => json(res, 500, { error: 'backend down' });
    await rejectsWith(p.getRecordSet('app.lab.test', 'A'), 'unreachable', /HTTP 500.*backend down/);
    handler = (_q, _b, res) => json(res, 200, { nonsense: true });
    await rejectsWith(p.getRecordSet('app.lab.test', 'A'), 'unreachable', /unexpected zone document/);
    await p.close();
  });

  test('a hanging API → timeout after timeoutMs, bounded', async () => {
    handler = () => {}; // never answers
    const p = provider({ timeoutMs: 200 });
    const t0 = performance.now();
    await rejectsWith(p.getRecordSet('app.lab.test', 'A'), 'timeout', /timeout after 200 ms/);
    assert.ok(performance.now() - t0 < 500);
    await p.close();
  });

  test('an oversized body is cut off', async () => {
    handler = (_q, _b, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('x'.repeat(5000));
    };
    const p = provider({ maxResponseBytes: 1000 });
    await rejectsWith(p.getRecordSet('app.lab.test', 'A'), 'unreachable', /larger than 1000 bytes/);
    await p.close();
  });

  test('names outside the zone are refused before any request', async () => {
    const p = provider();
    await rejectsWith(p.getRecordSet('app.other.test', 'A'), 'invalid-input', /not inside zone lab\.test/);
    await p.close();
  });

  test('lazy API key: a failed load is reported and retried on the next call', async () => {
    let loads = 0;
    handler = (_q, _b, res) => json(res, 200, zone([]));
    const p = provider({
      apiKey: async () => {
        loads++;
        if (loads === 1)
          throw new DnsProviderError(
            'invalid-input',
            'cannot read apiKey of DNS provider pdns (env K): environment variable K is not set',
          );
        return KEY;
      },
    });
    await rejectsWith(p.getRecordSet('app.lab.test', 'A'), 'invalid-input', /variable K is not set/);
    assert.equal(await p.getRecordSet('app.lab.test', 'A'), null);
    assert.equal(await p.getRecordSet('app.lab.test', 'A'), null);
    assert.equal(loads, 2);
    await p.close();
  });

  test('without a zone, the longest matching zone of the server is used', async () => {
    handler = (req, _b, res) => {
      if (req.url === '/api/v1/servers/localhost/zones')
        return json(res, 200, [{ name: 'test.' }, { name: 'lab.test.' }, { name: 'other.test.' }]);
      json(res, 200, zone([]));
    };
    const p = provider({ zone: undefined });
    seen.length = 0;
    await p.getRecordSet('app.lab.test', 'A');
    assert.match(seen.at(-1)!.url, /^\/api\/v1\/servers\/localhost\/zones\/lab\.test\.\?/);
    await rejectsWith(p.getRecordSet('app.example.com', 'A'), 'invalid-input', /no zone containing app\.example\.com/);
    await p.close();
  });
});
