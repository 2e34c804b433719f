// A turn of one user while it holds that user's lock: the state it works on, its user message until a commit
// stores it, and its commits one at a time. A customer-service or template message for the same user (the
// server under test calls the platform API while it handles the push, and awaits the answer before replying)
// commits through it under the lock the turn already holds, instead of waiting for a lock that would never come.
import type { StoredMessage } from '../contract.ts';
import type { Follower, InteractionWindow } from '../store/chat-store.ts';
import type { Session } from '../session.ts';

/** The user's state as the turn has it: what its commits write. */
export type TurnState = { session: Session; follower?: Follower; window?: InteractionWindow };

export class RunningTurn {
  /** The user's message of this turn while no commit has stored it yet (none for a first connection's welcome). */
  pendingMessage?: StoredMessage;
  /** Set once a delivery's commit stored the user's message ahead of the replies. */
  storedEarly = false;
  private queue: Promise<unknown> = Promise.resolve();
  /** Set once a delivery joined the turn: only then has the turn's end something to wait for. */
  private hasJoined = false;

  constructor(
    public state: TurnState,
    /** The socket whose ack carries the turn's message: it gets no push of it. */
    readonly origin?: string,
  ) {}

  /** Runs `work` after every commit queued before it, so the turn's commits keep their order. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** A delivery's commit, run as the turn's commits are (exclusive). */
  join<T>(work: () => Promise<T>): Promise<T> {
    this.hasJoined = true;
    return this.exclusive(work);
  }

  /** Settles once every delivery that joined the turn is done; undefined when none did. */
  get joined(): Promise<unknown> | undefined {
    return this.hasJoined ? this.queue : undefined;
  }
}
