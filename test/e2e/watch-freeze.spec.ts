/**
 * A watch that never sticks, as the operator sees it: in Chromium against `standby serve`, on a
 * lab of its own (port base 10300), with a CPU hog spinning on every core, the failover site's
 * SSH host and PostgreSQL are frozen (SIGSTOP by PID: sshd and its sessions, the postmaster and
 * its backends) for 10 s. The dashboard shows the replica unknown while frozen, and its role
 * again within 3 poll intervals of the thaw — not "previous observation is still running".
 */
import { test, expect } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { readFileSync, readdirSync } from 'node:fs';
import { startLab, type Lab } from '../lab/lab.ts';
import { startServe, type ServeProcess } from '../support/serve-process.ts';

test.describe.configure({ mode: 'serial' });

const FREEZE_MS = 10_000;
let lab: Lab | undefined;
let serve: ServeProcess | undefined;
let pollMs = 1000;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  lab = await startLab({ portBase: 10300 });
  const m = /pollIntervalMs: (\d+)/.exec(readFileSync(lab.workspacePath, 'utf8'));
  expect(m, 'the lab workspace sets pollIntervalMs').not.toBeNull();
  pollMs = Number(m![1]);
  serve = await startServe(['--workspace', lab.workspacePath, '--port', '0']);
});
test.afterAll(async () => {
  try {
    await serve?.stop();
  } finally {
    await lab?.stop();
  }
});

/** `pid` and all its descendants (from /proc), parents first. */
function tree(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parentOf.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* exited meanwhile */
    }
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) for (const [c, p] of parentOf) if (p === out[i]) out.push(c);
  return out;
}

function signalAll(pids: number[], sig: NodeJS.Signals): void {
  for (const p of pids) {
    try {
      process.kill(p, sig);
    } catch {
      /* exited meanwhile */
    }
  }
}

test('frozen failover sshd + PostgreSQL under a CPU hog: the replica shows unknown, then its role within 3 poll intervals of the thaw', async ({
  page,
}) => {
  test.setTimeout(90_000);
  const l = lab!;
  await page.goto(serve!.openUrl);
  await expect(page.getByTestId('connection-state')).toHaveAttribute('data-state', 'connected', { timeout: 15_000 });
  await expect(page.getByTestId('db-role-failover')).toHaveText(/replica/i, { timeout: 15_000 });
  await expect(page.getByTestId('db-node-pg-replica')).toHaveAttribute('data-state', 'ok');

  const code = `const end = Date.now() + 60000; let x = 0; while (Date.now() < end) x++;`;
  const hogs: ChildProcess[] = Array.from({ length: availableParallelism() }, () =>
    spawn(process.execPath, ['-e', code], { stdio: 'ignore' }),
  );
  const frozen: number[] = [];
  try {
    const pids = l.pids();
    for (const name of ['failover-sshd', 'pg-replica']) {
      expect(pids[name], `${name} pid recorded`).toBeTruthy();
      frozen.push(...tree(pids[name]!));
    }
    signalAll(frozen, 'SIGSTOP');
    const frozenAt = Date.now();
    await expect(page.getByTestId('db-node-pg-replica')).toHaveAttribute('data-state', 'unknown', {
      timeout: FREEZE_MS - 1000,
    });
    await expect(page.getByTestId('db-role-failover')).toHaveText(/unknown/i);
    console.log(`replica shown unknown ${Date.now() - frozenAt} ms after the freeze`);
    await page.waitForTimeout(Math.max(0, FREEZE_MS - (Date.now() - frozenAt)));
    signalAll(frozen, 'SIGCONT');
    frozen.length = 0;
    const thawedAt = Date.now();
    await expect(page.getByTestId('db-role-failover')).toHaveText(/replica/i, { timeout: 3 * pollMs });
    await expect(page.getByTestId('db-node-pg-replica')).toHaveAttribute('data-state', 'ok');
    console.log(`replica role shown again ${Date.now() - thawedAt} ms after the thaw (poll ${pollMs} ms)`);
    await page.screenshot({ path: 'test-results/watch-freeze-thawed.png', fullPage: false });
  } finally {
    signalAll(frozen, 'SIGCONT');
    for (const h of hogs) if (h.pid && h.exitCode === null) process.kill(h.pid, 'SIGKILL');
  }
});
