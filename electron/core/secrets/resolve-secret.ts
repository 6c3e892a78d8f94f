/**
 * Turns a workspace secret reference (`{ env }`, `{ file }`, `{ keychain }`) into the secret's
 * value, at the moment it is needed. Values are never logged, never put in an error message and
 * never cached here (callers hold them only as long as a connection needs them).
 */
import { readFile, stat } from 'node:fs/promises';
import type { OpError, OpErrorKind } from '../../../shared/result.ts';
import type { SecretRef } from '../config/workspace-schema.ts';

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

/**
 * Resolves one reference. `where` says who needs it (e.g. `prod/sites/a/ssh.privateKey`) and is
 * copied into the error. Rejects with {@link SecretError} only.
 */
export type SecretResolver = (ref: SecretRef, where: string) => Promise<string>;

/** Reads an OS keychain entry; provided by the Electron host (the headless host has none). */
export type KeychainReader = (service: string, account: string) => Promise<string>;

export interface SecretResolverOptions {
  /** Environment to read `{ env }` references from (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Keychain backend; without it `{ keychain }` references fail with kind `unsupported`. */
  keychain?: KeychainReader;
  /**
   * Called with a human message for non-fatal findings (a group-readable secret file). Never
   * receives the value.
   */
  onWarning?: (message: string, where: string) => void;
}

/**
 * Builds a {@link SecretResolver}.
 *
 * - `{ env: NAME }`: the variable's value; unset → `not-found`, empty → `invalid-input`.
 * - `{ file: PATH }`: the file's content with trailing CR/LF removed (editors and `echo` add one;
 *   a password or key never ends with a newline that matters). Missing → `not-found`; unreadable
 *   → `auth`; world-readable (mode & 0o004) → `auth` with hint `chmod 600 PATH` (OpenSSH refuses
 *   such key files too); group-readable → accepted, reported through `onWarning`; empty →
 *   `invalid-input`. POSIX modes only: on Windows the mode check is skipped.
 * - `{ keychain: { service, account } }`: delegated to `keychain`; absent → `unsupported`.
 */
export function createSecretResolver(options: SecretResolverOptions = {}): SecretResolver {
  const env = options.env ?? process.env;
  return async (ref, where) => {
    if ('env' in ref) {
      const value = env[ref.env];
      if (value === undefined) {
        throw new SecretError(
          'not-found',
          `environment variable ${ref.env} is not set`,
          `export ${ref.env}=… in the environment that starts Standby, or reference a file instead`,
          where,
        );
      }
      if (value === '') {
        throw new SecretError('invalid-input', `environment variable ${ref.env} is empty`, `set ${ref.env} to the secret`, where);
      }
      return value;
    }
    if ('file' in ref) return readSecretFile(ref.file, where, options.onWarning);
    const { service, account } = ref.keychain;
    if (!options.keychain) {
      throw new SecretError(
        'unsupported',
        `OS keychain entry ${service}/${account} cannot be read by this host (headless mode has no keychain)`,
        'use the desktop app, or reference the secret as { env: NAME } or { file: PATH } for headless runs',
        where,
      );
    }
    let value: string;
    try {
      value = await options.keychain(service, account);
    } catch (e) {
      throw new SecretError(
        'not-found',
        `OS keychain entry ${service}/${account} could not be read: ${(e as Error).message}`,
        'check that the entry exists and that Standby may access it',
        where,
      );
    }
    if (value === '') throw new SecretError('invalid-input', `OS keychain entry ${service}/${account} is empty`, undefined, where);
    return value;
  };
}

async function readSecretFile(path: string, where: string, onWarning?: (message: string, where: string) => void): Promise<string> {
  let mode: number;
  try {
    mode = (await stat(path)).mode;
  } catch (e) {
    throw fileError(e, path, where);
  }
  if (process.platform !== 'win32') {
    if (mode & 0o004) {
      throw new SecretError(
        'auth',
        `secret file ${path} is readable by every user (mode ${(mode & 0o777).toString(8)}); refusing to use it`,
        `chmod 600 ${path}`,
        where,
      );
    }
    if (mode & 0o040) onWarning?.(`secret file ${path} is group-readable (mode ${(mode & 0o777).toString(8)}); consider chmod 600`, where);
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw fileError(e, path, where);
  }
  const value = text.replace(/[\r\n]+$/, '');
  if (value === '') throw new SecretError('invalid-input', `secret file ${path} is empty`, `write the secret into ${path}`, where);
  return value;
}

function fileError(e: unknown, path: string, where: string): SecretError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new SecretError('not-found', `secret file ${path} does not exist`, 'check the path in the workspace file', where);
  if (code === 'EACCES' || code === 'EPERM') {
    return new SecretError('auth', `secret file ${path} is not readable by this user`, `make ${path} readable by the user running Standby (chmod 600, chown)`, where);
  }
  if (code === 'EISDIR') return new SecretError('invalid-input', `secret file ${path} is a directory`, 'point the reference at a file', where);
  return new SecretError('internal', `secret file ${path} could not be read (${code ?? (e as Error).message})`, undefined, where);
}

/**
 * Resolver of the headless host: `process.env`, files, no keychain. The Electron host builds its
 * own with {@link createSecretResolver} and a `keychain` backend.
 */
export const resolveSecret: SecretResolver = createSecretResolver();
