/**
 * Provider-neutral safety rules, evaluated on the whole plan and again, with fresh live state,
 * right before every step acts (issue 3 §2). Pure functions over a SafetyInput: the observed
 * EnvironmentSnapshot (shared/status.ts) + the steps' declared effects and journal states.
 *
 * Verdicts: `pass`, `refuse` (the rule is broken; the evidence says by what) or `unknown`
 * (the facts needed are unobserved — unknown is never green, so it blocks like a refusal).
 * An override `{ rule, reason }` (reason ≥ 10 characters, audited) lifts a verdict only when
 * it is `overridable`: every `unknown`, and the refusals of `fence-before-promote` and
 * `lag-within-rpo` (the issue's "forced with a typed reason"). A refusal of the other rules is
 * final: no reason justifies pointing traffic at a site or slot known to be down.
 *
 * Similar in spirit to Route 53 ARC's assertion rules and octoDNS's UnsafePlan.
 */

import type { EnvironmentSnapshot, SiteStatus } from '../../../shared/status.ts';
import type { StepEffect } from './step-plan.ts';

/** Rule names, as shown in refusals and given in overrides. */
export { safetyRuleNames, SafetyOverrideSchema } from '../../../shared/runs/safety-verdict.ts';
export type { SafetyRuleName, SafetyVerdict, SafetyOverride } from '../../../shared/runs/safety-verdict.ts';
import type { SafetyOverride, SafetyRuleName, SafetyVerdict } from '../../../shared/runs/safety-verdict.ts';

/** Journal state of a step as the rules see it (`planned` = not started, will run). */
export type SafetyStepState =
  'planned' | 'pending' | 'awaiting-approval' | 'acting' | 'verifying' | 'verified' | 'failed' | 'skipped';

/** A runbook step as the rules see it: its declared effects and where it stands. */
export interface SafetyStep {
  id: string;
  effects: StepEffect[];
  state: SafetyStepState;
  /** When the step finished (verified or skipped), epoch ms; absent when it has not. */
  finishedAt?: number;
}

/**
 * What the rules judge.
 * - `judge: 'plan'`: every step, assuming earlier steps will complete (a fence planned before a
 *   promote satisfies fence-before-promote; it is checked for real before the promote acts);
 * - `judge: { stepId }`: that step only, about to act; earlier steps count only when their
 *   journal state is `verified` or `skipped` (already done, observed by isDone).
 */
export interface SafetyInput {
  snapshot: EnvironmentSnapshot;
  steps: SafetyStep[];
  judge: 'plan' | { stepId: string };
}

type Rule = (input: SafetyInput, index: number) => SafetyVerdict[];

/**
 * Evaluates every rule on the judged step(s).
 * @returns one verdict per (rule, step, effect) the rule applies to; steps without effects get none.
 * @throws Error when `judge.stepId` is not among `steps` (a programming error).
 */
export function evaluateSafety(input: SafetyInput): SafetyVerdict[] {
  const indexes = input.judge === 'plan' ? input.steps.map((_, i) => i) : [stepIndex(input, input.judge.stepId)];
  const out: SafetyVerdict[] = [];
  for (const i of indexes) for (const rule of Object.values(safetyRules)) out.push(...rule(input, i));
  return out;
}

/**
 * Splits non-passing verdicts into those an override lifts and those that still block.
 * An override matches a verdict of its rule (and step, when it names one) that is overridable.
 */
export function applyOverrides(
  verdicts: readonly SafetyVerdict[],
  overrides: readonly SafetyOverride[],
): { blocking: SafetyVerdict[]; overridden: { verdict: SafetyVerdict; override: SafetyOverride }[] } {
  const blocking: SafetyVerdict[] = [];
  const overridden: { verdict: SafetyVerdict; override: SafetyOverride }[] = [];
  for (const v of verdicts) {
    if (v.verdict === 'pass') continue;
    const o = v.overridable
      ? overrides.find((x) => x.rule === v.rule && (x.stepId === undefined || x.stepId === v.stepId))
      : undefined;
    if (o) overridden.push({ verdict: v, override: o });
    else blocking.push(v);
  }
  return { blocking, overridden };
}

