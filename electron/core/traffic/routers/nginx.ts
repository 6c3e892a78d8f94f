/**
 * nginx blue/green router: the live slot is whatever the `server` lines of the upstream include
 * file name (the lab recipe §4: the switch rewrites that file, runs `nginx -t`, then
 * `nginx -s reload`). Read over SSH with `cat`; switched over SSH with one script (new file
 * written beside the old and renamed over it, `nginx -t`, `nginx -s reload`; the old file is
 * put back when either fails).
 *
 * Caveat: the file is what nginx loads at its next reload. If someone rewrote it without a
 * reload, the running workers still use the old upstream; the evidence is the file's content
 * (`verifySlot` also checks the traffic).
 */
import type { Site, Slot } from '../../config/workspace-schema.ts';
import { exec, shellQuote } from '../../ssh/ssh-exec.ts';
import type { ExecResult } from '../../ssh/ssh-exec.ts';
import { sshTarget } from '../../ssh/ssh-pool.ts';
import type { SshPool } from '../../ssh/ssh-pool.ts';
import { startSwitchSession } from '../switch-session.ts';
import { SlotRouterError, resolveLiveSlot } from '../slot-router.ts';
import type {
  LiveSlotReading,
  RouterCommand,
  SlotRouter,
  SlotRouterCapabilities,
  SlotVerification,
  SwitchSlotOptions,
  SwitchSlotPlan,
  SwitchSlotResult,
  VerifySlotOptions,
} from '../slot-router.ts';
import { getEntrySlot, verifySlotLive } from '../verify-slot.ts';

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
      servers.push({
        upstream: m[1]!,
        address,
        params,
        down: params.includes('down'),
        backup: params.includes('backup'),
      });
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
export function nginxLiveSlot(
  servers: NginxUpstreamServer[],
  slots: readonly Pick<Slot, 'name' | 'routerId'>[],
): LiveSlotReading {
  const evidence =
    servers.length === 0
      ? 'no server lines'
      : servers
          .map((s) => `upstream ${s.upstream}: server ${s.address}${s.params.length ? ` ${s.params.join(' ')}` : ''}`)
          .join('; ');
  let live = servers.filter((s) => !s.down && !s.backup);
  if (live.length === 0) live = servers.filter((s) => !s.down && s.backup);
  const ids = [...new Set(live.map((s) => s.address))];
  return resolveLiveSlot(ids, slots, evidence);
}

/** `HOST:PORT` with nginx's default port 80 added; `unix:` paths and bracketed IPv6 kept. */
function normalizeAddress(raw: string): string {
  return raw.startsWith('unix:') || /:\d+$/.test(raw) || /^\[.*\]:\d+$/.test(raw) ? raw : `${raw}:80`;
}

