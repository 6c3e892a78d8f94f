/**
 * `standby resume RUN_ID`: continues a paused, failed or interrupted run where its journal
 * says it stopped.
 */
import type { Command } from 'commander';
import { EXIT_CODES } from '../exit-codes.ts';
import { exitWith } from '../exit-with.ts';
import { withCore } from '../open-core.ts';
import { forceOption, jsonOption, validateOverrides, workspaceOption, type ForceValue } from '../options.ts';
import { resolveWorkspace } from '../resolve-workspace.ts';

interface ResumeOptions {
  workspace?: string;
  json?: boolean;
  force?: ForceValue[];
}

/** Adds `resume` to `program`. */
export function registerResume(program: Command): void {
  program
    .command('resume')
    .description(
      `resume a run after a crash, a pause or a failed step (exit ${EXIT_CODES.ok} only when every step verified)`,
    )
    .argument('<run-id>', 'the run id printed by `standby run` (or listed by `standby runs`)')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .addOption(forceOption())
    .action(
      exitWith(async (runId: string, o: ResumeOptions) => {
        const overrides = await validateOverrides(o.force);
        const { resumeCommand } = await import('../run-commands.ts');
        return withCore(resolveWorkspace(o.workspace), (core) =>
          resumeCommand(core, runId, { json: Boolean(o.json), overrides }),
        );
      }),
    );
}
