/**
 * The run service tells every lock change as `lock-changed` data: its own at once, another
 * process's (the CLI on the same store) and a holder going stale within the watch interval.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../electron/core/store/open-store.ts';
import { EnvLock } from '../../../electron/core/runbooks/env-lock.ts';
import { RunService } from '../../../electron/core/runbooks/run-service.ts';
import type { Workspace } from '../../../electron/core/config/workspace-schema.ts';
import type { LockInfo } from '../../../shared/runs/run-summary.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('lock changes by this process are told at once, those of another process and staleness within the interval', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-lock-watch-'));
  const storePath = join(dir, 'standby.sqlite');
  const db = openStore(storePath);
  const told: LockInfo[] = [];
  const workspace = {
    environments: [{ name: 'lab', objectives: { rtoSeconds: 60, rpoSeconds: 5 } }],
    store: { path: storePath },
  } as unknown as Workspace;
  const runs = new RunService({
    workspace,
    runbooksDir: dir,
    db,
    services: () => undefined,
    snapshot: async () => null,
    latestSnapshot: () => null,
    onEvent: () => {},
    onLockChanged: (l) => told.push(l),
  });
  const otherProcess = new EnvLock(openStore(storePath), { pid: 4242, host: 'other-host' });
  try {
    runs.watchLocks(50);
    runs.locks.acquire('lab', 'run-here');
    assert.equal(told.length, 1, 'told at once');
    assert.equal(told[0]!.runId, 'run-here');
    assert.equal(told[0]!.held, true);
    runs.locks.release('lab', 'run-here');
    assert.equal(told.at(-1)!.held, false);

    otherProcess.acquire('lab', 'run-cli');
    await sleep(200);
    assert.equal(told.at(-1)!.runId, 'run-cli', 'another process took it');
    assert.match(told.at(-1)!.holder ?? '', /^4242@other-host$/);
    const count = told.length;
    await sleep(200);
    assert.equal(told.length, count, 'nothing told while nothing changed');

    otherProcess.release('lab', 'run-cli');
    await sleep(200);
    assert.equal(told.at(-1)!.held, false, 'released by the other process');

    // a console on this host that died holding the lock: stale as soon as it is seen
    const dead = new EnvLock(openStore(storePath), { pid: 999_999, host: hostname() });
    dead.acquire('lab', 'run-of-a-dead-console');
    await sleep(200);
    assert.equal(told.at(-1)!.runId, 'run-of-a-dead-console');
    assert.equal(told.at(-1)!.stale, true);
    assert.match(told.at(-1)!.staleReason ?? '', /pid 999999 is not running/);
  } finally {
    await runs.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
