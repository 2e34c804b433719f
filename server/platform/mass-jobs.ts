// A mass message's deliveries as a durable job. What it sends and to whom is stored before its msg_id is answered,
// and how far it got every PROGRESS_EVERY recipients, so a job a crash cut short is taken up where it stopped: by
// this process at its next start, or by any process sharing the store. A lease (kind `mass-leases`, claimed and
// renewed) makes one process run it. A recipient after the last progress stored is not sent the message again when
// their history already holds it.
import type { Outbound } from '../contract.ts';
import type { ChatService } from '../core/chat-service.ts';
import type { Logger } from '../logger.ts';
import type { ChatStore, Records } from '../store/chat-store.ts';
import { Leases, type Lease } from '../store/leases.ts';
import { followerOf, type KnownUser } from './users.ts';

export type MassCounts = { total: number; filtered: number; sent: number; errors: number };
export type MassMsgType = 'text' | 'image' | 'voice' | 'mpnews';

/** A job as mass/get reads it: SENDING while its deliveries run, then SEND_SUCCESS with the counts; DELETE once deleted. */
export type MassJob = { msgId: string; msgDataId?: string; msgtype: MassMsgType; status: 'SENDING' | 'SEND_SUCCESS' | 'DELETE'; createdAt: number; counts?: MassCounts };

/** What a running job has still to do; gone once its MASSSENDJOBFINISH is pushed. */
type Progress = {
  outbound: Outbound;
  /** The API path that started it, for the delivered messages' trace. */
  path: string;
  /** Who was addressed (MASSSENDJOBFINISH's TotalCount), and how many of them followed when it started. */
  total: number;
  recipients: number;
  /** Recipients before this one are done; `filtered` counts down as recipients turn out to have unfollowed. */
  next: number;
  sent: number;
  filtered: number;
};

export type MassJobOptions = {
  /** Deliveries under way at once: enough to keep the store busy, few enough to leave room for chats. */
  deliveriesAtOnce?: number;
  /** How long a lease holds unless renewed (a third of it), and how often unfinished jobs are looked for. */
  leaseMs?: number;
  checkEveryMs?: number;
};

// Recipients are stored in records of this many, so no record grows with a 10 000-OpenID list or every follower.
const RECIPIENTS_A_RECORD = 1000;
// Progress is stored every this many recipients (a file write on lowdb): a crash leaves at most this many whose
// histories are read when the job is taken up, how far back those are read for the message it may have left.
const PROGRESS_EVERY = 256;
const HISTORY_LOOKED_AT = 50;

/** A recipient who unfollowed between the call and their delivery. */
class Unfollowed extends Error {}

type Outcome = 'sent' | 'unfollowed' | 'failed';

export class MassJobs {
  private readonly jobs: Records<MassJob>;
  private readonly progress: Records<Progress>;
  private readonly recipients: Records<KnownUser[]>;
  private readonly leases: Leases;
  private readonly deliveriesAtOnce: number;
  private readonly renewEveryMs: number;
  private readonly checkEveryMs: number;
  /** Jobs this process runs, by msg_id: what a check leaves alone and what stopping waits for. */
  private readonly running = new Map<string, Promise<void>>();
  private timer?: NodeJS.Timeout;
  private checking?: Promise<void>;

  constructor(
    private readonly parts: { store: ChatStore; service: ChatService; logger: Logger },
    /** Pushes MASSSENDJOBFINISH (in front of a target); a job is finished once this resolves. */
    private readonly finished: (job: MassJob, counts: MassCounts) => Promise<void>,
    { deliveriesAtOnce = 32, leaseMs = 15_000, checkEveryMs = 5000 }: MassJobOptions = {},
  ) {
    this.jobs = parts.store.records<MassJob>('mass-jobs');
    this.progress = parts.store.records<Progress>('mass-progress');
    this.recipients = parts.store.records<KnownUser[]>('mass-recipients');
    this.leases = new Leases(parts.store.records<string>('mass-leases'), leaseMs);
    this.deliveriesAtOnce = deliveriesAtOnce;
    this.renewEveryMs = leaseMs / 3;
    this.checkEveryMs = checkEveryMs;
  }

  get(msgId: string): Promise<MassJob | undefined> {
    return this.jobs.get(msgId);
  }

  put(job: MassJob): Promise<void> {
    return this.jobs.put(job.msgId, job);
  }

  /** Stores the job whole, then delivers in the background: once this resolves, no crash loses it. */
  async start(job: MassJob, outbound: Outbound, recipients: KnownUser[], total: number, path: string): Promise<void> {
    // Taken before anything is stored, so no other process's check takes up the job this one is starting.
    const lease = await this.leases.take(job.msgId);
    if (!lease) throw new Error(`mass message ${job.msgId} is already running`);
    for (let n = 0; n * RECIPIENTS_A_RECORD < recipients.length; n++) {
      const stored = recipients.slice(n * RECIPIENTS_A_RECORD, (n + 1) * RECIPIENTS_A_RECORD).map(({ openId, userId, recorded }) => ({ openId, userId, ...(recorded ? { recorded } : {}) }));
      await this.recipients.put(recipientsKey(job.msgId, n), stored);
    }
    await this.progress.put(job.msgId, { outbound, path, total, recipients: recipients.length, next: 0, sent: 0, filtered: recipients.length });
    await this.jobs.put(job.msgId, job);
    this.launch(job.msgId, lease, false);
  }

  /** Looks for unfinished jobs now and every so often, and takes up those no process holds. */
  open(): void {
    this.timer = setInterval(() => this.check(), this.checkEveryMs);
    this.timer.unref();
    this.check();
  }

