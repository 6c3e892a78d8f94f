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
import type { SshPool } from '../../ssh/ssh-pool.ts';
import { SlotRouterError, resolveLiveSlot } from '../slot-router.ts';
import type { LiveSlotReading, SlotRouter, SlotRouterCapabilities } from '../slot-router.ts';

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
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
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
  return lines.slice(2).filter((l) => !l.startsWith('#')).map((line) => {
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
    if (op === null || adm === null) throw new SlotRouterError('internal', `HAProxy server state row is malformed: ${line.slice(0, 200)}`);
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
  return s.opState === SRV_OP_RUNNING && (s.adminState & (SRV_ADMF_ANY_MAINT | SRV_ADMF_ANY_DRAIN)) === 0 && s.uweight !== 0;
}

/**
 * Live slot from the backend's rows. Evidence lists every server as
 * `be/blue op_state=2 admin_state=0` (plus `weight=0` / `drain` / `maint` notes).
 */
export function haproxyLiveSlot(rows: HaproxyServerState[], backend: string, slots: readonly Pick<Slot, 'name' | 'routerId'>[]): LiveSlotReading {
  const mine = rows.filter((r) => r.backend === backend);
  if (mine.length === 0) return { liveSlot: null, evidence: `backend ${backend}: no servers`, reason: `backend ${backend} has no servers` };
  const evidence = mine
    .map((r) => {
      const notes: string[] = [];
      if (r.adminState & SRV_ADMF_ANY_MAINT) notes.push('maint');
      if (r.adminState & SRV_ADMF_ANY_DRAIN) notes.push('drain');
      if (r.uweight === 0) notes.push('weight=0');
      return `${r.backend}/${r.name} op_state=${r.opState} admin_state=${r.adminState}${notes.length ? ` (${notes.join(', ')})` : ''}`;
    })
    .join('; ');
  return resolveLiveSlot(mine.filter(serverIsLive).map((r) => r.name), slots, evidence);
}

/** Options of {@link HaproxyRouter}. */
export interface HaproxyRouterOptions {
  site: Site;
  pool: SshPool;
  /** Bound on the SSH read, ms (default 5000). */
  timeoutMs?: number;
}

/** Reads a site's HAProxy backend state over SSH (socat on the host). Switching comes next. */
export class HaproxyRouter implements SlotRouter {
  readonly kind = 'haproxy' as const;
  readonly capabilities: SlotRouterCapabilities = { read: true, switch: false };
  readonly #o: HaproxyRouterOptions;

  constructor(options: HaproxyRouterOptions) {
    const r = options.site.router;
    if (r.kind !== 'haproxy') throw new Error(`site ${options.site.name} has a ${r.kind} router, not haproxy`);
    // socat parses its address argument (`,` starts options, `!!` splits); HAProxy names are
    // [A-Za-z0-9_.:-]: refuse anything else rather than build a command from it.
    if (!/^[A-Za-z0-9_.:-]+$/.test(r.backend)) throw new SlotRouterError('invalid-input', `backend name ${JSON.stringify(r.backend)} has characters HAProxy does not allow`, undefined, options.site.name);
    if (/[,!\s]/.test(r.adminSocket)) throw new SlotRouterError('invalid-input', `admin socket path ${JSON.stringify(r.adminSocket)} contains ",", "!" or spaces, which socat cannot take`, 'move the socket to a plain path', options.site.name);
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
      if (e instanceof SlotRouterError) throw new SlotRouterError(e.error.kind, `${r.adminSocket} on ${site.name}: ${e.message}`, `check that backend "${r.backend}" exists`, site.name);
      throw e;
    }
    return haproxyLiveSlot(rows, r.backend, site.slots);
  }
}
