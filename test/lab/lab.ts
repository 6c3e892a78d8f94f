/**
 * Standby's lab from TypeScript: start a real two-site topology on loopback (see test/lab/README.md),
 * drive single servers, and tear it all down. Used by integration and e2e tests and by
 * `bin/standby-lab up|down` (lab-cli.ts).
 *
 * Everything runs through the shell scripts beside this file (lab-up.sh, lab-down.sh,
 * lab-ctl.sh), so a test and a developer at a terminal get the same lab.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Directory holding lab-up.sh & co. */
export const LAB_SCRIPTS_DIR = dirname(fileURLToPath(import.meta.url));

/** Default port base (env LAB_PORT_BASE overrides); every lab port is base + a fixed offset. */
export const DEFAULT_PORT_BASE = 15300;

/** Names of the lab's servers, as used by stopProcess/startProcess and DIR/pids/NAME.pid. */
export const LAB_PROCESSES = [
  'pdns',
  'named',
  'primary-sshd',
  'failover-sshd',
  'pg-primary',
  'pg-replica',
  'primary-blue',
  'primary-green',
  'failover-blue',
  'failover-green',
  'primary-nginx',
  'failover-haproxy',
] as const;
export type LabProcess = (typeof LAB_PROCESSES)[number];

/** PostgreSQL node by site: 'primary' = the cluster at 127.0.0.2, 'replica' = the one at 127.0.0.3 (whatever their current roles). */
export type LabPgNode = 'primary' | 'replica';

/** A running lab. All methods are bounded in time and reject with the script's output on failure. */
export interface Lab {
  /** Absolute lab directory (e.g. /tmp/sblab.AbC123). */
  dir: string;
  portBase: number;
  /** DIR/workspace.yaml, valid against WorkspaceSchema. */
  workspacePath: string;
  /** DIR/ports.env as key → value (ports, URLs, paths of secret files; no secret values). */
  ports: Record<string, string>;
  /** Wall time of lab-up.sh, ms. */
  upMs: number;
  /** Stops every server (lab-down.sh --rm). Idempotent. */
  stop(): Promise<void>;
  /** Stops one server (TERM; postgres: fast shutdown) after checking the recorded PID is ours. Resolves if it was not running. */
  stopProcess(name: LabProcess | (string & {})): Promise<void>;
  /** Starts one server again exactly as lab-up did and waits (≤ 15 s) until it answers. */
  startProcess(name: LabProcess | (string & {})): Promise<void>;
  /** Runs SQL (several statements allowed) as `postgres` over the node's unix socket; returns psql's unaligned tuples-only output, trimmed. */
  psql(node: LabPgNode, sql: string, opts?: { database?: string }): Promise<string>;
  /** Recorded PIDs (DIR/pids/*.pid) by process name; empty once the lab dir is removed. */
  pids(): Record<string, number>;
}

