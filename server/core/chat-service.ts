// The one path every channel takes, a turn as a pipeline: admit (who the user is, how often they may send) →
// dedupe → follow/interaction → respond → commit → publish. Transports only translate; the policy that
// applies to every channel is here. A turn reads the store once (openTurn) and writes it once (commit).
import { EventEmitter } from 'node:events';
import type { Account, ApiCall, Exchange, Inbound, MenuButton, Outbound, StoredMessage, Trace } from '../contract.ts';
import type { Rule } from '../content/rules.ts';
import { respond, type Environment } from '../bot/engine.ts';
import { withRules, type Knowledge } from '../bot/knowledge.ts';
import { AppError } from './errors.ts';
import { isAccepted, type RateLimits } from './rate-limits.ts';
import { NEW_SESSION, type Session } from '../session.ts';
import { processIds, type Ids } from './ids.ts';
import { ApiCallLog } from '../store/api-call-log.ts';
import type { ChatStore, Follower, FollowScene, InteractionWindow, UserState } from '../store/chat-store.ts';
import { afterInbound } from './interaction.ts';
import { stampedJson, withJson } from './exchange-json.ts';
import { RunningTurn, type TurnState } from './running-turn.ts';
import { parseId, parseInbound } from './validation.ts';

export type { Trace, TurnState };

const shuttingDown = () => new AppError('shutting_down', 'The server is shutting down; send this again once it is back.');

/** The state a turn of `user` starts from. */
const stateOf = (user: UserState | undefined): TurnState => ({ session: user?.session ?? NEW_SESSION, follower: user?.follower, window: user?.window });

