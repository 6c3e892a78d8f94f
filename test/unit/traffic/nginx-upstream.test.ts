import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nginxLiveSlot, parseNginxUpstream } from '../../../electron/core/traffic/routers/nginx.ts';

const slots = [
  { name: 'blue', routerId: '127.0.0.2:28301' },
  { name: 'green', routerId: '127.0.0.2:28302' },
];

test('the lab upstream file names blue', () => {
  const servers = parseNginxUpstream('upstream app { server 127.0.0.2:28301; keepalive 8; }\n');
  assert.deepEqual(servers, [{ upstream: 'app', address: '127.0.0.2:28301', params: [], down: false, backup: false }]);
  assert.deepEqual(nginxLiveSlot(servers, slots), {
    liveSlot: 'blue',
    evidence: 'upstream app: server 127.0.0.2:28301',
  });
});

test('multi-line file with comments, params and a commented-out server', () => {
  const text = `# written by Standby
upstream app {
    # server 127.0.0.2:28301;
    server 127.0.0.2:28302 weight=5 max_fails=2;
    keepalive 8;
}
`;
  const r = nginxLiveSlot(parseNginxUpstream(text), slots);
  assert.equal(r.liveSlot, 'green');
  assert.equal(r.evidence, 'upstream app: server 127.0.0.2:28302 weight=5 max_fails=2');
});

test('two live servers of different slots → null, "both slots live"', () => {
  const r = nginxLiveSlot(
    parseNginxUpstream('upstream app { server 127.0.0.2:28301; server 127.0.0.2:28302; }'),
    slots,
  );
  assert.equal(r.liveSlot, null);
  assert.match(r.reason ?? '', /^both slots live/);
});

test('down and backup servers do not count while a primary server is live', () => {
  const r = nginxLiveSlot(
    parseNginxUpstream(
      'upstream app { server 127.0.0.2:28301 down; server 127.0.0.2:28302; server 127.0.0.2:28301 backup; }',
    ),
    slots,
  );
  assert.equal(r.liveSlot, 'green');
});

test('backups serve when every primary server is down', () => {
  const r = nginxLiveSlot(
    parseNginxUpstream('upstream app { server 127.0.0.2:28301 down; server 127.0.0.2:28302 backup; }'),
    slots,
  );
  assert.equal(r.liveSlot, 'green');
});

test('a server no slot names → null with the address in the reason', () => {
  const r = nginxLiveSlot(parseNginxUpstream('upstream app { server 127.0.0.9:1; }'), slots);
  assert.equal(r.liveSlot, null);
  assert.match(r.reason ?? '', /127\.0\.0\.9:1 matches no slot/);
});

test('port defaults to 80 when omitted', () => {
  const [s] = parseNginxUpstream('upstream app { server backend.lab; }');
  assert.equal(s?.address, 'backend.lab:80');
});

test('no upstream block / unclosed block → SlotRouterError', () => {
  assert.throws(() => parseNginxUpstream('server { listen 80; }'), {
    name: 'SlotRouterError',
    message: /no "upstream NAME/,
  });
  assert.throws(() => parseNginxUpstream('upstream app { server 127.0.0.2:28301;'), {
    name: 'SlotRouterError',
    message: /not closed/,
  });
});

test('all servers down → null, "no server is live"', () => {
  const r = nginxLiveSlot(parseNginxUpstream('upstream app { server 127.0.0.2:28301 down; }'), slots);
  assert.deepEqual([r.liveSlot, r.reason], [null, 'no server is live']);
});
