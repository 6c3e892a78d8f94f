import { test } from 'node:test';
import assert from 'node:assert/strict';
import { haproxyLiveSlot, parseServersState, serverIsLive } from '../../../electron/core/traffic/routers/haproxy.ts';

const slots = [
  { name: 'blue', routerId: 'blue' },
  { name: 'green', routerId: 'green' },
];
const HEADER =
  '# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port';
const row = (name: string, op: number, admin: number, weight = 1, port = 28301): string =>
  `3 be ${name === 'blue' ? 1 : 2} ${name} 127.0.0.3 ${op} ${admin} ${weight} 1 2 15 3 4 6 0 0 0 - ${port} - 0 0 - - 0`;
// Captured from HAProxy 2.6.12 in the lab: blue UP, green `disabled` in the config (FMAINT|CMAINT = 5).
const LAB_START = `1\n${HEADER}\n${row('blue', 2, 0)}\n${row('green', 0, 5, 1, 28302)}\n\n`;

test('parses the lab answer by header column names', () => {
  const rows = parseServersState(LAB_START);
  assert.equal(rows.length, 2);
  assert.deepEqual(
    rows.map((r) => [r.backend, r.name, r.addr, r.port, r.opState, r.adminState, r.uweight]),
    [
      ['be', 'blue', '127.0.0.3', 28301, 2, 0, 1],
      ['be', 'green', '127.0.0.3', 28302, 0, 5, 1],
    ],
  );
  assert.equal(rows[0]!.fields.srv_check_status, '15');
});

test('lab start: blue is live, evidence lists both servers', () => {
  const r = haproxyLiveSlot(parseServersState(LAB_START), 'be', slots);
  assert.equal(r.liveSlot, 'blue');
  assert.equal(r.evidence, 'be/blue op_state=2 admin_state=0; be/green op_state=0 admin_state=5 (maint)');
  assert.equal(r.reason, undefined);
});

test('mid-switch: both UP and ready → null, "both slots live", both in evidence', () => {
  // green was `disabled` in the config and made ready at runtime: admin_state 4 (CMAINT only)
  const r = haproxyLiveSlot(
    parseServersState(`1\n${HEADER}\n${row('blue', 2, 0)}\n${row('green', 2, 4)}\n`),
    'be',
    slots,
  );
  assert.equal(r.liveSlot, null);
  assert.match(r.reason ?? '', /^both slots live/);
  assert.match(r.evidence, /be\/blue op_state=2 admin_state=0; be\/green op_state=2 admin_state=4$/);
});

test('after the switch: blue forced into maint (admin 1) while still UP → green', () => {
  const r = haproxyLiveSlot(
    parseServersState(`1\n${HEADER}\n${row('blue', 2, 1)}\n${row('green', 2, 0)}\n`),
    'be',
    slots,
  );
  assert.equal(r.liveSlot, 'green');
});

test('maintenance and drain bits, weight 0 and non-running states are not live', () => {
  for (const admin of [0x01, 0x02, 0x20, 0x08, 0x10, 0x05])
    assert.equal(serverIsLive({ opState: 2, adminState: admin, uweight: 1 }), false, `admin ${admin}`);
  for (const op of [0, 1, 3]) assert.equal(serverIsLive({ opState: op, adminState: 0, uweight: 1 }), false, `op ${op}`);
  assert.equal(serverIsLive({ opState: 2, adminState: 0, uweight: 0 }), false);
  assert.equal(
    serverIsLive({ opState: 2, adminState: 0x40, uweight: 1 }),
    true,
    '0x40 (FQDN changed) is not maintenance',
  );
  // config `disabled` then `set server … state ready`: CMAINT stays, the server takes traffic (lab, HAProxy 2.6)
  assert.equal(serverIsLive({ opState: 2, adminState: 0x04, uweight: 1 }), true, 'CMAINT alone is not maintenance');
});

test('nothing live → null with reason', () => {
  const r = haproxyLiveSlot(
    parseServersState(`1\n${HEADER}\n${row('blue', 0, 0)}\n${row('green', 0, 5)}\n`),
    'be',
    slots,
  );
  assert.deepEqual([r.liveSlot, r.reason], [null, 'no server is live']);
});

test('a live server that no slot names → null', () => {
  const r = haproxyLiveSlot(parseServersState(`1\n${HEADER}\n${row('canary', 2, 0)}\n`), 'be', slots);
  assert.equal(r.liveSlot, null);
  assert.match(r.reason ?? '', /canary matches no slot/);
});

test('HAProxy error answers become SlotRouterError with the text', () => {
  assert.throws(
    () => parseServersState("Can't find backend.\n"),
    (e: Error & { error?: { kind: string } }) =>
      e.name === 'SlotRouterError' && e.error?.kind === 'not-found' && /Can't find backend/.test(e.message),
  );
  assert.throws(() => parseServersState('Permission denied\n'), {
    name: 'SlotRouterError',
    message: /Permission denied/,
  });
  assert.throws(() => parseServersState(''), { name: 'SlotRouterError', message: /\(nothing\)/ });
  assert.throws(() => parseServersState('1\nno header\n'), { name: 'SlotRouterError' });
  assert.throws(() => parseServersState(`1\n${HEADER}\n3 be 1 blue 127.0.0.3 x 0\n`), {
    name: 'SlotRouterError',
    message: /malformed/,
  });
});

test('an empty backend → null with reason', () => {
  const r = haproxyLiveSlot(parseServersState(`1\n${HEADER}\n`), 'be', slots);
  assert.deepEqual([r.liveSlot, r.reason], [null, 'backend be has no servers']);
});
