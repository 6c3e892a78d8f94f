/**
 * The environment's run lock when held: by which run and process, since when; a stale lock
 * (its process is gone or silent) can be broken deliberately with a typed reason (audited).
 */
import { useState } from 'react';
import { formatAge } from '../../ui/age.ts';
import { formatStartedAt } from './run-format.ts';
import { minOverrideReasonChars, reasonValid, shortId } from './run-safety.ts';
import { useClockStore } from '../../ui/clock-store.ts';
import { useRunsStore } from './runs-store.ts';
import { Icon } from '../../ui/icon.tsx';

export function RunLockBanner() {
  const lock = useRunsStore((s) => s.lock);
  const openRunId = useRunsStore((s) => s.openRunId);
  const breaking = useRunsStore((s) => s.breakingLock);
  const error = useRunsStore((s) => s.breakLockError);
  const actions = useRunsStore((s) => s.actions);
  const now = useClockStore((s) => s.now);
  const [reason, setReason] = useState<string | null>(null);
  if (!lock?.held) return null;
  const ours = lock.runId !== null && lock.runId === openRunId;
  const tone = lock.stale ? 'bad' : ours ? 'neutral' : 'warn';
  return (
    <div
      className={`notice lock-banner tone-${tone}`}
      role={lock.stale ? 'alert' : 'status'}
      data-testid="lock-banner"
      data-stale={lock.stale || undefined}
    >
      <Icon name="lock" size={14} />
      <div className="lock-body">
        <div>
          <strong>
            {lock.env} is locked{ours ? ' by the run shown below' : ''}
            {lock.stale ? ' — the lock looks stale' : ''}.
          </strong>{' '}
          Run{' '}
          {lock.runId ? (
            <button
              type="button"
              className="link-button mono"
              onClick={() => void actions.openRun(lock.runId!)}
              data-testid="lock-run"
            >
              {shortId(lock.runId)}
            </button>
          ) : (
            '—'
          )}{' '}
          held by <span className="mono">{lock.holder ?? 'unknown'}</span>
          {lock.since !== null && (
            <>
              {' '}
              since {formatStartedAt(lock.since, now)} ({formatAge(now - lock.since)})
            </>
          )}
          . One run per environment: no other run can start until it is released.
        </div>
        {lock.stale && lock.staleReason && <div className="muted">Why stale: {lock.staleReason}</div>}
        {lock.stale && reason === null && (
          <button
            type="button"
            className="btn btn-breakglass btn-sm"
            data-testid="break-lock-button"
            onClick={() => setReason('')}
          >
            <Icon name="warn" size={11} /> break lock…
          </button>
        )}
        {lock.stale && reason !== null && (
          <div className="breakglass lock-break">
            <label className="small" htmlFor="break-lock-reason">
              Breaking the lock lets another run start while run {shortId(lock.runId)} may still hold state. Prefer{' '}
              <strong>Resume</strong> on that run. Why is it safe? (audited, ≥ {minOverrideReasonChars} characters)
            </label>
            <div className="lock-break-row">
              <input
                id="break-lock-reason"
                data-testid="break-lock-reason"
                value={reason}
                autoFocus
                spellCheck={false}
                placeholder="e.g. ops-laptop crashed; the process is gone"
                onChange={(e) => setReason(e.target.value)}
              />
              <button
                type="button"
                className="btn btn-danger btn-sm"
                data-testid="break-lock-confirm"
                disabled={!reasonValid(reason) || breaking}
                onClick={() => void actions.breakLock(reason.trim()).then(() => setReason(null))}
              >
                {breaking ? 'Breaking…' : 'Break lock'}
              </button>
              <button type="button" className="link-button" onClick={() => setReason(null)}>
                cancel
              </button>
            </div>
          </div>
        )}
        {error && <div className="inline-error">Could not break the lock: {error.message}</div>}
      </div>
    </div>
  );
}
