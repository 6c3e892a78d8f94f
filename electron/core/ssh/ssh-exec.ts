/**
 * Run one command on an SSH target and judge its exit code against the codes the caller
 * declared as success, the way GitHub Desktop's git core does (`successExitCodes`, and an error
 * that carries the whole result).
 */
import type { SshConfig } from '../config/workspace-schema.ts';
import type { OpError, OpErrorKind } from '../../../shared/result.ts';
import { SshError } from './ssh-error.ts';
import { sshTarget } from './ssh-pool.ts';
import type { SshPool } from './ssh-pool.ts';
import { raceAbort } from '../platform/race-abort.ts';

/** Options of {@link exec}. */
export interface ExecOptions {
  /** Exit codes that count as success (default `[0]`); any other outcome throws {@link SshCommandError}. */
  successExitCodes?: readonly number[];
  /**
   * Bound on the whole call (connect + run), ms (default 30000). On expiry the channel is closed;
   * when the host had not even answered the channel open, the pooled connection is dropped too.
   */
  timeoutMs?: number;
  /** Written to the command's stdin, then EOF. Without it stdin gets EOF at once. */
  stdin?: string | Buffer;
  /** Cancels like a timeout (rejects with kind `timeout`, reason from the signal). */
  signal?: AbortSignal;
  /** Cap per stream (stdout, stderr), bytes (default 4 MiB); the rest is dropped and `truncated` set. */
  maxOutputBytes?: number;
}

/** Outcome of a command whose exit code was declared as success. */
export interface ExecResult {
  exitCode: number;
  /** UTF-8 decoded output. */
  stdout: string;
  stderr: string;
  /** From the call to the channel's close, ms (includes connecting when the pool had no connection). */
  durationMs: number;
  /** True when some output was dropped because of `maxOutputBytes`. */
  truncated: boolean;
}

/**
 * The command ran but ended with an exit code not declared as success (or by a signal, or with
 * no exit status at all: `exitCode` null). Carries everything needed to explain it.
 * `error.kind`: `not-found` for 127 (command not found), `auth` for 126 (not executable /
 * permission), else `internal`.
 */
export class SshCommandError extends Error {
  readonly error: OpError;
  /** SSH target, `user@host:port`. */
  readonly host: string;
  readonly command: string;
  readonly exitCode: number | null;
  /** Signal name (`KILL`, `TERM`…) when the command was killed by one. */
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
  readonly successExitCodes: readonly number[];
  constructor(init: {
    host: string;
    command: string;
    exitCode: number | null;
    signal: string | null;
    stdout: string;
    stderr: string;
    durationMs: number;
    successExitCodes: readonly number[];
  }) {
    const how =
      init.exitCode !== null
        ? `exited with ${init.exitCode}`
        : init.signal
          ? `was killed by SIG${init.signal}`
          : 'ended without an exit status';
    const detail = firstLine(init.stderr) || firstLine(init.stdout);
    const message = `\`${clip(init.command, 120)}\` on ${init.host} ${how} (expected ${init.successExitCodes.join(' or ')})${detail ? `: ${detail}` : ''}`;
    super(message);
    this.name = 'SshCommandError';
    this.host = init.host;
    this.command = init.command;
    this.exitCode = init.exitCode;
    this.signal = init.signal;
    this.stdout = init.stdout;
    this.stderr = init.stderr;
    this.durationMs = init.durationMs;
    this.successExitCodes = init.successExitCodes;
    const kind: OpErrorKind = init.exitCode === 127 ? 'not-found' : init.exitCode === 126 ? 'auth' : 'internal';
    this.error = { kind, message, hint: 'see stderr of the command on the host', where: init.host };
  }
}

/**
 * Runs `command` (a shell command line, interpreted by the user's login shell on the host) on
 * the target `cfg`, through `pool`'s connection.
 *
 * Resolves with {@link ExecResult} when the exit code is in `successExitCodes`.
 * Rejects with {@link SshCommandError} for any other exit, with {@link SshError} when the
 * connection or channel cannot be had (`unreachable`, `auth`, …) or on timeout/abort (`timeout`),
 * or with the resolver's `SecretError`. Quote arguments with {@link shellQuote}.
 */
