/**
 * A pooled SSH connection whose host stops answering (frozen, half-open) must not be reused
 * forever: an exec whose channel open gets no answer within its bound drops the connection, and
 * the next exec reconnects. The server is ssh2's own, on 127.0.0.1, told to leave channel opens
 * unanswered.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { AddressInfo } from 'node:net';
import { SshPool } from '../../../electron/core/ssh/ssh-pool.ts';
import { exec } from '../../../electron/core/ssh/ssh-exec.ts';
import type { SshConfig } from '../../../electron/core/config/workspace-schema.ts';

/**
 * An ed25519 key pair ssh2 can read back. ssh2's own generator strips leading zero bytes from
 * the public key, so about 1 pair in 256 is refused by its parser ("Malformed OpenSSH …":
 * mscdex/ssh2 issues #1390, #1513); such a pair is drawn again, at most 20 times.
 */
function readableKeyPair(): { private: string; public: string } {
  for (let attempt = 0; attempt < 20; attempt++) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519');
    const bad = [pair.private, pair.public].some((k) => ssh2.utils.parseKey(k) instanceof Error);
    if (!bad) return pair;
  }
  throw new Error('ssh2 generated 20 unreadable ed25519 key pairs in a row');
}

const hostKey = readableKeyPair();
const userKey = readableKeyPair();
const dir = mkdtempSync(join(tmpdir(), 'sb-frozen-'));
let frozen = false;
let connections = 0;

const server = new ssh2.Server({ hostKeys: [hostKey.private] }, (client) => {
  connections++;
  client.on('error', () => {});
  client.on('authentication', (ctx) => ctx.accept());
  client.on('ready', () => {
    client.on('session', (accept) => {
      if (frozen) return; // never answered: the channel open hangs like on a SIGSTOPped sshd
      const session = accept();
      session.on('exec', (acceptExec) => {
        const stream = acceptExec();
        stream.write('hi\n');
        stream.exit(0);
        stream.end();
      });
    });
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as AddressInfo).port;
const knownHosts = join(dir, 'known_hosts');
writeFileSync(knownHosts, `[127.0.0.1]:${port} ${hostKey.public.split(' ').slice(0, 2).join(' ')}\n`, { mode: 0o600 });
const cfg: SshConfig = {
  host: '127.0.0.1',
  port,
  user: 'standby',
  privateKey: { env: 'UNUSED_IN_THIS_TEST' },
  knownHosts,
  connectTimeoutMs: 2000,
};
const pool = new SshPool({ resolveSecret: async () => userKey.private });

after(async () => {
  await pool.close();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

test('an exec whose channel open is never answered times out in its bound and drops the pooled connection', async () => {
  const ok = await exec(pool, cfg, 'echo hi', { timeoutMs: 2000 });
  assert.equal(ok.stdout, 'hi\n');
  assert.equal(pool.isConnected(cfg), true);
  assert.equal(connections, 1);

  frozen = true;
  const t0 = performance.now();
  await assert.rejects(exec(pool, cfg, 'echo hi', { timeoutMs: 300 }), (e: Error & { error?: { kind: string } }) => {
    assert.equal(e.error?.kind, 'timeout');
    assert.match(e.message, /did not finish within 300 ms/);
    return true;
  });
  const took = performance.now() - t0;
  assert.ok(took < 1500, `bounded by its timeout (${Math.round(took)} ms)`);
  assert.equal(pool.isConnected(cfg), false, 'the frozen connection was dropped from the pool');

  frozen = false;
  const again = await exec(pool, cfg, 'echo hi', { timeoutMs: 2000 });
  assert.equal(again.stdout, 'hi\n');
  assert.equal(connections, 2, 'the next exec reconnected instead of reusing the frozen connection');
});

test('a caller abort before the command is sent keeps a healthy pooled connection', async () => {
  await exec(pool, cfg, 'echo hi', { timeoutMs: 2000 });
  const before = connections;
  const ac = new AbortController();
  ac.abort(new Error('round over'));
  await assert.rejects(exec(pool, cfg, 'echo hi', { signal: ac.signal }), /cancelled: round over/);
  assert.equal(pool.isConnected(cfg), true);
  await exec(pool, cfg, 'echo hi', { timeoutMs: 2000 });
  assert.equal(connections, before, 'no reconnect');
});
