/**
 * The monitor's slice of the contract: the workspace, live snapshots of each environment and
 * the recorded time series, plus the events that push them (`snapshot`, `samples`).
 */
import { z } from 'zod';
import {
  EnvironmentSnapshotSchema,
  SeriesMetricSchema,
  SeriesPointSchema,
  type EnvironmentSnapshot,
  type SeriesMetric,
  type SeriesPoint,
  type WorkspaceInfo,
} from '../status.ts';
import type { ApiOf } from './api-of.ts';
import { envName } from './env-name.ts';

/** Argument schemas of the monitor's methods (strict: unknown keys are rejected). */
export const monitorMethods = {
  /** The workspace in use: its path and each environment's sites, objectives and intervals. */
  getWorkspace: z.object({}).strict(),
  /** The latest snapshot of one environment (`not-found` for an unknown environment). */
  getSnapshot: z.object({ env: envName }).strict(),
  /** Recorded points of one series since `sinceMs`, downsampled (`not-found`: unknown environment). */
  getSeries: z
    .object({
      env: envName,
      metric: SeriesMetricSchema,
      /** Series key: database node name for lag metrics, probe id for latency. */
      key: z.string().min(1).max(200),
      /** Window start, epoch ms. */
      sinceMs: z.number().int().nonnegative(),
      /** Downsample to at most this many points (min/max-preserving buckets). */
      maxPoints: z.number().int().min(2).max(5000).default(600),
    })
    .strict(),
} as const;

/** What each monitor method resolves to. */
export interface MonitorReturns {
  getWorkspace: WorkspaceInfo;
  getSnapshot: EnvironmentSnapshot;
  getSeries: { metric: SeriesMetric; key: string; points: SeriesPoint[] };
}

/** The monitor's part of `ConsoleApi` (built by electron/core/monitor/monitor-api.ts). */
export type MonitorApi = ApiOf<typeof monitorMethods, MonitorReturns>;

/** Events of the monitor: name → payload schema. */
export const monitorEvents = {
  /**
   * A fresh snapshot of one environment (after each poll round), at most once per second.
   * Checked whole on receipt: about 0.4 ms for a 9 kB snapshot with zod's jitless parser (the
   * renderer's CSP forbids the JIT: renderer/src/zod-jitless.ts), once a second per environment.
   */
  snapshot: z.object({ env: z.string(), snapshot: EnvironmentSnapshotSchema }),
  /** New series points since the last event (appended to charts without re-fetching). */
  samples: z.object({
    env: z.string(),
    metric: SeriesMetricSchema,
    key: z.string(),
    points: z.array(SeriesPointSchema),
  }),
} as const;
