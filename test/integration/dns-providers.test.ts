/**
 * The DNS domain against the real lab (test/lab, port base 27300): PowerDNS 4.7 (HTTP API,
 * provider "powerdns") and BIND 9.18 (RFC 2136 + TSIG, provider "bind"), both serving zone
 * lab.test with app.lab.test 30 A 127.0.0.2 (site "primary"; 127.0.0.3 is "failover").
 * Independent checks go through `dig` and `nsupdate`, outside Standby.
 *
 * Scenarios (in order, each restores app.lab.test):
 *  1. API view and served answer agree at both providers; DnsService: no flags, points to primary.
 *  2. setRecordSet (CAS) at each provider → dig sees the new value and TTL within 1 s.
 *  3. BIND compare-and-swap: a stale expectation is refused (pre-read, and atomically by the
 *     server's NXRRSET prerequisite); the record is left untouched.
 *  4. A wrong TSIG secret / unknown key name / wrong API key → `auth` errors with a fix hint.
 *  5. A change at BIND only (nsupdate, outside Standby) → next pollOnce flags providers-disagree.
 *  6. PowerDNS frozen (SIGSTOP: it accepts but never answers) → BIND's views are fresh while
 *     PowerDNS's sources time out; the round ends within its deadline.
 *  7. PowerDNS stopped → its views unknown with the reason and lastGoodAt, BIND still ok, every
 *     pollOnce within its deadline, then "breaker open"; after restart it recovers.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { labAvailable, startLab, type Lab } from '../lab/lab.ts';
import { loadWorkspace, formatIssues } from '../../electron/core/config/load-workspace.ts';
import type { Environment } from '../../electron/core/config/workspace-schema.ts';
import { resolveSecret } from '../../electron/core/secrets/resolve-secret.ts';
import { createDnsProviders } from '../../electron/core/dns/create-dns-provider.ts';
import type { DnsProvider, DnsRecordSet, DnsRecordType } from '../../electron/core/dns/dns-provider.ts';
import { DnsProviderError } from '../../electron/core/dns/dns-provider-error.ts';
import { DnsService } from '../../electron/core/dns/dns-service.ts';
import { queryAuthoritative } from '../../electron/core/dns/authoritative-query.ts';
import { Rfc2136Provider } from '../../electron/core/dns/providers/rfc2136.ts';
import { PowerDnsProvider } from '../../electron/core/dns/providers/powerdns.ts';
import { parseTsigKeyFile } from '../../electron/core/dns/tsig-key-file.ts';

const PORT_BASE = 27300;
const RECORD = 'app.lab.test';
const PRIMARY = '127.0.0.2';
const FAILOVER = '127.0.0.3';

const available = labAvailable();
if (!available.ok) console.log(`# skipping dns-providers: ${available.reason}`);
const skip = available.ok ? false : `lab not available: ${available.reason}`;

let lab: Lab | undefined;
let env: Environment;
let providers: DnsProvider[] = [];
let ports: { pdnsDns: string; bindDns: string; pdnsApi: string; tsigKeyFile: string };

before(async () => {
  if (skip) return;
  lab = await startLab({ portBase: PORT_BASE });
  const loaded = await loadWorkspace(lab.workspacePath);
  if (!loaded.ok) throw new Error(`lab workspace invalid:\n${formatIssues(loaded.issues)}`);
  const first = loaded.workspace.environments[0];
  assert.ok(first, 'the lab workspace has an environment');
  env = first;
  const p = lab.ports;
  ports = {
    pdnsDns: `127.0.0.1:${p.PDNS_DNS_PORT}`,
    bindDns: `127.0.0.1:${p.BIND_DNS_PORT}`,
    pdnsApi: p.PDNS_API_URL!,
    tsigKeyFile: p.TSIG_KEY_FILE!,
  };
  providers = createDnsProviders(env, (ref) => resolveSecret(ref, 'test/dns-providers'));
});

after(async () => {
  await Promise.allSettled(providers.map((p) => p.close()));
  await lab?.stop();
});

const provider = (name: 'powerdns' | 'bind'): DnsProvider => {
  const p = providers.find((x) => x.name === name);
  assert.ok(p, `provider ${name} exists in the lab workspace`);
  return p;
};

/** Runs a command with a hard limit; resolves with its output (never rejects). */
function run(
  cmd: string,
  args: string[],
  input?: string,
  limitMs = 5000,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: [input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (d) => (out += d));
    child.stderr?.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: -1, out: String(e) });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** What `dig` (outside Standby) gets from one server: `"<ttl> <value>"` lines, sorted. */
