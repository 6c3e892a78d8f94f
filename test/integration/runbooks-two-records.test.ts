/**
 * Issue 7, Done when 6 on the REAL lab (port base 8300): a failback that moves TWO records with
 * one `dns.set-ttl` and one `dns.set-records` step waits out the old TTL ONCE, not once per record.
 *
 * The lab workspace gets a second record `api.lab.test` (same site values as app.lab.test). A
 * first run points both records at the failover site with TTL 8 s — creating api.lab.test at
 * PowerDNS (HTTP API) and BIND (RFC 2136) — as after a failover. The failback-dns runbook then
 * lowers both TTLs to 2 s (one drain of 8 s) and points both back at the primary site. Checked:
 * the lower-ttl step took < 1.5 × 8 s + slack (two drains would take ≥ 16 s), both records are
 * served at both providers afterwards (dig), and the measured recovery's audit evidence names
 * both records and every provider's nameserver.
 *
 * Not the lab's full failback (database steps): the DNS steps are what changed, and a DB-less
 * runbook keeps the measured time to the drain (a 2-core shared machine).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labAvailable, startLab, type Lab } from '../lab/lab.ts';
import { createCore, type Core } from '../../electron/core/create-core.ts';
import { runUntilStopped } from '../../electron/core/runbooks/run-until-stopped.ts';
import { auditLogPathFor } from '../../electron/core/runbooks/audit-log.ts';
import type { RunDetail } from '../../shared/runs/run-summary.ts';
import { digA, labNameserverPorts, pollUntil } from '../support/outside-checks.ts';

const PORT_BASE = 8300;
const available = labAvailable();
if (!available.ok) console.log(`# skipping runbooks-two-records: ${available.reason}`);
const skip = available.ok ? false : `lab not available: ${available.reason}`;

/** TTL the records have before the failback, s: the drain the failback must wait once. */
const OLD_TTL = 8;
/** Allowed on top of one drain for writes, nameserver polling and step overhead, ms. */
const SLACK_MS = 3_000;
const RECORDS = ['app.lab.test', 'api.lab.test'];

let lab: Lab | undefined;
let core: Core | undefined;

before(async () => {
  if (skip) return;
  lab = await startLab({ portBase: PORT_BASE });
  console.log(`# lab up in ${Math.round(lab.upMs)} ms (${lab.dir})`);
  const ws = readFileSync(lab.workspacePath, 'utf8');
  const anchor = '        failoverTtlSeconds: 5\n    databases:';
  assert.ok(ws.includes(anchor), 'the lab workspace has the records section this test extends');
  writeFileSync(
    lab.workspacePath,
    ws.replace(
      anchor,
      `        failoverTtlSeconds: 5
      - name: api.lab.test
        type: A
        values: { primary: 127.0.0.2, failover: 127.0.0.3 }
        ttlSeconds: 30
        failoverTtlSeconds: 5
    databases:`,
    ),
  );
  const list = `[${RECORDS.join(', ')}]`;
  writeFileSync(
    join(lab.dir, 'runbooks', 'two-records-out.yaml'),
    `version: 1
name: two-records-out
kind: custom
description: test — both records to the failover site with a ${OLD_TTL} s TTL (creates api.lab.test at both providers)
steps:
  - id: point-out
    kind: dns.set-records
    params: { records: ${list}, site: failover, ttlSeconds: ${OLD_TTL} }
`,
  );
  writeFileSync(
    join(lab.dir, 'runbooks', 'failback-dns.yaml'),
    `version: 1
name: failback-dns
kind: custom
description: test — the DNS half of a failback, two records in each step
steps:
  - id: lower-ttl
    kind: dns.set-ttl
    params: { records: ${list}, ttlSeconds: 2 }
  - id: point-back
    kind: dns.set-records
    params: { records: ${list}, site: primary, ttlSeconds: 30 }
`,
  );
  const created = await createCore(lab.workspacePath);
  if (!created.ok) throw new Error(created.message);
  core = created.core;
  core.start();
});

