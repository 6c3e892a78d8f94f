/**
 * The workspace file (YAML) as a zod schema. Every object is strict: an unknown field is an
 * error (a typo must never silently turn a safety setting off). Units are in field names:
 * `…Ms` milliseconds, `…Seconds` seconds.
 *
 * Credentials are references only — `{ env: NAME }`, `{ file: PATH }` (a key file readable by
 * the user only) or `{ keychain: { service, account } }` — never inline secrets.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { z } from 'zod';
import { hostProblem, isLoopbackHost, splitHostPort } from './network-host.ts';

/**
 * Upper bounds of free-text fields, in characters. The file itself is bounded (yaml-source.ts),
 * but a single field must not carry megabytes into logs, plans, the UI and SSH command lines.
 */
const maxLen = { path: 4096, command: 4096, url: 2048, dnsName: 253, label: 256 } as const;
/** A non-empty string of at most `max` characters. */
const text = (max: number) => z.string().min(1).max(max);
const pathText = text(maxLen.path);

/** A DNS name: labels of letters, digits, `-` and `_`, an optional final dot (CNAME values). */
const dnsName = /^(?=.{1,253}\.?$)([A-Za-z0-9_-]{1,63}\.)*[A-Za-z0-9_-]{1,63}\.?$/;
/**
 * HAProxy proxy and server names: letters, digits, `_ . : -` (what HAProxy itself allows). The
 * same rule guards the command builder in traffic/routers/haproxy.ts; here it stops a bad name
 * at `validate`, before any command is built from it.
 */
const haproxyName = z
  .string()
  .min(1)
  .max(maxLen.label)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'HAProxy names use letters, digits, "_", ".", ":" or "-" only');

const name = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.-]+$/, 'use letters, digits, "_", "." or "-"');

/**
 * A network host: RFC 1123 name, IPv4 or IPv6 address (bare, no brackets). Names are resolved
 * when used (see network-host.ts).
 */
const networkHost = z
  .string()
  .min(1)
  .max(maxLen.dnsName)
  .superRefine((h, ctx) => {
    const problem = hostProblem(h);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
const port = z.number().int().min(1).max(65535);
/** An http(s) URL on any host (name, IPv4, or IPv6 in brackets: `https://[2001:db8::1]:8443/`). */
const httpUrl = z
  .string()
  .max(maxLen.url)
  .superRefine((u, ctx) => {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: `"${u}" is not a URL: write it as https://host:port/ (IPv6 in brackets)`,
      });
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: `"${u}" must start with https:// or http://` });
      return;
    }
    const problem = hostProblem(url.hostname.replace(/^\[|\]$/g, ''));
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
/** `host:port` of a DNS server: `ns1.example.net:53`, `192.0.2.53:53` or `[2001:db8::1]:53`. */
const hostPort = z
  .string()
  .max(maxLen.dnsName + 8)
  .superRefine((hp, ctx) => {
    const parts = splitHostPort(hp);
    if (typeof parts === 'string') ctx.addIssue({ code: 'custom', message: parts });
  });
/** PEM file of the CA(s) trusted for this target's HTTPS, instead of the system ones. */
const caFile = pathText;

export const SecretRefSchema = z.union([
  z
    .object({
      env: z
        .string()
        .max(maxLen.label)
        .regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name'),
    })
    .strict(),
  z.object({ file: pathText }).strict(),
  z.object({ keychain: z.object({ service: text(maxLen.label), account: text(maxLen.label) }).strict() }).strict(),
]);
export type SecretRef = z.infer<typeof SecretRefSchema>;

export const SshSchema = z
  .object({
    host: networkHost,
    port: port.default(22),
    user: text(maxLen.label),
    /** Private key (a file reference is the usual form). */
    privateKey: SecretRefSchema,
    /** known_hosts file pinning the host key; connections to an unknown key are refused. */
    knownHosts: pathText,
    connectTimeoutMs: z.number().int().positive().default(3000),
  })
  .strict();

export const SlotSchema = z
  .object({
    name,
    /** Base URL of this slot's instance, e.g. http://127.0.0.2:15301 */
    url: httpUrl,
    /** Health path appended to `url`. */
    healthPath: z.string().max(maxLen.url).startsWith('/').default('/health'),
    /** How the router names this slot's upstream (nginx: "127.0.0.2:15301"; HAProxy: server name). */
    routerId: text(maxLen.label),
    /** CA bundle (PEM) trusted for an https `url`; default: the system CAs. */
    caFile: caFile.optional(),
  })
  .strict();

const NginxRouterSchema = z
  .object({
    kind: z.literal('nginx'),
    /** Health URL of the site's entry point (through the router). */
    entryUrl: httpUrl,
    /** CA bundle (PEM) trusted for an https `entryUrl`; default: the system CAs. */
    caFile: caFile.optional(),
    /** Upstream include file on the SSH host, holding `server HOST:PORT` of the live slot. */
    upstreamFile: pathText,
    /** nginx command line prefix used to test/reload on the SSH host (-p/-c/-e as started). */
    nginxCommand: text(maxLen.command),
  })
  .strict();

