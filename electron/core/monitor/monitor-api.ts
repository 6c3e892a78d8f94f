/**
 * The monitor's slice of the ConsoleApi (shared/contract/monitor.ts): the workspace, each
 * environment's latest snapshot and its recorded series.
 */
import type { MonitorApi } from '../../../shared/contract/index.ts';
import { ok } from '../../../shared/result.ts';
import type { WorkspaceInfo } from '../../../shared/status.ts';
import { noEnvironment } from '../platform/no-environment.ts';
import type { Workspace } from '../config/workspace-schema.ts';
import type { SampleStore } from '../store/sample-store.ts';
import type { EnvironmentMonitor } from './environment-monitor.ts';

/** What the monitor's methods read. */
export interface MonitorApiDeps {
  /** Absolute path of the workspace file. */
  workspacePath: string;
  workspace: Workspace;
  /** One monitor per environment, by name. */
  monitors: ReadonlyMap<string, Pick<EnvironmentMonitor, 'latest'>>;
  store: Pick<SampleStore, 'series'>;
}

/**
 * Builds the monitor's methods. An unknown environment is a `not-found` Result naming the
 * known ones; nothing here probes: snapshots are the monitors' latest.
 */
export function createMonitorApi({ workspacePath, workspace, monitors, store }: MonitorApiDeps): MonitorApi {
  const info: WorkspaceInfo = {
    path: workspacePath,
    environments: workspace.environments.map((e) => ({
      name: e.name,
      sites: e.sites.map((s) => ({ name: s.name, role: s.role, address: s.address })),
      objectives: { ...e.objectives },
      probeIntervalMs: e.probes.intervalMs,
      pollIntervalMs: e.pollIntervalMs,
    })),
  };
  return {
    async getWorkspace() {
      return ok(info);
    },
    async getSnapshot({ env }) {
      const m = monitors.get(env);
      return m ? ok(m.latest()) : noEnvironment(env, monitors.keys());
    },
    async getSeries({ env, metric, key, sinceMs, maxPoints }) {
      if (!monitors.has(env)) return noEnvironment(env, monitors.keys());
      return ok({ metric, key, points: store.series(env, metric, key, sinceMs, maxPoints ?? 600) });
    },
  };
}