/** One line per blocking verdict: `step fence: fence-before-promote refused — evidence`. */
export function formatVerdicts(verdicts: readonly SafetyVerdict[]): string {
  return verdicts
    .map(
      (v) =>
        `step ${v.stepId}: ${v.rule} ${v.verdict === 'refuse' ? 'refused' : v.verdict}${v.overridable ? ' (overridable with a reason)' : ''} — ${v.evidence}`,
    )
    .join('\n');
}

/** Never leave a record pointing at no healthy site. */
function recordPointsAtHealthySite(input: SafetyInput, i: number): SafetyVerdict[] {
  const step = input.steps[i]!;
  const v = verdictFor('record-points-at-healthy-site', step.id, false);
  return effectsOf(step, 'dns-point').map((e) => {
    if (e.values.length === 0) return v('refuse', `${e.record} would be removed: it would point at no site`);
    if (e.toSite === null) return v('refuse', `${e.record} → ${e.values.join(', ')} is no site's address`);
    const site = input.snapshot.sites.find((s) => s.name === e.toSite);
    if (!site) return v('refuse', `${e.record} → site "${e.toSite}", which the environment does not have`);
    const gate = site.state === 'healthy' ? null : plannedGate(input, i, site.name);
    if (gate)
      return v(
        'pass',
        `${e.record} → ${e.toSite}, ${site.state} now (${site.reason}); step ${gate} must see it healthy first, and this rule is judged again before the step acts`,
      );
    return siteVerdict(v, `${e.record} → ${e.toSite}`, site);
  });
}

/**
 * At plan time, a site that is not healthy now may still be the target of a later step when
 * earlier steps of the plan work on that site (promote its database, switch its slot) and then
 * gate on its health (`http.await-healthy` on that site): the gate fails the run if it does not
 * become healthy, and the rule judges live state again before the step itself acts (failback).
 * Returns the gating step's id, or null.
 */
function plannedGate(input: SafetyInput, i: number, site: string): string | null {
  if (input.judge !== 'plan') return null;
  const priors = input.steps.slice(0, i);
  // Only a runbook that works on that site first (promotes its database, switches its slot)
  // may expect it to become healthy; a plain gate in front of a move to a dead site is no plan.
  // Only when the failure is one those steps address: the site's apps report their database
  // unreachable or read-only (a promotion there fixes that), or the live slot fails while
  // another is healthy (a switch fixes that). A dead router or network is fixed by neither.
  const siteOf = (node: string) => input.snapshot.databases.find((d) => d.name === node)?.site;
  const status = input.snapshot.sites.find((x) => x.name === site);
  const dbCaused =
    status?.slots.some(
      (sl) => sl.state !== 'healthy' && (sl.reported?.dbRole === 'unreachable' || sl.reported?.dbRole === 'replica'),
    ) ?? false;
  const live = status?.slots.find((sl) => sl.slot === status.liveSlot.liveSlot);
  const slotCaused =
    (live !== undefined &&
      live.state !== 'healthy' &&
      status?.slots.some((sl) => sl !== live && sl.state === 'healthy')) ??
    false;
  const repairs = priors.some(
    (s) =>
      (dbCaused && effectsOf(s, 'db-promote').some((p) => siteOf(p.node) === site)) ||
      (slotCaused && effectsOf(s, 'slot-switch').some((x) => x.site === site)),
  );
  if (!repairs) return null;
  const gate = priors.find((s) => effectsOf(s, 'health-gate').some((g) => g.site === site && g.slot === null));
  return gate?.id ?? null;
}

/** Never drain the last healthy slot. */
function lastHealthySlot(input: SafetyInput, i: number): SafetyVerdict[] {
  const step = input.steps[i]!;
  const v = verdictFor('last-healthy-slot', step.id, false);
  return effectsOf(step, 'slot-drain').map((e) => {
    const site = input.snapshot.sites.find((s) => s.name === e.site);
    if (!site) return v('unknown', `site "${e.site}" is not observed`);
    const drained = new Set([e.slot]);
    for (const prior of done(input, i))
      for (const d of effectsOf(prior, 'slot-drain')) if (d.site === e.site) drained.add(d.slot);
    const remaining = site.slots.filter((s) => !drained.has(s.slot ?? ''));
    const healthy = remaining.filter((s) => s.state === 'healthy').map((s) => s.slot);
    if (healthy.length > 0)
      return v(
        'pass',
        `${e.site}: ${healthy.join(', ')} stay${healthy.length === 1 ? 's' : ''} healthy after draining ${e.slot}`,
      );
    const unknown = remaining.filter((s) => s.state === 'unknown').map((s) => `${s.slot} (${s.reason ?? 'no data'})`);
    if (unknown.length > 0)
      return v(
        'unknown',
        `${e.site}: after draining ${e.slot} only slots of unknown health remain: ${unknown.join(', ')}`,
      );
    return v(
      'refuse',
      `${e.site}: draining ${e.slot} leaves no healthy slot (${site.slots.map((s) => `${s.slot} ${s.state}`).join(', ')})`,
    );
  });
}

