/**
 * The store holds the run journal and the audit head, the audit log beside it every action: both
 * are private to the user (0600), in a directory Standby makes 0700 when it creates it. An
 * existing directory is never chmod'ed, but one any user may write is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../electron/core/store/open-store.ts';
import { AuditLog } from '../../../electron/core/runbooks/audit-log.ts';

const posix = process.platform !== 'win32';
const modeOf = (p: string) => statSync(p).mode & 0o7777;

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'standby-perm-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a new store is 0600 (with its WAL files) in a 0700 directory Standby created', { skip: !posix }, () =>
  withDir((dir) => {
    const path = join(dir, 'a', 'b', 'standby.sqlite');
    const db = openStore(path);
    db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    assert.equal(modeOf(path), 0o600);
    assert.equal(modeOf(`${path}-wal`), 0o600);
    assert.equal(modeOf(join(dir, 'a', 'b')), 0o700);
    assert.equal(modeOf(join(dir, 'a')), 0o700);
    db.close();
  }),
);

test('an existing store file with a looser mode is tightened to 0600', { skip: !posix }, () =>
  withDir((dir) => {
    const path = join(dir, 'standby.sqlite');
    openStore(path).close();
    chmodSync(path, 0o644);
    writeFileSync(`${path}-wal`, '');
    chmodSync(`${path}-wal`, 0o664);
    const db = openStore(path);
    assert.equal(modeOf(path), 0o600);
    assert.equal(modeOf(`${path}-wal`), 0o600);
    db.close();
  }),
);

test('an existing readable directory is left as the user set it', { skip: !posix }, () =>
  withDir((dir) => {
    const sub = join(dir, 'project');
    mkdirSync(sub);
    chmodSync(sub, 0o755);
    openStore(join(sub, 'standby.sqlite')).close();
    assert.equal(modeOf(sub), 0o755);
  }),
);

test('an existing directory other users may write is refused, not chmod-ed', { skip: !posix }, () =>
  withDir((dir) => {
    const sub = join(dir, 'shared');
    mkdirSync(sub);
    chmodSync(sub, 0o777);
    assert.throws(() => openStore(join(sub, 'standby.sqlite')), /writable by other users \(mode 0777\).*chmod go-w/);
    assert.equal(modeOf(sub), 0o777);
  }),
);

test('the audit log is created 0600 and an older, looser one is tightened', { skip: !posix }, () =>
  withDir((dir) => {
    const file = join(dir, 'audit.jsonl');
    const db = openStore(join(dir, 'standby.sqlite'));
    new AuditLog(file, { db }).append({ actor: 't', action: 'a' });
    assert.equal(modeOf(file), 0o600);
    chmodSync(file, 0o644);
    new AuditLog(file, { db }).append({ actor: 't', action: 'b' });
    assert.equal(modeOf(file), 0o600);
    db.close();
  }),
);
