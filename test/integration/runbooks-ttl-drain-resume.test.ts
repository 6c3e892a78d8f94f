/**
 * Issue 6, Done when 6 on the REAL lab (port base 19300): a console killed during a
 * `dns.set-ttl` drain and restarted resumes the countdown from the journal.
 *
 * `standby run ttl-drain` first sets app.lab.test to TTL 24 s (the workspace's normal TTL stays
 * 30 s), then lowers it to 2 s at both providers and waits out the old 24 s. The process is
 * SIGKILLed by PID a few seconds into that wait; `standby resume RUN` in a new process must wait
 * only what is left of the drain (the deadline the step wrote to the journal before its
 * countdown began) — not a fresh 24 s drain, nor the 30 s a step that forgot when the TTL was
 * lowered would owe — and finish with TTL 2 s served by both nameservers (checked with dig).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labAvailable, startLab, type Lab } from '../lab/lab.ts';
import { RunJournal } from '../../electron/core/runbooks/run-journal.ts';
import { openStore } from '../../electron/core/store/open-store.ts';
import { runIdFrom, runStandby, spawnStandby } from '../support/standby-cli.ts';
import { labNameserverPorts, sleep } from '../support/outside-checks.ts';

const PORT_BASE = 19300; // below the ephemeral port range (32768+)
const available = labAvailable();
if (!available.ok) console.log(`# skipping runbooks-ttl-drain-resume: ${available.reason}`);
const skip = available.ok ? false : `lab not available: ${available.reason}`;

/** Old TTL the drain waits out, s (short for the test; the workspace's normal TTL is 30 s). */
const OLD_TTL = 24;
/** How long the first process waits in the drain before it is killed, ms. */
const KILL_AFTER_MS = 4_000;

let lab: Lab | undefined;

/** `dig +norec +noall +answer @127.0.0.1 -p PORT NAME A` → TTL and addresses served. */
function digTtl(port: number, name: string): Promise<{ ttl: number | null; values: string[] }> {
  return new Promise((resolve, reject) => {
    execFile(
      'dig',
      ['+norec', '+time=2', '+tries=1', '+noall', '+answer', '@127.0.0.1', '-p', String(port), name, 'A'],
      { timeout: 10_000 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`dig @127.0.0.1 -p ${port} ${name} failed: ${err.message} ${stderr}`));
        const rows = stdout
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split(/\s+/));
        resolve({ ttl: rows[0] ? Number(rows[0][1]) : null, values: rows.map((r) => r[4]!).sort() });
      },
    );
  });
}

/** The drain deadline the step keeps in the run journal, epoch ms (null: none). */
function journalDeadline(runId: string): number | null {
  const db = openStore(join(lab!.dir, 'standby.sqlite'));
  try {
    const v = new RunJournal(db).stepStateValue(runId, 'run', 'lower-ttl', 'drainDeadline:app.lab.test');
    return typeof v === 'number' ? v : null;
  } finally {
    db.close();
  }
}

before(async () => {
  if (skip) return;
  lab = await startLab({ portBase: PORT_BASE });
  console.log(`# lab up in ${Math.round(lab.upMs)} ms (${lab.dir})`);
  writeFileSync(
    join(lab.dir, 'runbooks', 'ttl-drain.yaml'),
    `version: 1
name: ttl-drain
kind: custom
description: test — a ${OLD_TTL} s TTL on app.lab.test, then lower it to 2 s and wait out the old one
steps:
  - id: shorten-ttl
    kind: dns.set-records
    params: { record: app.lab.test, site: primary, ttlSeconds: ${OLD_TTL} }
  - id: lower-ttl
    kind: dns.set-ttl
    params: { record: app.lab.test, ttlSeconds: 2 }
`,
  );
});

after(async () => {
  await lab?.stop();
});

test(
  'a run killed (SIGKILL) during the dns.set-ttl drain resumes the countdown from the journal and completes with the TTL served',
  { skip, timeout: 120_000 },
  async () => {
    const ws = lab!.workspacePath;
    const ns = labNameserverPorts(lab!);
    const child = spawnStandby(['run', 'ttl-drain', '--workspace', ws, '--yes'], { timeoutMs: 60_000 });
    let drainLine: string;
    let killedAt: number;
    try {
      drainLine = await child.waitForLine(new RegExp(`waiting \\d+ s \\(old TTL ${OLD_TTL} s\\)`), 45_000);
      await sleep(KILL_AFTER_MS);
    } finally {
      await child.kill(); // SIGKILL by PID; resolves once reaped
      killedAt = Date.now();
    }
    const runId = runIdFrom(child.stdout());
    assert.ok(runId, child.stdout());
    assert.doesNotMatch(child.stdout(), /lower-ttl verified|run succeeded/, 'killed mid-drain');
    assert.deepEqual((await digTtl(ns.bind, 'app.lab.test')).ttl, 2, 'the new TTL was served before the drain began');

    const deadline = journalDeadline(runId);
    assert.ok(deadline !== null, 'the drain deadline is in the journal');
    const leftAtKill = deadline - killedAt;
    console.log(
      `# drain began: "${drainLine.trim().slice(13)}"; killed ${KILL_AFTER_MS} ms later; ${leftAtKill} ms of the ${OLD_TTL} s drain were left`,
    );
    assert.ok(
      leftAtKill > 0 && leftAtKill <= OLD_TTL * 1000 - KILL_AFTER_MS + 500,
      `the deadline counts from the first process's drain start: ${leftAtKill} ms left at the kill`,
    );

    const resumeAt = Date.now();
    assert.ok(
      resumeAt < deadline - 5_000,
      `resumed with ${deadline - resumeAt} ms of the drain left (the test needs some left to tell a resumed countdown from a skipped one)`,
    );
    const resumed = await runStandby(['resume', runId, '--workspace', ws], { timeoutMs: 60_000 });
    const endedAt = Date.now();
    const wait = /waiting (\d+) s \(([^)]*)\)/.exec(resumed.stdout);
    console.log(
      `# resume exit ${resumed.code} in ${Math.round(resumed.ms)} ms; it said: ${wait?.[0] ?? '(no wait line)'}`,
    );
    assert.equal(resumed.code, 0, `standby resume exit ${resumed.code}\n${resumed.stdout}\n${resumed.stderr}`);
    assert.match(resumed.stdout, new RegExp(`run ${runId} resumed`));
    assert.match(resumed.stdout, /✔ lower-ttl verified/);
    assert.match(resumed.stdout, /run succeeded/);
    assert.doesNotMatch(resumed.stdout, /▶ shorten-ttl/, 'the finished step is not run again');
    assert.ok(wait, `the resumed step waits out the rest of the drain:\n${resumed.stdout}`);
    assert.equal(wait[2], 'the countdown this run started', "the wait is the journal's countdown");
    const waitedS = Number(wait[1]);
    assert.ok(
      waitedS <= Math.ceil((deadline - resumeAt) / 1000) && waitedS < OLD_TTL,
      `waits the remaining ${waitedS} s, not a fresh ${OLD_TTL} s drain (nor the normal 30 s TTL)`,
    );
    assert.ok(endedAt >= deadline, 'the countdown was not cut short: the run ended after the deadline');
    assert.ok(
      resumed.ms < deadline - resumeAt + 15_000,
      `the resume took ${Math.round(resumed.ms)} ms: the remaining drain plus start-up, not a new drain`,
    );

    for (const [name, port] of Object.entries(ns)) {
      assert.deepEqual(await digTtl(port, 'app.lab.test'), { ttl: 2, values: ['127.0.0.2'] }, `${name} serves TTL 2 s`);
    }
  },
);
