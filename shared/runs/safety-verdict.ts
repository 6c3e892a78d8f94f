/**
 * Safety verdicts and operator overrides: what the plan view shows per rule and what an
 * override must carry. The rules themselves live in electron/core/runbooks/safety-rules.ts.
 */
import { z } from 'zod';

/** Names of the safety rules, evaluated on the plan and again before every step. */
export const safetyRuleNames = [
  'record-points-at-healthy-site',
  'last-healthy-slot',
  'fence-before-promote',
  'lag-within-rpo',
  'target-healthy-before-traffic',
  /** Readiness (preflight, electron/core/runbooks/readiness-rules.ts): judged in the plan and before the first irreversible step. */
  'dns-provider-ready',
  'nameservers-answer',
  'hosts-reachable',
  /** Not a rule of the issue: a step whose plan could not be computed (verdict `unknown`). */
  'plan-computed',
] as const;
/** One of {@link safetyRuleNames}. */
export type SafetyRuleName = (typeof safetyRuleNames)[number];

/** One rule's judgement of one step. */
export const SafetyVerdictSchema = z.object({
  rule: z.enum(safetyRuleNames),
  stepId: z.string(),
  verdict: z.enum(['pass', 'refuse', 'unknown']),
  /** The observed facts behind the verdict, with names and numbers. */
  evidence: z.string(),
  /** Whether an override with a reason may lift this verdict (always false for `pass`). */
  overridable: z.boolean(),
});
/** One rule's judgement of one step: `{ rule, stepId, verdict, evidence, overridable }`. */
export type SafetyVerdict = z.infer<typeof SafetyVerdictSchema>;

/** An operator's typed override. `stepId` narrows it to one step (default: every step). */
export const SafetyOverrideSchema = z
  .object({
    rule: z.enum(safetyRuleNames),
    /** Why it is safe anyway; recorded in the audit log. */
    reason: z
      .string()
      .trim()
      .min(10, 'give a reason of at least 10 characters')
      .max(500, 'keep the reason within 500 characters'),
    stepId: z.string().min(1).optional(),
  })
  .strict();
/** A validated override: `{ rule, reason (trimmed, ≥ 10 chars), stepId? }`. */
export type SafetyOverride = z.infer<typeof SafetyOverrideSchema>;
