/**
 * Which view the console shows, kept in the URL hash (`#runbooks`) so a reload — or a link
 * pasted into the incident channel — opens the same view; the `?token=` query of the headless
 * host is left alone. The store holds a view id only: the views themselves are listed in
 * `views.ts`, which imports the features that read this store.
 */
import { create } from 'zustand';

export interface NavStore {
  /** Id of the view named in the URL hash, or null for the first view of the registry (no hash). */
  view: string | null;
  /** Show the view with this id; null shows the first view and clears the hash. */
  setView(view: string | null): void;
}

const fromHash = (): string | null => {
  const id = typeof window === 'undefined' ? '' : window.location.hash.slice(1);
  return id === '' ? null : id;
};

export const useNavStore = create<NavStore>()((set) => ({
  view: fromHash(),
  setView: (view) => {
    try {
      // replaceState: switching tabs must not fill the back button's history
      window.history.replaceState(
        null,
        '',
        view === null ? window.location.pathname + window.location.search : `#${view}`,
      );
    } catch {
      // sandboxed or file:// without history: the choice lasts for this page only
    }
    set({ view });
  },
}));