/** Whoever answers: the local engine by default, or another server (see wechat/remote-bot.ts). */
export type Responder = ((turn: {
  userId: string;
  session: Session;
  inbound: Inbound;
  env: Environment;
  /** With a scan: its code's scene, and whether it makes the user follow (subscribe) rather than SCAN. */
  scan?: ScanTurn;
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
  /**
   * In front of a server under test: the platform API's index of users by OpenID, told when a user first
   * reaches the account. With it, turns keep each user's follower state and customer-service window.
   */
  followers?: FollowerIndex;
  /** The account's parametric QR codes, which scans name; without them every scan is refused. */
  scans?: ScanCodes;
};

/** A scan in a turn: the scanned code's scene, and whether the scan is the user's follow (else a SCAN). */
export type ScanTurn = { ticket: string; scene: FollowScene; subscribes: boolean };

/** Where a scan's ticket is looked up (platform/qr-codes.ts): its scene, or an AppError for an unknown or expired code. */
export type ScanCodes = { scan(ticket: string): Promise<FollowScene> };

/** Where the platform API finds users by OpenID (platform/users.ts). */
export type FollowerIndex = {
  /**
   * Notes that a user reached the account with no follower state yet (`isNew`: a user never stored), and
   * answers the follower state an earlier version recorded for them, if any.
   */
  reached(userId: string, options: { isNew: boolean }): Promise<Follower | undefined>;
  /** Notes that a user's unfollow was committed: what the account kept about them as a follower goes. */
  left(userId: string): Promise<void>;
};

/** Sees the user's follower state and window before a delivery; returns the window counting it, or throws to refuse it. */
export type DeliveryCheck = (state: TurnState) => InteractionWindow | undefined;

/** Where a message came from: the socket whose ack carries the exchange gets no push of it. */
export type Origin = { socketId?: string };

/**
 * What the service tells the transports. `stored`: the messages one turn stored, of one user, in order (one
 * event a turn, so a transport can push them with one publish); `origin` is the socket whose ack already carries
 * them; `elsewhere` whether another process sharing the store has a window of the user open (only then is there
 * anyone to publish to).
 */
export type ServiceEvents = {
  stored: [messages: StoredMessage[], origin: string | undefined, elsewhere: boolean];
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
  private readonly followers?: FollowerIndex;
  private readonly scans?: ScanCodes;
  private readonly apiCalls: ApiCallLog;
  /** The turn holding each user's lock in this process, for the deliveries that come while it runs. */
  private readonly running = new Map<string, RunningTurn>();
  /**
   * The last turn queued for each user, running or waiting, settled when every turn of that user queued so far
   * is: one user's turns run one at a time in arrival order, different users' side by side. What busyUsers
   * counts and stop() waits for.
   */
  private readonly queues = new Map<string, Promise<void>>();
  private stopping = false;

  constructor(options: ChatServiceOptions) {
    this.store = options.store;
    this.knowledgeBase = options.knowledge;
    this.limits = options.limits;
    this.ids = options.ids ?? processIds;
    this.followers = options.followers;
    this.scans = options.scans;
    this.apiCalls = new ApiCallLog(options.store);
    this.environment = options.environment ?? (() => ({ now: new Date(), random: Math.random }));
    // The local engine welcomes a follow by a scan as any follow.
    this.responder = options.responder ?? (async ({ session, inbound, env, scan }) => respond(this.knowledgeBase, session, scan?.subscribes ? { type: 'event', event: 'subscribe' } : inbound, env));
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
   * Handles one untrusted inbound message from a user: the single entry point for all transports, and the
   * turn's pipeline, admit → dedupe → follow/interaction → respond → commit → publish. The user id is checked
   * and the user's rate limit charged when the message arrives; `admission` is a check the transport started
   * at the same moment (its address limit). Both are awaited in the user's turn, so a user's messages keep
   * their order, and a refusal stores nothing.
   */
  async receive(rawUserId: unknown, input: unknown, { admission, origin }: { admission?: Promise<void>; origin?: Origin } = {}): Promise<Exchange> {
    const userId = parseId(rawUserId, 'userId');
    const charged = this.limits?.user(userId);
    // Mostly both are accepted already, in this process's memory: then there is nothing to wait for.
    const admitted = isAccepted(admission) && isAccepted(charged) ? undefined : Promise.all([admission, charged]);
    admitted?.catch(() => {}); // awaited below, maybe after other turns: not an unhandled rejection meanwhile
    if (this.stopping) throw shuttingDown();
    return this.serialized(userId, async () => {
      if (admitted) await admitted;
      const inbound = parseInbound(input);
      const { user, earlier } = await this.store.openTurn(userId, inbound.clientId);
      if (earlier) return earlier;
      const scanning = this.sceneOf(inbound);
      const scene = scanning && (await scanning);
      return this.answer(userId, user, inbound, { origin: origin?.socketId, storesInbound: true, scene, endsTurn: true });
    });
  }

  /**
   * Stores bot messages that answer no inbound in particular (customer-service and template messages the
   * server under test sends through the platform API) and pushes them to every tab. `check` (none by default)
   * sees the user's follower state and window, and returns the window counting these messages or throws to
   * refuse (nothing is stored). For a user whose turn runs here (the server under test calls the API while it handles that user's
   * push, and awaits the answer before replying), they are committed at once under the lock that turn holds:
   * after the turn's user message, before its replies. Otherwise they take a turn of their own.
   */
  deliver(userId: string, outbound: Outbound[], { trace, check = () => undefined }: { trace?: Trace; check?: DeliveryCheck } = {}): Promise<StoredMessage[]> {
    if (this.stopping) return Promise.reject(shuttingDown());
    const running = this.running.get(userId);
    if (running) return running.join(() => this.commitDelivery(userId, running, outbound, trace, check));
    return this.serialized(userId, async () => {
      const { user } = await this.store.openTurn(userId);
      return this.commitDelivery(userId, new RunningTurn(stateOf(user)), outbound, trace, check, { endsTurn: true });
    });
  }

  /** The user's follower state and window as a delivery would see them now: the running turn's, or the stored ones. */
  async deliveryState(userId: string): Promise<TurnState> {
    const running = this.running.get(userId);
    return running ? running.state : stateOf((await this.store.openTurn(userId)).user);
  }

  /**
   * Opens a conversation: welcomes a user the first time they appear (as WeChat does on subscribe),
   * then hands `attach` the recent history. Both run in the user's queue, so no message of that user
   * is stored between reading the history and `attach` subscribing to what comes next.
   */
  connect(userId: string, historyLimit: number, attach: (history: StoredMessage[]) => void, { scan }: { scan?: string } = {}): Promise<void> {
    return this.serialized(userId, async () => {
      const { user } = await this.store.openTurn(userId);
      if (scan !== undefined) {
        // Arriving by a code (auth.scan, a poster's URL): the scan is the first appearance's follow, or a scan in the chat.
        const inbound = parseInbound({ type: 'event', event: 'scan', ticket: scan });
        await this.answer(userId, user, inbound, { storesInbound: user !== undefined, scene: await this.sceneOf(inbound) });
      }
      // A first appearance is the user's follow: answered as a subscribe, of which only the welcome is stored.
      else if (!user) await this.answer(userId, undefined, { type: 'event', event: 'subscribe' }, { storesInbound: false });
      // Watched before the history is read: what other processes store from here on, they publish to this one.
      await this.store.watch(userId);
      let history: StoredMessage[];
      try {
        history = (await this.store.history(userId, { limit: historyLimit })) ?? [];
      } catch (err) {
        await this.store.unwatch(userId).catch(() => undefined);
        throw err;
      }
      attach(history);
    });
  }

  /** A window that connect() attached has closed (or was gone before it could be attached). */
  leave(userId: string): Promise<void> {
    return this.store.unwatch(userId);
  }

  /** The scene a scan inbound names (refused for an unknown or expired code); undefined, at once, for any other inbound. */
  sceneOf(inbound: Inbound): Promise<FollowScene> | undefined {
    if (inbound.type !== 'event' || inbound.event !== 'scan') return undefined;
    if (!this.scans) return Promise.reject(new AppError('not_found', 'This simulator has no QR codes.'));
    return this.scans.scan(inbound.ticket);
  }

  /** Refuses new messages from now on (`shutting_down`), and resolves once every message already received is answered. */
  async stop(): Promise<void> {
    this.stopping = true;
    while (this.queues.size > 0) await Promise.all(this.queues.values());
    await this.apiCalls.settled();
  }

  /** Users with a turn running or waiting: zero when idle (for leak checks). */
  get busyUsers(): number {
    return this.queues.size;
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
      this.useRules(rules);
      return result;
    });
  }

  /** Answers with rules another process stored (the store passes them on; see ChatStore.onRulesChanged). */
  useRules(rules: Rule[]): void {
    this.useKnowledge(withRules(this.knowledgeBase, rules));
  }

  /**
   * Shows a new bottom menu in every open chat window (the server under test created or deleted its menu).
   * `announce: false` only updates what new windows get: another process already told the open ones.
   */
  setMenu(menu: MenuButton[], { announce = true } = {}): void {
    this.useKnowledge({ ...this.knowledgeBase, account: { ...this.knowledgeBase.account, menu } });
    if (announce) this.events.emit('account', this.knowledgeBase.account);
  }

  /** What the engine answers with from the next turn on: the one place the knowledge changes. */
  private useKnowledge(knowledge: Knowledge): void {
    this.knowledgeBase = knowledge;
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
      await this.apiCalls.add(kept);
    } finally {
      this.events.emit('apiCall', kept);
    }
  }

  /** The newest platform API calls kept, oldest first, for a developer panel that opens. */
  recentApiCalls(): Promise<ApiCall[]> {
    return this.apiCalls.recent();
  }

  /**
   * The turn's steps after dedupe, under the user's lock: follow/interaction, respond, commit, publish.
   * `storesInbound: false` for a first connection, which stores only the welcome; `endsTurn` when nothing of
   * the user's follows the commit in this turn (then the commit may let the user's lock go).
   */
  private async answer(userId: string, user: UserState | undefined, inbound: Inbound, { origin, storesInbound, scene, endsTurn = false }: { origin?: string; storesInbound: boolean; scene?: FollowScene; endsTurn?: boolean }): Promise<Exchange> {
    const env = this.environment();
    // In front of a server under test, a user with no follower state yet may have one from an earlier version.
    const reached = this.followers && !user?.follower ? await this.followers.reached(userId, { isNew: !user }) : undefined;
    const { state: followed, scan } = this.follow(user, inbound, env.now, scene, reached);
    const turn = new RunningTurn(followed, origin);
    const createdAt = env.now.toISOString();
    const message = this.stamp(userId, 'user', inbound, env.now, undefined, createdAt);
    if (storesInbound) turn.pendingMessage = message;
    this.running.set(userId, turn);
    try {
      const answer = await this.responder({ userId, session: turn.state.session, inbound, env, ...(scan ? { scan } : {}) });
      // An unfollow's commit is followed by followers.left, which must run before another turn of the user.
      const last = endsTurn && !(inbound.type === 'event' && inbound.event === 'unsubscribe');
      // The server under test has answered: a delivery from now on takes a turn of its own, queued behind this
      // one, rather than joining a turn whose last commit may already have let the lock go.
      if (last) this.running.delete(userId);
      return await turn.exclusive(async () => {
        const final = answer.trace ? Object.assign({}, message, { trace: answer.trace }) : message;
        const replies = answer.replies.map((r) => this.stamp(userId, 'bot', r, env.now, storesInbound ? message.id : undefined, createdAt));
        // The user's message is stored with its replies unless a delivery stored it earlier (then it is `revised`).
        const storesFinal = turn.pendingMessage !== undefined;
        const messages = storesFinal ? [final, ...replies] : replies;
        // Each message's JSON, made once: for the store and for the ack (exchange-json.ts).
        const json = storesFinal ? [JSON.stringify(final)] : [];
        for (let i = 0; i < replies.length; i++) json.push(stampedJson(replies[i]!, answer.replies[i]!));
        const state: TurnState = { ...turn.state, session: answer.session };
        const { elsewhere } = await this.store.commit(userId, { messages, json, ...state, clientId: inbound.clientId, revised: turn.storedEarly ? final : undefined, endsTurn: last });
        // After the commit: a turn that failed leaves the follower as they were, remark and tags included.
        if (this.followers && inbound.type === 'event' && inbound.event === 'unsubscribe') await this.followers.left(userId);
        turn.state = state;
        turn.pendingMessage = undefined;
        this.publish(messages, origin, elsewhere);
        return withJson({ message: final, replies }, storesFinal ? json[0]! : JSON.stringify(final), storesFinal ? json.slice(1) : json);
      });
    } finally {
      this.running.delete(userId);
      const joined = turn.joined;
      if (joined) await joined; // deliveries that came during the commit are done before the lock goes
    }
  }

  /**
   * Follow/interaction: the follower state and window after this inbound, kept only in front of a server under
   * test (the platform API's users). A user who reaches the account for the first time follows it, by the
   * scanned code when the first thing they do is a scan (`reached`: what FollowerIndex.reached answered for a
   * user with no follower state). `scan` says whether a scan is a follow or a SCAN.
   */
  private follow(user: UserState | undefined, inbound: Inbound, now: Date, scene: FollowScene | undefined, reached: Follower | undefined): { state: TurnState; scan?: ScanTurn } {
    const state = stateOf(user);
    const scanTurn = (subscribes: boolean) => (scene && inbound.type === 'event' && inbound.event === 'scan' ? { ticket: inbound.ticket, scene, subscribes } : undefined);
    // Without follower state (the local engine), only a first appearance is a follow.
    if (!this.followers) return { state, scan: scanTurn(!user) };
    let { follower, window } = state;
    if (!follower) {
      follower = reached;
      if (!follower) {
        follower = { subscribed: !scene, subscribeTime: Math.floor(now.getTime() / 1000) };
        window = { kind: 'event', at: now.getTime(), sent: 0 };
      }
    }
    return { state: { ...state, ...afterInbound(follower, window, inbound, now.getTime(), scene) }, scan: scanTurn(!follower.subscribed) };
  }

  /**
   * Commits delivered messages with `turn`'s state (and its user message first, while no commit stored it), then
   * publishes them; `endsTurn` for a delivery's own turn, which has nothing else to store.
   */
  private async commitDelivery(userId: string, turn: RunningTurn, outbound: Outbound[], trace: Trace | undefined, check: DeliveryCheck, { endsTurn = false } = {}): Promise<StoredMessage[]> {
    const window = check(turn.state) ?? turn.state.window;
    const now = this.environment().now;
    const messages = outbound.map((body) => this.stamp(userId, 'bot', trace ? { ...body, trace } : body, now));
    const leading = turn.pendingMessage;
    const { elsewhere } = await this.store.commit(userId, { messages: leading ? [leading, ...messages] : messages, ...turn.state, window, endsTurn });
    turn.state = { ...turn.state, window };
    if (leading) {
      turn.pendingMessage = undefined;
      turn.storedEarly = true;
      this.publish([leading], turn.origin, elsewhere);
    }
    this.publish(messages, undefined, elsewhere);
    return messages;
  }

  /** `createdAt`: `now` as ISO text, made once for all the messages of a turn (or left for stamp to make). */
  private stamp(userId: string, from: 'user' | 'bot', body: Inbound | Outbound | ((Inbound | Outbound) & { trace: Trace }), now: Date, replyTo?: string, createdAt = now.toISOString()): StoredMessage {
    // Object.assign, then plain assignments: V8 runs a spread followed by more properties several times slower.
    const message = Object.assign({}, body) as StoredMessage;
    message.id = this.ids.messageId(now);
    message.userId = userId;
    message.from = from;
    message.createdAt = createdAt;
    if (replyTo) message.replyTo = replyTo;
    return message;
  }

  private publish(messages: StoredMessage[], origin: string | undefined, elsewhere: boolean): void {
    if (messages.length > 0) this.events.emit('stored', messages, origin, elsewhere);
  }

  private serialized<T>(userId: string, task: () => Promise<T>): Promise<T> {
    // In this process the queue keeps a user's turns in order; across processes, the store's lock does.
    const run = () => this.store.withUserLock(userId, task);
    const previous = this.queues.get(userId);
    const turn = previous ? previous.then(run) : run();
    const settled: Promise<void> = turn.then(
      () => this.dequeue(userId, settled),
      () => this.dequeue(userId, settled),
    );
    this.queues.set(userId, settled);
    return turn;
  }

  /** A user's turn has settled: when it was the last one queued, the user has none left. */
  private dequeue(userId: string, settled: Promise<void>): void {
    if (this.queues.get(userId) === settled) this.queues.delete(userId);
  }
}
