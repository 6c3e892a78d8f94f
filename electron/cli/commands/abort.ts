/**
 * `standby abort RUN_ID`: ends a paused or interrupted run (status `aborted`, the environment's
 * lock released, audited), or asks a run executing elsewhere to stop after its current step.
 * Changes nothing else: the rollbacks it then offers run with `standby rollback`.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { EXIT_CODES } from '../exit-codes.ts';
import { exitWith } from '../exit-with.ts';
import { withCore } from '../open-core.ts';
import { jsonOption, workspaceOption } from '../options.ts';
import { resolveWorkspace } from '../resolve-workspace.ts';

interface AbortOptions {
  workspace?: string;
  reason?: string;
  json?: boolean;
}

/** Adds `abort` to `program`. */
export function registerAbort(program: Command): void {
  program
    .command('abort')
    .description(
      `end a paused or interrupted run and release its lock, changing nothing (a running one stops after its current step; exit ${EXIT_CODES.ok} once aborted)`,
    )
    .argument('<run-id>', 'the run id printed by `standby run` (or listed by `standby runs`)')
    .addOption(new Option('--reason <text>', 'why, for the audit log').argParser(reasonText))
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action(
      exitWith(async (runId: string, o: AbortOptions) => {
        const { abortCommand } = await import('../run-commands.ts');
        return withCore(resolveWorkspace(o.workspace), (core) =>
          abortCommand(core, runId, { json: Boolean(o.json), ...(o.reason ? { reason: o.reason } : {}) }),
        );
      }),
    );
}

/** `--reason` as the abortRun API takes it: at most 500 characters (else a usage error, exit 2). */
function reasonText(value: string): string {
  if (value.length > 500) throw new InvalidArgumentError(`Expected at most 500 characters, got ${value.length}.`);
  return value;
}
