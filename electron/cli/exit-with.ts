/**
 * Commander ignores what an action returns; the CLI's actions return their exit code, and this
 * wrapper hands it to Node (`process.exitCode`), which the entry point exits with.
 */

/**
 * Wraps an action that resolves to an exit code (see EXIT_CODES) into a commander action.
 * Errors propagate to the entry point, which prints them as one line.
 */
export function exitWith<A extends unknown[]>(
  action: (...args: A) => Promise<number> | number,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    process.exitCode = await action(...args);
  };
}
