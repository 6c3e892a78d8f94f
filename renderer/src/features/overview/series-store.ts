/** Bounded chart buffers per (environment, metric, key). */
import { create } from 'zustand';
import type { SeriesMetric, SeriesPoint } from '../../../../shared/status.ts';
import { appendPoints, mergeFetched, seriesBufferKey } from './series-buffer.ts';

export interface SeriesStore {
  buffers: Record<string, SeriesPoint[]>;
  /** Replace a buffer with a fetched window, keeping live points newer than the fetch. */
  load(env: string, metric: SeriesMetric, key: string, points: readonly SeriesPoint[], now: number): void;
  /** Append live samples. */
  append(env: string, metric: SeriesMetric, key: string, points: readonly SeriesPoint[], now: number): void;
  /** Drop every buffer of other environments (switching environment frees memory). */
  keepOnly(env: string): void;
}

export const useSeriesStore = create<SeriesStore>()((set, get) => ({
  buffers: {},
  load: (env, metric, key, points, now) => {
    const k = seriesBufferKey(env, metric, key);
    set({ buffers: { ...get().buffers, [k]: mergeFetched(get().buffers[k] ?? [], points, now) } });
  },
  append: (env, metric, key, points, now) => {
    const k = seriesBufferKey(env, metric, key);
    const old = get().buffers[k] ?? [];
    const next = appendPoints(old, points, now);
    if (next !== old) set({ buffers: { ...get().buffers, [k]: next } });
  },
  keepOnly: (env) => {
    const prefix = `${env}|`;
    const buffers = Object.fromEntries(Object.entries(get().buffers).filter(([k]) => k.startsWith(prefix)));
    set({ buffers });
  },
}));
