/**
 * The `standby` and `standby-lab` command lines as defined (electron/cli/create-program.ts,
 * test/lab/lab-cli.ts), run in-process through runCli with captured output: generated help,
 * "did you mean", validated options and exit codes. No lab, no core: every case stops before an
 * action, or uses a stub command.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { createProgram } from '../../../electron/cli/create-program.ts';
import { formatRunRow } from '../../../electron/cli/commands/runs.ts';
import { EXIT_CODES } from '../../../electron/cli/exit-codes.ts';
import { integerIn, validateOverrides } from '../../../electron/cli/options.ts';
import { configureProgram, runCli, type CliOutput } from '../../../electron/cli/run-cli.ts';
import { UsageError } from '../../../electron/cli/usage-error.ts';
import { createLabProgram } from '../../lab/lab-cli.ts';

/** Output sinks that record what was written. */
function capture(): CliOutput & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { writeOut: (t) => (out += t), writeErr: (t) => (err += t), out: () => out, err: () => err };
}

/** Runs `standby ARGS…` in-process. */
async function standby(args: string[], make: (o: CliOutput) => Command = createProgram) {
  const io = capture();
  const code = await runCli(make(io), args);
  return { code, stdout: io.out(), stderr: io.err() };
}

const COMMANDS = ['serve', 'status', 'validate', 'plan', 'run', 'resume', 'abort', 'rollback', 'runs', 'audit'];

test('--help is generated from the commands: every command with its description, and the exit codes', async () => {
  const r = await standby(['--help']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Usage: standby \[options\] \[command\]/);
  const listed = [...r.stdout.matchAll(/^ {2}([a-z]+)\b/gm)].map((m) => m[1]);
  assert.deepEqual(
    listed.filter((c) => c !== 'help'),
    COMMANDS,
  );
  assert.deepEqual(
    createProgram(capture())
      .commands.map((c) => c.name())
      .sort(),
    [...COMMANDS].sort(),
    'the help lists exactly the registered commands',
  );
  for (const [name, code] of Object.entries(EXIT_CODES))
    assert.match(r.stdout, new RegExp(`^  ${code}  \\S`, 'm'), `exit code ${code} (${name}) is explained`);
  assert.doesNotMatch(r.stdout, /standby (lab|start)\b/, 'the lab is not part of the product command');
});

test('no arguments prints the help and exits 0, like `help`', async () => {
  for (const args of [[], ['help']]) {
    const r = await standby(args);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: standby /);
  }
});

