/**
 * Lookups the step kinds share: a record, site, database node or router named by a step's
 * params, in the environment and the services bag. A name that does not exist is an
 * `invalid-input` StepError listing the names that do (the runbook is wrong, retrying won't help).
 */
import type { Environment, RecordConfig, Site } from '../../config/workspace-schema.ts';
import type { SlotRouter } from '../../traffic/slot-router.ts';
import { StepError } from '../step-error.ts';
import type { StepContext } from '../step-kind.ts';
import { stepService, type DbNodeService, type NamedServices } from '../step-services.ts';

/** Loopback-only URLs, like every URL of the workspace (this build talks to 127.0.0.0/8 and ::1 only). */
export function isLoopbackUrl(u: string): boolean {
  try {
    const { hostname, protocol } = new URL(u);
    const h = hostname.replace(/^\[|\]$/g, '');
    return (
      (protocol === 'http:' || protocol === 'https:') &&
      (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::1' || h === 'localhost')
    );
  } catch {
    return false;
  }
}

/** The record `name` of `env.records` (case-insensitive, trailing dot ignored). */
export function recordOf(env: Environment, name: string): RecordConfig {
  const n = name.replace(/\.$/, '').toLowerCase();
  const rec = env.records.find((r) => r.name.toLowerCase() === n);
  if (!rec)
    throw new StepError('invalid-input', `environment ${env.name} has no record "${name}"`, {
      hint: `use one of: ${env.records.map((r) => r.name).join(', ') || '(none)'}`,
      where: name,
    });
  return rec;
}

/** The site `name` of `env.sites`. */
export function siteOf(env: Environment, name: string): Site {
  const site = env.sites.find((s) => s.name === name);
  if (!site)
    throw new StepError('invalid-input', `environment ${env.name} has no site "${name}"`, {
      hint: `use one of: ${env.sites.map((s) => s.name).join(', ')}`,
      where: name,
    });
  return site;
}

/** The site whose value of `rec` is `value` (after normalization by the caller), or null. */
export function siteForValue(rec: RecordConfig, value: string): string | null {
  const hit = Object.entries(rec.values).find(
    ([, v]) => v.trim().toLowerCase().replace(/\.$/, '') === value.trim().toLowerCase().replace(/\.$/, ''),
  );
  return hit ? hit[0] : null;
}

function named<T>(services: NamedServices<T>, name: string, what: string, envName: string): T {
  const item = services.items.get(name);
  if (item) return item;
  const problem = services.problems.get(name);
  if (problem)
    throw new StepError('invalid-input', `${what} "${name}" cannot be used: ${problem}`, {
      where: name,
      retryable: false,
    });
  const known = [...services.items.keys(), ...services.problems.keys()];
  throw new StepError('invalid-input', `environment ${envName} has no ${what} "${name}"`, {
    hint: `use one of: ${known.join(', ') || '(none)'}`,
    where: name,
  });
}

/** Database node `name` from the services bag. */
export function dbNodeOf(ctx: StepContext, name: string): DbNodeService {
  return named(stepService(ctx, 'replication'), name, 'database node', ctx.env.name);
}

/** Slot router of site `name` from the services bag. */
export function routerOf(ctx: StepContext, name: string): SlotRouter {
  siteOf(ctx.env, name);
  return named(stepService(ctx, 'routers'), name, 'router of site', ctx.env.name);
}

/** The OpError-ish message of anything thrown (`error.message` of the domain errors, else `message`). */
export function messageOf(e: unknown): string {
  if (e && typeof e === 'object') {
    const inner = (e as { error?: { message?: unknown } }).error;
    if (inner && typeof inner.message === 'string') return inner.message;
    if (typeof (e as { message?: unknown }).message === 'string') return (e as { message: string }).message;
  }
  return String(e);
}

/**
 * A domain error (SshError, ReplicationError, SlotSwitchError: OpError in `error`) as a StepError
 * with the same kind, message, hint and where, so the engine's retry rule sees its kind.
 * StepErrors and errors already carrying a top-level `kind` pass through.
 */
export function asStepError(e: unknown, where?: string): unknown {
  if (e instanceof StepError) return e;
  if (e && typeof e === 'object') {
    if (typeof (e as { kind?: unknown }).kind === 'string') return e;
    const op = (e as { error?: { kind?: unknown; message?: unknown; hint?: unknown; where?: unknown } }).error;
    if (op && typeof op.kind === 'string' && typeof op.message === 'string') {
      const w = typeof op.where === 'string' ? op.where : where;
      return new StepError(op.kind as ConstructorParameters<typeof StepError>[0], op.message, {
        ...(typeof op.hint === 'string' ? { hint: op.hint } : {}),
        ...(w ? { where: w } : {}),
        cause: e,
      });
    }
  }
  return e;
}
