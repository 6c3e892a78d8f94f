/**
 * Runs `round` every `intervalMs`, never overlapping: the next round starts `intervalMs` after
 * the previous one *started*, or right after it ended when it overran. A throwing round is
 * reported to `onError` and the loop goes on (one failing domain must not stop the others).
 */
export interface PollLoop {
  stop(): Promise<void>;
}

export function startPollLoop(intervalMs: number, round: () => Promise<void>, onError: (e: unknown) => void): PollLoop {
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();
  const tick = (): void => {
    if (stopped) return;
    const started = Date.now();
    running = round()
      .catch(onError)
      .finally(() => {
        if (stopped) return;
        timer = setTimeout(tick, Math.max(0, intervalMs - (Date.now() - started)));
      });
  };
  tick();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
