/**
 * Step `approval`: the run pauses here until a person approves it in the UI (or the CLI). The
 * engine handles the gate (`requiresApproval`): it marks the step verified with the approver as
 * evidence and never calls act/verify, which are no-ops for completeness.
 *
 * ```yaml
 * - id: go
 *   kind: approval
 *   params: { message: "Primary site confirmed down by the network team?" }
 * ```
 */
import { z } from 'zod';
import type { StepKind } from '../step-kind.ts';

/** Params of `approval`. */
export const approvalParams = z
  .object({
    /** What the approver confirms, shown at the gate. */
    message: z.string().min(1).max(500).default('Continue the run?'),
  })
  .strict();
/** Parsed params of `approval`. */
export type ApprovalParams = z.output<typeof approvalParams>;

/** `approval` (see the file comment). */
export const approvalKind: StepKind<ApprovalParams> = {
  kind: 'approval',
  params: approvalParams,
  requiresApproval: true,
  describe: (p) => `Approval: ${p.message}`,
  plan: async (_ctx, p) => ({
    changes: [],
    commands: [],
    alreadyDone: false,
    notes: [`the run pauses here until a person approves: ${p.message}`],
    effects: [],
  }),
  isDone: async () => ({ done: false, evidence: 'an approval is given by a person, never found' }),
  act: async () => {},
  verify: async () => ({ ok: true, evidence: 'approved' }),
};
