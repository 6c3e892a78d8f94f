/** Connection to the host (IPC or WebSocket), as reported by the console client. */
import { create } from 'zustand';
import type { ConnectionStatus } from '../api/console-client.ts';

export interface ConnectionStore {
  status: ConnectionStatus | null;
  /** Set by the sync layer from `client.onConnection`. */
  setStatus(status: ConnectionStatus): void;
  /** Ask the client to reconnect now (bound by the sync layer). */
  retryNow(): void;
  bindRetry(fn: () => void): void;
}

export const useConnectionStore = create<ConnectionStore>()((set) => ({
  status: null,
  setStatus: (status) => set({ status }),
  retryNow: () => {},
  bindRetry: (fn) => set({ retryNow: fn }),
}));
