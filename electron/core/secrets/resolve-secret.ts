/**
 * Turns a workspace secret reference (`{ env }`, `{ file }`, `{ keychain }`) into the secret's
 * value, at the moment it is needed. Values are never logged, never put in an error message and
 * never cached here (callers hold them only as long as a connection needs them).
 */
import { readFile, stat } from 'node:fs/promises';
import type { SecretRef } from '../config/workspace-schema.ts';
import { createOsKeychainReader } from './os-keychain.ts';
import { SecretError } from './secret-error.ts';

// Callers import the error from here, next to the resolver that throws it.
export { SecretError };

/**
 * Resolves one reference. `where` says who needs it (e.g. `prod/sites/a/ssh.privateKey`) and is
 * copied into the error. Rejects with {@link SecretError} only.
 */
export type SecretResolver = (ref: SecretRef, where: string) => Promise<string>;

/**
 * Reads an OS keychain entry's value. Rejects with {@link SecretError} (its kind and hint are
 * kept; `where` is replaced by the resolver's) or any other error (reported as `not-found`).
 * The default is {@link createOsKeychainReader} (os-keychain.ts).
 */
export type KeychainReader = (service: string, account: string) => Promise<string>;

export interface SecretResolverOptions {
  /** Environment to read `{ env }` references from (default `process.env`). */
  env?: Record<string, string | undefined>;
  /**
   * Keychain backend (default: the OS credential store, {@link createOsKeychainReader});
   * `null` turns `{ keychain }` references off (they fail with kind `unsupported`).
   */
  keychain?: KeychainReader | null;
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
 * - `{ keychain: { service, account } }`: read by `keychain` (default: the OS credential store,
 *   read lazily: creating a resolver loads nothing); its SecretError kinds are kept (see
 *   {@link createOsKeychainReader}); empty value → `invalid-input`; `keychain: null` → `unsupported`.
 */
export function createSecretResolver(options: SecretResolverOptions = {}): SecretResolver {
  const env = options.env ?? process.env;
  const keychain = options.keychain === undefined ? createOsKeychainReader() : options.keychain;
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
        throw new SecretError(
          'invalid-input',
          `environment variable ${ref.env} is empty`,
          `set ${ref.env} to the secret`,
          where,
        );
      }
      return value;
    }
    if ('file' in ref) return readSecretFile(ref.file, where, options.onWarning);
    const { service, account } = ref.keychain;
    if (!keychain) {
      throw new SecretError(
        'unsupported',
        `OS keychain entry ${service}/${account} cannot be read: keychain references are turned off in this host`,
        'reference the secret as { env: NAME } or { file: PATH }',
        where,
      );
    }
    let value: string;
    try {
      value = await keychain(service, account);
    } catch (e) {
      if (e instanceof SecretError) throw new SecretError(e.error.kind, e.error.message, e.error.hint, where);
      throw new SecretError(
        'not-found',
        `OS keychain entry ${service}/${account} could not be read: ${(e as Error).message}`,
        'check that the entry exists and that Standby may access it',
        where,
      );
    }
    if (value === '')
      throw new SecretError('invalid-input', `OS keychain entry ${service}/${account} is empty`, undefined, where);
    return value;
  };
}

async function readSecretFile(
  path: string,
  where: string,
  onWarning?: (message: string, where: string) => void,
): Promise<string> {
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
    if (mode & 0o040)
      onWarning?.(
        `secret file ${path} is group-readable (mode ${(mode & 0o777).toString(8)}); consider chmod 600`,
        where,
      );
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw fileError(e, path, where);
  }
  const value = text.replace(/[\r\n]+$/, '');
  if (value === '')
    throw new SecretError('invalid-input', `secret file ${path} is empty`, `write the secret into ${path}`, where);
  return value;
}

function fileError(e: unknown, path: string, where: string): SecretError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT')
    return new SecretError(
      'not-found',
      `secret file ${path} does not exist`,
      'check the path in the workspace file',
      where,
    );
  if (code === 'EACCES' || code === 'EPERM') {
    return new SecretError(
      'auth',
      `secret file ${path} is not readable by this user`,
      `make ${path} readable by the user running Standby (chmod 600, chown)`,
      where,
    );
  }
  if (code === 'EISDIR')
    return new SecretError(
      'invalid-input',
      `secret file ${path} is a directory`,
      'point the reference at a file',
      where,
    );
  return new SecretError(
    'internal',
    `secret file ${path} could not be read (${code ?? (e as Error).message})`,
    undefined,
    where,
  );
}

/**
 * The default resolver of both hosts (headless `standby serve` / CLI and Electron):
 * `process.env`, files, and the OS credential store (loaded on the first keychain reference).
 */
export const resolveSecret: SecretResolver = createSecretResolver();
