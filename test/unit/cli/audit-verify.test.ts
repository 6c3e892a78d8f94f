/**
 * `standby audit verify` as a process, on a workspace of its own (no lab): what it prints (what
 * it checked, what it cannot prove) and its exit codes: 0 intact, 1 broken, 2 bad key/workspace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT_CODES } from '../../../electron/cli/exit-codes.ts';
import { AuditLog, auditCannotDetect, auditLogPathFor } from '../../../electron/core/runbooks/audit-log.ts';
import { loadOrCreateAuditKey } from '../../../electron/core/runbooks/audit-key.ts';
import { openStore } from '../../../electron/core/store/open-store.ts';
import { validWorkspaceYaml } from '../config/valid-workspace.ts';

const entry = fileURLToPath(new URL('../../../electron/cli/standby.ts', import.meta.url));

/** A workspace whose store holds a 4-entry log signed with the key at `<dir>/keys/audit.pem`. */
function workspace(): { dir: string; keyPath: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sb-audit-cli-'));
  writeFileSync(join(dir, 'workspace.yaml'), validWorkspaceYaml);
  mkdirSync(join(dir, '.standby'), { mode: 0o700 });
  const storePath = join(dir, '.standby', 'standby.sqlite');
  const keyPath = join(dir, 'keys', 'audit.pem');
  const db = openStore(storePath);
  try {
    const log = new AuditLog(auditLogPathFor(storePath), { db, signer: loadOrCreateAuditKey(keyPath) });
    for (let i = 1; i <= 4; i++) log.append({ actor: 'alice@ops', action: 'step.finish', details: { i } });
  } finally {
    db.close();
  }
  return { dir, keyPath, file: auditLogPathFor(storePath) };
}

function verify(dir: string, keyPath: string, extra: string[] = []) {
  const r = spawnSync(
    process.execPath,
    [
      '--disable-warning=ExperimentalWarning',
      entry,
      'audit',
      'verify',
      '--workspace',
      join(dir, 'workspace.yaml'),
      ...extra,
    ],
    { encoding: 'utf8', timeout: 60_000, env: { ...process.env, STANDBY_AUDIT_KEY: keyPath } },
  );
  return { code: r.status, out: r.stdout + r.stderr };
}

test('audit verify: an intact signed log exits 0 and says what it checked and cannot prove', () => {
  const w = workspace();
  try {
    const r = verify(w.dir, w.keyPath);
    assert.equal(r.code, EXIT_CODES.ok, r.out);
    assert.match(r.out, /: OK, 4 entries/);
    assert.match(r.out, /Ed25519 signatures of entries 1\.\.4 by key \S+ \(trusted: the signing key file /);
    assert.match(r.out, /the store's head: seq 4, hash [0-9a-f]{16}…, signed from seq 1/);
    assert.ok(r.out.includes(auditCannotDetect.keyHolder), r.out);
    assert.ok(r.out.includes(auditCannotDetect.together), r.out);
    assert.ok(!r.out.includes(auditCannotDetect.otherKey), 'the key is pinned by the key file');
  } finally {
    rmSync(w.dir, { recursive: true, force: true });
  }
});

test('audit verify: without the key file it still verifies, warns, and lists re-signing with another key', () => {
  const w = workspace();
  try {
    const r = verify(w.dir, join(w.dir, 'no-such-key.pem'));
    assert.equal(r.code, EXIT_CODES.ok, r.out);
    assert.match(r.out, /warning: no signing key file at .*no-such-key\.pem/);
    assert.ok(r.out.includes(auditCannotDetect.otherKey), r.out);
  } finally {
    rmSync(w.dir, { recursive: true, force: true });
  }
});

test('audit verify: an edited entry exits 1 with BROKEN and the entry', () => {
  const w = workspace();
  try {
    writeFileSync(w.file, readFileSync(w.file, 'utf8').replace('{"i":2}', '{"i":7}'));
    const r = verify(w.dir, w.keyPath);
    assert.equal(r.code, EXIT_CODES.failed, r.out);
    assert.match(r.out, /BROKEN at entry 2: entry 2: hash does not match its content/);
  } finally {
    rmSync(w.dir, { recursive: true, force: true });
  }
});

test('audit verify --public-key: another key exits 1; a non-key exits 2 with how to fix', () => {
  const w = workspace();
  try {
    const other = loadOrCreateAuditKey(join(w.dir, 'other', 'k.pem'));
    const r = verify(w.dir, w.keyPath, ['--public-key', other.publicKey]);
    assert.equal(r.code, EXIT_CODES.failed, r.out);
    assert.match(r.out, /not the trusted key/);
    const own = loadOrCreateAuditKey(w.keyPath);
    assert.equal(verify(w.dir, join(w.dir, 'none.pem'), ['--public-key', own.publicKey]).code, EXIT_CODES.ok);
    const bad = verify(w.dir, w.keyPath, ['--public-key', 'not-a-key']);
    assert.equal(bad.code, EXIT_CODES.usage, bad.out);
    assert.match(bad.out, /not an Ed25519 public key/);
  } finally {
    rmSync(w.dir, { recursive: true, force: true });
  }
});