async function dig(server: string, name = RECORD, type: DnsRecordType = 'A'): Promise<string[]> {
  const [host, port] = [server.slice(0, server.lastIndexOf(':')), server.slice(server.lastIndexOf(':') + 1)];
  const r = await run('dig', [
    '+noall',
    '+answer',
    '+norec',
    '+time=1',
    '+tries=1',
    `@${host}`,
    '-p',
    port,
    name,
    type,
  ]);
  assert.equal(r.code, 0, `dig failed: ${r.out}`);
  return r.out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 5 && f[3] === type)
    .map((f) => `${f[1]} ${f[4]}`)
    .sort();
}

/** Polls dig every 25 ms until it returns `want`; resolves with the elapsed ms or rejects after `limitMs`. */
async function digUntil(server: string, want: string[], limitMs: number): Promise<number> {
  const t0 = performance.now();
  let last: string[] = [];
  for (let i = 0; i < 200 && performance.now() - t0 < limitMs; i++) {
    last = await dig(server);
    if (JSON.stringify(last) === JSON.stringify(want)) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${server} still serves ${JSON.stringify(last)} after ${limitMs} ms, wanted ${JSON.stringify(want)}`);
}

/** Changes app.lab.test at BIND only, with nsupdate (outside Standby). */
async function nsupdateBind(value: string, ttl: number): Promise<void> {
  const [host, port] = ports.bindDns.split(':');
  const script = `server ${host} ${port}\nzone lab.test\nupdate delete ${RECORD}. A\nupdate add ${RECORD}. ${ttl} A ${value}\nsend\n`;
  const r = await run('nsupdate', ['-k', ports.tsigKeyFile, '-t', '3'], script);
  assert.equal(r.code, 0, `nsupdate failed: ${r.out}`);
}

async function tsigKey() {
  return parseTsigKeyFile(await readFile(ports.tsigKeyFile, 'utf8'), { source: ports.tsigKeyFile });
}

const isError = (kind: string, message: RegExp, hint?: RegExp) => (e: unknown) => {
  assert.ok(e instanceof DnsProviderError, `expected a DnsProviderError, got ${String(e)}`);
  assert.equal(e.kind, kind, e.message);
  assert.match(e.message, message);
  if (hint) assert.match(e.hint ?? '', hint);
  return true;
};

test('1. both providers: API view and served answer agree (app.lab.test 30 A 127.0.0.2)', { skip }, async () => {
  const want: DnsRecordSet = { values: [PRIMARY], ttlSeconds: 30 };
  assert.deepEqual(await provider('powerdns').getRecordSet(RECORD, 'A'), want);
  assert.deepEqual(await provider('bind').getRecordSet(RECORD, 'A'), want);
  assert.equal(await provider('bind').getRecordSet('absent.lab.test', 'A'), null);
  assert.equal(await provider('powerdns').getRecordSet('absent.lab.test', 'A'), null);
  for (const ns of [ports.pdnsDns, ports.bindDns]) {
    const a = await queryAuthoritative(ns, RECORD, 'A', { timeoutMs: 800 });
    assert.deepEqual([a.values, a.ttlSeconds, a.rcode, a.authoritative], [[PRIMARY], 30, 'NOERROR', true], ns);
    assert.deepEqual(await dig(ns), [`30 ${PRIMARY}`], `dig agrees at ${ns}`);
  }
  const svc = new DnsService({ env, providers });
  await svc.pollOnce();
  const [s] = svc.statuses();
  assert.ok(s);
  assert.deepEqual(s.flags, [], JSON.stringify(s.flags));
  assert.equal(s.pointsTo, 'primary');
  assert.equal(s.maxServedTtlSeconds, 30);
  for (const p of s.providers) {
    assert.equal(p.api.state, 'ok', `${p.provider} API: ${p.api.reason}`);
    assert.deepEqual(p.api.values, [PRIMARY]);
    for (const [ns, a] of Object.entries(p.served))
      assert.deepEqual([a.state, a.values, a.ttlSeconds], ['ok', [PRIMARY], 30], `${p.provider} ${ns}`);
  }
});

test('2. setRecordSet at each provider is served within 1 s (checked with dig)', { skip }, async (t) => {
  for (const [name, ns] of [
    ['powerdns', ports.pdnsDns],
    ['bind', ports.bindDns],
  ] as const) {
    const p = provider(name);
    const t0 = performance.now();
    await p.setRecordSet(RECORD, 'A', [FAILOVER], 5, { expected: { values: [PRIMARY], ttlSeconds: 30 } });
    const writeMs = performance.now() - t0;
    const servedMs = await digUntil(ns, [`5 ${FAILOVER}`], 1000);
    t.diagnostic(
      `${name}: setRecordSet ${writeMs.toFixed(1)} ms, dig sees it ${(writeMs + servedMs).toFixed(1)} ms after the call`,
    );
    assert.deepEqual(await p.getRecordSet(RECORD, 'A'), { values: [FAILOVER], ttlSeconds: 5 });
    await p.setRecordSet(RECORD, 'A', [PRIMARY], 30, { expected: { values: [FAILOVER], ttlSeconds: 5 } });
    await digUntil(ns, [`30 ${PRIMARY}`], 1000);
  }
});

test('3. BIND compare-and-swap: a stale expectation is refused and nothing changes', { skip }, async () => {
  const bind = provider('bind');
  await assert.rejects(
    bind.setRecordSet(RECORD, 'A', [FAILOVER], 5, { expected: { values: [FAILOVER], ttlSeconds: 30 } }),
    isError('conflict', /is 127\.0\.0\.2 TTL 30 s, expected 127\.0\.0\.3 TTL 30 s/),
  );
  await assert.rejects(
    bind.setRecordSet(RECORD, 'A', [FAILOVER], 5, { expected: null }),
    isError('conflict', /YXRRSET/),
  );
  // A writer that changes the record between our read and our UPDATE: the server's own
  // prerequisite (RFC 2136 §2.4.2) must catch it. Simulated by a provider whose read is stale.
  const key = await tsigKey();
  class StaleRead extends Rfc2136Provider {
    override async getRecordSet(): Promise<DnsRecordSet | null> {
      return { values: [FAILOVER], ttlSeconds: 30 };
    }
  }
  const stale = new StaleRead({ name: 'bind', server: ports.bindDns, zone: 'lab.test', tsigKey: key });
  await assert.rejects(
    stale.setRecordSet(RECORD, 'A', ['127.0.0.9'], 5, { expected: { values: [FAILOVER], ttlSeconds: 30 } }),
    isError('conflict', /answered NXRRSET to the compare-and-swap prerequisite/),
  );
  assert.deepEqual(await dig(ports.bindDns), [`30 ${PRIMARY}`]);
});

test('4. wrong credentials → auth errors with a fix hint, records untouched', { skip }, async () => {
  const key = await tsigKey();
  const wrongSecret = new Rfc2136Provider({
    name: 'bind',
    server: ports.bindDns,
    zone: 'lab.test',
    tsigKey: { ...key, secret: Buffer.alloc(32, 7) },
  });
  const tsigHint = /check tsigKey file matches the server's key/;
  await assert.rejects(wrongSecret.getRecordSet(RECORD, 'A'), isError('auth', /NOTAUTH\(BADSIG\)/, tsigHint));
  await assert.rejects(
    wrongSecret.setRecordSet(RECORD, 'A', [FAILOVER], 5),
    isError('auth', /NOTAUTH\(BADSIG\)/, tsigHint),
  );
  const unknownKey = new Rfc2136Provider({
    name: 'bind',
    server: ports.bindDns,
    zone: 'lab.test',
    tsigKey: { ...key, name: 'no-such-key' },
  });
  await assert.rejects(
    unknownKey.setRecordSet(RECORD, 'A', [FAILOVER], 5),
    isError('auth', /NOTAUTH\(BADKEY\)/, tsigHint),
  );
  const wrongApiKey = new PowerDnsProvider({
    name: 'powerdns',
    apiUrl: ports.pdnsApi,
    zone: 'lab.test',
    apiKey: 'not-the-key',
  });
  try {
    await assert.rejects(wrongApiKey.getRecordSet(RECORD, 'A'), isError('auth', /HTTP 401/, /apiKey/));
    await assert.rejects(wrongApiKey.setRecordSet(RECORD, 'A', [FAILOVER], 5), isError('auth', /HTTP 401/));
  } finally {
    await wrongApiKey.close();
  }
  assert.deepEqual(await dig(ports.bindDns), [`30 ${PRIMARY}`]);
  assert.deepEqual(await dig(ports.pdnsDns), [`30 ${PRIMARY}`]);
});

test('5. a change at BIND only (nsupdate) → providers-disagree on the next pollOnce', { skip }, async () => {
  const svc = new DnsService({ env, providers });
  await svc.pollOnce();
  assert.deepEqual(svc.statuses()[0]!.flags, []);
  await nsupdateBind(FAILOVER, 30);
  try {
    await svc.pollOnce();
    const s = svc.statuses()[0]!;
    assert.deepEqual(
      s.flags.map((f) => f.flag),
      ['providers-disagree'],
      JSON.stringify(s.flags),
    );
    assert.equal(s.flags[0]!.detail, `powerdns serves ${PRIMARY}; bind serves ${FAILOVER}`);
    assert.deepEqual(
      s.providers.map((p) => p.pointsTo),
      ['primary', 'failover'],
    );
    assert.equal(s.pointsTo, null);
  } finally {
    await nsupdateBind(PRIMARY, 30);
  }
  await svc.pollOnce();
  assert.deepEqual(svc.statuses()[0]!.flags, []);
});

test(
  '6. PowerDNS frozen → BIND observed without waiting, PowerDNS times out, round within deadline',
  { skip },
  async (t) => {
    assert.ok(lab);
    const pid = lab.pids().pdns;
    assert.ok(pid, 'the lab recorded the pdns PID');
    const svc = new DnsService({ env, providers });
    await svc.pollOnce();
    process.kill(pid, 'SIGSTOP');
    try {
      const roundStart = Date.now();
      const t0 = performance.now();
      const round = svc.pollOnce();
      await new Promise((r) => setTimeout(r, 150));
      const mid = svc.statuses()[0]!;
      const bind = mid.providers[1]!;
      assert.ok(
        bind.api.observedAt !== null && bind.api.observedAt >= roundStart,
        'BIND API observed in this round while PowerDNS hangs',
      );
      assert.ok(bind.served[ports.bindDns]!.observedAt! >= roundStart, 'BIND nameserver observed in this round');
      await round;
      const ms = performance.now() - t0;
      t.diagnostic(`round with PowerDNS frozen: ${ms.toFixed(0)} ms (deadline ${svc.roundDeadlineMs} ms)`);
      assert.ok(ms <= svc.roundDeadlineMs + 100, `round took ${ms} ms`);
      const pdns = svc.statuses()[0]!.providers[0]!;
      assert.equal(pdns.api.reason, `timeout after ${env.probes.timeoutMs} ms`);
      assert.equal(pdns.served[ports.pdnsDns]!.reason, `timeout after ${env.probes.timeoutMs} ms`);
      assert.equal(svc.statuses()[0]!.providers[1]!.pointsTo, 'primary');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  },
);

test(
  '7. PowerDNS stopped → its views unknown with reasons, BIND ok, rounds within the deadline; recovers',
  { skip },
  async (t) => {
    assert.ok(lab);
    const svc = new DnsService({ env, providers });
    await svc.pollOnce();
    const goodAt = svc.statuses()[0]!.providers[0]!.api.lastGoodAt;
    assert.ok(goodAt !== null);
    await lab.stopProcess('pdns');
    let restarted = false;
    try {
      const apiPort = new URL(ports.pdnsApi).port;
      const reasons: string[] = [];
      for (let round = 0; round < 4; round++) {
        const t0 = performance.now();
        await svc.pollOnce();
        const ms = performance.now() - t0;
        t.diagnostic(`round ${round + 1} with PowerDNS down: ${ms.toFixed(0)} ms (deadline ${svc.roundDeadlineMs} ms)`);
        assert.ok(ms <= svc.roundDeadlineMs + 100, `round ${round + 1} took ${ms} ms`);
        const s = svc.statuses()[0]!;
        const [pdns, bind] = s.providers;
        assert.ok(pdns && bind);
        assert.equal(pdns.api.state, 'unknown');
        assert.equal(pdns.api.lastGoodAt, goodAt, 'lastGoodAt survives');
        assert.equal(pdns.pointsTo, null);
        assert.equal(pdns.served[ports.pdnsDns]!.state, 'unknown');
        assert.equal(bind.api.state, 'ok', `bind API: ${bind.api.reason}`);
        assert.equal(bind.served[ports.bindDns]!.state, 'ok');
        assert.equal(bind.pointsTo, 'primary');
        assert.ok(s.flags.some((f) => f.flag === 'unknown'));
        assert.equal(s.pointsTo, null, 'unknown is not green');
        reasons.push(pdns.api.reason!, pdns.served[ports.pdnsDns]!.reason!);
      }
      t.diagnostic(`reasons: ${[...new Set(reasons)].join(' | ')}`);
      assert.equal(reasons[0], `ECONNREFUSED 127.0.0.1:${apiPort}`);
      assert.equal(reasons[1], `ECONNREFUSED ${ports.pdnsDns}`);
      assert.match(
        reasons.at(-2)!,
        new RegExp(`^breaker open after 5 failures \\(last: ECONNREFUSED 127\\.0\\.0\\.1:${apiPort}\\)$`),
      );

      await lab.startProcess('pdns');
      restarted = true;
      // The breaker lets a trial call through 5 s after it opened.
      const t0 = performance.now();
      let ok = false;
      for (let i = 0; i < 40 && performance.now() - t0 < 12_000 && !ok; i++) {
        await new Promise((r) => setTimeout(r, 250));
        await svc.pollOnce();
        ok = svc.statuses()[0]!.flags.length === 0;
      }
      assert.ok(ok, `not recovered: ${JSON.stringify(svc.statuses()[0]!.flags)}`);
      t.diagnostic(`recovered ${(performance.now() - t0).toFixed(0)} ms after the restart`);
      assert.equal(svc.statuses()[0]!.pointsTo, 'primary');
    } finally {
      if (!restarted) await lab.startProcess('pdns').catch(() => {});
    }
  },
);
