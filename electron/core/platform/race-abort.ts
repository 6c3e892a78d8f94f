/**
 * Lets a caller stop waiting for work that cannot itself be cancelled (an SSH handshake shared
 * by several callers, a tunnel being opened): the returned promise rejects with the signal's
 * reason as soon as `signal` aborts, while `work` goes on and settles on its own.
 */

/**
 * `work`, or a rejection with `signal.reason` once `signal` aborts, whichever comes first.
 * A rejection of `work` that arrives after the abort is consumed (never unhandled). The caller
 * owns cleaning up what `work` still produces (e.g. a session it sets on resolve is kept).
 * @returns what `work` resolves to.
 * @throws `signal.reason` when aborted first (immediately when already aborted); else `work`'s error.
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
