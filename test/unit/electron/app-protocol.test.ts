import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import {
  APP_ORIGIN,
  RENDERER_CSP,
  appContentType,
  rendererEntryUrl,
  resolveAppPath,
} from '../../../electron/main/app-protocol.ts';

const root = '/opt/Standby/resources/app.asar/out/renderer';

test('app://standby paths map inside the renderer build; / is index.html', () => {
  assert.equal(APP_ORIGIN, 'app://standby');
  assert.equal(resolveAppPath('app://standby/', root), `${root}/index.html`);
  assert.equal(resolveAppPath('app://standby/index.html', root), `${root}/index.html`);
  assert.equal(resolveAppPath('app://standby/assets/index-abc.js?v=1#x', root), `${root}/assets/index-abc.js`);
  assert.equal(resolveAppPath('app://standby/assets/a%20b.css', root), `${root}/assets/a b.css`);
  assert.equal(resolveAppPath('app://standby/assets/../index.html', root), `${root}/index.html`, 'URL-normalised');
});

test('path traversal, other hosts and schemes, and malformed URLs are refused (null = 404)', () => {
  for (const url of [
    'app://standby/%2e%2e/%2e%2e/etc/passwd',
    'app://standby/..%2f..%2f..%2fetc/passwd',
    'app://standby/assets/..%2F..%2F..%2F..%2Fetc%2Fpasswd',
    'app://standby/..%5c..%5cetc%5cpasswd',
    'app://standby/%2fetc%2fpasswd',
    'app://standby/index.html%00.png',
    'app://standby/%E0%A4%A',
    'app://evil/index.html',
    'app://standby:8080/index.html',
    'file:///etc/passwd',
    'http://standby/index.html',
    'not a url',
  ]) {
    const got = resolveAppPath(url, root);
    assert.ok(got === null || (got.startsWith(`${root}/`) && !got.includes('..')), `${url} → ${got}`);
  }
  // the URL parser itself folds %2e%2e segments: what is left stays inside the root
  assert.equal(resolveAppPath('app://standby/%2e%2e/%2e%2e/etc/passwd', root), `${root}/etc/passwd`);
  assert.equal(resolveAppPath('app://standby/..%2f..%2f..%2fetc/passwd', root), null);
  assert.equal(resolveAppPath('app://evil/index.html', root), null);
  assert.equal(resolveAppPath('app://standby/index.html%00.png', root), null);
  assert.equal(resolveAppPath('app://standby/%E0%A4%A', root), null);
});

test('content types: known assets typed, unknown never sniffed as HTML', () => {
  assert.equal(appContentType('/x/index.html'), 'text/html; charset=utf-8');
  assert.equal(appContentType('/x/a.js'), 'text/javascript; charset=utf-8');
  assert.equal(appContentType('/x/a.exe'), 'application/octet-stream');
});

test("CSP: connect-src is only 'self' (no ws:, http:, *), scripts only 'self'", () => {
  const directives = new Map(
    RENDERER_CSP.split(';').map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name!, values] as const;
    }),
  );
  assert.deepEqual(directives.get('connect-src'), ["'self'"]);
  assert.deepEqual(directives.get('script-src'), ["'self'"]);
  assert.deepEqual(directives.get('default-src'), ["'self'"]);
  assert.deepEqual(directives.get('object-src'), ["'none'"]);
});

test('ELECTRON_RENDERER_URL is honoured only when not packaged', () => {
  assert.equal(rendererEntryUrl(false, 'http://localhost:5173'), 'http://localhost:5173');
  assert.equal(rendererEntryUrl(true, 'http://localhost:5173'), 'app://standby/index.html');
  assert.equal(rendererEntryUrl(true, undefined), 'app://standby/index.html');
  assert.equal(rendererEntryUrl(false, undefined), 'app://standby/index.html');
});

test('electron-builder.yml sets the hardening fuses', () => {
  const cfg = parse(readFileSync(new URL('../../../electron-builder.yml', import.meta.url), 'utf8')) as {
    electronFuses?: Record<string, unknown>;
    asar?: unknown;
  };
  assert.equal(cfg.asar, true, 'onlyLoadAppFromAsar needs an asar');
  assert.deepEqual(cfg.electronFuses, {
    runAsNode: false,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    grantFileProtocolExtraPrivileges: false,
  });
  // every key is one electron-builder knows (a typo would be silently ignored... or refused)
  const schema = JSON.parse(
    readFileSync(new URL('../../../node_modules/app-builder-lib/scheme.json', import.meta.url), 'utf8'),
  ) as { definitions: Record<string, { properties?: Record<string, unknown> }> };
  const known = Object.keys(schema.definitions['FuseOptionsV1']?.properties ?? {});
  for (const k of Object.keys(cfg.electronFuses ?? {})) assert.ok(known.includes(k), `unknown fuse ${k}`);
});
