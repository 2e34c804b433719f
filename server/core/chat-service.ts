// The one path every channel takes: who the user is, how often they may send, deduplication, the engine,
// storage, then publication. Transports only translate; the policy that applies to every channel is here.
import { EventEmitter } from 'node:events';
import AsyncLock from 'async-lock';
import type { Account, ApiCall, Exchange, Inbound, MenuButton, Outbound, StoredMessage, Trace } from '../contract.ts';
import type { Rule } from '../content/rules.ts';
import { respond, type Environment } from '../bot/engine.ts';
import { withRules, type Knowledge } from '../bot/knowledge.ts';
import { AppError } from './errors.ts';
import type { RateLimits } from './rate-limits.ts';
import { NEW_SESSION, type Session } from '../session.ts';
import { processIds, type Ids } from './ids.ts';
import type { ChatStore } from '../store/chat-store.ts';
import { parseId, parseInbound } from './validation.ts';

export type { Trace };

/** Whoever answers: the local engine by default, or another server (see wechat/remote-bot.ts). */
export type Responder = ((turn: {
  userId: string;
  session: Session;
  inbound: Inbound;
  env: Environment;
}) => Promise<{ replies: Outbound[]; session: Session; trace?: Trace }>) & {
  /** How long a turn may take, when longer than ACK_TIMEOUT_MS (a target's attempts): what `ready` tells the window. */
  replyDeadlineMs?: number;
};

export type ChatServiceOptions = {
  store: ChatStore;
  knowledge: Knowledge;
  /** Answers in place of the local engine. */
  responder?: Responder;
  /** The clock and dice the engine sees; tests pass fixed ones. */
  environment?: () => Environment;
  /** The per-user rate limit, charged for every message on every channel; none when not given. */
  limits?: Pick<RateLimits, 'user'>;
  /** Where message ids come from (this process's generator by default). */
  ids?: Ids;
};

/** Where a message came from: the socket whose ack carries the exchange gets no push of it. */
export type Origin = { socketId?: string };

/**
 * What the service tells the transports. `stored`: the messages one turn stored, of one user, in order (one
 * event a turn, so a transport can push them with one publish); `origin` is the socket whose ack already carries them.
 */
export type ServiceEvents = {
  stored: [messages: StoredMessage[], origin: string | undefined];
  account: [account: Account];
  typing: [userId: string, on: boolean];
  apiCall: [call: ApiCall];
};

// User ids cannot contain a space, so this queue never collides with a user's.
const RULES_QUEUE = 'rule changes';

export class ChatService {
  private knowledgeBase: Knowledge;
  private readonly store: ChatStore;
  private readonly environment: () => Environment;
  private readonly responder: Responder;
  private readonly limits?: Pick<RateLimits, 'user'>;
  private readonly events = new EventEmitter<ServiceEvents>();
  private readonly ids: Ids;
  /** One user's turns run one at a time in arrival order; different users' run side by side. */
  private readonly turns = new AsyncLock({ maxPending: Infinity });
  /** Turns running or waiting, by user: what busyUsers counts and stop() waits for. */
  private readonly pending = new Map<string, Set<Promise<unknown>>>();
  private stopping = false;

  constructor(options: ChatServiceOptions) {
    this.store = options.store;
    this.knowledgeBase = options.knowledge;
    this.limits = options.limits;
    this.ids = options.ids ?? processIds;
    this.environment = options.environment ?? (() => ({ now: new Date(), random: Math.random }));
    this.responder = options.responder ?? (async ({ session, inbound, env }) => respond(this.knowledgeBase, session, inbound, env));
    this.events.setMaxListeners(0);
  }

  get knowledge(): Knowledge {
    return this.knowledgeBase;
  }

  get account(): Account {
    return this.knowledgeBase.account;
  }

  /** Subscribes to what the transports pass on: stored messages, account changes, typing. */
  on<E extends keyof ServiceEvents>(event: E, listener: (...args: ServiceEvents[E]) => void): () => void {
    this.events.on(event, listener as never);
    return () => this.events.off(event, listener as never);
  }

  /**
   * Handles one untrusted inbound message from a user: the single entry point for all transports.
   * The user id is checked and the user's rate limit charged here, when the message arrives; `admission`
   * is a check the transport started at the same moment (its address limit). Both are awaited in the
   * user's turn, so a user's messages keep their order, and a refusal stores nothing.
   */
  async receive(rawUserId: unknown, input: unknown, { admission, origin }: { admission?: Promise<void>; origin?: Origin } = {}): Promise<Exchange> {
    const userId = parseId(rawUserId, 'userId');
    const admitted = Promise.all([admission, this.limits?.user(userId)]);
    admitted.catch(() => {}); // awaited below, maybe after other turns: not an unhandled rejection meanwhile
    if (this.stopping) throw new AppError('shutting_down', 'The server is shutting down; send this again once it is back.');
    return this.serialized(userId, async () => {
      await admitted;
      const inbound = parseInbound(input);
      if (inbound.clientId) {
        const earlier = await this.store.findExchange(userId, inbound.clientId);
        if (earlier) return earlier;
      }
      const user = await this.store.getUser(userId);
      const env = this.environment();
      const turn = await this.responder({ userId, session: user?.session ?? NEW_SESSION, inbound, env });
      const message = this.stamp(userId, 'user', turn.trace ? { ...inbound, trace: turn.trace } : inbound, env.now);
      const replies = turn.replies.map((r) => this.stamp(userId, 'bot', r, env.now, message.id));
      await this.store.commit(userId, { messages: [message, ...replies], session: turn.session, clientId: inbound.clientId });
      this.publish([message, ...replies], origin?.socketId);
      return { message, replies };
    });
  }

