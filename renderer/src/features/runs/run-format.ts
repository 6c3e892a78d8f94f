/**
 * Formatting for runs: step and run durations, wait progress (TTL countdown, lag), measured
 * recovery against the RTO objective, and start times in the history.
 */
import type { RunStatus } from '../../../../shared/runs/run-event.ts';
import type { RecoveryFrom } from '../../../../shared/runs/run-summary.ts';
import type { RunPlan } from '../../../../shared/runs/run-plan.ts';
import type { StepProgress } from '../../../../shared/runs/step-progress.ts';
import { formatBytes, formatSeconds } from '../../ui/format.ts';
import { isRunLive } from './run-timeline.ts';
import type { Tone } from '../../ui/state-badge.ts';

/**
 * A duration as the timeline shows it: `0 ms`, `812 ms`, `4.2 s`, `42 s`, `2 min 05 s`. Null → `—`.
 * @param ms duration, ms
 */
export function formatDurationMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  const v = Math.max(0, ms);
  if (v < 1000) return `${Math.round(v)} ms`;
  if (v < 9_950) return `${(v / 1000).toFixed(1)} s`;
  return formatSeconds(Math.round(v / 1000));
}

/**
 * A countdown: `1:05`, `0:23`, `0:00` (minutes:seconds, rounded up so it reaches 0:00 only when
 * the wait is over); hours as `1:02:03`.
 * @param ms time left, ms
 */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A measured value with its unit: bytes as `12.4 KiB`, seconds as `0.42 s`, else `value unit`. */
export function formatMeasured(value: number, unit: string | undefined): string {
  if (unit === 'bytes' || unit === 'B') return formatBytes(value);
  if (unit === 's' || unit === 'seconds') return formatSeconds(value);
  if (unit === 'ms') return formatDurationMs(value);
  return unit ? `${value} ${unit}` : String(value);
}

/** No progress event for this long while a wait runs: say so (the host may be slow or gone). */
export const progressQuietMs = 10_000;

export interface ProgressView {
  message: string;
  /** Live time left (extrapolated from the last event on the page clock), ms; null when not a wait. */
  remainingMs: number | null;
  /** `0:23`, or null. */
  countdown: string | null;
  /** 0..1 for the bar, extrapolated with the countdown; null when unknown. */
  fraction: number | null;
  /** `lag 12.4 KiB`-style value, or null. */
  measured: string | null;
  /** No update for {@link progressQuietMs}: the age, ms; else null. */
  quietForMs: number | null;
}

/**
 * What a wait shows now, `now` ms (page clock) after the event that arrived at `receivedAt`.
 * With both `remainingMs` and `fraction`, the fraction advances with the countdown
 * (total = remaining / (1 − fraction)); otherwise the reported fraction is shown as is.
 */
export function progressView(p: StepProgress, receivedAt: number, now: number): ProgressView {
  const elapsed = Math.max(0, now - receivedAt);
  const remainingMs = p.remainingMs === undefined ? null : Math.max(0, p.remainingMs - elapsed);
  let fraction: number | null = p.fraction === undefined ? null : clamp01(p.fraction);
  if (p.remainingMs !== undefined && remainingMs !== null) {
    if (fraction !== null && fraction < 1 && p.remainingMs > 0 && remainingMs < p.remainingMs) {
      const total = p.remainingMs / (1 - fraction);
      fraction = clamp01(1 - remainingMs / total);
    } else if (fraction === null && p.remainingMs === 0) fraction = 1;
  }
  return {
    message: p.message,
    remainingMs,
    countdown: remainingMs === null ? null : formatCountdown(remainingMs),
    fraction,
    measured: p.value === undefined ? null : formatMeasured(p.value, p.unit),
    quietForMs: elapsed > progressQuietMs ? elapsed : null,
  };
}

const clamp01 = (x: number): number => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);

/** The measured recovery beside the RTO objective. */
export interface RecoveryView {
  state: 'ok' | 'breach' | 'measuring' | 'not-measured' | 'not-applicable' | 'no-objective';
  tone: Tone;
  /** `4.2 s of 60 s RTO`, `measuring…`, … */
  text: string;
  /** A sentence on what was measured (for a title/explanation). */
  detail: string;
  /** What the measurement counts from (null when not known); shown as `data-recovery-from`. */
  from: RecoveryFrom | null;
  /**
   * The basis in words beside a measured time: `from the first failed probe at 12:03:04` or
   * `from run start`; null while nothing is measured or the basis is not known.
   */
  fromText: string | null;
}

/** A run's recovery basis, as the run summary carries it (times epoch ms). */
export interface RecoveryBasisInput {
  from: RecoveryFrom | null;
  /** The instant recovery is counted from, epoch ms. */
  startedAt: number | null;
  /** Page clock, epoch ms (for "today" in the time). */
  now: number;
}

/** How long after a run ended the page keeps waiting for a measurement before saying "not measured", ms. */
export const recoveryWaitMs = 300_000;

