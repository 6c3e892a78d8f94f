/**
 * One shared clock for every age on screen ("2 s ago", "stale 12 s"): a single 1 s timer
 * instead of one per component, and all ages tick together.
 */
import { create } from 'zustand';

export interface ClockStore {
  /** Page clock, epoch ms, updated every second. */
  now: number;
}

export const useClockStore = create<ClockStore>()(() => ({ now: Date.now() }));

/** Start ticking; returns a function that stops it. */
export function startClock(intervalMs = 1000): () => void {
  const id = setInterval(() => useClockStore.setState({ now: Date.now() }), intervalMs);
  return () => clearInterval(id);
}
