/** Latest snapshot per environment (from `getSnapshot` and `snapshot` events). */
import { create } from 'zustand';
import type { OpError } from '../../../../shared/result.ts';
import type { EnvironmentSnapshot } from '../../../../shared/status.ts';
import { acceptSnapshot, type SnapshotEntry } from './snapshot-history.ts';

export interface SnapshotStore {
  byEnv: Record<string, SnapshotEntry>;
  /** Last error fetching the snapshot of an environment (cleared by the next snapshot). */
  errors: Record<string, OpError>;
  apply(env: string, snapshot: EnvironmentSnapshot, receivedAt: number): void;
  setError(env: string, error: OpError): void;
}

export const useSnapshotStore = create<SnapshotStore>()((set, get) => ({
  byEnv: {},
  errors: {},
  apply: (env, snapshot, receivedAt) => {
    const current = get().byEnv[env];
    const next = acceptSnapshot(current, snapshot, receivedAt);
    if (next === current) return;
    const { [env]: _cleared, ...errors } = get().errors;
    set({ byEnv: { ...get().byEnv, [env]: next }, errors });
  },
  setError: (env, error) => set({ errors: { ...get().errors, [env]: error } }),
}));
