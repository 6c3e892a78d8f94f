/**
 * Which view the console shows: the environment overview or the runbooks. Kept in the URL
 * hash (`#runbooks`) so a reload — or a link pasted into the incident channel — opens the same
 * view; the `?token=` query of the headless host is left alone.
 */
import { create } from 'zustand';

export type NavView = 'overview' | 'runbooks';

export interface NavStore {
  view: NavView;
  setView(view: NavView): void;
}

const fromHash = (): NavView => (typeof window !== 'undefined' && window.location.hash === '#runbooks' ? 'runbooks' : 'overview');

export const useNavStore = create<NavStore>()((set) => ({
  view: fromHash(),
  setView: (view) => {
    try {
      // replaceState: switching tabs must not fill the back button's history
      window.history.replaceState(null, '', view === 'runbooks' ? '#runbooks' : window.location.pathname + window.location.search);
    } catch {
      // sandboxed or file:// without history: the choice lasts for this page only
    }
    set({ view });
  },
}));
