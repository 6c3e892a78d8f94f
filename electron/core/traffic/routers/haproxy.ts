/**
 * HAProxy blue/green router: the live slot is the backend's server(s) that are UP and ready,
 * read from the runtime API (`show servers state BACKEND` on the admin socket) over SSH with
 * socat, as in the lab recipe §4.
 *
 * Sources: HAProxy management guide, "show servers state" (server-state-file format version 1,
 * columns named in its header line); `srv_op_state` values (0 stopped, 1 starting, 2 running,
 * 3 stopping) and `srv_admin_state` bits from include/haproxy/server-t.h: FMAINT 0x01,
 * IMAINT 0x02, CMAINT 0x04, FDRAIN 0x08, IDRAIN 0x10, RMAINT 0x20 (DNS resolution).
 * HAProxy's own maintenance mask is FMAINT|IMAINT|RMAINT (0x23): CMAINT only records that the
 * config said `disabled` and stays set after `set server … state ready` (seen in the lab: a
 * ready, UP server reports admin_state 4 and takes traffic). Maintenance → no traffic; any drain
 * bit → no new traffic.
 */
import type { Site, Slot } from '../../config/workspace-schema.ts';
import { exec, shellQuote } from '../../ssh/ssh-exec.ts';
import type { ExecResult } from '../../ssh/ssh-exec.ts';
import { toOpError } from '../../platform/op-error.ts';
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
import { verifySlotLive } from '../verify-slot.ts';

/** `srv_op_state` of a running (UP) server. */
export const SRV_OP_RUNNING = 2;
/** HAProxy's SRV_ADMF_MAINT: forced, inherited or DNS-resolution maintenance (not CMAINT, see above). */
export const SRV_ADMF_ANY_MAINT = 0x01 | 0x02 | 0x20;
/** Any drain flag: forced or inherited. */
export const SRV_ADMF_ANY_DRAIN = 0x08 | 0x10;

/** One row of `show servers state`. */
export interface HaproxyServerState {
  backend: string;
  name: string;
  addr: string;
  port: number | null;
  opState: number;
  adminState: number;
  /** User weight (0 = takes no traffic). */
  uweight: number | null;
  /** Every column by its header name, raw. */
  fields: Record<string, string>;
}

/**
 * Parses the runtime API's `show servers state` answer: a version line (`1`), a `#` header line
 * naming the columns, then one space-separated row per server. Throws {@link SlotRouterError}
 * for anything else (e.g. `Can't find backend.`, `Permission denied`), quoting the answer.
 */
export function parseServersState(text: string): HaproxyServerState[] {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const version = lines[0];
  if (version !== '1') {
    throw new SlotRouterError(
      version && /can't find backend/i.test(version) ? 'not-found' : 'internal',
      `HAProxy answered ${JSON.stringify((lines.slice(0, 2).join(' ') || '(nothing)').slice(0, 200))} instead of a version 1 server state`,
    );
  }
  const header = lines[1];
  if (!header?.startsWith('#')) throw new SlotRouterError('internal', 'HAProxy server state has no "#" header line');
  const cols = header.slice(1).trim().split(/\s+/);
  const need = ['be_name', 'srv_name', 'srv_op_state', 'srv_admin_state'];
  const missing = need.filter((c) => !cols.includes(c));
  if (missing.length) throw new SlotRouterError('internal', `HAProxy server state lacks columns ${missing.join(', ')}`);
  return lines
    .slice(2)
    .filter((l) => !l.startsWith('#'))
    .map((line) => {
      const values = line.split(/\s+/);
      const fields: Record<string, string> = {};
      cols.forEach((c, i) => {
        fields[c] = values[i] ?? '';
      });
      const num = (c: string): number | null => {
        const v = fields[c];
        return v !== undefined && /^\d+$/.test(v) ? Number(v) : null;
      };
      const op = num('srv_op_state');
      const adm = num('srv_admin_state');
      if (op === null || adm === null)
        throw new SlotRouterError('internal', `HAProxy server state row is malformed: ${line.slice(0, 200)}`);
      return {
        backend: fields.be_name ?? '',
        name: fields.srv_name ?? '',
        addr: fields.srv_addr ?? '',
        port: num('srv_port'),
        opState: op,
        adminState: adm,
        uweight: num('srv_uweight'),
        fields,
      };
    });
}