export async function exec(
  pool: SshPool,
  cfg: SshConfig,
  command: string,
  options: ExecOptions = {},
): Promise<ExecResult> {
  const successExitCodes = options.successExitCodes ?? [0];
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxBytes = options.maxOutputBytes ?? 4 * 1024 * 1024;
  const where = sshTarget(cfg);
  const started = performance.now();
  const ac = new AbortController();
  const timer = setTimeout(
    () =>
      ac.abort(
        new SshError(
          'timeout',
          `\`${clip(command, 120)}\` on ${where} did not finish within ${timeoutMs} ms`,
          'raise the timeout or check the host',
          where,
        ),
      ),
    timeoutMs,
  );
  const onOuterAbort = (): void =>
    ac.abort(
      new SshError(
        'timeout',
        `\`${clip(command, 120)}\` on ${where} was cancelled${reasonText(options.signal?.reason)}`,
        undefined,
        where,
      ),
    );
  if (options.signal?.aborted) onOuterAbort();
  else options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  try {
    const client = await raceAbort(pool.client(cfg), ac.signal);
    return await new Promise<ExecResult>((resolve, reject) => {
      let channelAnswered = false;
      const onAbort = (): void => {
        // The host did not even answer the channel open within the bound: the pooled connection
        // is frozen or half-open, and every later exec or tunnel would queue on it until the
        // keep-alive gives up. Drop it so the next use reconnects.
        if (!channelAnswered) pool.evict(cfg, client);
        reject(ac.signal.reason);
      };
      if (ac.signal.aborted) return reject(ac.signal.reason);
      ac.signal.addEventListener('abort', onAbort, { once: true });
      client.exec(command, (err, stream) => {
        channelAnswered = true;
        if (err) {
          ac.signal.removeEventListener('abort', onAbort);
          reject(
            new SshError(
              'unreachable',
              `${where} refused to run a command: ${err.message}`,
              "check sshd limits (MaxSessions) and the user's shell",
              where,
              { cause: err },
            ),
          );
          return;
        }
        const out = new Collector(maxBytes);
        const errOut = new Collector(maxBytes);
        let exitCode: number | null = null;
        let signal: string | null = null;
        stream.on('data', (d: Buffer) => out.push(d));
        stream.stderr.on('data', (d: Buffer) => errOut.push(d));
        stream.on('exit', (code: number | null, sig?: string) => {
          exitCode = typeof code === 'number' ? code : null;
          signal = sig ?? null;
        });
        stream.on('error', () => {}); // surfaced as a missing exit status on close
        const killOnAbort = (): void => {
          try {
            stream.signal('KILL');
          } catch {
            /* OpenSSH may ignore signal requests; closing the channel ends the session anyway */
          }
          stream.close();
        };
        ac.signal.addEventListener('abort', killOnAbort, { once: true });
        stream.on('close', () => {
          ac.signal.removeEventListener('abort', onAbort);
          ac.signal.removeEventListener('abort', killOnAbort);
          if (ac.signal.aborted) return reject(ac.signal.reason);
          const durationMs = Math.round(performance.now() - started);
          const stdout = out.text();
          const stderr = errOut.text();
          if (exitCode !== null && successExitCodes.includes(exitCode)) {
            resolve({ exitCode, stdout, stderr, durationMs, truncated: out.truncated || errOut.truncated });
          } else {
            reject(
              new SshCommandError({
                host: where,
                command,
                exitCode,
                signal,
                stdout,
                stderr,
                durationMs,
                successExitCodes,
              }),
            );
          }
        });
        if (options.stdin !== undefined) stream.end(options.stdin);
        else stream.end();
      });
    });
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
}

/** Quotes one argument for a POSIX shell: `it's` → `'it'\''s'`. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

class Collector {
  readonly #chunks: Buffer[] = [];
  #size = 0;
  truncated = false;
  readonly #max: number;
  constructor(max: number) {
    this.#max = max;
  }
  push(d: Buffer): void {
    const room = this.#max - this.#size;
    if (room <= 0) {
      this.truncated = true;
      return;
    }
    const part = d.length > room ? d.subarray(0, room) : d;
    if (part !== d) this.truncated = true;
    this.#chunks.push(part);
    this.#size += part.length;
  }
  text(): string {
    return Buffer.concat(this.#chunks).toString('utf8');
  }
}

function firstLine(s: string): string {
  return clip(s.trim().split('\n')[0] ?? '', 200);
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function reasonText(reason: unknown): string {
  if (reason instanceof Error) return `: ${reason.message}`;
  return typeof reason === 'string' ? `: ${reason}` : '';
}
