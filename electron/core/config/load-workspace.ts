/**
 * Reads a workspace YAML file into a validated model. Every problem is reported as
 * `file:line:col field — what is wrong. Fix: how` and nothing is half-loaded: the caller gets
 * either a complete Workspace or a list of errors.
 */
import { resolve, dirname, isAbsolute } from 'node:path';
import { readYamlFile, YamlSource, type SourceIssue, type YamlPath } from './yaml-source.ts';
import { WorkspaceSchema, type Workspace } from './workspace-schema.ts';
import { loadCaFiles } from './ca-files.ts';

/** One validation problem, pointing into the file (see {@link SourceIssue}). */
export type WorkspaceIssue = SourceIssue;

export type LoadResult =
  { ok: true; workspace: Workspace; path: string } | { ok: false; path: string; issues: WorkspaceIssue[] };

/** Formats issues as one line each: `file:line:col field: message. Fix: hint`. */
export function formatIssues(issues: WorkspaceIssue[]): string {
  return issues.map((i) => `${i.file}:${i.line}:${i.col} ${i.field}: ${i.message}. Fix: ${i.hint}`).join('\n');
}

/**
 * Loads and validates a workspace file.
 * @param path workspace YAML path (relative to cwd or absolute)
 * @returns the validated Workspace (store path made absolute relative to the file) or issues;
 *          never throws for bad input (a missing, unreadable or oversized file is an issue too).
 */
export async function loadWorkspace(path: string): Promise<LoadResult> {
  const abs = resolve(path);
  const read = await readYamlFile(
    abs,
    'workspace',
    'pass --workspace PATH to an existing YAML file, or start the development lab with `bin/standby-lab up`',
  );
  if (!read.ok) return { ok: false, path: abs, issues: [read.issue] };
  const result = parseWorkspace(read.text, abs);
  if (!result.ok) return result;
  // CA bundles are read now, so a bad one is a load error and not a failing probe later.
  const problems = await loadCaFiles(result.workspace, abs);
  if (problems.length === 0) return result;
  const src = YamlSource.parse(read.text, abs);
  return {
    ok: false,
    path: abs,
    issues: problems.map((p) =>
      src.ok
        ? src.source.issueAt(p.path, p.message, p.hint)
        : { file: abs, line: 1, col: 1, field: p.path.join('.'), message: p.message, hint: p.hint },
    ),
  };
}

/** Validates workspace YAML text; `file` is used for messages and to resolve relative paths. */
export function parseWorkspace(text: string, file: string): LoadResult {
  const parsedYaml = YamlSource.parse(text, file);
  if (!parsedYaml.ok) return { ok: false, path: file, issues: parsedYaml.issues };
  const src = parsedYaml.source;
  const parsed = WorkspaceSchema.safeParse(src.value());
  if (!parsed.success) {
    const issues = src.issuesFromZod(parsed.error.issues, {
      docs: 'see README "Configuration"',
      unionHint:
        'use one of the documented forms (a secret reference is {env: NAME}, {file: PATH} or {keychain: {service, account}})',
    });
    return { ok: false, path: file, issues };
  }
  const ws = parsed.data;
  if (!isAbsolute(ws.store.path)) ws.store.path = resolve(dirname(file), ws.store.path);
  if (!isAbsolute(ws.runbooksDir)) ws.runbooksDir = resolve(dirname(file), ws.runbooksDir);
  const crossIssues = checkReferences(ws, src);
  if (crossIssues.length > 0) return { ok: false, path: file, issues: crossIssues };
  return { ok: true, workspace: ws, path: file };
}

/**
 * Whether DNS name `name` is `zone` or under it, label by label (`applab.test` is not in
 * `lab.test`); case and a final dot are ignored.
 */
function inZone(name: string, zone: string): boolean {
  const n = name.replace(/\.$/, '').toLowerCase();
  const z = zone.replace(/\.$/, '').toLowerCase();
  return n === z || n.endsWith(`.${z}`);
}

/** Checks that names refer to things that exist (sites in records and databases, unique names). */
function checkReferences(ws: Workspace, src: YamlSource): WorkspaceIssue[] {
  const out: WorkspaceIssue[] = [];
  const add = (path: YamlPath, message: string, hint: string) => out.push(src.issueAt(path, message, hint));
  const envNames = new Set<string>();
  ws.environments.forEach((env, ei) => {
    if (envNames.has(env.name))
      add(
        ['environments', ei, 'name'],
        `duplicate environment name "${env.name}"`,
        'give each environment a unique name',
      );
    envNames.add(env.name);
    const sites = new Set(env.sites.map((s) => s.name));
    if (sites.size !== env.sites.length)
      add(['environments', ei, 'sites'], 'duplicate site names', 'give each site a unique name');
    if (!env.sites.some((s) => s.role === 'production'))
      add(
        ['environments', ei, 'sites'],
        'no site has role "production"',
        'mark the site that normally serves traffic with role: production',
      );
    env.records.forEach((rec, ri) => {
      for (const site of Object.keys(rec.values)) {
        if (!sites.has(site))
          add(
            ['environments', ei, 'records', ri, 'values', site],
            `site "${site}" does not exist`,
            `use one of: ${[...sites].join(', ')}`,
          );
      }
      if (!inZone(rec.name, env.zone))
        add(
          ['environments', ei, 'records', ri, 'name'],
          `record is not inside zone "${env.zone}"`,
          'use a name under the environment zone',
        );
      if (rec.failoverTtlSeconds > rec.ttlSeconds)
        add(
          ['environments', ei, 'records', ri, 'failoverTtlSeconds'],
          'failover TTL is longer than the normal TTL',
          'the failover TTL is the lowered TTL used before a switch: make it ≤ ttlSeconds',
        );
    });
    env.databases.forEach((db, di) => {
      if (!sites.has(db.site))
        add(
          ['environments', ei, 'databases', di, 'site'],
          `site "${db.site}" does not exist`,
          `use one of: ${[...sites].join(', ')}`,
        );
    });
    const provNames = new Set(env.dnsProviders.map((p) => p.name));
    if (provNames.size !== env.dnsProviders.length)
      add(['environments', ei, 'dnsProviders'], 'duplicate DNS provider names', 'give each provider a unique name');
  });
  return out;
}
