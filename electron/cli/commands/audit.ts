/**
 * `standby audit verify`: checks the hash chain of the workspace's audit log.
 */
import type { Command } from 'commander';
import { EXIT_CODES } from '../exit-codes.ts';
import { exitWith } from '../exit-with.ts';
import { workspaceOption } from '../options.ts';
import { resolveWorkspace } from '../resolve-workspace.ts';
import { UsageError } from '../usage-error.ts';

/** Adds `audit` (with its subcommand `verify`) to `program`. */
export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('the audit log of every action, approval and override');
  audit
    .command('verify')
    .description(
      `check the audit log's hash chain, Ed25519 signatures and the head kept in the store, and print what it cannot prove (exit ${EXIT_CODES.ok} intact, ${EXIT_CODES.failed} broken, ${EXIT_CODES.usage} bad workspace or key)`,
    )
    .addOption(workspaceOption())
    .option(
      '--public-key <key>',
      'trusted public key: base64 of the 32 raw bytes (a signed entry\'s "key") or a PEM file (default: the local signing key file\'s public half)',
    )
    .action(
      exitWith(async (o: { workspace?: string; publicKey?: string }) => {
        const { loadWorkspace, formatIssues } = await import('../../core/config/load-workspace.ts');
        const r = await loadWorkspace(resolveWorkspace(o.workspace));
        if (!r.ok) throw new UsageError(`the workspace is invalid:\n${formatIssues(r.issues)}`);
        const { auditVerifyCommand } = await import('../run-commands.ts');
        return auditVerifyCommand(r.workspace.store.path, o.publicKey === undefined ? {} : { publicKey: o.publicKey });
      }),
    );
}
