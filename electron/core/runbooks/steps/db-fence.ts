/**
 * Step `db.fence`: make a database node unable to accept writes, and prove it.
 *
 * ```yaml
 * - id: fence
 *   kind: db.fence
 *   params: { node: pg-primary, mode: hard }
 * ```
 *
 * - `hard` (default): `pg_ctl -m fast stop` over the site's SSH host; verified when the port
 *   refuses and `pg_ctl status` says not running. `soft`: `ALTER SYSTEM SET
 *   default_transaction_read_only = on`, reload, end client sessions; verified when a write is
 *   refused (a client can still turn it off: prefer hard).
 * - plan: the node's write state now (`writable` / `down` / `read-only` / `in-recovery` /
 *   `unknown`), the exact commands, effect `db-fence` (fence-before-promote counts it; when the
 *   node cannot be asked now — its site is down — the effect says so in `unverifiable`, and the
 *   rule asks for a break-glass override at plan time instead of failing half-way).
 * - isDone / verify: hard → the node is down; soft → it refuses writes or is down
 *   (database/adapters/postgresql-control.ts `verifyFencedPg`). A node that cannot be asked
 *   (SSH down) is never "fenced": unknown is not green.
 * No rollback: un-fencing a node that may have lost its role is a decision for a person (rejoin).
 */
import { z } from 'zod';
import type { FenceCheck, ReplicationAdapter } from '../../database/replication-adapter.ts';
import { StepError } from '../step-error.ts';
import type { StepKind } from '../step-kind.ts';
import type { DbNodeService } from '../step-services.ts';
import { asStepError, dbNodeOf, messageOf } from './step-lookup.ts';

/** Params of `db.fence`. */
export const dbFenceParams = z
  .object({
    /** Database node (`databases[].name`) to fence. */
    node: z.string().min(1),
    mode: z.enum(['hard', 'soft']).default('hard'),
  })
  .strict();
/** Parsed params of `db.fence`. */
export type DbFenceParams = z.output<typeof dbFenceParams>;

function fenced(check: FenceCheck, mode: 'hard' | 'soft'): boolean {
  return mode === 'hard' ? check.state === 'down' : check.fenced;
}

function capable(n: DbNodeService): Required<Pick<ReplicationAdapter, 'fence' | 'verifyFenced'>> {
  const a = n.adapter;
  if (!a.capabilities.fence || !a.fence || !a.verifyFenced)
    throw new StepError('unsupported', `the ${a.engine} adapter of ${n.config.name} cannot fence`, {
      where: n.config.name,
    });
  return { fence: a.fence.bind(a), verifyFenced: a.verifyFenced.bind(a) };
}

/** `db.fence` (see the file comment). */
export const dbFenceKind: StepKind<DbFenceParams> = {
  kind: 'db.fence',
  params: dbFenceParams,
  defaultTimeoutMs: 120_000,
  references: (p) => [{ kind: 'node', name: p.node, path: ['node'] }],
  describe: (p) =>
    `Fence ${p.node} (${p.mode === 'hard' ? 'stop the server' : 'read-only'}) so it cannot accept writes`,

  async plan(ctx, p) {
    const n = dbNodeOf(ctx, p.node);
    const c = capable(n);
    let commands: string[];
    try {
      commands = n
        .planCommands({ kind: 'fence', mode: p.mode })
        .map((x) => `${x.kind === 'sql' ? 'SQL' : 'ssh'} ${x.target}: ${x.text}${x.outcome ? `  # ${x.outcome}` : ''}`);
    } catch (e) {
      throw new StepError('invalid-input', `cannot fence ${p.node} ${p.mode}: ${messageOf(e)}`, { where: p.node });
    }
    const notes: string[] = [];
    let before = 'unknown';
    let done = false;
    let unverifiable: string | undefined;
    try {
      const check = await c.verifyFenced(ctx.signal);
      before = check.state;
      done = fenced(check, p.mode);
      notes.push(`now: ${check.evidence}`);
    } catch (e) {
      ctx.signal.throwIfAborted();
      unverifiable = `cannot ask ${p.node} now (${messageOf(e)})`;
      notes.push(`${unverifiable}: the fence cannot be verified until it can`);
    }
    if (p.mode === 'soft') notes.push('soft fence: a client can still SET default_transaction_read_only = off');
    return {
      changes: [{ target: `${p.node} writes`, before, after: p.mode === 'hard' ? 'down' : 'read-only' }],
      commands,
      alreadyDone: done,
      notes,
      effects: [{ type: 'db-fence', node: p.node, ...(unverifiable ? { unverifiable } : {}) }],
    };
  },

  async isDone(ctx, p) {
    const check = await capable(dbNodeOf(ctx, p.node))
      .verifyFenced(ctx.signal)
      .catch((e: unknown) => {
        throw asStepError(e);
      });
    return { done: fenced(check, p.mode), evidence: `${p.node}: ${check.state}: ${check.evidence}` };
  },

  async act(ctx, p, progress) {
    const n = dbNodeOf(ctx, p.node);
    progress({
      message: p.mode === 'hard' ? `stopping ${p.node} (pg_ctl fast shutdown)` : `making ${p.node} read-only`,
    });
    try {
      const r = await capable(n).fence(p.mode, ctx.signal);
      for (const c of r.commands)
        ctx.log.info(
          `${c.kind} ${c.target}: ${c.text} → ${c.outcome ?? 'ok'}${c.durationMs !== undefined ? ` (${c.durationMs} ms)` : ''}`,
        );
      ctx.log.info(r.summary);
      if (!r.verified)
        throw new StepError('internal', `${p.node} was not verified fenced: ${r.evidence}`, {
          where: p.node,
          retryable: false,
        });
    } catch (e) {
      throw asStepError(e, p.node);
    }
  },

  async verify(ctx, p) {
    const check = await capable(dbNodeOf(ctx, p.node))
      .verifyFenced(ctx.signal)
      .catch((e: unknown) => {
        throw asStepError(e);
      });
    return { ok: fenced(check, p.mode), evidence: `${p.node}: ${check.state}: ${check.evidence}` };
  },
};
