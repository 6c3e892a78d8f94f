/**
 * The one conversion of any thrown value into OpError data (shared/result.ts), used by every
 * domain, the monitor and the run engine, so a reason reads the same wherever it is shown.
 */
import { TaskCancelledError } from 'cockatiel';
import { opErrorKinds, type OpError, type OpErrorKind } from '../../../shared/result.ts';

// the contract's list, so a kind added there is recognised here too
const knownKinds: ReadonlySet<string> = new Set<string>(opErrorKinds);

/** Node/libuv socket error codes of a peer that cannot be reached (or went away). */
const unreachableCodes: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'EAI_AGAIN',
]);

/** True when `k` is one of the OpError kinds of the contract. */
export function isOpErrorKind(k: string): k is OpErrorKind {
  return knownKinds.has(k);
}

/**
 * Any thrown value → OpError, first rule that applies:
 * 1. a cockatiel timeout (`TaskCancelledError`) → `timeout`;
 * 2. an error carrying an OpError in `error` (`SshError`, `SecretError`, `ReplicationError`,
 *    `SshCommandError`…) → that OpError, with `where` added when it has none;
 * 3. an error whose own `kind` is an OpError kind (`StepError`, `DnsProviderError`…) → that kind
 *    with its `message`, `hint` and `where`;
 * 4. a socket error `code`: refused/reset/unreachable/EPIPE/EAI_AGAIN → `unreachable`,
 *    `ETIMEDOUT` (or an `AbortError` / `TimeoutError`) → `timeout`;
 * 5. an explicit `retryable: true` → `unreachable`;
 * 6. anything else → `internal`.
 * @param where default `where` when the error names none (a node, a step id, an SSH target).
 */
export function toOpError(e: unknown, where?: string): OpError {
  const at = where !== undefined && where !== '' ? { where } : {};
  if (e instanceof TaskCancelledError) return { kind: 'timeout', message: e.message, ...at };
  if (typeof e !== 'object' || e === null) return { kind: 'internal', message: String(e), ...at };
  const o = e as {
    error?: unknown;
    kind?: unknown;
    message?: unknown;
    hint?: unknown;
    where?: unknown;
    code?: unknown;
    name?: unknown;
    retryable?: unknown;
  };
  const inner = o.error;
  if (inner && typeof inner === 'object' && 'kind' in inner && 'message' in inner) {
    const op = inner as OpError;
    return op.where !== undefined || where === undefined ? op : { ...op, where };
  }
  const message =
    typeof o.message === 'string' && o.message !== ''
      ? o.message
      : typeof o.name === 'string' && o.message === ''
        ? o.name
        : String(e);
  if (typeof o.kind === 'string' && isOpErrorKind(o.kind)) {
    const w = typeof o.where === 'string' ? o.where : where;
    return {
      kind: o.kind,
      message,
      ...(typeof o.hint === 'string' ? { hint: o.hint } : {}),
      ...(w ? { where: w } : {}),
    };
  }
  const code = typeof o.code === 'string' ? o.code : undefined;
  if (code !== undefined && unreachableCodes.has(code)) return { kind: 'unreachable', message, ...at };
  if (code === 'ETIMEDOUT' || o.name === 'AbortError' || o.name === 'TimeoutError' || o.name === 'TaskCancelledError')
    return { kind: 'timeout', message, ...at };
  if (o.retryable === true) return { kind: 'unreachable', message, ...at };
  return { kind: 'internal', message, ...at };
}

/** OpError kinds that describe a transient condition: worth another attempt (then a run pauses, resumable). */
const transientKinds: ReadonlySet<string> = new Set<OpErrorKind>(['unreachable', 'timeout', 'conflict']);
/** Node/libuv network error codes that are transient. */
const transientCodes: ReadonlySet<string> = new Set([...unreachableCodes, 'ETIMEDOUT']);

/**
 * True when `e` is worth another attempt: a cockatiel timeout, an explicit `retryable` flag
 * (wins when present), an error with an OpError-like transient `kind` (`unreachable`,
 * `timeout`, `conflict`: StepError, DnsProviderError…), or a transient network errno.
 * The one rule for the run engine's step retries and the DNS compare-and-swap retries.
 */
export function isRetryable(e: unknown): boolean {
  if (e instanceof TaskCancelledError) return true;
  if (typeof e !== 'object' || e === null) return false;
  const o = e as { retryable?: unknown; kind?: unknown; code?: unknown };
  if (typeof o.retryable === 'boolean') return o.retryable;
  if (typeof o.kind === 'string') return transientKinds.has(o.kind);
  return typeof o.code === 'string' && transientCodes.has(o.code);
}

/** True when `kind` is transient (the default `retryable` of a StepError of that kind). */
export function isTransientKind(kind: string): boolean {
  return transientKinds.has(kind);
}
