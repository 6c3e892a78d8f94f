/**
 * Table-driven tamper cases against a signed audit log over a real store: each is either detected
 * by verifyAuditLog (with the store's head and the trusted key, as `standby audit verify` runs it)
 * or is one of the limits `audit verify` prints (auditCannotDetect).
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import type { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import {
  AuditLog,
  auditCannotDetect,
  auditHeadKey,
  auditLogPathFor,
  canonicalJson,
  hashAuditEntry,
  readAuditHead,
  verifyAuditLog,
  type AuditEntry,
} from '../../../electron/core/runbooks/audit-log.ts';
import { loadOrCreateAuditKey, signText, type AuditSigner } from '../../../electron/core/runbooks/audit-key.ts';
import { openStore } from '../../../electron/core/store/open-store.ts';

interface Ctx {
  dir: string;
  storePath: string;
  file: string;
  db: DatabaseSync;
  key: AuditSigner;
  /** The store and file verify() should look at (a case may move or replace them). */
  target: { db: DatabaseSync; file: string };
  lines(): AuditEntry[];
  write(entries: AuditEntry[]): void;
  setHead(db: DatabaseSync, seq: number, hash: string, signedFrom: number | null): void;
}

/** Re-hashes (and re-signs with `signer`, or strips signatures) entries from index `from` on. */
function rechain(entries: AuditEntry[], from: number, signer: AuditSigner | null): AuditEntry[] {
  const out = entries.slice(0, from);
  for (let i = from; i < entries.length; i++) {
    const { hash: _h, sig: _s, key: _k, ...rest } = entries[i]!;
    const base = { ...rest, seq: i + 1, prevHash: i === 0 ? '0'.repeat(64) : out[i - 1]!.hash };
    const withKey = signer ? { ...base, key: signer.publicKey } : base;
    const hash = hashAuditEntry(withKey);
    out.push({ ...withKey, hash, ...(signer ? { sig: signText(signer, hash) } : {}) });
  }
  return out;
}

function setup(): Ctx {
  const dir = mkdtempSync(join(tmpdir(), 'sb-audit-tamper-'));
  const storePath = join(dir, 'ws', 'standby.sqlite');
  mkdirSync(join(dir, 'ws'), { mode: 0o700 });
  const file = auditLogPathFor(storePath);
  const db = openStore(storePath);
  const key = loadOrCreateAuditKey(join(dir, 'keys', 'audit.pem'));
  let t = Date.UTC(2026, 0, 1);
  const log = new AuditLog(file, { db, signer: key, now: () => (t += 1000) });
  for (let i = 1; i <= 6; i++) log.append({ actor: 'alice@ops', action: 'step.finish', details: { i } });
  const ctx: Ctx = {
    dir,
    storePath,
    file,
    db,
    key,
    target: { db, file },
    lines: () =>
      readFileSync(ctx.target.file, 'utf8')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as AuditEntry),
    write: (entries) => writeFileSync(ctx.target.file, entries.map((e) => `${canonicalJson(e)}\n`).join('')),
    setHead: (d, seq, hash, signedFrom) =>
      d
        .prepare('UPDATE audit_head SET seq = ?, hash = ?, signed_from = ? WHERE file = ?')
        .run(seq, hash, signedFrom, auditHeadKey(file)),
  };
  return ctx;
}

interface Case {
  name: string;
  tamper(c: Ctx): void;
  /** Absent: must be detected. Else the printed limit that covers it (verify then says OK). */
  beyond?: keyof typeof auditCannotDetect;
}

const attacker = (c: Ctx): AuditSigner => loadOrCreateAuditKey(join(c.dir, 'attacker', 'key.pem'));

