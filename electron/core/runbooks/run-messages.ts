/**
 * The sentences the run engine says to an operator about a run it refuses or ends: who holds
 * the environment's lock and what to do about it, and why a run whose every step ran did not
 * succeed. Pure functions over journal and lock data.
 */
import type { EnvLockInfo } from './env-lock.ts';
import type { SafetyOverride } from './safety-rules.ts';

/**
 * Why a run whose every step ran still did not succeed: its best-effort (`continueOnError`)
 * steps that failed, with their errors, and the overrides that let the run go on past them.
 * Never "succeeded": an unverified fence is exactly the "success while a hook failed" that
 * operators of orchestrator complain about.
 */
export function unverifiedDetail(
  failed: { stepId: string; error: { message: string } | null }[],
  overrides: readonly SafetyOverride[],
): string {
  const steps = failed.map((r) => `${r.stepId} (${r.error?.message ?? 'failed'})`).join('; ');
  const forced =
    overrides.length > 0
      ? `; overrides: ${overrides.map((o) => `${o.rule}${o.stepId ? `@${o.stepId}` : ''} — "${o.reason}"`).join(', ')}`
      : '';
  return `every other step verified, but ${failed.length === 1 ? 'this step was' : `${failed.length} steps were`} not (continueOnError): ${steps}${forced}`;
}

/** `environment "lab" is locked by run … since …`, saying when the lock looks stale. */
export function lockedMessage(env: string, h: EnvLockInfo): string {
  const who = h.state === 'paused' ? `paused run ${h.runId}` : `run ${h.runId} (pid ${h.holderPid} on ${h.holderHost})`;
  const stale = h.stale ? ` — the lock looks stale: ${h.staleReason}` : '';
  return `environment "${env}" is locked by ${who} since ${new Date(h.startedAt).toISOString()}${stale}`;
}

/** What to do about a held lock: resume, abort, roll back, wait, or break a stale one. */
export function lockHint(h: EnvLockInfo): string {
  if (h.state === 'paused') return `resume, abort or roll back run ${h.runId} first`;
  if (h.stale) return `resume run ${h.runId}, or break the lock deliberately with a reason (audited)`;
  return 'wait for that run to finish, or abort it';
}
