/**
 * nginx blue/green router: the live slot is whatever the `server` lines of the upstream include
 * file name (the lab recipe §4: the switch rewrites that file, runs `nginx -t`, then
 * `nginx -s reload`). Read over SSH with `cat`.
 *
 * Caveat: the file is what nginx loads at its next reload. If someone rewrote it without a
 * reload, the running workers still use the old upstream; the evidence is the file's content.
 */
import type { Site, Slot } from '../../config/workspace-schema.ts';
import { exec, shellQuote } from '../../ssh/ssh-exec.ts';
import type { SshPool } from '../../ssh/ssh-pool.ts';
import { SlotRouterError, resolveLiveSlot } from '../slot-router.ts';
import type { LiveSlotReading, SlotRouter, SlotRouterCapabilities } from '../slot-router.ts';

/** One `server` directive of an `upstream` block. */
export interface NginxUpstreamServer {
  upstream: string;
  /** `HOST:PORT` as written; `:80` added when the port is omitted (nginx's default); `unix:/path` kept. */
  address: string;
  /** Parameters after the address (`weight=2`, `backup`, `down`, …). */
  params: string[];
  down: boolean;
  backup: boolean;
}

/**
 * Parses the `upstream NAME { … }` blocks of an nginx config fragment (comments stripped).
 * Throws {@link SlotRouterError} when there is no upstream block or a block is not closed.
 * Source: nginx docs, ngx_http_upstream_module (`server address [parameters]`).
 */
export function parseNginxUpstream(text: string): NginxUpstreamServer[] {
  const src = text.replace(/#[^\n]*/g, '');
  const servers: NginxUpstreamServer[] = [];
  const re = /\bupstream\s+([^\s{]+)\s*\{/g;
  let m: RegExpExecArray | null;
  let blocks = 0;
  while ((m = re.exec(src)) !== null) {
    blocks++;
    const start = re.lastIndex;
    const end = src.indexOf('}', start);
    if (end < 0) throw new SlotRouterError('internal', `upstream ${m[1]} is not closed with "}"`);
    for (const stmt of src.slice(start, end).split(';')) {
      const words = stmt.trim().split(/\s+/).filter(Boolean);
      if (words[0] !== 'server' || !words[1]) continue;
      const raw = words[1];
      const address = raw.startsWith('unix:') || /:\d+$/.test(raw) || /^\[.*\]:\d+$/.test(raw) ? raw : `${raw}:80`;
      const params = words.slice(2);
      servers.push({ upstream: m[1]!, address, params, down: params.includes('down'), backup: params.includes('backup') });
    }
    re.lastIndex = end + 1;
  }
  if (blocks === 0) throw new SlotRouterError('internal', 'no "upstream NAME { … }" block in the upstream file');
  return servers;
}

/**
 * Live slot from parsed servers: servers not marked `down` and not `backup` take traffic; when
 * every primary server is `down`, the backups do (nginx uses backups only then).
 */
export function nginxLiveSlot(servers: NginxUpstreamServer[], slots: readonly Pick<Slot, 'name' | 'routerId'>[]): LiveSlotReading {
  const evidence =
    servers.length === 0
      ? 'no server lines'
      : servers.map((s) => `upstream ${s.upstream}: server ${s.address}${s.params.length ? ` ${s.params.join(' ')}` : ''}`).join('; ');
  let live = servers.filter((s) => !s.down && !s.backup);
  if (live.length === 0) live = servers.filter((s) => !s.down && s.backup);
  const ids = [...new Set(live.map((s) => s.address))];
  return resolveLiveSlot(ids, slots, evidence);
}

/** Options of {@link NginxRouter}. */
export interface NginxRouterOptions {
  site: Site;
  pool: SshPool;
  /** Bound on the SSH read, ms (default 5000). */
  timeoutMs?: number;
}

/** Reads a site's nginx upstream include over SSH. Switching comes with the next issue. */
export class NginxRouter implements SlotRouter {
  readonly kind = 'nginx' as const;
  readonly capabilities: SlotRouterCapabilities = { read: true, switch: false };
  readonly #o: NginxRouterOptions;

  constructor(options: NginxRouterOptions) {
    if (options.site.router.kind !== 'nginx') throw new Error(`site ${options.site.name} has a ${options.site.router.kind} router, not nginx`);
    this.#o = options;
  }

  /** Rejects with SshError / SshCommandError (e.g. file missing: exit 1) / SlotRouterError (unparsable). */
  async readLiveSlot(signal?: AbortSignal): Promise<LiveSlotReading> {
    const { site, pool } = this.#o;
    if (site.router.kind !== 'nginx') throw new Error('unreachable');
    const file = site.router.upstreamFile;
    const r = await exec(pool, site.ssh, `cat -- ${shellQuote(file)}`, {
      timeoutMs: this.#o.timeoutMs ?? 5000,
      ...(signal ? { signal } : {}),
      maxOutputBytes: 256 * 1024,
    });
    let servers: NginxUpstreamServer[];
    try {
      servers = parseNginxUpstream(r.stdout);
    } catch (e) {
      if (e instanceof SlotRouterError) {
        throw new SlotRouterError('internal', `${file} on ${site.name}: ${e.message}`, 'the upstream file must hold "upstream NAME { server HOST:PORT; }"', site.name);
      }
      throw e;
    }
    return nginxLiveSlot(servers, site.slots);
  }
}
