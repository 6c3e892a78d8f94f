/**
 * What the Electron preload exposes on `window.standby` (contextBridge). Generated there from
 * shared/contract/: one function per `consoleMethodNames` entry and a subscription per event
 * name — no generic `invoke(channel)`. Absent when the page is served by `standby serve`.
 */
import type { ConsoleApi, ConsoleEventName } from '../../../shared/contract/index.ts';

declare global {
  interface StandbyBridge {
    /** `api[method](args)` → `Promise<Result<T>>` (errors as data, never a rejection by design). */
    api: ConsoleApi;
    /**
     * Subscribe to a pushed event. The payload crossed a process boundary, so it is `unknown`
     * here; the renderer validates it against `consoleEvents[eventName]`.
     * @returns a function that removes this listener
     */
    on(eventName: ConsoleEventName, cb: (payload: unknown) => void): () => void;
  }

  interface Window {
    /** Present only inside the Electron app. */
    standby?: StandbyBridge;
  }
}

export {};
