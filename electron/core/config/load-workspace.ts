/**
 * Reads a workspace YAML file into a validated model. Every problem is reported as
 * `file:line:col field — what is wrong. Fix: how` and nothing is half-loaded: the caller gets
 * either a complete Workspace or a list of errors.
 */
import { readFile } from 'node:fs/promises';
import { resolve, dirname, isAbsolute } from 'node:path';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Document, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { WorkspaceSchema, type Workspace } from './workspace-schema.ts';

/** One validation problem, pointing into the file. `line`/`col` are 1-based. */
export interface WorkspaceIssue {
  file: string;
  line: number;
  col: number;
  /** Dotted field path, e.g. `environments[0].sites[1].address`; `(file)` for syntax errors. */
  field: string;
  message: string;
  hint: string;
}

export type LoadResult =
  | { ok: true; workspace: Workspace; path: string }
  | { ok: false; path: string; issues: WorkspaceIssue[] };

/** Formats issues as one line each: `file:line:col field: message. Fix: hint`. */
export function formatIssues(issues: WorkspaceIssue[]): string {
  return issues.map((i) => `${i.file}:${i.line}:${i.col} ${i.field}: ${i.message}. Fix: ${i.hint}`).join('\n');
}

/**
 * Loads and validates a workspace file.
 * @param path workspace YAML path (relative to cwd or absolute)
 * @returns the validated Workspace (store path made absolute relative to the file) or issues;
 *          never throws for bad input (a missing file is an issue too).
 */
export async function loadWorkspace(path: string): Promise<LoadResult> {
  const abs = resolve(path);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    return {
      ok: false,
      path: abs,
      issues: [{ file: abs, line: 1, col: 1, field: '(file)', message: `cannot read the workspace file (${code})`, hint: 'pass --workspace PATH to an existing YAML file, or run `standby lab up` to create one' }],
    };
  }
  return parseWorkspace(text, abs);
}

/** Validates workspace YAML text; `file` is used for messages and to resolve relative paths. */
export function parseWorkspace(text: string, file: string): LoadResult {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      path: file,
      issues: doc.errors.map((err) => {
        const pos = lc.linePos(err.pos[0]);
        return { file, line: pos.line, col: pos.col, field: '(syntax)', message: `YAML syntax error: ${err.message.split('\n')[0]}`, hint: 'check indentation and quoting on that line' };
      }),
    };
  }
  const parsed = WorkspaceSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const issues = parsed.error.issues.map((iss) => toIssue(iss, doc, lc, file));
    issues.sort((a, b) => a.line - b.line || a.col - b.col);
    return { ok: false, path: file, issues };
  }
  const ws = parsed.data;
  if (!isAbsolute(ws.store.path)) ws.store.path = resolve(dirname(file), ws.store.path);
  if (!isAbsolute(ws.runbooksDir)) ws.runbooksDir = resolve(dirname(file), ws.runbooksDir);
  const crossIssues = checkReferences(ws, doc, lc, file);
  if (crossIssues.length > 0) return { ok: false, path: file, issues: crossIssues };
  return { ok: true, workspace: ws, path: file };
}

type Path = (string | number)[];

function fieldName(path: Path): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '') || '(root)';
}

/** Position of the deepest existing node along `path` (the key's own position when possible). */
function locate(doc: Document, lc: LineCounter, path: Path, key?: string): { line: number; col: number } {
  let node: unknown = doc.contents;
  let offset = 0;
  const at = (n: unknown) => {
    const r = (n as YamlNode | null)?.range;
    if (r) offset = r[0];
  };
  at(node);
  const steps: (string | number)[] = key !== undefined ? [...path, key] : path;
  for (const step of steps) {
    if (isMap(node)) {
      const pair = node.items.find((it) => isScalar(it.key) && String(it.key.value) === String(step));
      if (!pair) break;
      at(pair.key);
      node = pair.value;
      if (key === undefined || step !== key) at(node);
    } else if (isSeq(node) && typeof step === 'number') {
      node = node.items[step];
      at(node);
    } else break;
  }
  return lc.linePos(offset);
}

