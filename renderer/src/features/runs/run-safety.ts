/**
 * Safety verdicts in the plan view and the rules that gate the Run button: which refusals an
 * operator may override (with a typed reason), which overrides the page will send, and whether
 * the typed confirmation and everything else allow running.
 *
 * Mirrors the engine's `applyOverrides` (electron/core/runbooks/safety-rules.ts): an override
 * `{ rule, reason, stepId? }` lifts every non-`pass` verdict of that rule (of that step when
 * `stepId` is set) that is `overridable`; a non-overridable verdict can only be fixed at its cause.
 */
import type { LockInfo } from '../../../../shared/runs/run-summary.ts';
import type { RuleSummary, RunPlan } from '../../../../shared/runs/run-plan.ts';
import type { SafetyOverride, SafetyRuleName, SafetyVerdict } from '../../../../shared/runs/safety-verdict.ts';
import type { Badge } from '../../ui/state-badge.ts';

/** Minimum override reason, characters after trimming (the contract's SafetyOverrideSchema). */
export const minOverrideReasonChars = 10;

/** Default `planMaxAgeMs` of the engine: an older plan is refused by executeRun. */
export const planMaxAgeMs = 600_000;

/** Human names of the rules (the rule id stays visible beside it, as the audit log uses it). */
export const ruleTitles: Record<SafetyRuleName, string> = {
  'record-points-at-healthy-site': 'Every record keeps pointing at a healthy site',
  'last-healthy-slot': 'The last healthy slot is never drained',
  'fence-before-promote': 'Never two writable primaries (fence before promote)',
  'lag-within-rpo': 'Replication lag within the RPO before promotion',
  'target-healthy-before-traffic': 'The target site is healthy before traffic moves',
  'dns-provider-ready': 'Every DNS provider the run writes answers an authenticated read',
  'nameservers-answer': 'Every nameserver the run verifies answers',
  'hosts-reachable': 'Every database node a later step needs is reachable',
  'plan-computed': 'Every step’s plan could be computed',
};

/** Badge of a verdict; an overridden refusal reads `overridden` (warn), never pass-green. */
export function verdictBadge(verdict: RuleSummary['verdict'] | SafetyVerdict['verdict'], overridden = false): Badge {
  if (overridden && verdict !== 'pass' && verdict !== 'not-applicable')
    return { tone: 'warn', icon: 'warn', label: 'overridden' };
  switch (verdict) {
    case 'pass':
      return { tone: 'ok', icon: 'check', label: 'pass' };
    case 'refuse':
      return { tone: 'bad', icon: 'cross', label: 'refuse' };
    case 'unknown':
      return { tone: 'unknown', icon: 'question', label: 'unknown' };
    case 'not-applicable':
      return { tone: 'neutral', icon: 'dot', label: 'not applicable' };
    default:
      return { tone: 'unknown', icon: 'question', label: String(verdict) };
  }
}

/** The override reason draft of each rule the operator opened ("override…"). */
export type OverrideDrafts = Partial<Record<SafetyRuleName, string>>;

/** True when the reason is long enough to be sent. */
export const reasonValid = (reason: string | undefined): boolean =>
  (reason ?? '').trim().length >= minOverrideReasonChars;

/** The overrides to send: one per drafted rule with a valid reason that has an overridable blocking verdict. */
export function overridesToSend(blocking: readonly SafetyVerdict[], drafts: OverrideDrafts): SafetyOverride[] {
  const out: SafetyOverride[] = [];
  for (const [rule, reason] of Object.entries(drafts) as [SafetyRuleName, string | undefined][]) {
    if (!reasonValid(reason)) continue;
    if (!blocking.some((v) => v.rule === rule && v.overridable && v.verdict !== 'pass')) continue;
    out.push({ rule, reason: reason!.trim() });
  }
  return out;
}

/** Split the blocking verdicts like the engine would with these overrides. */
export function applyOverrides(
  blocking: readonly SafetyVerdict[],
  overrides: readonly SafetyOverride[],
): { unresolved: SafetyVerdict[]; overridden: SafetyVerdict[]; notOverridable: SafetyVerdict[] } {
  const unresolved: SafetyVerdict[] = [];
  const overridden: SafetyVerdict[] = [];
  const notOverridable: SafetyVerdict[] = [];
  for (const v of blocking) {
    if (v.verdict === 'pass') continue;
    if (!v.overridable) {
      notOverridable.push(v);
      unresolved.push(v);
      continue;
    }
    const o = overrides.find((x) => x.rule === v.rule && (x.stepId === undefined || x.stepId === v.stepId));
    if (o) overridden.push(v);
    else unresolved.push(v);
  }
  return { unresolved, overridden, notOverridable };
}