/** True when the server takes new traffic: running, no maintenance or drain flag, weight > 0. */
export function serverIsLive(s: Pick<HaproxyServerState, 'opState' | 'adminState' | 'uweight'>): boolean {
  return (
    s.opState === SRV_OP_RUNNING && (s.adminState & (SRV_ADMF_ANY_MAINT | SRV_ADMF_ANY_DRAIN)) === 0 && s.uweight !== 0
  );
}

/**
 * Live slot from the backend's rows. Evidence lists every server as
 * `be/blue op_state=2 admin_state=0` (plus `weight=0` / `drain` / `maint` notes).
 */
export function haproxyLiveSlot(
  rows: HaproxyServerState[],
  backend: string,
  slots: readonly Pick<Slot, 'name' | 'routerId'>[],
): LiveSlotReading {
  const mine = rows.filter((r) => r.backend === backend);
  if (mine.length === 0)
    return { liveSlot: null, evidence: `backend ${backend}: no servers`, reason: `backend ${backend} has no servers` };
  const evidence = mine
    .map((r) => {
      const notes: string[] = [];
      if (r.adminState & SRV_ADMF_ANY_MAINT) notes.push('maint');
      if (r.adminState & SRV_ADMF_ANY_DRAIN) notes.push('drain');
      if (r.uweight === 0) notes.push('weight=0');
      return `${r.backend}/${r.name} op_state=${r.opState} admin_state=${r.adminState}${notes.length ? ` (${notes.join(', ')})` : ''}`;
    })
    .join('; ');
  return resolveLiveSlot(
    mine.filter(serverIsLive).map((r) => r.name),
    slots,
    evidence,
  );
}

/** HAProxy server names: letters, digits, `_ . : -` (anything else is refused before building a command). */
export const HAPROXY_NAME = /^[A-Za-z0-9_.:-]+$/;

/** `printf '%s\n' CMD | socat -t 2 - UNIX-CONNECT:SOCKET`: one runtime API command on the SSH host. */
export function haproxyApiCommand(adminSocket: string, command: string): string {
  return `printf '%s\\n' ${shellQuote(command)} | socat -t 2 - ${shellQuote(`UNIX-CONNECT:${adminSocket}`)}`;
}

/**
 * Writes `show servers state` (all backends: the server-state-file format) into `stateFile`
 * through a temp file + rename, so a reload with `load-server-state-from-file` keeps the runtime
 * switch. Exit 5: socat failed; 6: the answer is not a version 1 state (printed on stderr).
 */
export function haproxyPersistStateCommand(adminSocket: string, stateFile: string): string {
  const f = shellQuote(stateFile);
  const t = shellQuote(`${stateFile}.standby-tmp`);
  return [
    'set -u',
    `${haproxyApiCommand(adminSocket, 'show servers state')} > ${t} || { rm -f -- ${t}; exit 5; }`,
    `if [ "$(head -n 1 ${t})" != 1 ]; then cat ${t} >&2; rm -f -- ${t}; exit 6; fi`,
    `mv -f -- ${t} ${f}`,
  ].join('\n');
}

/** Options of {@link HaproxyRouter}. */
export interface HaproxyRouterOptions {
  site: Site;
  pool: SshPool;
  /** Bound on the SSH read, ms (default 5000). */
  timeoutMs?: number;
}

/** Reads and switches a site's HAProxy backend over SSH (runtime API through socat on the host). */
export class HaproxyRouter implements SlotRouter {
  readonly kind = 'haproxy' as const;
  readonly capabilities: SlotRouterCapabilities = { read: true, switch: true };
  readonly #o: HaproxyRouterOptions;

