/**
 * Reads a runbook YAML file into a validated Runbook. Like the workspace loader: every problem
 * is `file:line:col field: message. Fix: hint` (format with `formatIssues` from
 * config/load-workspace.ts), and nothing is half-loaded. With the workspace's environments,
 * the names each step references (sites, nodes, records, providers, slots) are checked too.
 * A bad file never throws: one bad runbook leaves the others of its folder usable.
 */
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { WorkspaceIssue } from '../config/load-workspace.ts';
import type { Environment } from '../config/workspace-schema.ts';
import { RunbookSchema, type Runbook } from './runbook-schema.ts';
import type { StepReference } from './step-kind.ts';
import type { StepRegistry } from './step-registry.ts';
import { referenceNamesIn, referenceWhat, sameReferenceName } from './unresolved-references.ts';
import { readYamlFile, YamlSource, type YamlPath } from '../config/yaml-source.ts';

const docs = 'see README "Runbooks"';

/** A validated runbook, or every issue found (`file:line:col field`). `path` is absolute. */
export type LoadRunbookResult =
  { ok: true; runbook: Runbook; path: string } | { ok: false; path: string; issues: WorkspaceIssue[] };

/** Options of {@link loadRunbook} and {@link parseRunbook}. */
export interface RunbookCheckOptions {
  /**
   * The workspace's environments: when given, every site, node, record, provider and slot a
   * step names (its kind's `references`) must exist in at least one of them (the plan checks
   * the environment it runs in).
   */
  environments?: readonly Environment[];
}

/**
 * Loads and validates a runbook file against the registered step kinds.
 * @returns the runbook (step params parsed by their kind's schema, defaults filled) or issues;
 *          never throws for bad input (a missing file is an issue too).
 */
export async function loadRunbook(
  path: string,
  registry: StepRegistry,
  options: RunbookCheckOptions = {},
): Promise<LoadRunbookResult> {
  const abs = resolve(path);
  const read = await readYamlFile(abs, 'runbook', 'pass the path of an existing runbook YAML file');
  if (!read.ok) return { ok: false, path: abs, issues: [read.issue] };
  return parseRunbook(read.text, abs, registry, options);
}

/** Validates runbook YAML text; `file` is only used in messages. Never throws. */
export function parseRunbook(
  text: string,
  file: string,
  registry: StepRegistry,
  options: RunbookCheckOptions = {},
): LoadRunbookResult {
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
    const p = checkParams(src, registry, step.kind, step.params, ['steps', i], options);
    if (p.ok) step.params = p.params;
    else issues.push(...p.issues);
    if (step.rollback) {
      const r = checkParams(src, registry, step.rollback.kind, step.rollback.params, ['steps', i, 'rollback'], options);
      if (r.ok) step.rollback.params = r.params;
      else issues.push(...r.issues);
    }
  });
  if (issues.length > 0)
    return { ok: false, path: file, issues: issues.sort((a, b) => a.line - b.line || a.col - b.col) };
  return { ok: true, runbook: rb, path: file };
}

/**
 * Validates `params` with the schema of `kind`, then the names they reference; `at` is the
 * path of the map holding `kind` and `params`.
 */
function checkParams(
  src: YamlSource,
  registry: StepRegistry,
  kind: string,
  params: Record<string, unknown>,
  at: YamlPath,
  options: RunbookCheckOptions,
): { ok: true; params: Record<string, unknown> } | { ok: false; issues: WorkspaceIssue[] } {
  const k = registry.get(kind);
  if (!k) {
    const known = registry.names();
    const near = closest(kind, known);
    return {
      ok: false,
      issues: [
        src.issueAt(
          [...at, 'kind'],
          `unknown step kind "${kind}"${near ? ` (did you mean "${near}"?)` : ''}`,
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
  if (options.environments && k.references) {
    const issues = k
      .references(r.data)
      .flatMap((ref) => referenceIssue(ref, options.environments!))
      .map((x) => src.issueAt([...at, 'params', ...x.ref.path], x.message, x.hint));
    if (issues.length > 0) return { ok: false, issues };
  }
  // Params are persisted in the journal and shown in the UI: they must be plain JSON data.
  return { ok: true, params: r.data as Record<string, unknown> };
}

/** The issue of a reference found in none of `envs` (none when it exists in one). */
function referenceIssue(
  r: StepReference,
  envs: readonly Environment[],
): { ref: StepReference; message: string; hint: string }[] {
  const known = [...new Set(envs.flatMap((e) => referenceNamesIn(e, r)))];
  if (known.some((n) => sameReferenceName(r, n))) return [];
  const where =
    envs.length === 1 ? `environment ${envs[0]!.name}` : `any environment (${envs.map((e) => e.name).join(', ')})`;
  const of = r.kind === 'slot' ? ` of site "${r.site}"` : '';
  const near = closest(r.name, known);
  return [
    {
      ref: r,
      message: `${referenceWhat[r.kind]} "${r.name}"${of} does not exist in ${where}${near ? ` (did you mean "${near}"?)` : ''}`,
      hint: known.length ? `use one of: ${known.join(', ')}` : `the workspace defines no ${referenceWhat[r.kind]}${of}`,
    },
  ];
}

/** The name of `known` nearest to `name` when it is a likely typo (≤ 2 edits, or ≤ a third of it), else null. */
export function closest(name: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best !== null && bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : null;
}

/** Levenshtein distance (insert, delete, substitute each cost 1). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** One file of a runbooks folder and what loading it gave. */
export interface RunbookFile {
  /** Absolute path. */
  path: string;
  /** File name without `.yaml` / `.yml` (the runbook's name when it cannot be read). */
  stem: string;
  result: LoadRunbookResult;
}

/**
 * Loads every `*.yaml` / `*.yml` file of `dir`, sorted by name; a bad file is an entry with its
 * issues, never an exception, so the others stay usable.
 * @returns the files, or `null` when the folder cannot be read (missing or not a folder).
 */
export async function loadRunbooksDir(
  dir: string,
  registry: StepRegistry,
  options: RunbookCheckOptions = {},
): Promise<RunbookFile[] | null> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  } catch {
    return null;
  }
  const out: RunbookFile[] = [];
  for (const f of names) {
    const path = join(resolve(dir), f);
    out.push({ path, stem: f.replace(/\.ya?ml$/, ''), result: await loadRunbook(path, registry, options) });
  }
  return out;
}
