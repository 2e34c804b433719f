// Socket.IO adapter: auth → user id, `ready` on connect, `message` with an ack, pushes to the user's other tabs,
// `account` and `typing` as they change, `apiCall` to the sockets subscribed to it (developer panels).
// Limits at the door: connections and messages per address, messages per user, sockets per user.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ErrorBody, ServerToClientEvents, StoredMessage } from '../contract.ts';
import type { ChatService } from '../core/chat-service.ts';
import { AppError, toAppError } from '../core/errors.ts';
import { HISTORY_ON_CONNECT } from '../limits.ts';
import type { Logger } from '../logger.ts';
import type { RateLimits } from '../core/rate-limits.ts';
import { isValidId, parseInbound } from '../core/validation.ts';
import { okAck } from '../core/exchange-json.ts';

/** `scan`: the ticket of the QR code the user arrives by (auth.scan), checked before the connection is taken. */
type SocketData = { userId: string; address: string; scan?: string };
/** Between processes (Socket.IO's serverSideEmit, through the Redis adapter): the messages a turn stored, for the user's sockets there. */
type InterServerEvents = { pushes: (userId: string, origin: string | undefined, messages: StoredMessage[]) => void };
export type ChatServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export type SocketTransportOptions = {
  limits: RateLimits;
  socketsPerUser: number;
  /** Whether other processes share the users (a Redis adapter): then only they know their sockets. */
  clustered: boolean;
  /** How long a message may wait for its ack, sent in `ready` so the window waits as long as the server may take. */
  replyDeadlineMs: number;
  /** The client's address, as the HTTP side sees it (proxies included). */
  addressOf: (req: IncomingMessage) => string;
  /** A user entered the chat (their window got `ready`): the account's report-location setting acts on it. */
  entered?: (userId: string) => void;
};

const roomOf = (userId: string) => `user:${userId}`;
// User ids cannot contain a space, so this room is never a user's.
const API_CALLS_ROOM = 'api calls';

/** A fresh user id for a client that did not bring one. */
export function newUserId(): string {
  return `u_${randomBytes(9).toString('base64url')}`;
}

/** A refused connection: the client's `connect_error` has the message, and `data` the error body. */
function refusal(error: AppError): Error & { data: ErrorBody } {
  return Object.assign(new Error(`${error.code}: ${error.message}`), { data: error.toBody() });
}

/** The ack for anything thrown: the client's error body; a failure of ours logged with its stack, a refusal at debug. */
function failure(err: unknown, log: Logger, failed: string): { ok: false; error: ErrorBody } {
  const error = toAppError(err);
  if (error.code === 'internal') log.error({ err }, failed);
  else log.debug({ code: error.code }, 'refused');
  return { ok: false, error: error.toBody() };
}

/** Wires the chat service to a Socket.IO server. */
export type SocketTransport = {
  openSockets: () => number;
  /** Resolves once every message taken has been acknowledged and the acks have left the sockets' write buffers. */
  acknowledged: () => Promise<void>;
};