/** One line of the safety rules panel. */
export interface RuleView {
  rule: SafetyRuleName;
  title: string;
  verdict: RuleSummary['verdict'];
  badge: Badge;
  evidence: string[];
  /** Blocking verdicts of this rule (non-pass), with their steps. */
  blocking: SafetyVerdict[];
  /** Every blocking verdict of this rule may be overridden. */
  overridable: boolean;
  /** A valid override currently lifts every blocking verdict of this rule. */
  overridden: boolean;
}

/** The rules panel: one line per rule, blocking ones first, in the contract's order otherwise. */
export function ruleViews(
  rules: readonly RuleSummary[],
  blocking: readonly SafetyVerdict[],
  overrides: readonly SafetyOverride[],
): RuleView[] {
  const rank = { refuse: 0, unknown: 1, pass: 2, 'not-applicable': 3 } as const;
  return rules
    .map((r, i): RuleView & { i: number } => {
      const mine = blocking.filter((v) => v.rule === r.rule && v.verdict !== 'pass');
      const overridable = mine.length > 0 && mine.every((v) => v.overridable);
      const overridden = overridable && applyOverrides(mine, overrides).unresolved.length === 0;
      return {
        i,
        rule: r.rule,
        title: ruleTitles[r.rule] ?? r.rule,
        verdict: r.verdict,
        badge: verdictBadge(r.verdict, overridden),
        evidence: r.evidence,
        blocking: mine,
        overridable,
        overridden,
      };
    })
    .sort((a, b) => rank[a.verdict] - rank[b.verdict] || a.i - b.i)
    .map(({ i: _i, ...v }) => v);
}

/** Inputs of the Run button's gate. */
export interface ConfirmInput {
  plan: RunPlan;
  /** What the operator typed. */
  typed: string;
  overrides: readonly SafetyOverride[];
  lock: LockInfo | null;
  /** A run call is in flight. */
  busy: boolean;
  /** Page clock and the plan's age reference. */
  now: number;
  /** Page clock when the plan arrived (the plan's own `createdAt` is the host's clock). */
  planReceivedAt: number;
}

export interface ConfirmGate {
  enabled: boolean;
  /** Why it is disabled, each as one sentence (empty when enabled). */
  blockers: string[];
  /** Confirmation typed exactly. */
  typedMatches: boolean;
}

/**
 * Whether Run may be pressed: the environment's name typed **exactly** (case and spaces count),
 * no blocking verdict left without an override (non-overridable ones block for good), the
 * environment not locked by another run, the plan not too old, no call in flight.
 */
export function confirmGate(i: ConfirmInput): ConfirmGate {
  const blockers: string[] = [];
  const typedMatches = i.typed === i.plan.env;
  const { unresolved, notOverridable } = applyOverrides(i.plan.blocking, i.overrides);
  if (notOverridable.length > 0) {
    const rules = [...new Set(notOverridable.map((v) => v.rule))];
    blockers.push(`Refused by ${rules.join(', ')} — cannot be overridden; fix the cause and plan again.`);
  }
  const needOverride = unresolved.filter((v) => v.overridable);
  if (needOverride.length > 0) {
    const rules = [...new Set(needOverride.map((v) => v.rule))];
    blockers.push(
      `${rules.join(', ')} ${rules.length === 1 ? 'needs' : 'need'} an override with a reason (≥ ${minOverrideReasonChars} characters).`,
    );
  }
  if (i.lock?.held)
    blockers.push(
      `Environment ${i.plan.env} is locked by run ${shortId(i.lock.runId)}${i.lock.stale ? ' (stale)' : ''}.`,
    );
  if (i.now - i.planReceivedAt > planMaxAgeMs)
    blockers.push('The plan is older than 10 min — live state may have moved on; plan again.');
  if (!typedMatches) blockers.push(`Type ${i.plan.env} exactly to confirm.`);
  if (i.busy) blockers.push('A run call is in progress.');
  return { enabled: blockers.length === 0, blockers, typedMatches };
}

/** First 8 characters of a run id (UUID), as shown in lists; `—` for null. */
export const shortId = (id: string | null): string => (id === null ? '—' : id.slice(0, 8));