const cases: Case[] = [
  {
    name: '1 edit a detail without re-hashing',
    tamper: (c) => writeFileSync(c.file, readFileSync(c.file, 'utf8').replace('{"i":3}', '{"i":9}')),
  },
  {
    name: '2 edit one entry and re-hash only it',
    tamper: (c) => {
      const e = c.lines();
      e[2] = { ...e[2]!, details: { i: 9 } };
      e[2] = { ...e[2], hash: hashAuditEntry(e[2]) };
      c.write(e);
    },
  },
  {
    name: '3 edit and re-hash the chain from there, keeping the old signatures',
    tamper: (c) => {
      const e = c.lines();
      e[2] = { ...e[2]!, details: { i: 9 } };
      const sigs = e.map((x) => x.sig);
      c.write(rechain(e, 2, null).map((x, i) => ({ ...x, key: c.key.publicKey, sig: sigs[i]! })));
    },
  },
  {
    name: '4 edit, re-hash unsigned from there, update the head (downgrade)',
    tamper: (c) => {
      const e = c.lines();
      e[2] = { ...e[2]!, details: { i: 9 } };
      const r = rechain(e, 2, null);
      c.write(r);
      c.setHead(c.db, 6, r[5]!.hash, 1);
    },
  },
  {
    name: '5 delete a middle entry',
    tamper: (c) => c.write(c.lines().filter((e) => e.seq !== 3)),
  },
  {
    name: '6 swap two entries',
    tamper: (c) => {
      const e = c.lines();
      c.write([e[0]!, e[2]!, e[1]!, ...e.slice(3)]);
    },
  },
  {
    name: '7 truncate the tail (last two entries)',
    tamper: (c) => c.write(c.lines().slice(0, 4)),
  },
  {
    name: '8 cut the last line in half',
    tamper: (c) => truncateSync(c.file, readFileSync(c.file).length - 20),
  },
  {
    name: '9 re-hash the chain after an edit plus append one entry (head untouched)',
    tamper: (c) => {
      const e = c.lines();
      e[3] = { ...e[3]!, actor: 'mallory' };
      const r = rechain([...e, { ...e[5]!, action: 'run.finish' }], 3, null);
      c.write(r);
    },
  },
  {
    name: '10 replace the whole chain (unsigned, same length, head untouched)',
    tamper: (c) =>
      c.write(
        rechain(
          c.lines().map((x) => ({ ...x, actor: 'mallory' })),
          0,
          null,
        ),
      ),
  },
  {
    name: '11 replace the whole chain signed with another key, head updated to match',
    tamper: (c) => {
      const r = rechain(c.lines(), 0, attacker(c));
      c.write(r);
      c.setHead(c.db, 6, r[5]!.hash, 1);
    },
  },
  {
    name: '12 delete the head row (file intact)',
    tamper: (c) => c.db.prepare('DELETE FROM audit_head').run(),
  },
  {
    name: '13 truncate the tail and delete the head row',
    tamper: (c) => {
      c.write(c.lines().slice(0, 3));
      c.db.prepare('DELETE FROM audit_head').run();
    },
  },
  {
    name: '14 fresh store plus a forged file written through Standby with another key',
    tamper: (c) => {
      rmSync(c.file);
      const fresh = openStore(join(c.dir, 'fresh.sqlite'));
      const forged = new AuditLog(c.file, { db: fresh, signer: attacker(c) });
      for (let i = 1; i <= 6; i++) forged.append({ actor: 'mallory', action: 'step.finish', details: { i } });
      c.target = { db: fresh, file: c.file };
    },
  },
  {
    name: '14b fresh store plus a forged log of only unsigned entries (as an old version wrote)',
    beyond: 'unsigned',
    tamper: (c) => {
      rmSync(c.file);
      const fresh = openStore(join(c.dir, 'fresh.sqlite'));
      const forged = new AuditLog(c.file, { db: fresh });
      for (let i = 1; i <= 6; i++) forged.append({ actor: 'mallory', action: 'step.finish', details: { i } });
      c.target = { db: fresh, file: c.file };
    },
  },
  {
    name: '15 copy store and log elsewhere, truncate the copy',
    tamper: (c) => {
      const other = join(c.dir, 'copy');
      mkdirSync(other);
      const store = join(other, 'standby.sqlite');
      c.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
      copyFileSync(c.storePath, store);
      copyFileSync(c.file, auditLogPathFor(store));
      c.target = { db: openStore(store), file: auditLogPathFor(store) };
      c.write(c.lines().slice(0, 5));
    },
  },
  {
    name: '16 append two forged entries past the head',
    tamper: (c) => {
      const e = c.lines();
      c.write(rechain([...e, { ...e[5]! }, { ...e[5]! }], 6, null));
    },
  },
  {
    name: "17 swap one entry's signature for another's",
    tamper: (c) => {
      const e = c.lines();
      e[1] = { ...e[1]!, sig: e[2]!.sig! };
      c.write(e);
    },
  },
  {
    name: '17b flip an unused bit of a signature (base64 that decodes to the same bytes)',
    tamper: (c) => {
      const e = c.lines();
      const sig = e[3]!.sig!;
      const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
      // 64 bytes = 86 significant chars + "==": the 86th char carries 2 bits, its low 4 are unused.
      const forged = `${sig.slice(0, 85)}${abc[abc.indexOf(sig[85]!) ^ 1]}==`;
      assert.notEqual(forged, sig);
      assert.ok(Buffer.from(forged, 'base64').equals(Buffer.from(sig, 'base64')), 'same decoded bytes');
      e[3] = { ...e[3]!, sig: forged };
      c.write(e);
    },
  },
  {
    name: '18 splice in an entry from another signed log',
    tamper: (c) => {
      const e = c.lines();
      const foreign = rechain(e, 0, attacker(c));
      e[4] = foreign[4]!;
      c.write(e);
    },
  },
  {
    name: '19 rewrite by someone holding the signing key, head updated',
    beyond: 'keyHolder',
    tamper: (c) => {
      const r = rechain(
        c.lines().map((x) => ({ ...x, actor: 'mallory' })),
        0,
        c.key,
      );
      c.write(r);
      c.setHead(c.db, 6, r[5]!.hash, 1);
    },
  },
  {
    name: '20 truncate the tail and restore the matching older head',
    beyond: 'together',
    tamper: (c) => {
      const e = c.lines().slice(0, 4);
      c.write(e);
      c.setHead(c.db, 4, e[3]!.hash, 1);
    },
  },
];

