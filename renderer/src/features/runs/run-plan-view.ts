/**
 * Derivations for the plan view: how one change reads (before → after, grouped by provider for
 * DNS) and the markers of a step (already done, approval, rollback, retries).
 */
import type { PlannedStep } from '../../../../shared/runs/run-plan.ts';
import type { StepChange } from '../../../../shared/runs/step-plan.ts';

export interface ChangeRow {
  /** `powerdns` for `powerdns: app.lab.test A`; null when the target names no scope. */
  scope: string | null;
  /** `app.lab.test A`, `pg-replica role`, … */
  subject: string;
  before: string;
  after: string;
  /** How the cells read: absent (null), unknown (unreadable), or a value. */
  beforeKind: 'value' | 'absent' | 'unknown';
  afterKind: 'value' | 'absent' | 'unknown';
  /** before equals after: nothing changes for this target. */
  unchanged: boolean;
}

const cell = (v: string | null): { text: string; kind: ChangeRow['beforeKind'] } =>
  v === null
    ? { text: 'absent', kind: 'absent' }
    : v === 'unknown'
      ? { text: 'unknown', kind: 'unknown' }
      : { text: v, kind: 'value' };

/** One diff row: `provider: record TYPE` targets split into scope and subject. */
export function changeRow(c: StepChange): ChangeRow {
  const m = /^([A-Za-z0-9_.-]+): (.+)$/.exec(c.target);
  const b = cell(c.before);
  const a = cell(c.after);
  return {
    scope: m ? m[1]! : null,
    subject: m ? m[2]! : c.target,
    before: b.text,
    after: a.text,
    beforeKind: b.kind,
    afterKind: a.kind,
    unchanged: c.before === c.after && c.before !== 'unknown',
  };
}

export type StepMarker =
  | { kind: 'already-done'; text: string }
  | { kind: 'approval'; text: string }
  | { kind: 'rollback'; text: string }
  | { kind: 'no-rollback'; text: string }
  | { kind: 'retry'; text: string }
  | { kind: 'continue-on-error'; text: string }
  | { kind: 'plan-error'; text: string };

/** The markers shown on a planned step, most important first. */
export function stepMarkers(s: PlannedStep): StepMarker[] {
  const out: StepMarker[] = [];
  if (s.planError) out.push({ kind: 'plan-error', text: 'plan failed' });
  if (s.plan?.alreadyDone) out.push({ kind: 'already-done', text: 'already done — will be skipped' });
  if (s.requiresApproval) out.push({ kind: 'approval', text: 'pauses for approval' });
  if (s.rollback) out.push({ kind: 'rollback', text: `rollback: ${s.rollback.kind}` });
  else if ((s.plan?.changes.length ?? 0) > 0) out.push({ kind: 'no-rollback', text: 'no rollback' });
  if (s.retry.attempts > 1) out.push({ kind: 'retry', text: `${s.retry.attempts} attempts` });
  if (s.continueOnError) out.push({ kind: 'continue-on-error', text: 'continues on error' });
  return out;
}
