/**
 * Records every command a switch runs (SSH command or HTTP request) with its wall time and a
 * short outcome, so a step shows exactly what happened — also when it failed half-way.
 */
import type { RouterCommand } from './slot-router.ts';

/** Ordered record of the commands of one switch or verification. */
export class RouterCommandLog {
  readonly commands: RouterCommand[] = [];
  readonly #t0 = performance.now();

  /** ms since the log was created. */
  elapsedMs(): number {
    return Math.round(performance.now() - this.#t0);
  }

  /** Runs `fn`, recording `cmd` with its duration and `outcome(value)` (or the error's first line); rethrows. */
  async run<T>(cmd: Pick<RouterCommand, 'kind' | 'target' | 'text'>, fn: () => Promise<T>, outcome?: (value: T) => string): Promise<T> {
    const t0 = performance.now();
    const entry: RouterCommand = { ...cmd };
    this.commands.push(entry);
    try {
      const v = await fn();
      entry.durationMs = Math.round(performance.now() - t0);
      const o = outcome?.(v);
      if (o !== undefined && o !== '') entry.outcome = clip(o);
      return v;
    } catch (e) {
      entry.durationMs = Math.round(performance.now() - t0);
      entry.outcome = clip(`failed: ${(e instanceof Error ? e.message : String(e)).trim().split('\n')[0] ?? ''}`);
      throw e;
    }
  }
}

function clip(s: string, n = 300): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
