/**
 * Migration 5: a store whose audit head was keyed by the log's absolute path (migrations 1–4) is
 * re-keyed by file name and gains `signed_from`; its unsigned log still verifies (with a warning)
 * and signing starts at the next append ("unsigned entries before seq N").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openStore, storeMigrations } from '../../../electron/core/store/open-store.ts';
import { AuditLog, auditLogPathFor, readAuditHead, verifyAuditLog } from '../../../electron/core/runbooks/audit-log.ts';
import { loadOrCreateAuditKey } from '../../../electron/core/runbooks/audit-key.ts';

test('migration 5 re-keys the audit head by file name; an old unsigned log verifies, then gets signed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-migrate-audit-'));
  try {
    const path = join(dir, 'standby.sqlite');
    const file = auditLogPathFor(path);
    const old = new DatabaseSync(path);
    old.exec('PRAGMA journal_mode = WAL');
    old.exec('CREATE TABLE schema_migrations (id INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    for (const m of storeMigrations.filter((x) => x.id <= 4)) {
      old.exec(m.sql);
      old.prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)').run(m.id, 1);
    }
    // The old writer: unsigned entries, head under the absolute path.
    const log = new AuditLog(file);
    log.append({ actor: 'a', action: 'run.start' });
    const last = log.append({ actor: 'a', action: 'run.finish' });
    old.prepare('INSERT INTO audit_head (file, seq, hash) VALUES (?, ?, ?)').run(file, last.seq, last.hash);
    old.close();

    const db = openStore(path);
    try {
      assert.deepEqual(
        db
          .prepare('SELECT file, seq, signed_from FROM audit_head')
          .all()
          .map((r) => ({ ...r })),
        [{ file: 'standby.sqlite.audit.jsonl', seq: 2, signed_from: null }],
      );
      const before = verifyAuditLog(file, { head: readAuditHead(db, file) });
      assert.equal(before.ok, true, before.problem);
      assert.match(before.warnings.join('\n'), /no entry is signed/);

      const key = loadOrCreateAuditKey(join(dir, 'keys', 'audit.pem'));
      new AuditLog(file, { db, signer: key }).append({ actor: 'a', action: 'run.start' });
      const after = verifyAuditLog(file, { head: readAuditHead(db, file), trustedKey: key.publicKey });
      assert.equal(after.ok, true, after.problem);
      assert.equal(after.signedFrom, 3);
      assert.match(after.warnings.join('\n'), /unsigned entries before seq 3/);
      assert.equal(readAuditHead(db, file)?.signedFrom, 3);
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