  constructor(options: HaproxyRouterOptions) {
    const r = options.site.router;
    if (r.kind !== 'haproxy') throw new Error(`site ${options.site.name} has a ${r.kind} router, not haproxy`);
    // socat parses its address argument (`,` starts options, `!!` splits); HAProxy names are
    // [A-Za-z0-9_.:-]: refuse anything else rather than build a command from it.
    if (!/^[A-Za-z0-9_.:-]+$/.test(r.backend))
      throw new SlotRouterError(
        'invalid-input',
        `backend name ${JSON.stringify(r.backend)} has characters HAProxy does not allow`,
        undefined,
        options.site.name,
      );
    if (/[,!\s]/.test(r.adminSocket))
      throw new SlotRouterError(
        'invalid-input',
        `admin socket path ${JSON.stringify(r.adminSocket)} contains ",", "!" or spaces, which socat cannot take`,
        'move the socket to a plain path',
        options.site.name,
      );
    this.#o = options;
  }

  /** Runtime API command line run on the SSH host. */
  command(): string {
    const r = this.#o.site.router;
    if (r.kind !== 'haproxy') throw new Error('unreachable');
    return `printf '%s\\n' ${shellQuote(`show servers state ${r.backend}`)} | socat -t 2 - ${shellQuote(`UNIX-CONNECT:${r.adminSocket}`)}`;
  }

  /** Rejects with SshError / SshCommandError (socat missing: 127, socket refused: 1) / SlotRouterError. */
  async readLiveSlot(signal?: AbortSignal): Promise<LiveSlotReading> {
    const { site, pool } = this.#o;
    const r = site.router;
    if (r.kind !== 'haproxy') throw new Error('unreachable');
    const out = await exec(pool, site.ssh, this.command(), {
      timeoutMs: this.#o.timeoutMs ?? 5000,
      ...(signal ? { signal } : {}),
      maxOutputBytes: 1024 * 1024,
    });
    let rows: HaproxyServerState[];
    try {
      rows = parseServersState(out.stdout);
    } catch (e) {
      if (e instanceof SlotRouterError)
        throw new SlotRouterError(
          e.error.kind,
          `${r.adminSocket} on ${site.name}: ${e.message}`,
          `check that backend "${r.backend}" exists`,
          site.name,
        );
      throw e;
    }
    return haproxyLiveSlot(rows, r.backend, site.slots);
  }

