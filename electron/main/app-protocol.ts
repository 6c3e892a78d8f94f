/**
 * The `app://standby/` origin the Electron window loads the renderer from, instead of file://
 * (Electron security checklist §18: file:// pages share one origin with every local file and get
 * extra privileges). Pure functions so they are unit-tested without Electron; index.ts registers
 * the scheme and calls them from `protocol.handle`.
 */
import { extname, isAbsolute, relative, resolve } from 'node:path';

/** Scheme registered with `protocol.registerSchemesAsPrivileged` (standard + secure). */
export const APP_SCHEME = 'app';
/** The one host served; any other `app://` host is refused. */
export const APP_HOST = 'standby';
/** Origin of the renderer page: `app://standby`. */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/**
 * CSP of every renderer response. `connect-src 'self'`: the page may call only its own origin
 * (the API goes over IPC, so it needs no network at all); no ws:, no http: elsewhere.
 */
export const RENDERER_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; object-src 'none'";

/** Content types of the files the renderer build emits. */
export const APP_CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/**
 * Maps an `app://standby/<path>` request to a file under `rendererRoot`.
 *
 * @param requestUrl the full request URL as `protocol.handle` gives it
 * @param rendererRoot absolute directory of the built renderer (index.html + assets)
 * @returns absolute file path inside `rendererRoot` (`/` → index.html), or null for another
 *          scheme or host, a malformed URL or escape (`%2e%2e/`, `..\\`, NUL), or a path that
 *          leaves the root (the handler answers 404)
 */
export function resolveAppPath(requestUrl: string, rendererRoot: string): string | null {
  let u: URL;
  try {
    u = new URL(requestUrl);
  } catch {
    return null;
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return null;
  let path: string;
  try {
    path = decodeURIComponent(u.pathname);
  } catch {
    return null; // malformed %-escape
  }
  if (path.includes('\0') || path.includes('\\')) return null;
  if (path === '/' || path === '') path = '/index.html';
  const root = resolve(rendererRoot);
  const file = resolve(root, `.${path}`);
  const rel = relative(root, file);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return null;
  return file;
}

/** Content type for a served file (octet-stream when unknown, so nothing is sniffed as HTML). */
export const appContentType = (file: string): string => APP_CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';

/**
 * The URL the window loads: `ELECTRON_RENDERER_URL` (the electron-vite dev server) only in an
 * unpackaged run; a packaged app always loads its own bundle, whatever the environment says
 * (an env var must not point a shipped console at another page that then gets the IPC API).
 */
export function rendererEntryUrl(isPackaged: boolean, devServerUrl: string | undefined): string {
  if (!isPackaged && devServerUrl) return devServerUrl;
  return `${APP_ORIGIN}/index.html`;
}
