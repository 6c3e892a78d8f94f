/**
 * The Ed25519 key that signs audit entries (audit-log.ts). It lives OUTSIDE the store and the
 * audit file — by default in `$XDG_CONFIG_HOME/standby/audit-signing-key.pem` (else
 * `~/.config/standby/…`), or wherever `STANDBY_AUDIT_KEY` points — so that someone who can
 * rewrite the store and the log but cannot read this file cannot forge a verifying log.
 * A key file works headless on Linux without a Secret Service; it is PKCS#8 PEM, mode 0600, in a
 * directory created 0700. A key file others can read or write is refused (they could re-sign).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** A loaded signing key: the private half and the public half as base64 of the raw 32 bytes. */
export interface AuditSigner {
  privateKey: KeyObject;
  /** base64 of the raw 32-byte Ed25519 public key: what entries record in `key`. */
  publicKey: string;
  /** Where the key was read from (for messages). */
  path: string;
}

/** The default key file: `STANDBY_AUDIT_KEY`, else `$XDG_CONFIG_HOME` (or `~/.config`)`/standby/audit-signing-key.pem`. */
export function defaultAuditKeyPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.STANDBY_AUDIT_KEY) return env.STANDBY_AUDIT_KEY;
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'standby', 'audit-signing-key.pem');
}

/** base64 of the raw 32-byte public key of an Ed25519 KeyObject (public or private). */
export function rawPublicKey(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  // SPKI DER of Ed25519 is a fixed 12-byte prefix + the 32 raw bytes.
  return pub.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64');
}

const spkiPrefix = Buffer.from('302a300506032b6570032100', 'hex');

/** The public KeyObject for base64 raw bytes. @throws Error when not 32 bytes of base64. */
export function publicKeyFromRaw(raw: string): KeyObject {
  const bytes = Buffer.from(raw, 'base64');
  if (bytes.length !== 32 || bytes.toString('base64') !== raw)
    throw new Error(`not an Ed25519 public key (expected base64 of 32 bytes): ${raw.slice(0, 60)}`);
  return createPublicKey({ key: Buffer.concat([spkiPrefix, bytes]), format: 'der', type: 'spki' });
}

/** base64 Ed25519 signature of the UTF-8 bytes of `message`. */
export function signText(signer: AuditSigner, message: string): string {
  return sign(null, Buffer.from(message, 'utf8'), signer.privateKey).toString('base64');
}

/**
 * Whether `sig` (base64) is a valid signature of `message` by `publicKey` (raw base64). Never throws.
 * The base64 must be canonical: Node's decoder ignores stray characters and unused low bits, and a
 * changed byte in the log must never still verify.
 */
export function verifyText(publicKey: string, message: string, sig: string): boolean {
  try {
    const bytes = Buffer.from(sig, 'base64');
    if (bytes.length !== 64 || bytes.toString('base64') !== sig) return false;
    return verify(null, Buffer.from(message, 'utf8'), publicKeyFromRaw(publicKey), bytes);
  } catch {
    return false;
  }
}

/**
 * Reads the key at `path`, or null when there is none.
 * @throws Error (with the fix) when the file is readable or writable by group/others, or not an Ed25519 PKCS#8 PEM
 */
export function readAuditKey(path: string): AuditSigner | null {
  if (!existsSync(path)) return null;
  if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0)
    throw new Error(
      `audit signing key ${path} is accessible by other users, who could re-sign a rewritten audit log. Fix: chmod 600 ${path}`,
    );
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readFileSync(path));
  } catch (e) {
    throw new Error(`audit signing key ${path} is not a PEM private key (${(e as Error).message})`, { cause: e });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new Error(`audit signing key ${path} is ${privateKey.asymmetricKeyType ?? 'unknown'}, expected ed25519`);
  return { privateKey, publicKey: rawPublicKey(privateKey), path };
}

/** Reads the key at `path`, creating it (0600, directory 0700) when missing. Same errors as {@link readAuditKey}. */
export function loadOrCreateAuditKey(path: string = defaultAuditKeyPath()): AuditSigner {
  const existing = readAuditKey(path);
  if (existing) return existing;
  const dir = dirname(path);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (process.platform !== 'win32') chmodSync(dir, 0o700);
  }
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600); // wx: two processes racing to create it must not overwrite each other
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return readAuditKey(path)!;
    throw e;
  }
  try {
    writeSync(fd, pem);
  } finally {
    closeSync(fd);
  }
  return { privateKey, publicKey: rawPublicKey(privateKey), path };
}
