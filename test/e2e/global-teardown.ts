import { existsSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { E2E_STATE_FILE } from './e2e-state.ts';

/** Stops the e2e lab by its recorded PIDs (lab-down.sh), also when specs failed. */
export default async function globalTeardown(): Promise<void> {
  if (!existsSync(E2E_STATE_FILE)) return;
  const { dir } = JSON.parse(readFileSync(E2E_STATE_FILE, 'utf8')) as { dir: string };
  const here = dirname(fileURLToPath(import.meta.url));
  spawnSync('bash', [resolve(here, '../lab/lab-down.sh'), dir, '--rm'], { stdio: 'inherit' });
  rmSync(E2E_STATE_FILE, { force: true });
}
