// The ids this server makes up for what it stores and sends: message ids and the platform's 64-bit MsgIds.
import { randomBytes } from 'node:crypto';

export type Ids = {
  /** A message id that sorts by creation time, unique across processes (the tag tells processes apart). */
  messageId: (now: Date) => string;
  /** A MsgId as the platform makes them: microsecond-like, strictly increasing within this process. */
  msgId: (nowMs: number) => number;
};

/** A generator of its own; `tag` (drawn at random by default) is what keeps two processes' message ids apart. */
export function createIds(tag = randomBytes(4).toString('hex')): Ids {
  let sequence = 0;
  let lastMsgId = 0;
  return {
    messageId: (now) => {
      sequence = (sequence + 1) % 0x10000;
      return `m${now.getTime().toString(36)}${sequence.toString(36).padStart(4, '0')}${tag}`;
    },
    msgId: (nowMs) => (lastMsgId = Math.max(Math.floor(nowMs) * 1000, lastMsgId + 1)),
  };
}

// Drawn once: random bytes for every id cost more than the rest of the id together.
/** This process's generator, used wherever none is given. */
export const processIds = createIds();
