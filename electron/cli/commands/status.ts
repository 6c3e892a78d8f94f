/**
 * `standby status`: one snapshot of an environment, as text or JSON; the exit code says
 * whether every site is healthy.
 */
import type { Command } from 'commander';
import { EXIT_CODES } from '../exit-codes.ts';
import { exitWith } from '../exit-with.ts';
import { envOrFirst, withCore } from '../open-core.ts';
import { envOption, jsonOption, workspaceOption } from '../options.ts';
import { resolveWorkspace } from '../resolve-workspace.ts';
import { UsageError } from '../usage-error.ts';
import { formatStatus } from '../format-status.ts';

interface StatusOptions {
  workspace?: string;
  env?: string;
  json?: boolean;
}

/** Adds `status` to `program`. */
export function registerStatus(program: Command): void {
  program
    .command('status')
    .description(
      `poll an environment once and print its sites, DNS, databases, RPO and RTO (exit ${EXIT_CODES.ok} all sites healthy, ${EXIT_CODES.unhealthy} not, ${EXIT_CODES.splitBrain} split brain)`,
    )
    .addOption(workspaceOption())
    .addOption(envOption())
    .addOption(jsonOption())
    .action(
      exitWith((o: StatusOptions) =>
        withCore(resolveWorkspace(o.workspace), async (core) => {
          const envName = envOrFirst(core, o.env);
          const snap = await core.pollOnce(envName);
          if (!snap)
            throw new UsageError(
              `no environment named "${envName}". Fix: use one of ${core.workspace.environments.map((e) => e.name).join(', ')}`,
            );
          console.log(o.json ? JSON.stringify(snap, null, 2) : formatStatus(snap));
          // split brain outranks everything: two writable primaries is never "just unhealthy"
          if (snap.splitBrain) return EXIT_CODES.splitBrain;
          return snap.sites.every((s) => s.state === 'healthy') ? EXIT_CODES.ok : EXIT_CODES.unhealthy;
        }),
      ),
    );
}
