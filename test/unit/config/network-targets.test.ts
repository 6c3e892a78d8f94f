/**
 * Network targets accept any host: RFC 1123 names, IPv4 and IPv6 (bracketed in URLs and in
 * `host:port`); bad forms are refused with the field path. An API key is never sent over plain
 * http to a non-loopback host unless the provider opts in with `allowInsecureHttp: true`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWorkspace, formatIssues } from '../../../electron/core/config/load-workspace.ts';
import { splitHostPort, isLoopbackHost, hostProblem } from '../../../electron/core/config/network-host.ts';
import { validWorkspaceYaml } from './valid-workspace.ts';

function parseWith(pairs: [string, string][]): ReturnType<typeof parseWorkspace> {
  let text = validWorkspaceYaml;
  for (const [from, to] of pairs) {
    assert.ok(text.includes(from), `fixture has ${from}`);
    text = text.replace(from, to);
  }
  return parseWorkspace(text, 'ws.yaml');
}
function accepted(...pairs: [string, string][]): void {
  const r = parseWith(pairs);
  assert.equal(r.ok, true, r.ok ? '' : formatIssues(r.issues));
}
function refused(field: RegExp, ...pairs: [string, string][]): string {
  const r = parseWith(pairs);
  const issues = r.ok ? [] : r.issues.map((i) => `${i.field}: ${i.message}. Fix: ${i.hint}`);
  const hit = issues.find((i) => field.test(i));
  assert.ok(hit, `expected ${field}, got: ${issues.join(' | ') || 'none'}`);
  return hit;
}

const NS = 'nameservers: ["127.0.0.1:15353"]';
const API = 'apiUrl: "http://127.0.0.1:15381"';
const SSH = 'ssh: { host: 127.0.0.2';
const DB = 'host: 127.0.0.2, port: 15432';
const SLOT = 'url: "http://127.0.0.2:15301"';

test('host names, IPv4 and IPv6 are accepted for every target field', () => {
  accepted(
    [NS, 'nameservers: ["ns1.example.net:53", "192.0.2.53:53", "[2001:db8::1]:53", "ns2.example.net.:5353"]'],
    [API, 'apiUrl: "https://pdns.example.net:8081"'],
    [SSH, 'ssh: { host: web1.example.net'],
    [DB, 'host: "2001:db8::5", port: 15432'],
    [SLOT, 'url: "https://[2001:db8::2]:8443"'],
    ['entryUrl: "http://127.0.0.2:15380/health"', 'entryUrl: "https://www.example.com/health"'],
    ['server: "127.0.0.1:15354"', 'server: "[::1]:15354"'],
  );
  accepted([SSH, 'ssh: { host: 192.0.2.10'], [DB, 'host: db.internal, port: 15432']);
});

test('bad host forms are refused with the field path', () => {
  refused(/nameservers\[0\]: .*IPv6 address needs brackets/, [NS, 'nameservers: ["2001:db8::1:53"]']);
  refused(/nameservers\[0\]: .*no port/, [NS, 'nameservers: ["ns1.example.net"]']);
  refused(/nameservers\[0\]: .*not a port/, [NS, 'nameservers: ["ns1.example.net:70000"]']);
  refused(/nameservers\[0\]: .*not a host name/, [NS, 'nameservers: ["ns1;rm -rf:53"]']);
  refused(/nameservers\[0\]: .*not an IPv6/, [NS, 'nameservers: ["[2001:zz::1]:53"]']);
  refused(/ssh\.host: .*not a host name/, [SSH, 'ssh: { host: "-bad.example"']);
  refused(/ssh\.host: .*not a host name/, [SSH, 'ssh: { host: "a..b"']);
  refused(/databases\[0\]\.host: .*IPv4/, [DB, 'host: 10.0.0.256, port: 15432']);
  refused(/slots\[0\]\.url: .*https:\/\//, [SLOT, 'url: "ftp://example.net/"']);
  refused(/slots\[0\]\.url: .*not a URL/, [SLOT, 'url: "http://[2001:db8::1/"']);
  refused(/apiUrl: .*must start with https:\/\//, [API, 'apiUrl: "pdns.example.net:8081"']);
});

test('an API key over plain http to a non-loopback host is refused unless allowInsecureHttp', () => {
  const hit = refused(/dnsProviders\[0\]\.apiUrl: refusing to send the API key over plain http/, [
    API,
    'apiUrl: "http://pdns.example.net:8081"',
  ]);
  assert.match(hit, /allowInsecureHttp: true/);
  refused(/apiUrl: refusing/, [API, 'apiUrl: "http://[2001:db8::1]:8081"']);
  accepted([API, 'apiUrl: "http://pdns.example.net:8081", allowInsecureHttp: true']);
  accepted([API, 'apiUrl: "https://pdns.example.net:8081"']);
  accepted([API, 'apiUrl: "http://localhost:15381"']);
  accepted([API, 'apiUrl: "http://[::1]:15381"']);
  const r = parseWith([[API, 'apiUrl: "http://pdns.example.net:8081", allowInsecureHttp: true']]);
  assert.ok(r.ok);
  const p = r.workspace.environments[0]!.dnsProviders[0]!;
  assert.equal(p.kind === 'powerdns' && p.allowInsecureHttp, true);
});

test('splitHostPort, isLoopbackHost and hostProblem', () => {
  assert.deepEqual(splitHostPort('[2001:db8::1]:53'), { host: '2001:db8::1', port: 53 });
  assert.deepEqual(splitHostPort('ns1.example.net:53'), { host: 'ns1.example.net', port: 53 });
  assert.match(String(splitHostPort('999.1.1.1:53')), /IPv4/);
  assert.equal(isLoopbackHost('[::1]'), true);
  assert.equal(isLoopbackHost('127.3.4.5'), true);
  assert.equal(isLoopbackHost('localhost'), true);
  assert.equal(isLoopbackHost('192.0.2.1'), false);
  assert.equal(isLoopbackHost('localhost.example.net'), false);
  assert.equal(hostProblem('xn--bcher-kva.example'), null);
  assert.match(hostProblem('under_score.example') ?? '', /not a host name/);
});
