/**
 * Click-to-failover as an on-call engineer does it, in Chromium against `standby serve` on the
 * real lab: pick the runbook, read the plan (changes and safety verdicts), type the
 * environment's name, run, watch every step verify — then check the result OUTSIDE Standby
 * (dig at both providers, psql, an HTTP client that resolves through a provider's nameserver).
 * Runs after dashboard.spec.ts (files run in order, one worker): it leaves the lab failed over.
 */
import { test, expect } from '@playwright/test';
import { Resolver } from 'node:dns/promises';
import { openLab, type Lab } from '../lab/lab.ts';
import { readE2eState } from './e2e-state.ts';
import { startServe, type ServeProcess } from '../support/serve-process.ts';
import { awaitBothServe } from './served-answers.ts';

test.describe.configure({ mode: 'serial' });

let lab: Lab;
let serve: ServeProcess;

test.beforeAll(async () => {
  lab = openLab(readE2eState().dir);
  serve = await startServe(['--workspace', lab.workspacePath, '--port', '0']);
});
test.afterAll(async () => {
  await serve?.stop();
});

test('click-to-failover: plan, confirm by typing the environment, every step verified; the world agrees outside Standby', async ({
  page,
}) => {
  await page.goto(serve.openUrl);
  await expect(page.getByTestId('connection-state')).toHaveAttribute('data-state', 'connected', { timeout: 15_000 });
  await expect(page.getByTestId('site-state-failover')).toHaveText(/^\s*healthy\s*$/i, { timeout: 15_000 });
  await page.getByTestId('nav-runbooks').click();
  await page.getByTestId('runbook-select').selectOption('failover');
  await page.getByTestId('plan-button').click();

  // the plan shows the changes: DNS per provider, the promotion, and each rule's verdict
  await expect(page.getByTestId('plan-step-point-dns-at-failover')).toContainText('127.0.0.3', { timeout: 15_000 });
  await expect(page.getByTestId('plan-step-point-dns-at-failover')).toContainText('powerdns');
  await expect(page.getByTestId('plan-step-point-dns-at-failover')).toContainText('bind');
  await expect(page.getByTestId('plan-commands-promote-replica')).toContainText('pg_promote');
  for (const rule of [
    'record-points-at-healthy-site',
    'fence-before-promote',
    'lag-within-rpo',
    'target-healthy-before-traffic',
  ]) {
    await expect(page.getByTestId(`rule-${rule}`)).toHaveAttribute('data-verdict', 'pass');
  }

  // confirm by typing the environment's name: the button stays disabled until it matches
  await expect(page.getByTestId('run-button')).toBeDisabled();
  await page.getByTestId('confirm-input').fill('la');
  await expect(page.getByTestId('run-button')).toBeDisabled();
  await page.getByTestId('confirm-input').fill('lab');
  await expect(page.getByTestId('run-button')).toBeEnabled();
  const t0 = Date.now();
  await page.getByTestId('run-button').click();

  // outside Standby: both providers' nameservers answer 127.0.0.3 within 10 s
  const { served, ms: dnsMs } = await awaitBothServe(lab, '127.0.0.3', t0);
  console.log(`both providers serve 127.0.0.3 ${dnsMs} ms after Run was clicked`);
  expect(served).toEqual(['127.0.0.3', '127.0.0.3']);
  expect(dnsMs).toBeLessThan(10_000);

  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'succeeded', { timeout: 10_000 });
  for (const id of ['gate-failover-site', 'fence-old-primary', 'promote-replica', 'point-dns-at-failover']) {
    await expect(page.getByTestId(`timeline-step-${id}`)).toHaveAttribute('data-state', 'verified');
    await expect(page.getByTestId(`step-duration-${id}`)).toHaveText(/\d+(\.\d+)?\s*(ms|s)/);
  }
  // the measured recovery time is shown beside the RTO objective
  await expect(page.getByTestId('recovery-time')).toContainText(/of 60 s RTO/, { timeout: 10_000 });
  // the history and the lock catch up (debounced), so the screenshot shows the settled result
  await expect(page.getByTestId('run-history')).toContainText('succeeded', { timeout: 5_000 });
  await page.screenshot({ path: 'test-results/failover-done.png', fullPage: false });

  // the former replica is out of recovery and accepts a write; the old primary is fenced
  expect(await lab.psql('replica', 'SELECT pg_is_in_recovery()')).toBe('f');
  expect(
    await lab.psql(
      'replica',
      "CREATE TABLE IF NOT EXISTS e2e_after_failover (at timestamptz); INSERT INTO e2e_after_failover VALUES (now()) RETURNING 'written'",
    ),
  ).toContain('written');
  await expect(lab.psql('primary', 'SELECT 1')).rejects.toThrow();

  // an HTTP client resolving the name through a provider's nameserver reaches the failover site
  const resolver = new Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([`127.0.0.1:${lab.ports.BIND_DNS_PORT}`]);
  const [address] = await resolver.resolve4('app.lab.test');
  const res = await fetch(`http://${address}:${lab.ports.ROUTER_PORT}/health`);
  const body = (await res.json()) as { site: string };
  expect(res.status).toBe(200);
  expect(body.site).toBe('failover');

  // the run history lists it with its measured recovery time
  await expect(page.getByTestId('run-history')).toContainText('failover');
});
