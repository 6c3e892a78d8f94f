/** The dashboard shell. */
import { EnvironmentOverview } from './environment-overview.tsx';
import { Header } from './header.tsx';

export function App() {
  return (
    <div className="app">
      <Header />
      <main className="app-main">
        <EnvironmentOverview />
      </main>
    </div>
  );
}
