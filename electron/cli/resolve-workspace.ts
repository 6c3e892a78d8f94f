/**
 * Which workspace file a command works on when `--workspace` is not given.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './usage-error.ts';

/** Where the development lab writes its workspace by default (short: unix socket paths ≤ 107 bytes). */
export const DEFAULT_LAB_DIR = '/tmp/standby-lab';

/** The lookup order, as the `--workspace` help states it. */
export const WORKSPACE_LOOKUP = `$STANDBY_WORKSPACE, then ./workspace.yaml, then ${DEFAULT_LAB_DIR}/workspace.yaml`;

/**
 * `explicit`, else the first of {@link WORKSPACE_LOOKUP} that exists (paths relative to the cwd).
 * @throws UsageError when none is given and none exists
 */
export function resolveWorkspace(explicit: string | undefined): string {
  if (explicit) return explicit;
  if (process.env.STANDBY_WORKSPACE) return process.env.STANDBY_WORKSPACE;
  if (existsSync('workspace.yaml')) return 'workspace.yaml';
  const lab = join(DEFAULT_LAB_DIR, 'workspace.yaml');
  if (existsSync(lab)) return lab;
  throw new UsageError(
    `no workspace found (looked at ${WORKSPACE_LOOKUP}). Fix: pass --workspace FILE, or start the development lab with \`bin/standby-lab up\``,
  );
}
