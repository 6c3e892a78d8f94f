/**
 * A run whose first audit append is refused (damaged log) must not leave a journal row: before,
 * the run row was created first and stayed `running` forever with nothing to resume.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { fakeRunbook, makeHarness, parseParams } from './fakes.ts';

test('a refused first audit append leaves no run (none `running`) and frees the environment', async () => {
  const h = makeHarness();
  try {
    const p = await h.engine.planRun(parseParams(fakeRunbook([{}]), h.registry), 'lab');
    assert.equal(p.ok, true);
    if (!p.ok) return;
    // A partial last line: AuditLog.append refuses to continue a damaged chain.
    writeFileSync(h.audit.file, '{"seq":1,"partial');
    let refused: unknown = null;
    try {
      const r = await h.engine.executeRun(p.value, { confirmedEnvName: 'lab' });
      if (!r.ok) refused = r.error;
    } catch (e) {
      refused = e;
    }
    assert.ok(refused, 'the run must be refused when its start cannot be audited');
    assert.match(String((refused as Error).message), /partial entry|audit/);
    assert.deepEqual(
      h.journal.listRuns().map((r) => r.status),
      [],
      'no journal row for a run whose start was not audited',
    );
    assert.equal(h.locks.inspect('lab'), null, 'the environment lock is released');
  } finally {
    h.close();
  }
});
