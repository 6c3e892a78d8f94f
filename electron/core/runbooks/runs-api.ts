/**
 * The runs' slice of the ConsoleApi (shared/contract/runs.ts): runbooks, plans, runs and locks,
 * served by the RunService. The calls that start or continue a run answer once it is under way
 * (`{ runId }`); the run's `run` events tell where it goes.
 */
import type { RunsApi } from '../../../shared/contract/index.ts';
import { ok } from '../../../shared/result.ts';
import { noEnvironment } from '../platform/no-environment.ts';
import type { RunService } from './run-service.ts';

/**
 * Builds the run methods over `runs`. `environments` are the workspace's environment names:
 * a method naming another one answers `not-found` (naming the known ones).
 */
export function createRunsApi(runs: RunService, environments: readonly string[]): RunsApi {
  const known = (env: string) => environments.includes(env);
  return {
    async listRunbooks({ env }) {
      return known(env) ? ok(await runs.listRunbooks()) : noEnvironment(env, environments);
    },
    planRun: ({ env, runbook }) => runs.planRun(env, runbook),
    executeRun: ({ planId, confirmation, overrides }) => runs.executeRun(planId, confirmation, overrides ?? []),
    resumeRun: ({ runId, overrides }) => runs.resumeRun(runId, overrides ?? []),
    approveStep: ({ runId, stepId }) => runs.approve(runId, stepId),
    abortRun: ({ runId, reason }) => runs.abort(runId, reason),
    rollbackRun: ({ runId }) => runs.rollback(runId),
    async listRuns({ env, limit }) {
      return known(env) ? ok(runs.listRuns(env, limit ?? 50)) : noEnvironment(env, environments);
    },
    async getRun({ runId }) {
      return runs.getRun(runId);
    },
    async getLock({ env }) {
      return known(env) ? ok(runs.lockInfo(env)) : noEnvironment(env, environments);
    },
    async breakLock({ env, reason }) {
      return known(env) ? runs.breakLock(env, reason) : noEnvironment(env, environments);
    },
  };
}
