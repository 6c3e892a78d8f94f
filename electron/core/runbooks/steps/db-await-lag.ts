/**
 * Step `db.await-lag`: wait until a replica's replication lag is within a bound (bytes and/or
 * seconds), with the lag as live progress. Lag is the LSN byte difference (primary's current WAL
 * position − replica's replay position) and its age in seconds (database/replication-lag.ts).
 *
 * ```yaml
 * - id: caught-up
 *   kind: db.await-lag
 *   params: { node: pg-replica, maxBytes: 0, timeoutMs: 30000 }
 * ```
 *
 * `node` (the replica) and `primary` default to what the nodes say they are now (exactly one
 * primary and one replica must be observed); name them in runbooks that change roles on the way.
 * Effect `db-await-lag` lets `lag-within-rpo` accept a later promotion of `node` (with
 * `maxSeconds` ≤ the RPO objective, or `maxBytes: 0`).
 * - isDone: one observation already within the bound.
 * - verify: the bound holds again within 5 s (under a running writer lag moves; what counts is
 *   that the replica keeps up, not one lucky sample).
 */
import { z } from 'zod';
import { awaitLag } from '../../database/await-lag.ts';
import type { NodeObservation } from '../../database/replication-adapter.ts';
import { replicaLag } from '../../database/replication-lag.ts';
import { StepError } from '../step-error.ts';
import type { StepContext, StepKind } from '../step-kind.ts';
import { stepService, type DbNodeService } from '../step-services.ts';
import { asStepError, dbNodeOf, messageOf } from './step-lookup.ts';

/** Params of `db.await-lag`: at least one of `maxBytes`, `maxSeconds`. */
export const dbAwaitLagParams = z
  .object({
    /** The replica whose lag is bounded (default: the one node observed as a replica). */
    node: z.string().min(1).optional(),
    /** Its primary (default: the one node observed as primary). */
    primary: z.string().min(1).optional(),
    /** Bound on lag in bytes (0 = fully caught up). */
    maxBytes: z.number().int().min(0).optional(),
    /** Bound on lag in seconds. With both bounds, both must hold. */
    maxSeconds: z.number().min(0).optional(),
    /** Bound on the wait, ms. */
    timeoutMs: z.number().int().min(100).max(86_400_000).default(60_000),
    /** Pause between observations, ms. */
    intervalMs: z.number().int().min(20).max(60_000).default(200),
  })
  .strict()
  .refine((p) => p.maxBytes !== undefined || p.maxSeconds !== undefined, {
    message: 'give maxBytes or maxSeconds (or both)',
    path: ['maxBytes'],
  });
/** Parsed params of `db.await-lag`. */
export type DbAwaitLagParams = z.output<typeof dbAwaitLagParams>;

function bound(p: DbAwaitLagParams): string {
  return [
    p.maxBytes !== undefined ? `≤ ${p.maxBytes} bytes` : '',
    p.maxSeconds !== undefined ? `≤ ${p.maxSeconds} s` : '',
  ]
    .filter(Boolean)
    .join(' and ');
}

/** The replica and primary: named, or found by observing every node now. */
async function pair(
  ctx: StepContext,
  p: DbAwaitLagParams,
): Promise<{ primary: DbNodeService; replica: DbNodeService }> {
  if (p.node !== undefined && p.primary !== undefined)
    return { primary: dbNodeOf(ctx, p.primary), replica: dbNodeOf(ctx, p.node) };
  const nodes = [...stepService(ctx, 'replication').items.values()];
  const seen = await Promise.all(
    nodes.map(async (n) => {
      try {
        return { n, role: (await n.adapter.observe(ctx.signal)).role as string, error: '' };
      } catch (e) {
        ctx.signal.throwIfAborted();
        return { n, role: 'unknown', error: messageOf(e) };
      }
    }),
  );
  const roles = seen.map((s) => `${s.n.config.name} ${s.role}${s.error ? ` (${s.error})` : ''}`).join(', ');
  const pick = (name: string | undefined, role: 'primary' | 'replica', other: string | undefined): DbNodeService => {
    if (name !== undefined) return dbNodeOf(ctx, name);
    const hits = seen.filter((s) => s.role === role && s.n.config.name !== other);
    if (hits.length === 1) return hits[0]!.n;
    const unknown = seen.some((s) => s.role === 'unknown');
    throw new StepError(
      unknown ? 'unreachable' : 'invalid-input',
      `cannot tell which node is the ${role}: ${hits.length} observed as ${role} (${roles || 'no nodes'})`,
      {
        hint: `name it in the step's params ("${role === 'replica' ? 'node' : 'primary'}")`,
        retryable: unknown,
      },
    );
  };
  const replica = pick(p.node, 'replica', p.primary);
  const primary = pick(p.primary, 'primary', replica.config.name);
  return { primary, replica };
}

