/**
 * Following a run over the contract, for clients that want the old "call until it stops"
 * (the CLI, tests, benchmarks): the run calls answer `{ runId }` at once, and the run's
 * `run-paused` / `run-finished` event says where it stopped.
 */
import type { ConsoleApi, ConsoleEventName, ConsoleEventPayload, RunUnderWay } from '../../../shared/contract/index.ts';
import type { Result } from '../../../shared/result.ts';
import type { RunEvent, RunOutcome } from '../../../shared/runs/run-event.ts';
import { runOutcomeOf } from '../../../shared/runs/run-summary.ts';

/** A client of the contract: the core itself (`Core`), or anything with its `api` and `on`. */
export interface ContractClient {
  readonly api: Pick<ConsoleApi, 'getRun'>;
  on<E extends ConsoleEventName>(event: E, listener: (payload: ConsoleEventPayload<E>) => void): () => void;
}

/**
 * Makes a run call (`executeRun`, `resumeRun`, `approveStep`, `rollbackRun`) and waits until the
 * run it answers with stops: its first `run-paused` or `run-finished` event from the call on.
 * Events are heard from before the call, so a run that stops before the answer arrives is not
 * missed.
 * @returns the outcome as journalled (`getRun`, see `runOutcomeOf`); the call's error when it
 *   was refused (nothing ran), or getRun's error.
 */
export async function runUntilStopped(
  client: ContractClient,
  call: () => Promise<Result<RunUnderWay>>,
): Promise<Result<RunOutcome>> {
  const stopped = new Set<string>();
  let waiting: { runId: string; resolve: () => void } | null = null;
  const off = client.on('run', (e: RunEvent) => {
    if (e.type !== 'run-paused' && e.type !== 'run-finished') return;
    stopped.add(e.runId);
    if (waiting?.runId === e.runId) waiting.resolve();
  });
  try {
    const r = await call();
    if (!r.ok) return r;
    const { runId } = r.value;
    if (!stopped.has(runId)) await new Promise<void>((resolve) => (waiting = { runId, resolve }));
    const run = await client.api.getRun({ runId });
    return run.ok ? { ok: true, value: runOutcomeOf(run.value) } : run;
  } finally {
    off();
  }
}
