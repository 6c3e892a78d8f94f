import { APP_ORIGIN } from './app-protocol.ts';

/**
 * Which renderer URLs may call the console API over IPC: only our own bundle (the
 * `app://standby` origin) or, in an unpackaged development run, the electron-vite dev server
 * URL (the caller passes `undefined` when packaged). file:// is never trusted: any local HTML
 * file would share that origin. Pure so it is unit-tested without Electron; the main process
 * also checks the frame is the window's top frame.
 */
export function isTrustedRendererUrl(url: string, devServerUrl: string | undefined): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  // URL.origin is 'null' for a non-special scheme in Node, so compare scheme and host
  if (u.protocol === 'app:') return `${u.protocol}//${u.host}` === APP_ORIGIN && u.username === '' && u.password === '';
  if (devServerUrl) {
    const dev = new URL(devServerUrl);
    return u.origin === dev.origin;
  }
  return false;
}
