/** Header tabs, one per registered view; a view may add pills after its label (seen from every view). */
import { useNavStore } from './nav-store.ts';
import { views, viewFor } from './views.ts';

export function NavTabs() {
  const current = viewFor(useNavStore((s) => s.view));
  const setView = useNavStore((s) => s.setView);
  return (
    <nav className="nav-tabs" role="tablist" aria-label="Views">
      {views.map(({ id, title, TabExtra }, i) => (
        <button
          key={id}
          type="button"
          role="tab"
          aria-selected={current.id === id}
          className={`nav-tab${current.id === id ? ' is-active' : ''}`}
          data-testid={`nav-${id}`}
          onClick={() => setView(i === 0 ? null : id)}
        >
          {title}
          {TabExtra && <TabExtra />}
        </button>
      ))}
    </nav>
  );
}
