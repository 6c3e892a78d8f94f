/**
 * The one error type of secret resolution. Its own module so that the keychain backend
 * (os-keychain.ts) and the resolver (resolve-secret.ts) can both construct it without importing
 * each other at run time.
 */
import type { OpError, OpErrorKind } from '../../../shared/result.ts';

/**
 * A secret could not be resolved. `error` is the OpError to show (kind, message, hint, where);
 * the message names the reference (variable name, file path, keychain entry), never the value.
 */
export class SecretError extends Error {
  readonly error: OpError;
  constructor(kind: OpErrorKind, message: string, hint: string | undefined, where: string) {
    super(message);
    this.name = 'SecretError';
    this.error = { kind, message, ...(hint !== undefined ? { hint } : {}), where };
  }
}
