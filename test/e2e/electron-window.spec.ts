/**
 * The desktop window: launches the built app with Playwright's Electron driver when an
 * Electron binary is installed. Our build machines cannot download one (the npm package's
 * binary comes from GitHub), so there this spec skips and prints why.
 */
import { test, expect, _electron as electron } from '@playwright/test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readE2eState } from './e2e-state.ts';

function electronBinary(): string | null {
  // Read what the electron package records instead of require('electron'): requiring it
  // without a binary can start a download attempt (traffic off loopback).
  const pkgDir = fileURLToPath(new URL('../../node_modules/electron/', import.meta.url));
  const pathFile = join(pkgDir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const bin = join(pkgDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(bin) ? bin : null;
}

test('the Electron window shows the same dashboard over IPC', async () => {
  const bin = electronBinary();
  if (!bin) {
    const reason =
      'no Electron binary installed (node_modules/electron has no dist/: it downloads from GitHub, unreachable here); the same dashboard is tested over `standby serve`';
    console.log(`skipped: ${reason}`);
    test.skip(true, reason);
    return;
  }
  const app = await electron.launch({ executablePath: bin, args: ['.', '--workspace', readE2eState().workspacePath] });
  try {
    const page = await app.firstWindow();
    await expect(page.getByTestId('connection-state')).toHaveAttribute('data-state', 'connected', { timeout: 15_000 });
    await expect(page.getByTestId('site-state-primary')).toHaveText(/^\s*healthy\s*$/i, { timeout: 15_000 });
  } finally {
    await app.close();
  }
});
