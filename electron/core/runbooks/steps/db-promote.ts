/**
 * Step `db.promote`: turn a replica into the writable primary (`pg_promote`), and prove it is
 * out of recovery and accepts a write.
 *
 * ```yaml
 * - id: promote
 *   kind: db.promote
 *   params: { node: pg-replica, waitSeconds: 30 }
 * ```
 *
 * - plan: the node's role now, the exact SQL, effect `db-promote`: the safety rules judge it —
 *   `fence-before-promote` (every other node that is or may be primary is fenced by an earlier
 *   verified step) and `lag-within-rpo` (lag within the RPO objective, or an earlier db.await-lag
 *   within it followed by a fence) — in the plan and again right before it acts.
 * - isDone / verify: `pg_is_in_recovery()` is false AND a write commits (an upsert into
 *   `standby_fence_check`). A read-only primary is not "promoted".
 * No rollback: a promoted node cannot be demoted in place; use db.fence + db.rejoin.
 */
import { z } from 'zod';
import type { ReplicationAdapter } from '../../database/replication-adapter.ts';
import { StepError } from '../step-error.ts';
import type { StepKind } from '../step-kind.ts';
import type { DbNodeService } from '../step-services.ts';
import { asStepError, dbNodeOf, messageOf } from './step-lookup.ts';

/** Params of `db.promote`. */
export const dbPromoteParams = z
  .object({
    /** Database node (`databases[].name`) to promote. */
    node: z.string().min(1),
    /** `pg_promote(wait_seconds => …)`: how long the server may take to leave recovery, s. */
    waitSeconds: z.number().int().min(1).max(3600).default(30),
  })
  .strict();
/** Parsed params of `db.promote`. */
export type DbPromoteParams = z.output<typeof dbPromoteParams>;

function capable(n: DbNodeService): Required<Pick<ReplicationAdapter, 'promote' | 'verifyPromoted'>> {
  const a = n.adapter;
  if (!a.capabilities.promote || !a.promote || !a.verifyPromoted)
    throw new StepError('unsupported', `the ${a.engine} adapter of ${n.config.name} cannot promote`, {
      where: n.config.name,
    });
  return { promote: a.promote.bind(a), verifyPromoted: a.verifyPromoted.bind(a) };
}

/** `db.promote` (see the file comment). */
export const dbPromoteKind: StepKind<DbPromoteParams> = {
  kind: 'db.promote',
  params: dbPromoteParams,
  defaultTimeoutMs: 120_000,
  references: (p) => [{ kind: 'node', name: p.node, path: ['node'] }],
  describe: (p) => `Promote ${p.node} to primary (pg_promote) and check that it accepts a write`,

  async plan(ctx, p) {
    const n = dbNodeOf(ctx, p.node);
    capable(n);
    const commands = n
      .planCommands({ kind: 'promote', waitSeconds: p.waitSeconds })
      .map((x) => `SQL ${x.target}: ${x.text}${x.outcome ? `  # ${x.outcome}` : ''}`);
    const notes: string[] = [];
    let before = 'unknown';
    try {
      before = (await n.adapter.observe(ctx.signal)).role;
    } catch (e) {
      ctx.signal.throwIfAborted();
      notes.push(`cannot observe ${p.node} now: ${messageOf(e)}`);
    }
    if (before === 'primary')
      notes.push(`${p.node} is already out of recovery: the step only checks that it accepts a write`);
    return {
      changes: [{ target: `${p.node} role`, before, after: 'primary' }],
      commands,
      alreadyDone: before === 'primary',
      notes,
      effects: [{ type: 'db-promote', node: p.node }],
    };
  },

  async isDone(ctx, p) {
    const v = await capable(dbNodeOf(ctx, p.node))
      .verifyPromoted(ctx.signal)
      .catch((e: unknown) => {
        throw asStepError(e);
      });
    return { done: v.promoted, evidence: `${p.node}: ${v.evidence}` };
  },

  async act(ctx, p, progress) {
    const n = dbNodeOf(ctx, p.node);
    progress({ message: `pg_promote on ${p.node} (waits up to ${p.waitSeconds} s)` });
    try {
      const r = await capable(n).promote({ waitSeconds: p.waitSeconds, signal: ctx.signal });
      for (const c of r.commands)
        ctx.log.info(
          `${c.kind} ${c.target}: ${c.text} → ${c.outcome ?? 'ok'}${c.durationMs !== undefined ? ` (${c.durationMs} ms)` : ''}`,
        );
      ctx.log.info(`${r.summary} (out of recovery after ${r.promoteMs} ms)`);
      if (!r.verified)
        throw new StepError('conflict', `${p.node} did not pass the promotion read-back: ${r.evidence}`, {
          where: p.node,
        });
    } catch (e) {
      throw asStepError(e, p.node);
    }
  },

  async verify(ctx, p) {
    const v = await capable(dbNodeOf(ctx, p.node))
      .verifyPromoted(ctx.signal)
      .catch((e: unknown) => {
        throw asStepError(e);
      });
    return { ok: v.promoted, evidence: `${p.node}: ${v.evidence}` };
  },
};
