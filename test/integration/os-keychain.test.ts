/**
 * `{ keychain: { service, account } }` references against a REAL Secret Service: gnome-keyring on
 * a private D-Bus session bus (dbus-run-session with its own config: no service activation, so
 * nothing but the daemon we start can answer, and the user's own keyring is never touched). The
 * entry is stored with secret-tool like a user would; Standby's default resolver reads it in a
 * Node child (test/support/keyring-read.ts). The scenario is test/support/keyring-session.sh.
 * Needs: dbus-run-session, dbus-send, gnome-keyring-daemon, secret-tool (.ci/install-apt.sh).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const nodeBin = join(root, 'node_modules/.bin/node');
const readScript = join(root, 'test/support/keyring-read.ts');
const sessionScript = join(root, 'test/support/keyring-session.sh');

const tools = ['dbus-run-session', 'dbus-send', 'gnome-keyring-daemon', 'secret-tool'];
const missing = tools.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' }).status !== 0);
const skip =
  process.platform !== 'linux'
    ? `the Secret Service test runs on Linux only (this is ${process.platform})`
    : missing.length > 0
      ? `missing ${missing.join(', ')}: bash .ci/install-apt.sh installs gnome-keyring libsecret-tools dbus`
      : false;
if (skip) console.log(`# skipping OS keychain tests: ${skip}`);

/** One read's result line from keyring-session.sh. */
interface Case {
  rc: number;
  wallMs: number;
  out: {
    ok: boolean;
    match?: boolean | null;
    valueLength?: number;
    ms: number;
    warmMs?: number[];
    kind?: string;
    message?: string;
    hint?: string;
    where?: string;
  };
}

const SESSION_LIMIT_MS = 90_000;
const service = `standby-test-${process.pid}`;
const account = 'alice';
// A space and a non-ASCII letter: the value must come back byte for byte.
const value = `pw ${randomBytes(12).toString('base64url')} ü`;
let dir = '';
let session: { code: number | null; signal: string | null; output: string; ms: number } | undefined;
const cases = new Map<string, Case>();
const daemons: number[] = [];
let sessionPid: number | undefined;

