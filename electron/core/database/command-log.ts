/**
 * Records every command a mutation runs (SQL or shell), with its wall time and a short outcome,
 * so a step can show exactly what happened — also when it failed half-way.
 */
import type { OpCommand } from './replication-adapter.ts';

/** Ordered record of the commands of one operation. */
export class CommandLog {
  readonly commands: OpCommand[] = [];
  readonly #t0 = performance.now();

  /** ms since the log was created. */
  elapsedMs(): number {
    return Math.round(performance.now() - this.#t0);
  }

  /**
   * Runs `fn`, recording `cmd` with its duration and `outcome(value)` (or the error's first line).
   * Rethrows whatever `fn` throws.
   */
  async run<T>(cmd: Pick<OpCommand, 'kind' | 'target' | 'text'>, fn: () => Promise<T>, outcome?: (value: T) => string): Promise<T> {
    const t0 = performance.now();
    const entry: OpCommand = { ...cmd };
    this.commands.push(entry);
    try {
      const v = await fn();
      entry.durationMs = Math.round(performance.now() - t0);
      const o = outcome?.(v);
      if (o !== undefined && o !== '') entry.outcome = clip(o);
      return v;
    } catch (e) {
      entry.durationMs = Math.round(performance.now() - t0);
      entry.outcome = clip(`failed: ${firstLine(e)}`);
      throw e;
    }
  }
}

function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.trim().split('\n')[0] ?? '';
}

function clip(s: string, n = 300): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
