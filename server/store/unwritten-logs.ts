// Internal to the lowdb store: the users' logs whose changes only the journal has, and the checkpoint that
// writes them to the user files. A checkpoint retires the live journal, writes each changed log, syncs every
// folder it wrote in (once each), and only then drops the retired part: until that moment a crash loses
// nothing, and the replay (journal-replay.ts) heals whatever the checkpoint left half done.
import { Checkpointer, type Scheduler } from './checkpointer.ts';
import type { Journal } from './journal.ts';
import type { UserLog } from './user-log.ts';

export type UnwrittenLogsOptions = {
  /** How long a change may wait for its checkpoint. */
  delayMs: number;
  /** A live journal this big is checkpointed at once. */
  bytes: number;
  /** Logs written at the same time. */
  parallelism: number;
  /** Makes the names of the files written durable: the folders' syncs. */
  syncFolders: () => Promise<void>;
  warn: (message: string, err?: unknown) => void;
  scheduler?: Scheduler;
};

export class UnwrittenLogs {
  private readonly logs = new Set<UserLog>();
  private readonly checkpointer: Checkpointer;
  private closed = false;

  constructor(
    private readonly journal: Journal,
    private readonly options: UnwrittenLogsOptions,
  ) {
    this.checkpointer = new Checkpointer(() => this.write(), { delayMs: options.delayMs, needed: () => this.logs.size > 0, scheduler: options.scheduler });
  }

  /** How many logs have changes the files do not. */
  get size(): number {
    return this.logs.size;
  }

  /** Notes a log with changes, and makes sure a checkpoint will come. */
  changed(log: UserLog): void {
    this.logs.add(log);
    if (this.closed) return; // the journal keeps it for the next start
    if (this.journal.liveBytes >= this.options.bytes) void this.checkpointer.run().catch(() => undefined); // retried by the checkpointer
    else this.checkpointer.request();
  }

  /** Writes the logs the journal's replay changed, at once and without scheduling a retry: start-up waits for it, and stops if it fails. */
  writeReplayed(logs: Iterable<UserLog>): Promise<void> {
    for (const log of logs) if (log.dirty) this.logs.add(log);
    return this.write();
  }

  /** Runs a checkpoint now (or joins the one running); rejects when it fails, and a retry is scheduled. */
  checkpoint(): Promise<void> {
    return this.checkpointer.run();
  }

  /** Schedules no more checkpoints and runs a last one; resolves true when everything is in the user files. */
  async close(): Promise<boolean> {
    this.closed = true;
    await this.checkpointer.close();
    return this.logs.size === 0;
  }

  private async write(): Promise<void> {
    if (!this.journal.storage.hasRetired) await this.journal.retire();
    const logs = [...this.logs];
    this.logs.clear();
    let failure: unknown;
    const next = logs.values();
    const worker = async () => {
      for (let log = next.next(); !log.done; log = next.next()) {
        try {
          await log.value.flush();
        } catch (err) {
          failure ??= err;
        }
        if (log.value.dirty) this.logs.add(log.value); // the checkpointer schedules the next one for it
      }
    };
    await Promise.all(Array.from({ length: this.options.parallelism }, worker));
    if (!failure) await this.options.syncFolders().catch((err: unknown) => (failure = err));
    if (failure) {
      this.options.warn('checkpoint failed; the journal keeps the changes and it is retried', failure);
      throw failure;
    }
    await this.journal.storage.dropRetired();
  }
}