after(async () => {
  try {
    await core?.stop();
  } finally {
    await lab?.stop();
  }
});

/** Plans and runs `runbook` to its end; returns the run's detail. */
async function runToEnd(runbook: string): Promise<RunDetail> {
  const plan = await core!.api.planRun({ env: 'lab', runbook });
  assert.ok(plan.ok, plan.ok ? '' : plan.error.message);
  assert.deepEqual(plan.value.blocking, [], `${runbook} is not refused: ${JSON.stringify(plan.value.blocking)}`);
  const run = await runUntilStopped(core!, () =>
    core!.api.executeRun({ planId: plan.value.planId, confirmation: 'lab' }),
  );
  assert.ok(run.ok, run.ok ? '' : run.error.message);
  const d = await core!.api.getRun({ runId: run.value.runId });
  assert.ok(d.ok, d.ok ? '' : d.error.message);
  assert.equal(
    run.value.status,
    'succeeded',
    `${runbook}: ${run.value.status} ${run.value.detail ?? ''}\n${JSON.stringify(d.value.steps.map((s) => [s.id, s.state, s.error?.message ?? s.evidence]))}`,
  );
  return d.value;
}

test(
  'a failback moving two records drains the old TTL once, serves both at both providers, and measures recovery for both everywhere',
  { skip, timeout: 120_000 },
  async () => {
    const ns = labNameserverPorts(lab!);
    await runToEnd('two-records-out');
    for (const [name, port] of Object.entries(ns))
      for (const r of RECORDS) assert.deepEqual(await digA(port, r), ['127.0.0.3'], `${name} serves ${r} → failover`);

    const d = await runToEnd('failback-dns');
    const lower = d.steps.find((s) => s.id === 'lower-ttl')!;
    const limit = 1.5 * OLD_TTL * 1000 + SLACK_MS;
    console.log(
      `# lower-ttl for ${RECORDS.length} records took ${lower.durationMs} ms (old TTL ${OLD_TTL} s; one drain ≥ ${OLD_TTL * 1000} ms, limit ${limit} ms, two drains ≥ ${2 * OLD_TTL * 1000} ms); whole failback ${d.durationMs} ms`,
    );
    assert.ok(lower.durationMs !== null && lower.durationMs >= OLD_TTL * 1000, 'the old TTL was waited out');
    assert.ok(lower.durationMs < limit, `one drain, not one per record: ${lower.durationMs} ms ≥ ${limit} ms`);
    const logs = lower.logs.map((l) => l.message).join('\n');
    assert.match(logs, /, once for all 2 records/, logs);
    for (const port of Object.values(ns)) assert.match(logs, new RegExp(`127\\.0\\.0\\.1:${port}`), logs);

    for (const [name, port] of Object.entries(ns))
      for (const r of RECORDS) assert.deepEqual(await digA(port, r), ['127.0.0.2'], `${name} serves ${r} → primary`);

    const measured = await pollUntil(
      async () => {
        const x = await core!.api.getRun({ runId: d.runId });
        return x.ok && x.value.recoveryMs !== null ? x.value : null;
      },
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    assert.ok(measured, 'the recovery time is measured');
    const entries = readFileSync(auditLogPathFor(core!.workspace.store.path), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; details: Record<string, unknown> });
    const rec = entries.filter((e) => e.action === 'run.recovery' && e.details.runId === d.runId);
    assert.equal(rec.length, 1, 'one run.recovery audit entry');
    const evidence = String(rec[0]!.details.evidence);
    console.log(`# recovery ${measured.recoveryMs} ms; evidence: ${evidence}`);
    assert.deepEqual(rec[0]!.details.records, RECORDS);
    for (const r of RECORDS) assert.match(evidence, new RegExp(`${r.replace(/\./g, '\\.')} A → 127\\.0\\.0\\.2`));
    for (const port of Object.values(ns))
      assert.equal(
        evidence.split(`127.0.0.1:${port}`).length - 1,
        RECORDS.length,
        `nameserver port ${port} checked for each record`,
      );
  },
);
