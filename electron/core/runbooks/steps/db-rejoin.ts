/**
 * Step `db.rejoin`: rebuild an old (fenced) primary as a streaming replica of the new one —
 * `pg_rewind`, or a fresh base backup when rewinding is impossible — and prove it streams.
 *
 * ```yaml
 * - id: rejoin
 *   kind: db.rejoin
 *   params: { node: pg-primary, source: pg-replica }
 * ```
 *
 * - plan: the node's role now and the exact commands (the pg_rewind path and the base-backup
 *   fallback, marked as such). A node still running as a primary is refused when the step acts
 *   (fence it first); the plan only notes it, since an earlier step of the runbook may fence it.
 * - isDone / verify: the node is in recovery and its WAL receiver streams from `source`.
 * No rollback: the replaced state was a fenced, diverged primary.
 */
import { z } from 'zod';
import type { ReplicationAdapter } from '../../database/replication-adapter.ts';
import { StepError } from '../step-error.ts';
import type { StepContext, StepKind } from '../step-kind.ts';
import type { DbNodeService } from '../step-services.ts';
import { asStepError, dbNodeOf, messageOf } from './step-lookup.ts';

/** Params of `db.rejoin`. */
export const dbRejoinParams = z
  .object({
    /** Node to rebuild as a replica (`databases[].name`). */
    node: z.string().min(1),
    /** The primary it must stream from. */
    source: z.string().min(1),
    /** `auto`: pg_rewind, base backup only when rewinding is impossible; `base-backup`: skip pg_rewind. */
    method: z.enum(['auto', 'base-backup']).default('auto'),
    /** Bound on "started and streaming" after the rebuild, ms. */
    streamTimeoutMs: z.number().int().min(1000).max(600_000).default(30_000),
  })
  .strict()
  .refine((p) => p.node !== p.source, { message: 'node and source must differ', path: ['source'] });
/** Parsed params of `db.rejoin`. */
export type DbRejoinParams = z.output<typeof dbRejoinParams>;

function capable(n: DbNodeService): Required<Pick<ReplicationAdapter, 'rewind' | 'verifyStreaming'>> {
  const a = n.adapter;
  if (!a.capabilities.rewind || !a.rewind || !a.verifyStreaming) {
    throw new StepError('unsupported', `${n.config.name} cannot be rejoined by Standby`, {
      hint: `set databases[].dataDir (and pgBin) of ${n.config.name} and the SSH settings of its site`,
      where: n.config.name,
    });
  }
  return { rewind: a.rewind.bind(a), verifyStreaming: a.verifyStreaming.bind(a) };
}

async function streaming(ctx: StepContext, p: DbRejoinParams): Promise<{ streaming: boolean; evidence: string }> {
  const node = dbNodeOf(ctx, p.node);
  const source = dbNodeOf(ctx, p.source);
  try {
    const s = await capable(node).verifyStreaming(source.adapter, ctx.signal);
    return { streaming: s.streaming, evidence: `${p.node}: ${s.evidence}` };
  } catch (e) {
    ctx.signal.throwIfAborted();
    // Down (refused) is a normal state before a rejoin: not streaming, not an error.
    return { streaming: false, evidence: `${p.node} cannot be asked: ${messageOf(e)}` };
  }
}

/** `db.rejoin` (see the file comment). */
export const dbRejoinKind: StepKind<DbRejoinParams> = {
  kind: 'db.rejoin',
  params: dbRejoinParams,
  // pg_rewind is quick; a base backup copies the whole cluster.
  defaultTimeoutMs: 30 * 60_000,
  references: (p) => [
    { kind: 'node', name: p.node, path: ['node'] },
    { kind: 'node', name: p.source, path: ['source'] },
  ],
  describe: (p) =>
    `Rejoin ${p.node} as a replica of ${p.source} (${p.method === 'auto' ? 'pg_rewind, base backup if needed' : 'fresh base backup'})`,

  async plan(ctx, p) {
    const n = dbNodeOf(ctx, p.node);
    dbNodeOf(ctx, p.source);
    capable(n);
    let commands: string[];
    try {
      commands = n
        .planCommands({ kind: 'rewind', source: p.source, method: p.method })
        .map((x) => `${x.kind === 'sql' ? 'SQL' : 'ssh'} ${x.target}: ${x.text}${x.outcome ? `  # ${x.outcome}` : ''}`);
    } catch (e) {
      throw new StepError('invalid-input', `cannot rejoin ${p.node}: ${messageOf(e)}`, { where: p.node });
    }
    const notes: string[] = [];
    let before = 'unknown';
    try {
      before = (await n.adapter.observe(ctx.signal)).role;
    } catch (e) {
      ctx.signal.throwIfAborted();
      notes.push(
        `${p.node} cannot be observed now (${messageOf(e)}): a stopped node is the usual state before a rejoin`,
      );
    }
    if (before === 'primary')
      notes.push(`${p.node} runs as a primary now: the rejoin refuses it unless an earlier step fences it (hard)`);
    const s = await streaming(ctx, p);
    notes.push(`now: ${s.evidence}`);
    return {
      changes: [{ target: `${p.node} role`, before, after: `replica streaming from ${p.source}` }],
      commands,
      alreadyDone: s.streaming,
      notes,
      effects: [],
    };
  },

  async isDone(ctx, p) {
    const s = await streaming(ctx, p);
    return { done: s.streaming, evidence: s.evidence };
  },

  async act(ctx, p, progress) {
    const n = dbNodeOf(ctx, p.node);
    const source = dbNodeOf(ctx, p.source);
    try {
      const r = await capable(n).rewind({
        source: source.adapter,
        signal: ctx.signal,
        method: p.method,
        streamTimeoutMs: p.streamTimeoutMs,
        onProgress: (x) => progress({ message: `${x.phase}: ${x.message}` }),
      });
      for (const c of r.commands)
        ctx.log.info(
          `${c.kind} ${c.target}: ${c.text} → ${c.outcome ?? 'ok'}${c.durationMs !== undefined ? ` (${c.durationMs} ms)` : ''}`,
        );
      ctx.log.info(
        `${r.summary} (${Object.entries(r.phaseMs)
          .map(([k, v]) => `${k} ${v} ms`)
          .join(', ')})`,
      );
      if (r.keptDataDir)
        ctx.log.warn(
          `the replaced data directory of ${p.node} was kept at ${r.keptDataDir}: remove it once you no longer need it`,
        );
    } catch (e) {
      throw asStepError(e, p.node);
    }
  },

  async verify(ctx, p) {
    // The receiver may still be connecting right after a start: a few tries, ≤ 5 s.
    let s = await streaming(ctx, p);
    for (let i = 0; i < 25 && !s.streaming; i++) {
      await ctx.sleep(200);
      s = await streaming(ctx, p);
    }
    return { ok: s.streaming, evidence: s.evidence };
  },
};
