/**
 * Issue 7 §4–5 on the REAL lab (port base 9300), through `bin/standby` as a user runs it, with
 * the PowerDNS API key taken from an environment variable that is set wrong:
 * (1) `standby plan failover` exits 4 naming the provider and the readiness rule;
 *     `standby run failover --yes` is refused and changes nothing (both providers still answer
 *     127.0.0.2, the primary-site node is still primary, the failover node still in recovery);
 * (2) the run forced past the rule (`--force dns-provider-ready=REASON`) pauses — not fails —
 *     at the DNS write with the auth error; with the right key in the environment of a NEW
 *     `standby resume RUN` process the run ends succeeded, both providers answer 127.0.0.3, and
 *     each provider took exactly one write (BIND's SOA serial +1, PowerDNS's changed).
 * Traffic goes only to 127.0.0.0/8; every process is stopped by PID (lab.stop()).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { labAvailable, startLab, type Lab } from '../lab/lab.ts';
import { runIdFrom, runStandby } from '../support/standby-cli.ts';
import { digA, digSoaSerial, labNameserverPorts } from '../support/outside-checks.ts';

const PORT_BASE = 9300; // below the ephemeral port range (32768+); no other test uses it
const KEY_VAR = 'STANDBY_IT_PDNS_API_KEY';
const available = labAvailable();
if (!available.ok) console.log(`# skipping runbooks-preflight: ${available.reason}`);
const skip = available.ok ? false : `lab not available: ${available.reason}`;

let lab: Lab | undefined;
let ws: string;
let ns: { powerdns: number; bind: number };
let goodKey: string;
const wrongEnv = () => ({ ...process.env, [KEY_VAR]: 'not-the-powerdns-key' });
const rightEnv = () => ({ ...process.env, [KEY_VAR]: goodKey });

before(async () => {
  if (skip) return;
  lab = await startLab({ portBase: PORT_BASE });
  ws = lab.workspacePath;
  ns = labNameserverPorts(lab);
  goodKey = readFileSync(lab.ports.PDNS_API_KEY_FILE!, 'utf8').trim();
  // The key is referenced from the environment, as a team writing `{ env }` secrets does.
  const yaml = readFileSync(ws, 'utf8');
  const swapped = yaml.replace(/apiKey: \{ file: "[^"]+" \}/, `apiKey: { env: ${KEY_VAR} }`);
  assert.notEqual(swapped, yaml, 'the lab workspace references the PowerDNS key from a file');
  writeFileSync(ws, swapped);
  console.log(`# lab up in ${Math.round(lab.upMs)} ms (${lab.dir})`);
});

after(async () => {
  await lab?.stop();
});

async function assertUnchanged(what: string): Promise<void> {
  assert.deepEqual(await digA(ns.powerdns, 'app.lab.test'), ['127.0.0.2'], `${what}: PowerDNS unchanged`);
  assert.deepEqual(await digA(ns.bind, 'app.lab.test'), ['127.0.0.2'], `${what}: BIND unchanged`);
  assert.equal(await lab!.psql('primary', 'select pg_is_in_recovery()'), 'f', `${what}: primary still primary`);
  assert.equal(await lab!.psql('replica', 'select pg_is_in_recovery()'), 't', `${what}: replica still replica`);
}

test(
  'a wrong PowerDNS key: plan exits 4 naming provider and rule, run is refused and changes nothing',
  { skip, timeout: 120_000 },
  async () => {
    const plan = await runStandby(['plan', 'failover', '--workspace', ws], { timeoutMs: 60_000, env: wrongEnv() });
    const out = plan.stdout + plan.stderr;
    console.log(`# plan failover with a wrong key: exit ${plan.code} in ${Math.round(plan.ms)} ms`);
    assert.equal(plan.code, 4, out);
    assert.match(out, /dns-provider-ready/);
    assert.match(out, /DNS provider powerdns \(powerdns\) cannot be read for app\.lab\.test A: auth/);

    const run = await runStandby(['run', 'failover', '--workspace', ws, '--yes'], {
      timeoutMs: 60_000,
      env: wrongEnv(),
    });
    assert.notEqual(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout + run.stderr, /dns-provider-ready/);
    await assertUnchanged('after the refused run');
  },
);

test(
  'forced past the rule, the run pauses at the DNS write (auth); resume with the right key succeeds, one write per provider',
  { skip, timeout: 180_000 },
  async () => {
    const bindSerial = await digSoaSerial(ns.bind, 'lab.test');
    const pdnsSerial = await digSoaSerial(ns.powerdns, 'lab.test');
    const run = await runStandby(
      [
        'run',
        'failover',
        '--workspace',
        ws,
        '--yes',
        '--force',
        'dns-provider-ready=PowerDNS key is being rotated now',
      ],
      { timeoutMs: 120_000, env: wrongEnv() },
    );
    const out = run.stdout + run.stderr;
    const runId = runIdFrom(run.stdout);
    assert.ok(runId, `the run started: ${out}`);
    console.log(`# forced run: exit ${run.code} in ${Math.round(run.ms)} ms`);
    assert.equal(run.code, 1, out);
    assert.match(run.stdout, /run PAUSED at point-dns-at-failover \(step-failed\)/, out);
    assert.match(out, /auth/);

    const resumed = await runStandby(['resume', runId, '--workspace', ws], { timeoutMs: 120_000, env: rightEnv() });
    const rout = resumed.stdout + resumed.stderr;
    console.log(`# resume with the right key: exit ${resumed.code} in ${Math.round(resumed.ms)} ms`);
    assert.equal(resumed.code, 0, rout);
    assert.deepEqual(await digA(ns.powerdns, 'app.lab.test'), ['127.0.0.3'], 'PowerDNS moved');
    assert.deepEqual(await digA(ns.bind, 'app.lab.test'), ['127.0.0.3'], 'BIND moved');
    assert.equal(await lab!.psql('replica', 'select pg_is_in_recovery()'), 'f', 'the failover node is primary');
    const bindAfter = await digSoaSerial(ns.bind, 'lab.test');
    const pdnsAfter = await digSoaSerial(ns.powerdns, 'lab.test');
    console.log(`# SOA serials: bind ${bindSerial} → ${bindAfter}, powerdns ${pdnsSerial} → ${pdnsAfter}`);
    assert.equal(bindAfter, bindSerial + 1, 'BIND took exactly one update');
    assert.ok(pdnsAfter > pdnsSerial, 'PowerDNS took the write');
  },
);
