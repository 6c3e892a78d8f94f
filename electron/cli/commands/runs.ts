/**
 * `standby runs`: the run history of an environment, newest first, one line per run.
 */
import { Option, type Command } from 'commander';
import type { RunSummary } from '../../../shared/runs/run-summary.ts';
import { EXIT_CODES } from '../exit-codes.ts';
import { exitWith } from '../exit-with.ts';
import { envOrFirst, withCore } from '../open-core.ts';
import { envOption, integerIn, jsonOption, workspaceOption } from '../options.ts';
import { resolveWorkspace } from '../resolve-workspace.ts';

interface RunsOptions {
  workspace?: string;
  env?: string;
  limit: number;
  json?: boolean;
}

/** Adds `runs` to `program`. */
export function registerRuns(program: Command): void {
  program
    .command('runs')
    .description('list recent runs of an environment, newest first: id, start (UTC), runbook, status, duration')
    .addOption(envOption())
    .addOption(workspaceOption())
    // 200: the most the listRuns API returns at once
    .addOption(new Option('--limit <count>', 'how many runs').argParser(integerIn(1, 200)).default(20))
    .addOption(jsonOption())
    .action(
      exitWith((o: RunsOptions) =>
        withCore(resolveWorkspace(o.workspace), async (core) => {
          const r = await core.api.listRuns({ env: envOrFirst(core, o.env), limit: o.limit });
          if (!r.ok) throw new Error(`${r.error.message}${r.error.hint ? `. Fix: ${r.error.hint}` : ''}`);
          if (o.json) console.log(JSON.stringify(r.value, null, 2));
          else console.log(r.value.length ? r.value.map(formatRunRow).join('\n') : 'no runs yet');
          return EXIT_CODES.ok;
        }),
      ),
    );
}

/**
 * One run as a line: `<runId>  2026-03-04 12:03:04  failover on prod  succeeded  in 1.2 s`,
 * with the pause reason or detail of a run that did not succeed.
 */
export function formatRunRow(r: RunSummary): string {
  const at = new Date(r.createdAt).toISOString().slice(0, 19).replace('T', ' ');
  const status = r.status === 'paused' && r.pauseReason ? `paused (${r.pauseReason})` : r.status;
  const took = r.durationMs !== null ? `  in ${(r.durationMs / 1000).toFixed(1)} s` : '';
  const detail = r.status !== 'succeeded' && r.detail ? `  — ${r.detail}` : '';
  return `${r.runId}  ${at}  ${r.runbook} on ${r.env}  ${status}${took}${detail}`;
}
