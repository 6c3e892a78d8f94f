/**
 * A runbook file (YAML, reviewable in git) as a zod schema. Strict like the workspace: an
 * unknown field is an error. Step `params` are checked here only as "a map": each step kind
 * validates its own params (see load-runbook.ts), so errors still point into the file.
 *
 * ```yaml
 * version: 1
 * name: failover
 * description: Primary site down — fence, promote, point DNS at the failover site
 * kind: failover
 * onFailure: pause            # or rollback: run the rollbacks when a step fails for good
 * steps:
 *   - id: promote
 *     kind: db.promote
 *     params: { node: pg-replica }
 *     timeoutMs: 30000
 *     retry: { attempts: 3, backoffMs: 500 }
 *     rollback: { kind: db.fence, params: { node: pg-replica } }
 * ```
 */
import { z } from 'zod';

/** Runbook purposes (shown in the UI and used to pick defaults). */
export const runbookKinds = ['failover', 'switchover', 'blue-green', 'failback', 'custom'] as const;

const id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_.-]*$/, 'use lowercase letters, digits, "_", "." or "-"');
const params = z.record(z.string(), z.unknown()).default({});

/** `retry:` of a step: total attempts and the first backoff. */
export const StepRetrySchema = z
  .object({
    /** Total tries of the act (1 = no retry). */
    attempts: z.number().int().min(1).max(20),
    /** First wait between tries, ms; doubles per retry with jitter, capped at 30 s. */
    backoffMs: z.number().int().min(0).max(600_000),
  })
  .strict();

/** `rollback:` of a step: a step kind and its params, run by rollbackRun after an abort or failure. */
export const StepRollbackSchema = z
  .object({
    /** A registered step kind that undoes this step. */
    kind: z.string().min(1),
    params,
  })
  .strict();

/** One step: `params` is validated by the kind's own schema at load time. */
export const RunbookStepSchema = z
  .object({
    /** Unique within the runbook; the journal and the UI name the step by it. */
    id,
    /** A registered step kind, e.g. `dns.set-records`. */
    kind: z.string().min(1),
    title: z.string().min(1).max(200).optional(),
    params,
    /** Bound on each act attempt and on the verify, ms (default: the kind's, else 120,000). */
    timeoutMs: z.number().int().min(100).max(86_400_000).optional(),
    retry: StepRetrySchema.optional(),
    rollback: StepRollbackSchema.optional(),
    /** Keep going when this step fails (the run then cannot end `succeeded`). */
    continueOnError: z.boolean().default(false),
  })
  .strict();

/** A whole runbook file. */
export const RunbookSchema = z
  .object({
    version: z.literal(1),
    name: id,
    description: z.string().default(''),
    kind: z.enum(runbookKinds),
    /** What a step that fails for good does: pause (resumable, default) or run the rollbacks. */
    onFailure: z.enum(['pause', 'rollback']).default('pause'),
    steps: z.array(RunbookStepSchema).min(1),
  })
  .strict();

/** A validated runbook (step params already parsed by their kinds). */
export type Runbook = z.infer<typeof RunbookSchema>;
/** One validated step. */
export type RunbookStep = z.infer<typeof RunbookStepSchema>;
/** One of {@link runbookKinds}. */
export type RunbookKind = (typeof runbookKinds)[number];
