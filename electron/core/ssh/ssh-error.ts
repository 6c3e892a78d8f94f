/**
 * Errors of the SSH layer, carrying the OpError a user sees (`toOpError` of
 * platform/op-error.ts keeps it).
 */
import type { OpError, OpErrorKind } from '../../../shared/result.ts';

/**
 * Connecting, authenticating, opening a channel or a tunnel failed, or a command timed out.
 * `error` is the OpError to show: `unreachable` (refused, reset, closed), `timeout`,
 * `auth` (host key refused, public key rejected, unreadable key), `invalid-input` (bad key file),
 * `unsupported` (encrypted key). `where` is the SSH target `user@host:port`.
 */
export class SshError extends Error {
  readonly error: OpError;
  constructor(
    kind: OpErrorKind,
    message: string,
    hint: string | undefined,
    where: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SshError';
    this.error = { kind, message, ...(hint !== undefined ? { hint } : {}), where };
  }
}

/** The one conversion of a thrown value to OpError (re-exported: SSH callers import it from here). */
export { toOpError } from '../platform/op-error.ts';
