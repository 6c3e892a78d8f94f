/**
 * Which step failures pause a run (resumable once the cause is fixed) rather than end it
 * `failed` (issue 7 §5 "finish what you started"). A wrong credential, a closed port or a slow
 * server are facts of the outside world that an operator can fix; after the fix `standby resume`
 * continues where the run stopped, which a failed run cannot.
 */
import type { OpError } from '../../../shared/result.ts';

/**
 * OpError kinds caused by something outside Standby that a person can fix while the run waits:
 * `auth` (wrong or expired key, TSIG), `unreachable` (closed port, host down), `timeout`,
 * `conflict` (someone changed the record meanwhile).
 */
const resumableKinds: ReadonlySet<string> = new Set(['auth', 'unreachable', 'timeout', 'conflict']);

/**
 * True when a step that failed with `error` should pause the run instead of failing it.
 * `retryable` is the step runner's verdict (op-error.ts `isRetryable`): it decides immediate
 * retries, and `auth` is deliberately not retried at once (the same key fails again), yet it is
 * resumable.
 */
export function pausesRun(error: OpError, retryable: boolean): boolean {
  return retryable || resumableKinds.has(error.kind);
}
