/** The console shell: header (with the Overview | Runbooks tabs) and the selected view. */
import { useNavStore } from './nav-store.ts';
import { EnvironmentOverview } from '../features/overview/environment-overview.tsx';
import { Header } from './header.tsx';
import { RunbooksView } from '../features/runs/runbooks-view.tsx';
import { SplitBrainBanner } from './split-brain-banner.tsx';

export function App() {
  const view = useNavStore((s) => s.view);
  return (
    <div className="app">
      <Header />
      <main className="app-main">
        <SplitBrainBanner />
        {view === 'runbooks' ? <RunbooksView /> : <EnvironmentOverview />}
      </main>
    </div>
  );
}
