/**
 * A mistake in how a command was called — a bad option, no workspace found, an invalid
 * workspace file — as opposed to an operation that failed. The CLI prints its message as one
 * line (what, where, how to fix) and exits with {@link EXIT_CODES}.usage (2).
 */
export class UsageError extends Error {
  override name = 'UsageError';
}
