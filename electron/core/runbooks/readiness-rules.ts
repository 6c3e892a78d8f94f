/**
 * Readiness rules (preflight): before anything irreversible happens, check that every external
 * system a later step needs answers and lets us in. Judged in the plan and again, with fresh
 * reads, right before the first irreversible step of a run (fence, promote, first DNS write), so
 * a wrong API key or a closed port refuses the run up front instead of leaving DNS split between
 * providers half-way (issue 7 §4).
 *
 * Rules (all `refuse` verdicts are overridable with a typed reason, like every break-glass):
 * - `dns-provider-ready`: every DNS provider a step writes answers an authenticated read of each
 *   record the step writes (`getRecordSet`: PowerDNS API with its key, RFC 2136 TSIG query);
 * - `nameservers-answer`: every nameserver of those providers answers a direct query for it;
 * - `hosts-reachable`: every database node a promote or lag wait acts on, and every rejoin
 *   source, is observed — unless an earlier step rebuilds it (rejoin); the fence of a dead
 *   primary is judged by `fence-before-promote`, not here.
 *
 * What a step needs is read from its kind's `references(params)`: records for DNS steps (every
 * provider of the environment is written), nodes for database steps.
 */
import type { SafetyVerdict } from '../../../shared/runs/safety-verdict.ts';
import type { EnvironmentSnapshot } from '../../../shared/status.ts';
import type { Environment } from '../config/workspace-schema.ts';
import { toOpError } from '../platform/op-error.ts';
import type { StepKind, StepReference, StepServices } from './step-kind.ts';

/** Names of the readiness rules (also members of `safetyRuleNames`, so overrides work alike). */
export const readinessRuleNames = ['dns-provider-ready', 'nameservers-answer', 'hosts-reachable'] as const;

/** Step kinds whose effect cannot simply be taken back: readiness is judged before the first one. */
export const irreversibleKinds: ReadonlySet<string> = new Set([
  'db.fence',
  'db.promote',
  'db.rejoin',
  'dns.set-records',
  'dns.set-ttl',
]);

/**
 * Where each database kind names the node it needs answering: the node promoted or waited on,
 * the source a rejoin copies from. A fence may target a dead node on purpose (judged by
 * `fence-before-promote`), and a rejoin's own node is the one being rebuilt.
 */
const neededNodePath: Readonly<Record<string, string>> = {
  'db.promote': 'node',
  'db.await-lag': 'node',
  'db.rejoin': 'source',
};

/** One step as readiness sees it: its id, kind and validated params. */
export interface ReadinessStep {
  id: string;
  kind: StepKind;
  params: unknown;
}

