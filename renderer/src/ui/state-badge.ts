/**
 * State → badge mapping. Every state has its own tone, icon and text so states differ by more
 * than colour (colour-blind operators, grey-scale screenshots in incident reports), and
 * unknown or stale data never borrows the healthy look.
 */
import type { DnsFlag, HealthState, PostureState, Verdict } from '../../../shared/status.ts';

/** Visual tone; each maps to one CSS colour family. */
export type Tone = 'ok' | 'warn' | 'bad' | 'unknown' | 'stale' | 'neutral';

/** Icon names known to `icon.tsx`. */
export type IconName = 'check' | 'warn' | 'cross' | 'question' | 'clock' | 'dot' | 'plug' | 'lock' | 'sync';

export interface Badge {
  tone: Tone;
  icon: IconName;
  /** Text shown next to the icon (the state word). */
  label: string;
}

/** Any per-item state the core reports: site/probe health or `ok`/`unknown` observations. */
export type ObservedState = HealthState | 'ok';

/**
 * Badge for a health or observation state.
 *
 * Stale data: a good state (`healthy`, `ok`) that is stale loses its green (we no longer know
 * it is good) and takes the stale tone and clock icon; a bad state keeps its tone (it was bad
 * when last seen, which still needs attention). The label stays the state word; the age is
 * shown beside it by the caller.
 */
export function stateBadge(state: ObservedState, opts: { stale?: boolean } = {}): Badge {
  const base = baseBadge(state);
  if (opts.stale && (state === 'healthy' || state === 'ok')) return { tone: 'stale', icon: 'clock', label: base.label };
  return base;
}

function baseBadge(state: ObservedState): Badge {
  switch (state) {
    case 'healthy':
      return { tone: 'ok', icon: 'check', label: 'healthy' };
    case 'ok':
      return { tone: 'ok', icon: 'check', label: 'ok' };
    case 'degraded':
      return { tone: 'warn', icon: 'warn', label: 'degraded' };
    case 'unhealthy':
      return { tone: 'bad', icon: 'cross', label: 'unhealthy' };
    case 'unknown':
      return { tone: 'unknown', icon: 'question', label: 'unknown' };
    default:
      // A state added to the contract but not here yet must not look good.
      return { tone: 'unknown', icon: 'question', label: String(state) };
  }
}

/**
 * Badge for an RPO/RTO verdict: `ok` (within objective), `breach`, `unknown`. A stale `ok`
 * takes the stale tone, like a stale healthy state. `unprotected` (the DR posture says nothing
 * is left to fail over to) outranks the verdict: an objective met by no standby is "no standby".
 */
export function verdictBadge(verdict: Verdict, opts: { stale?: boolean; unprotected?: boolean } = {}): Badge {
  if (opts.unprotected) return { tone: 'bad', icon: 'cross', label: 'no standby' };
  switch (verdict) {
    case 'ok':
      return opts.stale
        ? { tone: 'stale', icon: 'clock', label: 'within objective' }
        : { tone: 'ok', icon: 'check', label: 'within objective' };
    case 'breach':
      return { tone: 'bad', icon: 'cross', label: 'breach' };
    default:
      return { tone: 'unknown', icon: 'question', label: 'unknown' };
  }
}

/** Badge for a DNS drift flag: disagreement and mismatch are bad, a long TTL a warning. */
export function dnsFlagBadge(flag: DnsFlag): Badge {
  switch (flag) {
    case 'providers-disagree':
    case 'api-served-mismatch':
      return { tone: 'bad', icon: 'cross', label: flag };
    case 'ttl-exceeds-rto':
      return { tone: 'warn', icon: 'warn', label: flag };
    default:
      return { tone: 'unknown', icon: 'question', label: flag };
  }
}

/** Connection states shown in the header. */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'auth-refused';

/** Badge for the transport connection; `auth-refused` reads `auth refused`. */
export function connectionBadge(state: ConnectionState): Badge {
  switch (state) {
    case 'connected':
      return { tone: 'ok', icon: 'plug', label: 'connected' };
    case 'connecting':
      return { tone: 'neutral', icon: 'sync', label: 'connecting' };
    case 'reconnecting':
      return { tone: 'warn', icon: 'sync', label: 'reconnecting' };
    case 'auth-refused':
      return { tone: 'bad', icon: 'lock', label: 'auth refused' };
  }
}

/**
 * Badge for the DR posture; a missing posture (an older core) is unknown, never protected, and
 * a stale `protected` loses its green like a stale healthy state.
 */
export function postureBadge(state: PostureState | null, opts: { stale?: boolean } = {}): Badge {
  switch (state) {
    case 'protected':
      return opts.stale
        ? { tone: 'stale', icon: 'clock', label: 'protected' }
        : { tone: 'ok', icon: 'check', label: 'protected' };
    case 'degraded':
      return { tone: 'warn', icon: 'warn', label: 'degraded' };
    case 'unprotected':
      return { tone: 'bad', icon: 'cross', label: 'unprotected' };
    default:
      return { tone: 'unknown', icon: 'question', label: 'unknown' };
  }
}