/** Never two writable primaries: every other node that is (or may be) primary is fenced first. */
function fenceBeforePromote(input: SafetyInput, i: number): SafetyVerdict[] {
  const step = input.steps[i]!;
  const v = verdictFor('fence-before-promote', step.id, true);
  return effectsOf(step, 'db-promote').map((e) => {
    const others = input.snapshot.databases.filter(
      (d) => d.name !== e.node && (d.role === 'primary' || d.role === 'unknown'),
    );
    if (others.length === 0) {
      const roles = input.snapshot.databases.map((d) => `${d.name} ${d.role}`).join(', ');
      return v('pass', `no other node is or may be primary (${roles || 'no nodes observed'})`);
    }
    type Finding = { verdict: 'pass' | 'refuse' | 'unknown'; text: string };
    const findings = others.map((o): Finding => {
      const what =
        o.role === 'primary' ? `${o.name} is primary` : `${o.name}'s role is unknown (${o.reason ?? 'no data'})`;
      const fence = input.steps.slice(0, i).find((s) => effectsOf(s, 'db-fence').some((f) => f.node === o.name));
      if (!fence) return { verdict: 'refuse', text: `${what} and no earlier step fences it` };
      if (isDone(fence.state))
        return { verdict: 'pass', text: `${o.name} fenced by step ${fence.id} (${fence.state})` };
      if (input.judge === 'plan' && fence.state === 'planned') {
        // Unplanned failover with the old site down: the fence step will try, but cannot prove
        // anything about a node it cannot reach. Say so now, in the plan, where the operator can
        // decide (break-glass), not half-way through the run.
        const unverifiable = effectsOf(fence, 'db-fence').find((f) => f.node === o.name)?.unverifiable;
        if (unverifiable) {
          return {
            verdict: 'unknown',
            text: `${what}; step ${fence.id} will try to fence it, but ${unverifiable}, so the fence cannot be verified and ${o.name} may still take writes (split brain) — promote anyway only with an override and a reason`,
          };
        }
        return { verdict: 'pass', text: `${o.name} will be fenced by step ${fence.id} (checked before promoting)` };
      }
      return { verdict: 'refuse', text: `${what} and fence step ${fence.id} is ${fence.state}, not verified` };
    });
    const text = findings.map((f) => f.text).join('; ');
    if (findings.every((f) => f.verdict === 'pass')) return v('pass', text);
    return v(findings.some((f) => f.verdict === 'refuse') ? 'refuse' : 'unknown', `promoting ${e.node}: ${text}`);
  });
}

