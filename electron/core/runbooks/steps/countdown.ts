/**
 * A visible wait: sleeps until a deadline in ticks, reporting the time left after each tick, so
 * the timeline shows a countdown (`old TTL drains in 23 s`). Uses the context's clock and sleep,
 * so a timeout or abort stops it at once and unit tests run it on a fake clock.
 */
import type { StepContext, StepProgress } from '../step-kind.ts';

/**
 * Waits until `deadline` (epoch ms, by `ctx.now()`). Reports `{ message: text(s), remainingMs,
 * fraction }` at once and after every tick (default 1000 ms; the last tick is shorter), where
 * `fraction` is the share of `totalMs` elapsed. Returns at once when the deadline has passed.
 * At most `ceil(totalMs / tickMs) + 2` ticks, whatever the clock does.
 * @throws the abort reason of `ctx.signal` (via `ctx.sleep`).
 */
export async function countdown(
  ctx: Pick<StepContext, 'now' | 'sleep'>,
  deadline: number,
  totalMs: number,
  text: (remainingSeconds: number) => string,
  progress: (p: StepProgress) => void,
  tickMs = 1000,
): Promise<void> {
  const total = Math.max(1, totalMs);
  const report = (remainingMs: number): void =>
    progress({
      message: text(Math.ceil(remainingMs / 1000)),
      remainingMs,
      fraction: Math.min(1, Math.max(0, 1 - remainingMs / total)),
    });
  const maxTicks = Math.ceil(total / tickMs) + 2;
  for (let i = 0; i < maxTicks; i++) {
    const left = deadline - ctx.now();
    if (left <= 0) break;
    report(left);
    await ctx.sleep(Math.min(tickMs, left));
  }
  report(0);
}
