/**
 * The dashboard as an on-call engineer sees it: real `standby serve` on the real lab, in
 * Debian's Chromium. Each scenario breaks one real thing outside Standby and watches the UI.
 */
import { test, expect, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { openLab, type Lab } from '../lab/lab.ts';
import { readE2eState } from './e2e-state.ts';
import { startServe, type ServeProcess } from '../support/serve-process.ts';
import { openConsole } from './open-console.ts';

test.describe.configure({ mode: 'serial' });

let lab: Lab;
let serve: ServeProcess;

const REC = 'app.lab.test';
const exact = (s: string) => new RegExp(`^\\s*${s}\\s*$`, 'i');

test.beforeAll(async () => {
  lab = openLab(readE2eState().dir);
  serve = await startServe(['--workspace', lab.workspacePath, '--port', '0']);
});

test.afterAll(async () => {
  await serve?.stop();
});

async function open(page: Page): Promise<void> {
  await openConsole(page, serve);
  await expect(page.getByTestId('connection-state')).toHaveAttribute('data-state', 'connected', { timeout: 15_000 });
}

test('shows both sites healthy, their live slots, DNS at both providers and the replica streaming', async ({
  page,
}) => {
  await open(page);
  for (const site of ['primary', 'failover']) {
    await expect(page.getByTestId(`site-state-${site}`)).toHaveText(exact('healthy'), { timeout: 15_000 });
    await expect(page.getByTestId(`live-slot-${site}`)).toHaveText(/blue/i);
  }
  await expect(page.getByTestId('db-role-primary')).toHaveText(/primary/i);
  await expect(page.getByTestId('db-role-failover')).toHaveText(/replica/i);
  for (const provider of ['powerdns', 'bind']) {
    const served = page.getByTestId(`dns-served-${REC}-${provider}`);
    await expect(served).toContainText('127.0.0.2');
    await expect(served).toContainText('TTL 30');
  }
  await expect(page.getByTestId(`dns-flags-${REC}`)).not.toContainText('providers-disagree');
  await expect(page.getByTestId('db-node-pg-replica')).toHaveAttribute('data-state', 'ok');
  await expect(page.getByTestId('lag-bytes-pg-replica')).toHaveText(/\d/);
  await page.screenshot({ path: 'test-results/dashboard-healthy.png', fullPage: true });
});

test('stopping the live slot app on the primary site turns the site unhealthy within 3 s', async ({ page }) => {
  await open(page);
  await expect(page.getByTestId('site-state-primary')).toHaveText(exact('healthy'), { timeout: 15_000 });
  const t0 = Date.now();
  await lab.stopProcess('primary-blue');
  try {
    await expect(page.getByTestId('site-state-primary')).toHaveText(exact('unhealthy'), { timeout: 3_000 });
    console.log(`primary site unhealthy in the UI ${Date.now() - t0} ms after the live slot stopped`);
    await expect(page.getByTestId('slot-primary-blue')).toHaveAttribute('data-state', 'unhealthy');
    // the failover site is unaffected
    await expect(page.getByTestId('site-state-failover')).toHaveText(exact('healthy'));
  } finally {
    await lab.startProcess('primary-blue');
  }
  await expect(page.getByTestId('site-state-primary')).toHaveText(exact('healthy'), { timeout: 15_000 });
});

test('changing the record at one provider only raises the drift flag within 3 s', async ({ page }) => {
  await open(page);
  await expect(page.getByTestId(`dns-served-${REC}-powerdns`)).toContainText('127.0.0.2', { timeout: 15_000 });
  const key = readFileSync(lab.ports.PDNS_API_KEY_FILE!, 'utf8').trim();
  const patch = (ip: string) =>
    fetch(`${lab.ports.PDNS_API_URL}/api/v1/servers/localhost/zones/lab.test.`, {
      method: 'PATCH',
      headers: { 'X-API-Key': key, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        rrsets: [
          { name: `${REC}.`, type: 'A', ttl: 30, changetype: 'REPLACE', records: [{ content: ip, disabled: false }] },
        ],
      }),
    });
  const t0 = Date.now();
  expect((await patch('127.0.0.9')).status).toBe(204);
  try {
    await expect(page.getByTestId(`dns-flags-${REC}`)).toContainText('providers-disagree', { timeout: 3_000 });
    console.log(`drift flag shown ${Date.now() - t0} ms after the out-of-band change`);
    await expect(page.getByTestId(`dns-served-${REC}-powerdns`)).toContainText('127.0.0.9');
    await expect(page.getByTestId(`dns-served-${REC}-bind`)).toContainText('127.0.0.2');
  } finally {
    expect((await patch('127.0.0.2')).status).toBe(204);
  }
  await expect(page.getByTestId(`dns-flags-${REC}`)).not.toContainText('providers-disagree', { timeout: 5_000 });
});

