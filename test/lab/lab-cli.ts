/**
 * `standby-lab` (bin/standby-lab): the development lab's own command line, kept out of the
 * product's `standby` (the packaged app ships no lab). `up` and `down` start and stop the lab;
 * `start` brings it up if needed and opens the console on it (the Electron window where Electron
 * is installed, else the product's `serve`). Help is generated: `bin/standby-lab --help`.
 *
 * labUp/labDown print progress through `log` and throw a {@link LabCliError} (an Error carrying
 * an OpError from shared/result.ts) on failure, so the CLI's top-level handler prints the message.
 * Their default directory when none is given: `/tmp/sblab-<portBase>` (short: unix sockets live
 * inside); the command line's default is {@link DEFAULT_LAB_DIR}, where `standby` looks for a
 * workspace.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import type { OpError, OpErrorKind } from '../../shared/result.ts';
import { DEFAULT_PORT_BASE, LAB_SCRIPTS_DIR, labAvailable, parsePortsEnv, startLab } from './lab.ts';
import { serveWorkspace } from '../../electron/cli/commands/serve.ts';
import { exitWith } from '../../electron/cli/exit-with.ts';
import { findElectronBinary } from '../../electron/cli/find-electron.ts';
import { integerIn, portOption } from '../../electron/cli/options.ts';
import { DEFAULT_LAB_DIR } from '../../electron/cli/resolve-workspace.ts';
import { addHelpHints, configureProgram, type CliOutput } from '../../electron/cli/run-cli.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** A failed lab command; `opError` is the user-facing error data (kind, message, hint, where). */
export class LabCliError extends Error {
  readonly opError: OpError;
  constructor(kind: OpErrorKind, message: string, hint: string, where?: string) {
    super(`${message}\nFix: ${hint}`);
    this.name = 'LabCliError';
    this.opError = { kind, message, hint, ...(where !== undefined ? { where } : {}) };
  }
}

/** What `standby-lab up` reports. */
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
  if (!avail.ok)
    throw new LabCliError('unsupported', avail.reason ?? 'lab prerequisites missing', 'run .ci/install-apt.sh as root');
  if (existsSync(join(dir, 'ports.env')) || existsSync(join(dir, 'lab.env'))) {
    throw new LabCliError(
      'conflict',
      `a lab already exists in ${dir}`,
      `stop it first: bin/standby-lab down --dir ${dir}`,
      dir,
    );
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
      conflict
        ? 'pick another --port-base or --dir, or stop the other lab'
        : `read ${dir}/logs, then clean up with: bin/standby-lab down --dir ${dir}`,
      dir,
    );
  }
  const p = lab.ports;
  log(`lab up in ${Math.round(lab.upMs)} ms: ${lab.dir} (port base ${lab.portBase})`);
  log(`  workspace      ${lab.workspacePath}`);
  log(
    `  primary site   ${p.PRIMARY_ENTRY_URL}  (nginx -> blue; slots http://${p.PRIMARY_ADDR}:${p.APP_BLUE_PORT} and :${p.APP_GREEN_PORT})`,
  );
  log(
    `  failover site  ${p.FAILOVER_ENTRY_URL}  (haproxy -> blue; slots http://${p.FAILOVER_ADDR}:${p.APP_BLUE_PORT} and :${p.APP_GREEN_PORT})`,
  );
  log(
    `  dns            PowerDNS ${p.DNS_ADDR}:${p.PDNS_DNS_PORT} (API ${p.PDNS_API_URL}), BIND ${p.DNS_ADDR}:${p.BIND_DNS_PORT}: ${p.RECORD} A ${p.PRIMARY_ADDR}`,
  );
  log(
    `  postgresql     primary ${p.PRIMARY_ADDR}:${p.PG_PORT}, replica ${p.FAILOVER_ADDR}:${p.PG_PORT} (user postgres, password file ${p.PG_PASSWORD_FILE})`,
  );
  log(
    `  ssh            ${p.LAB_USER}@${p.PRIMARY_ADDR} and ${p.LAB_USER}@${p.FAILOVER_ADDR} port ${p.SSH_PORT}, key ${p.SSH_KEY}`,
  );
  log(`  stop           bin/standby-lab down --dir ${lab.dir}   (keeps the console store; --rm deletes it too)`);
  return { dir: lab.dir, portBase: lab.portBase, workspacePath: lab.workspacePath, ports: lab.ports, upMs: lab.upMs };
}

/**
 * Stops the lab in DIR and deletes its files, keeping the console's store and audit log
 * (DIR/standby.sqlite*) and saying where they are; with `rm: true` deletes DIR including them.
 * Returns quietly when DIR does not exist (already down).
 * @throws LabCliError `invalid-input` (DIR is not a lab directory), `internal` (something would not stop).
 */
