/**
 * Options shared by several commands, each defined once: flags, help text, parser and
 * validation. Parsers throw commander's InvalidArgumentError, which commander prints as
 * `option '--port <number>' argument 'x' is invalid. …` and the CLI exits 2.
 */
import { InvalidArgumentError, Option } from 'commander';
import type { SafetyOverride } from '../../shared/runs/safety-verdict.ts';
import { WORKSPACE_LOOKUP } from './resolve-workspace.ts';
import { UsageError } from './usage-error.ts';

/**
 * A parser for an integer option in [min, max].
 * @returns (value: string) => number; throws InvalidArgumentError naming the range
 */
export function integerIn(min: number, max: number, note = ''): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min || n > max)
      throw new InvalidArgumentError(`Expected an integer from ${min} to ${max}${note}.`);
    return n;
  };
}

/** `--workspace <file>`: string | undefined (see resolveWorkspace for the default). */
export const workspaceOption = (): Option =>
  new Option('--workspace <file>', `workspace YAML (default: ${WORKSPACE_LOOKUP})`);

/** `--env <name>`: string | undefined; commands use the workspace's first environment when absent. */
export const envOption = (): Option =>
  new Option('--env <name>', 'environment name (default: the first one in the workspace)');

/** `--json`: boolean | undefined. */
export const jsonOption = (): Option => new Option('--json', 'print JSON instead of text');

/** `--port <number>`: TCP port, 0–65535, 0 = any free port; default 7420. */
export const portOption = (): Option =>
  new Option('--port <number>', 'TCP port (0 = any free port)').argParser(integerIn(0, 65535)).default(7420);

/** One `--force RULE=REASON` as typed, before the rule and reason are checked. */
export interface ForceValue {
  rule: string;
  reason: string;
}

/** Collects repeated `--force` values; checks the RULE=REASON shape. */
function collectForce(value: string, previous: ForceValue[] = []): ForceValue[] {
  const i = value.indexOf('=');
  if (i <= 0 || !value.slice(i + 1).trim())
    throw new InvalidArgumentError(
      'Expected RULE=REASON, e.g. --force "lag-within-rpo=primary site lost, accepting data loss".',
    );
  return [...previous, { rule: value.slice(0, i).trim(), reason: value.slice(i + 1) }];
}

/** `--force <RULE=REASON>`, repeatable: ForceValue[] | undefined. Check with {@link validateOverrides}. */
export const forceOption = (): Option =>
  new Option(
    '--force <RULE=REASON>',
    'lift an overridable safety refusal, with a reason that goes to the audit log (repeatable)',
  ).argParser(collectForce);

/**
 * Checks each `--force` against the override schema the API applies (known rule, reason of at
 * least 10 characters). Loads the schema only when there is something to check, so help and
 * plain commands do not pay for it.
 * @throws UsageError naming the option, the problem and the fix
 */
export async function validateOverrides(values: readonly ForceValue[] = []): Promise<SafetyOverride[]> {
  if (values.length === 0) return [];
  const { SafetyOverrideSchema, safetyRuleNames } = await import('../../shared/runs/safety-verdict.ts');
  return values.map((v) => {
    const r = SafetyOverrideSchema.safeParse(v);
    if (r.success) return r.data;
    const where = `option '--force ${v.rule}=${v.reason}'`;
    if (r.error.issues.some((i) => i.path[0] === 'rule'))
      throw new UsageError(`${where}: unknown safety rule "${v.rule}". Fix: use one of ${safetyRuleNames.join(', ')}`);
    throw new UsageError(`${where}: ${r.error.issues.map((i) => i.message).join('; ')}`);
  });
}
