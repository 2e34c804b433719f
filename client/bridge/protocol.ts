// The messages between a page's bridge (client/bridge/bridge.ts, in the page's frame) and the chat window
// (client/src/bridge-host.ts), each wrapped as { [BRIDGE_KEY]: message } so that other messages are ignored.

export const BRIDGE_KEY = 'wechat-oa-simulator';

/** From the page: `hello` goes to any parent and says nothing; the rest go only to the origin that answered it. */
export type PageMessage =
  | { type: 'hello' }
  | { type: 'loaded'; href: string; title: string }
  | { type: 'title'; title: string }
  | { type: 'leaving' }
  | { type: 'invoke'; id: number; name: string; args: Record<string, unknown>; href: string }
  | { type: 'on'; name: string };

/** From the chat window, to the frame it opened only. */
export type HostMessage =
  | { type: 'welcome' }
  | { type: 'result'; id: number; result: Record<string, unknown> }
  | { type: 'event'; name: string; data: Record<string, unknown> }
  | { type: 'back' }
  | { type: 'reload' };

/** The message inside `data` when it is one of the bridge's. */
export function bridgeMessage<T>(data: unknown): T | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const message = (data as Record<string, unknown>)[BRIDGE_KEY];
  return typeof message === 'object' && message !== null && typeof (message as { type?: unknown }).type === 'string' ? (message as T) : undefined;
}
