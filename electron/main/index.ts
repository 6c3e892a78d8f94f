/**
 * Electron host: a thin shell over the same core and contract as `standby serve`.
 * Security per Electron's checklist: contextIsolation on, sandbox on, nodeIntegration off, the
 * renderer served from the privileged `app://standby` scheme (not file://) with a CSP whose
 * connect-src is 'self', ELECTRON_RENDERER_URL honoured only when not packaged, no navigation
 * or new windows, and every IPC handler checks that the sender is our own top frame before
 * validating its input against the contract. Fuses: electron-builder.yml `electronFuses`.
 */
import { app, BrowserWindow, ipcMain, protocol, session, type IpcMainInvokeEvent, type WebFrameMain } from 'electron';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { APP_SCHEME, RENDERER_CSP, appContentType, rendererEntryUrl, resolveAppPath } from './app-protocol.ts';
import { consoleEventNames, consoleMethodNames, ipcChannel } from '../../shared/contract/index.ts';
import { fail } from '../../shared/result.ts';
import { dispatch } from '../core/api/dispatch.ts';
import { createCore, type Core } from '../core/create-core.ts';
import { resolveWorkspacePath } from './resolve-workspace-path.ts';
import { isTrustedRendererUrl } from './trusted-sender.ts';

const rendererRoot = join(import.meta.dirname, '../renderer');
/** The dev server URL, only in an unpackaged run (see rendererEntryUrl). */
const devServerUrl = (): string | undefined => (app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL);

// Must happen before 'ready': a standard, secure scheme gets a real origin ('self' in the CSP,
// storage, fetch) that no local file shares.
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

/** Serves `app://standby/<path>` from the renderer build; anything outside it is a 404. */
async function serveApp(request: Request): Promise<Response> {
  const file = resolveAppPath(request.url, rendererRoot);
  if (!file) return new Response('not found', { status: 404 });
  try {
    const body = await readFile(file);
    return new Response(body, {
      headers: {
        'content-type': appContentType(file),
        'content-security-policy': RENDERER_CSP,
        'x-content-type-options': 'nosniff',
      },
    });
  } catch {
    return new Response('not found', { status: 404 });
  }
}

let core: Core | null = null;
let win: BrowserWindow | null = null;

/** Only our own renderer's top frame may call the API (not iframes, not other origins). */
function trustedSender(frame: WebFrameMain | null): boolean {
  if (!frame || !win || frame !== win.webContents.mainFrame) return false;
  return isTrustedRendererUrl(frame.url, devServerUrl());
}

function bindIpc(c: Core): void {
  for (const method of consoleMethodNames) {
    ipcMain.handle(ipcChannel(method), async (event: IpcMainInvokeEvent, args: unknown) => {
      if (!trustedSender(event.senderFrame)) {
        return fail(
          'auth',
          `IPC call ${method} from an untrusted frame was refused`,
          'only the Standby window may call the console API',
        );
      }
      return dispatch(c.api, method, args);
    });
  }
  for (const name of consoleEventNames) {
    c.on(name, (payload) => {
      if (win && !win.isDestroyed()) win.webContents.send(ipcChannel(name), payload);
    });
  }
}

async function createWindow(): Promise<void> {
  win = new BrowserWindow({
    width: 1440,
    height: 900,
    backgroundColor: '#0d1117',
    title: 'Standby',
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  win.webContents.on('will-navigate', (e) => e.preventDefault());
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  await win.loadURL(rendererEntryUrl(app.isPackaged, devServerUrl()));
}

app.whenReady().then(async () => {
  protocol.handle(APP_SCHEME, serveApp);
  // the dev server's responses get the same CSP (app:// responses carry it themselves)
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [RENDERER_CSP] } });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
  const created = await createCore(resolveWorkspacePath(process.argv));
  if (!created.ok) {
    const { dialog } = await import('electron');
    dialog.showErrorBox('Standby: the workspace is invalid', created.message);
    app.exit(2);
    return;
  }
  core = created.core;
  bindIpc(core);
  core.start();
  await createWindow();
});

app.on('window-all-closed', () => {
  void (core?.stop() ?? Promise.resolve()).finally(() => app.quit());
});
