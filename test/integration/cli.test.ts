/**
 * The `standby` command as a user runs it: generated help and "did you mean" (no lab needed);
 * bad workspaces give file:line:field errors and a non-zero exit (no crash, no stack trace);
 * `status --json` gives one snapshot of the real lab, `runs --json` its run history.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { labAvailable, startLab, type Lab } from '../lab/lab.ts';

const bin = resolve('bin/standby');
const avail = labAvailable();
const skip = avail.ok ? false : `lab not available: ${avail.reason}`;
if (skip) console.log(`# skipping lab tests: ${skip}`);

let lab: Lab | null = null;
let dir = '';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-cli-'));
  if (!skip) lab = await startLab({ portBase: 32300 });
});
after(async () => {
  await lab?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs bin/standby (or `command`) with a hard time limit; resolves with exit code and output. */
function run(
  args: string[],
  timeoutMs = 30_000,
  command = bin,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(t);
      done({ code, stdout, stderr });
    });
  });
}

test('--help lists every command and the exit codes; `<cmd> --help` its options', async () => {
  const r = await run(['--help']);
  assert.equal(r.code, 0, r.stderr);
  for (const cmd of ['serve', 'status', 'validate', 'plan', 'run', 'resume', 'abort', 'rollback', 'runs', 'audit'])
    assert.match(r.stdout, new RegExp(`^  ${cmd} `, 'm'), cmd);
  assert.match(r.stdout, /^Exit codes:\n {2}0 /m);
  const sub = await run(['run', '--help']);
  assert.equal(sub.code, 0, sub.stderr);
  assert.match(sub.stdout, /^Usage: standby run \[options\] <runbook>/);
  assert.match(sub.stdout, /--force <RULE=REASON>/);
});

test('a typo suggests the command; a bad option value names the option and its range; both exit 2 without a stack trace', async () => {
  const typo = await run(['stauts']);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /unknown command 'stauts'\n\(Did you mean status\?\)/);
  const port = await run(['serve', '--port', 'x']);
  assert.equal(port.code, 2);
  assert.match(port.stderr, /option '--port <number>' argument 'x' is invalid\. Expected an integer from 0 to 65535/);
  for (const r of [typo, port]) assert.doesNotMatch(r.stderr, /\n\s+at \S+ \(/, 'no stack trace');
});

test('the lab has its own command: bin/standby-lab --help lists up, down and start', async () => {
  const r = await run(['--help'], 30_000, resolve('bin/standby-lab'));
  assert.equal(r.code, 0, r.stderr);
  for (const cmd of ['up', 'down', 'start']) assert.match(r.stdout, new RegExp(`^  ${cmd} `, 'm'), cmd);
  const gone = await run(['lab', 'up']);
  assert.equal(gone.code, 2, 'the product command has no lab subcommand');
});

const cases: { name: string; mutate: (yaml: string) => string; expect: RegExp }[] = [
  {
    name: 'bad YAML',
    mutate: (y) => y.replace('version: 1', 'version: 1\n  bad: [unclosed'),
    expect: /workspace\.yaml:\d+:\d+ \(syntax\): YAML syntax error/,
  },
  {
    name: 'unknown field',
    mutate: (y) => y.replace(/^(\s+)zone: /m, '$1zoen: x\n$1zone: '),
    expect: /workspace\.yaml:\d+:\d+ environments\[0\]\.zoen: unknown field "zoen"\. Fix: remove or rename/,
  },
  {
    name: 'wrong type',
    mutate: (y) => y.replace(/rtoSeconds: \d+/, 'rtoSeconds: soon'),
    expect:
      /workspace\.yaml:\d+:\d+ environments\[0\]\.objectives\.rtoSeconds: .*expected number.*Fix: give a value of type number/,
  },
];

