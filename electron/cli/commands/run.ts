/**
 * `standby run RUNBOOK`: plans, asks for the environment name (unless --yes), runs and prints
 * the live timeline.
 */
import { Option, type Command } from 'commander';
import { EXIT_CODES } from '../exit-codes.ts';
import { exitWith } from '../exit-with.ts';
import { envOrFirst, withCore } from '../open-core.ts';
import { envOption, forceOption, jsonOption, validateOverrides, workspaceOption, type ForceValue } from '../options.ts';
import { resolveWorkspace } from '../resolve-workspace.ts';

interface RunOptions {
  workspace?: string;
  env?: string;
  yes?: boolean;
  json?: boolean;
  force?: ForceValue[];
}

/** Adds `run` to `program`. */
export function registerRun(program: Command): void {
  program
    .command('run')
    .description(
      `plan RUNBOOK, confirm, run it and print the timeline (exit ${EXIT_CODES.ok} only when every step verified)`,
    )
    .argument('<runbook>', 'runbook name (a file in the workspace runbooks directory)')
    .addOption(envOption())
    .addOption(workspaceOption())
    .addOption(new Option('--yes', 'do not ask to type the environment name (automation)'))
    .addOption(jsonOption())
    .addOption(forceOption())
    .action(
      exitWith(async (runbook: string, o: RunOptions) => {
        const overrides = await validateOverrides(o.force);
        const { runCommand } = await import('../run-commands.ts');
        return withCore(resolveWorkspace(o.workspace), (core) =>
          runCommand(core, envOrFirst(core, o.env), runbook, { yes: Boolean(o.yes), json: Boolean(o.json), overrides }),
        );
      }),
    );
}
