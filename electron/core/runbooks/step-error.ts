/**
 * The error step kinds throw, and the engine's rule for what is worth retrying.
 */
import { TaskCancelledError } from 'cockatiel';
import type { OpErrorKind } from '../../../shared/result.ts';

/** OpError kinds that describe a transient condition: retried, then the run pauses (resumable). */
const transientKinds: ReadonlySet<string> = new Set<OpErrorKind>(['unreachable', 'timeout', 'conflict']);
/** Node/libuv network error codes that are transient. */
const transientCodes: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN']);

/**
 * A step failure as data: `kind` (OpError kind), `message`, `hint`, `where`. `retryable`
 * defaults to whether `kind` is transient (`unreachable`, `timeout`, `conflict`).
 */
export class StepError extends Error {
  override readonly name = 'StepError';
  readonly kind: OpErrorKind;
  readonly hint: string | undefined;
  readonly where: string | undefined;
  readonly retryable: boolean;

  constructor(kind: OpErrorKind, message: string, options: { hint?: string; where?: string; retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.kind = kind;
    this.hint = options.hint;
    this.where = options.where;
    this.retryable = options.retryable ?? transientKinds.has(kind);
  }
}

/**
 * True when `e` is worth another attempt: a cockatiel timeout, a StepError (or any error with
 * an OpError-like `kind`, e.g. DnsProviderError) of a transient kind, an explicit
 * `retryable: true`, or a transient network errno.
 */
export function isRetryable(e: unknown): boolean {
  if (e instanceof TaskCancelledError) return true;
  if (typeof e !== 'object' || e === null) return false;
  const o = e as { retryable?: unknown; kind?: unknown; code?: unknown };
  if (typeof o.retryable === 'boolean') return o.retryable;
  if (typeof o.kind === 'string') return transientKinds.has(o.kind);
  return typeof o.code === 'string' && transientCodes.has(o.code);
}

/** The one conversion of a thrown value to OpError (re-exported: the engine imports it from here). */
export { toOpError } from '../platform/op-error.ts';
