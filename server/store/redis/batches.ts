// Calls made together travel to Redis together: many users' messages read in one poll of the event loop each
// charge the rate limits, take a lock and commit, and a script per call costs a round trip, a command for
// ioredis to encode and parse, and a script run in Redis. A Batch collects the calls made until its flush
// runs and sends them as one script call; each caller still gets its own answer (or its own error).

/** When a batch goes: `setImmediate` once the poll has read every socket that had data, `process.nextTick` once the microtasks that are running now are done. */
export type Flush = (send: () => void) => void;

type Waiting<In, Out> = { item: In; resolve: (out: Out) => void; reject: (err: unknown) => void };

export class Batch<In, Out> {
  private waiting: Array<Waiting<In, Out>> = [];

  /**
   * `send` answers, in order, each item's result or the Error that item alone failed with; when it rejects,
   * every item of the batch fails with that. `most`: the items one call takes at most (1 sends each alone,
   * as on a cluster, where one script's keys must share a slot).
   */
  constructor(
    private readonly send: (items: In[]) => Promise<Array<Out | Error>>,
    private readonly flush: Flush,
    private readonly most: number,
  ) {}

  add(item: In): Promise<Out> {
    return new Promise((resolve, reject) => {
      if (this.waiting.length === 0) this.flush(() => this.sendWaiting());
      this.waiting.push({ item, resolve, reject });
    });
  }

  private sendWaiting(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (let from = 0; from < waiting.length; from += this.most) {
      const part = waiting.slice(from, from + this.most);
      // Through a promise: a send that throws at once fails its items, it does not lose them.
      new Promise<Array<Out | Error>>((resolve) => resolve(this.send(part.map((w) => w.item)))).then(
        (results) => part.forEach((w, i) => (results[i] instanceof Error ? w.reject(results[i]) : w.resolve(results[i] as Out))),
        (err: unknown) => part.forEach((w) => w.reject(err)),
      );
    }
  }
}
