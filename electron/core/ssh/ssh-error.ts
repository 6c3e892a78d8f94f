/**
 * Errors of the SSH layer, carrying the OpError a user sees, plus the helper every service
 * uses to turn any thrown value into an OpError (so reasons shown in the UI are uniform).
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
  constructor(kind: OpErrorKind, message: string, hint: string | undefined, where: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SshError';
    this.error = { kind, message, ...(hint !== undefined ? { hint } : {}), where };
  }
}

/**
 * Any thrown value → OpError. Errors that already carry an OpError (`SshError`, `SecretError`,
 * `SshCommandError`, …: anything with an `error` object holding `kind` and `message`) keep it;
 * Node socket errors map by `code`; anything else becomes `internal`.
 */
export function toOpError(e: unknown, where?: string): OpError {
  if (e && typeof e === 'object' && 'error' in e) {
    const inner = (e as { error: unknown }).error;
    if (inner && typeof inner === 'object' && 'kind' in inner && 'message' in inner) {
      const op = inner as OpError;
      return op.where !== undefined || where === undefined ? op : { ...op, where };
    }
  }
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as NodeJS.ErrnoException).code;
  const at = where !== undefined ? { where } : {};
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EPIPE') {
    return { kind: 'unreachable', message: `${err.message}`, ...at };
  }
  if (code === 'ETIMEDOUT' || err.name === 'TaskCancelledError' || err.name === 'AbortError' || err.name === 'TimeoutError') {
    return { kind: 'timeout', message: err.message, ...at };
  }
  return { kind: 'internal', message: err.message || err.name, ...at };
}
