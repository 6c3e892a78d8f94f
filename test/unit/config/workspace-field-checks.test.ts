/**
 * `validate` refuses values that would reach a shell command, a DNS write or the logs in a
 * dangerous or meaningless form: an invalid IPv4 (`127.999.0.1`), a HAProxy name with shell
 * characters, a multi-megabyte string. Host names and IPv6 stay accepted where they were.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWorkspace, formatIssues } from '../../../electron/core/config/load-workspace.ts';
import { validWorkspaceYaml } from './valid-workspace.ts';

/** The issues of the valid workspace with `from` replaced by `to` (the replacement must apply). */
function issuesWith(from: string, to: string): string[] {
  assert.ok(validWorkspaceYaml.includes(from), `fixture has ${from}`);
  const r = parseWorkspace(validWorkspaceYaml.replace(from, to), 'ws.yaml');
  return r.ok ? [] : r.issues.map((i) => `${i.field}: ${i.message}`);
}
function assertRefused(from: string, to: string, field: RegExp): void {
  const issues = issuesWith(from, to);
  assert.ok(
    issues.some((i) => field.test(i)),
    `expected an issue matching ${field} for ${to.slice(0, 80)}, got: ${issues.join(' | ') || 'none'}`,
  );
}
function assertAccepted(from: string, to: string): void {
  const r = parseWorkspace(validWorkspaceYaml.replace(from, to), 'ws.yaml');
  assert.equal(r.ok, true, r.ok ? '' : formatIssues(r.issues));
}

test('an invalid IPv4 is refused wherever an IPv4 is accepted', () => {
  assertRefused('address: 127.0.0.2', 'address: 127.999.0.1', /sites\[0\]\.address: .*IPv4/);
  assertRefused('primary: 127.0.0.2', 'primary: 127.999.0.1', /records\[0\]\.values\.primary: .*A record value .*IPv4/);
  assertRefused('ssh: { host: 127.0.0.2', 'ssh: { host: 127.999.0.1', /sites\[0\]\.ssh\.host/);
  assertRefused('host: 127.0.0.2, port: 15432', 'host: 127.999.0.1, port: 15432', /databases\[0\]\.host/);
  assertRefused('nameservers: ["127.0.0.1:15353"]', 'nameservers: ["127.999.0.1:15353"]', /nameservers\[0\]: .*IPv4/);
  assertRefused('server: "127.0.0.1:15354"', 'server: "127.0.0.999:15354"', /dnsProviders\[1\]\.server: .*IPv4/);
  assertRefused('entryUrl: "http://127.0.0.2:15380/health"', 'entryUrl: "http://127.999.0.2:15380/health"', /entryUrl/);
});

test('a record value must match its type; host names and IPv6 stay accepted', () => {
  assertRefused('primary: 127.0.0.2', 'primary: app.lab.test', /A record value must be an IPv4/);
  assertAccepted('address: 127.0.0.2', 'address: "::1"');
  assertAccepted('address: 127.0.0.2', 'address: app-1.example.net');
  assertRefused('address: 127.0.0.2', 'address: "a;rm -rf /"', /sites\[0\]\.address/);
  assertAccepted(
    'type: A\n        values:\n          primary: 127.0.0.2\n          failover: 127.0.0.3',
    'type: AAAA\n        values:\n          primary: "::1"\n          failover: "fd00::3"',
  );
  assertRefused(
    'type: A\n        values:\n          primary: 127.0.0.2',
    'type: AAAA\n        values:\n          primary: 127.0.0.2',
    /AAAA record value must be an IPv6/,
  );
  assertAccepted(
    'type: A\n        values:\n          primary: 127.0.0.2\n          failover: 127.0.0.3',
    'type: CNAME\n        values:\n          primary: a.example.net.\n          failover: b.example.net',
  );
  assertAccepted('ssh: { host: 127.0.0.2', 'ssh: { host: "::1"');
  assertAccepted('nameservers: ["127.0.0.1:15353"]', 'nameservers: ["[::1]:15353", "localhost:53"]');
});

test('a HAProxy backend, server name or socket with shell characters is refused', () => {
  assertRefused('backend: be }', 'backend: "be; touch /tmp/x" }', /router\.backend: .*HAProxy names/);
  assertRefused('backend: be }', 'backend: "be\'$(id)" }', /router\.backend/);
  assertAccepted('backend: be }', 'backend: "app_be-1.v2:x" }');
  assertRefused(
    'routerId: blue }',
    'routerId: "blue`id`" }',
    /sites\[1\]\.slots\[0\]\.routerId: .*HAProxy server name/,
  );
  assertRefused('adminSocket: /lab/admin.sock', 'adminSocket: "/lab/a,b.sock"', /router\.adminSocket/);
});

test('multi-megabyte and oversized strings are refused, field by field', () => {
  const huge = 'x'.repeat(3 * 1024 * 1024);
  assertRefused('nginxCommand: "nginx -p /lab"', `nginxCommand: "${huge}"`, /router\.nginxCommand/);
  assertRefused('upstreamFile: /lab/upstream.conf', `upstreamFile: /${'a'.repeat(5000)}`, /router\.upstreamFile/);
  assertRefused('user: ops,', `user: ${'u'.repeat(300)},`, /ssh\.user/);
  assertRefused('knownHosts: /keys/known_hosts }', `knownHosts: /${'k'.repeat(5000)} }`, /ssh\.knownHosts/);
  assertRefused('zone: lab.test', `zone: ${'z'.repeat(300)}.test`, /^environments\[0\]\.zone:/);
  assertRefused('{ file: /keys/id }', `{ file: /${'f'.repeat(5000)} }`, /privateKey/);
});