/**
 * The measured recovery beside the RTO objective, and what it counts from.
 * @param recoveryMs measured recovery, ms (null until measured)
 * @param rtoObjectiveSeconds objective, s
 * @param movesTraffic the runbook points DNS at a site (otherwise nothing is measured)
 * @param endedAgoMs how long ago the run ended (page clock), ms; null while it runs
 * @param status the run's status: one that ended without succeeding moved no traffic for good
 *   (aborted, failed, rolled back), so nothing will be measured
 * @param basis what the measurement counts from (the summary's recoveryFrom / recoveryStartedAt)
 */
export function recoveryView(
  recoveryMs: number | null,
  rtoObjectiveSeconds: number | null,
  movesTraffic: boolean,
  endedAgoMs: number | null,
  status: RunStatus = 'succeeded',
  basis: RecoveryBasisInput | null = null,
): RecoveryView {
  const from = basis?.from ?? null;
  const at = basis?.startedAt ?? null;
  const reached = 'to the first healthy probe of the new site reached through the new DNS answer';
  const detail =
    from === 'first-failed-probe' && at !== null
      ? `From the first failed probe of the site traffic left (${formatLogTime(at)} — a failure triggered this run) ${reached}.`
      : from === 'run-start'
        ? `From the run’s start (no failure of the site traffic left was seen when it started) ${reached}.`
        : `From the run’s start (or the first failed probe, when a failure triggered it) ${reached}.`;
  const view = (
    state: RecoveryView['state'],
    tone: Tone,
    text: string,
    fromText: string | null = null,
  ): RecoveryView => ({ state, tone, text, detail, from, fromText });
  if (recoveryMs !== null) {
    const measured = formatDurationMs(recoveryMs);
    const fromText =
      from === 'first-failed-probe' && at !== null && basis
        ? `from the first failed probe at ${formatStartedAt(at, basis.now)}`
        : from === 'run-start'
          ? 'from run start'
          : null;
    if (rtoObjectiveSeconds === null)
      return view('no-objective', 'neutral', `${measured} (no RTO objective)`, fromText);
    const ok = recoveryMs <= rtoObjectiveSeconds * 1000;
    return view(
      ok ? 'ok' : 'breach',
      ok ? 'ok' : 'bad',
      `${measured} of ${formatSeconds(rtoObjectiveSeconds)} RTO`,
      fromText,
    );
  }
  if (!movesTraffic) return view('not-applicable', 'neutral', 'not measured — this runbook moves no DNS');
  if (status !== 'succeeded' && !isRunLive(status))
    return view('not-applicable', 'neutral', `not measured — the run ended ${status}`);
  if (endedAgoMs !== null && endedAgoMs > recoveryWaitMs)
    return view('not-measured', 'unknown', 'not measured — the new site was never reached through DNS');
  return view(
    'measuring',
    'unknown',
    `measuring…${rtoObjectiveSeconds === null ? '' : ` (RTO ${formatSeconds(rtoObjectiveSeconds)})`}`,
  );
}

/** True when the plan points a DNS record at a site (the runs whose recovery time is measured). */
export const movesTraffic = (plan: RunPlan | null): boolean =>
  plan?.steps.some((s) => s.plan?.effects.some((e) => e.type === 'dns-point' && e.toSite !== null)) ?? false;

/**
 * A start time for the history: `14:03:27` today, `Mar 4 14:03` otherwise (page time zone).
 * @param t epoch ms
 * @param now epoch ms
 */
export function formatStartedAt(t: number, now: number): string {
  const d = new Date(t);
  const n = new Date(now);
  const hh = String(d.getHours()).padStart(2, '0');
  const mm = String(d.getMinutes()).padStart(2, '0');
  const ss = String(d.getSeconds()).padStart(2, '0');
  const sameDay = d.getFullYear() === n.getFullYear() && d.getMonth() === n.getMonth() && d.getDate() === n.getDate();
  if (sameDay) return `${hh}:${mm}:${ss}`;
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getMonth()];
  return `${month} ${d.getDate()} ${hh}:${mm}`;
}

/** A log line's time, `14:03:27.412` (page time zone). */
export function formatLogTime(t: number): string {
  const d = new Date(t);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/**
 * Recovery vs RTO on one track: the fill and the objective marker as fractions of a scale that
 * leaves room past the objective (×1.25) or past a breach (×1.1).
 * @param recoveryMs measured recovery, ms
 * @param rtoObjectiveSeconds objective, s
 */
export function recoveryGauge(recoveryMs: number, rtoObjectiveSeconds: number): { fill: number; marker: number } {
  const rto = Math.max(0, rtoObjectiveSeconds * 1000);
  const scale = Math.max(rto * 1.25, recoveryMs * 1.1, 1);
  return { fill: Math.min(1, Math.max(0, recoveryMs / scale)), marker: Math.min(1, rto / scale) };
}
