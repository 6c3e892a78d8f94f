/**
 * Records every command an operation runs (SQL, shell over SSH, HTTP), with its wall time and a
 * short outcome, so a step can show exactly what happened — also when it failed half-way.
 * Shared by the database and traffic domains, each with its own command type: `CommandLog<OpCommand>`,
 * `CommandLog<RouterCommand>`.
 */

/** What every logged command has: the domain's command type adds its own `kind` values. */
export interface LoggedCommand {
  kind: string;
  /** Where it ran (database node, SSH target, URL origin). */
  target: string;
  /** The exact statement, command line or request. */
  text: string;
  /** Wall time, ms; absent in a plan or when it never finished. */
  durationMs?: number;
  /** Short outcome (first result value, exit code, HTTP status, first error line). */
  outcome?: string;
}

/** Ordered record of the commands of one operation. */
export class CommandLog<C extends LoggedCommand> {
  readonly commands: C[] = [];
  readonly #t0 = performance.now();

  /** ms since the log was created. */
  elapsedMs(): number {
    return Math.round(performance.now() - this.#t0);
  }

  /**
   * Runs `fn`, recording `cmd` with its duration and `outcome(value)` (or the error's first line).
   * Rethrows whatever `fn` throws.
   */
  async run<T>(
    cmd: Pick<C, 'kind' | 'target' | 'text'>,
    fn: () => Promise<T>,
    outcome?: (value: T) => string,
  ): Promise<T> {
    const t0 = performance.now();
    const entry = { ...cmd } as C;
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