export function attachSocketTransport(io: ChatServer, service: ChatService, logger: Logger, options: SocketTransportOptions): SocketTransport {
  // Messages taken and not yet acknowledged: what closing waits for before the sockets go.
  const answering = new Set<Promise<void>>();
  // Every socket admitted, by user, until its connection closes: how "sockets per user" is counted.
  const open = new Map<string, Set<ChatSocket>>();
  const release = (socket: ChatSocket) => {
    const sockets = open.get(socket.data.userId);
    if (sockets?.delete(socket) && sockets.size === 0) open.delete(socket.data.userId);
  };

  io.use((socket, next) => {
    const auth: unknown = socket.handshake.auth;
    const requested = typeof auth === 'object' && auth !== null ? (auth as { userId?: unknown }).userId : undefined;
    if (requested !== undefined && requested !== null && requested !== '' && !isValidId(requested)) {
      return next(refusal(new AppError('bad_request', 'userId must be 1 to 64 characters of A-Z, a-z, 0-9, "_" or "-"')));
    }
    const userId = typeof requested === 'string' && requested !== '' ? requested : newUserId();
    const scan = typeof auth === 'object' && auth !== null ? (auth as { scan?: unknown }).scan : undefined;
    const address = options.addressOf(socket.request);
    // A code that cannot be scanned refuses the connection with its reason, as a scan message would be refused.
    const scanned = scan === undefined ? Promise.resolve(undefined) : service.sceneOf(parseInbound({ type: 'event', event: 'scan', ticket: scan }));
    Promise.all([options.limits.address(address), scanned]).then(
      () => {
        const sockets = open.get(userId) ?? new Set();
        if (sockets.size >= options.socketsPerUser) {
          return next(refusal(new AppError('too_many_connections', `This user has ${sockets.size} connections open already, the most allowed; close one first.`)));
        }
        socket.data = { userId, address, ...(typeof scan === 'string' ? { scan } : {}) };
        sockets.add(socket);
        open.set(userId, sockets);
        // Counted until the connection closes, whether or not the socket ever got as far as `connection`.
        socket.conn.once('close', () => release(socket));
        next();
      },
      (err: unknown) => next(refusal(toAppError(err))),
    );
  });

  // The socket whose ack carries a message gets no push of it; the user's other tabs do, on this process and others.
  const localRooms = io.of('/').adapter.rooms;
  const pushHere = (userId: string, origin: string | undefined, messages: StoredMessage[]) => {
    const sockets = localRooms.get(roomOf(userId));
    // Mostly there is no other tab: Socket.IO would still encode the packets for nobody.
    if (!sockets || sockets.size === (origin !== undefined && sockets.has(origin) ? 1 : 0)) return;
    const room = io.local.to(roomOf(userId));
    const others = origin ? room.except(origin) : room;
    for (const message of messages) others.emit('message', message);
  };
  service.on('stored', (messages, origin, elsewhere) => {
    const userId = messages[0]!.userId;
    pushHere(userId, origin, messages);
    // One publish a turn, however many messages it stored, and none when no other process has a window of the
    // user open: each process that has one pushes them to its own sockets.
    if (options.clustered && elsewhere) io.serverSideEmit('pushes', userId, origin, messages);
  });
  if (options.clustered) io.on('pushes', pushHere);
  service.on('account', (account) => io.emit('account', account));
  service.on('typing', (userId, on) => io.to(roomOf(userId)).emit('typing', { on }));
  service.on('apiCall', (call) => io.to(API_CALLS_ROOM).emit('apiCall', call));

  io.on('connection', (socket) => {
    const { userId, address, scan } = socket.data;
    const log = logger.child({ userId, socket: socket.id });
    log.debug({ address }, 'connected');
    // Set once connect() counted this window among the user's open ones: its closing is counted too.
    let watched = false;
    const leave = () => service.leave(userId).catch((err: unknown) => log.warn({ err }, 'could not count the closed window'));
    socket.on('disconnect', (reason) => {
      release(socket);
      if (watched) void leave();
      log.debug({ reason }, 'disconnected');
    });

    socket.on('message', (input, ack) => {
      if (typeof ack !== 'function') {
        // Without an ack the client could never learn the outcome; refuse rather than guess.
        log.warn('message without an acknowledgement callback ignored');
        return;
      }
      // Charged now, in arrival order; the service awaits it in the user's turn.
      const admission = options.limits.address(address);
      const answered: Promise<void> = service.receive(userId, input, { admission, origin: { socketId: socket.id } }).then(
        (exchange) => {
          // Guarded: the log lines' arguments would be built for every message even with the level off.
          if (log.isLevelEnabled('debug')) {
            log.debug({ messageId: exchange.message.id, replies: exchange.replies.length }, 'message answered');
            log.trace({ messageId: exchange.message.id, inbound: input }, 'message text');
          }
          ack(okAck(exchange));
          answering.delete(answered);
        },
        (err: unknown) => {
          ack(failure(err, log, 'message failed'));
          answering.delete(answered);
        },
      );
      answering.add(answered);
    });

    socket.on('subscribe', (request, ack) => {
      if (typeof ack !== 'function') return;
      const wanted = typeof request === 'object' && request !== null ? (request as { apiCalls?: unknown }).apiCalls : undefined;
      if (typeof wanted !== 'boolean') return ack({ ok: false, error: new AppError('bad_request', 'subscribe takes { apiCalls: true } or { apiCalls: false }').toBody() });
      if (!wanted) {
        void socket.leave(API_CALLS_ROOM);
        return ack({ ok: true, apiCalls: [] });
      }
      // Joined before reading: a call kept after the read reaches this socket as an event.
      void socket.join(API_CALLS_ROOM);
      service.recentApiCalls().then(
        (apiCalls) => ack({ ok: true, apiCalls }),
        (err: unknown) => ack(failure(err, log, 'could not read the recent API calls')),
      );
    });

    service
      .connect(userId, HISTORY_ON_CONNECT, (history) => {
        if (!socket.connected) return void leave(); // closed while its conversation was opening
        watched = true;
        void socket.join(roomOf(userId));
        socket.emit('ready', { userId, account: service.account, history, replyDeadlineMs: options.replyDeadlineMs });
        options.entered?.(userId);
      }, scan === undefined ? {} : { scan })
      .catch((err: unknown) => {
        log.error({ err }, 'could not open the conversation');
        socket.disconnect(true);
      });
  });

  return {
    openSockets: () => [...open.values()].reduce((n, sockets) => n + sockets.size, 0),
    acknowledged: async () => {
      while (answering.size > 0) await Promise.allSettled([...answering]);
      // A packet waits in engine.io's write buffer while the previous write is under way; closing would drop it.
      const pending = [...io.of('/').sockets.values()].map((socket) => socket.conn).filter((conn) => (conn as unknown as { writeBuffer: unknown[] }).writeBuffer.length > 0);
      await Promise.all(pending.map((conn) => new Promise((resolve) => conn.once('drain', resolve).once('close', resolve))));
    },
  };
}
