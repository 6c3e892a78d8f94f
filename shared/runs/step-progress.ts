/** Progress of a long step (TTL countdown, lag wait), pushed as a `step-progress` event. */
export interface StepProgress {
  /** One line for the timeline, e.g. `old TTL drains in 23 s`. */
  message: string;
  /** 0..1 when the step knows how far along it is. */
  fraction?: number;
  /** Time left, ms, when the step is a wait. */
  remainingMs?: number;
  /** A measured value and its unit (e.g. lag 1200 `bytes`). */
  value?: number;
  unit?: string;
}