  /**
   * Stores bot messages that answer no inbound in particular (customer-service and template messages
   * the server under test sends through the platform API), in the user's turn, and pushes them to every tab.
   */
  deliver(userId: string, outbound: Outbound[], trace?: Trace): Promise<StoredMessage[]> {
    if (this.stopping) return Promise.reject(new AppError('shutting_down', 'The server is shutting down; send this again once it is back.'));
    return this.serialized(userId, async () => {
      const user = await this.store.getUser(userId);
      const env = this.environment();
      const messages = outbound.map((body) => this.stamp(userId, 'bot', trace ? { ...body, trace } : body, env.now));
      await this.store.commit(userId, { messages, session: user?.session ?? NEW_SESSION });
      this.publish(messages, undefined);
      return messages;
    });
  }

  /**
   * Opens a conversation: welcomes a user the first time they appear (as WeChat does on subscribe),
   * then hands `attach` the recent history. Both run in the user's queue, so no message of that user
   * is stored between reading the history and `attach` subscribing to what comes next.
   */
  connect(userId: string, historyLimit: number, attach: (history: StoredMessage[]) => void): Promise<void> {
    return this.serialized(userId, async () => {
      if (!(await this.store.getUser(userId))) {
        const env = this.environment();
        const turn = await this.responder({ userId, session: NEW_SESSION, inbound: { type: 'event', event: 'subscribe' }, env });
        const replies = turn.replies.map((r) => this.stamp(userId, 'bot', r, env.now));
        await this.store.commit(userId, { messages: replies, session: turn.session });
        this.publish(replies, undefined);
      }
      attach((await this.store.history(userId, { limit: historyLimit })) ?? []);
    });
  }

  /** Refuses new messages from now on (`shutting_down`), and resolves once every message already received is answered. */
  async stop(): Promise<void> {
    this.stopping = true;
    while (this.pending.size > 0) await Promise.allSettled([...this.pending.values()].flatMap((turns) => [...turns]));
  }

  /** Users with a turn running or waiting: zero when idle (for leak checks). */
  get busyUsers(): number {
    return this.pending.size;
  }

  history(userId: string, options: { limit: number; before?: string }): Promise<StoredMessage[] | undefined> {
    return this.store.history(userId, options);
  }

  rules(): Rule[] {
    return this.knowledgeBase.rules;
  }

  /**
   * Changes the stored keyword rules and answers with them from now on. Changes run one at a time,
   * so two clients editing at once never lose each other's edit; `change` may throw to refuse.
   */
  updateRules<T>(change: (rules: Rule[]) => { rules: Rule[]; result: T }): Promise<T> {
    return this.serialized(RULES_QUEUE, async () => {
      const { rules, result } = change(this.knowledgeBase.rules);
      await this.store.saveRules(rules);
      this.knowledgeBase = withRules(this.knowledgeBase, rules);
      return result;
    });
  }

  /** Answers with rules another process stored (the store passes them on; see ChatStore.onRulesChanged). */
  useRules(rules: Rule[]): void {
    this.knowledgeBase = withRules(this.knowledgeBase, rules);
  }

  /**
   * Shows a new bottom menu in every open chat window (the server under test created or deleted its menu).
   * `announce: false` only updates what new windows get: another process already told the open ones.
   */
  setMenu(menu: MenuButton[], { announce = true } = {}): void {
    this.knowledgeBase = { ...this.knowledgeBase, account: { ...this.knowledgeBase.account, menu } };
    if (announce) this.events.emit('account', this.knowledgeBase.account);
  }

  /** Shows or hides the typing indicator in the user's chat windows. */
  typing(userId: string, on: boolean): void {
    this.events.emit('typing', userId, on);
  }

  /**
   * Keeps a platform API call and shows it in every subscribed developer panel. Kept first, then shown: a
   * panel that subscribes in between finds it in recentApiCalls() or gets the event (the panel drops doubles by id).
   * Resolves (shown) even when it could not be kept, with the store's error for the caller to log.
   */
  async reportApiCall(call: Omit<ApiCall, 'id'>): Promise<void> {
    const kept: ApiCall = { id: this.ids.messageId(new Date()), ...call };
    try {
      await this.store.recordApiCall(kept);
    } finally {
      this.events.emit('apiCall', kept);
    }
  }

  /** The newest platform API calls kept, oldest first, for a developer panel that opens. */
  recentApiCalls(): Promise<ApiCall[]> {
    return this.store.recentApiCalls();
  }

  private stamp(userId: string, from: 'user' | 'bot', body: Inbound | Outbound | ((Inbound | Outbound) & { trace: Trace }), now: Date, replyTo?: string): StoredMessage {
    // Object.assign, then plain assignments: V8 runs a spread followed by more properties several times slower.
    const message = Object.assign({}, body) as StoredMessage;
    message.id = this.ids.messageId(now);
    message.userId = userId;
    message.from = from;
    message.createdAt = now.toISOString();
    if (replyTo) message.replyTo = replyTo;
    return message;
  }

  private publish(messages: StoredMessage[], origin: string | undefined): void {
    if (messages.length > 0) this.events.emit('stored', messages, origin);
  }

  private serialized<T>(userId: string, task: () => Promise<T>): Promise<T> {
    const turns = this.pending.get(userId) ?? new Set();
    this.pending.set(userId, turns);
    // In this process the lock keeps a user's turns in order; across processes, the store's lock does.
    const locked = this.store.withUserLock ? () => this.store.withUserLock!(userId, task) : task;
    const turn = this.turns.acquire(userId, locked);
    turns.add(turn);
    const done = () => {
      turns.delete(turn);
      if (turns.size === 0 && this.pending.get(userId) === turns) this.pending.delete(userId);
    };
    turn.then(done, done);
    return turn;
  }
}
