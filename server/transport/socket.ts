// Socket.IO adapter: auth → user id, `ready` on connect, `message` with an ack, pushes to every tab.
import { randomBytes } from 'node:crypto';
import type { Server } from 'socket.io';
import type { ClientToServerEvents, MessageAck, ServerToClientEvents } from '../contract.ts';
import type { ChatService } from '../chat-service.ts';
import { toAppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { isValidId } from '../validation.ts';

export const HISTORY_ON_CONNECT = 50;

type SocketData = { userId: string };
export type ChatServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

const roomOf = (userId: string) => `user:${userId}`;

/** A fresh user id for a client that did not bring one. */
export function newUserId(): string {
  return `u_${randomBytes(9).toString('base64url')}`;
}

/** Wires the chat service to a Socket.IO server. */
export function attachSocketTransport(io: ChatServer, service: ChatService, logger: Logger): void {
  io.use((socket, next) => {
    const auth: unknown = socket.handshake.auth;
    const requested = typeof auth === 'object' && auth !== null ? (auth as { userId?: unknown }).userId : undefined;
    if (requested === undefined || requested === null || requested === '') {
      socket.data.userId = newUserId();
      return next();
    }
    if (!isValidId(requested)) {
      return next(new Error('bad_request: userId must be 1 to 64 characters of A-Z, a-z, 0-9, "_" or "-"'));
    }
    socket.data.userId = requested;
    next();
  });

  service.onStored((message) => io.to(roomOf(message.userId)).emit('message', message));

  io.on('connection', (socket) => {
    const { userId } = socket.data;
    const log = logger.child({ userId, socket: socket.id });

    socket.on('message', (input, ack) => {
      if (typeof ack !== 'function') {
        // Without an ack the client could never learn the outcome; refuse rather than guess.
        log.warn('message without an acknowledgement callback ignored');
        return;
      }
      const answer = (result: MessageAck) => ack(result);
      service.receive(userId, input).then(
        (exchange) => answer({ ok: true, ...exchange }),
        (err: unknown) => {
          const error = toAppError(err);
          if (error.code === 'internal') log.error({ err }, 'message failed');
          answer({ ok: false, error: error.toBody() });
        },
      );
    });

    service
      .connect(userId, HISTORY_ON_CONNECT, (history) => {
        if (!socket.connected) return;
        void socket.join(roomOf(userId));
        socket.emit('ready', { userId, account: service.knowledge.account, history });
      })
      .catch((err: unknown) => {
        log.error({ err }, 'could not open the conversation');
        socket.disconnect(true);
      });
  });
}
