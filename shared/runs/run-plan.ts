/**
 * The plan of a run, as the operator confirms it: per step what it will change (from live
 * state), the exact commands, and each safety rule's verdict. Plain JSON data (stored in the
 * journal, sent to the UI); no Node imports, so it can move to shared/ with the run contract.
 */
import type { OpError } from '../result.ts';
import type { Runbook } from './runbook-schema.ts';
import type { SafetyRuleName, SafetyVerdict } from './safety-verdict.ts';
import type { StepPlan } from './step-plan.ts';

/** One step of the plan. */
export interface PlannedStep {
  index: number;
  id: string;
  kind: string;
  /** The runbook's title, else the kind's `describe(params)`. */
  title: string;
  /** The kind's `describe(params)`. */
  description: string;
  params: Record<string, unknown>;
  /** null when the kind's `plan` failed (see `planError`; the step is then judged `unknown`). */
  plan: StepPlan | null;
  planError: OpError | null;
  /** This step's safety verdicts (all rules that apply to its effects). */
  verdicts: SafetyVerdict[];
  /** Bound on each act attempt and on the verify, ms. */
  timeoutMs: number;
  retry: { attempts: number; backoffMs: number };
  continueOnError: boolean;
  /** The run pauses here until someone approves. */
  requiresApproval: boolean;
  /** What undoes this step on abort/failure (null = nothing; it will not be offered). */
  rollback: { kind: string; description: string } | null;
}

/** Worst verdict of one rule over all steps (`not-applicable` when no step has a matching effect). */
export interface RuleSummary {
  rule: SafetyRuleName;
  verdict: 'pass' | 'refuse' | 'unknown' | 'not-applicable';
  /** Evidence of the verdicts that made it (the non-passing ones first). */
  evidence: string[];
}

/** A plan for one runbook on one environment. */
export interface RunPlan {
  /** Identifies the plan inside the engine that made it; executeRun runs the engine's own copy. */
  planId: string;
  env: string;
  runbook: Runbook;
  /** When it was computed, epoch ms. */
  createdAt: number;
  /** `generatedAt` of the snapshot the rules judged, epoch ms. */
  snapshotAt: number;
  steps: PlannedStep[];
  /** Every verdict of every step. */
  verdicts: SafetyVerdict[];
  /** One line per rule for the plan view. */
  rules: RuleSummary[];
  /** Verdicts that are not `pass` (execution needs an override for each, where overridable). */
  blocking: SafetyVerdict[];
}