for (const c of cases) {
  test(
    `a malformed workspace (${c.name}) is refused with file:line:field by validate and serve, without a stack trace`,
    { skip },
    async () => {
      const file = join(dir, `${c.name.replace(/\W/g, '-')}`, 'workspace.yaml');
      rmSync(join(file, '..'), { recursive: true, force: true });
      await import('node:fs').then((fs) => fs.mkdirSync(join(file, '..'), { recursive: true }));
      writeFileSync(file, c.mutate(readFileSync(lab!.workspacePath, 'utf8')));
      for (const args of [
        ['validate', '--workspace', file],
        ['serve', '--workspace', file, '--port', '0'],
      ]) {
        const r = await run(args);
        assert.equal(r.code, 2, `${args[0]} exit code; stderr: ${r.stderr}`);
        assert.match(r.stderr, c.expect);
        assert.doesNotMatch(r.stderr, /\n\s+at \S+ \(/, 'no stack trace');
      }
    },
  );
}

test(
  'validate checks the lab runbooks against the lab workspace: exit 0; a misspelled kind and an unknown node: file:line, exit 2',
  { skip },
  async () => {
    const ws = join(dir, 'runbook-check', 'workspace.yaml');
    const fs = await import('node:fs');
    fs.mkdirSync(join(ws, '..'), { recursive: true });
    fs.copyFileSync(lab!.workspacePath, ws);
    fs.cpSync(join(lab!.workspacePath, '..', 'runbooks'), join(ws, '..', 'runbooks'), { recursive: true });
    const good = await run(['validate', '--workspace', ws]);
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, /failover\.yaml: valid/);
    const bad = join(ws, '..', 'runbooks', 'broken.yaml');
    writeFileSync(
      bad,
      'version: 1\nname: broken\nkind: custom\nsteps:\n  - { id: a, kind: db.fense, params: { node: pg-primary } }\n  - { id: b, kind: db.promote, params: { node: pg-nope } }\n',
    );
    const r = await run(['validate', '--workspace', ws]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `^${bad}:5:\\d+ steps\\[0\\]\\.kind: unknown step kind "db\\.fense" \\(did you mean "db\\.fence"\\?\\)`,
        'm',
      ),
    );
    assert.match(
      r.stderr,
      new RegExp(`^${bad}:6:\\d+ steps\\[1\\]\\.params\\.node: database node "pg-nope" does not exist`, 'm'),
    );
    assert.doesNotMatch(r.stderr, /\n\s+at \S+ \(/, 'no stack trace');
  },
);

test(
  'status --json prints one snapshot of the real lab and exits 0 when both sites are healthy',
  { skip },
  async () => {
    const r = await run(['status', '--workspace', lab!.workspacePath, '--json']);
    assert.equal(r.code, 0, r.stderr + r.stdout.slice(0, 2000));
    const snap = JSON.parse(r.stdout) as {
      activeSite: string;
      sites: { name: string; state: string; liveSlot: { liveSlot: string } }[];
      dns: { providers: { served: Record<string, { values: string[]; ttlSeconds: number }> }[] }[];
      databases: { name: string; role: string }[];
    };
    assert.equal(snap.activeSite, 'primary');
    assert.deepEqual(
      snap.sites.map((s) => [s.name, s.state, s.liveSlot.liveSlot]),
      [
        ['primary', 'healthy', 'blue'],
        ['failover', 'healthy', 'blue'],
      ],
    );
    for (const p of snap.dns[0]!.providers) {
      for (const a of Object.values(p.served)) assert.deepEqual([a.values, a.ttlSeconds], [['127.0.0.2'], 30]);
    }
    assert.deepEqual(
      snap.databases.map((d) => [d.name, d.role]),
      [
        ['pg-primary', 'primary'],
        ['pg-replica', 'replica'],
      ],
    );
  },
);

test('status exits 3 and says why when a site is not healthy', { skip }, async () => {
  await lab!.stopProcess('failover-blue');
  try {
    const r = await run(['status', '--workspace', lab!.workspacePath]);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /site failover .*: (UNHEALTHY|DEGRADED) — .*blue/);
  } finally {
    await lab!.startProcess('failover-blue');
  }
});

test('runs --json lists the run history of the lab environment (none yet) and exits 0', { skip }, async () => {
  const r = await run(['runs', '--workspace', lab!.workspacePath, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(Array.isArray(JSON.parse(r.stdout)), r.stdout);
});