test('each command has its own generated help with its arguments and options', async () => {
  const expected: Record<string, RegExp[]> = {
    serve: [/--workspace <file>/, /--host <address>/, /--port <number>.*\(default: 7420\)/],
    status: [/--workspace <file>/, /--env <name>/, /--json/],
    validate: [/--workspace <file>/],
    plan: [/<runbook>/, /--env <name>/, /--json/],
    run: [/<runbook>/, /--yes/, /--force <RULE=REASON>.*\n?.*repeatable/],
    resume: [/<run-id>/, /--force <RULE=REASON>/],
    abort: [/<run-id>/, /--reason <text>/, /--workspace <file>/, /--json/],
    rollback: [/<run-id>/, /--yes/, /--workspace <file>/, /--json/],
    runs: [/--limit <count>/, /--env <name>/],
    audit: [/verify/],
  };
  for (const name of COMMANDS) {
    const r = await standby([name, '--help']);
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^Usage: standby ${name} `), name);
    for (const re of expected[name]!) assert.match(r.stdout, re, `${name} --help shows ${re}`);
  }
  const verify = await standby(['audit', 'verify', '--help']);
  assert.match(verify.stdout, /^Usage: standby audit verify \[options\]/);
});

test('a mistyped command or option suggests the nearest one and exits 2', async () => {
  const cmd = await standby(['stauts']);
  assert.equal(cmd.code, EXIT_CODES.usage);
  assert.match(
    cmd.stderr,
    /^standby: unknown command 'stauts'\n\(Did you mean status\?\)\nFix: see `standby --help`\n$/,
  );
  const opt = await standby(['status', '--wrkspace', 'x.yaml']);
  assert.equal(opt.code, EXIT_CODES.usage);
  assert.match(
    opt.stderr,
    /unknown option '--wrkspace'\n\(Did you mean --workspace\?\)\nFix: see `standby status --help`/,
  );
});

test('--port must be an integer 0–65535: the error names the option and the range, never NaN', async () => {
  for (const bad of ['x', '70000', '1.5', '']) {
    const r = await standby(['serve', '--port', bad]);
    assert.equal(r.code, EXIT_CODES.usage, `--port ${JSON.stringify(bad)}`);
    assert.match(
      r.stderr,
      new RegExp(
        `^standby: option '--port <number>' argument '${bad.replace('.', '\\.')}' is invalid\\. Expected an integer from 0 to 65535\\.`,
      ),
    );
    assert.doesNotMatch(r.stderr, /NaN|\n\s+at /);
  }
  const limit = await standby(['runs', '--limit', '0']);
  assert.equal(limit.code, EXIT_CODES.usage);
  assert.match(limit.stderr, /'--limit <count>' argument '0' is invalid\. Expected an integer from 1 to 200\./);
});

test('integerIn accepts the bounds and rejects the rest', () => {
  const port = integerIn(0, 65535);
  assert.equal(port('0'), 0);
  assert.equal(port('65535'), 65535);
  assert.equal(port(' 7420 '), 7420);
  for (const bad of ['-1', '65536', '0x10', '1e3', 'abc'])
    assert.throws(() => port(bad), { code: 'commander.invalidArgument' }, bad);
});

test('missing arguments and extra arguments are usage errors', async () => {
  const missing = await standby(['run']);
  assert.equal(missing.code, EXIT_CODES.usage);
  assert.match(missing.stderr, /missing required argument 'runbook'\nFix: see `standby run --help`/);
  const extra = await standby(['status', 'prod']);
  assert.equal(extra.code, EXIT_CODES.usage);
  const noSub = await standby(['audit']);
  assert.equal(noSub.code, EXIT_CODES.usage, 'audit without verify shows its help as an error');
});

test('--force is repeatable and parsed as RULE=REASON, in order', async () => {
  let seen: unknown;
  const r = await standby(
    [
      'run',
      'failover',
      '--force',
      'lag-within-rpo=primary lost, accepting data loss',
      '--force',
      'fence-before-promote=old primary is powered off',
    ],
    (io) =>
      createProgram(io).hook('preAction', (_root, action) => {
        seen = action.opts();
        throw new UsageError('stopped before the action');
      }),
  );
  assert.equal(r.code, EXIT_CODES.usage, r.stderr);
  assert.deepEqual((seen as { force: unknown }).force, [
    { rule: 'lag-within-rpo', reason: 'primary lost, accepting data loss' },
    { rule: 'fence-before-promote', reason: 'old primary is powered off' },
  ]);
});

test('--force without RULE=REASON is refused with an example', async () => {
  for (const bad of ['lag-within-rpo', '=reason', 'lag-within-rpo=', 'lag-within-rpo=  ']) {
    const r = await standby(['resume', 'some-run', '--force', bad]);
    assert.equal(r.code, EXIT_CODES.usage, bad);
    assert.match(
      r.stderr,
      /option '--force <RULE=REASON>' argument .* is invalid\. Expected RULE=REASON, e\.g\. --force "lag-within-rpo=/,
    );
  }
});

test('validateOverrides applies the API schema: known rule, reason of at least 10 characters', async () => {
  assert.deepEqual(await validateOverrides(undefined), []);
  assert.deepEqual(await validateOverrides([{ rule: 'lag-within-rpo', reason: ' primary lost, accepting loss ' }]), [
    { rule: 'lag-within-rpo', reason: 'primary lost, accepting loss' },
  ]);
  await assert.rejects(validateOverrides([{ rule: 'lag', reason: 'primary lost, accepting loss' }]), (e: Error) => {
    assert.ok(e instanceof UsageError);
    assert.match(
      e.message,
      /^option '--force lag=primary lost, accepting loss': unknown safety rule "lag"\. Fix: use one of record-points-at-healthy-site, .*lag-within-rpo/,
    );
    return true;
  });
  await assert.rejects(
    validateOverrides([{ rule: 'lag-within-rpo', reason: 'because' }]),
    (e: Error) => e instanceof UsageError && /at least 10 characters/.test(e.message),
  );
});

test('an action error prints one line without a stack trace: usage errors exit 2, others 1', async () => {
  const make = (error: Error) => (io: CliOutput) => {
    const p = configureProgram(new Command('standby'), io);
    p.command('boom').action(() => {
      throw error;
    });
    return p;
  };
  const debug = process.env.STANDBY_DEBUG;
  delete process.env.STANDBY_DEBUG;
  try {
    const usage = await standby(['boom'], make(new UsageError('no workspace found. Fix: pass --workspace FILE')));
    assert.deepEqual(
      [usage.code, usage.stderr],
      [EXIT_CODES.usage, 'standby: no workspace found. Fix: pass --workspace FILE\n'],
    );
    const failed = await standby(['boom'], make(new Error('the plan is refused')));
    assert.deepEqual([failed.code, failed.stderr], [EXIT_CODES.failed, 'standby: the plan is refused\n']);
    process.env.STANDBY_DEBUG = '1';
    const traced = await standby(['boom'], make(new Error('the plan is refused')));
    assert.match(traced.stderr, /\n\s+at /, 'STANDBY_DEBUG=1 shows the stack');
  } finally {
    if (debug === undefined) delete process.env.STANDBY_DEBUG;
    else process.env.STANDBY_DEBUG = debug;
  }
});

test('standby-lab: its own generated help (up, down, start), suggestions and a validated port base', async () => {
  const help = await standby(['--help'], createLabProgram);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: standby-lab /);
  assert.deepEqual(
    [...help.stdout.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]).filter((c) => c !== 'help'),
    ['up', 'down', 'start'],
  );
  const typo = await standby(['stat'], createLabProgram);
  assert.equal(typo.code, EXIT_CODES.usage);
  assert.match(typo.stderr, /\(Did you mean start\?\)/);
  const base = await standby(['up', '--port-base', '80'], createLabProgram);
  assert.equal(base.code, EXIT_CODES.usage);
  assert.match(
    base.stderr,
    /'--port-base <number>' argument '80' is invalid\. Expected an integer from 1024 to 65454\./,
  );
  const start = await standby(['start', '--help'], createLabProgram);
  assert.match(start.stdout, /--dir <dir>.*\(default: "\/tmp\/standby-lab"\)/);
  assert.match(start.stdout, /--no-window/);
});

test('runs: one line per run with start time (UTC), runbook, env, status and duration', () => {
  const base = {
    runId: 'r-1',
    env: 'prod',
    runbook: 'failover',
    kind: 'failover',
    pauseReason: null,
    detail: null,
    actor: 'op',
    createdAt: Date.UTC(2026, 2, 4, 12, 3, 4, 118),
    finishedAt: null,
    durationMs: 1234,
    recoveryMs: null,
    recoveryFrom: null,
    recoveryStartedAt: null,
    rtoObjectiveSeconds: 60,
  } as const;
  assert.equal(
    formatRunRow({ ...base, status: 'succeeded', detail: 'ignored when it succeeded' }),
    'r-1  2026-03-04 12:03:04  failover on prod  succeeded  in 1.2 s',
  );
  assert.equal(
    formatRunRow({
      ...base,
      status: 'paused',
      pauseReason: 'safety',
      durationMs: null,
      detail: 'lag-within-rpo refused',
    }),
    'r-1  2026-03-04 12:03:04  failover on prod  paused (safety)  — lag-within-rpo refused',
  );
});

test('help loads no core, headless or zod module (commands import them inside their actions)', () => {
  const entry = fileURLToPath(new URL('../../../electron/cli/standby.ts', import.meta.url));
  // a module hook that lists every module loaded, on exit
  const hook =
    'import{registerHooks}from"node:module";const u=[];registerHooks({load(url,c,next){u.push(url);return next(url,c)}});process.on("exit",()=>process.stderr.write(u.join("\\n")))';
  const r = spawnSync(
    process.execPath,
    [
      '--disable-warning=ExperimentalWarning',
      '--import',
      `data:text/javascript,${encodeURIComponent(hook)}`,
      entry,
      '--help',
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  const loaded = r.stderr.split('\n').filter(Boolean);
  assert.ok(
    loaded.some((u) => u.endsWith('/electron/cli/commands/run.ts')),
    `the hook saw the commands: ${loaded.length} modules`,
  );
  assert.deepEqual(
    loaded.filter((u) => /\/electron\/(core|headless)\/|\/node_modules\/zod\/|\/test\//.test(u)),
    [],
  );
});
