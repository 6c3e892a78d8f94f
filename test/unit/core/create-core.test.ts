import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCore } from '../../../electron/core/create-core.ts';
import { validWorkspaceYaml } from '../config/valid-workspace.ts';

test('the core builds, serves its API without polling, and stops every part once (a second stop shares the first)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-core-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'workspace.yaml');
  writeFileSync(path, validWorkspaceYaml);
  const r = await createCore(path);
  assert.ok(r.ok, r.ok ? '' : r.message);
  const { core } = r;
  const ws = await core.api.getWorkspace({});
  assert.ok(ws.ok);
  assert.deepEqual(
    ws.value.environments.map((e) => e.name),
    ['lab'],
  );
  const snap = await core.api.getSnapshot({ env: 'lab' });
  assert.ok(snap.ok);
  assert.equal(snap.value.databases[0]?.reason, 'not observed yet', 'built, not polled');
  assert.equal((await core.api.getSnapshot({ env: 'nope' })).ok, false);
  const first = core.stop();
  const second = core.stop();
  assert.equal(first, second, 'one stop, shared');
  // closing the store database twice would throw: each part is stopped once
  await first;
});
