/**
 * The one error type every DNS provider, query and update in `electron/core/dns/` throws.
 * It carries an `OpError`-shaped payload (shared/result.ts) so a caller can hand it across
 * the contract unchanged: `{ kind, message, hint, where }`.
 */
import type { OpError } from '../../../shared/result.ts';

/** The OpError kinds a DNS operation can fail with. */
export type DnsProviderErrorKind = 'unreachable' | 'auth' | 'timeout' | 'conflict' | 'invalid-input';

/**
 * Error thrown by `DnsProvider` methods, `queryAuthoritative`, TSIG and key-file parsing.
 *
 * - `unreachable`: connection refused/reset, SERVFAIL, HTTP 5xx, malformed reply.
 * - `auth`: API key rejected (HTTP 401/403), TSIG NOTAUTH/BADSIG/BADKEY/BADTIME, REFUSED,
 *   a reply whose TSIG MAC does not verify.
 * - `timeout`: no answer within the per-request bound (message says how many ms).
 * - `conflict`: a compare-and-swap expectation did not hold (RFC 2136 NXRRSET/YXRRSET, or the
 *   pre-write read differed).
 * - `invalid-input`: bad name/value/config, zone not found, an API key over plain http to a non-loopback host.
 *
 * `message` never contains a secret.
 */
export class DnsProviderError extends Error {
  override readonly name = 'DnsProviderError';
  readonly kind: DnsProviderErrorKind;
  readonly hint: string | undefined;
  readonly where: string | undefined;

  /**
   * @param kind OpError kind.
   * @param message one sentence a person can act on.
   * @param hint how to fix it (file, field, command).
   * @param options `where` = provider name / server / record, `cause` = underlying error.
   */
  constructor(
    kind: DnsProviderErrorKind,
    message: string,
    hint?: string,
    options?: { where?: string; cause?: unknown },
  ) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.kind = kind;
    this.hint = hint;
    this.where = options?.where;
  }

  /** The error as `OpError` data (JSON-safe, for the contract). */
  get opError(): OpError {
    return {
      kind: this.kind,
      message: this.message,
      ...(this.hint !== undefined ? { hint: this.hint } : {}),
      ...(this.where !== undefined ? { where: this.where } : {}),
    };
  }
}

/** True when `e` is a `DnsProviderError` (also across duplicated module instances). */
export function isDnsProviderError(e: unknown): e is DnsProviderError {
  return e instanceof DnsProviderError || (e instanceof Error && e.name === 'DnsProviderError' && 'kind' in e);
}

/**
 * Short, stable text for a Node/undici network error: `"ECONNREFUSED 127.0.0.1:15381"`,
 * `"ECONNRESET"`, or the error message when there is no code. Used as the `reason` users see.
 */
export function describeNetworkError(e: unknown): string {
  if (e instanceof Error) {
    const err = e as Error & { code?: unknown; address?: unknown; port?: unknown };
    if (typeof err.code === 'string' && /^E[A-Z]+$/.test(err.code)) {
      const addr = typeof err.address === 'string' ? err.address : undefined;
      const port = typeof err.port === 'number' ? err.port : undefined;
      if (addr !== undefined) {
        const host = addr.includes(':') ? `[${addr}]` : addr;
        return port !== undefined ? `${err.code} ${host}:${port}` : `${err.code} ${host}`;
      }
      return err.code;
    }
    return e.message;
  }
  return String(e);
}

/**
 * Coerce anything thrown below a provider method into a `DnsProviderError`: passes
 * DnsProviderErrors through; an abort of `signal` becomes `timeout` ("cancelled: reason");
 * network errors become `unreachable` with `describeNetworkError` text.
 */
export function toDnsProviderError(e: unknown, where: string, signal?: AbortSignal): DnsProviderError {
  if (isDnsProviderError(e)) return e;
  if (signal?.aborted) {
    const r: unknown = signal.reason;
    const why = r instanceof Error ? r.message : r !== undefined ? String(r) : 'aborted';
    return new DnsProviderError('timeout', `cancelled: ${why}`, undefined, { where, cause: e });
  }
  return new DnsProviderError('unreachable', describeNetworkError(e), undefined, { where, cause: e });
}
