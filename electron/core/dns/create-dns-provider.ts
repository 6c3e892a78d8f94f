/**
 * Build `DnsProvider`s from workspace config (workspace-schema `DnsProviderSchema`).
 * Synchronous and never throwing, so one bad provider cannot stop a monitor from starting:
 * secrets are resolved lazily on the provider's first request (through the caller's resolver,
 * retried on the next request after a failure), and a provider that cannot be built at all
 * becomes a stub whose every call rejects with the construction error.
 */
import { caPemOf } from '../config/ca-files.ts';
import type { DnsProviderConfig, Environment, SecretRef } from '../config/workspace-schema.ts';
import { showSet } from './describe-views.ts';
import type { DnsProvider, DnsRecordSet, DnsRecordType } from './dns-provider.ts';
import { DnsProviderError, type DnsProviderErrorKind, isDnsProviderError } from './dns-provider-error.ts';
import { PowerDnsProvider } from './providers/powerdns.ts';
import { Rfc2136Provider } from './providers/rfc2136.ts';
import { parseTsigKeyText } from './tsig-key-file.ts';

/** Resolves a secret reference to its text (file content, env value, keychain item). */
export type ResolveSecret = (ref: SecretRef) => Promise<string>;

/** Options of `createDnsProvider`. */
export interface CreateDnsProviderOptions {
  /**
   * The environment's zone (`lab.test`). Recommended; when omitted each provider discovers
   * the zone of a name (PowerDNS zone list; RFC 2136 SOA query to `server`).
   */
  zone?: string;
  /** Per-request bound passed to the provider, ms. Default 2000. */
  timeoutMs?: number;
}

/**
 * Create one provider (no I/O happens here).
 * - `powerdns`: `apiKey` resolves to the API key (surrounding whitespace trimmed).
 * - `rfc2136`: `tsigKey` resolves to a BIND key file's text (`key "n" { algorithm …; secret "…"; };`)
 *   or dig's `-y` form `[alg:]name:secret`.
 * Secret problems surface on the first request as `DnsProviderError` (`auth` for an unreadable
 * or world-readable secret, `invalid-input` for a missing/empty/unparsable one), carrying the
 * resolver's message and hint, never the value.
 */
export function createDnsProvider(
  config: DnsProviderConfig,
  resolveSecret: ResolveSecret,
  options: CreateDnsProviderOptions = {},
): DnsProvider {
  const common = {
    name: config.name,
    ...(options.zone !== undefined ? { zone: options.zone } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  };
  try {
    switch (config.kind) {
      case 'powerdns':
        return new PowerDnsProvider({
          ...common,
          apiUrl: config.apiUrl,
          serverId: config.serverId,
          ...(config.caFile !== undefined ? { ca: caPemOf(config.caFile)! } : {}),
          apiKey: () => resolve(resolveSecret, config.apiKey, config.name, 'apiKey'),
        });
      case 'rfc2136':
        return new Rfc2136Provider({
          ...common,
          server: config.server,
          tsigKey: async () =>
            parseTsigKeyText(await resolve(resolveSecret, config.tsigKey, config.name, 'tsigKey'), {
              source: describeRef(config.tsigKey),
            }),
        });
    }
  } catch (e) {
    const error = isDnsProviderError(e)
      ? e
      : new DnsProviderError('invalid-input', String(e), undefined, { where: config.name, cause: e });
    return new UnavailableDnsProvider(config.name, config.kind, error);
  }
}

/** Create every provider of an environment with its zone (see `createDnsProvider`). */
export function createDnsProviders(
  env: Environment,
  resolveSecret: ResolveSecret,
  options: { timeoutMs?: number } = {},
): DnsProvider[] {
  return env.dnsProviders.map((c) => createDnsProvider(c, resolveSecret, { zone: env.zone, ...options }));
}

/** A provider that could not be built: every call rejects with why. */
class UnavailableDnsProvider implements DnsProvider {
  readonly capabilities = { read: true, write: false, compareAndSwap: false } as const;
  readonly name: string;
  readonly kind: string;
  readonly #error: DnsProviderError;
  constructor(name: string, kind: string, error: DnsProviderError) {
    this.name = name;
    this.kind = kind;
    this.#error = error;
  }
  getRecordSet(): Promise<never> {
    return Promise.reject(this.#error);
  }
  setRecordSet(): Promise<never> {
    return Promise.reject(this.#error);
  }
  describeWrite(fqdn: string, type: DnsRecordType, want: DnsRecordSet | null): string {
    return `set ${fqdn} ${type} to ${showSet(want)} (provider ${this.name} unavailable: ${this.#error.message})`;
  }
  async close(): Promise<void> {}
}

async function resolve(resolveSecret: ResolveSecret, ref: SecretRef, provider: string, field: string): Promise<string> {
  try {
    return await resolveSecret(ref);
  } catch (e) {
    // The project's SecretError carries an OpError in `.error`; keep its message and hint.
    const op =
      typeof e === 'object' && e !== null && 'error' in e
        ? (e as { error: { kind?: unknown; message?: unknown; hint?: unknown } }).error
        : undefined;
    const why = typeof op?.message === 'string' ? op.message : e instanceof Error ? e.message : String(e);
    const hint =
      typeof op?.hint === 'string' ? op.hint : `fix the ${field} reference of provider ${provider} in the workspace`;
    // An unreachable keychain (no session bus, daemon stuck) is not a workspace mistake: keep it
    // retryable-looking so the operator fixes the keyring, not the YAML.
    const kind: DnsProviderErrorKind =
      op?.kind === 'auth'
        ? 'auth'
        : op?.kind === 'unreachable' || op?.kind === 'timeout'
          ? 'unreachable'
          : 'invalid-input';
    throw new DnsProviderError(
      kind,
      `cannot read ${field} of DNS provider ${provider} (${describeRef(ref)}): ${why}`,
      hint,
      { where: provider, cause: e },
    );
  }
}

function describeRef(ref: SecretRef): string {
  if ('env' in ref) return `env ${ref.env}`;
  if ('file' in ref) return ref.file;
  return `keychain ${ref.keychain.service}/${ref.keychain.account}`;
}
