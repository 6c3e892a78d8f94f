/**
 * `standby plan RUNBOOK`: every change, command and safety verdict a run would make, without
 * running it.
 */
import type { Command } from 'commander';
import { EXIT_CODES } from '../exit-codes.ts';
import { exitWith } from '../exit-with.ts';
import { envOrFirst, withCore } from '../open-core.ts';
import { envOption, jsonOption, workspaceOption } from '../options.ts';
import { resolveWorkspace } from '../resolve-workspace.ts';

interface PlanOptions {
  workspace?: string;
  env?: string;
  json?: boolean;
}

/** Adds `plan` to `program`. */
export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description(
      `print what a run of RUNBOOK would change: steps, commands, safety verdicts (exit ${EXIT_CODES.refused} when a rule refuses or cannot judge)`,
    )
    .argument('<runbook>', 'runbook name (a file in the workspace runbooks directory)')
    .addOption(envOption())
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action(
      exitWith(async (runbook: string, o: PlanOptions) => {
        const { planCommand } = await import('../run-commands.ts');
        return withCore(resolveWorkspace(o.workspace), (core) =>
          planCommand(core, envOrFirst(core, o.env), runbook, Boolean(o.json)),
        );
      }),
    );
}