/** Refuse promotion while replication lag exceeds the RPO objective. */
function lagWithinRpo(input: SafetyInput, i: number): SafetyVerdict[] {
  const step = input.steps[i]!;
  const v = verdictFor('lag-within-rpo', step.id, true);
  const objective = input.snapshot.rpo.objectiveSeconds;
  return effectsOf(step, 'db-promote').map((e) => {
    const priors = input.steps.slice(0, i);
    const waitIdx = priors.findIndex((s) =>
      effectsOf(s, 'db-await-lag').some((w) => w.node === e.node && boundWithin(w, objective)),
    );
    const wait = priors[waitIdx];
    if (wait && input.judge === 'plan' && (wait.state === 'planned' || isDone(wait.state))) {
      return v(
        'pass',
        `step ${wait.id} waits for ${e.node}'s lag to be within the RPO objective (${objective} s) first`,
      );
    }
    if (wait && isDone(wait.state)) {
      // After the old primary is fenced no new write can exist, so lag measured before the fence
      // still bounds the loss even though the replica can no longer measure it (primary down).
      const primaries = input.snapshot.databases.filter(
        (d) => d.name !== e.node && (d.role === 'primary' || d.role === 'unknown'),
      );
      const fencedAfter = primaries.every((p) =>
        priors
          .slice(waitIdx + 1)
          .some((s) => isDone(s.state) && effectsOf(s, 'db-fence').some((f) => f.node === p.name)),
      );
      if (fencedAfter)
        return v(
          'pass',
          `lag of ${e.node} was within ${objective} s at step ${wait.id} (${wait.state}) and writes were fenced after it`,
        );
    }
    const node = input.snapshot.databases.find((d) => d.name === e.node);
    if (!node) return v('unknown', `database node "${e.node}" is not observed`);
    if (node.lagSeconds === null) {
      // The primary is gone, so lag cannot be measured now. Worst case, every write since the
      // last measurement is lost: last known lag + its age. Within the objective → pass.
      const last = node.lastKnownLag;
      if (last) {
        // Writes end when every other possible primary was fenced by a finished step of this
        // run: the loss window closes then, not now.
        const others = input.snapshot.databases.filter((d) => d.name !== e.node && d.role !== 'replica');
        const fencedAt = others.map(
          (p) =>
            priors.find(
              (s) =>
                isDone(s.state) &&
                s.finishedAt !== undefined &&
                effectsOf(s, 'db-fence').some((f) => f.node === p.name),
            )?.finishedAt,
        );
        const writesEnd =
          others.length > 0 && fencedAt.every((t) => t !== undefined)
            ? Math.max(...(fencedAt as number[]))
            : input.snapshot.generatedAt;
        const fencedNote = writesEnd < input.snapshot.generatedAt ? ` before writes were fenced` : ' ago';
        const worst = last.seconds + Math.max(0, writesEnd - last.at) / 1000;
        const when = `${((writesEnd - last.at) / 1000).toFixed(1)} s${fencedNote}`;
        if (worst <= objective) {
          return v(
            'pass',
            `lag of ${e.node} cannot be measured now (${node.reason ?? 'primary unreachable'}); last measured ${last.seconds} s${last.bytes !== null ? `, ${last.bytes} bytes` : ''} ${when}, so at most ${worst.toFixed(1)} s of writes can be lost, within the RPO objective of ${objective} s`,
          );
        }
        return v(
          'unknown',
          `lag of ${e.node} cannot be measured now (${node.reason ?? 'primary unreachable'}); last measured ${last.seconds} s ${when}: up to ${worst.toFixed(1)} s of writes may be lost, over the RPO objective of ${objective} s`,
        );
      }
      return v(
        'unknown',
        `lag of ${e.node} is unknown (${node.reason ?? 'not measured'}); RPO objective ${objective} s`,
      );
    }
    const bytes = node.lagBytes !== null ? `, ${node.lagBytes} bytes` : '';
    if (node.lagSeconds > objective)
      return v('refuse', `lag of ${e.node} is ${node.lagSeconds} s${bytes}, over the RPO objective of ${objective} s`);
    return v('pass', `lag of ${e.node} is ${node.lagSeconds} s${bytes}, within the RPO objective of ${objective} s`);
  });
}

