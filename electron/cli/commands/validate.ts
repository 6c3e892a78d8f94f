/**
 * `standby validate`: checks the workspace file and every runbook of its runbooks folder, and
 * prints each issue as `file:line:col field: message. Fix: hint`.
 */
import type { Command } from 'commander';
import { EXIT_CODES } from '../exit-codes.ts';
import { exitWith } from '../exit-with.ts';
import { workspaceOption } from '../options.ts';
import { resolveWorkspace } from '../resolve-workspace.ts';

/** Adds `validate` to `program`. */
export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description(
      `check the workspace file and its runbooks (step kinds, params, the sites, nodes, records and slots they name); prints every issue as file:line:col field: message (exit ${EXIT_CODES.usage} when any is invalid)`,
    )
    .addOption(workspaceOption())
    .action(exitWith(async (o: { workspace?: string }) => validate(resolveWorkspace(o.workspace))));
}

/**
 * Validates the workspace at `path`, then (when it is valid) each runbook against it.
 * @returns EXIT_CODES.ok, or EXIT_CODES.usage when the workspace or any runbook has an issue
 *          (each printed to stderr; the valid runbooks are still listed on stdout).
 */
export async function validate(path: string): Promise<number> {
  const { loadWorkspace, formatIssues } = await import('../../core/config/load-workspace.ts');
  const { loadRunbooksDir } = await import('../../core/runbooks/load-runbook.ts');
  const { createBuiltinStepRegistry } = await import('../../core/runbooks/builtin-steps.ts');
  const r = await loadWorkspace(path);
  if (!r.ok) {
    console.error(formatIssues(r.issues));
    return EXIT_CODES.usage;
  }
  const dir = r.workspace.runbooksDir;
  const files = await loadRunbooksDir(dir, createBuiltinStepRegistry(), { environments: r.workspace.environments });
  const envs = `${r.workspace.environments.length} environment(s)`;
  if (files === null) {
    console.log(`${r.path}: valid (${envs}); no runbooks folder at ${dir}`);
    return EXIT_CODES.ok;
  }
  const bad = files.filter((f) => !f.result.ok);
  for (const f of files) if (f.result.ok) console.log(`${f.path}: valid (${f.result.runbook.steps.length} step(s))`);
  for (const f of bad) if (!f.result.ok) console.error(formatIssues(f.result.issues));
  if (bad.length > 0) {
    console.error(`${bad.length} of ${files.length} runbook(s) in ${dir} invalid`);
    return EXIT_CODES.usage;
  }
  console.log(`${r.path}: valid (${envs}, ${files.length} runbook(s))`);
  return EXIT_CODES.ok;
}
