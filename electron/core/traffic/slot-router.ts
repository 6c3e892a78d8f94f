/**
 * A site's blue/green router, read and switched on the router itself. One implementation per
 * router kind under `routers/`; each declares what it supports.
 */
import type { OpError } from '../../../shared/result.ts';
import type { Slot } from '../config/workspace-schema.ts';

/** What the router says about which slot takes traffic. */
export interface LiveSlotReading {
  /** Slot name; null when no slot, several slots, or something no slot is named by is live. */
  liveSlot: string | null;
  /** Raw evidence as read, e.g. `upstream app: server 127.0.0.2:15301` or `be/blue op_state=2 admin_state=0`. */
  evidence: string;
  /** Why `liveSlot` is null (or a caveat); absent when one slot is cleanly live. */
  reason?: string;
}

/** Flags of what a router implementation supports. */
export interface SlotRouterCapabilities {
  read: true;
  /** `switchSlot()` is implemented. */
  switch: boolean;
}

/**
 * One command a switch ran on the router's SSH host (or an HTTP request it made), shown as is
 * in plans and step logs. Same shape as the database domain's OpCommand.
 */
export interface RouterCommand {
  kind: 'shell' | 'http';
  /** SSH target `oplab@127.0.0.2:15322`, or the URL's origin. */
  target: string;
  /** The exact command line (content sent on stdin is described, not repeated) or `GET url`. */
  text: string;
  durationMs?: number;
  /** Exit code / HTTP status and the first meaningful output line. */
  outcome?: string;
}

/** Progress of a switch, for a live step log. */
export interface SwitchProgress {
  /** `read`, `preflight`, `write`, `test`, `reload`, `ready`, `wait-up`, `maint`, `persist`, `read-back`. */
  phase: string;
  message: string;
  elapsedMs: number;
}

/** Options of `switchSlot`. */
export interface SwitchSlotOptions {
  signal?: AbortSignal;
  onProgress?: (p: SwitchProgress) => void;
  /**
   * Skip the check that the target slot answers its health URL before traffic moves to it
   * (nginx; HAProxy's own health check gates the switch regardless). Dangerous: traffic may go
   * to a dead slot.
   */
  dangerouslySkipHealthCheck?: boolean;
  /** HAProxy: bound on "new server UP", ms (default 10000). */
  upTimeoutMs?: number;
}

/** Outcome of a switch (or of finding it already done). */
export interface SwitchSlotResult {
  from: string | null;
  to: string;
  /** Reading taken after the switch, proving it. */
  after: LiveSlotReading;
  durationMs: number;
  /** False when `to` was already the only live slot (idempotent no-op). */
  changed: boolean;
  summary: string;
  /** Every command run, in order. */
  commands: RouterCommand[];
  /** Phases, ms (e.g. nginx `switch` = write + test + reload; HAProxy `wait-up`). */
  phaseMs: Record<string, number>;
}

/** What a switch would do, computed from the router's live state without changing it. */
export interface SwitchSlotPlan {
  from: string | null;
  to: string;
  /** False when `to` is already the only live slot (the switch would be a no-op). */
  changed: boolean;
  summary: string;
  /** Commands run to compute the plan (reads only). */
  reads: RouterCommand[];
  /** Commands the switch would run, in order; conditional ones say so in `outcome`. */
  commands: RouterCommand[];
  /** nginx: the upstream file as it is, and as the switch would write it. */
  fileBefore?: string;
  fileAfter?: string;
}

/** One answer of the router's entry URL during {@link SlotRouter.verifySlot}. */
export interface EntryAnswer {
  /** HTTP status, null when no response. */
  status: number | null;
  /** `slot` of the JSON body, null when absent or not JSON. */
  slot: string | null;
  latencyMs: number;
  error?: string;
}

/** Read-back of a switch: the router's config and the traffic through it agree on `expected`. */
export interface SlotVerification {
  verified: boolean;
  expected: string;
  /** The router's own reading (config / runtime state). */
  reading: LiveSlotReading;
  /** Answers of the entry URL, last first-to-last (only the tail is kept, ≤ 20). */
  answers: EntryAnswer[];
  evidence: string;
  /** Why not verified. */
  reason?: string;
  commands: RouterCommand[];
}

