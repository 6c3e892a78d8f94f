/**
 * A site's blue/green router, read (and, in the next issue, switched) on the router itself.
 * One implementation per router kind under `routers/`; each declares what it supports.
 */
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

/** Outcome of a verified switch (next issue). */
export interface SwitchSlotResult {
  from: string | null;
  to: string;
  /** Reading taken after the switch, proving it. */
  after: LiveSlotReading;
  durationMs: number;
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
  /** Declared for the switch issue; present only when `capabilities.switch`. */
  switchSlot?(to: string, options?: { signal?: AbortSignal }): Promise<SwitchSlotResult>;
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
export function resolveLiveSlot(liveIds: readonly string[], slots: readonly Pick<Slot, 'name' | 'routerId'>[], evidence: string): LiveSlotReading {
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
    return { liveSlot: null, evidence, reason: names.size === 2 ? `both slots live (${[...names].join(', ')})` : `${names.size} slots live (${[...names].join(', ')})` };
  }
  return { liveSlot: [...names][0] ?? null, evidence };
}

/** Router ids compare case-insensitively (host names and HAProxy server names are). */
function sameRouterId(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}
