/**
 * The exit codes of `standby`, in one table: scripts depend on them, and the root help lists
 * them from here.
 */
export const EXIT_CODES = { ok: 0, failed: 1, usage: 2, unhealthy: 3, refused: 4, splitBrain: 5 } as const;

/** What each exit code means (the help text). */
const MEANING: Record<keyof typeof EXIT_CODES, string> = {
  ok: 'done (status: every site healthy)',
  failed: 'the operation failed, or a run (or its rollback) did not end with every step verified',
  usage: 'usage error: unknown command or option, bad option value, no or invalid workspace',
  unhealthy: 'status: a site is not healthy',
  refused: 'plan: a safety rule refuses or cannot judge a step (run would stop without --force)',
  splitBrain: 'status: split brain, two writable primaries',
};

/** The "Exit codes:" help section, one line per code. */
export function describeExitCodes(): string {
  const rows = (Object.keys(EXIT_CODES) as (keyof typeof EXIT_CODES)[]).map((k) => `  ${EXIT_CODES[k]}  ${MEANING[k]}`);
  return ['Exit codes:', ...rows].join('\n');
}
