import { z } from 'zod';

/** An environment name as a method argument: 1–64 of letters, digits, `_ . -`. */
export const envName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only');
