/**
 * Finds an installed Electron binary without requiring the `electron` package (requiring it
 * without a binary may start a download). Returns null where none is installed — as on our
 * build machines, which cannot download it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export function findElectronBinary(projectRoot: string): string | null {
  const pkgDir = join(projectRoot, 'node_modules', 'electron');
  const pathFile = join(pkgDir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const bin = join(pkgDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(bin) ? bin : null;
}
