/**
 * Starts the real `standby serve` as a child process (the same command a user runs) and stops
 * it by PID. Used by e2e and integration tests of the headless host.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface ServeProcess {
  pid: number;
  url: string;
  openUrl: string;
  token: string;
  /** Everything the process printed (stdout + stderr). */
  output(): string;
  /** True while the process has not exited (by code or signal). */
  alive(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL (a crash), resolves when it has exited. */
  kill(): Promise<void>;
}

/**
 * @param args extra CLI args, e.g. ['--workspace', path, '--port', '0']
 * @param timeoutMs how long to wait for the "Open:" line, ms
 * @throws Error with the process output when it exits or times out before serving
 */
export async function startServe(
  args: string[],
  timeoutMs = 20_000,
  env: Record<string, string> = {},
): Promise<ServeProcess> {
  const child: ChildProcess = spawn(resolve(root, 'bin/standby'), ['serve', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => (out += d.toString()));
  child.stderr?.on('data', (d) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const openUrl = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`standby serve did not start within ${timeoutMs} ms:\n${out}`)),
      timeoutMs,
    );
    const check = () => {
      const m = /Open: (\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`standby serve exited with ${code} before serving:\n${out}`));
    });
  });
  const u = new URL(openUrl);
  const token = u.searchParams.get('token') ?? '';
  const stopWith = async (signal: NodeJS.Signals, graceMs: number) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(t);
  };
  return {
    pid: child.pid ?? -1,
    url: `${u.protocol}//${u.host}`,
    openUrl,
    token,
    output: () => out,
    alive: () => child.exitCode === null && child.signalCode === null,
    stop: (graceMs = 5000) => stopWith('SIGTERM', graceMs),
    kill: () => stopWith('SIGKILL', 1000),
  };
}
