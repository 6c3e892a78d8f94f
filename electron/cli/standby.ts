/**
 * The `standby` command line. Every command prints errors as one readable line (what, where,
 * how to fix) and exits non-zero; never a stack trace (set STANDBY_DEBUG=1 to see one).
 *
 *   standby start [--dir DIR] [--port N]        lab up (if not running) + serve, print the URL
 *   standby serve [--workspace F] [--host H] [--port N]
 *   standby status [--workspace F] [--env E] [--json]
 *   standby validate [--workspace F]
 *   standby lab up [--dir DIR] [--port-base N]  |  standby lab down [--dir DIR]
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { existsSync } from 'node:fs';
import { resolve, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCore } from '../core/create-core.ts';
import { loadWorkspace, formatIssues } from '../core/config/load-workspace.ts';
import { startHeadlessServer } from '../headless/headless-server.ts';
import { formatStatus } from './format-status.ts';
import { findElectronBinary } from './find-electron.ts';
import { spawn } from 'node:child_process';
import { auditVerifyCommand, parseOverrides, planCommand, resumeCommand, runCommand } from './run-commands.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Where `standby lab up` puts the lab when no --dir is given (short: unix socket paths ≤ 107 bytes). */
export const DEFAULT_LAB_DIR = '/tmp/standby-lab';

class UsageError extends Error {}

const USAGE = `usage:
  standby start  [--dir DIR] [--port N] [--no-window]   start the lab (if needed) and the console on it
                 (the Electron window where Electron is installed, else serve and its URL)
  standby serve  [--workspace FILE] [--host 127.0.0.1] [--port 7420]
  standby status [--workspace FILE] [--env NAME] [--json]   exit 0 all sites healthy, 3 not, 5 split brain
  standby validate [--workspace FILE]
  standby plan RUNBOOK [--env NAME] [--workspace FILE] [--json]
  standby run RUNBOOK [--env NAME] [--workspace FILE] [--yes] [--json] [--force RULE=REASON]...
  standby resume RUN_ID [--workspace FILE] [--json] [--force RULE=REASON]...
  standby audit verify [--workspace FILE]
  standby lab up   [--dir DIR] [--port-base N]
  standby lab down [--dir DIR]
The workspace defaults to $STANDBY_WORKSPACE, then ./workspace.yaml, then ${DEFAULT_LAB_DIR}/workspace.yaml.`;

function defaultWorkspace(explicit: string | undefined): string {
  if (explicit) return explicit;
  if (process.env.STANDBY_WORKSPACE) return process.env.STANDBY_WORKSPACE;
  if (existsSync('workspace.yaml')) return 'workspace.yaml';
  if (existsSync(join(DEFAULT_LAB_DIR, 'workspace.yaml'))) return join(DEFAULT_LAB_DIR, 'workspace.yaml');
  throw new UsageError(`no workspace found: pass --workspace FILE, or run \`standby lab up\` to create ${DEFAULT_LAB_DIR}/workspace.yaml`);
}

const opt = (args: string[], options: NonNullable<ParseArgsConfig['options']>) => {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
};

