// An exchange's JSON, made once: the chat service stringifies each message it commits, the store writes those
// strings (the journal, Redis), and the socket transport's ack is spliced from the same strings instead of
// stringifying the messages a second time. Kept on the exchange under a symbol, which JSON.stringify and the
// contract's shapes ignore, and only on the exchange: the stored messages do not keep their JSON alive.
import type { Exchange, MessageAck, StoredMessage } from '../contract.ts';

const JSON_TEXT = Symbol('json');

type WithJson = { [JSON_TEXT]?: string };

/** Each message's JSON, in order. */
export function messagesJson(messages: StoredMessage[]): string[] {
  return messages.map((m) => JSON.stringify(m));
}

/** `exchange`, carrying the JSON of its members (`"message":…,"replies":[…]`) built from their JSON. */
export function withJson(exchange: Exchange, messageJson: string, repliesJson: string[]): Exchange {
  (exchange as WithJson)[JSON_TEXT] = `"message":${messageJson},"replies":[${repliesJson.join(',')}]`;
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