const HaproxyRouterSchema = z
  .object({
    kind: z.literal('haproxy'),
    entryUrl: httpUrl,
    /** CA bundle (PEM) trusted for an https `entryUrl`; default: the system CAs. */
    caFile: caFile.optional(),
    /** HAProxy admin socket path on the SSH host (runtime API). */
    adminSocket: pathText.regex(/^[^,!\s]+$/, 'socat cannot take ",", "!" or spaces in a socket path'),
    /** Backend name; it is sent to HAProxy's runtime API through a shell on the SSH host. */
    backend: haproxyName,
    /**
     * HAProxy's `server-state-file` on the SSH host (optional). When set, a slot switch writes
     * `show servers state` into it so a reload (`load-server-state-from-file`) keeps the switch.
     */
    serverStateFile: pathText.optional(),
  })
  .strict();

export const RouterSchema = z.discriminatedUnion('kind', [NginxRouterSchema, HaproxyRouterSchema]);

export const SiteSchema = z
  .object({
    name,
    role: z.enum(['production', 'failover']),
    /** The address DNS points at when this site is active. */
    address: z
      .string()
      .min(1)
      .max(maxLen.dnsName)
      .refine(
        (h) => hostProblem(h) === null,
        'must be an IPv4 address (four numbers 0-255), an IPv6 address or a DNS name',
      ),
    ssh: SshSchema,
    router: RouterSchema,
    slots: z.array(SlotSchema).min(1),
  })
  .strict()
  .superRefine((site, ctx) => {
    // A HAProxy slot's routerId is a server name sent through the runtime API (a shell command).
    if (site.router.kind !== 'haproxy') return;
    site.slots.forEach((slot, i) => {
      if (!haproxyName.safeParse(slot.routerId).success)
        ctx.addIssue({
          code: 'custom',
          path: ['slots', i, 'routerId'],
          message: 'a HAProxy server name uses letters, digits, "_", ".", ":" or "-" only',
        });
    });
  });

const PowerDnsSchema = z
  .object({
    name,
    kind: z.literal('powerdns'),
    /** PowerDNS HTTP API base URL, e.g. http://127.0.0.1:15381 */
    apiUrl: httpUrl,
    serverId: z.string().max(maxLen.label).default('localhost'),
    apiKey: SecretRefSchema,
    /** This provider's authoritative nameservers to query directly ("host:port"). */
    nameservers: z.array(hostPort).min(1),
    /** CA bundle (PEM) trusted for an https `apiUrl`; default: the system CAs. */
    caFile: caFile.optional(),
    /**
     * Send the API key over plain http to a non-loopback host anyway. Off by default: anyone on
     * the path could read the key. Shown as "insecure http" in the UI and `standby status`.
     */
    allowInsecureHttp: z.boolean().default(false),
  })
  .strict();

const Rfc2136Schema = z
  .object({
    name,
    kind: z.literal('rfc2136'),
    /** Primary server that accepts RFC 2136 UPDATE ("host:port"). */
    server: hostPort,
    /** TSIG key file in BIND's `key "name" { algorithm …; secret "…"; };` format. */
    tsigKey: SecretRefSchema,
    nameservers: z.array(hostPort).min(1),
  })
  .strict();

export const DnsProviderSchema = z.discriminatedUnion('kind', [PowerDnsSchema, Rfc2136Schema]).superRefine((p, ctx) => {
  if (p.kind !== 'powerdns') return;
  let url: URL;
  try {
    url = new URL(p.apiUrl);
  } catch {
    return; // reported by apiUrl itself
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && !p.allowInsecureHttp)
    ctx.addIssue({
      code: 'custom',
      path: ['apiUrl'],
      message:
        `refusing to send the API key over plain http to ${url.hostname}: use https:// ` +
        '(with caFile for a private CA), or set allowInsecureHttp: true on this provider if the network is trusted',
    });
});

export const RecordSchema = z
  .object({
    /** Fully qualified name without the trailing dot, e.g. app.lab.test */
    name: z
      .string()
      .max(maxLen.dnsName)
      .regex(/^([a-zA-Z0-9_-]+\.)+[a-zA-Z0-9-]+$/, 'a fully qualified name like app.example.com'),
    type: z.enum(['A', 'AAAA', 'CNAME']),
    /** Value of the record when each site is active: site name → value. */
    values: z.record(z.string().max(64), text(maxLen.dnsName)),
    ttlSeconds: z.number().int().min(1).max(604800),
    failoverTtlSeconds: z.number().int().min(1).max(604800),
  })
  .strict()
  .superRefine((rec, ctx) => {
    const valid = { A: isIPv4, AAAA: isIPv6, CNAME: (v: string) => dnsName.test(v) }[rec.type];
    const form = { A: 'an IPv4 address (four numbers 0-255)', AAAA: 'an IPv6 address', CNAME: 'a DNS name' }[rec.type];
    for (const [site, value] of Object.entries(rec.values))
      if (!valid(value))
        ctx.addIssue({ code: 'custom', path: ['values', site], message: `a ${rec.type} record value must be ${form}` });
  });

