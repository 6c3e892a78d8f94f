import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommand } from '../../../../../renderer/src/features/runs/run-commands.ts';

test('SQL lines: node target, statement, note; copy ends with a semicolon', () => {
  const c = parseCommand('SQL pg-replica: SELECT pg_promote(true, 30)  # false → already a primary, nothing to do');
  assert.equal(c.kind, 'sql');
  assert.equal(c.label, 'SQL');
  assert.equal(c.target, 'pg-replica');
  assert.equal(c.text, 'SELECT pg_promote(true, 30)');
  assert.equal(c.copy, 'SELECT pg_promote(true, 30);');
  assert.equal(c.note, 'false → already a primary, nothing to do');
});

test('SSH lines keep host:port in the target and the command intact', () => {
  const c = parseCommand("ssh postgres@127.0.0.2:2222: pg_ctl -D '/var/lib/pg/data' -m fast stop  # only when running");
  assert.equal(c.kind, 'ssh');
  assert.equal(c.target, 'postgres@127.0.0.2:2222');
  assert.equal(c.copy, "pg_ctl -D '/var/lib/pg/data' -m fast stop");
  assert.equal(c.note, 'only when running');
});

test('HTTP API calls: method + URL as target, JSON body on its own line', () => {
  const c = parseCommand(
    'PATCH http://127.0.0.1:18081/api/v1/servers/localhost/zones/lab.test. {"rrsets":[{"name":"app.lab.test."}]}  # after a GET of the RRset (PowerDNS has no conditional write)',
  );
  assert.equal(c.kind, 'api');
  assert.equal(c.target, null, 'the URL is in the text');
  assert.ok(c.text.startsWith('PATCH http://127.0.0.1:18081/api/v1/servers/localhost/zones/lab.test.\n'));
  assert.equal(c.text.split('\n').length, 2);
  assert.match(c.note!, /PowerDNS/);
});

test('nsupdate scripts become one statement per line, pasteable into nsupdate', () => {
  const c = parseCommand(
    'nsupdate (TSIG-signed); server 127.0.0.1 15354; zone lab.test; prereq yxrrset app.lab.test. A 127.0.0.2; update delete app.lab.test. A; update add app.lab.test. 5 A 127.0.0.3; send',
  );
  assert.equal(c.kind, 'nsupdate');
  assert.equal(c.target, '127.0.0.1 15354');
  assert.equal(c.text.split('\n')[0], 'server 127.0.0.1 15354');
  assert.ok(c.copy.endsWith('send\n'));
  assert.equal(c.note, 'TSIG-signed');
});

test('dig and anything else are kept as written', () => {
  const d = parseCommand('dig @127.0.0.1 -p 15353 +norec app.lab.test A  # until it serves 127.0.0.3 TTL 5');
  assert.equal(d.kind, 'dig');
  assert.equal(d.target, '127.0.0.1');
  assert.equal(d.note, 'until it serves 127.0.0.3 TTL 5');
  const o = parseCommand('observe pg-primary every 200 ms # not a note (one space)');
  assert.equal(o.kind, 'other');
  assert.equal(o.note, null);
  assert.equal(o.text, 'observe pg-primary every 200 ms # not a note (one space)');
});

test('a health gate reads on one line; router API calls keep their target', () => {
  const g = parseCommand(
    'GET http://127.0.0.3:15300/health until 2 healthy answers in a row (every 200 ms, ≤ 5000 ms)',
  );
  assert.equal(g.kind, 'api');
  assert.equal(g.text.includes('\n'), false);
  const h = parseCommand('http 127.0.0.3:19999: set server be_app/green state ready  # HAProxy runtime API');
  assert.equal(h.kind, 'api');
  assert.equal(h.target, '127.0.0.3:19999');
  assert.equal(h.copy, 'set server be_app/green state ready');
});