/** Options for {@link startLab}. */
export interface StartLabOptions {
  /** Lab directory (must be empty or absent). Default: a fresh `/tmp/sblab.XXXXXX`. Keep it short: unix sockets live inside. */
  dir?: string;
  /** Port base. Default: env LAB_PORT_BASE or 15300. */
  portBase?: number;
  /** Stream lab-up's output to this process's stdout/stderr instead of capturing it. */
  verbose?: boolean;
  /** Limit for lab-up.sh, ms (default 90 000). */
  timeoutMs?: number;
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command with a hard time limit; never rejects (the caller decides what a failure means). */
function run(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs: number; inherit?: boolean },
): Promise<RunResult> {
  const t0 = performance.now();
  return new Promise((done) => {
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      stdio: [
        opts.input !== undefined ? 'pipe' : 'ignore',
        opts.inherit ? 'inherit' : 'pipe',
        opts.inherit ? 'inherit' : 'pipe',
      ],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${opts.timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      done({ code: -1, stdout, stderr: stderr + String(err), ms: performance.now() - t0 });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, ms: performance.now() - t0 });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

function tail(text: string, lines = 30): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Parses a ports.env file (KEY=value, optional single quotes, # comments). */
export function parsePortsEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (!m || m[1] === undefined || m[2] === undefined) continue;
    out[m[1]] = m[2].replace(/^'(.*)'$/, '$1');
  }
  return out;
}

/**
 * Whether this machine can run the lab (Linux, the Debian packages of .ci/install-apt.sh, a Node
 * for the lab app). Cheap (file checks only). Tests skip with `reason` when `ok` is false.
 */
export function labAvailable(): { ok: boolean; reason?: string } {
  if (process.platform !== 'linux') return { ok: false, reason: `the lab needs Linux (this is ${process.platform})` };
  const pg = '/usr/lib/postgresql/15/bin';
  // Absolute where the scripts use absolute paths; bare names are looked up on PATH + /usr/sbin.
  const needed = [
    `${pg}/initdb`,
    `${pg}/postgres`,
    `${pg}/pg_ctl`,
    `${pg}/pg_basebackup`,
    `${pg}/psql`,
    `${pg}/pg_isready`,
    '/usr/sbin/pdns_server',
    '/usr/sbin/named',
    '/usr/sbin/nginx',
    '/usr/sbin/haproxy',
    '/usr/sbin/sshd',
    process.env.LAB_APP_NODE ?? '/usr/bin/node',
    'pdnsutil',
    'named-checkconf',
    'tsig-keygen',
    'ssh-keygen',
    'ssh-keyscan',
    'sqlite3',
    'curl',
    'dig',
    'openssl',
    ...(process.getuid?.() === 0 ? ['setpriv', 'useradd'] : []),
  ];
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/sbin', '/sbin'];
  const executable = (f: string): boolean => {
    try {
      accessSync(f, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  const missing = needed.filter((f) =>
    f.startsWith('/') ? !executable(f) : !dirs.some((d) => executable(join(d, f))),
  );
  if (!existsSync('/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql')) missing.push('pdns-backend-sqlite3');
  if (missing.length > 0)
    return { ok: false, reason: `lab prerequisites missing: ${missing.join(', ')} (run .ci/install-apt.sh as root)` };
  return { ok: true };
}

/**
 * Starts a lab (lab-up.sh: ~2.5 s) and returns a handle. On failure lab-up stops what it started
 * and this rejects with the tail of its output; the directory is kept for its logs.
 * @throws Error when the lab cannot start (port taken, missing package, server error).
 */
export async function startLab(opts: StartLabOptions = {}): Promise<Lab> {
  const portBase = opts.portBase ?? Number(process.env.LAB_PORT_BASE ?? DEFAULT_PORT_BASE);
  const dir = resolve(opts.dir ?? mkdtempSync('/tmp/sblab.'));
  const r = await run('bash', [join(LAB_SCRIPTS_DIR, 'lab-up.sh'), dir], {
    env: { ...process.env, LAB_PORT_BASE: String(portBase) },
    timeoutMs: opts.timeoutMs ?? 90_000,
    inherit: opts.verbose === true,
  });
  if (r.code !== 0) {
    throw new Error(
      `lab-up.sh ${dir} (port base ${portBase}) failed with exit ${r.code}:\n${tail(r.stdout + '\n' + r.stderr)}`,
    );
  }
  return openLab(dir, r.ms);
}

/**
 * A handle on a lab that is already running (e.g. started by `bin/standby-lab up`).
 * @throws Error when DIR/ports.env is missing.
 */
export function openLab(dir: string, upMs = 0): Lab {
  const abs = resolve(dir);
  const ports = parsePortsEnv(readFileSync(join(abs, 'ports.env'), 'utf8'));
  const need = (k: string): string => {
    const v = ports[k];
    if (v === undefined) throw new Error(`${abs}/ports.env has no ${k}`);
    return v;
  };
  let stopping: Promise<void> | undefined;
  const ctl = async (action: 'start' | 'stop', name: string): Promise<void> => {
    if (!(LAB_PROCESSES as readonly string[]).includes(name)) {
      throw new Error(`unknown lab process "${name}"; use one of: ${LAB_PROCESSES.join(', ')}`);
    }
    const r = await run('bash', [join(LAB_SCRIPTS_DIR, 'lab-ctl.sh'), abs, action, name], { timeoutMs: 30_000 });
    if (r.code !== 0)
      throw new Error(`lab-ctl.sh ${action} ${name} failed (exit ${r.code}):\n${tail(r.stdout + '\n' + r.stderr)}`);
  };
  return {
    dir: abs,
    portBase: Number(need('LAB_PORT_BASE')),
    workspacePath: need('WORKSPACE'),
    ports,
    upMs,
    stop() {
      stopping ??= (async () => {
        if (!existsSync(abs)) return;
        const r = await run('bash', [join(LAB_SCRIPTS_DIR, 'lab-down.sh'), abs, '--rm'], { timeoutMs: 60_000 });
        if (r.code !== 0)
          throw new Error(`lab-down.sh ${abs} failed (exit ${r.code}):\n${tail(r.stdout + '\n' + r.stderr)}`);
      })();
      return stopping;
    },
    stopProcess: (name) => ctl('stop', name),
    startProcess: (name) => ctl('start', name),
    async psql(node, sql, o = {}) {
      const sock = need(node === 'primary' ? 'PG_PRIMARY_SOCKET_DIR' : 'PG_REPLICA_SOCKET_DIR');
      const r = await run(
        join(need('PG_BIN'), 'psql'),
        [
          '-h',
          sock,
          '-p',
          need('PG_PORT'),
          '-U',
          'postgres',
          '-d',
          o.database ?? 'app',
          '-X',
          '-q',
          '-A',
          '-t',
          '-v',
          'ON_ERROR_STOP=1',
          '-f',
          '-',
        ],
        { input: sql, timeoutMs: 30_000, env: { ...process.env, PGCONNECT_TIMEOUT: '5' } },
      );
      if (r.code !== 0) throw new Error(`psql on ${node} failed (exit ${r.code}): ${r.stderr.trim()}`);
      return r.stdout.trim();
    },
    pids() {
      const out: Record<string, number> = {};
      const pidDir = need('PIDS');
      if (!existsSync(pidDir)) return out;
      for (const f of readdirSync(pidDir)) {
        if (!f.endsWith('.pid')) continue;
        const pid = Number(readFileSync(join(pidDir, f), 'utf8').trim());
        if (Number.isInteger(pid) && pid > 0) out[f.slice(0, -4)] = pid;
      }
      return out;
    },
  };
}

/**
 * True if PID runs and is not a zombie. (In some containers PID 1 never reaps orphans, so a
 * stopped server can linger as a zombie: it holds no ports or files.)
 */
export function pidRunning(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}
