/**
 * Electron host: a thin shell over the same core and contract as `standby serve`.
 * Security per Electron's checklist: contextIsolation on, sandbox on, nodeIntegration off, a
 * CSP on every response, no navigation or new windows, and every IPC handler checks that the
 * sender is our own top frame before validating its input against the contract.
 */
import { app, BrowserWindow, ipcMain, session, type IpcMainInvokeEvent, type WebFrameMain } from 'electron';
import { join } from 'node:path';
import { consoleEventNames, consoleMethodNames, ipcChannel } from '../../shared/contract/index.ts';
import { fail } from '../../shared/result.ts';
import { dispatch } from '../core/api/dispatch.ts';
import { createCore, type Core } from '../core/create-core.ts';
import { resolveWorkspacePath } from './resolve-workspace-path.ts';
import { isTrustedRendererUrl } from './trusted-sender.ts';

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

let core: Core | null = null;
let win: BrowserWindow | null = null;

/** Only our own renderer's top frame may call the API (not iframes, not other origins). */
function trustedSender(frame: WebFrameMain | null): boolean {
  if (!frame || !win || frame !== win.webContents.mainFrame) return false;
  return isTrustedRendererUrl(frame.url, process.env.ELECTRON_RENDERER_URL, join(import.meta.dirname, '../renderer'));
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
  if (process.env.ELECTRON_RENDERER_URL) await win.loadURL(process.env.ELECTRON_RENDERER_URL);
  else await win.loadFile(join(import.meta.dirname, '../renderer/index.html'));
}

app.whenReady().then(async () => {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
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