/** Runs the whole scenario once (about 5 s); the tests below check its lines. */
before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'sb-keyring-'));
  const run = join(dir, 'run');
  mkdirSync(run, { mode: 0o700 });
  // A session bus that only routes: no <servicedir>, so no daemon can be auto-activated behind
  // our back (Debian's default session.conf would start gnome-keyring with the user's $HOME).
  writeFileSync(
    join(dir, 'bus.conf'),
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=${run}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`,
  );
  const t0 = performance.now();
  const child = spawn('dbus-run-session', [`--config-file=${join(dir, 'bus.conf')}`, '--', 'bash', sessionScript], {
    cwd: root,
    // Only what the scenario needs: no inherited DBUS_SESSION_BUS_ADDRESS, and every keyring
    // file (login.keyring) under the throwaway dir.
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: dir,
      XDG_DATA_HOME: join(dir, 'data'),
      XDG_CONFIG_HOME: join(dir, 'config'),
      XDG_CACHE_HOME: join(dir, 'cache'),
      XDG_RUNTIME_DIR: run,
      KR_NODE: nodeBin,
      KR_READ: readScript,
      KR_SERVICE: service,
      KR_ACCOUNT: account,
      KR_VALUE: value,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so a timeout can stop the bus and the daemon too
  });
  sessionPid = child.pid;
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const limit = setTimeout(() => {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  }, SESSION_LIMIT_MS);
  const [code, signal] = await new Promise<[number | null, string | null]>((r) =>
    child.once('exit', (c, s) => r([c, s])),
  );
  clearTimeout(limit);
  session = { code, signal, output, ms: Math.round(performance.now() - t0) };
  for (const line of output.split('\n')) {
    const d = /^DAEMON (\d+)$/.exec(line);
    if (d) daemons.push(Number(d[1]));
    const m = /^CASE (\S+) (\d+) (\d+) (.*)$/.exec(line);
    if (m) cases.set(m[1]!, { rc: Number(m[2]), wallMs: Number(m[3]), out: JSON.parse(m[4]!) as Case['out'] });
  }
});

after(() => {
  // Normally the session is over; if the assertions run after a timeout kill, make sure.
  if (sessionPid !== undefined && session === undefined) {
    try {
      process.kill(-sessionPid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function get(name: string): Case {
  const c = cases.get(name);
  assert.ok(
    c,
    `no "${name}" case; session exit ${session?.code}/${session?.signal} after ${session?.ms} ms, output:\n${session?.output}`,
  );
  assert.equal(c.rc, 0, `child of "${name}" exited ${c.rc} (124 = killed by the 30 s timeout)`);
  return c;
}

test('the scenario ran to the end and every process it started is gone', { skip }, () => {
  assert.ok(session, 'session ran');
  assert.equal(session.code, 0, `session exit ${session.code}/${session.signal}, output:\n${session.output}`);
  assert.ok(!/^FAIL/m.test(session.output), session.output);
  assert.equal(daemons.length, 2, `two gnome-keyring-daemon runs (unlocked, locked): ${session.output}`);
  for (const pid of daemons) {
    assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `gnome-keyring-daemon ${pid} still running`);
  }
  // dbus-daemon was started by dbus-run-session with our config file: nothing may still name it.
  const left = spawnSync('pgrep', ['-f', dir], { encoding: 'utf8' }).stdout.trim();
  assert.equal(left, '', `processes still referencing ${dir}: ${left}`);
});

test('a stored entry resolves to exactly the stored value, through the default resolver', { skip }, (t) => {
  const c = get('stored');
  assert.equal(c.out.ok, true, JSON.stringify(c.out));
  assert.equal(c.out.match, true, 'value read back equals the value secret-tool stored (10 reads)');
  assert.equal(c.out.valueLength, value.length);
  assert.ok(!session!.output.includes(value), 'the value is never printed');
  t.diagnostic(
    `first read ${c.out.ms} ms (worker start + binding load), then ${c.out.warmMs?.join(', ')} ms; child process ${c.wallMs} ms`,
  );
});

test('a missing entry is not-found, with the secret-tool command that adds it', { skip }, () => {
  const c = get('missing');
  assert.equal(c.out.ok, false);
  assert.equal(c.out.kind, 'not-found');
  assert.match(c.out.message ?? '', new RegExp(`OS keychain entry ${service}/nobody-\\d+ does not exist`));
  assert.match(c.out.hint ?? '', new RegExp(`secret-tool store --label=.* service ${service} username nobody-\\d+`));
  assert.equal(c.out.where, 'test.password');
});

test('a hung Secret Service: unreachable at the reader timeout, and the child still exits', { skip }, (t) => {
  const c = get('hung-reader-timeout');
  assert.equal(c.out.kind, 'unreachable', JSON.stringify(c.out));
  assert.match(c.out.message ?? '', /did not answer within 500 ms/);
  assert.match(c.out.hint ?? '', /unlock prompt|hung/);
  assert.ok(c.out.ms >= 450 && c.out.ms < 1500, `error after ${c.out.ms} ms`);
  // The frozen native call holds the worker until libdbus gives up (~2 s); the process then exits.
  assert.ok(c.wallMs < 10_000, `child exited after ${c.wallMs} ms`);
  t.diagnostic(`error after ${c.out.ms} ms; child exited after ${c.wallMs} ms`);
});

test('a hung Secret Service with the default 5 s timeout: unreachable, not a hang', { skip }, (t) => {
  const c = get('hung-default');
  assert.equal(c.out.kind, 'unreachable', JSON.stringify(c.out));
  assert.ok(c.out.ms < 5_500, `error after ${c.out.ms} ms`);
  t.diagnostic(`error after ${c.out.ms} ms (${c.out.message})`);
});

test('a locked keyring is auth, with an unlock hint', { skip }, () => {
  const c = get('locked');
  assert.equal(c.out.kind, 'auth', JSON.stringify(c.out));
  assert.match(c.out.message ?? '', /unlock prompt was dismissed/);
  assert.match(c.out.hint ?? '', /locked.*unlock/);
});

test('no D-Bus session at all: unreachable within the timeout, with the keyring hint', { skip }, async (t) => {
  const empty = join(dir, 'no-bus-runtime');
  mkdirSync(empty, { mode: 0o700 });
  const t0 = performance.now();
  const r = spawnSync(nodeBin, [readScript], {
    cwd: root,
    // No DBUS_SESSION_BUS_ADDRESS, and an XDG_RUNTIME_DIR without a `bus` socket (libdbus's other
    // place to look), like a cron job or a system service.
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: dir,
      XDG_RUNTIME_DIR: empty,
      KR_SERVICE: service,
      KR_ACCOUNT: account,
    },
    encoding: 'utf8',
    timeout: 30_000,
  });
  const wallMs = Math.round(performance.now() - t0);
  assert.equal(r.status, 0, `exit ${r.status}/${r.signal}: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as Case['out'];
  assert.equal(out.kind, 'unreachable', r.stdout);
  assert.match(out.message ?? '', /DBUS_SESSION_BUS_ADDRESS/);
  assert.match(out.hint ?? '', /gnome-keyring-daemon.*KeePassXC.*\{ env \} or \{ file \}/);
  assert.ok(out.ms < 5_000, `error after ${out.ms} ms`);
  t.diagnostic(`error after ${out.ms} ms; child process ${wallMs} ms`);
});
