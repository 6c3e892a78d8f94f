/**
 * The error step kinds throw, and the engine's rule for what is worth retrying.
 */
import { isTransientKind } from '../platform/op-error.ts';
import type { OpErrorKind } from '../../../shared/result.ts';

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

  constructor(
    kind: OpErrorKind,
    message: string,
    options: { hint?: string; where?: string; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.kind = kind;
    this.hint = options.hint;
    this.where = options.where;
    this.retryable = options.retryable ?? isTransientKind(kind);
  }
}

/** The one conversion to OpError and the one retry rule (re-exported: the engine imports them from here). */
export { toOpError, isRetryable } from '../platform/op-error.ts';
