// Whether the server under test named a web origin to a user: in the menu, or in a link of one of its recent
// messages to that user. The chat window asks when it opens a link, so nothing here runs per chat message.
import type { MenuButton, StoredMessage } from '../contract.ts';

/** How far back in a user's conversation a link still opens in the in-app browser. */
export const LINKS_LOOK_BACK = 200;

const URL_IN_TEXT = /https?:\/\/[^\s"'<>\\]+/g;

/** The origins of every http(s) URL in the bot's messages and the menu's links. */
export function namedOrigins(messages: readonly StoredMessage[], menu: readonly MenuButton[]): Set<string> {
  const origins = new Set<string>();
  const add = (text: string) => {
    for (const found of text.match(URL_IN_TEXT) ?? []) if (URL.canParse(found)) origins.add(new URL(found).origin);
  };
  for (const button of menu) for (const item of [button, ...(button.sub ?? [])]) if (item.url) add(item.url);
  // Every string of a bot message counts (text, news and template urls): a JSON text holds them all.
  for (const message of messages) if (message.from === 'bot') add(JSON.stringify(message));
  return origins;
}
