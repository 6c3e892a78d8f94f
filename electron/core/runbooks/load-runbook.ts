/**
 * Reads a runbook YAML file into a validated Runbook. Like the workspace loader: every problem
 * is `file:line:col field: message. Fix: hint` (format with `formatIssues` from
 * config/load-workspace.ts), and nothing is half-loaded.
 */
import { resolve } from 'node:path';
import type { WorkspaceIssue } from '../config/load-workspace.ts';
import { RunbookSchema, type Runbook } from './runbook-schema.ts';
import type { StepRegistry } from './step-registry.ts';
import { readYamlFile, YamlSource, type YamlPath } from '../config/yaml-source.ts';

const docs = 'see README "Runbooks"';

/** A validated runbook, or every issue found (`file:line:col field`). `path` is absolute. */
export type LoadRunbookResult =
  { ok: true; runbook: Runbook; path: string } | { ok: false; path: string; issues: WorkspaceIssue[] };

/**
 * Loads and validates a runbook file against the registered step kinds.
 * @returns the runbook (step params parsed by their kind's schema, defaults filled) or issues;
 *          never throws for bad input (a missing file is an issue too).
 */
export async function loadRunbook(path: string, registry: StepRegistry): Promise<LoadRunbookResult> {
  const abs = resolve(path);
  const read = await readYamlFile(abs, 'runbook', 'pass the path of an existing runbook YAML file');
  if (!read.ok) return { ok: false, path: abs, issues: [read.issue] };
  return parseRunbook(read.text, abs, registry);
}

/** Validates runbook YAML text; `file` is only used in messages. */
export function parseRunbook(text: string, file: string, registry: StepRegistry): LoadRunbookResult {
  const parsedYaml = YamlSource.parse(text, file);
  if (!parsedYaml.ok) return { ok: false, path: file, issues: parsedYaml.issues };
  const src = parsedYaml.source;
  const parsed = RunbookSchema.safeParse(src.value());
  if (!parsed.success) return { ok: false, path: file, issues: src.issuesFromZod(parsed.error.issues, { docs }) };
  const rb = parsed.data;
  const issues: WorkspaceIssue[] = [];
  const ids = new Set<string>();
  rb.steps.forEach((step, i) => {
    if (ids.has(step.id))
      issues.push(src.issueAt(['steps', i, 'id'], `duplicate step id "${step.id}"`, 'give each step a unique id'));
    ids.add(step.id);
    const p = checkParams(src, registry, step.kind, step.params, ['steps', i]);
    if (p.ok) step.params = p.params;
    else issues.push(...p.issues);
    if (step.rollback) {
      const r = checkParams(src, registry, step.rollback.kind, step.rollback.params, ['steps', i, 'rollback']);
      if (r.ok) step.rollback.params = r.params;
      else issues.push(...r.issues);
    }
  });
  if (issues.length > 0)
    return { ok: false, path: file, issues: issues.sort((a, b) => a.line - b.line || a.col - b.col) };
  return { ok: true, runbook: rb, path: file };
}

/** Validates `params` with the schema of `kind`; `at` is the path of the map holding `kind` and `params`. */
function checkParams(
  src: YamlSource,
  registry: StepRegistry,
  kind: string,
  params: Record<string, unknown>,
  at: YamlPath,
): { ok: true; params: Record<string, unknown> } | { ok: false; issues: WorkspaceIssue[] } {
  const k = registry.get(kind);
  if (!k) {
    const known = registry.names();
    return {
      ok: false,
      issues: [
        src.issueAt(
          [...at, 'kind'],
          `unknown step kind "${kind}"`,
          known.length ? `use one of: ${known.join(', ')}` : 'no step kinds are registered in this build',
        ),
      ],
    };
  }
  const r = k.params.safeParse(params);
  if (!r.success)
    return {
      ok: false,
      issues: src.issuesFromZod(r.error.issues, {
        basePath: [...at, 'params'],
        docs: `see the "${kind}" step in README "Runbooks"`,
      }),
    };
  // Params are persisted in the journal and shown in the UI: they must be plain JSON data.
  return { ok: true, params: r.data as Record<string, unknown> };
}