export const DatabaseSchema = z
  .object({
    name,
    site: name,
    engine: z.literal('postgresql'),
    /** Address and port as seen from the site's SSH host (tunnelled) or from Standby (direct). */
    host: networkHost,
    port,
    database: z.string().max(maxLen.label).default('postgres'),
    user: text(maxLen.label),
    password: SecretRefSchema,
    /** Reach it through the site's SSH host (forwardOut) instead of connecting directly. */
    viaSsh: z.boolean().default(false),
    // --- Optional: needed only by the mutating steps (hard fence, rejoin), which run commands
    // on the site's SSH host as the SSH user (who must own the data directory).
    /** Data directory on the site's SSH host (`pg_ctl -D`). Required for a hard fence and a rejoin. */
    dataDir: pathText.startsWith('/', 'an absolute path on the SSH host').optional(),
    /** Directory holding pg_ctl, pg_rewind, pg_basebackup on the SSH host (default: found on PATH). */
    pgBin: pathText.startsWith('/', 'an absolute path on the SSH host').optional(),
    /**
     * Shell command (run over SSH) that starts this node and returns once it accepts connections,
     * e.g. the service manager's start. Default: `pg_ctl -D <dataDir> -l <dataDir>/standby-start.log -w -t 60 start`.
     */
    startCommand: text(maxLen.command).optional(),
    /** Role this node uses to stream from the primary when it is (re)joined as a replica (default: `user`). */
    replicationUser: text(maxLen.label).optional(),
    /** libpq passfile on this node's SSH host holding `replicationUser`'s password, referenced from `primary_conninfo`. */
    replicationPassfile: pathText.startsWith('/', 'an absolute path on the SSH host').optional(),
    /** Physical slot this node streams through when it is a replica (default `standby_<name>`). */
    replicationSlot: z
      .string()
      .regex(/^[a-z0-9_]{1,63}$/, 'lower-case letters, digits and "_" (PostgreSQL slot names)')
      .optional(),
  })
  .strict();

export const ProbeSettingsSchema = z
  .object({
    intervalMs: z.number().int().min(100).max(600000).default(1000),
    timeoutMs: z.number().int().min(50).max(60000).default(800),
    /** Consecutive successes before unhealthy → healthy. */
    healthyThreshold: z.number().int().min(1).max(20).default(1),
    /** Consecutive failures before healthy → unhealthy. */
    unhealthyThreshold: z.number().int().min(1).max(20).default(2),
  })
  .strict();

export const EnvironmentSchema = z
  .object({
    name,
    objectives: z.object({ rtoSeconds: z.number().positive(), rpoSeconds: z.number().nonnegative() }).strict(),
    /** Expected runbook duration used in the RTO estimate, s (measured by drills later). */
    expectedRunbookSeconds: z.number().nonnegative().default(10),
    probes: ProbeSettingsSchema.default({
      intervalMs: 1000,
      timeoutMs: 800,
      healthyThreshold: 1,
      unhealthyThreshold: 2,
    }),
    /** Poll interval for DNS, replication and live slot, ms. */
    pollIntervalMs: z.number().int().min(200).max(600000).default(1000),
    sites: z.array(SiteSchema).min(1),
    zone: text(maxLen.dnsName),
    dnsProviders: z.array(DnsProviderSchema).min(1),
    records: z.array(RecordSchema),
    databases: z.array(DatabaseSchema).default([]),
  })
  .strict();

export const WorkspaceSchema = z
  .object({
    version: z.literal(1),
    /** SQLite file for samples (relative to the workspace file). */
    store: z
      .object({
        path: z.string().max(maxLen.path).default('.standby/standby.sqlite'),
        retentionHours: z.number().positive().default(24),
      })
      .strict()
      .default({ path: '.standby/standby.sqlite', retentionHours: 24 }),
    /** Folder of runbook YAML files (relative to the workspace file). */
    runbooksDir: pathText.default('runbooks'),
    environments: z.array(EnvironmentSchema).min(1),
  })
  .strict();

export type Workspace = z.infer<typeof WorkspaceSchema>;
export type Environment = z.infer<typeof EnvironmentSchema>;
export type Site = z.infer<typeof SiteSchema>;
export type Slot = z.infer<typeof SlotSchema>;
export type Router = z.infer<typeof RouterSchema>;
export type DnsProviderConfig = z.infer<typeof DnsProviderSchema>;
export type RecordConfig = z.infer<typeof RecordSchema>;
export type DatabaseConfig = z.infer<typeof DatabaseSchema>;
export type SshConfig = z.infer<typeof SshSchema>;
export type ProbeSettings = z.infer<typeof ProbeSettingsSchema>;
