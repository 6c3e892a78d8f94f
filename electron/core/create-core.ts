/**
 * The engine both hosts (Electron main, `standby serve`) and the CLI stand on. Plain Node:
 * never imports 'electron'. It loads the workspace, opens the store, builds the services of
 * every environment (environment/), then each capability on them (a monitor per environment,
 * the run service), and exposes the typed ConsoleApi plus ConsoleEvents. Everything with a
 * lifecycle is in one list: started in order, stopped in reverse, each once.
 */
import { EventEmitter } from 'node:events';
import type { ConsoleApi, ConsoleEventName, ConsoleEventPayload } from '../../shared/contract/index.ts';
import { loadWorkspace, formatIssues, type WorkspaceIssue } from './config/load-workspace.ts';
import type { Workspace } from './config/workspace-schema.ts';
import { openStore } from './store/open-store.ts';
import { SampleStore } from './store/sample-store.ts';
import { SshPool } from './ssh/ssh-pool.ts';
import { createEnvironmentServices } from './environment/create-environment-services.ts';
import type { EnvironmentServices } from './environment/environment-services.ts';
import { EnvironmentMonitor } from './monitor/environment-monitor.ts';
import type { DatabaseSync } from 'node:sqlite';
import { RunService } from './runbooks/run-service.ts';
import { createMonitorApi } from './monitor/monitor-api.ts';
import { createRunsApi } from './runbooks/runs-api.ts';
import { resolveSecret } from './secrets/resolve-secret.ts';

export interface Core {
  readonly api: ConsoleApi;
  readonly workspacePath: string;
  readonly workspace: Workspace;
  /** Runbooks, runs, locks and the audit log. */
  readonly runs: RunService;
  /** Subscribes to a pushed event; returns the unsubscribe function. */
  on<E extends ConsoleEventName>(event: E, listener: (payload: ConsoleEventPayload<E>) => void): () => void;
  /** Starts polling every environment and watching the run locks (`lock-changed`). */
  start(): void;
  /** Polls one environment once (no loops) — for `standby status`. */
  pollOnce(env: string): Promise<import('../../shared/status.ts').EnvironmentSnapshot | null>;
  /**
   * Stops loops, closes the environments' connections, flushes samples, closes SSH connections
   * and the store. Calls after the first share it.
   */
  stop(): Promise<void>;
}

/** A part of the core with a lifecycle: started in list order, stopped in reverse order. */
interface CorePart {
  readonly name: string;
  start?(): void;
  stop(): Promise<void> | void;
}

export type CreateCoreResult = { ok: true; core: Core } | { ok: false; issues: WorkspaceIssue[]; message: string };

export interface CoreOptions {
  /** Called for errors inside polling loops (already turned into `unknown` states); for logs. */
  onLoopError?: (where: string, error: unknown) => void;
}

/**
 * Loads the workspace and builds the core (not yet polling: call `start()`).
 * @returns the core, or the workspace issues (file:line:col field) when it is invalid.
 */
