/**
 * `standby serve`: the console over HTTP + WebSocket on loopback, for a browser.
 */
import { Option, type Command } from 'commander';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exitWith } from '../exit-with.ts';
import { openCore } from '../open-core.ts';
import { portOption, workspaceOption } from '../options.ts';
import { resolveWorkspace } from '../resolve-workspace.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

interface ServeOptions {
  workspace?: string;
  host: string;
  port: number;
}

/** Adds `serve` to `program`. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the console to a browser on loopback; prints the URL to open and runs until Ctrl+C')
    .addOption(workspaceOption())
    .addOption(new Option('--host <address>', 'loopback address to bind (127.0.0.0/8 or ::1)').default('127.0.0.1'))
    .addOption(portOption())
    .action(
      exitWith((o: ServeOptions) =>
        serveWorkspace({ workspace: resolveWorkspace(o.workspace), host: o.host, port: o.port }),
      ),
    );
}

/**
 * Starts the core on `workspace` and serves it (static renderer from out/renderer, token from
 * $STANDBY_TOKEN or generated); prints the URL to open. Resolves with exit code 0 once SIGINT or
 * SIGTERM has closed the server and stopped the core.
 * @throws UsageError when the workspace is invalid; Error when the host is not loopback or the
 *         port is taken (the message says which)
 */
export async function serveWorkspace(o: { workspace: string; host?: string; port: number }): Promise<number> {
  const core = await openCore(o.workspace, {
    onLoopError: (where, e) => process.env.STANDBY_DEBUG && console.error(`[${where}]`, e),
  });
  core.start();
  const { startHeadlessServer } = await import('../../headless/headless-server.ts');
  const server = await startHeadlessServer({
    core,
    ...(o.host !== undefined ? { host: o.host } : {}),
    port: o.port,
    staticDir: join(root, 'out/renderer'),
    ...(process.env.STANDBY_TOKEN ? { token: process.env.STANDBY_TOKEN } : {}),
  });
  console.log(
    `Standby is watching ${core.workspace.environments.map((e) => e.name).join(', ')} (workspace ${core.workspacePath})`,
  );
  console.log(`Open: ${server.openUrl}`);
  console.log('Press Ctrl+C to stop.');
  return new Promise<number>((done) => {
    const shutdown = async () => {
      await server.close();
      await core.stop();
      done(0);
    };
    process.once('SIGINT', () => void shutdown());
    process.once('SIGTERM', () => void shutdown());
  });
}
