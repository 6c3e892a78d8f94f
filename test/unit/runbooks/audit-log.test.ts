import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../electron/core/store/open-store.ts';
import {
  AuditLog,
  auditLogPathFor,
  canonicalJson,
  genesisHash,
  hashAuditEntry,
  readAuditHead,
  verifyAuditLog,
} from '../../../electron/core/runbooks/audit-log.ts';

/** A store + audit file with `n` entries; returns paths and the original bytes. */
function setup(n: number) {
  const dir = mkdtempSync(join(tmpdir(), 'sb-audit-'));
  const store = join(dir, 'standby.sqlite');
  const db = openStore(store);
  const file = auditLogPathFor(store);
  let t = Date.UTC(2025, 0, 1);
  const log = new AuditLog(file, { db, now: () => (t += 1000) });
  for (let i = 0; i < n; i++)
    log.append({
      actor: 'alice@ops',
      action: i % 2 ? 'step.finish' : 'run.start',
      details: { runId: 'r1', i, note: 'ünïcode ✓', nested: { b: 1, a: [1, 'x'] } },
    });
  return {
    dir,
    db,
    file,
    log,
    bytes: readFileSync(file),
    close: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('a fresh log verifies; entries chain from the genesis hash, one canonical line each', () => {
  const s = setup(5);
  try {
    const r = verifyAuditLog(s.file, { head: readAuditHead(s.db, s.file) });
    assert.deepEqual({ ok: r.ok, entries: r.entries }, { ok: true, entries: 5 });
    const lines = s.bytes
      .toString('utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(lines[0].prevHash, genesisHash);
    assert.equal(lines[1].prevHash, lines[0].hash);
    assert.equal(lines[4].seq, 5);
    const { hash, ...rest } = lines[2];
    assert.equal(hashAuditEntry(rest), hash);
    assert.equal(canonicalJson(lines[2]), s.bytes.toString('utf8').split('\n')[2]);
    assert.deepEqual(readAuditHead(s.db, s.file), { seq: 5, hash: lines[4].hash, signedFrom: null });
  } finally {
    s.close();
  }
});

test('flipping any single byte is detected (every position of two lines, plus spots across the file)', () => {
  const s = setup(4);
  try {
    const lineBreaks = [...s.bytes.entries()].filter(([, b]) => b === 0x0a).map(([i]) => i);
    const positions = new Set<number>();
    for (let i = 0; i <= lineBreaks[1]!; i++) positions.add(i); // all of lines 1 and 2, newlines included
    for (let i = 0; i < s.bytes.length; i += 7) positions.add(i);
    positions.add(s.bytes.length - 1);
    for (const pos of positions) {
      for (const flip of [0x01, 0x20, 0x80]) {
        const copy = Buffer.from(s.bytes);
        copy[pos] = copy[pos]! ^ flip;
        writeFileSync(s.file, copy);
        const r = verifyAuditLog(s.file, { head: readAuditHead(s.db, s.file) });
        assert.equal(r.ok, false, `byte ${pos} ^ 0x${flip.toString(16)} went unnoticed`);
        assert.ok(r.firstBadSeq !== undefined && r.problem);
      }
    }
  } finally {
    s.close();
  }
});

test('deleting an entry (first, middle, or last — the last via the store head) is detected', () => {
  const s = setup(5);
  try {
    const lines = s.bytes.toString('utf8').split('\n').slice(0, -1);
    const without = (i: number) =>
      lines
        .filter((_, j) => j !== i)
        .map((l) => `${l}\n`)
        .join('');
    for (const [i, expectBad] of [
      [0, 1],
      [2, 3],
    ] as const) {
      writeFileSync(s.file, without(i));
      const r = verifyAuditLog(s.file);
      assert.equal(r.ok, false, `deleting entry ${i + 1}`);
      assert.equal(r.firstBadSeq, expectBad);
    }
    writeFileSync(s.file, without(4));
    assert.equal(verifyAuditLog(s.file).ok, true, 'a bare hash chain cannot see a deleted tail…');
    const r = verifyAuditLog(s.file, { head: readAuditHead(s.db, s.file) });
    assert.equal(r.ok, false, '…the head kept in the store can');
    assert.match(r.problem!, /last entries deleted/);
    assert.throws(
      () => s.log.append({ actor: 'a', action: 'x' }),
      /entries were deleted/,
      'the chain is not continued on a truncated log',
    );
  } finally {
    s.close();
  }
});

test('reordering two entries is detected at the first moved one', () => {
  const s = setup(5);
  try {
    const lines = s.bytes.toString('utf8').split('\n').slice(0, -1);
    [lines[1], lines[3]] = [lines[3]!, lines[1]!];
    writeFileSync(s.file, lines.map((l) => `${l}\n`).join(''));
    const r = verifyAuditLog(s.file);
    assert.equal(r.ok, false);
    assert.equal(r.firstBadSeq, 2);
    assert.match(r.problem!, /reordered/);
  } finally {
    s.close();
  }
});

test('a re-hashed edit breaks the chain; a partial last line refuses appends; a new instance continues the chain', () => {
  const s = setup(3);
  try {
    const lines = s.bytes
      .toString('utf8')
      .split('\n')
      .slice(0, -1)
      .map((l) => JSON.parse(l));
    lines[1].actor = 'mallory';
    const { hash: _h, ...rest } = lines[1];
    lines[1].hash = hashAuditEntry(rest);
    writeFileSync(s.file, lines.map((l) => `${canonicalJson(l)}\n`).join(''));
    const r = verifyAuditLog(s.file);
    assert.equal(r.ok, false);
    assert.equal(r.firstBadSeq, 3, 'entry 3 no longer chains to the rewritten entry 2');

    writeFileSync(s.file, s.bytes);
    const again = new AuditLog(s.file, { db: s.db });
    assert.equal(again.append({ actor: 'bob', action: 'lock.break', details: { reason: 'stale lock' } }).seq, 4);
    assert.equal(verifyAuditLog(s.file, { head: readAuditHead(s.db, s.file) }).entries, 4);

    appendFileSync(s.file, '{"seq":5');
    assert.equal(verifyAuditLog(s.file).ok, false);
    assert.throws(() => again.append({ actor: 'bob', action: 'x' }), /partial entry/);
  } finally {
    s.close();
  }
});

test('a missing file does not verify; an empty one verifies with 0 entries', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-audit-'));
  try {
    assert.equal(verifyAuditLog(join(dir, 'none.jsonl')).ok, false);
    writeFileSync(join(dir, 'empty.jsonl'), '');
    assert.deepEqual(verifyAuditLog(join(dir, 'empty.jsonl')), {
      ok: true,
      entries: 0,
      lastHash: genesisHash,
      warnings: [],
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
