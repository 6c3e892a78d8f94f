/**
 * Wires a ConsoleClient to the stores: the connection state, the workspace (re)loaded after
 * every (re)connect, and each registered view's own sync. The only place that knows both the
 * client and every store.
 */
import type { ConsoleClient } from '../api/console-client.ts';
import { useConnectionStore } from './connection-store.ts';
import { views } from './views.ts';
import { useWorkspaceStore } from './workspace-store.ts';

/**
 * Start syncing; returns a function that stops listening (the client is closed by its owner).
 * Views reload what they show when the workspace object or the selected environment changes.
 */
export function startSync(client: ConsoleClient): () => void {
  const offs: (() => void)[] = [];

  useConnectionStore.getState().bindRetry(() => client.retryNow());
  for (const view of views) offs.push(view.startSync(client));

  offs.push(
    client.onConnection((status) => {
      const before = useConnectionStore.getState().status?.state;
      useConnectionStore.getState().setStatus(status);
      if (status.state === 'connected' && before !== 'connected') void loadWorkspace();
    }),
  );

  async function loadWorkspace(): Promise<void> {
    const r = await client.api.getWorkspace({});
    if (!r.ok) {
      useWorkspaceStore.getState().setError(r.error);
      return;
    }
    useWorkspaceStore.getState().setWorkspace(r.value);
  }

  return () => {
    for (const off of offs.splice(0)) off();
  };
}
