/**
 * Opening the core for one command. The core (and everything it imports) is loaded here, on
 * first use, so `standby --help` and a usage error never pay for it.
 */
import type { Core, CoreOptions } from '../core/create-core.ts';
import { UsageError } from './usage-error.ts';

/**
 * Builds the core on `workspace` (not started), runs `fn`, and stops the core whatever happens.
 * @throws UsageError when the workspace is invalid (the message lists file:line:col issues);
 *         whatever `fn` throws
 */
export async function withCore<T>(workspace: string, fn: (core: Core) => Promise<T>): Promise<T> {
  const core = await openCore(workspace);
  try {
    return await fn(core);
  } finally {
    await core.stop();
  }
}

/**
 * Builds the core on `workspace` (not started); the caller stops it.
 * @throws UsageError when the workspace is invalid (the message lists file:line:col issues)
 */
export async function openCore(workspace: string, options: CoreOptions = {}): Promise<Core> {
  const { createCore } = await import('../core/create-core.ts');
  const created = await createCore(workspace, options);
  if (!created.ok) throw new UsageError(`the workspace is invalid:\n${created.message}`);
  return created.core;
}

/** `env` when given, else the workspace's first environment ('' when it has none). */
export function envOrFirst(core: Core, env: string | undefined): string {
  return env ?? core.workspace.environments[0]?.name ?? '';
}
