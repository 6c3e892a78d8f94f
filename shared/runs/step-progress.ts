/** Progress of a long step (TTL countdown, lag wait), pushed as a `step-progress` event. */
import { z } from 'zod';

export const StepProgressSchema = z.object({
  /** One line for the timeline, e.g. `old TTL drains in 23 s`. */
  message: z.string(),
  /** 0..1 when the step knows how far along it is. */
  fraction: z.number().optional(),
  /** Time left, ms, when the step is a wait. */
  remainingMs: z.number().optional(),
  /** A measured value and its unit (e.g. lag 1200 `bytes`). */
  value: z.number().optional(),
  unit: z.string().optional(),
});
/** `{ message, fraction? (0..1), remainingMs? (ms), value?, unit? }`. */
export type StepProgress = z.infer<typeof StepProgressSchema>;
