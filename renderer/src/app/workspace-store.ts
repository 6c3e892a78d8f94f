/** The workspace (environments and objectives) and which environment the operator looks at. */
import { create } from 'zustand';
import type { OpError } from '../../../shared/result.ts';
import type { WorkspaceInfo } from '../../../shared/status.ts';

const selectedEnvKey = 'standby.selectedEnv';

export interface WorkspaceStore {
  workspace: WorkspaceInfo | null;
  error: OpError | null;
  selectedEnv: string | null;
  /** Store the workspace; keeps the selection if it still exists, else picks the first. */
  setWorkspace(workspace: WorkspaceInfo): void;
  setError(error: OpError): void;
  selectEnv(name: string): void;
}

export const useWorkspaceStore = create<WorkspaceStore>()((set, get) => ({
  workspace: null,
  error: null,
  selectedEnv: readStored(),
  setWorkspace: (workspace) => {
    const names = workspace.environments.map((e) => e.name);
    const current = get().selectedEnv;
    const selectedEnv = current !== null && names.includes(current) ? current : (names[0] ?? null);
    set({ workspace, error: null, selectedEnv });
  },
  setError: (error) => set({ error }),
  selectEnv: (name) => {
    try {
      window.localStorage.setItem(selectedEnvKey, name);
    } catch {
      // Storage disabled: the choice lasts for this page only.
    }
    set({ selectedEnv: name });
  },
}));

function readStored(): string | null {
  try {
    return typeof window === 'undefined' ? null : window.localStorage.getItem(selectedEnvKey);
  } catch {
    return null;
  }
}
