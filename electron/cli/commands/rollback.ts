/**
 * `standby rollback RUN_ID`: undoes what an aborted, failed or paused run changed, last step
 * first, after showing the undo steps and asking for the environment name (unless --yes).
 */
import { Option, type Command } from 'commander';
import { EXIT_CODES } from '../exit-codes.ts';
import { exitWith } from '../exit-with.ts';
import { withCore } from '../open-core.ts';
import { jsonOption, workspaceOption } from '../options.ts';
import { resolveWorkspace } from '../resolve-workspace.ts';

interface RollbackOptions {
  workspace?: string;
  yes?: boolean;
  json?: boolean;
}

/** Adds `rollback` to `program`. */
export function registerRollback(program: Command): void {
  program
    .command('rollback')
    .description(
      `show what a paused, aborted or failed run changed, confirm, and undo it, last step first (exit ${EXIT_CODES.ok} only when every undo verified)`,
    )
    .argument('<run-id>', 'the run id printed by `standby run` (or listed by `standby runs`)')
    .addOption(workspaceOption())
    .addOption(new Option('--yes', 'do not ask to type the environment name (automation)'))
    .addOption(jsonOption())
    .action(
      exitWith(async (runId: string, o: RollbackOptions) => {
        const { rollbackCommand } = await import('../run-commands.ts');
        return withCore(resolveWorkspace(o.workspace), (core) =>
          rollbackCommand(core, runId, { yes: Boolean(o.yes), json: Boolean(o.json) }),
        );
      }),
    );
}