function hintFor(iss: z.core.$ZodIssue): string {
  switch (iss.code) {
    case 'unrecognized_keys':
      return `remove or rename ${iss.keys.map((k) => `"${k}"`).join(', ')} (field names are case-sensitive; see README "Configuration")`;
    case 'invalid_type':
      return /received undefined/.test(iss.message) ? `add the required field (${iss.expected})` : `give a value of type ${iss.expected}`;
    case 'invalid_value':
      return `use one of: ${iss.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
    case 'too_big':
      return 'adjust the value to the allowed range';
    case 'invalid_union':
      return 'use one of the documented forms (e.g. a secret reference is {env: NAME}, {file: PATH} or {keychain: {service, account}})';
    default:
      return 'see README "Configuration"';
  }
}

function toIssue(iss: z.core.$ZodIssue, doc: Document, lc: LineCounter, file: string): WorkspaceIssue {
  const path = iss.path.filter((p): p is string | number => typeof p !== 'symbol');
  const firstUnknown = iss.code === 'unrecognized_keys' ? iss.keys[0] : undefined;
  const pos = locate(doc, lc, path, firstUnknown);
  const field = fieldName(firstUnknown !== undefined ? [...path, firstUnknown] : path);
  const message = iss.code === 'unrecognized_keys' ? `unknown field${iss.keys.length > 1 ? 's' : ''} ${iss.keys.map((k) => `"${k}"`).join(', ')}` : iss.message;
  return { file, line: pos.line, col: pos.col, field, message, hint: hintFor(iss) };
}

/** Checks that names refer to things that exist (sites in records and databases, unique names). */
function checkReferences(ws: Workspace, doc: Document, lc: LineCounter, file: string): WorkspaceIssue[] {
  const out: WorkspaceIssue[] = [];
  const add = (path: Path, message: string, hint: string) => {
    const pos = locate(doc, lc, path);
    out.push({ file, line: pos.line, col: pos.col, field: fieldName(path), message, hint });
  };
  const envNames = new Set<string>();
  ws.environments.forEach((env, ei) => {
    if (envNames.has(env.name)) add(['environments', ei, 'name'], `duplicate environment name "${env.name}"`, 'give each environment a unique name');
    envNames.add(env.name);
    const sites = new Set(env.sites.map((s) => s.name));
    if (sites.size !== env.sites.length) add(['environments', ei, 'sites'], 'duplicate site names', 'give each site a unique name');
    if (!env.sites.some((s) => s.role === 'production')) add(['environments', ei, 'sites'], 'no site has role "production"', 'mark the site that normally serves traffic with role: production');
    env.records.forEach((rec, ri) => {
      for (const site of Object.keys(rec.values)) {
        if (!sites.has(site)) add(['environments', ei, 'records', ri, 'values', site], `site "${site}" does not exist`, `use one of: ${[...sites].join(', ')}`);
      }
      if (!rec.name.endsWith(env.zone.replace(/\.$/, ''))) add(['environments', ei, 'records', ri, 'name'], `record is not inside zone "${env.zone}"`, 'use a name under the environment zone');
      if (rec.failoverTtlSeconds > rec.ttlSeconds) add(['environments', ei, 'records', ri, 'failoverTtlSeconds'], 'failover TTL is longer than the normal TTL', 'the failover TTL is the lowered TTL used before a switch: make it ≤ ttlSeconds');
    });
    env.databases.forEach((db, di) => {
      if (!sites.has(db.site)) add(['environments', ei, 'databases', di, 'site'], `site "${db.site}" does not exist`, `use one of: ${[...sites].join(', ')}`);
    });
    const provNames = new Set(env.dnsProviders.map((p) => p.name));
    if (provNames.size !== env.dnsProviders.length) add(['environments', ei, 'dnsProviders'], 'duplicate DNS provider names', 'give each provider a unique name');
  });
  return out;
}
