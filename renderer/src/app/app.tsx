/** The console shell: header (with one tab per registered view), the banners every view shows, and the selected view. */
import { useNavStore } from './nav-store.ts';
import { Header } from './header.tsx';
import { SplitBrainBanner } from './split-brain-banner.tsx';
import { viewFor } from './views.ts';

export function App() {
  const { View } = viewFor(useNavStore((s) => s.view));
  return (
    <div className="app">
      <Header />
      <main className="app-main">
        <SplitBrainBanner />
        <View />
      </main>
    </div>
  );
}
