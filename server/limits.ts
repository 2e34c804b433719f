// The limits the server keeps to, in one place: sizes and counts the contract fixes, and the timeouts the
// WeChat platform imposes. Rates (per user, per address) are settings: see config.ts.

/** Characters of a text message after trimming (the contract). */
export const MAX_TEXT_LENGTH = 2000;

/** Bytes of a request body (JSON or XML), a Socket.IO message, or a target's reply: room for any valid message, and to spare. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Messages of history that `ready` carries on connect (the contract). */
export const HISTORY_ON_CONNECT = 50;

/** GET /api/messages: how many messages a page has without `limit`, and at most (the contract). */
export const HISTORY_PAGE = { default: 50, max: 200 } as const;

/** Keyword rules the rules API keeps at most: matching stays fast far beyond this (see bench/), but a store must not grow without bound. */
export const MAX_RULES = 10_000;

/** How long /wechat waits for an answer before saying `success`: the platform gives up after 5 s. */
export const WECHAT_REPLY_DEADLINE_MS = 4500;

/** How long the platform waits for the server under test, per attempt, as WeChat does. */
export const TARGET_TIMEOUT_MS = 5000;

/** How long a Typing from message/custom/typing lasts unless cancelled or ended by a message: WeChat's 15 s. */
export const TYPING_MAX_MS = 15_000;

/** How long the chat window waits for a message's acknowledgement before offering to send it again. */
export const ACK_TIMEOUT_MS = 10_000;

/** Platform API calls a store keeps for developer panels opened later (and a panel shows at most). */
export const API_CALLS_KEPT = 200;