  /** Stops looking, and waits until the jobs this process runs have delivered and pushed their event. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.checking;
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  private check(): void {
    if (this.checking) return;
    this.checking = this.takeUp()
      .catch((err: unknown) => this.parts.logger.warn({ err }, 'unfinished mass messages could not be looked for; trying again'))
      .finally(() => (this.checking = undefined));
  }

  private async takeUp(): Promise<void> {
    for (const { key } of await this.progress.list()) {
      if (this.running.has(key)) continue;
      const lease = await this.leases.take(key);
      if (!lease) continue;
      this.parts.logger.info({ msgId: key }, 'taking up a mass message a stopped process left unfinished');
      this.launch(key, lease, true);
    }
  }

  private launch(msgId: string, lease: Lease, resumed: boolean): void {
    const run = this.run(msgId, lease, resumed)
      .catch((err: unknown) => this.parts.logger.error({ err, msgId }, 'a mass message job failed; it is taken up again later'))
      .finally(() => this.running.delete(msgId));
    this.running.set(msgId, run);
  }

  private async run(msgId: string, taken: Lease, resumed: boolean): Promise<void> {
    const lease = this.kept(msgId, taken);
    try {
      const stored = await this.progress.get(msgId);
      const job = await this.jobs.get(msgId);
      if (!stored || !job) return; // finished meanwhile by another process
      let progress: Progress = stored;
      const trace = { api: { path: progress.path, msg_id: msgId } };
      // Only the recipients after the progress stored can have been reached before a crash.
      const lookUntil = resumed ? progress.next + PROGRESS_EVERY : 0;
      let saved = progress.next;
      let chunk: { n: number; recipients: KnownUser[] | undefined } | undefined;
      while (progress.next < progress.recipients) {
        if (lease.lost()) return;
        const n = Math.floor(progress.next / RECIPIENTS_A_RECORD);
        if (chunk?.n !== n) chunk = { n, recipients: await this.recipients.get(recipientsKey(msgId, n)) };
        const from = progress.next - n * RECIPIENTS_A_RECORD;
        const end = Math.min(from + this.deliveriesAtOnce, RECIPIENTS_A_RECORD, progress.recipients - n * RECIPIENTS_A_RECORD);
        // A record gone (removed by hand) leaves its recipients counted as errors, not the job stuck.
        const batch = chunk.recipients?.slice(from, end) ?? [];
        const lookFirst = progress.next < lookUntil;
        const outcomes = await Promise.all(batch.map((recipient) => this.deliverOne(recipient, progress.outbound, trace, lookFirst)));
        progress = {
          ...progress,
          next: progress.next + (end - from),
          sent: progress.sent + outcomes.filter((o) => o === 'sent').length,
          filtered: progress.filtered - outcomes.filter((o) => o === 'unfollowed').length,
        };
        if (progress.next - saved >= PROGRESS_EVERY || progress.next >= progress.recipients) {
          await this.progress.put(msgId, progress);
          saved = progress.next;
        }
      }
      if (lease.lost()) return;
      const counts: MassCounts = { total: progress.total, filtered: progress.filtered, sent: progress.sent, errors: progress.filtered - progress.sent };
      const current = (await this.jobs.get(msgId)) ?? job;
      await this.jobs.put(msgId, { ...current, status: current.status === 'DELETE' ? 'DELETE' : 'SEND_SUCCESS', counts });
      // Pushed before the job's progress is let go: a crash in between pushes it again, as the platform retries a push.
      await this.finished(current, counts);
      await this.progress.delete(msgId);
      for (let n = 0; n * RECIPIENTS_A_RECORD < progress.recipients; n++) await this.recipients.delete(recipientsKey(msgId, n));
    } finally {
      await lease.release();
    }
  }

  private async deliverOne(recipient: KnownUser, outbound: Outbound, trace: { api: { path: string; msg_id: string } }, lookFirst: boolean): Promise<Outcome> {
    try {
      if (lookFirst) {
        const recent = (await this.parts.store.history(recipient.userId, { limit: HISTORY_LOOKED_AT })) ?? [];
        if (recent.some((m) => (m.trace as typeof trace | undefined)?.api?.msg_id === trace.api.msg_id)) return 'sent';
      }
      // Checked again in the user's turn: one who unfollowed since the call is filtered out, not sent to.
      await this.parts.service.deliver(recipient.userId, [outbound], {
        trace,
        check: (state) => {
          if (!followerOf(recipient, state)?.subscribed) throw new Unfollowed();
          return undefined; // mass messages need no customer-service window
        },
      });
      return 'sent';
    } catch (err) {
      if (err instanceof Unfollowed) return 'unfollowed';
      this.parts.logger.warn({ err, userId: recipient.userId, msgId: trace.api.msg_id }, 'a mass message could not be delivered');
      return 'failed';
    }
  }

  /** Renews the lease while the job runs; `lost` once another process holds it (this one stalled past it). */
  private kept(msgId: string, lease: Lease): { lost: () => boolean; release: () => Promise<void> } {
    let lost = false;
    const renew = async () => {
      if (!(await lease.renew())) lost = true;
    };
    const timer = setInterval(() => void renew().catch((err: unknown) => this.parts.logger.warn({ err, msgId }, 'a mass message lease could not be renewed')), this.renewEveryMs);
    timer.unref();
    return {
      lost: () => lost,
      release: () => {
        clearInterval(timer);
        return lease.release();
      },
    };
  }
}

const recipientsKey = (msgId: string, n: number) => `${msgId}-${n}`;
