import type { z } from 'zod';
import type { Result } from '../result.ts';

/**
 * The typed functions of a map of argument schemas: each takes its method's argument (as a
 * client writes it: `z.input`, defaults optional) and resolves to a `Result` of what `Returns`
 * names for it. Used for the whole `ConsoleApi` and for each capability's slice of it.
 */
export type ApiOf<Methods extends Record<string, z.ZodType>, Returns extends { [M in keyof Methods]: unknown }> = {
  [M in keyof Methods]: (args: z.input<Methods[M]>) => Promise<Result<Returns[M]>>;
};