export async function createCore(workspacePath: string, options: CoreOptions = {}): Promise<CreateCoreResult> {
  const loaded = await loadWorkspace(workspacePath);
  if (!loaded.ok) return { ok: false, issues: loaded.issues, message: formatIssues(loaded.issues) };
  const ws = loaded.workspace;
  let db: DatabaseSync;
  try {
    db = openStore(ws.store.path);
  } catch (e) {
    const issue: WorkspaceIssue = {
      file: loaded.path,
      line: 1,
      col: 1,
      field: 'store.path',
      message: `cannot open the store: ${(e as Error).message}`,
      hint: 'point store.path at a writable location',
    };
    return { ok: false, issues: [issue], message: formatIssues([issue]) };
  }
  const parts: CorePart[] = [{ name: 'store database', stop: () => db.close() }];
  const pool = new SshPool();
  parts.push({ name: 'ssh pool', stop: () => pool.close() });
  const store = new SampleStore(db, ws.store.retentionHours * 3_600_000);
  parts.push({ name: 'sample store', stop: () => store.close() });

  // environments first: every capability below takes its connections from these
  const environments = new Map<string, EnvironmentServices>();
  for (const env of ws.environments) {
    const services = createEnvironmentServices(env, pool, resolveSecret);
    environments.set(env.name, services);
    parts.push({ name: `${env.name} services`, stop: () => services.close() });
  }

  const bus = new EventEmitter();
  bus.setMaxListeners(100);
  const emit = <E extends ConsoleEventName>(event: E, payload: ConsoleEventPayload<E>) => bus.emit(event, payload);
  const onLoopError = options.onLoopError ?? (() => {});
  const monitors = new Map<string, EnvironmentMonitor>();
  // the runbooks as last listed: the posture names the one restoring protection (read async,
  // refreshed at start and on every one-shot poll, so a snapshot never waits on the disk)
  let runbookList: { name: string; kind: string | null }[] = [];
  const listRunbooks = () =>
    runs.listRunbooks().then(
      (l) => void (runbookList = l),
      () => {},
    );
  for (const env of ws.environments) {
    monitors.set(
      env.name,
      new EnvironmentMonitor(
        environments.get(env.name)!,
        store,
        {
          snapshot: (snapshot) => emit('snapshot', { env: env.name, snapshot }),
          samples: (metric, key, points) => emit('samples', { env: env.name, metric, key, points }),
          error: onLoopError,
        },
        () => runbookList,
      ),
    );
  }

  const runs = new RunService({
    workspace: ws,
    runbooksDir: ws.runbooksDir,
    db,
    services: (env) => environments.get(env),
    snapshot: async (env) => {
      const s = (await monitors.get(env)?.pollOnce()) ?? null;
      // the lag measured now may be the last one before a fence: on disk before the step acts,
      // so a console killed mid-run resumes with the same evidence
      store.flush();
      return s;
    },
    latestSnapshot: (env) => monitors.get(env)?.latest() ?? null,
    // Samples of one probe further apart than this mean nobody watched in between: the recorded
    // streak is not trusted across such a gap (10 probe intervals, at least 10 s).
    recordedFailingSince: (env, probeId) => {
      const e = ws.environments.find((x) => x.name === env);
      return e
        ? store.failureStreakStart(env, 'probe-latency-ms', probeId, Math.max(10_000, 10 * e.probes.intervalMs))
        : null;
    },
    onEvent: (e) => {
      emit('run', e);
      // a step just changed (and verified) DNS, a database or a slot: show it now, not ≤ 1 s later
      if (e.type === 'step-finished' && e.state === 'verified') {
        const env = runs.journal.getRun(e.runId)?.env;
        if (env) void monitors.get(env)?.refresh();
      }
    },
    onRecoveryMeasured: (runId, env, recovery) => emit('run-recovery-measured', { runId, env, recovery }),
    onLockChanged: (lock) => emit('lock-changed', { env: lock.env, lock }),
  });

  // the lock watch reports locks taken, released or gone stale by other processes (the CLI)
  parts.push({ name: 'runs', start: () => runs.watchLocks(), stop: () => runs.close() });
  // last in the list, so stopped first (before the run service, as before the split)
  parts.push({
    name: 'monitors',
    start: () => {
      void listRunbooks();
      for (const m of monitors.values()) m.start();
    },
    stop: async () => {
      await Promise.all([...monitors.values()].map((m) => m.stop()));
    },
  });

  // Each capability serves its own slice of the contract.
  const api: ConsoleApi = {
    ...createMonitorApi({ workspacePath: loaded.path, workspace: ws, monitors, store }),
    ...createRunsApi(
      runs,
      ws.environments.map((e) => e.name),
    ),
  };

  let started = false;
  let stopping: Promise<void> | null = null;
  const core: Core = {
    api,
    workspacePath: loaded.path,
    workspace: ws,
    runs,
    on(event, listener) {
      bus.on(event, listener as (p: unknown) => void);
      return () => bus.off(event, listener as (p: unknown) => void);
    },
    start() {
      if (started) return;
      started = true;
      for (const p of parts) p.start?.();
    },
    async pollOnce(env) {
      const m = monitors.get(env);
      if (!m) return null;
      await listRunbooks();
      return m.pollOnce();
    },
    stop() {
      stopping ??= (async () => {
        // every part is stopped even when one fails; the first failure is then reported
        let first: unknown;
        for (const p of [...parts].reverse()) {
          try {
            await p.stop();
          } catch (e) {
            first ??= e;
          }
        }
        if (first !== undefined) throw first;
      })();
      return stopping;
    },
  };
  return { ok: true, core };
}