export async function labDown(opts: LabCliOptions & { rm?: boolean } = {}): Promise<{ dir: string }> {
  const { dir, log } = defaults(opts);
  if (!existsSync(dir)) {
    log(`no lab in ${dir} (already down)`);
    return { dir };
  }
  const envFile = [join(dir, 'ports.env'), join(dir, 'lab.env')].find((f) => existsSync(f));
  const onlyStore = readdirSync(dir).length > 0 && readdirSync(dir).every((f) => f.startsWith('standby.sqlite'));
  if (!envFile && onlyStore) {
    // taken down before with the store kept: lab-down.sh reports (or, with --rm, deletes) it
    const r = spawnSync('bash', [join(LAB_SCRIPTS_DIR, 'lab-down.sh'), dir, opts.rm ? '--rm' : '--keep-store'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    for (const line of `${r.stdout ?? ''}${r.stderr ?? ''}`.trimEnd().split('\n')) if (line) log(line);
    return { dir };
  }
  if (!envFile) {
    throw new LabCliError(
      'invalid-input',
      `${dir} is not a lab directory (no ports.env)`,
      'pass the --dir printed by `bin/standby-lab up`',
      dir,
    );
  }
  const base = parsePortsEnv(readFileSync(envFile, 'utf8')).LAB_PORT_BASE;
  const r = spawnSync('bash', [join(LAB_SCRIPTS_DIR, 'lab-down.sh'), dir, opts.rm ? '--rm' : '--keep-store'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  for (const line of `${r.stdout ?? ''}${r.stderr ?? ''}`.trimEnd().split('\n')) if (line) log(line);
  if (r.status !== 0) {
    throw new LabCliError(
      'internal',
      `lab-down.sh ${dir} failed (exit ${r.status ?? r.signal})`,
      `see the lines above; leftover PIDs are in ${dir}/pids`,
      dir,
    );
  }
  log(`lab on port base ${base} is down`);
  return { dir };
}

/** `--dir <dir>`: the lab directory, default {@link DEFAULT_LAB_DIR}. */
const dirOption = (): Option => new Option('--dir <dir>', 'lab directory').default(DEFAULT_LAB_DIR);

/** `--port-base <n>`: every lab port is base + a fixed offset up to +81 (the PowerDNS API). */
const portBaseOption = (): Option =>
  new Option(
    '--port-base <number>',
    `first port of the lab (default: $LAB_PORT_BASE, then ${DEFAULT_PORT_BASE})`,
  ).argParser(integerIn(1024, 65535 - 81));

interface LabCommandOptions {
  dir: string;
  portBase?: number;
}

/**
 * Lab up if DIR has none, then the console on DIR/workspace.yaml: the Electron window where
 * Electron and a build are installed (resolves with its exit code), else `standby serve`
 * (resolves with 0 once Ctrl+C stopped it).
 * @throws LabCliError from labUp; what serveWorkspace throws
 */
export async function labStart(o: LabCommandOptions & { port: number; window: boolean }): Promise<number> {
  const dir = resolve(o.dir);
  if (!existsSync(join(dir, 'ports.env')))
    await labUp({ dir, ...(o.portBase !== undefined ? { portBase: o.portBase } : {}) });
  else console.log(`lab already running in ${dir}`);
  const workspace = join(dir, 'workspace.yaml');
  const electronBin = o.window ? findElectronBinary(root) : null;
  if (electronBin && existsSync(join(root, 'out/main/index.js'))) {
    // the desktop window where Electron is installed; the same core, bound over IPC
    console.log(`Opening the Standby window (${electronBin}) on ${workspace}`);
    const child = spawn(electronBin, [root, '--workspace', workspace], { stdio: 'inherit' });
    return new Promise<number>((done) => child.on('exit', (code) => done(code ?? 1)));
  }
  return serveWorkspace({ workspace, port: o.port });
}

/** Builds the `standby-lab` program (run it with runCli from electron/cli/run-cli.ts). */
export function createLabProgram(output?: CliOutput): Command {
  const program = configureProgram(new Command('standby-lab'), output).description(
    'The development lab: real servers for two sites, DNS at two providers and PostgreSQL replication on loopback, with a workspace for `standby`.',
  );
  program
    .command('up')
    .description('start a lab in DIR and print its workspace, URLs and how to stop it')
    .addOption(dirOption())
    .addOption(portBaseOption())
    .action(
      exitWith(async (o: LabCommandOptions) => {
        await labUp({ dir: resolve(o.dir), ...(o.portBase !== undefined ? { portBase: o.portBase } : {}) });
        return 0;
      }),
    );
  program
    .command('down')
    .description(
      "stop the lab in DIR and delete its files, keeping the console's store and audit log (DIR/standby.sqlite*)",
    )
    .addOption(dirOption())
    .addOption(new Option('--rm', "also delete the console's store and audit log (the whole DIR)"))
    .action(
      exitWith(async (o: { dir: string; rm?: boolean }) => {
        await labDown({ dir: resolve(o.dir), rm: o.rm === true });
        return 0;
      }),
    );
  program
    .command('start')
    .description(
      'lab up (unless DIR has one), then the console on it: the Electron window where Electron is installed, else `standby serve` and its URL',
    )
    .addOption(dirOption())
    .addOption(portBaseOption())
    .addOption(portOption())
    .addOption(new Option('--no-window', 'serve to a browser even where Electron is installed'))
    .action(exitWith((o: LabCommandOptions & { port: number; window: boolean }) => labStart(o)));
  addHelpHints(program);
  return program;
}
