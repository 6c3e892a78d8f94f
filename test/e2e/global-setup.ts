/**
 * One lab for the e2e run (port base 31300, so a developer's running lab is never touched),
 * written to E2E_LAB_DIR; each spec starts its own `standby serve` on it.
 */
import { writeFileSync } from 'node:fs';
import { startLab } from '../lab/lab.ts';
import { E2E_STATE_FILE } from './e2e-state.ts';

export default async function globalSetup(): Promise<void> {
  const lab = await startLab({ portBase: 31300 });
  writeFileSync(
    E2E_STATE_FILE,
    JSON.stringify({ dir: lab.dir, workspacePath: lab.workspacePath, portBase: lab.portBase }),
  );
}
