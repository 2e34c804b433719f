// Internal to the lowdb store: when checkpoints run. A checkpoint is asked for after each change and runs
// `delayMs` later, one at a time; a failed one is tried again after the delay while there is still
// something to write. Its states are explicit, and the timer is injectable so tests drive it without waiting.
export type CheckpointState = 'idle' | 'scheduled' | 'running' | 'closed';

/** Calls `callback` after `delayMs`; the function returned cancels it. */
export type Scheduler = (delayMs: number, callback: () => void) => () => void;

/** Node's timers, not keeping the process alive: a pending checkpoint is no reason to stay up. */
export const timerScheduler: Scheduler = (delayMs, callback) => {
  const timer = setTimeout(callback, delayMs);
  timer.unref();
  return () => clearTimeout(timer);
};

export type CheckpointerOptions = {
  delayMs: number;
  /** Whether there is anything left to write: after a run, another is scheduled only then. */
  needed: () => boolean;
  scheduler?: Scheduler;
};

export class Checkpointer {
  private current: CheckpointState = 'idle';
  private cancel?: () => void;
  private running?: Promise<void>;

  constructor(
    private readonly write: () => Promise<void>,
    private readonly options: CheckpointerOptions,
  ) {}

  get state(): CheckpointState {
    return this.current;
  }

  /** Asks for a checkpoint within delayMs; one scheduled or running already answers it. */
  request(): void {
    if (this.current !== 'idle' || !this.options.needed()) return;
    this.current = 'scheduled';
    this.cancel = (this.options.scheduler ?? timerScheduler)(this.options.delayMs, () => {
      this.cancel = undefined;
      void this.run().catch(() => undefined); // run() schedules the retry itself
    });
  }

  /** Runs a checkpoint now, or joins the one running; rejects when it fails (and a retry is scheduled). */
  run(): Promise<void> {
    if (this.running) return this.running;
    if (this.current === 'closed') return Promise.resolve();
    this.cancel?.();
    this.cancel = undefined;
    this.current = 'running';
    this.running = this.write().finally(() => {
      this.running = undefined;
      if (this.current === 'closed') return;
      this.current = 'idle';
      this.request(); // what changed during the run, or what a failed run could not write
    });
    return this.running;
  }

  /** Schedules nothing more, waits for the running checkpoint, then runs a last one; never rejects. */
  async close(): Promise<void> {
    const running = this.running;
    this.cancel?.();
    this.cancel = undefined;
    this.current = 'closed';
    await running?.catch(() => undefined);
    await this.write().catch(() => undefined);
  }
}
