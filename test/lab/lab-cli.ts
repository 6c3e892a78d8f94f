/**
 * `standby lab up|down [--dir DIR] [--port-base N]`: the functions behind the CLI subcommands.
 * They print progress through `log` and throw a {@link LabCliError} (an Error carrying an OpError
 * from shared/result.ts) on failure, so the CLI's top-level handler prints the message.
 *
 * Default directory when none is given: `/tmp/sblab-<portBase>` (short: unix sockets live inside).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OpError, OpErrorKind } from '../../shared/result.ts';
import { DEFAULT_PORT_BASE, LAB_SCRIPTS_DIR, labAvailable, parsePortsEnv, startLab } from './lab.ts';

/** A failed lab command; `opError` is the user-facing error data (kind, message, hint, where). */
export class LabCliError extends Error {
  readonly opError: OpError;
  constructor(kind: OpErrorKind, message: string, hint: string, where?: string) {
    super(`${message}\nFix: ${hint}`);
    this.name = 'LabCliError';
    this.opError = { kind, message, hint, ...(where !== undefined ? { where } : {}) };
  }
}

/** What `standby lab up` reports. */
export interface LabInfo {
  dir: string;
  portBase: number;
  workspacePath: string;
  /** ports.env contents (ports, URLs, secret file paths; no secret values). */
  ports: Record<string, string>;
  /** lab-up wall time, ms. */
  upMs: number;
}

/** Options shared by labUp / labDown. */
export interface LabCliOptions {
  /** Lab directory; default `/tmp/sblab-<portBase>`. */
  dir?: string;
  /** Port base; default env LAB_PORT_BASE or 15300. Ignored by labDown (read from the lab). */
  portBase?: number;
  /** Line printer (default console.log). */
  log?: (line: string) => void;
}

function defaults(o: LabCliOptions): { dir: string; portBase: number; log: (line: string) => void } {
  const portBase = o.portBase ?? Number(process.env.LAB_PORT_BASE ?? DEFAULT_PORT_BASE);
  return { portBase, dir: o.dir ?? `/tmp/sblab-${portBase}`, log: o.log ?? ((l) => console.log(l)) };
}

/**
 * Starts the lab (~2.5 s) and prints where the workspace is and the URLs.
 * @throws LabCliError `unsupported` (packages missing), `conflict` (DIR in use / ports taken),
 *         `internal` (a server failed to start; the message carries lab-up's output).
 */
export async function labUp(opts: LabCliOptions = {}): Promise<LabInfo> {
  const { dir, portBase, log } = defaults(opts);
  const avail = labAvailable();
  if (!avail.ok) throw new LabCliError('unsupported', avail.reason ?? 'lab prerequisites missing', 'run .ci/install-apt.sh as root');
  if (existsSync(join(dir, 'ports.env')) || existsSync(join(dir, 'lab.env'))) {
    throw new LabCliError('conflict', `a lab already exists in ${dir}`, `stop it first: standby lab down --dir ${dir}`, dir);
  }
  let lab;
  try {
    lab = await startLab({ dir, portBase });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const conflict = /port\(s\) already in use|is not empty/.test(msg);
    throw new LabCliError(
      conflict ? 'conflict' : 'internal',
      msg,
      conflict ? 'pick another --port-base or --dir, or stop the other lab' : `read ${dir}/logs, then clean up with: standby lab down --dir ${dir}`,
      dir,
    );
  }
  const p = lab.ports;
  log(`lab up in ${Math.round(lab.upMs)} ms: ${lab.dir} (port base ${lab.portBase})`);
  log(`  workspace      ${lab.workspacePath}`);
  log(`  primary site   ${p.PRIMARY_ENTRY_URL}  (nginx -> blue; slots http://${p.PRIMARY_ADDR}:${p.APP_BLUE_PORT} and :${p.APP_GREEN_PORT})`);
  log(`  failover site  ${p.FAILOVER_ENTRY_URL}  (haproxy -> blue; slots http://${p.FAILOVER_ADDR}:${p.APP_BLUE_PORT} and :${p.APP_GREEN_PORT})`);
  log(`  dns            PowerDNS ${p.DNS_ADDR}:${p.PDNS_DNS_PORT} (API ${p.PDNS_API_URL}), BIND ${p.DNS_ADDR}:${p.BIND_DNS_PORT}: ${p.RECORD} A ${p.PRIMARY_ADDR}`);
  log(`  postgresql     primary ${p.PRIMARY_ADDR}:${p.PG_PORT}, replica ${p.FAILOVER_ADDR}:${p.PG_PORT} (user postgres, password file ${p.PG_PASSWORD_FILE})`);
  log(`  ssh            ${p.LAB_USER}@${p.PRIMARY_ADDR} and ${p.LAB_USER}@${p.FAILOVER_ADDR} port ${p.SSH_PORT}, key ${p.SSH_KEY}`);
  log(`  stop           standby lab down --dir ${lab.dir}`);
  return { dir: lab.dir, portBase: lab.portBase, workspacePath: lab.workspacePath, ports: lab.ports, upMs: lab.upMs };
}

/**
 * Stops the lab in DIR and deletes DIR. Returns quietly when DIR does not exist (already down).
 * @throws LabCliError `invalid-input` (DIR is not a lab directory), `internal` (something would not stop).
 */
export async function labDown(opts: LabCliOptions = {}): Promise<{ dir: string }> {
  const { dir, log } = defaults(opts);
  if (!existsSync(dir)) {
    log(`no lab in ${dir} (already down)`);
    return { dir };
  }
  const envFile = [join(dir, 'ports.env'), join(dir, 'lab.env')].find((f) => existsSync(f));
  if (!envFile) {
    throw new LabCliError('invalid-input', `${dir} is not a lab directory (no ports.env)`, 'pass the --dir printed by `standby lab up`', dir);
  }
  const base = parsePortsEnv(readFileSync(envFile, 'utf8')).LAB_PORT_BASE;
  const r = spawnSync('bash', [join(LAB_SCRIPTS_DIR, 'lab-down.sh'), dir, '--rm'], { encoding: 'utf8', timeout: 60_000 });
  for (const line of `${r.stdout ?? ''}${r.stderr ?? ''}`.trimEnd().split('\n')) if (line) log(line);
  if (r.status !== 0) {
    throw new LabCliError('internal', `lab-down.sh ${dir} failed (exit ${r.status ?? r.signal})`, `see the lines above; leftover PIDs are in ${dir}/pids`, dir);
  }
  log(`lab on port base ${base} is down`);
  return { dir };
}
