/**
 * `{ keychain: { service, account } }` references, read from the OS credential store through
 * `@napi-rs/keyring` (the Rust `keyring` crate's Node binding, https://github.com/Brooooooklyn/keyring-node):
 * - Linux / FreeBSD: the Secret Service over the D-Bus session bus (gnome-keyring, KeePassXC,
 *   KWallet ≥ 5.97). Items are matched by the attributes `service` and `username` (= account).
 * - macOS: a generic password in the login keychain (service, account).
 * - Windows: a generic credential in Credential Manager, target name `account.service`.
 *
 * The binding is loaded on first use, so a platform without a prebuilt binary still starts and
 * fails only when a keychain reference is actually read (kind `unsupported`).
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { EntryOptions } from '@napi-rs/keyring';
import type { KeychainReader } from './resolve-secret.ts';
import { SecretError } from './secret-error.ts';

/**
 * Reads one entry: its value, or `null` when there is none. Rejects with the library's error, or
 * with {@link KeyringLoadError} when the binding cannot be loaded. After `signal` aborts, the
 * promise may stay pending until the backend has really let go of the read (the reader refuses
 * new reads until then). The default runs `@napi-rs/keyring` in a worker thread.
 */
export type KeyringRead = (service: string, account: string, signal: AbortSignal) => Promise<string | null>;

/** `@napi-rs/keyring` could not be loaded on this machine (no prebuilt binary, not installed). */
export class KeyringLoadError extends Error {
  override name = 'KeyringLoadError';
}

/** Options of {@link createOsKeychainReader}. */
export interface OsKeychainReaderOptions {
  /**
   * Upper bound of one read, ms (default 5000). A Secret Service call can wait on an unlock
   * prompt nobody sees (headless, over SSH) or on a hung daemon; past this the read fails with
   * kind `unreachable` instead of stalling the operation that needs the secret.
   */
  timeoutMs?: number;
  /** Platform whose commands the hints name (default `process.platform`). */
  platform?: NodeJS.Platform;
  /** Backend (default: `@napi-rs/keyring` in a worker thread, started on the first read). */
  read?: KeyringRead;
}

/** Default of {@link OsKeychainReaderOptions.timeoutMs}, ms. */
export const OS_KEYCHAIN_TIMEOUT_MS = 5000;

/**
 * Pin Linux to the Secret Service: the binding otherwise falls back silently to the kernel
 * keyring (keyutils) when no Secret Service answers, and would report "entry missing" for an
 * entry that exists in the user's (unreachable) keyring. keyutils is in-memory only, so no
 * persistent ops credential lives there anyway (binding README, "Linux backend selection").
 * Ignored on other platforms.
 */
const ENTRY_OPTIONS: EntryOptions = { linux: { store: 'secret-service' } };

/**
 * Builds the {@link KeychainReader} backed by the OS credential store.
 *
 * The reader resolves the stored value (never logged, never in a message), or rejects with
 * {@link SecretError} only (`where` = `keychain SERVICE/ACCOUNT`; the resolver replaces it):
 * - entry missing → `not-found`, hint = the command that adds it on this OS;
 * - binding cannot load on this platform → `unsupported`;
 * - no D-Bus session / no Secret Service / no answer within `timeoutMs` → `unreachable`;
 * - keyring locked, unlock prompt dismissed or access denied → `auth`;
 * - see {@link mapKeyringError} for the rest.
 *
 * Why a worker thread: the binding's `Entry` constructor talks to D-Bus synchronously (measured
 * ~17 ms per read with gnome-keyring, 2 s when the daemon hangs, until its own D-Bus timeout),
 * which would stall `standby serve`'s event loop. In the worker the main thread never blocks and
 * the timeout is real. A native call cannot be interrupted: a timed-out worker is terminated and
 * exits when the call returns; until then later reads fail at once with `unreachable` rather
 * than piling up threads. A process that exits meanwhile waits for that call (≤ ~2 s measured).
 */
