/**
 * Runs the real `bin/standby` command as a child process, as a user would, for integration
 * tests: to completion (`runStandby`), or watched line by line and killed by PID on cue
 * (`spawnStandby`, for crash tests). Every call is bounded in time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The `standby` command (sh wrapper that execs Node 24, so the child's PID is Node's). */
export const STANDBY_BIN = resolve(REPO_ROOT, 'bin/standby');

/** What one finished `standby` invocation did. `code` is null when it was killed by a signal. */
export interface StandbyResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time, ms. */
  ms: number;
}

/**
 * Runs `standby ARGS…` to completion; never rejects (the caller asserts on the result).
 * @param timeoutMs hard bound: SIGKILL after this long, ms (default 120,000)
 */
export function runStandby(
  args: string[],
  opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<StandbyResult> {
  const proc = spawnStandby(args, opts);
  return proc.done;
}

/** A running `standby` child. */
export interface StandbyProcess {
  child: ChildProcess;
  pid: number;
  /** stdout so far. */
  stdout(): string;
  /** stderr so far. */
  stderr(): string;
  /**
   * Resolves with the first stdout line matching `re` (lines already printed count), or rejects
   * after `timeoutMs` or when the process exits without printing one. `nth` = the n-th match (1-based).
   */
  waitForLine(re: RegExp, timeoutMs: number, nth?: number): Promise<string>;
  /** SIGKILL by PID; resolves once the child has exited (and was reaped by this process). */
  kill(): Promise<StandbyResult>;
  /** Resolves when the process exits (bounded by `timeoutMs` of spawnStandby). */
  done: Promise<StandbyResult>;
}

/**
 * Starts `standby ARGS…` with stdout/stderr piped. (On Linux, Node writes to a pipe
 * synchronously, so a line is readable here as soon as the child printed it.)
 */
export function spawnStandby(
  args: string[],
  opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): StandbyProcess {
  const t0 = performance.now();
  const child = spawn(STANDBY_BIN, args, {
    cwd: REPO_ROOT,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const lineWaiters = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (const w of [...lineWaiters]) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const timer = setTimeout(() => {
    err += `\n(killed by the test after ${timeoutMs} ms)`;
    child.kill('SIGKILL');
  }, timeoutMs);
  const done = new Promise<StandbyResult>((resolveDone) => {
    child.on('error', (e) => (err += String(e)));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      for (const w of [...lineWaiters]) w();
      resolveDone({ code, signal, stdout: out, stderr: err, ms: performance.now() - t0 });
    });
  });
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  return {
    child,
    pid: child.pid ?? -1,
    stdout: () => out,
    stderr: () => err,
    done,
    waitForLine(re, waitMs, nth = 1) {
      return new Promise<string>((resolveLine, reject) => {
        const check = () => {
          const hits = out
            .split('\n')
            .slice(0, -1)
            .filter((l) => re.test(l));
          if (hits.length >= nth) {
            cleanup();
            resolveLine(hits[nth - 1]!);
          } else if (exited()) {
            cleanup();
            reject(
              new Error(
                `standby exited (${child.exitCode ?? child.signalCode}) before printing ${nth}× ${re}:\n${out}\n${err}`,
              ),
            );
          }
        };
        const t = setTimeout(() => {
          cleanup();
          reject(new Error(`no ${nth}× ${re} within ${waitMs} ms:\n${out}\n${err}`));
        }, waitMs);
        const cleanup = () => {
          clearTimeout(t);
          lineWaiters.delete(check);
        };
        lineWaiters.add(check);
        check();
      });
    },
    async kill() {
      if (!exited()) process.kill(child.pid!, 'SIGKILL');
      return done;
    },
  };
}

/** The run id from a `run <uuid> started|resumed` line of `standby run|resume` output, or null. */
export function runIdFrom(text: string): string | null {
  return (
    /\brun ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}) (?:started|resumed)/.exec(text)?.[1] ?? null
  );
}
