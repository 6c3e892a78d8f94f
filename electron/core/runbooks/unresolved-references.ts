/**
 * The names a step's params give (its kind's `references`) that the environment it runs in does
 * not define. The runbook loader checks names against every environment of the workspace, so a
 * runbook valid for one environment may name a node another lacks; a plan that could not be
 * computed for that reason can be overridden (`plan-computed`), but the step itself must never
 * act on a name that resolves to nothing (issue 7 §5).
 */
import type { Environment } from '../config/workspace-schema.ts';
import type { StepKind, StepReference } from './step-kind.ts';

/**
 * @returns one line per unresolved reference, e.g. `database node "pg-x" (params.node)`; empty
 *          when every name resolves (or the kind declares none).
 */
export function unresolvedReferences(kind: StepKind, params: unknown, env: Environment): string[] {
  let refs: StepReference[];
  try {
    refs = kind.references?.(params) ?? [];
  } catch (e) {
    return [`its parameters cannot be read (${(e as Error).message})`];
  }
  return refs
    .filter((r) => !referenceNamesIn(env, r).some((n) => sameReferenceName(r, n)))
    .map(
      (r) =>
        `${referenceWhat[r.kind]} "${r.name}"${r.kind === 'slot' ? ` of site "${r.site}"` : ''} (params.${r.path.join('.')})`,
    );
}

/** How a reference's kind reads in a message. */
export const referenceWhat: Record<StepReference['kind'], string> = {
  site: 'site',
  node: 'database node',
  record: 'record',
  provider: 'DNS provider',
  slot: 'slot',
};

/** Names of kind `r.kind` that `env` defines (slots: of the reference's site). */
export function referenceNamesIn(env: Environment, r: StepReference): string[] {
  switch (r.kind) {
    case 'site':
      return env.sites.map((s) => s.name);
    case 'node':
      return env.databases.map((d) => d.name);
    case 'record':
      return env.records.map((x) => x.name);
    case 'provider':
      return env.dnsProviders.map((p) => p.name);
    case 'slot':
      return env.sites.find((s) => s.name === r.site)?.slots.map((s) => s.name) ?? [];
  }
}

/** Whether `name` is the name `r` gives; records compare without case or trailing dot, as the steps do. */
export const sameReferenceName = (r: StepReference, name: string): boolean => norm(r, name) === norm(r, r.name);

const norm = (r: StepReference, name: string) => (r.kind === 'record' ? name.replace(/\.$/, '').toLowerCase() : name);
