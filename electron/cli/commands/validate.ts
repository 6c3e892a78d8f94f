/**
 * `standby validate`: checks the workspace file and prints file:line:col issues.
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
      `check the workspace file; prints every issue as file:line:col field: message (exit ${EXIT_CODES.usage} when invalid)`,
    )
    .addOption(workspaceOption())
    .action(
      exitWith(async (o: { workspace?: string }) => {
        const { loadWorkspace, formatIssues } = await import('../../core/config/load-workspace.ts');
        const r = await loadWorkspace(resolveWorkspace(o.workspace));
        if (!r.ok) {
          console.error(formatIssues(r.issues));
          return EXIT_CODES.usage;
        }
        console.log(`${r.path}: valid (${r.workspace.environments.length} environment(s))`);
        return EXIT_CODES.ok;
      }),
    );
}
