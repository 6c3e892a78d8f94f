/** Workspace path and the environment the dashboard shows. */
import { useWorkspaceStore } from './workspace-store.ts';

export function EnvironmentPicker() {
  const workspace = useWorkspaceStore((s) => s.workspace);
  const selected = useWorkspaceStore((s) => s.selectedEnv);
  const selectEnv = useWorkspaceStore((s) => s.selectEnv);
  const envs = workspace?.environments ?? [];
  return (
    <div className="env-picker">
      <label className="field-label" htmlFor="env-select">
        environment
      </label>
      <select
        id="env-select"
        data-testid="env-select"
        value={selected ?? ''}
        disabled={envs.length === 0}
        onChange={(e) => selectEnv(e.target.value)}
      >
        {envs.length === 0 && <option value="">—</option>}
        {envs.map((e) => (
          <option key={e.name} value={e.name}>
            {e.name}
          </option>
        ))}
      </select>
      {workspace && (
        <span className="workspace-path mono" title={workspace.path} data-testid="workspace-path">
          {workspace.path}
        </span>
      )}
    </div>
  );
}