test('a paused replica makes lag seconds grow and RPO turn red past the objective', async ({ page }) => {
  await open(page);
  await expect(page.getByTestId('rpo-card')).toHaveAttribute('data-verdict', 'ok', { timeout: 15_000 });
  const password = readFileSync(lab.ports.PG_PASSWORD_FILE!, 'utf8').trim();
  const client = new pg.Client({
    host: '127.0.0.2',
    port: Number(lab.ports.PG_PORT),
    user: 'postgres',
    password,
    database: 'app',
  });
  await client.connect();
  await lab.psql('replica', 'SELECT pg_wal_replay_pause();');
  try {
    // a bounded writer: at most 60 inserts, one every 200 ms (≤ 12 s)
    const deadline = Date.now() + 12_000;
    let verdict = 'ok';
    for (let i = 0; i < 60 && Date.now() < deadline && verdict !== 'breach'; i++) {
      await client.query('INSERT INTO items (name) VALUES ($1)', [`e2e-rpo-${i}`]);
      await new Promise((r) => setTimeout(r, 200));
      verdict = (await page.getByTestId('rpo-card').getAttribute('data-verdict')) ?? '';
    }
    await expect(page.getByTestId('rpo-card')).toHaveAttribute('data-verdict', 'breach', { timeout: 5_000 });
    // the raw value (the text is rounded for reading: 5.2 s shows as "5 s")
    const lagSeconds = await page.getByTestId('lag-seconds-pg-replica').getAttribute('data-value');
    expect(Number.parseFloat(lagSeconds ?? 'NaN')).toBeGreaterThan(5);
  } finally {
    await lab.psql('replica', 'SELECT pg_wal_replay_resume();');
    await client.end();
  }
  await expect(page.getByTestId('rpo-card')).toHaveAttribute('data-verdict', 'ok', { timeout: 15_000 });
});

test('a stopped DNS provider and a stopped SSH host show unknown with the reason while the rest keeps updating', async ({
  page,
}) => {
  await open(page);
  await expect(page.getByTestId('site-state-primary')).toHaveText(exact('healthy'), { timeout: 15_000 });
  await lab.stopProcess('pdns');
  await lab.stopProcess('failover-sshd');
  try {
    await expect(page.getByTestId(`dns-api-${REC}-powerdns`)).toContainText(/unknown/i, { timeout: 8_000 });
    await expect(page.getByTestId(`dns-api-${REC}-powerdns`)).toContainText(/refused|timeout|open/i);
    await expect(page.getByTestId(`dns-served-${REC}-bind`)).toContainText('127.0.0.2');
    await expect(page.getByTestId('live-slot-failover')).toContainText(/unknown/i, { timeout: 8_000 });
    await expect(page.getByTestId('live-slot-primary')).toHaveText(/blue/i);
    // the rest keeps updating: stop the primary's live slot now and watch it turn unhealthy
    await lab.stopProcess('primary-blue');
    await expect(page.getByTestId('site-state-primary')).toHaveText(exact('unhealthy'), { timeout: 3_000 });
    await lab.startProcess('primary-blue');
    await expect(page.getByTestId('site-state-primary')).not.toHaveText(exact('unhealthy'), { timeout: 10_000 });
  } finally {
    await lab.startProcess('primary-blue').catch(() => {});
    await lab.startProcess('pdns');
    await lab.startProcess('failover-sshd');
  }
  await expect(page.getByTestId(`dns-served-${REC}-powerdns`)).toContainText('127.0.0.2', { timeout: 15_000 });
  await expect(page.getByTestId('live-slot-failover')).toHaveText(/blue/i, { timeout: 15_000 });
});

test('after restarting standby serve the lag chart still shows the samples from before', async ({ page }) => {
  await open(page);
  await expect(page.getByTestId('lag-chart')).toHaveAttribute('data-points', /[1-9]/, { timeout: 15_000 });
  // History must be older than one store bucket (6 s for a 1 h window at 600 points): the
  // chart draws a bucket at its newest sample, so a younger history could end up drawn after
  // the restart even though every sample was kept.
  await expect
    .poll(async () => Date.now() - Number(await page.getByTestId('lag-chart').getAttribute('data-oldest')), {
      timeout: 15_000,
    })
    .toBeGreaterThan(8_000);
  const before = Number(await page.getByTestId('lag-chart').getAttribute('data-oldest'));
  const stoppedAt = Date.now();
  await serve.stop();
  serve = await startServe(['--workspace', lab.workspacePath, '--port', '0']);
  await open(page);
  // right after the restart, the chart already reaches back to samples taken before it
  await expect(page.getByTestId('lag-chart')).toHaveAttribute('data-points', /[1-9]/, { timeout: 10_000 });
  const after = Number(await page.getByTestId('lag-chart').getAttribute('data-oldest'));
  expect(after, 'the oldest point drawn after the restart was sampled before it').toBeLessThan(stoppedAt);
  expect(after, 'no older than the oldest point before the restart').toBeGreaterThanOrEqual(before - 6_000);
});

test('the README screenshot: the dashboard on the lab', async ({ page }) => {
  await open(page);
  await expect(page.getByTestId('site-state-primary')).toHaveText(exact('healthy'), { timeout: 15_000 });
  await expect(page.getByTestId('site-state-failover')).toHaveText(exact('healthy'), { timeout: 15_000 });
  await page.waitForTimeout(3000); // a few sparkline points
  await page.screenshot({ path: 'test-results/dashboard.png', fullPage: false });
});