/** A router id nginx can take as a `server` address without any way to inject directives. */
export function isNginxServerAddress(id: string): boolean {
  return /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(id) || /^unix:\/[^\s;{}#'"]+$/.test(id);
}

/**
 * The upstream file with its slot servers pointing at `to` (nginx address), everything else
 * (other directives, comments, spacing) kept. In each `upstream` block that holds `server` lines
 * naming any of `slotAddresses`, the first such line gets address `to` (dropping `down` /
 * `backup`) and the others are removed. When no line names a slot and the file has exactly one
 * upstream block, all its server lines become one `server to`. Throws {@link SlotRouterError}
 * (`invalid-input`) when it cannot tell which upstream serves the slots.
 */
export function renderNginxUpstream(text: string, to: string, slotAddresses: readonly string[]): string {
  // Comments are blanked (same length) so indices in `masked` are indices in `text`.
  const masked = text.replace(/#[^\n]*/g, (c) => ' '.repeat(c.length));
  const wanted = new Set(slotAddresses.map((a) => normalizeAddress(a.trim()).toLowerCase()));
  const blocks: { bodyStart: number; bodyEnd: number }[] = [];
  const re = /\bupstream\s+[^\s{]+\s*\{/g;
  while (re.exec(masked) !== null) {
    const end = masked.indexOf('}', re.lastIndex);
    if (end < 0) throw new SlotRouterError('invalid-input', 'an upstream block is not closed with "}"');
    blocks.push({ bodyStart: re.lastIndex, bodyEnd: end });
    re.lastIndex = end + 1;
  }
  if (blocks.length === 0)
    throw new SlotRouterError('invalid-input', 'no "upstream NAME { … }" block in the upstream file');
  /** `start` is where the statement's first word begins (comments and spacing before it stay). */
  interface Stmt {
    start: number;
    end: number;
    words: string[];
  }
  const statements = (b: { bodyStart: number; bodyEnd: number }): Stmt[] => {
    const out: Stmt[] = [];
    let pos = b.bodyStart;
    while (pos < b.bodyEnd) {
      const semi = masked.indexOf(';', pos);
      if (semi < 0 || semi > b.bodyEnd) break;
      const raw = masked.slice(pos, semi);
      const lead = /^\s*/.exec(raw)?.[0] ?? '';
      out.push({ start: pos + lead.length, end: semi + 1, words: raw.trim().split(/\s+/).filter(Boolean) });
      pos = semi + 1;
    }
    return out;
  };
  const edits: { start: number; end: number; text: string }[] = [];
  // A removed statement takes the blanks before it along, and its line when nothing else is on it.
  const removal = (st: Stmt): { start: number; end: number; text: string } => {
    let start = st.start;
    while (start > 0 && (masked[start - 1] === ' ' || masked[start - 1] === '\t')) start--;
    let end = st.end;
    if ((start === 0 || masked[start - 1] === '\n') && masked[end] === '\n') end++;
    return { start, end, text: '' };
  };
  const serverLine = (s: Stmt): string =>
    `server ${to}${s.words
      .slice(2)
      .filter((w) => w !== 'down' && w !== 'backup')
      .map((w) => ` ${w}`)
      .join('')};`;
  for (const b of blocks) {
    const slotServers = statements(b).filter(
      (st) =>
        st.words[0] === 'server' &&
        st.words[1] !== undefined &&
        wanted.has(normalizeAddress(st.words[1]).toLowerCase()),
    );
    slotServers.forEach((st, i) =>
      edits.push(i === 0 ? { start: st.start, end: st.end, text: serverLine(st) } : removal(st)),
    );
  }
  if (edits.length === 0) {
    if (blocks.length !== 1)
      throw new SlotRouterError(
        'invalid-input',
        `no upstream server line names a slot (${slotAddresses.join(', ')}) and there are ${blocks.length} upstream blocks: cannot tell which one to switch`,
      );
    const servers = statements(blocks[0]!).filter((st) => st.words[0] === 'server');
    if (servers.length === 0)
      throw new SlotRouterError('invalid-input', 'the upstream block has no server line to switch');
    servers.forEach((st, i) =>
      edits.push(i === 0 ? { start: st.start, end: st.end, text: serverLine(st) } : removal(st)),
    );
  }
  let out = text;
  for (const e of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

/** Exit codes of {@link nginxSwitchScript}. */
export const NGINX_SWITCH_EXIT = { ok: 0, testFailed: 3, reloadFailed: 4, backup: 10, write: 11, rename: 12 } as const;

/**
 * Shell script (POSIX sh) that replaces `file` with the content on its stdin and reloads nginx:
 * the new content is written to `file.standby-new` (a copy of the old one's mode/owner first) and
 * renamed over `file` (atomic within a directory); then `NGINX -t -q` — on failure the old file
 * (kept as `file.standby-old`) is renamed back, nginx's output goes to stderr, exit 3; then
 * `NGINX -s reload` — on failure the same restore, exit 4. `nginxCommand` is the configured
 * command prefix (-p/-c/-e as nginx was started), used verbatim.
 */
export function nginxSwitchScript(file: string, nginxCommand: string): string {
  const f = shellQuote(file);
  const n = shellQuote(`${file}.standby-new`);
  const o = shellQuote(`${file}.standby-old`);
  const x = NGINX_SWITCH_EXIT;
  return [
    'set -u',
    `cp -p -- ${f} ${o} || exit ${x.backup}`,
    `{ cp -p -- ${f} ${n} && cat > ${n}; } || { rm -f -- ${n}; exit ${x.write}; }`,
    `mv -f -- ${n} ${f} || exit ${x.rename}`,
    `if ! out=$(${nginxCommand} -t -q 2>&1); then mv -f -- ${o} ${f}; printf '%s\\n' "$out" >&2; exit ${x.testFailed}; fi`,
    `if ! out=$(${nginxCommand} -s reload 2>&1); then mv -f -- ${o} ${f}; printf '%s\\n' "$out" >&2; exit ${x.reloadFailed}; fi`,
    `rm -f -- ${o}`,
  ].join('\n');
}

/** Options of {@link NginxRouter}. */
export interface NginxRouterOptions {
  site: Site;
  pool: SshPool;
  /** Bound on the SSH read, ms (default 5000). */
  timeoutMs?: number;
}

/** Reads and switches a site's nginx upstream include over SSH. */
export class NginxRouter implements SlotRouter {
  readonly kind = 'nginx' as const;
  readonly capabilities: SlotRouterCapabilities = { read: true, switch: true };
  readonly #o: NginxRouterOptions;

  constructor(options: NginxRouterOptions) {
    if (options.site.router.kind !== 'nginx')
      throw new Error(`site ${options.site.name} has a ${options.site.router.kind} router, not nginx`);
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
        throw new SlotRouterError(
          'internal',
          `${file} on ${site.name}: ${e.message}`,
          'the upstream file must hold "upstream NAME { server HOST:PORT; }"',
          site.name,
        );
      }
      throw e;
    }
    return nginxLiveSlot(servers, site.slots);
  }

  /**
   * Points the upstream include at slot `to` and reloads nginx (see {@link nginxSwitchScript}).
   * Steps: read the file (already `to` → `changed: false`); check that `to` answers its health
   * URL (unless `dangerouslySkipHealthCheck`); write + `nginx -t` + `nginx -s reload`; read back.
   * Rejects with {@link SlotSwitchError}: `invalid-input` (unknown slot, router id not an nginx
   * address), `unsafe-plan` (target unhealthy), `conflict` (nginx -t or reload failed: the old
   * file is back, `stderr` has nginx's words), `internal` (read-back disagrees), or the SSH
   * error's kind.
   */
  async switchSlot(to: string, options: SwitchSlotOptions = {}): Promise<SwitchSlotResult> {
    return (await this.#switch(to, options, false)) as SwitchSlotResult;
  }

  /** What {@link switchSlot} would run: reads the include, renders the new one, lists the commands. */
  async planSwitch(to: string, options: { signal?: AbortSignal } = {}): Promise<SwitchSlotPlan> {
    return (await this.#switch(to, options, true)) as SwitchSlotPlan;
  }

  async #switch(to: string, options: SwitchSlotOptions, planOnly: boolean): Promise<SwitchSlotResult | SwitchSlotPlan> {
    const { site, pool } = this.#o;
    const r = site.router;
    if (r.kind !== 'nginx') throw new Error('unreachable');
    const session = startSwitchSession(site, pool, options);
    const { log, where, phaseMs, progress, fail } = session;
    const { signal } = options;
    const run = (command: string, text: string, timeoutMs: number, stdin?: string): Promise<ExecResult> =>
      session.shell(command, {
        text,
        timeoutMs,
        maxOutputBytes: 256 * 1024,
        ...(stdin !== undefined ? { stdin } : {}),
        outcome: (x) => `exit ${x.exitCode}`,
      });
    return session.guard(async () => {
      const slot = session.slot(to);
      if (!isNginxServerAddress(slot.routerId))
        throw fail(
          'invalid-input',
          `slot ${to}'s routerId ${JSON.stringify(slot.routerId)} is not an nginx server address (HOST:PORT or unix:/path)`,
          'fix sites[].slots[].routerId',
        );

      progress('read', `reading ${r.upstreamFile}`);
      const t0 = performance.now();
      const current = await run(
        `cat -- ${shellQuote(r.upstreamFile)}`,
        `cat -- ${shellQuote(r.upstreamFile)}`,
        this.#o.timeoutMs ?? 5000,
      );
      const before = nginxLiveSlot(parseNginxUpstream(current.stdout), site.slots);
      if (before.liveSlot === to) {
        return session.unchanged(
          to,
          before,
          `${to} is already the live slot of ${site.name} (${before.evidence}): nothing to do`,
          planOnly,
        );
      }
      let next: string;
      try {
        next = renderNginxUpstream(
          current.stdout,
          slot.routerId,
          site.slots.map((s) => s.routerId),
        );
      } catch (e) {
        throw fail(
          'invalid-input',
          `${r.upstreamFile}: ${(e as Error).message}`,
          'the upstream file must hold "upstream NAME { server HOST:PORT; }"',
        );
      }
      phaseMs.read = Math.round(performance.now() - t0);
      const healthUrl = `${slot.url.replace(/\/+$/, '')}${slot.healthPath}`;
      const script = nginxSwitchScript(r.upstreamFile, r.nginxCommand);
      const scriptText = `${script}\n# stdin: the new ${r.upstreamFile} (${next.length} bytes): ${next.replace(/\s+/g, ' ').trim()}`;
      if (planOnly) {
        const commands: RouterCommand[] = [
          ...(options.dangerouslySkipHealthCheck
            ? []
            : [
                {
                  kind: 'http' as const,
                  target: new URL(healthUrl).origin,
                  text: `GET ${healthUrl}`,
                  outcome: `must answer 2xx (slot ${to})`,
                },
              ]),
          {
            kind: 'shell',
            target: where,
            text: scriptText,
            outcome: 'exit 3/4: nginx -t / reload failed, old file restored',
          },
          {
            kind: 'shell',
            target: where,
            text: `cat -- ${shellQuote(r.upstreamFile)}`,
            outcome: `read-back: must name ${slot.routerId}`,
          },
        ];
        return {
          from: before.liveSlot,
          to,
          changed: true,
          summary: `switch ${site.name} from ${before.liveSlot ?? 'no single slot'} to ${to}: ${r.upstreamFile} → server ${slot.routerId}, nginx -t, nginx -s reload`,
          reads: log.commands,
          commands,
          fileBefore: current.stdout,
          fileAfter: next,
        };
      }

      if (!options.dangerouslySkipHealthCheck) {
        progress('preflight', `checking ${slot.url}${slot.healthPath}`);
        const url = healthUrl;
        const a = await log.run(
          { kind: 'http', target: new URL(url).origin, text: `GET ${url}` },
          () => getEntrySlot(url, { timeoutMs: 2000, ...(signal ? { signal } : {}) }),
          (x) => `${x.status ?? x.error} slot=${x.slot ?? '-'}`,
        );
        if (a.status === null || a.status < 200 || a.status >= 300)
          throw fail(
            'unsafe-plan',
            `slot ${to} is not healthy (${url}: ${a.status ?? a.error}): traffic stays on ${before.liveSlot ?? 'the current upstream'}`,
            'bring the slot up first',
          );
        if (a.slot !== null && a.slot !== to)
          throw fail(
            'unsafe-plan',
            `${url} answers as slot ${a.slot}, not ${to}: the slot's url or routerId is wrong`,
            'fix sites[].slots[]',
          );
      }

      progress('switch', `writing ${r.upstreamFile} → ${slot.routerId}, nginx -t, nginx -s reload`);
      const t1 = performance.now();
      try {
        await run(script, scriptText, 30_000, next);
      } catch (e) {
        const code = (e as { exitCode?: unknown }).exitCode;
        const stderr = String((e as { stderr?: unknown }).stderr ?? '').trim();
        const said = stderr.split('\n').find((l) => /emerg|error|fail/i.test(l)) ?? stderr.split('\n')[0] ?? '';
        if (code === NGINX_SWITCH_EXIT.testFailed)
          throw fail(
            'conflict',
            `nginx -t rejected the new upstream (${said}); the old ${r.upstreamFile} was restored, ${before.liveSlot ?? 'the old upstream'} still serves`,
            "fix the nginx configuration or the slot's routerId",
            stderr,
          );
        if (code === NGINX_SWITCH_EXIT.reloadFailed)
          throw fail(
            'conflict',
            `nginx -s reload failed (${said}); the old ${r.upstreamFile} was restored`,
            'is nginx running with the configured -p/-c? (router.nginxCommand)',
            stderr,
          );
        if (typeof code === 'number')
          throw fail(
            'internal',
            `could not replace ${r.upstreamFile} (exit ${code}: ${said})`,
            'the SSH user must be able to write the file and its directory',
            stderr,
          );
        throw e;
      }
      phaseMs.switch = Math.round(performance.now() - t1);

      progress('read-back', `reading ${r.upstreamFile} back`);
      const after = await log.run(
        { kind: 'shell', target: where, text: `cat -- ${shellQuote(r.upstreamFile)}` },
        () => this.readLiveSlot(signal),
        (x) => x.evidence,
      );
      if (after.liveSlot !== to)
        throw fail(
          'internal',
          `after the switch ${r.upstreamFile} names ${after.liveSlot ?? 'no single slot'} (${after.evidence})`,
        );
      return {
        from: before.liveSlot,
        to,
        after,
        durationMs: log.elapsedMs(),
        changed: true,
        summary: `switched ${site.name} from ${before.liveSlot ?? 'no single slot'} to ${to} (write + nginx -t + reload ${phaseMs.switch} ms)`,
        commands: log.commands,
        phaseMs,
      };
    });
  }

  /** See {@link SlotRouter.verifySlot}: the include names `expected` and the entry URL serves it. */
  verifySlot(expected: string, options: VerifySlotOptions = {}): Promise<SlotVerification> {
    const { site } = this.#o;
    const file = site.router.kind === 'nginx' ? site.router.upstreamFile : '';
    return verifySlotLive(
      site,
      {
        command: `cat -- ${shellQuote(file)}`,
        target: sshTarget(site.ssh),
        readLiveSlot: (signal) => this.readLiveSlot(signal),
      },
      expected,
      options,
    );
  }
}
