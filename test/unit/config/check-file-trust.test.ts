/**
 * A workspace, runbook or known_hosts file another local user could have written is refused
 * with an issue naming the file, its mode and the fix: such a user could otherwise choose the
 * commands Standby runs, the steps of a failover, or the host keys it trusts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileTrustProblem } from '../../../electron/core/config/check-file-trust.ts';
import { loadWorkspace } from '../../../electron/core/config/load-workspace.ts';
import { loadRunbook } from '../../../electron/core/runbooks/load-runbook.ts';
import { createStepRegistry } from '../../../electron/core/runbooks/step-registry.ts';
import { SshPool } from '../../../electron/core/ssh/ssh-pool.ts';
import { SshError } from '../../../electron/core/ssh/ssh-error.ts';
import { validWorkspaceYaml } from './valid-workspace.ts';
import { World, fakeApprovalKind, fakeSetKind } from '../runbooks/fakes.ts';

const posix = process.platform !== 'win32';

function withFile(name: string, text: string, mode: number, fn: (file: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'standby-trust-'));
    try {
      const file = join(dir, name);
      writeFileSync(file, text);
      chmodSync(file, mode);
      await fn(file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('group- or world-writable files are refused with their mode and `chmod go-w FILE`', { skip: !posix }, () => {
  for (const mode of [0o664, 0o646, 0o666]) {
    const p = fileTrustProblem('/w/ws.yaml', { mode: 0o100000 | mode, uid: 1000 }, 'workspace', 1000);
    assert.ok(p, mode.toString(8));
    assert.match(
      p.message,
      new RegExp(`workspace file /w/ws\\.yaml is writable by other users \\(mode 0${mode.toString(8)}\\)`),
    );
    assert.equal(p.hint, 'chmod go-w /w/ws.yaml');
  }
  assert.equal(fileTrustProblem('/w/ws.yaml', { mode: 0o100644, uid: 1000 }, 'workspace', 1000), undefined);
  assert.equal(fileTrustProblem('/w/ws.yaml', { mode: 0o100600, uid: 1000 }, 'workspace', 1000), undefined);
});

test('a file owned by another non-root user is refused; root-owned is accepted', { skip: !posix }, () => {
  const other = fileTrustProblem('/w/known_hosts', { mode: 0o100644, uid: 1234 }, 'known_hosts', 1000);
  assert.ok(other);
  assert.match(other.message, /known_hosts file \/w\/known_hosts is owned by another user \(uid 1234/);
  assert.equal(fileTrustProblem('/w/known_hosts', { mode: 0o100644, uid: 0 }, 'known_hosts', 1000), undefined);
});

test(
  'loadWorkspace refuses a world-writable workspace file',
  { skip: !posix },
  withFile('workspace.yaml', validWorkspaceYaml, 0o666, async (file) => {
    const r = await loadWorkspace(file);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.match(r.issues[0]!.message, /workspace file .*workspace\.yaml is writable by other users \(mode 0666\)/);
    assert.equal(r.issues[0]!.hint, `chmod go-w ${file}`);
  }),
);

test(
  'loadWorkspace still accepts the same file at 0644',
  { skip: !posix },
  withFile('workspace.yaml', validWorkspaceYaml, 0o644, async (file) => {
    const r = await loadWorkspace(file);
    assert.equal(r.ok, true);
  }),
);

test(
  'loadRunbook refuses a group-writable runbook file',
  { skip: !posix },
  withFile('rb.yaml', 'version: 1\nname: x\nkind: switchover\nsteps: []\n', 0o664, async (file) => {
    const registry = createStepRegistry([fakeSetKind(new World()), fakeApprovalKind]);
    const r = await loadRunbook(file, registry);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.match(r.issues[0]!.message, /runbook file .*rb\.yaml is writable by other users \(mode 0664\)/);
    assert.equal(r.issues[0]!.hint, `chmod go-w ${file}`);
  }),
);

test(
  'SSH refuses a world-writable known_hosts file before connecting',
  { skip: !posix },
  withFile('known_hosts', '[127.0.0.1]:1 ssh-ed25519 AAAA\n', 0o666, async (file) => {
    const pool = new SshPool({ resolveSecret: async () => 'not a key' });
    try {
      const cfg = {
        host: '127.0.0.1',
        port: 1,
        user: 'ops',
        privateKey: { env: 'NOPE' },
        knownHosts: file,
        connectTimeoutMs: 500,
      };
      await assert.rejects(pool.client(cfg), (e: unknown) => {
        assert.ok(e instanceof SshError);
        assert.equal(e.error.kind, 'invalid-input');
        assert.match(e.message, /known_hosts file .* is writable by other users \(mode 0666\)/);
        assert.equal(e.error.hint, `chmod go-w ${file}`);
        return true;
      });
    } finally {
      await pool.close();
    }
  }),
);