for (const k of cases) {
  test(`audit tamper ${k.name}: ${k.beyond ? `beyond verify (${k.beyond})` : 'detected'}`, () => {
    const c = setup();
    try {
      const before = verifyAuditLog(c.file, { head: readAuditHead(c.db, c.file), trustedKey: c.key.publicKey });
      assert.equal(before.ok, true, `untampered log must verify: ${before.problem}`);
      k.tamper(c);
      const r = verifyAuditLog(c.target.file, {
        head: readAuditHead(c.target.db, c.target.file),
        trustedKey: c.key.publicKey,
      });
      if (k.beyond) {
        assert.equal(r.ok, true, 'a listed limit: verify cannot tell');
        if (k.beyond === 'unsigned') assert.match(r.warnings.join('\n'), /no entry is signed|unsigned entries/);
        assert.ok(auditCannotDetect[k.beyond].length > 20);
      } else {
        assert.equal(r.ok, false, `tamper not detected (${k.name})`);
        assert.ok(r.problem && r.problem.length > 10);
      }
    } finally {
      c.db.close();
      if (c.target.db !== c.db) c.target.db.close();
      rmSync(c.dir, { recursive: true, force: true });
    }
  });
}

test('moving the workspace directory still verifies (head keyed by file name)', () => {
  const c = setup();
  try {
    c.db.close();
    const moved = join(c.dir, 'moved');
    mkdirSync(moved);
    copyFileSync(c.storePath, join(moved, 'standby.sqlite'));
    copyFileSync(c.file, auditLogPathFor(join(moved, 'standby.sqlite')));
    const db = openStore(join(moved, 'standby.sqlite'));
    try {
      const file = auditLogPathFor(join(moved, 'standby.sqlite'));
      const r = verifyAuditLog(file, { head: readAuditHead(db, file), trustedKey: c.key.publicKey });
      assert.equal(r.ok, true, r.problem);
      assert.equal(r.signedFrom, 1);
    } finally {
      db.close();
    }
  } finally {
    rmSync(c.dir, { recursive: true, force: true });
  }
});

test('an unsigned older log verifies with "unsigned entries before seq N" once signing starts', () => {
  const c = setup();
  try {
    const dir = mkdtempSync(join(tmpdir(), 'sb-audit-legacy-'));
    const db = openStore(join(dir, 'standby.sqlite'));
    const file = auditLogPathFor(join(dir, 'standby.sqlite'));
    try {
      new AuditLog(file, { db }).append({ actor: 'a', action: 'old' });
      new AuditLog(file, { db }).append({ actor: 'a', action: 'old' });
      new AuditLog(file, { db, signer: c.key }).append({ actor: 'a', action: 'new' });
      const r = verifyAuditLog(file, { head: readAuditHead(db, file), trustedKey: c.key.publicKey });
      assert.equal(r.ok, true, r.problem);
      assert.equal(r.signedFrom, 3);
      assert.ok(r.warnings.some((w) => w.includes('unsigned entries before seq 3')));
      assert.throws(() => new AuditLog(file, { db }).append({ actor: 'a', action: 'x' }), /needs the signing key/);
      const other = loadOrCreateAuditKey(join(dir, 'k2', 'k.pem'));
      assert.throws(() => new AuditLog(file, { db, signer: other }).append({ actor: 'a', action: 'x' }), /restore/);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    c.db.close();
    rmSync(c.dir, { recursive: true, force: true });
  }
});
