/**
 * Errors travel as data across the contract: every ConsoleApi call resolves to a Result.
 * OpError is a discriminated union on `kind`; each carries a human message and a fix hint.
 */
import { z } from 'zod';

export const opErrorKinds = [
  'invalid-input',
  'unreachable',
  'unsafe-plan',
  'timeout',
  'conflict',
  'auth',
  'not-found',
  'unsupported',
  'internal',
] as const;

export type OpErrorKind = (typeof opErrorKinds)[number];

export const OpErrorSchema = z.object({
  kind: z.enum(opErrorKinds),
  /** What went wrong, in one sentence a person can act on. */
  message: z.string(),
  /** How to fix it (which file, field or command). */
  hint: z.string().optional(),
  /** Where: "workspace.yaml:12:5 environments[0].sites[1].address", a target id, a method name. */
  where: z.string().optional(),
});

export type OpError = z.infer<typeof OpErrorSchema>;

export type Result<T> = { ok: true; value: T } | { ok: false; error: OpError };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (kind: OpErrorKind, message: string, hint?: string, where?: string): Result<never> => ({
  ok: false,
  error: { kind, message, ...(hint !== undefined ? { hint } : {}), ...(where !== undefined ? { where } : {}) },
});
