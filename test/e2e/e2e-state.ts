import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';

/** Where global setup records the e2e lab (dir, workspace, port base). */
export const E2E_STATE_FILE = join(tmpdir(), 'standby-e2e-lab.json');

export interface E2eState {
  dir: string;
  workspacePath: string;
  portBase: number;
}

export function readE2eState(): E2eState {
  return JSON.parse(readFileSync(E2E_STATE_FILE, 'utf8')) as E2eState;
}