export function createOsKeychainReader(options: OsKeychainReaderOptions = {}): KeychainReader {
  const timeoutMs = options.timeoutMs ?? OS_KEYCHAIN_TIMEOUT_MS;
  const platform = options.platform ?? process.platform;
  let backend = options.read;
  /** performance.now() of a read that timed out and has not returned yet. */
  let stuckSince: number | undefined;

  return async (service, account) => {
    const where = `keychain ${service}/${account}`;
    if (stuckSince !== undefined) {
      const s = ((performance.now() - stuckSince + timeoutMs) / 1000).toFixed(0);
      throw new SecretError(
        'unreachable',
        `OS keychain entry ${service}/${account} was not read: an earlier keychain read has not returned for ${s} s`,
        unreachableHint(platform),
        where,
      );
    }
    backend ??= createWorkerKeyringRead();
    const abort = new AbortController();
    const read = backend(service, account, abort.signal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = Symbol('timeout');
    const timeout = new Promise<typeof timedOut>((resolve) => {
      timer = setTimeout(() => resolve(timedOut), timeoutMs);
    });
    let value: string | null | typeof timedOut;
    try {
      value = await Promise.race([read, timeout]);
    } catch (e) {
      if (e instanceof KeyringLoadError) {
        throw new SecretError(
          'unsupported',
          `OS keychain support could not be loaded on ${platform}-${process.arch}: ${firstLine(e)}`,
          '@napi-rs/keyring ships prebuilt binaries for macOS, Windows, Linux (x64, arm64, armv7, riscv64) and FreeBSD x64; reinstall dependencies on this machine (npm ci), or use an { env } or { file } reference',
          where,
        );
      }
      throw mapKeyringError(e, service, account, platform);
    } finally {
      clearTimeout(timer);
    }
    if (value === timedOut) {
      abort.abort();
      const since = performance.now();
      stuckSince = since;
      void read
        .then(
          () => undefined,
          () => undefined,
        )
        .finally(() => {
          if (stuckSince === since) stuckSince = undefined;
        });
      throw new SecretError(
        'unreachable',
        `OS keychain entry ${service}/${account} could not be read: the keychain did not answer within ${timeoutMs} ms`,
        hungHint(platform),
        where,
      );
    }
    if (value === null) {
      throw new SecretError(
        'not-found',
        `OS keychain entry ${service}/${account} does not exist`,
        addEntryHint(platform, service, account),
        where,
      );
    }
    return value;
  };
}

/**
 * Maps an error of `@napi-rs/keyring` to a {@link SecretError}. The binding's errors all carry
 * `code: 'GenericFailure'`; the kind is told apart by the `keyring` crate's message text
 * (`Platform failure: …`, `Couldn't access platform storage: …`, `No matching credential found`,
 * `Entry is matched by N credentials`) and the D-Bus / Secret Service text inside it. Pure.
 *
 * @param e what the binding threw or rejected with
 * @param platform selects the commands named in hints
 * @returns `not-found` (no entry), `invalid-input` (ambiguous or undecodable entry), `auth`
 *   (locked, prompt dismissed, access denied), `unreachable` (no session bus, no Secret Service,
 *   D-Bus timeout or disconnect, other platform failures), `internal` (anything else). The message
 *   names the entry and quotes the library's first line (which never contains the value).
 */
export function mapKeyringError(e: unknown, service: string, account: string, platform: NodeJS.Platform): SecretError {
  const why = firstLine(e);
  const where = `keychain ${service}/${account}`;
  const message = `OS keychain entry ${service}/${account} could not be read: ${why}`;
  if (/no matching (entry|credential)/i.test(why)) {
    return new SecretError(
      'not-found',
      `OS keychain entry ${service}/${account} does not exist`,
      addEntryHint(platform, service, account),
      where,
    );
  }
  if (/matched by \d+ credentials|ambiguous/i.test(why)) {
    return new SecretError(
      'invalid-input',
      message,
      `several keychain items match service ${service} and account ${account}; delete all but one`,
      where,
    );
  }
  if (/did not receive a reply|NoReply|timed out|timeout/i.test(why)) {
    return new SecretError('unreachable', message, hungHint(platform), where);
  }
  if (
    /DBUS_SESSION_BUS_ADDRESS|autolaunch|BadAddress|invalid (bus )?address|no (dbus session|secret service)|secret service provider|not provided by any \.service files|ServiceUnknown|NameHasNoOwner|NoServer|Disconnected|connection (refused|closed)|failed to connect/i.test(
      why,
    )
  ) {
    return new SecretError('unreachable', message, unreachableHint(platform), where);
  }
  if (
    /locked|prompt (was )?dismissed|AccessDenied|access denied|denied|not allowed|user canceled|AuthFailed/i.test(why)
  ) {
    return new SecretError('auth', message, lockedHint(platform), where);
  }
  if (/too long|UTF-8|decode|encoding|invalid/i.test(why)) {
    return new SecretError(
      'invalid-input',
      message,
      `re-create the entry ${service}/${account} with a text value: ${addEntryHint(platform, service, account)}`,
      where,
    );
  }
  if (/^(Platform failure|Couldn't access platform storage)/i.test(why)) {
    return new SecretError('unreachable', message, unreachableHint(platform), where);
  }
  return new SecretError('internal', message, undefined, where);
}

/**
 * The command that stores `service`/`account` where {@link createOsKeychainReader} looks for it
 * (each prompts for the value, so it stays out of shell history). Pure.
 */
export function addEntryHint(platform: NodeJS.Platform, service: string, account: string): string {
  if (platform === 'darwin') {
    return `add it with: security add-generic-password -s ${sh(service)} -a ${sh(account)} -w   (prompts for the value; on first read macOS asks whether node may use it)`;
  }
  if (platform === 'win32') {
    // windows-native-keyring-store: generic credential, target name "<user>.<service>".
    return `add it with: cmdkey /generic:${cmd(`${account}.${service}`)} /user:${cmd(account)} /pass   (prompts for the value)`;
  }
  // Secret Service: the keyring crate matches the attributes "service" and "username".
  return `add it with: secret-tool store --label=${sh(`Standby ${service}/${account}`)} service ${sh(service)} username ${sh(account)}   (prompts for the value; needs libsecret-tools and an unlocked keyring)`;
}

function unreachableHint(platform: NodeJS.Platform): string {
  if (platform === 'darwin' || platform === 'win32')
    return 'check that this process runs in the logged-in user session, or use an { env } or { file } reference';
  return 'no Secret Service answered on the D-Bus session bus: start a keyring (gnome-keyring-daemon / KeePassXC Secret Service) in this session and make sure DBUS_SESSION_BUS_ADDRESS reaches it (SSH logins and system services often have no session bus), or use an { env } or { file } reference';
}

function hungHint(platform: NodeJS.Platform): string {
  if (platform === 'darwin' || platform === 'win32') {
    return 'the keychain may be waiting on an access prompt nobody can see: allow Standby (node) to read the item once from a desktop session, or use an { env } or { file } reference';
  }
  return 'the Secret Service did not answer: it may be waiting on an unlock prompt nobody can see (unlock the keyring in the desktop session) or be hung (restart gnome-keyring-daemon / KeePassXC); or use an { env } or { file } reference';
}

function lockedHint(platform: NodeJS.Platform): string {
  if (platform === 'darwin')
    return 'unlock the keychain (security unlock-keychain) and allow node to read the item, or use an { env } or { file } reference';
  if (platform === 'win32')
    return 'log in as the user who owns the credential, or use an { env } or { file } reference';
  return 'the keyring is locked and Standby cannot show its unlock prompt: unlock it in the desktop session (or start gnome-keyring-daemon --unlock, password on stdin), or use an { env } or { file } reference';
}

interface WorkerReply {
  id: number;
  ok: boolean;
  value?: string | null;
  stage?: 'load' | 'read';
  message?: string;
}

/**
 * The worker's code (CommonJS, run with `eval: true` so no separate file has to survive the
 * Electron bundle): loads the binding once, answers { id, service, account, options } messages.
 * Only messages cross the thread boundary; the value goes back to the caller and nowhere else.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
let keyring, loadError;
try { keyring = require(workerData.modulePath); } catch (e) { loadError = String((e && e.message) || e); }
parentPort.on('message', (m) => {
  if (loadError !== undefined) return parentPort.postMessage({ id: m.id, ok: false, stage: 'load', message: loadError });
  try {
    const value = new keyring.Entry(m.service, m.account, m.options).getPassword();
    parentPort.postMessage({ id: m.id, ok: true, value: value === undefined ? null : value });
  } catch (e) {
    parentPort.postMessage({ id: m.id, ok: false, stage: 'read', message: String((e && e.message) || e) });
  }
});
`;

/** Default {@link KeyringRead}: one lazily started, unref'd worker; replaced after a timeout. */
function createWorkerKeyringRead(): KeyringRead {
  let current:
    | { worker: Worker; pending: Map<number, { resolve: (v: string | null) => void; reject: (e: Error) => void }> }
    | undefined;
  let nextId = 1;

  const start = (): NonNullable<typeof current> => {
    let modulePath: string;
    try {
      modulePath = fileURLToPath(import.meta.resolve('@napi-rs/keyring'));
    } catch (e) {
      throw new KeyringLoadError(`@napi-rs/keyring is not installed (${firstLine(e)})`);
    }
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { modulePath } });
    const pending = new Map<number, { resolve: (v: string | null) => void; reject: (e: Error) => void }>();
    const self = { worker, pending };
    const failAll = (e: Error): void => {
      for (const p of pending.values()) p.reject(e);
      pending.clear();
    };
    worker.on('message', (m: WorkerReply) => {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.ok) p.resolve(m.value ?? null);
      else
        p.reject(
          m.stage === 'load'
            ? new KeyringLoadError(m.message ?? 'unknown error')
            : new Error(m.message ?? 'unknown error'),
        );
    });
    worker.on('error', (e) => failAll(e));
    worker.on('exit', (code) => {
      if (current === self) current = undefined;
      failAll(new Error(`keychain worker exited (code ${code})`));
    });
    // An idle worker must not keep the CLI alive (a pending read's timer does). After the
    // listeners: adding a 'message' listener refs the worker again (measured, Node 24.9).
    worker.unref();
    return self;
  };

  return (service, account, signal) => {
    let w: NonNullable<typeof current>;
    try {
      w = current ??= start();
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    const id = nextId++;
    return new Promise<string | null>((resolve, reject) => {
      w.pending.set(id, { resolve, reject });
      w.worker.postMessage({ id, service, account, options: ENTRY_OPTIONS });
      signal.addEventListener(
        'abort',
        () => {
          // The native call cannot be interrupted: terminate() takes effect when it returns,
          // and 'exit' then settles this read. Reads queued behind it fail now; new reads get
          // a new worker.
          if (current === w) current = undefined;
          for (const [other, p] of w.pending) {
            if (other === id) continue;
            w.pending.delete(other);
            p.reject(new Error('timed out: queued behind a keychain read that did not answer'));
          }
          void w.worker.terminate();
        },
        { once: true },
      );
    });
  };
}

/** First line of an error's message, at most 300 characters (library messages can be long). */
function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/** POSIX shell single-quoting, only when needed (keeps common hints readable). */
function sh(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** cmd.exe quoting for a cmdkey argument value. */
function cmd(s: string): string {
  return /^[\w@.+-]+$/.test(s) ? s : `"${s.replace(/"/g, '""')}"`;
}
