// An exchange's JSON, made once: the chat service stringifies each message it commits, the store writes those
// strings (the journal, Redis), and the socket transport's ack is spliced from the same strings instead of
// stringifying the messages a second time. Kept on the exchange under a symbol, which JSON.stringify and the
// contract's shapes ignore, and only on the exchange: the stored messages do not keep their JSON alive.
import type { Exchange, MessageAck, StoredMessage } from '../contract.ts';

const JSON_TEXT = Symbol('json');

type WithJson = { [JSON_TEXT]?: string };

// The JSON of a frozen reply body, without its braces. Frozen bodies are the engine's replies built once and
// never changed (the welcome, help, list, section cards and pages), so their JSON can be kept.
const bodies = new WeakMap<object, string>();
// What a stored message has besides its body's fields: the stamp's, in this order (ChatService.stamp), and a trace.
const STAMPED = ['id', 'userId', 'from', 'createdAt', 'replyTo', 'trace'] as const;

/**
 * The JSON of `message`, stamped from `body` (its fields, then id, userId, from, createdAt and replyTo): for a
 * frozen body, its kept JSON and the stamp's fields, the same text JSON.stringify(message) gives.
 */
export function stampedJson(message: StoredMessage, body: object): string {
  if (!Object.isFrozen(body)) return JSON.stringify(message);
  let inner = bodies.get(body);
  if (inner === undefined) {
    // A body with a stamp's field of its own would put it elsewhere in the message: stringified as it is.
    if (STAMPED.some((field) => field in body)) return JSON.stringify(message);
    inner = JSON.stringify(body).slice(1, -1);
    bodies.set(body, inner);
  }
  let json = `{${inner}${inner === '' ? '' : ','}"id":${JSON.stringify(message.id)},"userId":${JSON.stringify(message.userId)},"from":${JSON.stringify(message.from)},"createdAt":${JSON.stringify(message.createdAt)}`;
  if (message.replyTo !== undefined) json += `,"replyTo":${JSON.stringify(message.replyTo)}`;
  return `${json}}`;
}

/** `exchange`, carrying the JSON of its members (`"message":…,"replies":[…]`) built from their JSON. */
export function withJson(exchange: Exchange, messageJson: string, repliesJson: string[]): Exchange {
  // Concatenated rather than joined: the pieces stay where they are until the socket's write copies them once.
  let members = `"message":${messageJson},"replies":[`;
  for (let i = 0; i < repliesJson.length; i++) members += i === 0 ? repliesJson[i]! : `,${repliesJson[i]!}`;
  (exchange as WithJson)[JSON_TEXT] = `${members}]`;
  return exchange;
}

/** The ack of an answered message, `{ ok: true, message, replies }`, carrying its JSON when the exchange has it. */
export function okAck(exchange: Exchange): MessageAck {
  const ack: MessageAck & WithJson = { ok: true, message: exchange.message, replies: exchange.replies };
  const members = (exchange as WithJson)[JSON_TEXT];
  if (members !== undefined) ack[JSON_TEXT] = `{"ok":true,${members}}`;
  return ack;
}

/** The JSON an ack made by okAck carries; undefined for anything else (then it is stringified as usual). */
export function ackJson(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null ? (value as WithJson)[JSON_TEXT] : undefined;
}
