/**
 * HAProxy switch commands without HAProxy: the runtime API command line, and — with the local
 * /bin/sh and a fake `socat` on PATH — the state-persisting script (temp file + rename, refuses
 * to overwrite the state file with anything but a version 1 state).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  HAPROXY_NAME,
  haproxyApiCommand,
  haproxyPersistStateCommand,
} from '../../../electron/core/traffic/routers/haproxy.ts';

test('runtime API command: quoted for the shell, one command per call', () => {
  assert.equal(
    haproxyApiCommand('/run/haproxy/admin.sock', 'set server be/green state ready'),
    `printf '%s\\n' 'set server be/green state ready' | socat -t 2 - UNIX-CONNECT:/run/haproxy/admin.sock`,
  );
  assert.match(
    haproxyApiCommand('/tmp/a b', "x'y"),
    /printf '%s\\n' 'x'\\''y' \| socat -t 2 - 'UNIX-CONNECT:\/tmp\/a b'$/,
  );
});

test('server names: HAProxy characters only', () => {
  for (const ok of ['blue', 'green-2', 'app_1.v2:x']) assert.ok(HAPROXY_NAME.test(ok), ok);
  for (const bad of ['a b', 'a;b', 'a/b', '']) assert.ok(!HAPROXY_NAME.test(bad), bad);
});

const dir = mkdtempSync(join(tmpdir(), 'standby-haproxy-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const state = join(dir, 'server-state');
// fake socat: prints what ANSWER holds (HAProxy's answer to "show servers state")
writeFileSync(join(dir, 'socat'), `#!/bin/sh\ncat > /dev/null\ncat "$ANSWER"\n`);
chmodSync(join(dir, 'socat'), 0o755);

function persist(answer: string): { status: number | null; stderr: string } {
  writeFileSync(join(dir, 'answer'), answer);
  const r = spawnSync('/bin/sh', ['-c', haproxyPersistStateCommand(join(dir, 'admin.sock'), state)], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, ANSWER: join(dir, 'answer') },
  });
  return { status: r.status, stderr: r.stderr };
}

test('persist: a version 1 state replaces the file; anything else leaves the old file and says why', () => {
  const good =
    '1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state\n3 be 1 blue 127.0.0.3 0 1\n3 be 2 green 127.0.0.3 2 4\n';
  assert.equal(persist(good).status, 0);
  assert.equal(readFileSync(state, 'utf8'), good);
  const bad = persist('Permission denied\n');
  assert.equal(bad.status, 6);
  assert.match(bad.stderr, /Permission denied/);
  assert.equal(readFileSync(state, 'utf8'), good, 'old state kept');
  assert.ok(!existsSync(`${state}.standby-tmp`));
});
