/**
 * queryAuthoritative against an in-process fake nameserver on loopback (UDP + TCP on one port):
 * retry after a lost datagram, TCP fallback on TC, spoofed-ID replies ignored, rcodes, bounds.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { performance } from 'node:perf_hooks';
import { dnsPacket } from '../../../electron/core/dns/dns-wire.ts';
import { queryAuthoritative } from '../../../electron/core/dns/authoritative-query.ts';
import { DnsProviderError } from '../../../electron/core/dns/dns-provider-error.ts';
import { signTsig, type TsigKey } from '../../../electron/core/dns/tsig.ts';

type Mode =
  | 'answer'
  | 'drop-first'
  | 'truncate'
  | 'spoof-first'
  | 'silent'
  | 'nxdomain'
  | 'nodata'
  | 'refused'
  | 'servfail'
  | 'noaa'
  | 'signed'
  | 'cname';
const AA = 1 << 10; // RFC 1035 §4.1.1 header bits
const TC = 1 << 9;
const KEY: TsigKey = { name: 'k', algorithm: 'hmac-sha256', secret: Buffer.from('0123456789abcdef0123456789abcdef') };

class FakeNameserver {
  mode: Mode = 'answer';
  udpSeen = 0;
  tcpSeen = 0;
  port = 0;
  #udp!: Socket;
  #tcp!: Server;
  async start(family: 4 | 6 = 4): Promise<void> {
    const host = family === 4 ? '127.0.0.1' : '::1';
    this.#udp = createSocket(family === 4 ? 'udp4' : 'udp6');
    await new Promise<void>((r) => this.#udp.bind(0, host, r));
    this.port = this.#udp.address().port;
    this.#udp.on('message', (m, rinfo) => {
      this.udpSeen++;
      if (this.mode === 'silent' || (this.mode === 'drop-first' && this.udpSeen === 1)) return;
      const id = m.readUInt16BE(0);
      if (this.mode === 'spoof-first')
        this.#udp.send(this.reply(m, (id + 1) & 0xffff, false), rinfo.port, rinfo.address);
      this.#udp.send(this.reply(m, id, this.mode === 'truncate'), rinfo.port, rinfo.address);
    });
    this.#tcp = createServer((sock) => {
      sock.on('data', (d) => {
        this.tcpSeen++;
        const m = d.subarray(2);
        const r = this.reply(m, m.readUInt16BE(0), false, true);
        const len = Buffer.alloc(2);
        len.writeUInt16BE(r.length);
        sock.end(Buffer.concat([len, r]));
      });
    });
    await new Promise<void>((r) => this.#tcp.listen(this.port, host, r));
  }
  reply(query: Buffer, id: number, truncated: boolean, overTcp = false): Buffer {
    const q = dnsPacket.decode(query);
    const rcode = { nxdomain: 3, refused: 5, servfail: 2 }[this.mode as string] ?? 0;
    let flags = (this.mode === 'noaa' ? 0 : AA) | rcode;
    if (truncated) flags |= TC;
    const name = q.questions[0]!.name;
    const answers =
      truncated || rcode || this.mode === 'nodata'
        ? []
        : this.mode === 'cname'
          ? [{ name, type: 'CNAME', ttl: 60, data: 'target.lab.test' }]
          : [
              { name, type: 'A', ttl: 30, data: overTcp ? '127.0.0.4' : '127.0.0.3' },
              { name, type: 'A', ttl: 20, data: '127.0.0.2' },
              { name: 'other.lab.test', type: 'A', ttl: 30, data: '127.0.0.9' },
            ];
    const wire = (dnsPacket as unknown as { encode(p: object): Buffer }).encode({
      type: 'response',
      id,
      flags,
      questions: q.questions,
      answers,
    });
    return this.mode === 'signed' ? signTsig(wire, KEY, { requestMac: Buffer.alloc(32) }).wire : wire;
  }
  async stop(): Promise<void> {
    this.#udp.close();
    await new Promise<void>((r) => this.#tcp.close(() => r()));
  }
}

describe('queryAuthoritative', () => {
  const ns = new FakeNameserver();
  before(() => ns.start());
  after(() => ns.stop());
  const server = () => `127.0.0.1:${ns.port}`;
  const reset = (mode: Mode) => {
    ns.mode = mode;
    ns.udpSeen = 0;
    ns.tcpSeen = 0;
  };

  test('values of the exact name/type only, sorted; TTL = smallest; AA and latency reported', async () => {
    reset('answer');
    const a = await queryAuthoritative(server(), 'App.Lab.Test.', 'A', { timeoutMs: 500 });
    assert.deepEqual(a.values, ['127.0.0.2', '127.0.0.3']);
    assert.equal(a.ttlSeconds, 20);
    assert.equal(a.rcode, 'NOERROR');
    assert.equal(a.authoritative, true);
    assert.equal(a.transport, 'udp');
    assert.ok(a.latencyMs >= 0 && a.latencyMs < 500);
  });

  test('NXDOMAIN and NODATA → empty values, null TTL', async () => {
    reset('nxdomain');
    const nx = await queryAuthoritative(server(), 'x.lab.test', 'A');
    assert.deepEqual([nx.values, nx.ttlSeconds, nx.rcode], [[], null, 'NXDOMAIN']);
    reset('nodata');
    const a = await queryAuthoritative(server(), 'x.lab.test', 'AAAA');
    assert.deepEqual([a.values, a.ttlSeconds, a.rcode], [[], null, 'NOERROR']);
  });

  test('a CNAME at the name is not an A value', async () => {
    reset('cname');
    assert.deepEqual((await queryAuthoritative(server(), 'app.lab.test', 'A')).values, []);
    assert.deepEqual((await queryAuthoritative(server(), 'app.lab.test', 'CNAME')).values, ['target.lab.test']);
  });

  test('one lost datagram → the single retry answers', async () => {
    reset('drop-first');
    const a = await queryAuthoritative(server(), 'app.lab.test', 'A', { timeoutMs: 150, retries: 1 });
    assert.equal(ns.udpSeen, 2);
    assert.ok(a.latencyMs >= 150);
  });

  test('TC=1 → the same query over TCP', async () => {
    reset('truncate');
    const a = await queryAuthoritative(server(), 'app.lab.test', 'A', { timeoutMs: 500 });
    assert.equal(a.transport, 'tcp');
    assert.equal(ns.tcpSeen, 1);
    assert.deepEqual(a.values, ['127.0.0.2', '127.0.0.4']);
  });

  test('a reply with another ID is ignored (RFC 5452), the real one accepted', async () => {
    reset('spoof-first');
    const a = await queryAuthoritative(server(), 'app.lab.test', 'A', { timeoutMs: 500 });
    assert.deepEqual(a.values, ['127.0.0.2', '127.0.0.3']);
  });

  test('silence → timeout after (1 + retries) × timeoutMs, bounded', async () => {
    reset('silent');
    const t0 = performance.now();
    await assert.rejects(
      queryAuthoritative(server(), 'app.lab.test', 'A', { timeoutMs: 100, retries: 1 }),
      (e: unknown) => {
        assert.ok(e instanceof DnsProviderError);
        assert.equal(e.kind, 'timeout');
        assert.match(e.message, new RegExp(`no reply from 127\\.0\\.0\\.1:${ns.port} within 100 ms \\(2 attempts\\)`));
        return true;
      },
    );
    const ms = performance.now() - t0;
    assert.ok(ms >= 195 && ms < 400, `${ms} ms`);
  });

  test('abort signal stops waiting at once', async () => {
    reset('silent');
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('deadline')), 30);
    const t0 = performance.now();
    await assert.rejects(
      queryAuthoritative(server(), 'app.lab.test', 'A', { timeoutMs: 1000, signal: ac.signal }),
      /deadline/,
    );
    assert.ok(performance.now() - t0 < 200);
  });

  test('rcodes: REFUSED → auth, SERVFAIL → unreachable', async () => {
    reset('refused');
    await assert.rejects(
      queryAuthoritative(server(), 'app.lab.test', 'A'),
      (e: unknown) => e instanceof DnsProviderError && e.kind === 'auth' && /REFUSED/.test(e.message),
    );
    reset('servfail');
    await assert.rejects(
      queryAuthoritative(server(), 'app.lab.test', 'A'),
      (e: unknown) => e instanceof DnsProviderError && e.kind === 'unreachable' && /SERVFAIL/.test(e.message),
    );
  });

  test('AA=0 is reported, not hidden', async () => {
    reset('noaa');
    assert.equal((await queryAuthoritative(server(), 'app.lab.test', 'A')).authoritative, false);
  });

  test('with a TSIG key, an unsigned or wrongly signed reply is an auth error', async () => {
    reset('answer');
    await assert.rejects(
      queryAuthoritative(server(), 'app.lab.test', 'A', { tsigKey: KEY }),
      (e: unknown) => e instanceof DnsProviderError && e.kind === 'auth' && /unsigned/.test(e.message),
    );
    reset('signed'); // signed with a made-up request MAC: must not verify
    await assert.rejects(
      queryAuthoritative(server(), 'app.lab.test', 'A', { tsigKey: KEY }),
      (e: unknown) =>
        e instanceof DnsProviderError && e.kind === 'auth' && /BADSIG/.test(e.message) && /tsigKey/.test(e.hint ?? ''),
    );
  });

  test('a closed port → ECONNREFUSED quickly (connected UDP socket gets the ICMP error)', async () => {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    const port = s.address().port;
    s.close();
    const t0 = performance.now();
    await assert.rejects(
      queryAuthoritative(`127.0.0.1:${port}`, 'app.lab.test', 'A', { timeoutMs: 1000 }),
      (e: unknown) => {
        assert.ok(e instanceof DnsProviderError);
        assert.equal(e.kind, 'unreachable');
        assert.equal(e.message, `ECONNREFUSED 127.0.0.1:${port}`);
        return true;
      },
    );
    assert.ok(performance.now() - t0 < 500);
  });

  test('refuses a malformed server before sending anything', async () => {
    await assert.rejects(
      queryAuthoritative('2001:db8::1:53', 'app.lab.test', 'A'),
      (e: unknown) => e instanceof DnsProviderError && e.kind === 'invalid-input',
    );
  });
  test('a server name that does not resolve fails with the name and reason, within the timeout', async () => {
    const t0 = Date.now();
    await assert.rejects(
      queryAuthoritative('ns1.nonexistent.invalid:53', 'app.lab.test', 'A', { timeoutMs: 1500 }),
      (e: unknown) =>
        e instanceof DnsProviderError &&
        (e.kind === 'unreachable' || e.kind === 'timeout') &&
        /ns1\.nonexistent\.invalid/.test(e.message),
    );
    assert.ok(Date.now() - t0 < 3000);
  });
});

describe('queryAuthoritative over IPv6', () => {
  const ns = new FakeNameserver();
  before(() => ns.start(6));
  after(() => ns.stop());
  test('[::1]:port works', async () => {
    const a = await queryAuthoritative(`[::1]:${ns.port}`, 'app.lab.test', 'A', { timeoutMs: 500 });
    assert.deepEqual(a.values, ['127.0.0.2', '127.0.0.3']);
  });
});
