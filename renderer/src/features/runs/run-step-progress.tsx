/** Progress of a wait: message, measured value (lag), TTL countdown and a fraction bar. */
import type { StepProgress } from '../../../../shared/runs/step-progress.ts';
import { formatAge } from '../../ui/age.ts';
import { progressView } from './run-format.ts';

export interface RunStepProgressProps {
  stepId: string;
  progress: StepProgress;
  /** Page clock when the progress event arrived, epoch ms. */
  receivedAt: number;
  now: number;
}

export function RunStepProgress({ stepId, progress, receivedAt, now }: RunStepProgressProps) {
  const v = progressView(progress, receivedAt, now);
  return (
    <div
      className="step-progress"
      data-testid={`step-progress-${stepId}`}
      data-remaining-ms={v.remainingMs ?? undefined}
    >
      <div className="progress-line">
        <span className="progress-msg">{v.message}</span>
        {v.measured && (
          <span className="progress-value mono" data-testid={`step-progress-value-${stepId}`}>
            {v.measured}
          </span>
        )}
        {v.countdown && (
          <span
            className="countdown mono"
            data-testid={`step-countdown-${stepId}`}
            title="time left (counted down here between updates)"
          >
            {v.countdown}
          </span>
        )}
        {v.quietForMs !== null && <span className="progress-quiet small">no update for {formatAge(v.quietForMs)}</span>}
      </div>
      {v.fraction !== null && (
        <div
          className="progress-track"
          role="progressbar"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.round(v.fraction * 100)}
        >
          <span className="progress-fill" style={{ width: `${(v.fraction * 100).toFixed(1)}%` }} />
        </div>
      )}
    </div>
  );
}
