/**
 * Which renderer URLs may call the console API over IPC: only our own bundle (file:// inside
 * the app) or, in development, the electron-vite dev server URL. Pure so it is unit-tested
 * without Electron; the main process also checks the frame is the window's top frame.
 */
export function isTrustedRendererUrl(url: string, devServerUrl: string | undefined, appRoot: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol === 'file:') return decodeURIComponent(u.pathname).startsWith(appRoot);
  if (devServerUrl) {
    const dev = new URL(devServerUrl);
    return u.origin === dev.origin;
  }
  return false;
}
