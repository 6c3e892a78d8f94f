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
    .filter((r) => !namesIn(env, r).some((n) => norm(r, n) === norm(r, r.name)))
    .map(
      (r) =>
        `${what[r.kind]} "${r.name}"${r.kind === 'slot' ? ` of site "${r.site}"` : ''} (params.${r.path.join('.')})`,
    );
}

const what: Record<StepReference['kind'], string> = {
  site: 'site',
  node: 'database node',
  record: 'record',
  provider: 'DNS provider',
  slot: 'slot',
};

function namesIn(env: Environment, r: StepReference): string[] {
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

/** Records compare without case or trailing dot, like the steps and the loader do. */
const norm = (r: StepReference, name: string) => (r.kind === 'record' ? name.replace(/\.$/, '').toLowerCase() : name);