/** One observation of both nodes: lag and whether it is within the bound. */
async function once(
  ctx: StepContext,
  p: DbAwaitLagParams,
  primary: DbNodeService,
  replica: DbNodeService,
): Promise<{ within: boolean; text: string }> {
  let po: NodeObservation;
  let ro: NodeObservation;
  try {
    [po, ro] = await Promise.all([primary.adapter.observe(ctx.signal), replica.adapter.observe(ctx.signal)]);
  } catch (e) {
    ctx.signal.throwIfAborted();
    return { within: false, text: `lag not observed: ${messageOf(e)}` };
  }
  if (po.role !== 'primary') return { within: false, text: `${primary.config.name} is not a primary (in recovery)` };
  if (ro.role !== 'replica') return { within: false, text: `${replica.config.name} is not a replica` };
  const lag = replicaLag({ primaryLsn: po.currentLsn, replica: ro });
  const okBytes = p.maxBytes === undefined || (lag.lagBytes !== null && lag.lagBytes <= p.maxBytes);
  const okSeconds = p.maxSeconds === undefined || (lag.lagSeconds !== null && lag.lagSeconds <= p.maxSeconds);
  return {
    within: okBytes && okSeconds,
    text: `${replica.config.name} lag ${lag.lagBytes ?? 'unknown'} bytes / ${lag.lagSeconds ?? 'unknown'} s behind ${primary.config.name} (bound ${bound(p)})${lag.note ? `; ${lag.note}` : ''}`,
  };
}

/** `db.await-lag` (see the file comment). */
export const dbAwaitLagKind: StepKind<DbAwaitLagParams> = {
  kind: 'db.await-lag',
  params: dbAwaitLagParams,
  // Bounded by its own timeoutMs (≤ 1 day): the engine's bound only backs it up.
  defaultTimeoutMs: 86_460_000,
  references: (p) => [
    ...(p.node !== undefined ? [{ kind: 'node' as const, name: p.node, path: ['node'] }] : []),
    ...(p.primary !== undefined ? [{ kind: 'node' as const, name: p.primary, path: ['primary'] }] : []),
  ],
  describe: (p) =>
    `Wait until ${p.node ?? 'the replica'}'s replication lag is ${bound(p)} (≤ ${Math.round(p.timeoutMs / 1000)} s)`,

  async plan(ctx, p) {
    const { primary, replica } = await pair(ctx, p);
    const now = await once(ctx, p, primary, replica);
    return {
      changes: [],
      commands: [
        `observe ${primary.config.name} (pg_current_wal_lsn()) and ${replica.config.name} (pg_last_wal_replay_lsn(), pg_last_xact_replay_timestamp()) every ${p.intervalMs} ms until lag is ${bound(p)}, for at most ${p.timeoutMs} ms`,
      ],
      alreadyDone: now.within,
      notes: [`now: ${now.text}`],
      effects: [
        {
          type: 'db-await-lag',
          node: replica.config.name,
          maxLagSeconds: p.maxSeconds ?? null,
          maxLagBytes: p.maxBytes ?? null,
        },
      ],
    };
  },

  async isDone(ctx, p) {
    const { primary, replica } = await pair(ctx, p);
    const now = await once(ctx, p, primary, replica);
    return { done: now.within, evidence: now.text };
  },

  async act(ctx, p, progress) {
    const { primary, replica } = await pair(ctx, p);
    try {
      const r = await awaitLag({
        primary: primary.adapter,
        replica: replica.adapter,
        ...(p.maxBytes !== undefined ? { maxBytes: p.maxBytes } : {}),
        ...(p.maxSeconds !== undefined ? { maxSeconds: p.maxSeconds } : {}),
        timeoutMs: p.timeoutMs,
        intervalMs: p.intervalMs,
        signal: ctx.signal,
        names: { primary: primary.config.name, replica: replica.config.name },
        onProgress: (x) =>
          progress({
            message: `${replica.config.name} lag ${x.lagBytes ?? 'unknown'} bytes / ${x.lagSeconds ?? 'unknown'} s (bound ${bound(p)})${x.note ? `; ${x.note}` : ''}`,
            ...(x.lagBytes !== null ? { value: x.lagBytes, unit: 'bytes' } : {}),
            fraction: Math.min(1, x.elapsedMs / p.timeoutMs),
          }),
      });
      ctx.log.info(r.summary);
    } catch (e) {
      throw asStepError(e);
    }
  },

  async verify(ctx, p) {
    const { primary, replica } = await pair(ctx, p);
    try {
      const r = await awaitLag({
        primary: primary.adapter,
        replica: replica.adapter,
        ...(p.maxBytes !== undefined ? { maxBytes: p.maxBytes } : {}),
        ...(p.maxSeconds !== undefined ? { maxSeconds: p.maxSeconds } : {}),
        timeoutMs: Math.min(5000, p.timeoutMs),
        intervalMs: p.intervalMs,
        signal: ctx.signal,
        names: { primary: primary.config.name, replica: replica.config.name },
      });
      return { ok: true, evidence: r.summary };
    } catch (e) {
      ctx.signal.throwIfAborted();
      return { ok: false, evidence: messageOf(e) };
    }
  },
};
