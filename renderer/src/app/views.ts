/**
 * The console's views, in tab order. Adding a view = a folder under `features/` and one line
 * here: the tabs, the shown view, the URL hash and the syncing all follow this list.
 */
import type { ComponentType } from 'react';
import type { ConsoleClient } from '../api/console-client.ts';
import { EnvironmentOverview } from '../features/overview/environment-overview.tsx';
import { startOverviewSync } from '../features/overview/overview-sync.ts';
import { startRunSync } from '../features/runs/run-sync.ts';
import { RunbooksTabPills } from '../features/runs/runbooks-tab-pills.tsx';
import { RunbooksView } from '../features/runs/runbooks-view.tsx';

/** One view of the console. */
export interface ConsoleView {
  /** URL hash (`#id`, none for the first view) and the tab's test id `nav-<id>`. */
  id: string;
  /** Tab label. */
  title: string;
  /** The view's body, shown under the banners when its tab is selected. */
  View: ComponentType;
  /** Optional decoration after the tab label (live / attention pills), shown whichever view is selected. */
  TabExtra?: ComponentType;
  /**
   * Keep the feature's stores in step with the host from page load on (every view syncs, not
   * only the one shown, so tabs can show pills); returns a function that stops listening.
   */
  startSync(client: ConsoleClient): () => void;
}

export const views: readonly [ConsoleView, ...ConsoleView[]] = [
  { id: 'overview', title: 'Overview', View: EnvironmentOverview, startSync: startOverviewSync },
  { id: 'runbooks', title: 'Runbooks', View: RunbooksView, TabExtra: RunbooksTabPills, startSync: startRunSync },
];

/** The view to show for a nav-store id: the one with that id, else the first (unknown hashes land home). */
export function viewFor(id: string | null): ConsoleView {
  return views.find((v) => v.id === id) ?? views[0];
}
