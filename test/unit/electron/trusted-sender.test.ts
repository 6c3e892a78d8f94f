import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTrustedRendererUrl } from '../../../electron/main/trusted-sender.ts';
import { resolveWorkspacePath } from '../../../electron/main/resolve-workspace-path.ts';

test('our app://standby page is trusted; file://, other app hosts and sites are not', () => {
  assert.equal(isTrustedRendererUrl('app://standby/index.html', undefined), true);
  assert.equal(isTrustedRendererUrl('app://standby/', undefined), true);
  assert.equal(
    isTrustedRendererUrl('file:///opt/Standby/resources/app.asar/out/renderer/index.html', undefined),
    false,
  );
  assert.equal(isTrustedRendererUrl('file:///tmp/evil.html', undefined), false);
  assert.equal(isTrustedRendererUrl('app://evil/index.html', undefined), false);
  assert.equal(isTrustedRendererUrl('app://standby.evil/index.html', undefined), false);
  assert.equal(isTrustedRendererUrl('app://x@standby/index.html', undefined), false);
  assert.equal(isTrustedRendererUrl('https://example.com/', undefined), false);
  assert.equal(isTrustedRendererUrl('not a url', undefined), false);
});

test('the dev server is trusted only by exact origin, only when configured', () => {
  assert.equal(isTrustedRendererUrl('http://localhost:5173/', 'http://localhost:5173'), true);
  assert.equal(isTrustedRendererUrl('http://localhost:5174/', 'http://localhost:5173'), false);
  assert.equal(isTrustedRendererUrl('http://localhost:5173.evil.com/', 'http://localhost:5173'), false);
  assert.equal(isTrustedRendererUrl('http://localhost:5173/', undefined), false);
});

test('workspace path: --workspace, then STANDBY_WORKSPACE, then the lab default', () => {
  assert.equal(resolveWorkspacePath(['electron', '.', '--workspace', '/w.yaml']), '/w.yaml');
  assert.equal(resolveWorkspacePath(['electron', '.', '--workspace=/x.yaml']), '/x.yaml');
  const saved = process.env.STANDBY_WORKSPACE;
  try {
    process.env.STANDBY_WORKSPACE = '/env.yaml';
    assert.equal(resolveWorkspacePath(['electron', '.']), '/env.yaml');
    delete process.env.STANDBY_WORKSPACE;
    assert.equal(resolveWorkspacePath(['electron', '.']), '/tmp/standby-lab/workspace.yaml');
  } finally {
    if (saved === undefined) delete process.env.STANDBY_WORKSPACE;
    else process.env.STANDBY_WORKSPACE = saved;
  }
});