/** Options of `verifySlot`. */
export interface VerifySlotOptions {
  /** Consecutive 2xx answers naming `expected` needed (default 3). */
  consecutive?: number;
  /** Bound on the whole check, ms (default 5000). */
  timeoutMs?: number;
  /** Per-request bound, ms (default 1000). */
  requestTimeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Reads which slot a router sends traffic to. `readLiveSlot` rejects with an Error carrying an
 * OpError in `error` (`SshError`, `SshCommandError`, `SlotRouterError`) when the router cannot be
 * read or its answer cannot be parsed; a readable router that points at no single slot resolves
 * with `liveSlot: null` and a `reason`.
 */
export interface SlotRouter {
  readonly kind: 'nginx' | 'haproxy';
  readonly capabilities: SlotRouterCapabilities;
  readLiveSlot(signal?: AbortSignal): Promise<LiveSlotReading>;
  /**
   * Moves traffic to slot `to` (a slot name of the site); present only when `capabilities.switch`.
   * Idempotent: `to` already the only live slot → `changed: false`. Rejects with
   * {@link SlotSwitchError} (or SshError / SshCommandError / SlotRouterError from reading).
   */
  switchSlot?(to: string, options?: SwitchSlotOptions): Promise<SwitchSlotResult>;
  /** What `switchSlot(to)` would run, from the live state (reads only). Rejects like `switchSlot` for invalid input. */
  planSwitch?(to: string, options?: { signal?: AbortSignal }): Promise<SwitchSlotPlan>;
  /**
   * Read-back: `readLiveSlot()` names `expected` AND the entry URL answers `consecutive` times
   * in a row (new connection each) with 2xx JSON whose `slot` is `expected`. Resolves with the
   * verdict; rejects only when the router cannot be read.
   */
  verifySlot?(expected: string, options?: VerifySlotOptions): Promise<SlotVerification>;
}

/**
 * A switch failed or was refused. `error.kind`: `invalid-input` (unknown slot, unusable
 * router id), `unsafe-plan` (target slot unhealthy), `conflict` (the router refused the change:
 * nginx -t failed — the old file was restored — or a runtime API command was rejected),
 * `timeout` (new server never came UP; reverted). `stderr` holds the router's own words;
 * `commands` what ran before the failure.
 */
export class SlotSwitchError extends Error {
  readonly error: OpError;
  readonly commands: RouterCommand[];
  readonly stderr: string;
  constructor(error: OpError, options: { commands?: RouterCommand[]; stderr?: string; cause?: unknown } = {}) {
    super(error.message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'SlotSwitchError';
    this.error = error;
    this.commands = options.commands ?? [];
    this.stderr = options.stderr ?? '';
  }
}

/** The router answered something we cannot interpret (`error.kind` = `internal` or `not-found`). */
export class SlotRouterError extends Error {
  readonly error: { kind: 'internal' | 'not-found' | 'invalid-input'; message: string; hint?: string; where?: string };
  constructor(kind: 'internal' | 'not-found' | 'invalid-input', message: string, hint?: string, where?: string) {
    super(message);
    this.name = 'SlotRouterError';
    this.error = { kind, message, ...(hint !== undefined ? { hint } : {}), ...(where !== undefined ? { where } : {}) };
  }
}

/**
 * Names the live slot from the router ids that take traffic (`liveIds`, in the router's own
 * naming: nginx `HOST:PORT`, HAProxy server name), given the site's slots and their `routerId`.
 * One slot → its name. Several slots → null, reason `both slots live` (or `N slots live`). An id
 * no slot claims → null, reason names it. None → null, reason `no server is live`.
 */
export function resolveLiveSlot(
  liveIds: readonly string[],
  slots: readonly Pick<Slot, 'name' | 'routerId'>[],
  evidence: string,
): LiveSlotReading {
  if (liveIds.length === 0) return { liveSlot: null, evidence, reason: 'no server is live' };
  const names = new Set<string>();
  const unmatched: string[] = [];
  for (const id of liveIds) {
    const slot = slots.find((s) => sameRouterId(s.routerId, id));
    if (slot) names.add(slot.name);
    else unmatched.push(id);
  }
  if (unmatched.length > 0) {
    return {
      liveSlot: null,
      evidence,
      reason: `live ${unmatched.length === 1 ? 'server' : 'servers'} ${unmatched.join(', ')} ${unmatched.length === 1 ? 'matches' : 'match'} no slot (slots: ${slots.map((s) => `${s.name}=${s.routerId}`).join(', ')})`,
    };
  }
  if (names.size > 1) {
    return {
      liveSlot: null,
      evidence,
      reason:
        names.size === 2
          ? `both slots live (${[...names].join(', ')})`
          : `${names.size} slots live (${[...names].join(', ')})`,
    };
  }
  return { liveSlot: [...names][0] ?? null, evidence };
}

/** Router ids compare case-insensitively (host names and HAProxy server names are). */
function sameRouterId(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}