  /**
   * Moves traffic to slot `to` in the order that loses no request (lab recipe §4, gotcha 9):
   * `set server BE/<to> state ready` → wait (≤ `upTimeoutMs`, default 10 s) until HAProxy's own
   * health check has it UP (op_state 2) → `set server BE/<old> state maint` for every other live
   * slot → `show servers state` into `serverStateFile` when configured (a reload keeps the
   * switch) → read back. `to` already the only live slot → `changed: false`. If `to` never comes
   * UP it is put back in maintenance (if it was) and nothing else changed.
   * Rejects with {@link SlotSwitchError}: `invalid-input` (unknown slot, bad server name),
   * `conflict` (HAProxy refused a command: its answer in `stderr`), `timeout` (never UP;
   * reverted), `internal` (read-back disagrees), or the SSH error's kind.
   */
  async switchSlot(to: string, options: SwitchSlotOptions = {}): Promise<SwitchSlotResult> {
    return (await this.#switch(to, options, false)) as SwitchSlotResult;
  }

  /** What {@link switchSlot} would run: reads the backend state, lists the runtime API commands. */
  async planSwitch(to: string, options: { signal?: AbortSignal } = {}): Promise<SwitchSlotPlan> {
    return (await this.#switch(to, options, true)) as SwitchSlotPlan;
  }

  async #switch(to: string, options: SwitchSlotOptions, planOnly: boolean): Promise<SwitchSlotResult | SwitchSlotPlan> {
    const { site, pool } = this.#o;
    const r = site.router;
    if (r.kind !== 'haproxy') throw new Error('unreachable');
    const session = startSwitchSession(site, pool, options);
    const { log, where, phaseMs, progress, fail } = session;
    const shell = (command: string, timeoutMs = 5000): Promise<ExecResult> =>
      session.shell(command, {
        timeoutMs,
        maxOutputBytes: 1024 * 1024,
        outcome: (x) => `exit ${x.exitCode}${x.stdout.trim() ? `: ${x.stdout.trim().split('\n')[0]}` : ''}`,
      });
    /** A `set …` command: HAProxy answers nothing (or a blank line) on success, words otherwise. */
    const set = async (command: string): Promise<void> => {
      const out = (await shell(haproxyApiCommand(r.adminSocket, command))).stdout.trim();
      if (out !== '') throw fail('conflict', `HAProxy refused "${command}": ${out.split('\n')[0]}`, undefined, out);
    };
    const state = async (): Promise<HaproxyServerState[]> => {
      const out = await shell(this.command());
      return parseServersState(out.stdout).filter((x) => x.backend === r.backend);
    };
    return session.guard(async () => {
      const slot = session.slot(to);
      const bad = site.slots.find((s) => !HAPROXY_NAME.test(s.routerId));
      if (bad)
        throw fail(
          'invalid-input',
          `slot ${bad.name}'s routerId ${JSON.stringify(bad.routerId)} is not an HAProxy server name`,
          'fix sites[].slots[].routerId',
        );

      progress('read', `show servers state ${r.backend}`);
      const rows0 = await state();
      const before = haproxyLiveSlot(rows0, r.backend, site.slots);
      const row = (rows: HaproxyServerState[], id: string): HaproxyServerState | undefined =>
        rows.find((x) => x.name.toLowerCase() === id.toLowerCase());
      const target = row(rows0, slot.routerId);
      if (!target)
        throw fail(
          'invalid-input',
          `backend ${r.backend} has no server ${slot.routerId} (slot ${to})`,
          'fix sites[].slots[].routerId',
        );
      if (before.liveSlot === to) {
        return session.unchanged(
          to,
          before,
          `${to} is already the only live slot of ${site.name} (${before.evidence}): nothing to do`,
          planOnly,
        );
      }
      if (target.uweight === 0)
        throw fail(
          'conflict',
          `server ${r.backend}/${target.name} has weight 0: it would take no traffic`,
          `set its weight first (set server ${r.backend}/${target.name} weight 100%)`,
        );
      const toMaint = site.slots
        .filter((o) => o.name !== to)
        .map((o) => row(rows0, o.routerId))
        .filter((o): o is HaproxyServerState => o !== undefined && (o.adminState & SRV_ADMF_ANY_MAINT) === 0);

      const wasOut = !serverIsLive(target);
      if (planOnly) {
        const api = (command: string, outcome?: string): RouterCommand => ({
          kind: 'shell',
          target: where,
          text: haproxyApiCommand(r.adminSocket, command),
          ...(outcome ? { outcome } : {}),
        });
        const commands: RouterCommand[] = [
          ...(wasOut ? [api(`set server ${r.backend}/${target.name} state ready`)] : []),
          {
            kind: 'shell',
            target: where,
            text: this.command(),
            outcome: `repeated until ${r.backend}/${target.name} is UP (op_state 2), ≤ ${options.upTimeoutMs ?? 10_000} ms; else put back in maintenance`,
          },
          ...toMaint.map((o) => api(`set server ${r.backend}/${o.name} state maint`)),
          ...(r.serverStateFile
            ? [
                {
                  kind: 'shell' as const,
                  target: where,
                  text: haproxyPersistStateCommand(r.adminSocket, r.serverStateFile),
                },
              ]
            : []),
          { kind: 'shell', target: where, text: this.command(), outcome: `read-back: only ${target.name} live` },
        ];
        const summary = `switch ${site.name} from ${before.liveSlot ?? 'no single slot'} to ${to}: ${wasOut ? `${target.name} ready, ` : ''}wait until UP, then ${toMaint.map((o) => o.name).join(', ') || 'nothing'} to maintenance${r.serverStateFile ? ', save state' : ' (no server-state file: a reload would undo it)'}`;
        return { from: before.liveSlot, to, changed: true, summary, reads: log.commands, commands };
      }
      if (wasOut) {
        progress('ready', `set server ${r.backend}/${target.name} state ready`);
        await set(`set server ${r.backend}/${target.name} state ready`);
      }
      progress('wait-up', `waiting until ${r.backend}/${target.name} is UP`);
      const upTimeout = options.upTimeoutMs ?? 10_000;
      const t0 = performance.now();
      let up = false;
      let lastRow: HaproxyServerState | undefined;
      for (let i = 0; i < 500 && performance.now() - t0 < upTimeout; i++) {
        lastRow = row(await state(), slot.routerId);
        if (lastRow && serverIsLive(lastRow)) {
          up = true;
          break;
        }
        await new Promise((res) => setTimeout(res, 50));
      }
      phaseMs['wait-up'] = Math.round(performance.now() - t0);
      if (!up) {
        if (wasOut) await set(`set server ${r.backend}/${target.name} state maint`).catch(() => {});
        throw fail(
          'timeout',
          `${r.backend}/${target.name} did not come UP within ${upTimeout} ms (op_state ${lastRow?.opState ?? '?'}, admin_state ${lastRow?.adminState ?? '?'}); ${wasOut ? 'put back in maintenance; ' : ''}traffic stays on ${before.liveSlot ?? 'the current servers'}`,
          `check slot ${to}'s health (${slot.url}${slot.healthPath})`,
        );
      }

      const t1 = performance.now();
      for (const o of toMaint) {
        progress('maint', `set server ${r.backend}/${o.name} state maint`);
        await set(`set server ${r.backend}/${o.name} state maint`);
      }
      phaseMs.maint = Math.round(performance.now() - t1);

      if (r.serverStateFile) {
        progress('persist', `show servers state > ${r.serverStateFile}`);
        try {
          await shell(haproxyPersistStateCommand(r.adminSocket, r.serverStateFile));
        } catch (e) {
          const stderr = String((e as { stderr?: unknown }).stderr ?? '');
          throw fail(
            'internal',
            `switched to ${to}, but the state could not be saved to ${r.serverStateFile} (${toOpError(e).message}): a reload would undo the switch`,
            'check that the SSH user can write the server-state file',
            stderr,
          );
        }
      }

      progress('read-back', `show servers state ${r.backend}`);
      const after = haproxyLiveSlot(await state(), r.backend, site.slots);
      if (after.liveSlot !== to)
        throw fail(
          'internal',
          `after the switch HAProxy reports ${after.liveSlot ?? 'no single live slot'} (${after.evidence}${after.reason ? `; ${after.reason}` : ''})`,
        );
      return {
        from: before.liveSlot,
        to,
        after,
        durationMs: log.elapsedMs(),
        changed: true,
        summary: `switched ${site.name} from ${before.liveSlot ?? 'no single slot'} to ${to} (UP after ${phaseMs['wait-up']} ms${r.serverStateFile ? '; state saved' : '; no server-state file configured: a reload would undo it'})`,
        commands: log.commands,
        phaseMs,
      };
    });
  }

  /** See {@link SlotRouter.verifySlot}: HAProxy's state names `expected` and the entry URL serves it. */
  verifySlot(expected: string, options: VerifySlotOptions = {}): Promise<SlotVerification> {
    return verifySlotLive(
      this.#o.site,
      {
        command: this.command(),
        target: sshTarget(this.#o.site.ssh),
        readLiveSlot: (signal) => this.readLiveSlot(signal),
      },
      expected,
      options,
    );
  }
}
