/**
 * The preload: exposes exactly the contract's methods and events to the renderer as
 * `window.standby` — no generic invoke(channel), no ipcRenderer leak. Channel names are
 * derived from the contract (never hand-written here).
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  consoleEventNames,
  consoleMethodNames,
  ipcChannel,
  type ConsoleEventName,
} from '../../shared/contract/index.ts';

const api = Object.fromEntries(
  consoleMethodNames.map((method) => [method, (args: unknown) => ipcRenderer.invoke(ipcChannel(method), args)]),
);

contextBridge.exposeInMainWorld('standby', {
  api,
  on(name: ConsoleEventName, listener: (payload: unknown) => void): () => void {
    if (!consoleEventNames.includes(name)) throw new Error(`unknown event "${String(name)}"`);
    const wrapped = (_e: IpcRendererEvent, payload: unknown) => listener(payload);
    ipcRenderer.on(ipcChannel(name), wrapped);
    return () => ipcRenderer.off(ipcChannel(name), wrapped);
  },
});
