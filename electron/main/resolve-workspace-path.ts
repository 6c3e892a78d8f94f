/**
 * Which workspace the desktop app opens: `--workspace FILE` on the command line, then
 * $STANDBY_WORKSPACE, then the lab's default (`/tmp/standby-lab/workspace.yaml`, written by
 * `bin/standby-lab up`). Plain Node (shared with tests).
 */
export function resolveWorkspacePath(argv: string[]): string {
  const i = argv.indexOf('--workspace');
  const fromArg = i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith('--workspace='))?.slice('--workspace='.length);
  return fromArg ?? process.env.STANDBY_WORKSPACE ?? '/tmp/standby-lab/workspace.yaml';
}