/** The target (site entry, or slot) must be healthy before traffic moves to it. */
function targetHealthyBeforeTraffic(input: SafetyInput, i: number): SafetyVerdict[] {
  const step = input.steps[i]!;
  const v = verdictFor('target-healthy-before-traffic', step.id, false);
  const out: SafetyVerdict[] = [];
  for (const e of effectsOf(step, 'dns-point')) {
    if (e.toSite === null) continue; // record-points-at-healthy-site refuses it
    const current = input.snapshot.dns.find((r) => r.name === e.record)?.pointsTo ?? null;
    if (current === e.toSite) {
      out.push(v('pass', `${e.record} already points at ${e.toSite}: no traffic moves`));
      continue;
    }
    const site = input.snapshot.sites.find((s) => s.name === e.toSite);
    if (!site) {
      out.push(v('refuse', `site "${e.toSite}" does not exist`));
      continue;
    }
    const entry = site.entry;
    const from = `${e.record} moves from ${current ?? 'an unknown/mixed answer'} to ${e.toSite}`;
    const gate = entry.state === 'healthy' ? null : plannedGate(input, i, site.name);
    if (gate)
      out.push(
        v(
          'pass',
          `${from}; its entry is ${entry.state} now, step ${gate} must see it healthy first (judged again before the step acts)`,
        ),
      );
    else if (entry.state === 'healthy') out.push(v('pass', `${from}; its entry ${entry.url} is healthy`));
    else if (entry.state === 'unhealthy')
      out.push(v('refuse', `${from}, but its entry ${entry.url} is unhealthy (${entry.reason ?? 'failing'})`));
    else
      out.push(
        v('unknown', `${from}, but the health of its entry ${entry.url} is unknown (${entry.reason ?? 'no data'})`),
      );
  }
  for (const e of effectsOf(step, 'slot-switch')) {
    const site = input.snapshot.sites.find((s) => s.name === e.site);
    const slot = site?.slots.find((s) => s.slot === e.toSlot);
    if (!site || !slot) {
      out.push(v('unknown', `slot ${e.site}/${e.toSlot} is not observed`));
      continue;
    }
    if (site.liveSlot.liveSlot === e.toSlot) out.push(v('pass', `${e.site} already serves ${e.toSlot}`));
    else if (slot.state === 'healthy') out.push(v('pass', `${e.site}/${e.toSlot} is healthy (${slot.url})`));
    else if (slot.state === 'unhealthy')
      out.push(v('refuse', `${e.site}/${e.toSlot} is unhealthy (${slot.reason ?? 'failing'})`));
    else out.push(v('unknown', `health of ${e.site}/${e.toSlot} is unknown (${slot.reason ?? 'no data'})`));
  }
  return out;
}

/** The rules of issue 3 §2, by name (each a pure function of the input and a step index). */
export const safetyRules: Readonly<
  Record<
    Exclude<SafetyRuleName, 'plan-computed' | 'dns-provider-ready' | 'nameservers-answer' | 'hosts-reachable'>,
    Rule
  >
> = {
  'record-points-at-healthy-site': recordPointsAtHealthySite,
  'last-healthy-slot': lastHealthySlot,
  'fence-before-promote': fenceBeforePromote,
  'lag-within-rpo': lagWithinRpo,
  'target-healthy-before-traffic': targetHealthyBeforeTraffic,
};

function verdictFor(rule: SafetyRuleName, stepId: string, refusalOverridable: boolean) {
  return (verdict: SafetyVerdict['verdict'], evidence: string): SafetyVerdict => ({
    rule,
    stepId,
    verdict,
    evidence,
    overridable: verdict === 'unknown' || (verdict === 'refuse' && refusalOverridable),
  });
}

/**
 * A degraded target is not a green pass: its own evidence says something there is failing. It
 * blocks as `unknown` (overridable with a typed, audited reason when the degradation does not
 * affect serving, e.g. a non-live slot down), never silently passes.
 */
function siteVerdict(v: ReturnType<typeof verdictFor>, what: string, site: SiteStatus): SafetyVerdict {
  if (site.state === 'healthy') return v('pass', `${what}, which is healthy (${site.reason})`);
  if (site.state === 'degraded')
    return v(
      'unknown',
      `${what}, which is degraded (${site.reason}): not a pass; override with a reason if this does not affect serving`,
    );
  if (site.state === 'unhealthy') return v('refuse', `${what}, which is unhealthy (${site.reason})`);
  return v('unknown', `${what}, whose health is unknown (${site.reason})`);
}

function effectsOf<T extends StepEffect['type']>(step: SafetyStep, type: T): Extract<StepEffect, { type: T }>[] {
  return step.effects.filter((e): e is Extract<StepEffect, { type: T }> => e.type === type);
}

function isDone(state: SafetyStepState): boolean {
  return state === 'verified' || state === 'skipped';
}

/** Earlier steps whose effects count: planned ones too when judging the plan. */
function done(input: SafetyInput, i: number): SafetyStep[] {
  return input.steps.slice(0, i).filter((s) => isDone(s.state) || (input.judge === 'plan' && s.state === 'planned'));
}

function boundWithin(w: Extract<StepEffect, { type: 'db-await-lag' }>, objectiveSeconds: number): boolean {
  return (w.maxLagSeconds !== null && w.maxLagSeconds <= objectiveSeconds) || w.maxLagBytes === 0;
}

function stepIndex(input: SafetyInput, stepId: string): number {
  const i = input.steps.findIndex((s) => s.id === stepId);
  if (i < 0) throw new Error(`safety: no step "${stepId}" in the input`);
  return i;
}
