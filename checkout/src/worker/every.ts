// A background task of the worker (sweeper, payment reversals): run `task` every `intervalMs`,
// never overlapping, an error logged and retried at the next interval, until stop().
export interface Repeating {
  /** Stop scheduling and wait for a run in progress. */
  stop(): Promise<void>;
}

export function every(intervalMs: number, task: () => Promise<void>, onError: (err: unknown) => void): Repeating {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = task()
      .catch(onError)
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  timer = setTimeout(tick, intervalMs);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
