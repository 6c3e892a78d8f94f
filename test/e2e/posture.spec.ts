/**
 * DR posture on the dashboard (issue 7, Done when 3) in Chromium against `standby serve`, on a
 * lab of its own (port base 10500; the shared e2e lab is left to the other specs): the overview
 * says *protected*; after a failover (run with `standby run failover --yes`, as another operator
 * would) it says *unprotected* with the reason, the RTO badge says "no standby", and its button
 * opens the plan of the failback runbook; after the failback it says *protected* again.
 */
import { test, expect } from '@playwright/test';
import { startLab, type Lab } from '../lab/lab.ts';
import { startServe, type ServeProcess } from '../support/serve-process.ts';
import { runStandby } from '../support/standby-cli.ts';

test.describe.configure({ mode: 'serial' });

let lab: Lab | undefined;
let serve: ServeProcess | undefined;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  lab = await startLab({ portBase: 10500 });
  serve = await startServe(['--workspace', lab.workspacePath, '--port', '0']);
});
test.afterAll(async () => {
  try {
    await serve?.stop();
  } finally {
    await lab?.stop();
  }
});

test('posture: protected, unprotected after failover with a one-click failback plan, protected after failback', async ({
  page,
}) => {
  test.setTimeout(300_000);
  const ws = lab!.workspacePath;
  await page.goto(serve!.openUrl);
  await expect(page.getByTestId('connection-state')).toHaveAttribute('data-state', 'connected', { timeout: 15_000 });
  const card = page.getByTestId('posture-card');
  await expect(card).toHaveAttribute('data-state', 'protected', { timeout: 20_000 });
  await expect(page.getByTestId('posture-restore')).toHaveCount(0);

  const fo = await runStandby(['run', 'failover', '--workspace', ws, '--yes'], { timeoutMs: 90_000 });
  expect(fo.code, `failover: ${fo.stdout}\n${fo.stderr}`).toBe(0);

  await expect(card).toHaveAttribute('data-state', 'unprotected', { timeout: 30_000 });
  await expect(page.getByTestId('posture-reason')).toContainText(/no replica on standby site primary/);
  await expect(page.getByTestId('rto-verdict')).toHaveText(/no standby/);
  const restore = page.getByTestId('posture-restore');
  await expect(restore).toContainText('failback');
  await restore.click();
  await expect(page.getByTestId('runbook-select')).toHaveValue('failback');
  await expect(page.getByTestId('plan-view')).toBeVisible({ timeout: 30_000 });

  const fb = await runStandby(['run', 'failback', '--workspace', ws, '--yes'], { timeoutMs: 180_000 });
  expect(fb.code, `failback: ${fb.stdout}\n${fb.stderr}`).toBe(0);
  await page.getByTestId('nav-overview').click();
  await expect(card).toHaveAttribute('data-state', 'protected', { timeout: 30_000 });
});