/** What the readiness rules read. Times in ms. */
export interface ReadinessInput {
  env: Environment;
  services: StepServices;
  /** The observed environment (database reachability comes from it; no extra connection). */
  snapshot: EnvironmentSnapshot;
  /** Steps still to run (steps already done are never judged again). */
  steps: readonly ReadinessStep[];
  /** Bound on each read or query, ms. Default 5,000. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Judges every readiness rule for `input.steps`. Never throws: a failed read is a `refuse`
 * verdict naming the provider, nameserver or node and the error; a step that needs nothing
 * external gets no verdict.
 * @returns one verdict per (step, provider, record), (step, nameserver) and (step, node).
 */
export async function judgeReadiness(input: ReadinessInput): Promise<SafetyVerdict[]> {
  const timeoutMs = input.timeoutMs ?? 5_000;
  const cache = new Map<string, Promise<string | null>>();
  // One real read per target even when several steps need it.
  const once = (key: string, fn: (signal: AbortSignal) => Promise<unknown>): Promise<string | null> => {
    let p = cache.get(key);
    if (!p) {
      const signal = input.signal
        ? AbortSignal.any([input.signal, AbortSignal.timeout(timeoutMs)])
        : AbortSignal.timeout(timeoutMs);
      p = bounded(fn(signal), timeoutMs).then(
        () => null,
        (e: unknown) => errorText(e),
      );
      cache.set(key, p);
    }
    return p;
  };
  const out: Promise<SafetyVerdict>[] = [];
  // Nodes an earlier step rebuilds (db.rejoin starts them again): down now is expected, e.g. the
  // old primary in a failback; that step's own checks decide.
  const rebuilt = new Set<string>();
  for (const step of input.steps) {
    const refs = referencesOf(step);
    const records = step.kind.kind.startsWith('dns.') ? refs.filter((r) => r.kind === 'record') : [];
    for (const ref of records) {
      const rec = input.env.records.find((r) => norm(r.name) === norm(ref.name));
      if (!rec) continue; // an unresolved reference is refused by the step itself at its turn
      const providers = input.services.dns?.providers ?? [];
      if (providers.length === 0 && input.env.dnsProviders.length > 0)
        out.push(
          Promise.resolve(
            verdict(
              'dns-provider-ready',
              step.id,
              'unknown',
              `no DNS provider service is available to read ${rec.name}`,
            ),
          ),
        );
      for (const p of providers) {
        out.push(
          once(`provider:${p.name}:${rec.name}:${rec.type}`, (signal) =>
            p.getRecordSet(rec.name, rec.type, signal),
          ).then((err) =>
            err === null
              ? verdict(
                  'dns-provider-ready',
                  step.id,
                  'pass',
                  `${p.name} (${p.kind}) answered an authenticated read of ${rec.name} ${rec.type}`,
                )
              : verdict(
                  'dns-provider-ready',
                  step.id,
                  'refuse',
                  `DNS provider ${p.name} (${p.kind}) cannot be read for ${rec.name} ${rec.type}: ${err} — the step would change the other providers and fail at this one, leaving DNS split`,
                ),
          ),
        );
        const cfg = input.env.dnsProviders.find((c) => c.name === p.name);
        const query = input.services.dns?.query;
        for (const ns of cfg?.nameservers ?? []) {
          if (!query) continue;
          out.push(
            once(`ns:${ns}:${rec.name}:${rec.type}`, (signal) =>
              query(ns, rec.name, rec.type, { signal, timeoutMs: Math.min(timeoutMs, 2_000) }),
            ).then((err) =>
              err === null
                ? verdict(
                    'nameservers-answer',
                    step.id,
                    'pass',
                    `nameserver ${ns} of ${p.name} answers for ${rec.name}`,
                  )
                : verdict(
                    'nameservers-answer',
                    step.id,
                    'refuse',
                    `nameserver ${ns} of ${p.name} does not answer for ${rec.name} ${rec.type}: ${err} — the change could not be verified there`,
                  ),
            ),
          );
        }
      }
    }
    const path = neededNodePath[step.kind.kind];
    for (const ref of refs.filter((r) => r.kind === 'node' && r.path.join('.') === path && !rebuilt.has(r.name)))
      out.push(Promise.resolve(nodeVerdict(input, step.id, ref.name)));
    if (step.kind.kind === 'db.rejoin')
      for (const ref of refs.filter((r) => r.kind === 'node' && r.path.join('.') === 'node')) rebuilt.add(ref.name);
  }
  return Promise.all(out);
}

/** True when `kind` names an irreversible step kind (see {@link irreversibleKinds}). */
export function isIrreversible(kind: string): boolean {
  return irreversibleKinds.has(kind);
}

function nodeVerdict(input: ReadinessInput, stepId: string, node: string): SafetyVerdict {
  const d = input.snapshot.databases.find((x) => x.name === node);
  if (!d) return verdict('hosts-reachable', stepId, 'refuse', `database node ${node} is not observed`);
  if (d.state !== 'ok' || d.role === 'unknown')
    return verdict(
      'hosts-reachable',
      stepId,
      'refuse',
      `database node ${node} (site ${d.site}${d.viaSsh ? ', through SSH' : ''}) cannot be reached: ${d.reason ?? `role ${d.role}`}`,
    );
  return verdict('hosts-reachable', stepId, 'pass', `database node ${node} answers (role ${d.role})`);
}

function referencesOf(step: ReadinessStep): StepReference[] {
  try {
    return step.kind.references?.(step.params) ?? [];
  } catch {
    return [];
  }
}

function verdict(
  rule: (typeof readinessRuleNames)[number],
  stepId: string,
  v: SafetyVerdict['verdict'],
  evidence: string,
): SafetyVerdict {
  return { rule, stepId, verdict: v, evidence, overridable: v !== 'pass' };
}

function errorText(e: unknown): string {
  const op = toOpError(e);
  return `${op.kind}: ${op.message}`;
}

/** Rejects after `ms` even if `p` ignores its signal. */
function bounded<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timer = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(Object.assign(new Error(`no answer within ${ms} ms`), { kind: 'timeout' })), ms);
  });
  return Promise.race([p, timer]).finally(() => clearTimeout(t));
}

const norm = (name: string) => name.replace(/\.$/, '').toLowerCase();