async function serve(workspace: string, host: string | undefined, port: number): Promise<void> {
  const created = await createCore(workspace, {
    onLoopError: (where, e) => process.env.STANDBY_DEBUG && console.error(`[${where}]`, e),
  });
  if (!created.ok) throw new UsageError(`the workspace is invalid:\n${created.message}`);
  const { core } = created;
  core.start();
  const server = await startHeadlessServer({
    core,
    ...(host !== undefined ? { host } : {}),
    port,
    staticDir: join(root, 'out/renderer'),
    ...(process.env.STANDBY_TOKEN ? { token: process.env.STANDBY_TOKEN } : {}),
  });
  console.log(`Standby is watching ${core.workspace.environments.map((e) => e.name).join(', ')} (workspace ${core.workspacePath})`);
  console.log(`Open: ${server.openUrl}`);
  console.log('Press Ctrl+C to stop.');
  const shutdown = async () => {
    await server.close();
    await core.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'serve': {
      const { values } = opt(rest, { workspace: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' } });
      await serve(defaultWorkspace(values.workspace as string | undefined), values.host as string | undefined, Number(values.port ?? 7420));
      return -1; // keeps running
    }
    case 'start': {
      const { values } = opt(rest, { dir: { type: 'string' }, port: { type: 'string' }, 'port-base': { type: 'string' }, 'no-window': { type: 'boolean' } });
      const dir = resolve((values.dir as string | undefined) ?? DEFAULT_LAB_DIR);
      if (!existsSync(join(dir, 'ports.env'))) {
        const { labUp } = await import('../../test/lab/lab-cli.ts');
        await labUp({ dir, ...(values['port-base'] ? { portBase: Number(values['port-base']) } : {}) });
      } else {
        console.log(`lab already running in ${dir}`);
      }
      const workspace = join(dir, 'workspace.yaml');
      const electronBin = values['no-window'] ? null : findElectronBinary(root);
      if (electronBin && existsSync(join(root, 'out/main/index.js'))) {
        // the desktop window where Electron is installed; the same core, bound over IPC
        console.log(`Opening the Standby window (${electronBin}) on ${workspace}`);
        const child = spawn(electronBin, [root, '--workspace', workspace], { stdio: 'inherit' });
        return await new Promise<number>((done) => child.on('exit', (code) => done(code ?? 1)));
      }
      await serve(workspace, undefined, Number(values.port ?? 7420));
      return -1;
    }
    case 'status': {
      const { values } = opt(rest, { workspace: { type: 'string' }, env: { type: 'string' }, json: { type: 'boolean' } });
      const created = await createCore(defaultWorkspace(values.workspace as string | undefined));
      if (!created.ok) throw new UsageError(`the workspace is invalid:\n${created.message}`);
      const { core } = created;
      try {
        const envName = (values.env as string | undefined) ?? core.workspace.environments[0]?.name ?? '';
        const snap = await core.pollOnce(envName);
        if (!snap) throw new UsageError(`no environment named "${envName}"; use one of: ${core.workspace.environments.map((e) => e.name).join(', ')}`);
        console.log(values.json ? JSON.stringify(snap, null, 2) : formatStatus(snap));
        // split brain outranks everything: two writable primaries is never "just unhealthy"
        if (snap.splitBrain) return 5;
        return snap.sites.every((s) => s.state === 'healthy') ? 0 : 3;
      } finally {
        await core.stop();
      }
    }
    case 'plan':
    case 'run':
    case 'resume': {
      const { values, positionals } = opt(rest, {
        workspace: { type: 'string' }, env: { type: 'string' }, yes: { type: 'boolean' }, json: { type: 'boolean' }, force: { type: 'string', multiple: true },
      });
      const target = positionals[0];
      if (!target) throw new UsageError(`${cmd} needs a ${cmd === 'resume' ? 'run id' : 'runbook name'}\n${USAGE}`);
      const created = await createCore(defaultWorkspace(values.workspace as string | undefined));
      if (!created.ok) throw new UsageError(`the workspace is invalid:\n${created.message}`);
      const { core } = created;
      try {
        const env = (values.env as string | undefined) ?? core.workspace.environments[0]?.name ?? '';
        const overrides = parseOverrides((values.force as string[] | undefined) ?? []);
        if (cmd === 'plan') return await planCommand(core, env, target, Boolean(values.json));
        if (cmd === 'resume') return await resumeCommand(core, target, { json: Boolean(values.json), overrides });
        return await runCommand(core, env, target, { yes: Boolean(values.yes), json: Boolean(values.json), overrides });
      } finally {
        await core.stop();
      }
    }
    case 'audit': {
      const [sub, ...auditArgs] = rest;
      if (sub !== 'verify') throw new UsageError('usage: standby audit verify [--workspace FILE]');
      const { values } = opt(auditArgs, { workspace: { type: 'string' } });
      const r = await loadWorkspace(defaultWorkspace(values.workspace as string | undefined));
      if (!r.ok) throw new UsageError(`the workspace is invalid:\n${formatIssues(r.issues)}`);
      return auditVerifyCommand(r.workspace.store.path);
    }
    case 'validate': {
      const { values } = opt(rest, { workspace: { type: 'string' } });
      const r = await loadWorkspace(defaultWorkspace(values.workspace as string | undefined));
      if (!r.ok) {
        console.error(formatIssues(r.issues));
        return 2;
      }
      console.log(`${r.path}: valid (${r.workspace.environments.length} environment(s))`);
      return 0;
    }
    case 'lab': {
      const [sub, ...labArgs] = rest;
      const { values } = opt(labArgs, { dir: { type: 'string' }, 'port-base': { type: 'string' } });
      const dir = resolve((values.dir as string | undefined) ?? DEFAULT_LAB_DIR);
      const { labUp, labDown } = await import('../../test/lab/lab-cli.ts');
      if (sub === 'up') {
        await labUp({ dir, ...(values['port-base'] ? { portBase: Number(values['port-base']) } : {}) });
        return 0;
      }
      if (sub === 'down') {
        await labDown({ dir });
        return 0;
      }
      throw new UsageError(`unknown lab command "${sub ?? ''}": use "lab up" or "lab down"`);
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    default:
      throw new UsageError(`unknown command "${cmd}"\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e: unknown) => {
    if (process.env.STANDBY_DEBUG) console.error(e);
    console.error(`standby: ${(e as Error).message ?? String(e)}`);
    process.exit(e instanceof UsageError ? 2 : 1);
  },
);
